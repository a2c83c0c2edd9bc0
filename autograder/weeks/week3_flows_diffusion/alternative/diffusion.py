"""Week 3, alternative correct implementation: DDPM, DDIM and flow matching.

A second, independent implementation of the graded functions of `diffusion.py`
(contract: the docstrings of `solutions/week3_flows_diffusion/diffusion.py`; Ho et al., 2020;
Song et al., 2021; Lipman et al., 2023).
Where the contract leaves room it differs from the obvious version:
- schedules are built with Python floats in loops (cumulative products by hand, `math.cos`),
  then stored as float64 tensors;
- every per-step coefficient is looked up as a float64 tensor and the arithmetic runs in
  float64, cast back to the data's dtype at the end;
- `diffusion_loss` draws the noise before the timesteps, `flow_matching_loss` draws the times
  before the base noise, and the samplers keep their state in float64 between steps;
- the loss is a sum of squares divided by the element count, not `.mean()`.
The hidden tests must give it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t: (B,) int64) -> eps_hat
Velocity = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t, t: (B,) float) -> v


def _check_steps(num_steps: int, name: str = "num_steps") -> int:
    if int(num_steps) != num_steps or int(num_steps) < 1:
        raise ValueError(f"{name} must be a positive integer, got {num_steps}")
    return int(num_steps)


def linear_beta_schedule(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """beta_t evenly spaced from beta_start to beta_end. Returns (T,) float64."""
    steps = _check_steps(num_steps)
    if not (0.0 < beta_start <= 1.0 and 0.0 < beta_end <= 1.0):
        raise ValueError(f"beta_start and beta_end must lie in (0, 1], got {beta_start}, {beta_end}")
    if steps == 1:
        return torch.tensor([float(beta_start)], dtype=torch.float64)
    width = (beta_end - beta_start) / (steps - 1)
    values = [beta_start + k * width for k in range(steps)]
    values[-1] = float(beta_end)  # the last point exactly, as linspace gives it
    return torch.tensor(values, dtype=torch.float64)


def cosine_beta_schedule(num_steps: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Nichol & Dhariwal (2021): beta_t = min(1 - f(t+1)/f(t), max_beta). Returns (T,) float64.

    f(u) = cos^2(((u / T) + s) / (1 + s) · pi / 2) on u = 0 … T.
    """
    steps = _check_steps(num_steps)
    if s < 0:
        raise ValueError(f"s must be >= 0, got {s}")
    if not 0.0 < max_beta <= 1.0:
        raise ValueError(f"max_beta must lie in (0, 1], got {max_beta}")

    def f(u: int) -> float:
        return math.cos((u / steps + s) / (1.0 + s) * math.pi / 2.0) ** 2

    return torch.tensor([min(1.0 - f(t + 1) / f(t), max_beta) for t in range(steps)], dtype=torch.float64)


class DiffusionSchedule:
    """Every per-step quantity of the forward process, as (T,) float64 tensors (0-indexed t)."""

    def __init__(self, betas: torch.Tensor):
        betas = torch.as_tensor(betas)
        if betas.dim() != 1 or betas.numel() < 1:
            raise ValueError(f"betas must be a non-empty 1-D tensor, got shape {tuple(betas.shape)}")
        values = [float(b) for b in betas.detach().cpu().to(torch.float64)]
        if not all(0.0 < b <= 1.0 for b in values):
            raise ValueError("betas must lie in (0, 1]")
        alpha_bars, prev, running = [], [], 1.0
        for b in values:
            prev.append(running)  # alpha_bar_{t-1}, with alpha_bar_{-1} = 1
            running *= 1.0 - b
            alpha_bars.append(running)
        # beta~_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) · beta_t (Ho et al. eq. 7)
        posterior = [(1.0 - p) / (1.0 - a) * b if a < 1.0 else 0.0 for b, a, p in zip(values, alpha_bars, prev)]
        as64 = lambda v: torch.tensor(v, dtype=torch.float64, device=betas.device)
        self.betas = as64(values)
        self.alphas = as64([1.0 - b for b in values])
        self.alpha_bars = as64(alpha_bars)
        self.alpha_bars_prev = as64(prev)
        self.posterior_variance = as64(posterior)

    @property
    def num_steps(self) -> int:
        return int(self.betas.shape[0])


