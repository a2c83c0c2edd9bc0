"""Public tests of density.py: shapes, dtypes, finiteness and easy properties.

Passing them does not mean your values are right: the grader compares them with a reference.
"""
import math

import pytest
import torch

from density import (bits_per_dim, categorical_nll, dequantized_bits_per_dim,
                     discretized_logistic_mixture_log_prob, fit_categorical, fit_gaussian,
                     gaussian_log_prob, gaussian_mle, gmm_em, kl_gaussian, kl_monte_carlo)


def _spd(D: int, dtype=torch.float32) -> torch.Tensor:
    """A well-conditioned (D, D) symmetric positive definite matrix."""
    a = torch.randn(D, D, dtype=dtype)
    return a @ a.T / D + 0.5 * torch.eye(D, dtype=dtype)


# ---------------------------------------------------------------------------------------
# categorical_nll, fit_categorical
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_categorical_nll_uniform_is_log_k(dtype):
    torch.manual_seed(0)
    K = 7
    x = torch.randint(0, K, (97,))
    nll = categorical_nll(torch.zeros(K, dtype=dtype), x)
    assert nll.shape == () and nll.dtype == dtype
    # Uniform logits: every value has probability 1/K, so the NLL is log K (round-off only).
    assert abs(nll.item() - math.log(K)) < 1e-6


def test_categorical_nll_is_finite_for_huge_logits():
    torch.manual_seed(0)
    logits = torch.tensor([1e4, -1e4, 0.0, 5e3])
    nll = categorical_nll(logits, torch.tensor([0, 1, 2, 3, 1]))
    assert torch.isfinite(nll), "use torch.log_softmax, not log(softmax(.))"
    assert nll.item() > 0


def test_fit_categorical_shape_dtype_and_frequencies():
    torch.manual_seed(0)
    K = 5
    x = torch.randint(0, K, (97,))
    x[:K] = torch.arange(K)  # every class occurs
    logits = fit_categorical(x, K)
    assert logits.shape == (K,) and logits.dtype == torch.get_default_dtype()
    assert not logits.requires_grad
    # The maximum-likelihood probabilities are the empirical frequencies (contract: 0.01).
    empirical = torch.bincount(x, minlength=K).float() / x.numel()
    err = (torch.softmax(logits, 0) - empirical).abs().max().item()
    assert err < 0.01, f"softmax(logits) is {err:.3g} away from the empirical frequencies (tol 0.01)"


# ---------------------------------------------------------------------------------------
# bits per dimension
# ---------------------------------------------------------------------------------------
def test_bits_per_dim_closed_forms():
    D = 784
    # D ln 2 nats per example is exactly 1 bit per dimension.
    assert bits_per_dim(D * math.log(2), D) == pytest.approx(1.0)
    nll = torch.full((3,), 2 * D * math.log(2))
    torch.testing.assert_close(bits_per_dim(nll, D), torch.full((3,), 2.0), rtol=1e-5, atol=1e-8)


