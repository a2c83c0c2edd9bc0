"""Oracle checks of week 3's score.py (reference and alternative) and of the grader's helpers for it
(project tests, not shipped to students).

Each check compares an implementation with something that does not depend on it: the geometric
sequence written out in Python floats, the closed-form DSM loss of Gaussian data (an exact χ²), the
DSM gradient's known mean, the public closed-form scores against autograd of the noised densities,
week 1's `langevin` (one level of annealed Langevin is that sampler with step α/2), the exact chain
moments against Monte Carlo, ULA's known stationary law, and the autograd score of a DDPM marginal.
Every statistical check states its false-failure probability (<= 1e-6).
"""
import math

import pytest
import torch
from scipy import stats

from autograder import checks as check
from autograder.runtime import fixtures
from tests.weeks.helpers import alternative_modules, hidden_module, reference_modules

F64 = torch.float64
IMPLEMENTATIONS = {"reference": reference_modules(3).score, "alternative": alternative_modules(3).score}
hidden = hidden_module(3, "test_score")
pytestmark = pytest.mark.usefixtures("seed_and_one_thread")
each = pytest.mark.parametrize("label", list(IMPLEMENTATIONS))


@each
def test_geometric_sigmas_against_python_floats(label):
    score = IMPLEMENTATIONS[label]
    for smax, smin, L in [(1.0, 0.01, 10), (50.0, 0.01, 232), (2.0, 2.0, 3), (0.7, 0.7, 1)]:
        got = score.geometric_sigmas(smax, smin, L)
        assert got.dtype == F64 and got.shape == (L,)
        want = [smax * (smin / smax) ** (i / (L - 1)) for i in range(L)] if L > 1 else [smax]
        assert torch.allclose(got, torch.tensor(want, dtype=F64), rtol=1e-13, atol=0)
        if L > 2 and smax > smin:  # a geometric sequence: constant ratio
            ratios = got[1:] / got[:-1]
            assert torch.allclose(ratios, ratios[0].expand_as(ratios), rtol=1e-12, atol=0)
    for args in [(1.0, 0.1, 0), (1.0, 0.0, 3), (0.1, 1.0, 3), (1.0, 0.5, 1), (-1.0, -2.0, 3)]:
        with pytest.raises(ValueError):
            score.geometric_sigmas(*args)


@each
@pytest.mark.parametrize("shape, dtype", [((3000, 3), F64), ((1000, 1, 2, 3), torch.float32)])
def test_dsm_loss_is_an_exact_chi_square_for_gaussian_data(label, shape, dtype):
    # For data N(m, s² I) and the optimal score −(x̃ − m)/(s² + σ²), each residual coordinate is
    # (s² ε − σ (x − m))/v ~ N(0, s²/v): 2 B loss v/s² ~ χ²(B d) exactly. Two-sided, p_fail = 1e-6.
    score = IMPLEMENTATIONS[label]
    m, s, sigma = 0.4, 0.6, 0.9
    x = (m + s * torch.randn(shape, dtype=F64)).to(dtype)
    loss = score.dsm_loss(fixtures.noised_gaussian_score(m, s * s), x, torch.tensor([sigma]))
    assert loss.shape == () and loss.dtype == dtype
    B, d, v = shape[0], math.prod(shape[1:]), s * s + sigma * sigma
    stat = 2 * B * float(loss) * v / (s * s)
    assert stats.chi2.ppf(5e-7, B * d) <= stat <= stats.chi2.isf(5e-7, B * d)


def test_dsm_loss_written_out_with_the_same_draws():
    # The reference's draw order (levels, then ε), replayed by hand: the loss of a non-optimal score.
    score = IMPLEMENTATIONS["reference"]
    x, sigmas = torch.randn(97, 2, 3, dtype=F64), torch.tensor([1.5, 0.4, 0.05], dtype=F64)
    model = lambda xt, s: torch.sin(xt) * s[:, None, None]  # noqa: E731
    torch.manual_seed(3)
    got = score.dsm_loss(model, x, sigmas)
    torch.manual_seed(3)
    sig = sigmas[torch.randint(0, 3, (97,))]
    eps = torch.randn_like(x)
    xt = x + sig[:, None, None] * eps
    want = sum(0.5 * float(((sig[b] * model(xt, sig)[b] + eps[b]) ** 2).sum()) for b in range(97)) / 97
    assert float(got) == pytest.approx(want, rel=1e-12)


