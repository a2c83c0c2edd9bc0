"""Oracle checks of the Week 3 reference solution and of the grader's analytic helpers (project
tests, not shipped to students).

Each check compares the reference in solutions/week3_flows_diffusion/ with something that does not
depend on it: autograd Jacobians, closed forms written out in Python floats, quadrature, and Monte
Carlo. The grader's exact sampler moments (autograder/weeks/week3_flows_diffusion/test_diffusion.py)
and the public analytic-optimum fixtures are checked here too, since every sampler test rests on them.
"""
import math

import pytest
import torch

from autograder.runtime import fixtures
from tests.weeks.helpers import hidden_module, reference_modules

F64 = torch.float64

_reference = reference_modules(3)
flows, diffusion = _reference.flows, _reference.diffusion
hidden = hidden_module(3, "test_diffusion")
alpha_bars = hidden_module(3, "common").alpha_bars  # the grader's trusted ᾱ_t in Python floats
pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def _randomized(module: torch.nn.Module, std: float = 0.3) -> torch.nn.Module:
    module = module.double()
    with torch.no_grad():
        for p in module.parameters():
            p.add_(std * torch.randn_like(p))
    return module


# ---------------------------------------------------------------------------------------------
# flows
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [2, 5, 8])
def test_realnvp_log_det_matches_autograd_jacobian(dim):
    flow = _randomized(flows.RealNVP(dim, num_layers=4, hidden_dim=16))
    x = torch.randn(6, dim, dtype=F64)
    _, log_det = flow(x)
    for i in range(6):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], x[i])  # (D, D)
        assert torch.linalg.slogdet(jac).logabsdet.item() == pytest.approx(log_det[i].item(), abs=1e-10)
    z, _ = flow(x)
    back, inv_log_det = flow.inverse(z)
    assert torch.allclose(back, x, atol=1e-12) and torch.allclose(inv_log_det, -log_det, atol=1e-12)


def test_realnvp_density_integrates_to_one():
    flow = _randomized(flows.RealNVP(2, num_layers=4, hidden_dim=16), std=0.2)
    u = torch.linspace(-5.5, 5.5, 401, dtype=F64)
    x1, w1 = torch.sinh(u), torch.cosh(u) * (u[1] - u[0])
    w1[[0, -1]] *= 0.5
    with torch.no_grad():
        p = flow.log_prob(torch.cartesian_prod(x1, x1)).exp()
    assert float((p * torch.outer(w1, w1).reshape(-1)).sum()) == pytest.approx(1.0, abs=1e-4)


def test_coupling_log_det_bounded_for_huge_inputs():
    coupling = _randomized(flows.AffineCoupling(4, torch.tensor([1.0, 0.0, 0.0, 1.0]), 32))
    _, log_det = coupling(1e4 * torch.randn(50, 4, dtype=F64).sign())
    assert torch.isfinite(log_det).all() and log_det.abs().max() <= 25 * 4


def test_logit_transform_log_det_by_autograd():
    x = torch.rand(5, 2, 3, dtype=F64)
    _, log_det = flows.logit_transform(x, 0.05)
    for i in range(5):
        jac = torch.autograd.functional.jacobian(lambda v: flows.logit_transform(v[None], 0.05)[0][0].reshape(-1),
                                                 x[i]).reshape(6, 6)  # (6, 6), diagonal
        assert torch.linalg.slogdet(jac).logabsdet.item() == pytest.approx(log_det[i].item(), abs=1e-10)


def test_dequantize_never_reaches_one_in_float32():
    assert float(flows.dequantize(torch.full((100_000,), 2**20 - 1), 2**20).max()) < 1.0


# ---------------------------------------------------------------------------------------------
# schedules and the forward process
# ---------------------------------------------------------------------------------------------
def test_linear_schedule_final_alpha_bar():
    # The value the spec quotes (about 4.0e-5), from the product written out in Python floats.
    prod = 1.0
    for i in range(1000):
        prod *= 1 - (1e-4 + (0.02 - 1e-4) * i / 999)
    assert float(torch.prod(1 - diffusion.linear_beta_schedule(1000))) == pytest.approx(prod, rel=1e-12)
    assert prod == pytest.approx(4.0358e-5, rel=1e-4)


def test_cosine_schedule_matches_diffusers_formula():
    # diffusers.schedulers.scheduling_ddpm.betas_for_alpha_bar (alpha_transform_type="cosine"), transcribed.
    def alpha_bar(t):
        return math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2

    T = 1000
    want = [min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), 0.999) for i in range(T)]
    assert torch.allclose(diffusion.cosine_beta_schedule(T), torch.tensor(want, dtype=F64), atol=1e-14)


def test_q_posterior_is_bayes_rule_by_monte_carlo():
    # Sample x_{t-1} ~ q(x_{t-1} | x0), x_t ~ q(x_t | x_{t-1}); regress x_{t-1} on x_t for fixed x0.
    sched = diffusion.DiffusionSchedule(diffusion.cosine_beta_schedule(50))
    t, x0, n = 20, 0.7, 400_000
    a_prev, beta = float(sched.alpha_bars[t - 1]), float(sched.betas[t])
    x_prev = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * torch.randn(n, dtype=F64)
    x_t = math.sqrt(1 - beta) * x_prev + math.sqrt(beta) * torch.randn(n, dtype=F64)
    design = torch.stack([torch.ones_like(x_t), x_t], 1)
    coef = torch.linalg.lstsq(design, x_prev[:, None]).solution[:, 0]
    residual_var = float((x_prev - design @ coef).var())
    mean, var = diffusion.q_posterior(sched, torch.tensor([[x0]], dtype=F64), torch.tensor([[0.0]], dtype=F64),
                                      torch.tensor([t]))
    slope = (diffusion.q_posterior(sched, torch.tensor([[x0]], dtype=F64), torch.tensor([[1.0]], dtype=F64),
                                   torch.tensor([t]))[0] - mean).item()
    assert coef[0].item() == pytest.approx(mean.item(), abs=5e-3)  # SE ~ 1e-3
    assert coef[1].item() == pytest.approx(slope, abs=5e-3)
    assert residual_var == pytest.approx(var.item(), rel=2e-2)


