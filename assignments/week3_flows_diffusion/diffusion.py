"""Week 3, part 2: denoising diffusion (DDPM and DDIM) and flow matching.

This file implements
- the forward noising process of DDPM (Ho, Jain & Abbeel, 2020, "Denoising diffusion
  probabilistic models"), with the linear schedule of that paper and the cosine schedule of
  Nichol & Dhariwal (2021, "Improved denoising diffusion probabilistic models");
- its Gaussian posterior q(x_{t-1} | x_t, x_0), the ε-prediction loss (DDPM Algorithm 1) and
  ancestral sampling (DDPM Algorithm 2);
- deterministic DDIM sampling on a subsequence of timesteps (Song, Meng & Ermon, 2021,
  "Denoising diffusion implicit models", Eq. 12 with η = 0);
- flow matching with the straight (rectified) conditional path x_t = (1 − t) x0 + t x1 and an
  Euler sampler (Lipman et al., 2023, "Flow matching for generative modeling"; Liu et al., 2023);
  the learned marginal field E[x1 − x0 | x_t] is not straight, so its trajectories curve.

Timesteps are 0-indexed: t ∈ {0, …, T−1}, where t = 0 is the first noising step (t = 1 in the
DDPM paper), and ᾱ_{−1} = 1. Schedules are computed and stored in float64; every function takes
the device and dtype of its tensor inputs, and samplers with no tensor input return the default
dtype. A denoiser is called as ``model(x_t, t)`` with ``t: (B,) int64`` and returns ε̂ of x_t's
shape; a velocity model as ``velocity_model(x_t, t)`` with ``t: (B,)`` float.

Write them in this order:
  1. linear_beta_schedule      2. cosine_beta_schedule      3. DiffusionSchedule
  4. q_sample                  5. q_posterior               6. predict_x0
  7. diffusion_loss            8. p_sample                  9. p_sample_loop
 10. ddim_sample              11. flow_matching_loss       12. euler_sample
"""
import math
from typing import Callable, Sequence, Tuple

import torch

F64 = torch.float64


