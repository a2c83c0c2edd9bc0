"""2-D toy data sets, generated on the fly from a seed.

Each set is a pure function of (n, seed): a private `torch.Generator` seeded with `seed` drives
every draw (torch's global generator is never used), the points are computed in float64 and
returned as float32, so a fixed sample has a fixed checksum (recorded in data/checksums.json).

| name            | distribution                                                                 |
|-----------------|------------------------------------------------------------------------------|
| moons           | two interleaved half circles of radius 1, each picked with probability 1/2,   |
|                 | angle t ~ U(0, pi), Gaussian noise sd 0.1, centred (mean exactly 0)           |
| eight_gaussians | equal mixture of 8 isotropic Gaussians, sd 0.2, centres on the circle r = 2   |
| grid            | equal mixture of 25 isotropic Gaussians, sd 0.1, centres {-2, ..., 2}^2       |
| checkerboard    | uniform on the 8 black unit squares of a 4x4 board covering [-2, 2]^2         |

`toy_2d_log_prob` gives the exact log-density of the three sets that have one in closed form.
"""

from __future__ import annotations

import math

import torch

TOY_NAMES = ("moons", "eight_gaussians", "grid", "checkerboard")
MOONS_NOISE = 0.1
RING_RADIUS, RING_SD, RING_K = 2.0, 0.2, 8
GRID_SD, GRID_LEVELS = 0.1, (-2.0, -1.0, 0.0, 1.0, 2.0)


def _check(name: str, n: int) -> None:
    if name not in TOY_NAMES:
        raise ValueError(f"name must be one of {TOY_NAMES}, got {name!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")


def mixture_centres(name: str) -> torch.Tensor:
    """Component means of a Gaussian-mixture toy set: (K, 2) float64."""
    if name == "eight_gaussians":
        angle = 2 * math.pi * torch.arange(RING_K, dtype=torch.float64) / RING_K
        return RING_RADIUS * torch.stack([angle.cos(), angle.sin()], dim=1)  # (8, 2)
    if name == "grid":
        levels = torch.tensor(GRID_LEVELS, dtype=torch.float64)
        return torch.cartesian_prod(levels, levels)  # (25, 2)
    raise ValueError(f"name must be 'eight_gaussians' or 'grid', got {name!r}")


def _mixture_sd(name: str) -> float:
    return RING_SD if name == "eight_gaussians" else GRID_SD


def toy_2d(name: str, n: int, seed: int = 0) -> torch.Tensor:
    """n points of the toy set `name`, drawn with a generator seeded by `seed`.

    Returns (n, 2) float32. Deterministic: the same (name, n, seed) gives the same bytes.
    """
    _check(name, n)
    g = torch.Generator().manual_seed(seed)
    f64 = torch.float64
    if name == "moons":
        t = math.pi * torch.rand(n, generator=g, dtype=f64)  # (n,) angle on the half circle
        sign = 2.0 * (torch.rand(n, generator=g, dtype=f64) < 0.5).to(f64) - 1.0  # (n,) which moon
        # Upper moon (cos t, sin t), lower (1 - cos t, 0.5 - sin t), minus the mean (0.5, 0.25).
        # The lower one is the upper one reflected through that mean, hence the sign.
        arc = torch.stack([t.cos() - 0.5, t.sin() - 0.25], dim=1)  # (n, 2)
        x = sign[:, None] * arc + MOONS_NOISE * torch.randn(n, 2, generator=g, dtype=f64)
    elif name in ("eight_gaussians", "grid"):
        centres = mixture_centres(name)  # (K, 2)
        k = torch.randint(len(centres), (n,), generator=g)  # (n,) component
        x = centres[k] + _mixture_sd(name) * torch.randn(n, 2, generator=g, dtype=f64)
    else:  # checkerboard: column c uniform, then one of the two black rows r with r + c even
        c = torch.randint(4, (n,), generator=g)
        r = 2 * torch.randint(2, (n,), generator=g) + c % 2
        cell = torch.stack([c, r], dim=1).to(f64)  # (n, 2) lower-left corner, offset by 2
        x = cell - 2.0 + torch.rand(n, 2, generator=g, dtype=f64)
    return x.to(torch.float32)


def toy_2d_log_prob(name: str, x: torch.Tensor) -> torch.Tensor:
    """Exact log-density of 'eight_gaussians', 'grid' or 'checkerboard' at x.

    x: (N, 2) float. Returns (N,) in x's dtype; -inf off the checkerboard's black squares.
    'moons' has no closed form and raises ValueError.
    """
    if name == "checkerboard":
        cell = torch.floor(x + 2.0)  # (N, 2) column and row index, 0..3 inside the board
        inside = ((cell >= 0) & (cell <= 3)).all(dim=1)
        black = (cell.sum(dim=1) % 2) == 0
        log_p = torch.full_like(x[:, 0], -math.log(8.0))
        return torch.where(inside & black, log_p, torch.full_like(log_p, -math.inf))
    if name not in ("eight_gaussians", "grid"):
        raise ValueError(f"name must be 'eight_gaussians', 'grid' or 'checkerboard', got {name!r}")
    centres = mixture_centres(name).to(x)  # (K, 2)
    sd = _mixture_sd(name)
    sq_dist = ((x[:, None, :] - centres[None]) ** 2).sum(dim=-1)  # (N, K)
    log_component = -0.5 * sq_dist / sd**2 - math.log(2 * math.pi * sd**2)  # 2-D normal
    return torch.logsumexp(log_component, dim=1) - math.log(len(centres))
