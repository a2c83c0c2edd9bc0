"""Oracle checks of the Week 1 reference solution (project tests, not shipped to students).

Each check compares the reference in solutions/week1_mle_sampling/ with something that does
not depend on it: enumeration of all outcomes, closed forms, torch.distributions, SciPy and
scikit-learn. Sampling is checked only lightly here; the hidden suite checks it statistically.
"""
import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch
from sklearn.mixture import GaussianMixture

from tests.weeks.helpers import reference_modules

_reference = reference_modules(1)
density, sampling, metrics = _reference.density, _reference.sampling, _reference.metrics

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def _random_spd(D: int, dtype=F64) -> torch.Tensor:
    """A well-conditioned (D, D) symmetric positive definite matrix."""
    a = torch.randn(D, D, dtype=dtype)
    return a @ a.T / D + 0.5 * torch.eye(D, dtype=dtype)


# ---------------------------------------------------------------------------------------
# density.py
# ---------------------------------------------------------------------------------------
def test_categorical_nll_closed_form_and_extreme_logits():
    # log_softmax([1e4, -1e4, 0]) = [0, -2e4, -1e4] exactly up to e^{-1e4}, so the mean NLL
    # of x = [0, 1, 2] is 1e4; both dtypes represent these numbers exactly.
    for dtype in (torch.float32, F64):
        logits = torch.tensor([1e4, -1e4, 0.0], dtype=dtype)
        nll = density.categorical_nll(logits, torch.tensor([0, 1, 2]))
        assert nll.shape == () and nll.dtype == dtype
        assert torch.isfinite(nll)
        assert abs(nll.item() - 1e4) <= 1e4 * 1e-6  # relative round-off of float32
    # Against torch.distributions on random logits, float64, batch 97 (round-off only).
    logits = torch.randn(7, dtype=F64) * 3
    x = torch.randint(0, 7, (97,))
    want = -torch.distributions.Categorical(logits=logits).log_prob(x).mean()
    assert abs(density.categorical_nll(logits, x).item() - want.item()) < 1e-12


def test_fit_categorical_matches_empirical_frequencies():
    x = torch.multinomial(torch.tensor([0.05, 0.1, 0.15, 0.3, 0.4]), 97, replacement=True)
    x[:5] = torch.arange(5)  # every class occurs, as the contract requires
    logits = density.fit_categorical(x, 5)
    assert logits.shape == (5,) and logits.dtype == torch.get_default_dtype()
    empirical = torch.bincount(x, minlength=5).double() / x.numel()  # the closed-form MLE
    err = (torch.softmax(logits.double(), 0) - empirical).abs().max().item()
    assert err < 0.01, f"softmax differs from the empirical frequencies by {err:.3g} (tol 0.01)"


def test_fit_categorical_default_dtype_float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(F64)
    try:
        logits = density.fit_categorical(torch.tensor([0, 1, 1, 2, 2, 2]), 3, num_steps=5)
    finally:
        torch.set_default_dtype(previous)
    assert logits.dtype == F64


def test_bits_per_dim_closed_forms():
    D = 784
    assert density.bits_per_dim(D * math.log(2), D) == pytest.approx(1.0, rel=1e-12)
    nll = torch.tensor([0.0, D * math.log(2) * 3], dtype=F64)
    assert torch.allclose(density.bits_per_dim(nll, D), torch.tensor([0.0, 3.0], dtype=F64))
    # A uniform density on [0, 1]^D (log density 0) over 256 levels is exactly 8 bits/dim.
    assert density.dequantized_bits_per_dim(0.0, D) == pytest.approx(8.0, rel=1e-12)
    assert density.dequantized_bits_per_dim(torch.zeros(3), 3, num_levels=2).allclose(torch.ones(3))