# ---------------------------------------------------------------------------------------------
# the analytic optimum (public fixtures) and the grader's exact sampler moments
# ---------------------------------------------------------------------------------------------
def test_eps_predictor_is_the_conditional_mean():
    # E[ε | x_t] is linear in x_t for Gaussian data: least squares on Monte Carlo draws recovers it.
    m, S = torch.tensor([1.0, -0.5], dtype=F64), torch.tensor([[0.5, 0.3], [0.3, 0.4]], dtype=F64)
    a, n = 0.6, 400_000
    x0 = m + torch.randn(n, 2, dtype=F64) @ torch.linalg.cholesky(S).T
    eps = torch.randn(n, 2, dtype=F64)
    x_t = math.sqrt(a) * x0 + math.sqrt(1 - a) * eps
    design = torch.cat([torch.ones(n, 1, dtype=F64), x_t], 1)
    fit = torch.linalg.lstsq(design, eps).solution  # (3, 2)
    model = fixtures.gaussian_eps_predictor([0.9, a], m.tolist(), S.tolist())
    grid = torch.randn(7, 2, dtype=F64)
    got = model(grid, torch.ones(7, dtype=torch.long))
    want = torch.cat([torch.ones(7, 1, dtype=F64), grid], 1) @ fit
    assert torch.allclose(got, want, atol=2e-2)


def test_velocity_is_the_conditional_mean():
    m, S = torch.tensor([1.0, -0.5], dtype=F64), torch.tensor([[0.5, 0.3], [0.3, 0.4]], dtype=F64)
    t, n = 0.35, 400_000
    x1 = m + torch.randn(n, 2, dtype=F64) @ torch.linalg.cholesky(S).T
    x0 = torch.randn(n, 2, dtype=F64)
    x_t = (1 - t) * x0 + t * x1
    design = torch.cat([torch.ones(n, 1, dtype=F64), x_t], 1)
    fit = torch.linalg.lstsq(design, x1 - x0).solution
    grid = torch.randn(7, 2, dtype=F64)
    got = fixtures.gaussian_velocity(m.tolist(), S.tolist())(grid, torch.full((7,), t, dtype=F64))
    assert torch.allclose(got, torch.cat([torch.ones(7, 1, dtype=F64), grid], 1) @ fit, atol=2e-2)


@pytest.mark.parametrize("sampler", ["ddpm", "ddim", "euler"])
def test_exact_moments_match_the_reference_samplers(sampler):
    # The grader's closed-form moments against 200,000 reference samples in float64 (SE ~ 2e-3 of the std).
    m, S = torch.tensor([1.0, -0.5], dtype=F64), torch.tensor([[0.5, 0.3], [0.3, 0.4]], dtype=F64)
    betas = hidden.COARSE
    sched = diffusion.DiffusionSchedule(torch.tensor(betas, dtype=F64))
    model = fixtures.gaussian_eps_predictor(alpha_bars(betas), m.tolist(), S.tolist())
    torch.set_default_dtype(F64)
    try:
        if sampler == "ddpm":
            x = diffusion.p_sample_loop(model, sched, (200_000, 2))
            mu, C = hidden._ddpm_moments(betas, m, S)
        elif sampler == "ddim":
            x = diffusion.ddim_sample(model, sched, (200_000, 2), 4)
            mu, C = hidden._ddim_moments(betas, 4, m, S)
        else:
            x = diffusion.euler_sample(fixtures.gaussian_velocity(m.tolist(), S.tolist()), (200_000, 2), 5)
            mu, C = hidden._euler_moments(5, m, S)
    finally:
        torch.set_default_dtype(torch.float32)
    assert torch.allclose(x.mean(0), mu, atol=1e-2)
    assert torch.allclose(torch.cov(x.T), C, atol=1e-2)


def test_known_sampler_biases():
    # The spec's figures, for N(1.5, 0.5²) data on the linear 1000-step schedule: DDPM-1000's std is
    # 0.8% low, DDIM-50's 5.6% low, and DDIM's mean moves by a fraction of √ᾱ_{T−1} m = 0.0095
    # (it starts from N(0, I), not from the marginal). With s = 0.05 the same samplers are 7.4% and
    # 35% low: the exact moments, not (m, s), are what the hidden tests compare with.
    m, S = torch.tensor([1.5], dtype=F64), torch.tensor([[0.5**2]], dtype=F64)
    betas = hidden._linear(1000)
    mu_ddpm, C_ddpm = hidden._ddpm_moments(betas, m, S)
    mu_ddim, C_ddim = hidden._ddim_moments(betas, 50, m, S)
    assert C_ddpm.sqrt().item() / 0.5 == pytest.approx(0.992, abs=1e-3)
    assert C_ddim.sqrt().item() / 0.5 == pytest.approx(0.944, abs=1e-3)
    shift = math.sqrt(alpha_bars(betas)[-1]) * 1.5
    assert abs(mu_ddpm.item() - 1.5) < 1e-4 and 0.2 * shift < 1.5 - mu_ddim.item() < shift