@each
def test_dsm_gradient_mean(label, monkeypatch):
    # The hidden dsm_gradient fixture: E[dℓ/dθ | x] = −σ² d/(c + σ²) at θ = 0 (derivation in test_score.py);
    # a CLT z-test with the conditional variance, p_fail = 1e-6.
    monkeypatch.setitem(__import__("sys").modules, "score", IMPLEMENTATIONS[label])
    n, d, sigma, c = 20_000, 3, 0.6, 0.8
    x = 0.7 + torch.randn(n, d, dtype=F64)
    grad = fixtures.dsm_gradient(x, sigma, c)
    w = c + sigma * sigma
    var = (sigma / w) ** 2 * float((x.pow(2).sum(1) + 2 * sigma * sigma * d).mean())
    check.mean_z(torch.tensor([grad]), -sigma * sigma * d / w, var / n, p_fail=1e-6)


def test_closed_form_scores_match_autograd():
    x = torch.randn(50, 2, dtype=F64) * 3
    sigma = torch.rand(50, dtype=F64) * 2
    got = fixtures.noised_gaussian_score(0.5, 0.3)(x, sigma)
    xg = x.clone().requires_grad_(True)
    logp = torch.distributions.Normal(0.5, (0.3 + sigma[:, None] ** 2).sqrt()).log_prob(xg).sum()
    assert torch.allclose(got, torch.autograd.grad(logp, xg)[0], atol=1e-12)
    means, std, weights = [[-2.0, 0.0], [1.0, 1.0], [3.0, -1.0]], 0.4, [0.2, 0.5, 0.3]
    got = fixtures.noised_mixture_score(means, std, weights)(x, sigma)
    for i in range(50):  # the noised mixture has variance std² + σ²
        log_prob = fixtures.mixture_log_prob(means, math.sqrt(std**2 + float(sigma[i]) ** 2), weights)
        xi = x[i:i + 1].clone().requires_grad_(True)
        assert torch.allclose(got[i], torch.autograd.grad(log_prob(xi).sum(), xi)[0][0], atol=1e-10)


def test_one_level_is_week1_langevin_with_half_step():
    # Seed for seed (a deterministic identity of two reference codes, not a grading test): both draw
    # one randn_like per step, so the chains coincide.
    week1 = reference_modules(1).sampling
    score = IMPLEMENTATIONS["reference"]
    target = fixtures.noised_gaussian_score(1.0, 0.25)
    sigma, eps, x0 = 0.3, 0.04, torch.randn(200, 2, dtype=F64)
    torch.manual_seed(7)
    got = score.annealed_langevin(target, x0, torch.tensor([sigma], dtype=F64), 12, eps)
    torch.manual_seed(7)
    want = week1.langevin(lambda x: target(x, torch.full((x.shape[0],), sigma, dtype=F64)), x0, 12, eps / 2)
    assert torch.allclose(got, want, atol=1e-13)


@each
@pytest.mark.parametrize("case", range(len(hidden.LANGEVIN_CASES)))
def test_annealed_moments_against_monte_carlo(label, case):
    # The hidden test's exact law, checked on each implementation with fresh chains (z and χ², 2 checks
    # share p_fail = 1e-6).
    start, m, s, levels, steps, eps, shape, dtype = hidden.LANGEVIN_CASES[case]
    sigmas = hidden._python_sigmas(*levels)
    got = IMPLEMENTATIONS[label].annealed_langevin(fixtures.noised_gaussian_score(m, s * s),
                                                  torch.full(shape, start, dtype=dtype),
                                                  torch.tensor(sigmas, dtype=F64), steps, eps)
    mean, var = hidden.annealed_moments(start, m, s * s, sigmas, steps, eps)
    check.mean_z(got, mean, var, p_fail=5e-7)
    check.variance_chi2(got, var, mean=mean, p_fail=5e-7)