def _logistic_mixture_by_sigmoids(K, logit_weights, means, log_scales):
    """(K,) float64 probabilities of every value, from plain CDF differences (no fallback)."""
    edges = torch.arange(K + 1, dtype=F64) - 0.5                      # (K+1,)
    cdf = torch.sigmoid((edges.unsqueeze(-1) - means) / log_scales.exp())  # (K+1, M)
    cdf[0], cdf[-1] = 0.0, 1.0                                         # outer bins to +-inf
    mass = cdf[1:] - cdf[:-1]                                          # (K, M)
    return mass @ torch.softmax(logit_weights, 0), mass


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_discretized_logistic_normalizes_by_enumeration(dtype):
    # Contract: logsumexp over all K values is 0 within 2e-5. The fallback replaces a bin of
    # mass below 1e-5 by a smaller positive number; on each side of a component at most one
    # bin carries mass near 1e-5 (the next is smaller by e^{-1/scale}), so the loss stays
    # below 2e-5 (a fine sweep of log_scale and mean measured at most 1.92e-5).
    worst = 0.0
    for K in (2, 3, 10, 256):
        for log_scale in (-7.0, -3.14, -1.0, 0.0, 2.0, 6.0):
            for mean in (-1000.0, -0.5, 0.37, K / 2, K - 1.0, K + 40.0, 1000.0):
                logit_weights = torch.tensor([0.3, -0.2], dtype=dtype)
                means = torch.tensor([mean, K / 3], dtype=dtype)
                log_scales = torch.tensor([log_scale, log_scale + 0.5], dtype=dtype)
                log_p = density.discretized_logistic_mixture_log_prob(
                    torch.arange(K), logit_weights, means, log_scales, K)
                assert log_p.shape == (K,) and log_p.dtype == dtype
                assert torch.isfinite(log_p).all(), (K, log_scale, mean)
                worst = max(worst, abs(torch.logsumexp(log_p.double(), 0).item()))
    assert worst < 2e-5, f"|logsumexp| up to {worst:.3g} (tol 2e-5)"


def test_discretized_logistic_k1_and_values():
    log_p = density.discretized_logistic_mixture_log_prob(
        torch.zeros(5, dtype=torch.long), torch.zeros(1), torch.tensor([3.0]), torch.tensor([-7.0]), 1)
    assert torch.equal(log_p, torch.zeros(5))
    # Against plain float64 CDF differences where every bin is far above the fallback
    # threshold (every component's masses > 1e-4, so the subtraction of two float64
    # sigmoids loses at most ~1e-12 relative).
    K = 12
    logit_weights = torch.tensor([0.5, -0.3, 0.1], dtype=F64)
    means = torch.tensor([2.3, 6.0, 9.7], dtype=F64)
    log_scales = torch.tensor([0.4, 0.9, 0.2], dtype=F64)
    probs, mass = _logistic_mixture_by_sigmoids(K, logit_weights, means, log_scales)
    assert mass.min() > 1e-4
    x = torch.randint(0, K, (97,))
    got = density.discretized_logistic_mixture_log_prob(x, logit_weights, means, log_scales, K)
    assert torch.allclose(got, probs.log()[x], atol=1e-10, rtol=0)
    # Fallback bins: mass e^{-195}-ish, far below 1e-5, so log p is the log density at the
    # centre: log pdf(t) = -|t| - 2 log(1 + e^{-|t|}) - log s, with t = (v - mean) / s.
    v, mean, log_s = torch.tensor([5, 7]), 200.0, 0.0
    got = density.discretized_logistic_mixture_log_prob(
        v, torch.zeros(1, dtype=F64), torch.tensor([mean], dtype=F64), torch.tensor([log_s], dtype=F64), 20)
    t = (v.double() - mean) / math.exp(log_s)
    want = -t.abs() - 2 * torch.log1p(torch.exp(-t.abs())) - log_s
    assert torch.allclose(got, want, atol=1e-10, rtol=0)
    # float32 against float64, by probabilities (near the threshold the logs may differ).
    x = torch.arange(K)
    p32 = density.discretized_logistic_mixture_log_prob(
        x, logit_weights.float(), means.float(), log_scales.float(), K).exp().double()
    assert (p32 - probs).abs().max() < 1e-6  # float32 round-off on probabilities <= 1