def _per_example(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """values[t] reshaped to broadcast against `like`, in float64.

    values: (T,) float64, t: (B,) int64, like: (B, ...). Returns (B, 1, …, 1) float64.
    """
    if t.dim() != 1 or t.shape[0] != like.shape[0]:
        raise ValueError(f"t must have shape ({like.shape[0]},), got {tuple(t.shape)}")
    if t.dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64) or t.dtype == torch.bool:
        raise ValueError(f"t must hold integers, got {t.dtype}")
    num_steps = values.shape[0]
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= num_steps):
        raise ValueError(f"t must lie in [0, {num_steps - 1}]")
    picked = values.to(like.device)[t.to(like.device).long()]  # (B,)
    return picked.reshape(-1, *([1] * (like.dim() - 1)))  # (B, 1, ..., 1)


def q_sample(schedule: DiffusionSchedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps (Ho et al. eq. 4).

    x0, noise: (B, ...) float, t: (B,) int64. Returns (B, ...) in x0's dtype.
    """
    if noise.shape != x0.shape:
        raise ValueError(f"noise must have x0's shape {tuple(x0.shape)}, got {tuple(noise.shape)}")
    a_bar = _per_example(schedule.alpha_bars, t, x0)
    out = torch.sqrt(a_bar) * x0.to(torch.float64) + torch.sqrt(1.0 - a_bar) * noise.to(torch.float64)
    return out.to(x0.dtype)


def q_posterior(
    schedule: DiffusionSchedule, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of q(x_{t-1} | x_t, x0) (Ho et al. eqs. 6-7).

    x0, x_t: (B, ...) float, t: (B,) int64. Returns (mean, variance), both (B, ...) in x_t's dtype.
    """
    if x0.shape != x_t.shape:
        raise ValueError(f"x0 and x_t must have the same shape, got {tuple(x0.shape)} and {tuple(x_t.shape)}")
    beta = _per_example(schedule.betas, t, x_t)
    alpha = _per_example(schedule.alphas, t, x_t)
    a_bar = _per_example(schedule.alpha_bars, t, x_t)
    a_bar_prev = _per_example(schedule.alpha_bars_prev, t, x_t)
    coef_x0 = torch.sqrt(a_bar_prev) * beta / (1.0 - a_bar)
    coef_xt = torch.sqrt(alpha) * (1.0 - a_bar_prev) / (1.0 - a_bar)
    mean = coef_x0 * x0.to(torch.float64) + coef_xt * x_t.to(torch.float64)
    variance = _per_example(schedule.posterior_variance, t, x_t).expand(x_t.shape)
    return mean.to(x_t.dtype), variance.to(x_t.dtype).clone()


def predict_x0(schedule: DiffusionSchedule, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """x0 = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t), the inverse of q_sample.

    x_t, eps: (B, ...) float, t: (B,) int64. Returns (B, ...) in x_t's dtype.
    """
    a_bar = _per_example(schedule.alpha_bars, t, x_t)
    out = (x_t.to(torch.float64) - torch.sqrt(1.0 - a_bar) * eps.to(torch.float64)) / torch.sqrt(a_bar)
    return out.to(x_t.dtype)


def diffusion_loss(model: Denoiser, schedule: DiffusionSchedule, x0: torch.Tensor) -> torch.Tensor:
    """Ho et al. Algorithm 1: mean over all entries of (model(x_t, t) - eps)^2. Returns () float."""
    eps = torch.randn_like(x0)  # noise drawn first, then the timesteps
    t = torch.randint(0, schedule.num_steps, (x0.shape[0],), device=x0.device)  # (B,) int64
    x_t = q_sample(schedule, x0, t, eps)
    err = model(x_t, t) - eps
    return (err * err).sum() / err.numel()


def _full_t(t: int, batch: int, device: torch.device) -> torch.Tensor:
    return torch.full((batch,), int(t), dtype=torch.int64, device=device)


def p_sample(model: Denoiser, schedule: DiffusionSchedule, x_t: torch.Tensor, t: int) -> torch.Tensor:
    """One ancestral step x_t -> x_{t-1} (Ho et al. Algorithm 2, lines 3-4), variance beta~_t.

    x_t: (B, ...) float, t: int in [0, T). Returns x_{t-1}: (B, ...) in x_t's dtype; no noise at t = 0.
    """
    t = int(t)
    if not 0 <= t < schedule.num_steps:
        raise ValueError(f"t must lie in [0, {schedule.num_steps - 1}], got {t}")
    return _p_step64(model, schedule, x_t.to(torch.float64), t, x_t.dtype).to(x_t.dtype)


def _p_step64(model: Denoiser, schedule: DiffusionSchedule, x64: torch.Tensor, t: int, dtype) -> torch.Tensor:
    """p_sample on a float64 state; the model sees `dtype`. Returns the float64 next state."""
    eps = model(x64.to(dtype), _full_t(t, x64.shape[0], x64.device)).to(torch.float64)
    beta, alpha, a_bar = (float(v[t]) for v in (schedule.betas, schedule.alphas, schedule.alpha_bars))
    # Algorithm 2, line 4: mean = (x_t - beta_t / sqrt(1 - alpha_bar_t) · eps) / sqrt(alpha_t)
    mean = (x64 - beta / math.sqrt(1.0 - a_bar) * eps) / math.sqrt(alpha)
    if t == 0:
        return mean
    z = torch.randn(x64.shape, dtype=dtype, device=x64.device).to(torch.float64)
    return mean + math.sqrt(float(schedule.posterior_variance[t])) * z


def _check_shape(shape: Sequence[int]) -> tuple[int, ...]:
    dims = tuple(int(d) for d in shape)
    if len(dims) < 1 or any(d < 1 for d in dims):
        raise ValueError(f"shape must be a non-empty tuple of positive sizes, got {shape}")
    return dims


@torch.no_grad()
def p_sample_loop(model: Denoiser, schedule: DiffusionSchedule, shape: Sequence[int]) -> torch.Tensor:
    """Ho et al. Algorithm 2: x_T ~ N(0, I), then p_sample for t = T-1 … 0. Returns x_0 (default dtype)."""
    dims = _check_shape(shape)
    dtype = torch.get_default_dtype()
    x64 = torch.randn(dims, dtype=dtype).to(torch.float64)
    for t in range(schedule.num_steps - 1, -1, -1):
        x64 = _p_step64(model, schedule, x64, t, dtype)
    return x64.to(dtype)


@torch.no_grad()
def ddim_sample(model: Denoiser, schedule: DiffusionSchedule, shape: Sequence[int], num_steps: int) -> torch.Tensor:
    """Deterministic DDIM (eta = 0; Song et al. eq. 12) on a descending subsequence of timesteps.

    Returns x_0 of the given shape, default dtype.
    """
    dims = _check_shape(shape)
    steps = _check_steps(num_steps)
    grid = torch.linspace(schedule.num_steps - 1, 0, steps, dtype=torch.float64).round().long().tolist()
    timesteps = []
    for t in grid:  # remove repeats, keep the descending order
        if not timesteps or timesteps[-1] != t:
            timesteps.append(int(t))
    dtype = torch.get_default_dtype()
    x64 = torch.randn(dims, dtype=dtype).to(torch.float64)
    x0_hat = x64
    for i, t in enumerate(timesteps):
        eps = model(x64.to(dtype), _full_t(t, dims[0], x64.device)).to(torch.float64)
        a_bar = float(schedule.alpha_bars[t])
        x0_hat = (x64 - math.sqrt(1.0 - a_bar) * eps) / math.sqrt(a_bar)
        if i + 1 < len(timesteps):
            a_next = float(schedule.alpha_bars[timesteps[i + 1]])
            x64 = math.sqrt(a_next) * x0_hat + math.sqrt(1.0 - a_next) * eps
    return x0_hat.to(dtype)


def flow_matching_loss(velocity_model: Velocity, x1: torch.Tensor) -> torch.Tensor:
    """Conditional flow matching (Lipman et al., 2023) on the straight path. Returns () float.

    x_t = (1 - t) x0 + t x1 with x0 ~ N(0, I), t ~ U(0, 1); the target velocity is x1 - x0.
    """
    t = torch.rand(x1.shape[0], dtype=x1.dtype, device=x1.device)  # times drawn first
    x0 = torch.randn_like(x1)
    t_b = t.reshape(-1, *([1] * (x1.dim() - 1)))  # (B, 1, ..., 1)
    x_t = (1.0 - t_b) * x0 + t_b * x1
    err = velocity_model(x_t, t) - (x1 - x0)
    return (err * err).sum() / err.numel()


@torch.no_grad()
def euler_sample(velocity_model: Velocity, shape: Sequence[int], num_steps: int) -> torch.Tensor:
    """N Euler steps of dx/dt = v(x, t) from x ~ N(0, I) at t = 0 to t = 1. Returns (shape) default dtype."""
    dims = _check_shape(shape)
    steps = _check_steps(num_steps)
    dtype = torch.get_default_dtype()
    x64 = torch.randn(dims, dtype=dtype).to(torch.float64)
    for k in range(steps):
        t = torch.full((dims[0],), k / steps, dtype=dtype)  # v evaluated at t = k / N
        x64 = x64 + _velocity64(velocity_model, x64, t, dtype) / steps
    return x64.to(dtype)


def _velocity64(velocity_model, x64: torch.Tensor, t: torch.Tensor, dtype) -> torch.Tensor:
    """v(x, t) with the model seeing `dtype`, returned in float64."""
    return velocity_model(x64.to(dtype), t).to(torch.float64)