@each
def test_annealed_langevin_reaches_the_ula_stationary_law(label):
    # One level, many steps: ULA with h = α/2 on N(m, v) has the stationary law N(m, v/(1 − h/(2v)))
    # (x' = (1 − h/v) x + (h/v) m + √(2h) z); after 400 steps at h/v = 0.1 the transient is 0.9^400 ~ 5e-19.
    m, s2, sigma, eps = -1.0, 0.5, 0.5, 0.15
    v, h = s2 + sigma**2, eps / 2
    got = IMPLEMENTATIONS[label].annealed_langevin(fixtures.noised_gaussian_score(m, s2),
                                                  torch.full((20_000, 1), 5.0, dtype=F64),
                                                  torch.tensor([sigma], dtype=F64), 400, eps)
    var = v / (1 - h / (2 * v))
    check.mean_z(got, m, var, p_fail=5e-7)
    check.variance_chi2(got, var, mean=m, p_fail=5e-7)


@each
def test_annealing_gets_the_mode_weights_and_plain_langevin_does_not(label):
    # The hidden mixture test's settings: the heavy mode's mass is about 0.74 with annealing and 0.50
    # with plain Langevin at σ_L (the same number of steps). Fisher's exact test against the grader's
    # own simulation (p_fail = 1e-6), and plain Langevin's mass is 0.5 within a binomial test.
    score = IMPLEMENTATIONS[label]
    run = hidden.MIXTURE_RUN
    sigmas = hidden._python_sigmas(*run["levels"])
    x0 = torch.linspace(-8.0, 8.0, run["n"], dtype=F64)[:, None]
    target = fixtures.noised_mixture_score(**hidden.MIXTURE)
    annealed = score.annealed_langevin(target, x0, torch.tensor(sigmas, dtype=F64), run["steps"], run["eps"])
    mine = hidden.simulate_annealed_mixture(x0, sigmas, run["steps"], run["eps"],
                                            generator=torch.Generator().manual_seed(11), **hidden.MIXTURE)
    a, b, n = int((annealed > 0).sum()), int((mine > 0).sum()), run["n"]
    assert stats.fisher_exact([[a, n - a], [b, n - b]]).pvalue >= 1e-6
    assert 0.70 < a / n < 0.80
    plain = score.annealed_langevin(target, x0, torch.tensor(sigmas[-1:], dtype=F64), run["steps"] * len(sigmas),
                                    run["eps"])
    check.binomial(int((plain > 0).sum()), n, 0.5, p_fail=1e-6)


@each
def test_eps_to_score_is_the_ddpm_marginal_score(label):
    # Gaussian data N(m, S): q(x_t) = N(√ᾱ m, ᾱ S + (1 − ᾱ) I); the exact ε-predictor turned into a score
    # equals autograd of that log-density.
    score = IMPLEMENTATIONS[label]
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=F64)
    ab = torch.cumprod(1 - betas, 0)
    m, S = torch.tensor([0.5, -1.0], dtype=F64), torch.tensor([[0.6, -0.2], [-0.2, 0.3]], dtype=F64)
    t = torch.tensor([0, 1, 10, 500, 999])
    x = torch.randn(5, 2, dtype=F64)
    eps = fixtures.gaussian_eps_predictor(ab.tolist(), m.tolist(), S.tolist())(x, t)
    got = score.eps_to_score(eps, fixtures.alpha_bars_only(ab), t)
    for i, ti in enumerate(t.tolist()):
        a = float(ab[ti])
        dist = torch.distributions.MultivariateNormal(math.sqrt(a) * m, a * S + (1 - a) * torch.eye(2, dtype=F64))
        xi = x[i].clone().requires_grad_(True)
        assert torch.allclose(got[i], torch.autograd.grad(dist.log_prob(xi), xi)[0], atol=1e-10)
    # a real DiffusionSchedule works too, and float32 keeps the float64 coefficient
    sched = reference_modules(3).diffusion.DiffusionSchedule(betas)
    e32 = torch.randn(5, 1, 2, 2)
    out = score.eps_to_score(e32, sched, t)
    assert out.dtype == torch.float32 and out.shape == (5, 1, 2, 2)
    want = -e32.to(F64) / (1 - ab[t]).sqrt().reshape(-1, 1, 1, 1)
    assert torch.allclose(out.to(F64), want, rtol=3e-7, atol=0)