def test_discretized_logistic_gradients_finite_at_small_scales():
    means = torch.tensor([3.3, -50.0], dtype=F64, requires_grad=True)
    log_scales = torch.tensor([-7.0, -7.0], dtype=F64, requires_grad=True)
    logit_weights = torch.zeros(2, dtype=F64, requires_grad=True)
    log_p = density.discretized_logistic_mixture_log_prob(
        torch.arange(10), logit_weights, means, log_scales, 10)
    log_p.sum().backward()
    for p in (means, log_scales, logit_weights):
        assert torch.isfinite(p.grad).all()


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_gaussian_log_prob_matches_torch_distributions(dtype):
    D = 4
    cov = _random_spd(D).to(dtype)
    mean = torch.randn(D, dtype=dtype)
    x = torch.randn(97, D, dtype=dtype) * 2
    got = density.gaussian_log_prob(x, mean, cov)
    want = torch.distributions.MultivariateNormal(mean.double(), cov.double()).log_prob(x.double())
    assert got.shape == (97,) and got.dtype == dtype
    tol = 1e-10 if dtype == F64 else 1e-4  # float32: ~1e-7 relative on values of order 10-100
    assert torch.allclose(got.double(), want, atol=tol, rtol=tol)


def test_gaussian_mle_is_sample_mean_and_biased_covariance():
    x = torch.randn(97, 3, dtype=F64) @ torch.randn(3, 3, dtype=F64) + 2
    mean, cov = density.gaussian_mle(x)
    assert torch.allclose(mean, x.mean(0), atol=1e-12)
    assert torch.allclose(cov, torch.from_numpy(np.cov(x.numpy().T, bias=True)), atol=1e-12)


def _mixture_data(N=301, dtype=F64):
    centres = torch.tensor([[0.0, 0.0], [4.0, 1.0], [-2.0, 5.0]], dtype=dtype)
    x = centres[torch.randint(0, 3, (N,))] + torch.randn(N, 2, dtype=dtype) * torch.tensor([1.0, 0.5], dtype=dtype)
    return x


def test_gmm_em_matches_scikit_learn_with_far_component():
    x = _mixture_data()
    # The third component starts far from all data: its responsibilities underflow to 0.
    init_means = torch.tensor([[1.0, 1.0], [2.0, 0.0], [50.0, 50.0]], dtype=F64)
    K, D, T = 3, 2, 40
    result = density.gmm_em(x, init_means, num_iters=T)
    assert result._fields == ("weights", "means", "covs", "log_likelihoods")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: tol=0 never converges
        gm = GaussianMixture(K, covariance_type="full", max_iter=T, tol=0, reg_covar=1e-6,
                             weights_init=np.full(K, 1 / K), means_init=init_means.numpy(),
                             precisions_init=np.stack([np.eye(D)] * K)).fit(x.numpy())
    # float64 round-off accumulated over 40 iterations (measured ~1e-14).
    for got, want in ((result.weights, gm.weights_), (result.means, gm.means_),
                      (result.covs, gm.covariances_)):
        assert torch.isfinite(got).all()
        np.testing.assert_allclose(got.numpy(), want, atol=1e-8, rtol=1e-8)
    np.testing.assert_allclose(result.log_likelihoods.numpy(), np.asarray(gm.lower_bounds_),
                               atol=1e-8, rtol=0)
    assert result.log_likelihoods.shape == (T,)
    assert (torch.diff(result.log_likelihoods) >= -1e-6).all()  # EM never decreases it


def test_gmm_em_first_log_likelihood_and_float32():
    x = _mixture_data(N=97)
    init_means = torch.randn(2, 2, dtype=F64)
    result = density.gmm_em(x, init_means, num_iters=1)
    # Entering iteration 0: weights 1/2, identity covariances.
    comps = [torch.distributions.MultivariateNormal(m, torch.eye(2, dtype=F64)) for m in init_means]
    want = torch.logsumexp(torch.stack([c.log_prob(x) for c in comps]) + math.log(0.5), 0).mean()
    assert abs(result.log_likelihoods[0].item() - want.item()) < 1e-12
    result32 = density.gmm_em(x.float(), init_means.float(), num_iters=20)
    assert result32.covs.dtype == torch.float32
    assert all(torch.isfinite(t).all() for t in result32)
    assert (torch.diff(result32.log_likelihoods) >= -1e-4).all()  # float32 round-off on O(3)
    with pytest.raises(ValueError):
        density.gmm_em(x, init_means, num_iters=0)


