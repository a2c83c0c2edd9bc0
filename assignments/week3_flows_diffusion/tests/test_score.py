"""Public tests of score.py: shapes, dtypes and easy properties.

Passing them does not mean your values are right: the grader checks the DSM loss's exact law for
Gaussian data, your sampler's exact output law on a Gaussian target and the mode weights it finds on
a mixture, and eps_to_score against the score of a DDPM marginal.
"""
import math

import pytest
import torch

from score import annealed_langevin, dsm_loss, eps_to_score, geometric_sigmas


def _gaussian_score(mean, var):
    """The score of N(mean, var I) noised at level σ: −(x − mean)/(var + σ²)."""

    def score(x, sigma):
        assert sigma.shape == (x.shape[0],) and sigma.dtype == x.dtype
        return -(x - mean) / (var + sigma.reshape(-1, *([1] * (x.dim() - 1))) ** 2)

    return score


# ---------------------------------------------------------------------------------------
# geometric_sigmas
# ---------------------------------------------------------------------------------------
def test_geometric_sigmas():
    sigmas = geometric_sigmas(1.0, 0.01, 10)
    assert sigmas.shape == (10,) and sigmas.dtype == torch.float64
    assert sigmas[0].item() == pytest.approx(1.0) and sigmas[-1].item() == pytest.approx(0.01)
    assert torch.all(sigmas[1:] < sigmas[:-1]), "descending"
    ratios = sigmas[1:] / sigmas[:-1]
    assert torch.allclose(ratios, ratios[0].expand_as(ratios)), "a geometric sequence has a constant ratio"
    assert geometric_sigmas(0.5, 0.5, 1).tolist() == [0.5]


def test_geometric_sigmas_rejects_bad_arguments():
    for args in [(1.0, 0.1, 0), (1.0, 0.0, 5), (0.1, 1.0, 5), (1.0, 0.1, 1)]:
        with pytest.raises(ValueError):
            geometric_sigmas(*args)


# ---------------------------------------------------------------------------------------
# dsm_loss
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dtype", [((97, 2), torch.float32), ((7, 1, 4, 4), torch.float64)])
def test_dsm_loss_shape_and_dtype(shape, dtype):
    loss = dsm_loss(_gaussian_score(0.0, 1.0), torch.randn(shape, dtype=dtype), geometric_sigmas(1.0, 0.1, 4))
    assert loss.shape == () and loss.dtype == dtype and torch.isfinite(loss)


def test_dsm_loss_of_the_exact_score_is_small():
    # Data N(0, s²): the exact score's expected loss is ½ · d · s²/(s² + σ²) per example; a zero score's
    # is ½ · d (it is E ½‖ε‖²). Loose bounds, many examples.
    s, sigma, d = 0.5, 1.0, 2
    x = s * torch.randn(20_000, d, dtype=torch.float64)
    exact = dsm_loss(_gaussian_score(0.0, s * s), x, torch.tensor([sigma]))
    zero = dsm_loss(lambda xt, sg: torch.zeros_like(xt), x, torch.tensor([sigma]))
    assert exact.item() == pytest.approx(0.5 * d * s * s / (s * s + sigma * sigma), rel=0.05)
    assert zero.item() == pytest.approx(0.5 * d, rel=0.05)


def test_dsm_loss_has_gradients():
    weight = torch.nn.Parameter(torch.tensor(0.5))
    loss = dsm_loss(lambda xt, sg: -weight * xt, torch.randn(64, 3), torch.tensor([1.0, 0.5]))
    loss.backward()
    assert weight.grad is not None and torch.isfinite(weight.grad)


# ---------------------------------------------------------------------------------------
# annealed_langevin
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dtype", [((97, 2), torch.float32), ((5, 1, 3, 4), torch.float64)])
def test_annealed_langevin_shape_and_dtype(shape, dtype):
    x0 = torch.zeros(shape, dtype=dtype)
    x = annealed_langevin(_gaussian_score(1.0, 0.25), x0, geometric_sigmas(1.0, 0.1, 3), 4, 1e-3)
    assert x.shape == shape and x.dtype == dtype and torch.isfinite(x).all()
    assert torch.all(x0 == 0), "x0 must not be modified in place"


def test_annealed_langevin_moves_towards_the_data():
    # From x0 = −3 towards N(1, 0.5²): the mean after many steps is close to 1.
    x0 = torch.full((4000, 1), -3.0, dtype=torch.float64)
    x = annealed_langevin(_gaussian_score(1.0, 0.25), x0, geometric_sigmas(1.0, 0.1, 5), 50, 2e-3)
    assert abs(x.mean().item() - 1.0) < 0.1


def test_annealed_langevin_calls_the_score_once_per_step():
    calls = []

    def score(x, sigma):
        calls.append(float(sigma[0]))
        return -x

    annealed_langevin(score, torch.zeros(3, 2), torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64), 4, 0.1)
    assert calls == [2.0] * 4 + [1.0] * 4 + [0.5] * 4, "4 steps per level, levels in the given order"


# ---------------------------------------------------------------------------------------
# eps_to_score
# ---------------------------------------------------------------------------------------
class _Schedule:
    def __init__(self, betas):
        self.alpha_bars = torch.cumprod(1 - betas, dim=0)  # (T,) float64


@pytest.mark.parametrize("shape, dtype", [((97, 2), torch.float32), ((5, 1, 4, 4), torch.float64)])
def test_eps_to_score_shape_and_formula(shape, dtype):
    sched = _Schedule(torch.linspace(1e-4, 0.02, 100, dtype=torch.float64))
    t = torch.randint(0, 100, (shape[0],))
    eps = torch.randn(shape, dtype=dtype)
    s = eps_to_score(eps, sched, t)
    assert s.shape == shape and s.dtype == dtype
    i = 0
    want = -eps[i] / math.sqrt(1 - sched.alpha_bars[t[i]].item())
    assert torch.allclose(s[i], want, rtol=1e-5)
