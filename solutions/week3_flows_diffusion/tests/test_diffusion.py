"""Public tests of diffusion.py: shapes, dtypes and easy properties.

Passing them does not mean your values are right: the grader checks the schedules and the
posterior against their formulas and runs your samplers with the exact denoiser of Gaussian data.
"""
import math

import pytest
import torch

from diffusion import (DiffusionSchedule, cosine_beta_schedule, ddim_sample, diffusion_loss, euler_sample,
                       flow_matching_loss, linear_beta_schedule, p_sample, p_sample_loop, predict_x0,
                       q_posterior, q_sample)


def _zero_model(x_t, t):
    assert t.shape == (x_t.shape[0],)
    return torch.zeros_like(x_t)


# ---------------------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------------------
def test_linear_schedule():
    betas = linear_beta_schedule(1000)
    assert betas.shape == (1000,) and betas.dtype == torch.float64
    assert betas[0].item() == pytest.approx(1e-4) and betas[-1].item() == pytest.approx(0.02)
    # The DDPM paper's schedule leaves ᾱ_{T−1} ≈ 4e-5 of the signal.
    assert torch.prod(1 - betas).item() == pytest.approx(4.04e-5, rel=1e-2)


def test_cosine_schedule():
    betas = cosine_beta_schedule(1000)
    assert betas.shape == (1000,) and betas.dtype == torch.float64
    assert (betas > 0).all() and betas.max() <= 0.999
    assert torch.all(betas[1:] >= betas[:-1]), "cosine betas increase with t"


def test_schedule_attributes():
    sched = DiffusionSchedule(linear_beta_schedule(50))
    for name in ("betas", "alphas", "alpha_bars", "alpha_bars_prev", "posterior_variance"):
        value = getattr(sched, name)
        assert value.shape == (50,) and value.dtype == torch.float64, name
    assert sched.alpha_bars_prev[0].item() == 1.0
    assert sched.posterior_variance[0].item() == 0.0
    assert torch.all(sched.posterior_variance[1:] <= sched.betas[1:]), "β̃_t <= β_t"


# ---------------------------------------------------------------------------------------
# forward process
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_q_sample_and_predict_x0(dtype):
    sched = DiffusionSchedule(linear_beta_schedule(100))
    x0, noise = torch.randn(97, 1, 4, 4, dtype=dtype), torch.randn(97, 1, 4, 4, dtype=dtype)
    t = torch.randint(0, 100, (97,))
    x_t = q_sample(sched, x0, t, noise)
    assert x_t.shape == x0.shape and x_t.dtype == dtype
    back = predict_x0(sched, x_t, t, noise)
    assert back.shape == x0.shape and back.dtype == dtype
    torch.testing.assert_close(back, x0, rtol=1e-5, atol=1e-4,
                               msg=lambda m: f"predict_x0 inverts q_sample given the noise\n{m}")


def test_q_posterior_shapes_and_t0():
    sched = DiffusionSchedule(linear_beta_schedule(100))
    x0, x_t = torch.randn(5, 3), torch.randn(5, 3)
    mean, var = q_posterior(sched, x0, x_t, torch.tensor([0, 1, 50, 98, 99]))
    assert mean.shape == (5, 3) and var.shape == (5, 3)
    # At t = 0 (ᾱ_{−1} = 1) the posterior is the point mass at x0.
    torch.testing.assert_close(mean[0], x0[0], rtol=1e-5, atol=1e-6)
    assert var[0].abs().max() < 1e-12, f"the posterior variance at t = 0 is {var[0].abs().max():.3g}, not 0"


def test_diffusion_loss_is_a_scalar_with_gradient():
    sched = DiffusionSchedule(linear_beta_schedule(20))
    net = torch.nn.Linear(3, 2)
    loss = diffusion_loss(lambda x, t: net(torch.cat([x, t[:, None].float()], 1)), sched, torch.randn(97, 2))
    assert loss.shape == () and torch.isfinite(loss)
    loss.backward()
    assert net.weight.grad is not None
    # A model that predicts 0 has loss E[ε²] = 1.
    zero = diffusion_loss(_zero_model, sched, torch.randn(20_000, 2))
    assert abs(zero.item() - 1) < 0.05


# ---------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------
def test_p_sample_no_noise_at_t0():
    sched = DiffusionSchedule(linear_beta_schedule(10))
    x = torch.randn(6, 2)
    a, b = p_sample(_zero_model, sched, x, 0), p_sample(_zero_model, sched, x, 0)
    assert a.shape == (6, 2) and torch.equal(a, b), "p_sample adds no noise at t = 0"
    torch.testing.assert_close(a, x / math.sqrt(1 - sched.betas[0].item()), rtol=1e-5, atol=1e-8,
                               msg=lambda m: f"with ε̂ = 0 the mean is x_t / √α_t\n{m}")


def test_sampler_shapes_and_dtypes():
    sched = DiffusionSchedule(cosine_beta_schedule(20))
    for out in (p_sample_loop(_zero_model, sched, (97, 2)), ddim_sample(_zero_model, sched, (97, 2), 5)):
        assert out.shape == (97, 2) and out.dtype == torch.float32 and torch.isfinite(out).all()


def test_flow_matching_loss_and_euler_sample():
    velocity = torch.nn.Linear(3, 2)
    loss = flow_matching_loss(lambda x, t: velocity(torch.cat([x, t[:, None]], 1)), torch.randn(97, 2))
    assert loss.shape == () and torch.isfinite(loss)
    # The exact velocity toward the point mass at m is (m − x)/(1 − t): Euler lands near m.
    m = torch.tensor([1.0, -2.0])
    out = euler_sample(lambda x, t: (m - x) / (1 - t[:, None]), (97, 2), 10)
    assert out.shape == (97, 2) and out.dtype == torch.float32
    torch.testing.assert_close(out, m.expand(97, 2), rtol=1e-5, atol=1e-4)