def test_kl_gaussian_matches_torch_distributions():
    D = 4
    m0, m1 = torch.randn(D, dtype=F64), torch.randn(D, dtype=F64)
    c0, c1 = _random_spd(D), _random_spd(D)
    got = density.kl_gaussian(m0, c0, m1, c1)
    want = torch.distributions.kl_divergence(torch.distributions.MultivariateNormal(m0, c0),
                                             torch.distributions.MultivariateNormal(m1, c1))
    assert got.shape == () and abs(got.item() - want.item()) < 1e-10
    assert abs(density.kl_gaussian(m0, c0, m0, c0).item()) < 1e-12


def test_kl_monte_carlo_agrees_with_closed_form():
    # p = N(0, 1), q = N(1, 4): log p - log q = log 2 - 3x^2/8 - x/4 + 1/8, whose variance
    # under p is (3/8)^2 Var(x^2) + (1/4)^2 Var(x) = 9/32 + 1/16 = 11/32. With N = 20000 the
    # estimate has sd sqrt(11/32 / 20000) = 0.00415; 5.33 sd = 0.0221 fails w.p. 1e-7.
    N = 20000
    samples = torch.randn(N, 1, dtype=F64)
    log_p = lambda z: torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_q = lambda z: torch.distributions.Normal(1.0, 2.0).log_prob(z).sum(-1)
    estimate = density.kl_monte_carlo(log_p, log_q, samples)
    exact = density.kl_gaussian(torch.zeros(1, dtype=F64), torch.eye(1, dtype=F64),
                                torch.ones(1, dtype=F64), 4 * torch.eye(1, dtype=F64))
    assert abs(exact.item() - (math.log(2) + 2 / 8 - 0.5)) < 1e-12
    assert estimate.shape == () and abs(estimate.item() - exact.item()) < 0.0221


def test_fit_gaussian_forward_is_maximum_likelihood():
    # sample_p returns the same fixed data every time, so the forward loss is deterministic
    # and its minimizer is the sample mean and the population std of the data, here a
    # bimodal sample (+-3, sd 0.5): forward KL covers both modes (std about 3).
    data = torch.where(torch.rand(512) < 0.5, 3.0, -3.0) + 0.5 * torch.randn(512)
    mean, std = density.fit_gaussian(None, lambda n: data[:n], "forward", num_steps=500)
    assert isinstance(mean, float) and isinstance(std, float)
    # Adam at lr 0.05 on a deterministic convex loss: measured error < 1e-5; 1e-3 is loose.
    assert abs(mean - data.mean().item()) < 1e-3
    assert abs(std - data.std(correction=0).item()) < 1e-3
    with pytest.raises(ValueError):
        density.fit_gaussian(None, lambda n: data[:n], "sideways")


def test_fit_gaussian_reverse_seeks_one_mode():
    # Seeded (deterministic). Target: equal mixture of N(+-3, 0.5^2). Starting at 1, reverse
    # KL settles on the +3 mode with std near 0.5; the tolerances (0.3 on the mean, std
    # below 1) are several times Adam's stationary fluctuation measured at lr 0.05 (~0.05).
    def log_p(z):
        comps = torch.stack([-0.5 * ((z - 3) / 0.5) ** 2, -0.5 * ((z + 3) / 0.5) ** 2])
        return torch.logsumexp(comps, 0) - math.log(2 * 0.5 * math.sqrt(2 * math.pi))
    mean, std = density.fit_gaussian(log_p, None, "reverse", num_steps=500, init_mean=1.0)
    assert abs(mean - 3.0) < 0.3 and std < 1.0, (mean, std)


