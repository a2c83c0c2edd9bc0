"""Week 1, part 1: maximum-likelihood density estimation.

This file implements the likelihoods behind every later week, and the two ways of fitting
a model to a distribution (forward and reverse KL):

- a categorical distribution, fitted by gradient descent on its negative log-likelihood;
- the discretized logistic mixture of PixelCNN++ (Salimans et al., 2017, "PixelCNN++:
  Improving the PixelCNN with discretized logistic mixture likelihood and other
  modifications"), computed in log space;
- the multivariate Gaussian through its Cholesky factor, and its maximum-likelihood fit;
- a full-covariance Gaussian mixture fitted by expectation-maximization (Dempster, Laird &
  Rubin, 1977, "Maximum likelihood from incomplete data via the EM algorithm"), with the
  same updates as scikit-learn's ``GaussianMixture``;
- the KL divergence between Gaussians in closed form and by Monte Carlo, and a 1-D Gaussian
  fitted by forward KL (mass-covering) or reverse KL (mode-seeking, as in variational
  inference: Kingma & Welling, 2014, for the reparameterization);
- the conversion of log-likelihoods to bits per dimension, with uniform dequantization
  (Theis, van den Oord & Bethge, 2016, "A note on the evaluation of generative models").

Log-likelihoods are in nats. Every function takes its device and dtype from its inputs and
works in float32 and float64.

Write the functions in this order:
  1. categorical_nll          2. fit_categorical
  3. bits_per_dim             4. dequantized_bits_per_dim
  5. discretized_logistic_mixture_log_prob
  6. gaussian_log_prob        7. gaussian_mle
  8. gmm_em                   9. kl_gaussian
 10. kl_monte_carlo          11. fit_gaussian
"""
import math
from typing import Callable, NamedTuple, Tuple

import torch
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


class GMMResult(NamedTuple):
    """What ``gmm_em`` returns."""

    weights: torch.Tensor          # (K,) mixture weights, summing to 1
    means: torch.Tensor            # (K, D)
    covs: torch.Tensor             # (K, D, D), each symmetric positive definite
    log_likelihoods: torch.Tensor  # (num_iters,) mean log-likelihood entering each iteration


