"""A tiny stand-in for a week's hidden tests, used by the red-team suite only.

Each test is cheap (one or two calls into the sandbox) and uses one of the check patterns the real
hidden tests use: a tensor against the reference, a number, a pair, a statistical test with the
runtime's `without(...)`, and a ValueError case paired with a valid call. The red-team batch points
the engine at this folder (instead of autograder/weeks/week1_mle_sampling/) so that twenty attack
submissions grade in about a minute. Nothing here is secret; the lines below are still treated as
"hidden" by the leak checks, to prove that test code never reaches the feedback.
"""
import torch

from autograder import checks as check
from autograder.registry import test

# Distinctive constants: if one of them shows up in a student's feedback, a hidden input leaked.
SECRET_LOGIT = 1234.5678  # a hidden input of `categorical_nll_hidden_input`


@test(points=2, functions=["density.categorical_nll"], timeout=10)
def categorical_nll_matches_reference(sub, ref):
    """Mean categorical NLL agrees with the reference (float64, batch 97)."""
    logits = torch.randn(7, dtype=torch.float64) * 3
    x = torch.randint(0, 7, (97,))
    got = check.tensor(sub.density.categorical_nll(logits, x), shape=(), dtype=torch.float64,
                       what="categorical_nll(logits, x)")
    want = ref.density.categorical_nll(logits, x)
    # float64 round-off of a mean of 97 log-softmax terms of size O(10) is below 1e-13.
    check.close(got, want, atol=1e-10, what="mean NLL (nats)")


@test(points=1, functions=["density.gaussian_log_prob"], timeout=10)
def gaussian_log_prob_matches_reference(sub, ref):
    """Gaussian log-density agrees with the reference (float64, batch 97)."""
    a = torch.randn(3, 3, dtype=torch.float64)
    cov = a @ a.T + 0.5 * torch.eye(3, dtype=torch.float64)  # (3, 3), eigenvalues >= 0.5
    mean = torch.randn(3, dtype=torch.float64)
    x = torch.randn(97, 3, dtype=torch.float64)
    got = check.tensor(sub.density.gaussian_log_prob(x, mean, cov), shape=(97,), dtype=torch.float64,
                       what="gaussian_log_prob(x, mean, cov)")
    # Cholesky solves on a matrix with condition number < 1e3 lose at most ~1e-12 in float64.
    check.close(got, ref.density.gaussian_log_prob(x, mean, cov), atol=1e-8, what="log N(x; mean, cov)")


@test(points=1, functions=["density.gaussian_mle"], timeout=10)
def gaussian_mle_pair(sub, ref):
    """Gaussian MLE returns the reference (mean, cov) pair (float64, N = 97)."""
    x = torch.randn(97, 2, dtype=torch.float64) * 2 + 1
    mean, cov = check.sequence(sub.density.gaussian_mle(x), 2, what="gaussian_mle(x)")
    want_mean, want_cov = ref.density.gaussian_mle(x)
    # Means and covariances of 97 numbers of size O(10): float64 round-off is below 1e-12.
    check.close(check.tensor(mean, shape=(2,), what="mean"), want_mean, atol=1e-10, what="MLE mean")
    check.close(check.tensor(cov, shape=(2, 2), what="cov"), want_cov, atol=1e-10, what="MLE covariance")


@test(points=2, functions=["sampling.sample_categorical"], timeout=10)
def sample_categorical_chi_square(sub, ref):
    """Categorical samples follow the target distribution (chi-square, multinomial disabled)."""
    probs = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    n = 20_000
    samples = check.tensor(
        sub.without("torch.multinomial", "torch.distributions").sampling.sample_categorical(probs, n),
        shape=(n,), dtype=torch.int64, what="sample_categorical(probs, 20000)")
    check.true(bool(((samples >= 0) & (samples < 4)).all()), "samples outside [0, 4)")
    # Under a correct sampler the counts are multinomial(n, probs); every expected count is >= 2000,
    # so Pearson's statistic is chi-square(3) and p_fail = 1e-6 is the false-failure probability.
    check.chi_square(torch.bincount(samples, minlength=4), probs, p_fail=1e-6, what="category frequencies")


@test(points=1, functions=["metrics.frechet_distance"], timeout=10)
def frechet_distance_number(sub, ref):
    """Fréchet distance is a float that agrees with the reference (D = 4)."""
    a, b = torch.randn(4, 4, dtype=torch.float64), torch.randn(4, 4, dtype=torch.float64)
    s1, s2 = a @ a.T + torch.eye(4, dtype=torch.float64), b @ b.T + torch.eye(4, dtype=torch.float64)
    m1, m2 = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    got = check.number(sub.metrics.frechet_distance(m1, s1, m2, s2), what="frechet_distance(...)")
    # The contract: within 1e-6 relative of an exact computation on well-conditioned inputs.
    check.close(got, ref.metrics.frechet_distance(m1, s1, m2, s2), atol=1e-8, rtol=1e-6,
                what="Fréchet distance")


@test(points=1, functions=["metrics.mmd_rbf"], timeout=10)
def mmd_rbf_value_and_error(sub, ref):
    """MMD² agrees with the reference, and N < 2 raises ValueError."""
    x, y = torch.randn(31, 2, dtype=torch.float64), torch.randn(29, 2, dtype=torch.float64) + 0.5
    got = check.number(sub.metrics.mmd_rbf(x, y, 1.0), what="mmd_rbf(x, y, 1.0)")
    # Sums of ~2000 kernel values in [0, 1] in float64: round-off below 1e-12.
    check.close(got, ref.metrics.mmd_rbf(x, y, 1.0), atol=1e-9, what="MMD²")
    check.raises(ValueError, sub.metrics.mmd_rbf, x[:1], y, 1.0)


@test(points=1, functions=["density.categorical_nll"], timeout=10, visibility="hidden")
def categorical_nll_hidden_input(sub, ref):
    """Mean categorical NLL on a hidden input with one very large logit."""
    logits = torch.tensor([0.0, SECRET_LOGIT, -3.0], dtype=torch.float64)
    x = torch.tensor([0, 1, 2, 1])
    got = check.tensor(sub.density.categorical_nll(logits, x), shape=(), dtype=torch.float64,
                       what="categorical_nll(logits, x)")
    # log_softmax of logits of size 1e3 in float64: absolute round-off below 1e-10.
    check.close(got, ref.density.categorical_nll(logits, x), atol=1e-8, what="mean NLL (nats)")
