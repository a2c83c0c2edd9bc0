"""Public tests of gan.py: shapes, dtypes, finiteness and easy properties.

Passing them does not mean your values are right: the grader compares them with a reference,
with torch's own spectral_norm, and trains your GAN on the ring.
"""
import math

import pytest
import torch
from torch import nn

from gan import (Critic, Generator, SpectralNorm, gradient_penalty, hinge_critic_loss,
                 hinge_generator_loss, mode_coverage, power_iteration, spectral_norm, train_wgan,
                 wgan_critic_loss, wgan_generator_loss)


def _ring(n: int) -> torch.Tensor:
    """n draws from eight Gaussians on a circle of radius 2, std 0.02."""
    angles = 2 * math.pi * torch.randint(0, 8, (n,)) / 8
    return 2 * torch.stack([angles.cos(), angles.sin()], dim=1) + 0.02 * torch.randn(n, 2)


# ---------------------------------------------------------------------------------------
# power_iteration
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_power_iteration_shapes_and_unit_vectors(dtype):
    W = torch.randn(7, 5, dtype=dtype)
    v0 = torch.randn(5, dtype=dtype)
    v0_copy = v0.clone()
    sigma, u, v = power_iteration(W, v0, num_iters=3)
    assert sigma.shape == () and u.shape == (7,) and v.shape == (5,)
    assert sigma.dtype == u.dtype == v.dtype == dtype
    assert torch.equal(v0, v0_copy), "power_iteration must not modify v in place"
    # F.normalize returns unit vectors (round-off only).
    assert abs(u.norm().item() - 1) < 1e-5 and abs(v.norm().item() - 1) < 1e-5


def test_power_iteration_diagonal_matrix():
    # diag(3, 1): the top singular value is 3, and from a generic start the iteration converges
    # geometrically with ratio (1/3)^2 per step, so 50 steps are exact to round-off.
    W = torch.diag(torch.tensor([3.0, 1.0], dtype=torch.float64))
    sigma, _, _ = power_iteration(W, torch.tensor([1.0, 1.0], dtype=torch.float64), num_iters=50)
    assert abs(sigma.item() - 3.0) < 1e-10


def test_power_iteration_rejects_zero_iterations():
    with pytest.raises(ValueError):
        power_iteration(torch.randn(3, 2), torch.randn(2), num_iters=0)


# ---------------------------------------------------------------------------------------
# SpectralNorm, spectral_norm
# ---------------------------------------------------------------------------------------
def test_spectral_norm_buffers_for_linear_and_conv():
    linear = spectral_norm(nn.Linear(5, 7))
    sn = linear.parametrizations.weight[0]
    assert isinstance(sn, SpectralNorm)
    assert sn.u.shape == (7,) and sn.v.shape == (5,)
    conv = spectral_norm(nn.Conv2d(3, 4, kernel_size=3))
    sn = conv.parametrizations.weight[0]
    assert sn.u.shape == (4,) and sn.v.shape == (27,), "a conv weight is seen as (out, in·kh·kw)"
    assert {"u", "v"} <= {name for name, _ in sn.named_buffers()}


def test_spectral_norm_rejects_zero_iterations():
    with pytest.raises(ValueError):
        SpectralNorm(torch.randn(3, 2), num_iters=0)


def test_spectral_norm_output_shape_and_gradient():
    layer = spectral_norm(nn.Linear(5, 7))
    y = layer(torch.randn(97, 5))
    assert y.shape == (97, 7) and torch.isfinite(y).all()
    y.sum().backward()
    assert layer.parametrizations.weight.original.grad is not None


def test_spectral_norm_eval_mode_keeps_buffers():
    layer = spectral_norm(nn.Linear(5, 7))
    layer.eval()
    u = layer.parametrizations.weight[0].u.clone()
    layer(torch.randn(3, 5))
    assert torch.equal(u, layer.parametrizations.weight[0].u), "eval mode runs no power iteration"