# ---------------------------------------------------------------------------------------
# sampling.py (light: the hidden suite tests the samplers statistically)
# ---------------------------------------------------------------------------------------
def test_sample_categorical_without_multinomial_chi_square(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("torch.multinomial is forbidden in sample_categorical")
    monkeypatch.setattr(torch, "multinomial", forbidden)
    monkeypatch.setattr(torch.Tensor, "multinomial", forbidden)
    probs = torch.tensor([2.0, 0.0, 1.0, 3.0, 4.0], dtype=F64)  # unnormalized, one zero
    S = 100_000
    samples = sampling.sample_categorical(probs, S)
    assert samples.shape == (S,) and samples.dtype == torch.int64
    counts = torch.bincount(samples, minlength=5)
    assert counts[1] == 0
    # Pearson chi-square on the 4 positive classes (3 dof); the threshold is the 1 - 1e-7
    # quantile, so a correct sampler fails with probability 1e-7.
    expected = (probs / probs.sum() * S)[probs > 0]
    chi2 = ((counts[probs > 0] - expected) ** 2 / expected).sum().item()
    assert chi2 < scipy.stats.chi2.ppf(1 - 1e-7, df=3), chi2


def test_sample_categorical_round_off_guard(monkeypatch):
    # In float32 the normalized cumsum of these probabilities ends at 1 - 2^-23 < 1 - 2^-24,
    # the largest value torch.rand returns; such a u must go to the last positive class (5),
    # never to the zero-probability class 6 or to index 7.
    probs = torch.tensor([0.7555854320526123, 0.6755136251449585, 0.5806759595870972,
                          0.620780348777771, 0.9392261505126953, 0.6821156740188599, 0.0])
    assert torch.cumsum(probs / probs.sum(), 0)[-1] < 1 - 2 ** -24
    def largest_uniform(*size, dtype=None, device=None, **kwargs):
        shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)) else size
        return torch.full(tuple(shape), 1 - 2 ** -24, dtype=dtype, device=device)

    monkeypatch.setattr(torch, "rand", largest_uniform)
    assert (sampling.sample_categorical(probs, 3) == 5).all()


def test_samplers_degenerate_cases_and_dtypes():
    # Target = proposal and M = 1: log u < 0 always holds, so every proposal is accepted.
    normal = torch.distributions.Normal(torch.zeros((), dtype=F64), torch.ones((), dtype=F64))
    samples, rate = sampling.rejection_sample(lambda x: normal.log_prob(x).sum(-1),
                                              lambda n: normal.sample((n, 2)),
                                              lambda x: normal.log_prob(x).sum(-1), 0.0, 97)
    assert samples.shape == (97, 2) and samples.dtype == F64 and rate == 1.0
    # A flat target: every MH proposal is accepted, and the chain is a Gaussian random walk.
    x0 = torch.zeros(97, 3, dtype=F64)
    flat = lambda x: torch.zeros(x.shape[0], dtype=F64)
    chain, rate = sampling.metropolis_hastings(flat, x0, 5, 0.5)
    assert chain.shape == (5, 97, 3) and chain.dtype == F64 and rate == 1.0
    assert (chain[0] != x0).all()
    out = sampling.langevin(lambda x: -x, x0, 3, 0.1)
    assert out.shape == (97, 3) and out.dtype == F64 and torch.isfinite(out).all()
    # A deterministic cycle 0 -> 1 -> 2 -> 0 from state 0.
    seqs = sampling.sample_markov_chain(torch.tensor([1.0, 0, 0]), torch.roll(torch.eye(3), 1, 1), 7, 5)
    assert seqs.dtype == torch.int64
    assert torch.equal(seqs, torch.tensor([0, 1, 2, 0, 1, 2, 0]).expand(5, 7))
    for bad in (lambda: sampling.sample_categorical(torch.ones(3), 0),
                lambda: sampling.rejection_sample(None, None, None, 0.0, 0),
                lambda: sampling.sample_markov_chain(torch.ones(3), torch.ones(3, 3), 4, 0)):
        with pytest.raises(ValueError):
            bad()


