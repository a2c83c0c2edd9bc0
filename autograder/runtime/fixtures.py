"""Public fixtures: callables that graded functions take as arguments (targets, proposals, scores).

Nothing here is secret. The grader builds the same callable in its own process
(`fixtures.gaussian_log_prob(mean=..., cov=...)`) and in the child (a test passes
`sub.fixture("gaussian_log_prob", mean=..., cov=...)` as an argument), so a test can compare what the
student's code did with what the target really is. Every factory takes plain data (floats and nested
lists) and returns a function of tensors that works in the input's dtype and device, and draws
randomness only from torch's global generator.
"""
from __future__ import annotations

import math

import torch


def _tensor(value, like: torch.Tensor | None = None) -> torch.Tensor:
    dtype = like.dtype if like is not None and like.is_floating_point() else torch.get_default_dtype()
    device = like.device if like is not None else None
    return torch.as_tensor(value, dtype=dtype, device=device)


# --- D-dimensional Gaussians: x: (N, D) ---------------------------------------------------------
def gaussian_log_prob(mean, cov, log_offset: float = 0.0):
    """log N(x; mean, cov) + log_offset, for x: (N, D) -> (N,). A non-zero offset makes it unnormalized."""

    def log_prob(x: torch.Tensor) -> torch.Tensor:
        m, c = _tensor(mean, x), _tensor(cov, x)
        dist = torch.distributions.MultivariateNormal(m, covariance_matrix=c)
        return dist.log_prob(x) + log_offset

    return log_prob


def gaussian_score(mean, cov):
    """∇ log N(x; mean, cov) = -cov⁻¹ (x - mean), for x: (N, D) -> (N, D)."""

    def score(x: torch.Tensor) -> torch.Tensor:
        m, c = _tensor(mean, x), _tensor(cov, x)
        return -torch.linalg.solve(c, (x - m).T).T  # (D, N) -> (N, D)

    return score


def gaussian_sampler(mean, cov):
    """n -> (n, D) draws from N(mean, cov)."""

    def sample(n: int) -> torch.Tensor:
        m, c = _tensor(mean), _tensor(cov)
        z = torch.randn(int(n), m.shape[0], dtype=m.dtype)
        return m + z @ torch.linalg.cholesky(c).T

    return sample


def mixture_log_prob(means, std: float, weights, log_offset: float = 0.0):
    """Isotropic Gaussian mixture, x: (N, D) -> (N,); means: (K, D), one shared std, weights: (K,)."""

    def log_prob(x: torch.Tensor) -> torch.Tensor:
        mu, w = _tensor(means, x), _tensor(weights, x)
        d = x.shape[-1]
        sq = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(-1)  # (N, K)
        log_norm = -0.5 * d * math.log(2 * math.pi * std**2)
        return torch.logsumexp(torch.log(w / w.sum()) + log_norm - sq / (2 * std**2), dim=1) + log_offset

    return log_prob


def mixture_sampler(means, std: float, weights):
    """n -> (n, D) draws from the isotropic Gaussian mixture."""

    def sample(n: int) -> torch.Tensor:
        mu, w = _tensor(means), _tensor(weights)
        u = torch.rand(int(n), dtype=mu.dtype)
        k = torch.searchsorted(torch.cumsum(w / w.sum(), 0), u).clamp(max=len(w) - 1)
        return mu[k] + std * torch.randn(int(n), mu.shape[1], dtype=mu.dtype)

    return sample


# --- 1-D targets: x: (n,) -------------------------------------------------------------------------
def mixture_1d_log_prob(means, stds, weights, log_offset: float = 0.0):
    """1-D Gaussian mixture, x: (n,) -> (n,), plus log_offset (unnormalized when non-zero)."""

    def log_prob(x: torch.Tensor) -> torch.Tensor:
        mu, sd, w = _tensor(means, x), _tensor(stds, x), _tensor(weights, x)
        z = (x[:, None] - mu) / sd  # (n, K)
        log_comp = -0.5 * z**2 - torch.log(sd) - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(torch.log(w / w.sum()) + log_comp, dim=1) + log_offset

    return log_prob


def mixture_1d_sampler(means, stds, weights):
    """n -> (n,) draws from the 1-D Gaussian mixture."""

    def sample(n: int) -> torch.Tensor:
        mu, sd, w = _tensor(means), _tensor(stds), _tensor(weights)
        k = torch.searchsorted(torch.cumsum(w / w.sum(), 0), torch.rand(int(n))).clamp(max=len(w) - 1)
        return mu[k] + sd[k] * torch.randn(int(n))

    return sample


def beta_log_prob(a: float, b: float, log_offset: float = 0.0):
    """Unnormalized Beta(a, b) on (0, 1): (a-1) log x + (b-1) log(1-x) + log_offset; -inf outside."""

    def log_prob(x: torch.Tensor) -> torch.Tensor:
        inside = (x > 0) & (x < 1)
        xc = x.clamp(1e-12, 1 - 1e-12)
        value = (a - 1) * torch.log(xc) + (b - 1) * torch.log1p(-xc) + log_offset
        return torch.where(inside, value, torch.full_like(value, -math.inf))

    return log_prob


def uniform_sampler(low: float, high: float):
    """n -> (n,) uniform draws on (low, high)."""
    return lambda n: low + (high - low) * torch.rand(int(n))


def uniform_log_prob(low: float, high: float):
    """log density of Uniform(low, high), x: (n,) -> (n,)."""

    def log_prob(x: torch.Tensor) -> torch.Tensor:
        inside = (x >= low) & (x <= high)
        return torch.where(inside, torch.full_like(x, -math.log(high - low)), torch.full_like(x, -math.inf))

    return log_prob
