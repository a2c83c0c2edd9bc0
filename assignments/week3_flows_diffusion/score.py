"""Week 3, part 3: score-based generation (NCSN) and its link to DDPM.

This file implements
- the geometric noise levels σ_1 > … > σ_L of the noise-conditional score network (NCSN; Song &
  Ermon, 2019, "Generative modeling by estimating gradients of the data distribution", Section 4.1);
- denoising score matching (Vincent, 2011, "A connection between score matching and denoising
  autoencoders"): a network s(x̃, σ) regressed onto the score of the noising kernel,
  ∇_x̃ log N(x̃; x, σ² I) = −(x̃ − x)/σ² = −ε/σ, with NCSN's weighting λ(σ) = σ² (Eq. 5-6);
- annealed Langevin dynamics (NCSN Algorithm 1): week 1's Langevin sampler run at each noise
  level in turn, from the largest to the smallest, with a step size that shrinks with σ²;
- the link to DDPM: an ε-prediction network implies the score of q(x_t),
  ∇ log q(x_t) = −E[ε | x_t] / √(1 − ᾱ_t) (Song et al., 2021, "Score-based generative modeling
  through stochastic differential equations"; Ho et al., 2020, Section 3.2).

A score model is called as ``score_model(x, sigma)`` with ``x: (B, ...)`` and ``sigma: (B,)`` in
x's dtype, and returns a tensor of x's shape. Noise levels are float64 tensors. Randomness comes
from torch's global generator. This file imports no other graded file.

Write them in this order:
  1. geometric_sigmas      2. dsm_loss      3. annealed_langevin      4. eps_to_score
"""
import math
from typing import Callable

import torch

F64 = torch.float64


def _per_example(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """values: (B,) as (B, 1, ..., 1), to broadcast over x: (B, ...)."""
    return values.reshape(-1, *([1] * (x.dim() - 1)))  # (B, 1, ..., 1)


# ---------------------------------------------------------------------------------------
# 1. Noise levels
# ---------------------------------------------------------------------------------------
def geometric_sigmas(sigma_max: float, sigma_min: float, num_levels: int) -> torch.Tensor:
    """NCSN's noise levels: a descending geometric sequence (Song & Ermon, 2019, Section 4.1).

    σ_i = σ_max · (σ_min / σ_max)^((i − 1)/(L − 1)) for i = 1 … L, so σ_1 = σ_max and σ_L = σ_min
    and every ratio σ_{i+1}/σ_i is the same.

    Args:
        sigma_max, sigma_min: 0 < sigma_min <= sigma_max.
        num_levels: L >= 1; L = 1 needs sigma_min == sigma_max.

    Returns:
        (L,) float64, descending (L equal values when the two sigmas are equal).

    Raises:
        ValueError: if num_levels < 1, a sigma is not positive, sigma_min > sigma_max, or
            num_levels = 1 with unequal sigmas.
    """
    # TODO: evenly spaced in log σ (exp of a float64 linspace of the logs); check the arguments first.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 2. Denoising score matching
# ---------------------------------------------------------------------------------------
def dsm_loss(score_model: Callable, x: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
    """NCSN's denoising score matching loss (Song & Ermon, 2019, Eq. 5-6, λ(σ) = σ²).

    Per example: a level σ drawn uniformly from ``sigmas``, ε ~ N(0, I), x̃ = x + σ ε, and
    ½ ‖σ · s(x̃, σ) + ε‖² summed over the data dimensions. This is σ² · ½ ‖s(x̃, σ) − ∇ log
    N(x̃; x, σ² I)‖², since that kernel's score is −ε/σ.

    Args:
        score_model: (x̃: (B, ...), sigma: (B,) in x's dtype) -> (B, ...).
        x: (B, ...) float, a batch of data.
        sigmas: (L,) tensor of any float dtype, the noise levels (used in x's dtype).

    Returns:
        () in x's dtype: the mean over the batch of the per-example losses, with the graph to the
        model's parameters kept (the caller calls backward()).
    """
    # TODO: one level index per example (torch.randint over L), ε in x's dtype, σ reshaped to
    #   broadcast over the data dimensions (the helper _per_example does it). Must hold: for Gaussian data N(m, s² I) and the exact
    #   score −(x̃ − m)/(s² + σ²), the expected loss is ½ · d · s²/(s² + σ²) at a single level σ.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 3. Annealed Langevin dynamics
# ---------------------------------------------------------------------------------------
@torch.no_grad()
def annealed_langevin(score_model: Callable, x0: torch.Tensor, sigmas: torch.Tensor, steps_per_level: int,
                      eps: float) -> torch.Tensor:
    """NCSN's sampler (Song & Ermon, 2019, Algorithm 1).

    For each σ_i in the given (descending) order, with α_i = eps · σ_i² / σ_L² (σ_L the last level),
    take ``steps_per_level`` steps of

        x ← x + (α_i / 2) · s(x, σ_i) + √α_i · z,    z ~ N(0, I),

    calling the score once per step with σ_i as a (B,) tensor in x's dtype. Each level is week 1's
    ``langevin`` with step size h = α_i / 2 (its noise √(2h) = √α_i) on the score at that level.

    Args:
        score_model: (x: (B, ...), sigma: (B,)) -> (B, ...).
        x0: (B, ...) float, the initial states (left unchanged).
        sigmas: (L,) float, descending noise levels.
        steps_per_level: T >= 1 steps at each level.
        eps: the step size at the last level, > 0.

    Returns:
        (B, ...) in x0's dtype, the states after L · T steps.
    """
    # TODO: Algorithm 1, lines 1-7, on all B chains at once; work on a copy of x0.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 4. The link to DDPM
# ---------------------------------------------------------------------------------------
def eps_to_score(eps: torch.Tensor, schedule, t: torch.Tensor) -> torch.Tensor:
    """The score of q(x_t) implied by an ε-prediction: ∇ log q(x_t) ≈ −ε̂ / √(1 − ᾱ_t).

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) has score −ε/√(1 − ᾱ_t) at x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε,
    and the marginal score ∇ log q(x_t) is the posterior mean of that conditional score,
    E[−ε/√(1 − ᾱ_t) | x_t] (Vincent, 2011), so the optimal ε̂ = E[ε | x_t] gives it exactly.

    Args:
        eps: (B, ...) float, ε̂ at x_t.
        schedule: a DiffusionSchedule, or any object with its (T,) ``alpha_bars``; only that
            attribute is read.
        t: (B,) int64 in [0, T).

    Returns:
        (B, ...) in eps's dtype.
    """
    # TODO: compute −1/√(1 − ᾱ_t) in float64, gather it at t, cast to eps's dtype and broadcast.
    raise NotImplementedError