def test_filters_on_crafted_logits():
    probs = torch.tensor([[0.05, 0.5, 0.15, 0.3], [0.4, 0.1, 0.2, 0.3]], dtype=F64)
    logits = probs.log() + torch.tensor([[1.0], [-2.0]], dtype=F64)  # row shifts: same softmax
    kept_k = torch.isfinite(sampling.top_k_filter(logits, 2))
    assert torch.equal(kept_k, torch.tensor([[False, True, False, True], [True, False, False, True]]))
    # p = 0.75, away from every cumulative sum: row 0 keeps 0.5 + 0.3 = 0.8, row 1 needs
    # 0.4 + 0.3 + 0.2 = 0.9.
    filtered = sampling.top_p_filter(logits, 0.75)
    assert torch.equal(torch.isfinite(filtered),
                       torch.tensor([[False, True, False, True], [True, False, True, True]]))
    kept = torch.isfinite(filtered)
    assert torch.equal(filtered[kept], logits[kept])  # kept logits unchanged
    assert torch.equal(sampling.top_p_filter(logits, 1.0), logits)
    assert torch.equal(sampling.top_k_filter(logits, 4), logits)
    # top_k = 1 makes sampling deterministic: the argmax of every row.
    assert torch.equal(sampling.sample_from_logits(logits, temperature=0.7, top_k=1), torch.tensor([1, 0]))
    for bad in (lambda: sampling.top_k_filter(logits, 0), lambda: sampling.top_p_filter(logits, 0.0),
                lambda: sampling.top_p_filter(logits, 1.5),
                lambda: sampling.sample_from_logits(logits, temperature=0.0)):
        with pytest.raises(ValueError):
            bad()


# ---------------------------------------------------------------------------------------
# metrics.py
# ---------------------------------------------------------------------------------------
def _frechet_with_sqrtm(mu1, s1, mu2, s2):
    """The usual FID formula with scipy.linalg.sqrtm (float64)."""
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_frechet_distance_matches_sqrtm_and_accepts_arrays():
    D = 6
    mu1, mu2 = np.random.default_rng(1).normal(size=(2, D))
    s1, s2 = _random_spd(D).numpy(), _random_spd(D).numpy()
    want = _frechet_with_sqrtm(mu1, s1, mu2, s2)
    for args in ((mu1, s1, mu2, s2), tuple(torch.from_numpy(a) for a in (mu1, s1, mu2, s2)),
                 tuple(torch.from_numpy(a).float() for a in (mu1, s1, mu2, s2))):
        got = metrics.frechet_distance(*args)
        assert isinstance(got, float)
        # float64 inputs: contract 1e-6 relative; float32 inputs lose ~1e-7 relative per entry.
        tol = 1e-6 * abs(want) + 1e-8 if args[0].dtype != torch.float32 else 1e-5 * abs(want)
        assert abs(got - want) <= tol, (got, want)
    assert abs(metrics.frechet_distance(mu1, s1, mu1, s1)) < 1e-8  # clamped, round-off only


def test_frechet_distance_singular_covariances():
    # Commuting (diagonal) covariances, rank 2 of 5: the exact value is
    # ||mu1 - mu2||^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2.
    a = torch.tensor([2.0, 0.5, 0.0, 0.0, 0.0], dtype=F64)
    b = torch.tensor([0.0, 1.5, 3.0, 0.0, 0.0], dtype=F64)
    mu1, mu2 = torch.zeros(5, dtype=F64), torch.full((5,), 0.1, dtype=F64)
    want = 0.05 + ((a.sqrt() - b.sqrt()) ** 2).sum().item()
    got = metrics.frechet_distance(mu1, torch.diag(a), mu2, torch.diag(b))
    # sqrt of round-off-level eigenvalues (~1e-16) adds up to ~1e-8 per dimension.
    assert math.isfinite(got) and abs(got - want) < 1e-6
    # Rotated low-rank covariances, identical: finite, >= 0 and 0 up to the same round-off.
    q, _ = torch.linalg.qr(torch.randn(5, 5, dtype=F64))
    low_rank = q[:, :2] @ torch.diag(torch.tensor([3.0, 0.2], dtype=F64)) @ q[:, :2].T
    got = metrics.frechet_distance(mu1, low_rank, mu1, low_rank)
    assert math.isfinite(got) and 0 <= got < 1e-6
    other = torch.randn(5, 3, dtype=F64)
    got = metrics.frechet_distance(mu1, low_rank, mu2, other @ other.T)
    assert math.isfinite(got) and got >= 0