# ---------------------------------------------------------------------------------------
# 1. Categorical distributions
# ---------------------------------------------------------------------------------------
def categorical_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood of integer data under ``softmax(logits)``.

    Args:
        logits: (K,) float, unnormalized log-probabilities.
        x: (N,) int64, values in [0, K).

    Returns:
        () float, the mean of -log softmax(logits)[x_n] over n, in nats.
    """
    # TODO:
    # - log p(k) = logits[k] - logsumexp(logits): use torch.log_softmax, never log(softmax(.)),
    #   so that the result stays finite for |logits| up to 1e4.
    # - uniform logits give exactly log K.
    raise NotImplementedError


def fit_categorical(x: torch.Tensor, num_classes: int, num_steps: int = 500,
                    lr: float = 0.1) -> torch.Tensor:
    """Maximum-likelihood categorical by gradient descent on ``categorical_nll``.

    Args:
        x: (N,) int64, values in [0, num_classes).
        num_classes: K.
        num_steps: number of Adam steps.
        lr: Adam learning rate (the other Adam settings are the defaults).

    Returns:
        (K,) float in the default dtype (torch.get_default_dtype()), the fitted logits,
        detached. Their softmax approaches the empirical frequencies (the closed-form MLE).
    """
    # TODO:
    # - logits start at zero, in the default dtype, on x's device, with requires_grad=True;
    # - each step: zero the gradients, loss = categorical_nll(logits, x), backward, Adam step;
    # - return the logits detached.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 2. Bits per dimension
# ---------------------------------------------------------------------------------------
def bits_per_dim(nll, num_dims: int):
    """Nats per example to bits per dimension, elementwise.

    Args:
        nll: float or (...) float tensor, negative log-likelihood per example, in nats.
        num_dims: D, the number of dimensions of one example.

    Returns:
        Same type and shape as ``nll``: nll / (D ln 2).
    """
    # TODO: one nat is 1 / ln 2 bits; divide by the number of dimensions as well.
    raise NotImplementedError


def dequantized_bits_per_dim(log_density, num_dims: int, num_levels: int = 256):
    """Bits per dimension of discrete data from a density fitted to dequantized data.

    The density lives on [0, 1]^D and was fitted to y = (x_int + u) / num_levels with
    u ~ U[0, 1)^D. The probability of x_int is the mass of its cube, of volume num_levels^-D, so
    log P(x_int) >= E_u[log_density(y)] - D ln(num_levels): the negative log-probability of x_int is
    at most -log_density + D ln(num_levels) nats (in expectation over u), the bound converted here.

    Args:
        log_density: float or (...) float tensor, log density at y, in nats.
        num_dims: D.
        num_levels: the number of discrete values per dimension (256 for 8-bit images).

    Returns:
        Same type and shape: (-log_density + D ln(num_levels)) / (D ln 2).
    """
    # TODO: the bound of the docstring (Theis, van den Oord & Bethge, 2016: the mass of the
    #   cube, then Jensen's inequality), in nats, then bits per dimension as in bits_per_dim.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 3. Discretized logistic mixture (PixelCNN++)
# ---------------------------------------------------------------------------------------
def discretized_logistic_mixture_log_prob(x: torch.Tensor, logit_weights: torch.Tensor,
                                          means: torch.Tensor, log_scales: torch.Tensor,
                                          num_classes: int) -> torch.Tensor:
    """log p(x) under a mixture of M logistics, discretized to the integers 0 .. K-1.

    The bin of value v is [v - 0.5, v + 0.5], except that the bin of 0 extends to -inf and
    the bin of K-1 to +inf. Component m has CDF sigmoid((y - means[m]) / exp(log_scales[m])).

    Args:
        x: (N,) int64, values in [0, K).
        logit_weights: (M,) float, unnormalized log mixture weights.
        means: (M,) float.
        log_scales: (M,) float, not clamped.
        num_classes: K.

    Returns:
        (N,) float, log p(x) in nats, in the dtype of ``means``.
    """
    # TODO:
    # - everything in log space: log sigmoid(a) = F.logsigmoid(a), log(1 - sigmoid(b)) =
    #   -softplus(b); never take log(sigmoid(.)) or log of a difference that underflows.
    # - bin 0: log CDF(0.5); bin K-1: log(1 - CDF(K - 1.5)); K = 1: log p = 0.
    # - middle bins: log(CDF(v + 0.5) - CDF(v - 0.5)); where that difference is below 1e-5
    #   (PixelCNN++ fallback), use the log density at the bin centre instead (bin width 1):
    #   log pdf(v) = t - log_scale - 2 softplus(t), with t = (v - mean) / scale.
    # - mix the components with log_softmax(logit_weights) and logsumexp.
    # - must hold: logsumexp over all K values is 0 (within 2e-5), finite for log_scales
    #   down to -7 and for means far outside [0, K).
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 4. Gaussians and Gaussian mixtures
# ---------------------------------------------------------------------------------------
def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, cov) through the Cholesky factor of cov.

    Args:
        x: (N, D) float.
        mean: (D,) float.
        cov: (D, D) float, symmetric positive definite.

    Returns:
        (N,) float.
    """
    # TODO:
    # - cov = L L^T with L = torch.linalg.cholesky(cov); never form cov^{-1}.
    # - Mahalanobis term: ||L^{-1} (x - mean)||^2 via torch.linalg.solve_triangular.
    # - log det cov = 2 sum log diag(L).
    # - log p = -(D log(2 pi) + log det + Mahalanobis) / 2; agrees with
    #   torch.distributions.MultivariateNormal.
    raise NotImplementedError