# ---------------------------------------------------------------------------------------
# 1. Noise schedules
# ---------------------------------------------------------------------------------------
def linear_beta_schedule(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """The linear schedule of DDPM (Section 4).

    Args:
        num_steps: T >= 1.
        beta_start, beta_end: β_0 and β_{T−1}, in (0, 1].

    Returns:
        (T,) float64, evenly spaced from beta_start to beta_end.
    """
    # TODO: a float64 linspace; raise ValueError naming num_steps if it is < 1.
    raise NotImplementedError


def cosine_beta_schedule(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """The cosine schedule of Nichol & Dhariwal (2021, Eq. 17), as diffusers' squaredcos_cap_v2.

    With f(u) = cos²(((u / T) + s) / (1 + s) · π/2) on u = 0 … T,
    betas[t] = min(1 − f(t+1) / f(t), max_beta) for t = 0 … T−1.

    Returns:
        (T,) float64.
    """
    # TODO: compute f on the T + 1 grid points in float64, then the ratio of neighbours; without
    # clipping, cumprod(1 - betas)[t] = f(t+1) / f(0).
    raise NotImplementedError


class DiffusionSchedule:
    """The quantities derived from a beta schedule, each (T,) float64.

    Attributes:
        betas: β_t.
        alphas: α_t = 1 − β_t.
        alpha_bars: ᾱ_t = ∏_{s<=t} α_s.
        alpha_bars_prev: ᾱ_{t−1}, with ᾱ_{−1} = 1.
        posterior_variance: β̃_t, the variance of q(x_{t−1} | x_t, x_0) (DDPM Eq. 7); β̃_0 = 0.
        num_steps: T.
    """

    def __init__(self, betas: torch.Tensor):
        """
        Args:
            betas: (T,) float, each in (0, 1].
        """
        # TODO: raise ValueError naming betas unless it is 1-D, non-empty, with values in (0, 1];
        # store everything in float64.
        raise NotImplementedError


def _extract(values: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """values[t] as (B, 1, ..., 1) in x's dtype and device, to broadcast over x: (B, ...).

    Coefficients are computed from the float64 schedule before this cast: 1 − ᾱ_0 = 1e-4 loses
    three digits if ᾱ_0 is rounded to float32 first."""
    out = values.to(x.device)[t.to(x.device)]                # (B,) float64
    return out.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))  # (B, 1, ..., 1)


# ---------------------------------------------------------------------------------------
# 2. The forward process and its posterior
# ---------------------------------------------------------------------------------------
def q_sample(schedule: DiffusionSchedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Sample q(x_t | x_0) (DDPM Eq. 4) with the given noise.

    Args:
        x0: (B, ...) float.
        t: (B,) int64 in [0, T).
        noise: ε, the shape of x0.

    Returns:
        (B, ...) √ᾱ_t x0 + √(1 − ᾱ_t) ε.
    """
    # TODO: gather ᾱ_t per example and reshape to (B, 1, ..., 1) (the helper _extract does it).
    raise NotImplementedError


def q_posterior(schedule: DiffusionSchedule, x0: torch.Tensor, x_t: torch.Tensor,
                t: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of q(x_{t−1} | x_t, x_0) (DDPM Eq. 6-7).

    Args:
        x0, x_t: (B, ...) float.
        t: (B,) int64.

    Returns:
        mean: (B, ...), μ̃_t(x_t, x0) of DDPM Eq. 7: a linear combination of x0 and x_t whose two
            coefficients depend only on the schedule at t (with the conventions above at t = 0).
        variance: (B, ...), β̃_t (DDPM Eq. 7, the schedule's posterior_variance) broadcast to x_t's
            shape.
    """
    # TODO: derive the coefficients before you code them: by Bayes' rule and the Markov property,
    #   q(x_{t−1} | x_t, x0) ∝ q(x_t | x_{t−1}) q(x_{t−1} | x0) (DDPM Eq. 2 and Eq. 4), a product of
    #   two Gaussian densities in x_{t−1}; their precisions add, and the mean is the
    #   precision-weighted average of the two means (complete the square). Precompute the two (T,)
    #   coefficient vectors in float64, then _extract them.
    raise NotImplementedError


def predict_x0(schedule: DiffusionSchedule, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Invert q_sample for x0 given the noise (DDPM Eq. 4 solved for x0, as in Eq. 15).

    Args:
        x_t, eps: (B, ...) float.
        t: (B,) int64.

    Returns:
        (B, ...), the x0 with q_sample(schedule, x0, t, eps) = x_t.
    """
    # TODO: solve the reparameterization x_t = √ᾱ_t x0 + √(1 − ᾱ_t) ε for x0; must hold:
    #   predict_x0(schedule, q_sample(schedule, x0, t, eps), t, eps) = x0 up to round-off.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 3. Training and ancestral sampling (DDPM Algorithms 1 and 2)
# ---------------------------------------------------------------------------------------
def diffusion_loss(model: Callable, schedule: DiffusionSchedule, x0: torch.Tensor) -> torch.Tensor:
    """The simple ε-prediction loss (DDPM Algorithm 1, Eq. 14).

    Args:
        model: (x_t: (B, ...), t: (B,) int64) -> ε̂: (B, ...).
        x0: (B, ...) float, a batch of data.

    Returns:
        () float, the mean over every element of (model(x_t, t) − ε)², with t ~ U{0..T−1} and
        ε ~ N(0, I) drawn per example.
    """
    # TODO: Algorithm 1, lines 3-5; keep the graph (no no_grad), the caller calls backward().
    raise NotImplementedError


@torch.no_grad()
def p_sample(model: Callable, schedule: DiffusionSchedule, x_t: torch.Tensor, t: int) -> torch.Tensor:
    """One ancestral step x_t -> x_{t−1} (DDPM Algorithm 2, line 4).

    Args:
        x_t: (B, ...) float.
        t: int in [0, T).

    Returns:
        (B, ...) x_{t−1}: the mean μ_θ(x_t, t) of DDPM Eq. 11 (ε̂ = model(x_t, t)) plus σ_t z with
        σ_t² = β̃_t (the schedule's posterior_variance) and z ~ N(0, I); no noise at t = 0.
    """
    # TODO: Eq. 11 is q_posterior's mean with x0 replaced by predict_x0(x_t, t, ε̂): substitute and
    #   simplify, or compute it that way. Call model with t as a (B,) int64 tensor; raise ValueError
    #   naming t if it is out of range.
    raise NotImplementedError


@torch.no_grad()
def p_sample_loop(model: Callable, schedule: DiffusionSchedule, shape: Sequence[int]) -> torch.Tensor:
    """Ancestral sampling (DDPM Algorithm 2).

    Args:
        shape: (B, ...), the shape of the batch to draw.

    Returns:
        (B, ...) x_0 in the default dtype: from x_{T} ~ N(0, I), p_sample for t = T−1 … 0.
    """
    # TODO: Algorithm 2, lines 1-5.
    raise NotImplementedError


@torch.no_grad()
def ddim_sample(model: Callable, schedule: DiffusionSchedule, shape: Sequence[int], num_steps: int) -> torch.Tensor:
    """Deterministic DDIM sampling (η = 0) on a subsequence of the timesteps (DDIM Eq. 12).

    The timesteps are ``torch.linspace(T−1, 0, num_steps, dtype=torch.float64).round().long()``
    with repeats removed, in descending order. At timestep τ_i the model's ε̂ gives
    x̂0 = predict_x0(x, τ_i), and the next state is DDIM Eq. 12 with σ = 0 from τ_i to τ_{i+1}
    (the DDIM paper's α_t is our ᾱ_t); the last step returns x̂0.

    Args:
        shape: (B, ...), the shape of the batch to draw.
        num_steps: the number of model evaluations (before repeats are removed), >= 1.

    Returns:
        (B, ...) in the default dtype.
    """
    # TODO: DDIM Eq. 12 with σ_t = 0, written with predict_x0's x̂0 and the same ε̂ (derive it in the
    #   notebook's question). Raise ValueError naming num_steps if it is < 1; x starts as N(0, I).
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 4. Flow matching with straight paths
# ---------------------------------------------------------------------------------------
def flow_matching_loss(velocity_model: Callable, x1: torch.Tensor) -> torch.Tensor:
    """Conditional flow matching loss for the path x_t = (1 − t) x0 + t x1, x0 ~ N(0, I).

    Args:
        velocity_model: (x_t: (B, ...), t: (B,) float) -> v: (B, ...).
        x1: (B, ...) float, a batch of data.

    Returns:
        () float, the mean over every element of (v(x_t, t) − (x1 − x0))², t ~ U(0, 1) per example.
    """
    # TODO: draw x0 and t in x1's dtype; reshape t to broadcast over x1's non-batch dimensions.
    raise NotImplementedError


@torch.no_grad()
def euler_sample(velocity_model: Callable, shape: Sequence[int], num_steps: int) -> torch.Tensor:
    """Integrate dx/dt = v(x, t) from x ~ N(0, I) at t = 0 to t = 1 with N Euler steps.

    Args:
        shape: (B, ...), the shape of the batch to draw.
        num_steps: N >= 1; v is evaluated at t = k / N for k = 0 … N−1, as (B,) in the default dtype.

    Returns:
        (B, ...) in the default dtype.
    """
    # TODO: raise ValueError naming num_steps if it is < 1; x <- x + v(x, t) / N.
    raise NotImplementedError