def test_inception_score_against_scipy_entropy():
    N, C, S = 97, 10, 4
    probs = torch.softmax(torch.randn(N, C, dtype=F64) * 2, 1)
    probs[0] = torch.nn.functional.one_hot(torch.tensor(3), C)  # a row with zeros: 0 log 0 = 0
    p = probs.numpy()
    scores = []
    for i in range(S):
        part = p[i * N // S:(i + 1) * N // S]
        scores.append(np.exp(np.mean([scipy.stats.entropy(row, part.mean(0)) for row in part])))
    mean, std = metrics.inception_score(probs, num_splits=S)
    assert isinstance(mean, float) and isinstance(std, float)
    assert abs(mean - np.mean(scores)) < 1e-10 and abs(std - np.std(scores)) < 1e-10
    # Balanced one-hot over C classes: exactly C, and the float32 input gives the same.
    one_hot = torch.eye(C).repeat(3, 1)
    mean, std = metrics.inception_score(one_hot)
    assert abs(mean - C) < 1e-9 and std == 0.0


def _precision_recall_brute_force(real, fake, k):
    def radii(a):
        d = np.linalg.norm(a[:, None] - a[None], axis=-1)
        return np.array([np.sort(np.delete(d[i], i))[k - 1] for i in range(len(a))])

    def coverage(points, centres, r):
        d = np.linalg.norm(points[:, None] - centres[None], axis=-1)
        return float(np.mean([np.any(d[j] <= r) for j in range(len(points))]))

    return coverage(fake, real, radii(real)), coverage(real, fake, radii(fake))


def test_precision_recall_brute_force_with_duplicates():
    real = torch.randn(37, 2, dtype=F64)
    real[30:] = real[:7]                          # duplicates count as other points (radius 0 at k=1)
    fake = torch.randn(41, 2, dtype=F64) * 1.5 + 0.5
    fake[:5] = real[:5]                           # some fakes coincide with real points
    for k in (1, 3):
        got = metrics.precision_recall(real, fake, k=k)
        want = _precision_recall_brute_force(real.numpy(), fake.numpy(), k)
        assert got == pytest.approx(want, abs=1e-12), (k, got, want)
    assert metrics.precision_recall(real, real + 0.0, k=3) == (1.0, 1.0)
    assert metrics.precision_recall(real, fake + 1000.0, k=3) == (0.0, 0.0)
    with pytest.raises(ValueError):
        metrics.precision_recall(real, fake, k=0)


def test_mmd_rbf_against_double_loop():
    x, y = torch.randn(13, 3, dtype=F64), torch.randn(17, 3, dtype=F64) + 0.3
    h = 1.3
    k = lambda a, b: math.exp(-float(((a - b) ** 2).sum()) / (2 * h * h))
    xx = sum(k(x[i], x[j]) for i in range(13) for j in range(13) if i != j) / (13 * 12)
    yy = sum(k(y[i], y[j]) for i in range(17) for j in range(17) if i != j) / (17 * 16)
    xy = sum(k(x[i], y[j]) for i in range(13) for j in range(17)) / (13 * 17)
    got = metrics.mmd_rbf(x, y, h)
    assert isinstance(got, float) and abs(got - (xx + yy - 2 * xy)) < 1e-12
    assert abs(metrics.mmd_rbf(x.float(), y.float(), h) - got) < 1e-6  # float32 inputs
    with pytest.raises(ValueError):
        metrics.mmd_rbf(x[:1], y, h)