def gaussian_mle(x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Maximum-likelihood mean and covariance of a Gaussian.

    Args:
        x: (N, D) float.

    Returns:
        mean: (D,) float, the sample mean.
        cov: (D, D) float, the sample covariance divided by N (not N - 1).
    """
    # TODO: set the gradients of sum_n log N(x_n; mean, cov) to zero (Bishop, 2006, Sec. 2.3.4); the
    #   maximum-likelihood covariance divides by N, as the docstring says. Shapes: see Returns.
    raise NotImplementedError


def gmm_em(x: torch.Tensor, init_means: torch.Tensor, num_iters: int = 100,
           reg_covar: float = 1e-6) -> GMMResult:
    """Expectation-maximization for a full-covariance Gaussian mixture (Dempster et al., 1977).

    Initial parameters: weights 1/K, means ``init_means``, covariances the identity. Each
    iteration is an E-step followed by an M-step, exactly as scikit-learn's
    ``GaussianMixture(covariance_type="full", tol=0, ...)``.

    Args:
        x: (N, D) float.
        init_means: (K, D) float.
        num_iters: number of EM iterations, at least 1.
        reg_covar: added to the diagonal of every covariance in the M-step.

    Returns:
        GMMResult(weights (K,), means (K, D), covs (K, D, D), log_likelihoods (num_iters,)),
        where log_likelihoods[i] is the mean log-likelihood of x under the parameters
        entering iteration i.

    Raises:
        ValueError: if num_iters < 1.
    """
    # TODO:
    # - E-step (Bishop, 2006, Sec. 9.2.2): the responsibilities r_nk = p(z_n = k | x_n) by Bayes'
    #   rule, in log space: build the (N, K) table of log w_k + log N(x_n; mu_k, Sigma_k) with
    #   gaussian_log_prob's Cholesky recipe and normalize each row with logsumexp, which also
    #   gives log p(x_n). Record mean_n log p(x_n) before the M-step.
    # - M-step: maximize sum_n sum_k r_nk log(w_k N(x_n; mu_k, Sigma_k)). For each component it is
    #   gaussian_mle with every point weighted by r_nk; for the weights, maximize
    #   sum_k N_k log w_k subject to sum_k w_k = 1 (a Lagrange multiplier).
    # - conventions of scikit-learn (the docstring): N_k = sum_n r_nk + 10 * eps, with
    #   eps = torch.finfo(dtype).eps; reg_covar * I added to every covariance.
    # - must hold: log_likelihoods never decrease (beyond round-off); a component far from
    #   all data gives no NaN.
    raise NotImplementedError


def kl_gaussian(mean0: torch.Tensor, cov0: torch.Tensor, mean1: torch.Tensor,
                cov1: torch.Tensor) -> torch.Tensor:
    """Closed-form KL(N(mean0, cov0) || N(mean1, cov1)).

    Args:
        mean0, mean1: (D,) float.
        cov0, cov1: (D, D) float, symmetric positive definite.

    Returns:
        () float, in nats.
    """
    # TODO:
    # - derive it from KL = E_0[log N(x; m0, S0) - log N(x; m1, S1)] with the identity
    #   E[(x - m)^T A (x - m)] = tr(A S0) + (m0 - m)^T A (m0 - m) for x ~ N(m0, S0)
    #   (Petersen & Pedersen, The Matrix Cookbook, November 2012, Eq. 380).
    # - with Cholesky factors L0, L1: tr(S1^{-1} S0) = ||L1^{-1} L0||_F^2; no explicit inverse.
    # - must hold: KL(p || p) = 0, KL >= 0.
    raise NotImplementedError


def kl_monte_carlo(log_p: Callable[[torch.Tensor], torch.Tensor],
                   log_q: Callable[[torch.Tensor], torch.Tensor],
                   samples: torch.Tensor) -> torch.Tensor:
    """Monte-Carlo estimate of KL(p || q) from samples of p.

    Args:
        log_p, log_q: callables (N, D) float -> (N,) float, log densities.
        samples: (N, D) float, drawn from p.

    Returns:
        () float, the mean of log p - log q over the samples.
    """
    # TODO: KL(p || q) = E_p[log p(x) - log q(x)]; an unbiased estimate is the sample mean.
    raise NotImplementedError


def fit_gaussian(log_p: Callable[[torch.Tensor], torch.Tensor],
                 sample_p: Callable[[int], torch.Tensor], direction: str,
                 num_steps: int = 2000, lr: float = 0.05, batch_size: int = 512,
                 init_mean: float = 0.0) -> Tuple[float, float]:
    """Fit a 1-D Gaussian q = N(mean, std^2) to a 1-D target p by forward or reverse KL.

    Args:
        log_p: callable (n,) float -> (n,) float, the target's log density.
        sample_p: callable n -> (n,) float, samples of the target.
        direction: "forward" minimizes KL(p || q), i.e. maximum likelihood on samples of p;
            "reverse" minimizes KL(q || p) with reparameterized samples mean + std * eps.
        num_steps: number of Adam steps.
        lr: Adam learning rate.
        batch_size: samples per step.
        init_mean: the initial mean; the initial log-std is 0.

    Returns:
        (mean, std) as Python floats.

    Raises:
        ValueError: if direction is neither "forward" nor "reverse".
    """
    # TODO:
    # - parameters: mean (init_mean) and log_std (0), optimized by Adam; std = exp(log_std).
    # - each step, a Monte-Carlo estimate of the divergence on batch_size fresh samples, up to
    #   terms that do not depend on q: forward, over samples of p (sample_p); reverse, over the
    #   reparameterized samples of q of the docstring (Kingma & Welling, 2014, Sec. 2.4), so that
    #   the gradient flows through them.
    # - forward covers the modes (moment matching); reverse seeks one mode.
    raise NotImplementedError
