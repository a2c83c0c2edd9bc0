"""Oracle checks of the week-1 alternative implementation (autograder/weeks/week1_mle_sampling/alternative).

The alternative is a second correct implementation that every hidden test must accept, so it is
itself checked here against references that need no course code: enumeration, closed forms,
torch.distributions, SciPy and scikit-learn. Statistical checks state their false-failure
probability (at most 1e-6) and where their threshold comes from.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch

from tests.weeks.helpers import alternative_modules

torch.set_num_threads(1)

_alternative = alternative_modules(1)
density, sampling, metrics = _alternative.density, _alternative.sampling, _alternative.metrics


def _random_spd(dim: int, generator: torch.Generator) -> torch.Tensor:
    """A well-conditioned SPD (dim, dim) float64 matrix: A A^T / dim + 0.5 I."""
    a = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
    return a @ a.T / dim + 0.5 * torch.eye(dim, dtype=torch.float64)


# ---------------------------------------------------------------- density.py


def test_categorical_nll_matches_cross_entropy_and_stays_finite():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(7, generator=g, dtype=torch.float64)
    x = torch.randint(0, 7, (97,), generator=g)
    expected = torch.nn.functional.cross_entropy(logits.expand(97, 7), x)
    # float64 on both sides; 1e-12 covers summation-order rounding.
    assert abs(density.categorical_nll(logits, x).item() - expected.item()) < 1e-12
    huge = torch.tensor([1e4, -1e4, 0.0])
    nll = density.categorical_nll(huge, torch.tensor([0, 1, 2]))
    # exact value: log Z = 1e4 (up to e^-1e4), nll = 1e4 - mean(1e4, -1e4, 0) = 1e4
    assert torch.isfinite(nll) and abs(nll.item() - 1e4) < 1e-2  # float32 spacing at 1e4 is ~1e-3


def test_fit_categorical_reaches_empirical_frequencies():
    g = torch.Generator().manual_seed(2)
    x = torch.multinomial(torch.tensor([0.1, 0.4, 0.2, 0.3]), 301, replacement=True, generator=g)
    logits = density.fit_categorical(x, 4)
    assert logits.shape == (4,) and logits.dtype == torch.get_default_dtype()
    freqs = torch.bincount(x, minlength=4).to(logits.dtype) / x.numel()
    # the contract's tolerance for the closed-form MLE when every class occurs
    assert (torch.softmax(logits, -1) - freqs).abs().max().item() < 0.01


MIXTURE_CASES = [
    # (num_classes, logit_weights, means, log_scales)
    (2, [0.0, 1.0], [0.3, 1.2], [0.0, -1.0]),
    (10, [0.5, -0.5, 0.0], [-500.0, 3.3, 400.0], [-7.0, -7.0, -7.0]),
    (17, [0.0, 0.0, 2.0], [-1e4, 8.0, 1e4], [-7.0, -3.0, 2.0]),
    (256, [1.0, 0.0, -1.0, 0.3], [20.5, 128.0, 250.2, -3000.0], [-7.0, -0.5, 1.5, -7.0]),
    (64, [0.0], [31.0], [-7.0]),  # all mass in one bin, every other bin on the fallback
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("case", MIXTURE_CASES)
def test_discretized_logistic_normalizes_by_enumeration(case, dtype):
    num_classes, w, mu, log_s = case
    x = torch.arange(num_classes)  # every outcome once
    log_p = density.discretized_logistic_mixture_log_prob(
        x, torch.tensor(w, dtype=dtype), torch.tensor(mu, dtype=dtype), torch.tensor(log_s, dtype=dtype), num_classes
    )
    assert log_p.shape == (num_classes,) and log_p.dtype == dtype
    assert torch.isfinite(log_p).all()
    total = torch.logsumexp(log_p.to(torch.float64), dim=0).item()
    # contract: within 2e-5 of 0 (the fallback costs up to about 1.7e-5; float32 casts add ~1e-7)
    assert abs(total) < 2e-5, f"logsumexp over all {num_classes} values is {total:.3g}, tolerance 2e-5"


def test_discretized_logistic_single_class_is_certain():
    log_p = density.discretized_logistic_mixture_log_prob(
        torch.zeros(5, dtype=torch.int64), torch.zeros(2), torch.tensor([-3.0, 40.0]), torch.tensor([-7.0, 1.0]), 1
    )
    assert torch.equal(log_p, torch.zeros(5))


def test_discretized_logistic_matches_scipy_logistic():
    # Moderate parameters: every bin's CDF difference exceeds 1e-5, so no fallback is involved.
    num_classes = 8
    w = np.array([0.2, -0.4, 0.7])
    mu = np.array([1.3, 4.0, 6.6])
    s = np.exp(np.array([0.0, 0.3, -0.2]))
    weights = np.exp(w) / np.exp(w).sum()
    v = np.arange(num_classes)
    upper = np.where(v == num_classes - 1, np.inf, v + 0.5)
    lower = np.where(v == 0, -np.inf, v - 0.5)
    cdf = scipy.stats.logistic.cdf
    probs = sum(weights[m] * (cdf(upper, mu[m], s[m]) - cdf(lower, mu[m], s[m])) for m in range(3))  # (K,)
    x = torch.tensor([0, 7, 3, 3, 5, 1, 6, 2, 4])
    log_p = density.discretized_logistic_mixture_log_prob(
        x, torch.tensor(w), torch.tensor(mu), torch.tensor(np.log(s)), num_classes
    )
    # float64 on both sides; 1e-10 covers the differences of log-sigmoid vs SciPy's CDF
    np.testing.assert_allclose(log_p.numpy(), np.log(probs[x.numpy()]), rtol=0, atol=1e-10)


def test_discretized_logistic_fallback_is_log_density_at_centre():
    # Scale e^-7: bins 2 and 4 lie >1000 scales from the mean 3.0, far below the 1e-5 threshold.
    log_p = density.discretized_logistic_mixture_log_prob(
        torch.tensor([2, 4]), torch.zeros(1, dtype=torch.float64), torch.tensor([3.0], dtype=torch.float64),
        torch.tensor([-7.0], dtype=torch.float64), 6,
    )
    expected = scipy.stats.logistic.logpdf(np.array([2.0, 4.0]), loc=3.0, scale=math.exp(-7.0))
    np.testing.assert_allclose(log_p.numpy(), expected, rtol=1e-12)  # float64 on both sides


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_gaussian_log_prob_matches_torch_distributions(dtype, tol):
    # tol: float64 rounding on log-densities of size ~10; float32 eps (1.2e-7) times that size, with margin
    g = torch.Generator().manual_seed(3)
    cov = _random_spd(4, g)
    mean = torch.randn(4, generator=g, dtype=torch.float64)
    x = torch.randn(97, 4, generator=g, dtype=torch.float64) * 2
    expected = torch.distributions.MultivariateNormal(mean, covariance_matrix=cov).log_prob(x)
    got = density.gaussian_log_prob(x.to(dtype), mean.to(dtype), cov.to(dtype))
    assert got.shape == (97,) and got.dtype == dtype
    assert (got.to(torch.float64) - expected).abs().max().item() < tol


def test_gaussian_mle_matches_numpy():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(97, 3, generator=g, dtype=torch.float64)
    mean, cov = density.gaussian_mle(x)
    # float64 on both sides; 1e-12 covers summation order
    np.testing.assert_allclose(mean.numpy(), x.numpy().mean(0), atol=1e-12)
    np.testing.assert_allclose(cov.numpy(), np.cov(x.numpy(), rowvar=False, bias=True), atol=1e-12)


def _gmm_data() -> torch.Tensor:
    g = torch.Generator().manual_seed(5)
    centres = torch.tensor([[0.0, 0.0], [4.0, 1.0], [-2.0, 5.0]], dtype=torch.float64)
    shear = torch.tensor([[1.0, 0.3], [0.0, 0.7]], dtype=torch.float64)
    return centres[torch.arange(501) % 3] + torch.randn(501, 2, generator=g, dtype=torch.float64) @ shear  # (501, 2)


@pytest.mark.parametrize("far", [False, True], ids=["near_init", "far_component"])
def test_gmm_em_matches_sklearn_and_is_monotone(far):
    from sklearn.mixture import GaussianMixture

    x = _gmm_data()
    init = x[[0, 1, 2]] + 0.5
    if far:
        init[2] = torch.tensor([60.0, 60.0], dtype=torch.float64)  # no data near it: N_k underflows
    num_iters, reg = 100, 1e-6
    fit = density.gmm_em(x, init, num_iters=num_iters, reg_covar=reg)
    assert fit.weights.shape == (3,) and fit.means.shape == (3, 2) and fit.covs.shape == (3, 2, 2)
    assert fit.log_likelihoods.shape == (num_iters,)
    assert all(torch.isfinite(t).all() for t in fit)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 never "converges"
        gm = GaussianMixture(
            3, covariance_type="full", max_iter=num_iters, tol=0, reg_covar=reg,
            weights_init=np.full(3, 1 / 3), means_init=init.numpy(),
            precisions_init=np.stack([np.eye(2)] * 3), random_state=0,
        ).fit(x.numpy())
    # Same float64 algorithm through different triangular solves: observed gaps ~1e-15; 1e-8 leaves room
    # for rounding carried through 100 (contracting) EM iterations.
    np.testing.assert_allclose(fit.weights.numpy(), gm.weights_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.means.numpy(), gm.means_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.covs.numpy(), gm.covariances_, rtol=0, atol=1e-8)
    # sklearn's lower bound of iteration i is the mean log-likelihood at its E-step i
    np.testing.assert_allclose(fit.log_likelihoods.numpy(), np.asarray(gm.lower_bounds_), rtol=0, atol=1e-8)

    # log_likelihoods[0] is the mean log-likelihood under the initial parameters (weights 1/3, identity covs)
    components = torch.distributions.MultivariateNormal(init, covariance_matrix=torch.eye(2, dtype=torch.float64))
    ll0 = torch.logsumexp(components.log_prob(x[:, None, :]) + math.log(1 / 3), dim=1).mean().item()  # (N, K) -> (N,)
    assert abs(fit.log_likelihoods[0].item() - ll0) < 1e-10  # float64 rounding
    # EM never decreases the likelihood; the contract allows 1e-6 (the 10 eps added to N_k)
    assert torch.diff(fit.log_likelihoods).min().item() > -1e-6


def test_gmm_em_float32_keeps_dtype():
    x = _gmm_data()
    fit = density.gmm_em(x.float(), x[[0, 1, 2]].float(), num_iters=5)
    assert all(t.dtype == torch.float32 for t in fit)
    assert type(fit).__name__ != "GMMResult" and fit._fields == ("weights", "means", "covs", "log_likelihoods")


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-4)])
def test_kl_gaussian_matches_torch_distributions(dtype, tol):
    # tol: float64 rounding; float32 eps times KL of a few nats and the conditioning, with margin
    g = torch.Generator().manual_seed(6)
    cov0, cov1 = _random_spd(5, g), _random_spd(5, g)
    mean0, mean1 = torch.randn(5, generator=g, dtype=torch.float64), torch.randn(5, generator=g, dtype=torch.float64)
    expected = torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(mean0, cov0), torch.distributions.MultivariateNormal(mean1, cov1)
    ).item()
    got = density.kl_gaussian(mean0.to(dtype), cov0.to(dtype), mean1.to(dtype), cov1.to(dtype))
    assert got.shape == () and got.dtype == dtype
    assert abs(got.item() - expected) < tol * max(1.0, expected)
    assert abs(density.kl_gaussian(mean0, cov0, mean0, cov0).item()) < 1e-12  # KL(p || p) = 0


def test_bits_per_dim_closed_forms():
    # nll = D ln 2 nats is exactly 1 bit per dimension
    assert abs(density.bits_per_dim(torch.tensor([6 * math.log(2.0)]), 6).item() - 1.0) < 1e-6  # float32 rounding
    # a uniform density (log 1 = 0) on [0,1]^D over 256 levels costs 8 bits per dimension
    assert abs(density.dequantized_bits_per_dim(0.0, 10, 256) - 8.0) < 1e-12


# ---------------------------------------------------------------- sampling.py


def test_sample_categorical_chi_square(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("torch.multinomial is not allowed in sample_categorical")

    monkeypatch.setattr(torch, "multinomial", forbidden)
    torch.manual_seed(7)
    weights = torch.tensor([2.0, 4.0, 6.0, 3.0, 5.0, 0.0])  # unnormalized; class 5 impossible
    n = 100_000
    draws = sampling.sample_categorical(weights, n)
    assert draws.shape == (n,) and draws.dtype == torch.int64
    counts = torch.bincount(draws, minlength=6).numpy()
    assert counts[5] == 0  # probability exactly 0: cannot fail by chance
    expected = n * weights[:5].numpy() / weights.sum().item()
    stat = float(((counts[:5] - expected) ** 2 / expected).sum())
    # Pearson chi-square with 4 degrees of freedom; every expected count >= 1e4, where the chi-square
    # approximation is accurate. False-failure probability 1e-6.
    threshold = scipy.stats.chi2.isf(1e-6, df=4)
    assert stat < threshold, f"chi-square {stat:.2f} above {threshold:.2f} (false-failure probability 1e-6)"


def test_metropolis_hastings_one_step_from_stationarity():
    torch.manual_seed(8)
    num_chains, step = 100_000, 1.0
    x0 = torch.randn(num_chains, 1, dtype=torch.float64)  # exact draws from pi = N(0, 1)
    chain, rate = sampling.metropolis_hastings(lambda z: -0.5 * (z**2).sum(-1), x0, 1, step)
    assert chain.shape == (1, num_chains, 1) and isinstance(rate, float)
    # (a) invariance: chains are independent and each is exactly N(0, 1) after one step, so
    #     sum x^2 ~ chi2(C); two-sided, 0.5e-6 per tail: false-failure probability 1e-6.
    stat = float((chain[0] ** 2).sum())
    lo, hi = scipy.stats.chi2.ppf(0.5e-6, num_chains), scipy.stats.chi2.isf(0.5e-6, num_chains)
    assert lo < stat < hi, f"sum of squares {stat:.0f} outside [{lo:.0f}, {hi:.0f}]"
    # (b) movement: with d = step z, (x^2 - x'^2)/2 | d ~ N(-d^2/2, d^2), so
    #     P(accept) = E[2 Phi(-|d|/2)] = (2/pi) arctan(2/step). The number accepted is
    #     Binomial(C, a); two-sided exact binomial bounds, 0.5e-6 per tail: false-failure 1e-6.
    a = 2.0 / math.pi * math.atan(2.0 / step)
    accepted = round(rate * num_chains)
    lo, hi = scipy.stats.binom.ppf(0.5e-6, num_chains, a), scipy.stats.binom.isf(0.5e-6, num_chains, a)
    assert lo <= accepted <= hi, f"{accepted} accepted, expected within [{lo:.0f}, {hi:.0f}]"


def test_langevin_variance_from_a_point_start():
    # ULA on N(0, 1) (score -x) from x0 = 0: x_n ~ N(0, v (1 - (1 - h)^(2n))), v = 1/(1 - h/2), exactly.
    torch.manual_seed(9)
    num_chains, h, n = 100_000, 0.1, 30
    x = sampling.langevin(lambda z: -z, torch.zeros(num_chains, 1, dtype=torch.float64), n, h)
    assert x.shape == (num_chains, 1) and x.dtype == torch.float64
    var = (1.0 - (1.0 - h) ** (2 * n)) / (1.0 - h / 2.0)
    stat = float((x**2).sum()) / var  # ~ chi2(C): independent chains
    lo, hi = scipy.stats.chi2.ppf(0.5e-6, num_chains), scipy.stats.chi2.isf(0.5e-6, num_chains)
    assert lo < stat < hi  # two-sided, 0.5e-6 per tail: false-failure probability 1e-6


def test_rejection_sample_ks():
    # p~(x) = exp(-x^2/2), q = N(0, 4): p~/q = 2 sqrt(2 pi) exp(-3x^2/8) <= M = 2 sqrt(2 pi)
    torch.manual_seed(10)
    log_m = math.log(2.0 * math.sqrt(2.0 * math.pi))
    samples, rate = sampling.rejection_sample(
        lambda z: -0.5 * z**2,
        lambda n: 2.0 * torch.randn(n, dtype=torch.float64),
        lambda z: -0.5 * (z / 2.0) ** 2 - math.log(2.0) - 0.5 * math.log(2 * math.pi),
        log_m,
        5001,
    )
    assert samples.shape == (5001,) and isinstance(rate, float) and 0.0 < rate <= 1.0
    # Accepted draws are i.i.d. N(0, 1); the exact KS p-value is below 1e-6 with probability 1e-6.
    assert scipy.stats.kstest(samples.numpy(), "norm").pvalue > 1e-6


def test_markov_chain_follows_deterministic_cycle():
    # A permutation chain: every transition is certain, so the test cannot fail by chance.
    paths = sampling.sample_markov_chain(
        torch.tensor([0.0, 5.0, 0.0]), torch.tensor([[0.0, 0.0, 2.0], [3.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), 7, 11
    )
    assert paths.shape == (11, 7) and paths.dtype == torch.int64
    assert torch.equal(paths, torch.tensor([1, 0, 2, 1, 0, 2, 1]).expand(11, 7))


def test_top_k_and_top_p_on_crafted_logits():
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.5, -1.0], [0.0, -2.0, 4.0, 1.0, 3.5]])
    inf = float("-inf")
    assert torch.equal(sampling.top_k_filter(logits, 2), torch.tensor([[inf, 3.0, 2.0, inf, inf], [inf, inf, 4.0, inf, 3.5]]))
    assert torch.equal(sampling.top_k_filter(logits, 5), logits)
    # row 0 softmax sorted: 0.624, 0.229, 0.084, ... -> p = 0.8 needs 2 tokens (0.853), p = 0.5 one
    # row 1 softmax sorted: 0.567, 0.344, 0.0766, ... -> p = 0.8 needs 2 tokens (0.911), p = 0.5 one
    assert torch.equal(sampling.top_p_filter(logits, 0.8), torch.tensor([[inf, 3.0, 2.0, inf, inf], [inf, inf, 4.0, inf, 3.5]]))
    assert torch.equal(sampling.top_p_filter(logits, 0.5), torch.tensor([[inf, 3.0, inf, inf, inf], [inf, inf, 4.0, inf, inf]]))
    assert torch.equal(sampling.top_p_filter(logits, 1.0), logits)
    # with top_k = 1 every draw is the argmax, whatever the random numbers
    assert torch.equal(sampling.sample_from_logits(logits, temperature=0.7, top_k=1), torch.tensor([1, 2]))


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: density.gmm_em(torch.zeros(5, 2), torch.zeros(2, 2), num_iters=0), "num_iters"),
        (lambda: density.fit_gaussian(lambda z: z, lambda n: torch.zeros(n), "sideways"), "direction"),
        (lambda: sampling.sample_categorical(torch.ones(3), 0), "num_samples"),
        (lambda: sampling.rejection_sample(lambda z: z, torch.randn, lambda z: z, 0.0, 0), "num_samples"),
        (lambda: sampling.sample_markov_chain(torch.ones(2), torch.ones(2, 2), 3, 0), "num_samples"),
        (lambda: sampling.top_k_filter(torch.zeros(1, 4), 0), "k"),
        (lambda: sampling.top_p_filter(torch.zeros(1, 4), 0.0), "p"),
        (lambda: sampling.top_p_filter(torch.zeros(1, 4), 1.5), "p"),
        (lambda: sampling.sample_from_logits(torch.zeros(1, 4), temperature=0.0), "temperature"),
        (lambda: metrics.mmd_rbf(torch.zeros(1, 2), torch.zeros(5, 2), 1.0), "x"),
        (lambda: metrics.mmd_rbf(torch.zeros(5, 2), torch.zeros(1, 2), 1.0), "y"),
    ],
)
def test_graded_value_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# ---------------------------------------------------------------- metrics.py


def test_frechet_distance_matches_sqrtm():
    g = torch.Generator().manual_seed(11)
    s1, s2 = _random_spd(6, g), _random_spd(6, g)
    m1, m2 = torch.randn(6, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    a1, a2 = s1.numpy(), s2.numpy()
    root1 = scipy.linalg.sqrtm(a1).real
    exact = float(((m1 - m2) ** 2).sum()) + np.trace(a1 + a2 - 2.0 * scipy.linalg.sqrtm(root1 @ a2 @ root1).real)
    got = metrics.frechet_distance(m1.float(), s1.float(), m2.float(), s2.float())
    got64 = metrics.frechet_distance(m1.numpy(), a1, m2.numpy(), a2)
    assert isinstance(got, float) and isinstance(got64, float)
    assert abs(got64 - exact) <= 1e-6 * abs(exact)  # contract tolerance, float64 inputs
    assert abs(got - exact) <= 1e-5 * abs(exact)  # float32 inputs: float32 eps (1.2e-7) on entries, amplified
    assert metrics.frechet_distance(m1, s1, m1, s1) < 1e-8  # identical Gaussians: 0 (contract's absolute tolerance)
    # rank-deficient covariances: finite and non-negative
    v = torch.randn(6, 2, generator=g, dtype=torch.float64)
    singular = v @ v.T  # (6, 6), rank 2
    d = metrics.frechet_distance(m1, singular, m2, torch.zeros(6, 6, dtype=torch.float64))
    assert math.isfinite(d) and d >= 0.0
    # against zero covariance the distance is ||m1 - m2||^2 + tr(S1) exactly
    assert abs(d - float(((m1 - m2) ** 2).sum() + singular.trace())) < 1e-9 * d  # float64 rounding


def test_inception_score_brute_force():
    g = torch.Generator().manual_seed(12)
    probs = torch.softmax(3 * torch.randn(11, 4, generator=g, dtype=torch.float64), dim=-1)
    probs[0] = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64)  # exercises 0 log 0 = 0
    rows = probs.tolist()
    scores = []
    for i in range(3):
        part = rows[i * 11 // 3 : (i + 1) * 11 // 3]
        marginal = [sum(r[c] for r in part) / len(part) for c in range(4)]
        kl = [sum(r[c] * math.log(r[c] / marginal[c]) for c in range(4) if r[c] > 0) for r in part]
        scores.append(math.exp(sum(kl) / len(kl)))
    mean = sum(scores) / 3
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / 3)
    got_mean, got_std = metrics.inception_score(probs, num_splits=3)
    assert abs(got_mean - mean) < 1e-12 and abs(got_std - std) < 1e-12  # float64 rounding


def test_precision_recall_brute_force():
    g = torch.Generator().manual_seed(13)
    real = torch.randn(23, 3, generator=g, dtype=torch.float64)
    fake = torch.randn(19, 3, generator=g, dtype=torch.float64) * 1.5 + 0.4
    fake[0] = real[0]  # a duplicate across the sets
    real[5] = real[6]  # a duplicate inside a set counts as another point

    def coverage(queries, centres, k):
        radii = []
        for i, c in enumerate(centres):
            others = sorted(float(torch.dist(c, o)) for j, o in enumerate(centres) if j != i)
            radii.append(others[k - 1])
        inside = [any(float(torch.dist(q, c)) <= r for c, r in zip(centres, radii)) for q in queries]
        return sum(inside) / len(inside)

    precision, recall = metrics.precision_recall(real, fake, k=3)
    assert isinstance(precision, float) and isinstance(recall, float)
    # exact fractions; distances computed two ways agree far inside any boundary margin here
    assert precision == coverage(fake, real, 3) and recall == coverage(real, fake, 3)


def test_mmd_rbf_brute_force():
    g = torch.Generator().manual_seed(14)
    x = torch.randn(7, 2, generator=g, dtype=torch.float64)
    y = torch.randn(9, 2, generator=g, dtype=torch.float64) + 0.5
    bw = 0.8

    def k(a, b):
        return math.exp(-float(((a - b) ** 2).sum()) / (2 * bw**2))

    xx = sum(k(x[i], x[j]) for i in range(7) for j in range(7) if i != j) / (7 * 6)
    yy = sum(k(y[i], y[j]) for i in range(9) for j in range(9) if i != j) / (9 * 8)
    xy = sum(k(x[i], y[j]) for i in range(7) for j in range(9)) / (7 * 9)
    got = metrics.mmd_rbf(x, y, bw)
    assert isinstance(got, float) and abs(got - (xx + yy - 2 * xy)) < 1e-12  # float64 rounding