def test_dequantized_bits_per_dim_closed_forms():
    D = 784
    # The uniform density on [0, 1]^D (log density 0) over 256 levels costs 8 bits per dimension.
    assert dequantized_bits_per_dim(0.0, D) == pytest.approx(8.0)
    torch.testing.assert_close(dequantized_bits_per_dim(torch.zeros(3), D, num_levels=16), torch.full((3,), 4.0),
                               rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------------------
# discretized_logistic_mixture_log_prob
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_discretized_logistic_shape_and_normalization(dtype):
    torch.manual_seed(0)
    K, M = 10, 3
    logit_weights, means = torch.randn(M, dtype=dtype), torch.rand(M, dtype=dtype) * K
    log_scales = torch.randn(M, dtype=dtype) * 0.5
    x = torch.randint(0, K, (97,))
    log_p = discretized_logistic_mixture_log_prob(x, logit_weights, means, log_scales, K)
    assert log_p.shape == (97,) and log_p.dtype == dtype
    assert torch.isfinite(log_p).all() and (log_p <= 1e-6).all()
    # Enumerate every value: the probabilities sum to 1 (contract: logsumexp within 2e-5).
    log_p_all = discretized_logistic_mixture_log_prob(torch.arange(K), logit_weights, means, log_scales, K)
    total = torch.logsumexp(log_p_all, 0).item()
    assert abs(total) < 2e-5, f"logsumexp over all values is {total:.3g}, not 0 (tol 2e-5)"


def test_discretized_logistic_extremes_stay_finite():
    # Tiny scales and means far outside [0, K): compute in log space (logsigmoid, softplus)
    # and fall back to the log density at the bin centre when the CDF difference is < 1e-5.
    K = 256
    means = torch.tensor([-1000.0, 100.0, 1000.0])
    log_scales = torch.tensor([-7.0, -7.0, 3.0])
    log_p = discretized_logistic_mixture_log_prob(torch.arange(K), torch.zeros(3), means, log_scales, K)
    assert torch.isfinite(log_p).all()
    assert abs(torch.logsumexp(log_p, 0).item()) < 2e-5


def test_discretized_logistic_single_class_is_certain():
    # With K = 1 the only bin is the whole real line: log p = 0.
    log_p = discretized_logistic_mixture_log_prob(torch.zeros(5, dtype=torch.long), torch.zeros(2),
                                                  torch.tensor([0.3, 40.0]), torch.tensor([-2.0, 1.0]), 1)
    assert log_p.shape == (5,)
    torch.testing.assert_close(log_p, torch.zeros(5), rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------------------------------
# Gaussians
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gaussian_log_prob_shape_and_standard_normal(dtype):
    torch.manual_seed(0)
    D = 3
    x = torch.randn(97, D, dtype=dtype)
    log_p = gaussian_log_prob(x, torch.zeros(D, dtype=dtype), torch.eye(D, dtype=dtype))
    assert log_p.shape == (97,) and log_p.dtype == dtype
    # N(0, I): log p = -(D log(2 pi) + ||x||^2) / 2 (float32 round-off on values of order 10).
    want = -0.5 * (D * math.log(2 * math.pi) + x.pow(2).sum(1))
    torch.testing.assert_close(log_p, want, rtol=1e-5, atol=1e-4)
    log_p = gaussian_log_prob(x, torch.randn(D, dtype=dtype), _spd(D, dtype))
    assert torch.isfinite(log_p).all()


def test_gaussian_mle_is_sample_mean_and_divides_by_n():
    torch.manual_seed(0)
    x = torch.randn(97, 3, dtype=torch.float64) * 2 + 1
    mean, cov = gaussian_mle(x)
    assert mean.shape == (3,) and cov.shape == (3, 3) and cov.dtype == torch.float64
    torch.testing.assert_close(mean, x.mean(0), rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(cov, cov.T, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(cov, torch.cov(x.T, correction=0), rtol=1e-5, atol=1e-8,
                               msg=lambda m: f"the MLE divides by N, not N - 1\n{m}")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gmm_em_shapes_and_monotone(dtype):
    torch.manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [5.0, 1.0], [-2.0, 4.0]], dtype=dtype)
    x = centres[torch.randint(0, 3, (97,))] + 0.7 * torch.randn(97, 2, dtype=dtype)
    result = gmm_em(x, centres + 0.5, num_iters=15)
    weights, means, covs, log_likelihoods = result.weights, result.means, result.covs, result.log_likelihoods
    assert weights.shape == (3,) and means.shape == (3, 2) and covs.shape == (3, 2, 2)
    assert log_likelihoods.shape == (15,)
    for t in (weights, means, covs, log_likelihoods):
        assert t.dtype == dtype and torch.isfinite(t).all()
    assert abs(weights.sum().item() - 1) < 1e-5
    torch.testing.assert_close(covs, covs.transpose(1, 2), rtol=1e-5, atol=1e-8)
    # EM never decreases the log-likelihood (1e-4 allows float32 round-off on values of order 3).
    assert (torch.diff(log_likelihoods) >= -1e-4).all(), log_likelihoods


def test_gmm_em_survives_a_far_component_and_checks_num_iters():
    torch.manual_seed(0)
    x = torch.randn(97, 2, dtype=torch.float64)
    init_means = torch.tensor([[0.5, 0.0], [1e3, 1e3]], dtype=torch.float64)  # one far from all data
    result = gmm_em(x, init_means, num_iters=5)
    assert all(torch.isfinite(t).all() for t in result), "add 10 * eps to N_k, as scikit-learn does"
    with pytest.raises(ValueError):
        gmm_em(x, init_means, num_iters=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kl_gaussian_zero_for_equal_and_positive_otherwise(dtype):
    torch.manual_seed(0)
    D = 3
    m0, c0, m1, c1 = torch.randn(D, dtype=dtype), _spd(D, dtype), torch.randn(D, dtype=dtype), _spd(D, dtype)
    kl = kl_gaussian(m0, c0, m1, c1)
    assert kl.shape == () and kl.dtype == dtype and kl.item() > 0
    assert abs(kl_gaussian(m0, c0, m0, c0).item()) < 1e-5
    # 1-D closed form: KL(N(0, 1) || N(1, 4)) = log 2 + (1 + 1) / 8 - 1/2.
    one = torch.ones(1, dtype=dtype)
    kl = kl_gaussian(0 * one, torch.eye(1, dtype=dtype), one, 4 * torch.eye(1, dtype=dtype))
    assert abs(kl.item() - (math.log(2) + 0.25 - 0.5)) < 1e-5


def test_kl_monte_carlo_shape_and_zero_for_equal():
    torch.manual_seed(0)
    samples = torch.randn(97, 2)
    log_p = lambda z: -0.5 * z.pow(2).sum(-1)
    log_q = lambda z: -0.5 * (z - 1).pow(2).sum(-1)
    assert kl_monte_carlo(log_p, log_p, samples).item() == 0.0
    estimate = kl_monte_carlo(log_p, log_q, samples)
    assert estimate.shape == () and torch.isfinite(estimate)


def test_fit_gaussian_returns_floats_and_checks_direction():
    torch.manual_seed(0)
    log_p = lambda z: -0.5 * ((z - 1.0) / 2.0) ** 2
    sample_p = lambda n: 1.0 + 2.0 * torch.randn(n)
    for direction in ("forward", "reverse"):
        mean, std = fit_gaussian(log_p, sample_p, direction, num_steps=10)
        assert isinstance(mean, float) and isinstance(std, float)
        assert math.isfinite(mean) and math.isfinite(std) and std > 0
        # Both losses pull the mean from 0 towards 1 (the gradient's sign is wrong only past
        # 5 standard deviations of its batch noise), and 10 Adam steps of lr 0.05 move it by
        # about 0.05 each: it ends in (0, 1).
        assert 0.0 < mean < 1.0, f"{direction}: the mean should move from 0 towards 1, got {mean}"
    with pytest.raises(ValueError):
        fit_gaussian(log_p, sample_p, "backward")
