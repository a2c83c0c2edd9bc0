"""2-D toy sets: shapes, determinism, recorded checksums, distribution (with exact moments), and
the closed-form log-densities against torch.distributions and numerical integration."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from data import TOY_NAMES, toy_2d, toy_2d_log_prob
from data.store import array_digest, load_checksums
from data.toy import GRID_SD, MOONS_NOISE, RING_SD, mixture_centres

N = 200_000  # large samples for the statistical checks below
# Every statistical check below uses a two-sided threshold with false-failure probability
# P_FAIL = 1e-8; the file runs fewer than 30 of them, so the union bound is under 1e-6.
P_FAIL = 1e-8
Z = stats.norm.isf(P_FAIL / 2)  # ≈ 5.73


@pytest.mark.parametrize("name", TOY_NAMES)
def test_shape_dtype_and_determinism(name):
    x = toy_2d(name, 97, seed=3)
    assert x.shape == (97, 2) and x.dtype == torch.float32 and torch.isfinite(x).all()
    assert torch.equal(x, toy_2d(name, 97, seed=3)), "same seed must give the same points"
    assert not torch.equal(x, toy_2d(name, 97, seed=4)), "another seed must give other points"


@pytest.mark.parametrize("name", TOY_NAMES)
def test_fixed_sample_matches_recorded_checksum(name):
    # The same fixed sample (n=1000, seed=0) as `python -m data build` records.
    digest = array_digest(toy_2d(name, 1000, seed=0).numpy())
    assert digest == load_checksums()["toy"][name], f"toy set {name!r} changed its bytes"


def test_global_generator_untouched():
    state = torch.get_rng_state()
    for name in TOY_NAMES:
        toy_2d(name, 10, seed=0)
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("bad", [dict(name="spiral", n=5), dict(name="moons", n=0),
                                 dict(name="moons", n=2.0)])  # fmt: skip
def test_bad_arguments(bad):
    with pytest.raises(ValueError, match="name" if bad["name"] == "spiral" else "n must"):
        toy_2d(bad["name"], bad["n"])


def _z(sample_mean: float, mean: float, variance: float, n: int) -> float:
    return abs(sample_mean - mean) / math.sqrt(variance / n)


def test_moons_moments():
    # x = s·a(t) + σ·z with s = ±1 (p = 1/2), t ~ U(0, π), a(t) = (cos t − 1/2, sin t − 1/4).
    # Exact moments by quadrature over t: E x_i = 0, E x_i² = E a_i² + σ², and
    # Var(x_i²) = E a_i⁴ + 6σ² E a_i² + 3σ⁴ − (E x_i²)² (Gaussian noise moments).
    x = toy_2d("moons", N, seed=11).double().numpy()
    s2 = MOONS_NOISE**2
    for i, a in enumerate([lambda t: math.cos(t) - 0.5, lambda t: math.sin(t) - 0.25]):
        m2 = integrate.quad(lambda t: a(t) ** 2, 0, math.pi)[0] / math.pi
        m4 = integrate.quad(lambda t: a(t) ** 4, 0, math.pi)[0] / math.pi
        second = m2 + s2
        var_second = m4 + 6 * s2 * m2 + 3 * s2**2 - second**2
        assert _z(x[:, i].mean(), 0.0, second, N) < Z, f"mean of coordinate {i}"
        assert _z((x[:, i] ** 2).mean(), second, var_second, N) < Z, f"E x_{i}^2"


@pytest.mark.parametrize("name", ["eight_gaussians", "grid"])
def test_mixture_components_uniform_and_gaussian(name):
    x = toy_2d(name, N, seed=12).double()
    centres = mixture_centres(name)  # (K, 2)
    sd = RING_SD if name == "eight_gaussians" else GRID_SD
    k = torch.cdist(x, centres).argmin(dim=1)  # nearest centre
    # Nearest-centre assignment errs only beyond the half-distance between centres (3.8 sd for the
    # ring, 5 sd for the grid): P ≤ 2·Φ(−3.8) ≈ 1.4e-4 per point, symmetric between neighbours.
    counts = np.bincount(k.numpy(), minlength=len(centres))
    chi2 = ((counts - N / len(centres)) ** 2 / (N / len(centres))).sum()
    assert chi2 < stats.chi2.isf(P_FAIL, len(centres) - 1), f"component frequencies: {counts}"
    # Residuals are N(0, sd² I): their sum of squares / sd² is chi-square with 2N dof. (The ≈ 26
    # misassigned ring points lower it by a few hundred at most; the band is ±5,100 wide.)
    ss = (((x - centres[k]) ** 2).sum() / sd**2).item()
    low, high = stats.chi2.isf(1 - P_FAIL / 2, 2 * N), stats.chi2.isf(P_FAIL / 2, 2 * N)
    assert low < ss < high, f"residual sum of squares {ss:.0f} outside [{low:.0f}, {high:.0f}]"


def test_checkerboard_uniform_on_black_squares():
    x = toy_2d("checkerboard", N, seed=13).double()
    cell = torch.floor(x + 2).long()  # (N, 2) column and row
    assert ((cell >= 0) & (cell <= 3)).all() and (cell.sum(dim=1) % 2 == 0).all()
    counts = np.bincount((cell[:, 0] * 4 + cell[:, 1]).numpy(), minlength=16)
    black = counts[[c * 4 + r for c in range(4) for r in range(4) if (c + r) % 2 == 0]]
    chi2 = ((black - N / 8) ** 2 / (N / 8)).sum()  # 8 squares, equally likely
    assert chi2 < stats.chi2.isf(P_FAIL, 7), f"square frequencies: {black}"
    offset = (x + 2 - cell).numpy()  # U[0, 1)² inside the square: mean 1/2, variance 1/12
    for i in range(2):
        assert _z(offset[:, i].mean(), 0.5, 1 / 12, N) < Z


@pytest.mark.parametrize("name", ["eight_gaussians", "grid"])
def test_mixture_log_prob_matches_torch_distributions(name):
    sd = RING_SD if name == "eight_gaussians" else GRID_SD
    centres = mixture_centres(name)
    oracle = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(torch.ones(len(centres), dtype=torch.float64)),
        torch.distributions.Independent(torch.distributions.Normal(centres, sd), 1),
    )
    torch.manual_seed(0)
    x = torch.cat([toy_2d(name, 97, seed=1).double(), 3 * torch.randn(50, 2, dtype=torch.float64)])
    # float64 on both sides: agreement to rounding (1e-10 absolute leaves room for logsumexp order).
    torch.testing.assert_close(toy_2d_log_prob(name, x), oracle.log_prob(x), rtol=0, atol=1e-10)
    assert toy_2d_log_prob(name, x.float()).dtype == torch.float32


@pytest.mark.parametrize("name", ["eight_gaussians", "grid", "checkerboard"])
def test_log_prob_integrates_to_one(name):
    # Midpoint rule, step h = 0.02 on [-4, 4]²: for Gaussians of sd ≥ 0.1 its error is of order
    # exp(−2π²sd²/h²) (negligible), the mass outside the box is < exp(−50); for the checkerboard the
    # cell edges fall on the squares' edges, so the sum is exact. 1e-8 covers float64 summation.
    h = 0.02
    mid = torch.arange(-4 + h / 2, 4, h, dtype=torch.float64)  # (400,)
    grid = torch.cartesian_prod(mid, mid)  # (160000, 2)
    total = toy_2d_log_prob(name, grid).exp().sum().item() * h * h
    assert abs(total - 1) < 1e-8, f"integral {total}"


def test_log_prob_of_moons_is_refused():
    with pytest.raises(ValueError, match="name"):
        toy_2d_log_prob("moons", torch.zeros(3, 2))