def test_spectral_norm_weight_has_norm_near_one():
    # 15 warm-up iterations plus a few training passes: the top singular value of W / sigma is
    # close to 1 (a random 7x5 Gaussian matrix has a clear spectral gap; 0.05 is loose).
    layer = spectral_norm(nn.Linear(5, 7))
    for _ in range(20):
        layer(torch.randn(3, 5))
    norm = torch.linalg.matrix_norm(layer.weight.detach(), 2).item()
    assert abs(norm - 1) < 0.05, f"spectral norm of the normalized weight is {norm:.3f}, expected ~1"


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------
def test_losses_on_constant_scores():
    real, fake = torch.full((97,), 2.0), torch.full((51,), -0.5)
    assert wgan_critic_loss(real, fake).item() == pytest.approx(-2.5)
    assert wgan_generator_loss(fake).item() == pytest.approx(0.5)
    assert hinge_critic_loss(real, fake).item() == pytest.approx(0.0 + 0.5)
    assert hinge_generator_loss(fake).item() == pytest.approx(0.5)
    for value in (wgan_critic_loss(real, fake), hinge_critic_loss(real, fake)):
        assert value.shape == ()


# ---------------------------------------------------------------------------------------
# gradient_penalty
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradient_penalty_shape_and_gradient(dtype):
    critic = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)).to(dtype)
    penalty = gradient_penalty(lambda x: critic(x).squeeze(-1), torch.randn(97, 2, dtype=dtype),
                               torch.randn(97, 2, dtype=dtype), weight=10.0)
    assert penalty.shape == () and penalty.dtype == dtype and penalty.item() >= 0
    penalty.backward()
    assert critic[0].weight.grad is not None, "use create_graph=True"


def test_gradient_penalty_is_zero_for_a_unit_linear_critic():
    # f(x) = w·x with ‖w‖ = 1 has gradient norm 1 everywhere.
    w = torch.tensor([0.6, 0.8])
    penalty = gradient_penalty(lambda x: x @ w, torch.randn(97, 2), torch.randn(97, 2))
    assert abs(penalty.item()) < 1e-10


# ---------------------------------------------------------------------------------------
# Generator, Critic
# ---------------------------------------------------------------------------------------
def test_generator_and_critic_shapes():
    generator = Generator(latent_dim=3, hidden_dim=32)
    assert generator.latent_dim == 3
    x = generator(torch.randn(97, 3))
    assert x.shape == (97, 2)
    for spectral in (True, False):
        scores = Critic(hidden_dim=32, spectral=spectral)(x)
        assert scores.shape == (97,)
    critic = Critic(hidden_dim=32, spectral=True)
    assert any(isinstance(m, SpectralNorm) for m in critic.modules()), \
        "spectral=True must use this file's spectral_norm"


# ---------------------------------------------------------------------------------------
# mode_coverage
# ---------------------------------------------------------------------------------------
def test_mode_coverage_all_at_the_centres():
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    samples = centers.repeat(5, 1)  # every mode 5 times, exactly at its centre
    modes, hq, kl = mode_coverage(samples, centers, std=0.05)
    assert isinstance(modes, int) and isinstance(hq, float) and isinstance(kl, float)
    assert modes == 4 and hq == pytest.approx(1.0) and kl == pytest.approx(0.0, abs=1e-12)


def test_mode_coverage_far_away_and_errors():
    centers = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    modes, hq, kl = mode_coverage(torch.full((10, 2), 5.0), centers, std=0.1)
    assert modes == 0 and hq == 0.0 and kl == pytest.approx(math.log(2))
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(0, 2), centers, std=0.1)
    with pytest.raises(ValueError):
        mode_coverage(torch.zeros(3, 2), centers, std=0.0)


# ---------------------------------------------------------------------------------------
# train_wgan
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("loss, gp_weight", [("wgan", 0.0), ("hinge", 0.0), ("wgan", 10.0)])
def test_train_wgan_history(loss, gp_weight):
    generator, critic = Generator(hidden_dim=16), Critic(hidden_dim=16, spectral=gp_weight == 0)
    history = train_wgan(generator, critic, _ring, num_steps=3, critic_steps=2, loss=loss,
                         gp_weight=gp_weight, batch_size=33)
    assert set(history) == {"critic_loss", "generator_loss"}
    for values in history.values():
        assert len(values) == 3 and all(isinstance(v, float) and math.isfinite(v) for v in values)


def test_train_wgan_rejects_bad_arguments():
    generator, critic = Generator(hidden_dim=8), Critic(hidden_dim=8)
    for kwargs in ({"loss": "hinge2"}, {"critic_steps": 0}, {"batch_size": 0}, {"num_steps": 0}):
        arguments = {"num_steps": 1, **kwargs}
        with pytest.raises(ValueError):
            train_wgan(generator, critic, _ring, **arguments)
