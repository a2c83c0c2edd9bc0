"""Oracle checks of the week-3 alternative implementation (autograder/weeks/week3_flows_diffusion/alternative).

The alternative is a second correct implementation that every hidden test must accept, so it is
itself checked here against references that need no course code: autograd Jacobians, numerical
integration, Bayes' rule for Gaussians, NumPy re-derivations of the schedules, and the exact
moments of each sampler driven by the analytic optimum for Gaussian data (every step is then
linear-Gaussian, so the output distribution is known in closed form). Statistical checks state
their false-failure probability (at most 1e-6) and where their threshold comes from.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.weeks.helpers import alternative_modules

torch.set_num_threads(1)

# Two-sided normal quantile for a per-check false-failure probability of 4e-8: P(|Z| > 5.5) = 3.8e-8.
# A test below makes at most 24 such checks, so its false-failure probability is below 1e-6.
Z = 5.5

_alternative = alternative_modules(3)
flows, diffusion = _alternative.flows, _alternative.diffusion


def _randomized(module: torch.nn.Module, std: float, seed: int) -> torch.nn.Module:
    """Adds seeded noise to every parameter, so no layer stays at a trivial initial value."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(std * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


# ---------------------------------------------------------------- flows.py


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_realnvp_inverts_forward_and_negates_log_det(dtype, tol):
    # tol: float64 rounding through 6 couplings; the contract's 1e-5 in float32
    torch.manual_seed(0)
    model = _randomized(flows.RealNVP(5, num_layers=6, hidden_dim=16), 0.1, 1).to(dtype)
    x = torch.randn(97, 5, dtype=dtype)
    z, log_det = model(x)
    x_back, log_det_inv = model.inverse(z)
    assert z.shape == (97, 5) and log_det.shape == (97,) and z.dtype == dtype and log_det.dtype == dtype
    assert (x_back - x).abs().max().item() < tol
    assert (log_det + log_det_inv).abs().max().item() < tol * 10  # a sum of 6 terms of size ~1


@pytest.mark.parametrize("dim", [1, 2, 5, 8])
def test_log_det_matches_autograd_jacobian(dim):
    torch.manual_seed(dim)
    model = _randomized(flows.RealNVP(dim, num_layers=4, hidden_dim=16), 0.3, dim).double()
    x = torch.randn(7, dim, dtype=torch.float64)
    _, log_det = model(x)
    z, _ = model(x)
    _, inv_log_det = model.inverse(z)
    for i in range(7):
        jac = torch.autograd.functional.jacobian(lambda v: model(v.unsqueeze(0))[0].squeeze(0), x[i])  # (dim, dim)
        sign, logabs = torch.linalg.slogdet(jac)
        assert sign.item() > 0  # exp(s) > 0 on a triangular map after permutation
        assert abs(log_det[i].item() - logabs.item()) < 1e-10  # float64 rounding
        jac_inv = torch.autograd.functional.jacobian(lambda v: model.inverse(v.unsqueeze(0))[0].squeeze(0), z[i])
        assert abs(inv_log_det[i].item() - torch.linalg.slogdet(jac_inv)[1].item()) < 1e-10


def test_coupling_passes_masked_coordinates_through_and_reports_its_log_det():
    torch.manual_seed(2)
    mask = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    coupling = _randomized(flows.AffineCoupling(6, mask, hidden_dim=8), 0.3, 3)
    x = torch.randn(97, 6)
    y, log_det = coupling(x)
    keep = mask.bool()
    assert torch.equal(y[:, keep], x[:, keep])  # bit for bit
    assert (y[:, ~keep] - x[:, ~keep]).abs().min().item() > 0  # the others move
    # The transformed coordinates depend only on the kept ones: the Jacobian block is triangular.
    x64 = x[:3].double()
    coupling64 = coupling.double()
    for i in range(3):
        jac = torch.autograd.functional.jacobian(lambda v: coupling64(v.unsqueeze(0))[0].squeeze(0), x64[i])
        off = jac[~keep][:, ~keep]  # d y_o / d x_o is diagonal
        assert torch.count_nonzero(off - torch.diag(torch.diagonal(off))) == 0
        assert torch.equal(jac[keep][:, keep], torch.eye(3, dtype=torch.float64))
    x_back, inv = coupling64.inverse(coupling64(x64)[0])
    assert (x_back - x64).abs().max().item() < 1e-12  # float64 rounding


def test_realnvp_masks_alternate_by_parity_and_bound_the_log_det():
    model = flows.RealNVP(2, num_layers=4)
    masks = [c.mask.tolist() for c in model.couplings]
    assert masks == [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]
    torch.manual_seed(4)
    model = _randomized(flows.RealNVP(4, hidden_dim=16), 0.2, 4)
    huge = 1e4 * torch.tensor([[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0, 1.0, -1.0]])
    _, log_det = model(huge)
    assert torch.isfinite(log_det).all() and log_det.abs().max().item() <= 25 * 4  # the contract's bound


def test_exp_log_prob_integrates_to_one():
    torch.manual_seed(5)
    model = _randomized(flows.RealNVP(2, num_layers=4, hidden_dim=16), 0.3, 5).double()
    # sinh-spaced grid: spacing 0.02 near 0, reaching +-2 sinh(4.5) = +-90 (the randomized flow has
    # tails: 0.5% of its samples lie beyond 30; a box to +-33 missed 0.35% of the mass)
    u = torch.linspace(-4.5, 4.5, 401, dtype=torch.float64)
    nodes = 2.0 * torch.sinh(u)  # (401,)
    weights = 2.0 * torch.cosh(u) * (u[1] - u[0])  # dx = 2 cosh(u) du, trapezoid below
    weights[0] *= 0.5
    weights[-1] *= 0.5
    gx, gy = torch.meshgrid(nodes, nodes, indexing="ij")
    with torch.no_grad():
        density = model.log_prob(torch.stack([gx.flatten(), gy.flatten()], dim=1)).exp().reshape(401, 401)
    total = (weights[:, None] * weights[None, :] * density).sum().item()
    assert abs(total - 1.0) < 1e-3  # quadrature error here measured 1.4e-5 (2e-6 at twice the resolution)


def test_sample_pushes_base_noise_through_the_inverse():
    torch.manual_seed(6)
    model = _randomized(flows.RealNVP(3, num_layers=4, hidden_dim=16), 0.3, 6)
    n = 20000
    x = model.sample(n)
    assert x.shape == (n, 3) and x.dtype == torch.float32 and torch.isfinite(x).all()
    with torch.no_grad():
        z, _ = model(x)
    # z ~ N(0, I): each coordinate's mean has SE 1/sqrt(n); 3 checks at Z
    assert z.mean(dim=0).abs().max().item() < Z / math.sqrt(n)
    # variance: SE of the sample variance of N(0, 1) is sqrt(2 / (n - 1)); 3 checks at Z
    assert (z.var(dim=0) - 1).abs().max().item() < Z * math.sqrt(2 / (n - 1))


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.49])
def test_logit_transform_values_and_log_det_by_autograd(alpha):
    g = torch.Generator().manual_seed(7)
    x = torch.rand(5, 1, 3, 3, generator=g, dtype=torch.float64) * 0.98 + 0.01
    y, log_det = flows.logit_transform(x, alpha=alpha)
    assert y.shape == x.shape and log_det.shape == (5,)
    assert torch.allclose(y, torch.logit(alpha + (1 - 2 * alpha) * x), rtol=0, atol=1e-12)  # float64
    # elementwise map: the Jacobian is diagonal, its log-det the sum of log dy/dx from autograd
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(flows.logit_transform(xg, alpha=alpha)[0].sum(), xg)
    assert torch.allclose(log_det, grad.log().reshape(5, -1).sum(dim=1), rtol=0, atol=1e-10)
    y32, ld32 = flows.logit_transform(x.float(), alpha=alpha)
    assert y32.dtype == torch.float32 and ld32.dtype == torch.float32
    # the 0/1 endpoints are allowed (alpha > 0 keeps them finite); alpha outside (0, 0.5) raises, as documented
    y_end, ld_end = flows.logit_transform(torch.tensor([[0.0, 1.0]]), alpha=alpha)
    assert torch.isfinite(y_end).all() and torch.isfinite(ld_end).all()
    for bad in (0.0, 0.5, -0.1):
        with pytest.raises(ValueError):
            flows.logit_transform(x, alpha=bad)


def test_dequantize_range_uniformity_and_never_one(monkeypatch):
    torch.manual_seed(8)
    levels = 17
    x_int = torch.randint(0, levels, (2000, 64))
    x = flows.dequantize(x_int, levels)
    assert x.dtype == torch.get_default_dtype() and x.shape == x_int.shape
    assert (x >= 0).all() and (x < 1).all()
    assert torch.equal(torch.floor(x.double() * levels).long().clamp(max=levels - 1), x_int)
    u = (x.double() * levels - x_int).flatten()
    # u ~ U[0, 1): mean 1/2 and variance 1/12; SE of the mean sqrt(1/12 / n), n = 128000
    assert abs(u.mean().item() - 0.5) < Z * math.sqrt(1 / 12 / u.numel())
    # The largest uniform float64 below 1 must not round to 1.0 in float32.
    real_rand = torch.rand
    monkeypatch.setattr(torch, "rand", lambda *a, **k: torch.full_like(real_rand(*a, **k), 1 - 2.0**-53))
    top = flows.dequantize(torch.full((4,), levels - 1), levels)
    assert (top < 1).all()


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: flows.logit_transform(torch.tensor([[0.5, 1.01]])), "x"),
        (lambda: flows.logit_transform(torch.tensor([[-0.01, 0.5]])), "x"),
        (lambda: flows.logit_transform(torch.tensor([[float("nan"), 0.5]])), "x"),
        (lambda: flows.dequantize(torch.tensor([0, 3]), 0), "num_levels"),
        (lambda: diffusion.linear_beta_schedule(0), "num_steps"),
        (lambda: diffusion.ddim_sample(lambda x, t: x, diffusion.DiffusionSchedule(torch.full((5,), 0.1)), (2, 1), 0),
         "num_steps"),
        (lambda: diffusion.q_sample(diffusion.DiffusionSchedule(torch.full((5,), 0.1)), torch.zeros(2, 1),
                                    torch.tensor([0, 5]), torch.zeros(2, 1)), "t"),
    ],
)
def test_value_errors_name_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# ---------------------------------------------------------------- diffusion.py: schedules and q


def test_linear_schedule_matches_linspace():
    betas = diffusion.linear_beta_schedule(1000)
    assert betas.dtype == torch.float64 and betas.shape == (1000,)
    np.testing.assert_allclose(betas.numpy(), np.linspace(1e-4, 0.02, 1000), rtol=1e-14, atol=0)  # a few ulps
    alpha_bar_last = np.prod(1 - np.linspace(1e-4, 0.02, 1000))
    schedule = diffusion.DiffusionSchedule(betas)
    assert abs(schedule.alpha_bars[-1].item() - alpha_bar_last) < 1e-12 * alpha_bar_last / 1e-5  # float64
    assert abs(alpha_bar_last - 4.0e-5) < 1e-6  # the spec's "about 4.0e-5"


def test_cosine_schedule_matches_diffusers_squaredcos_cap_v2():
    # diffusers' betas_for_alpha_bar(alpha_transform_type="cosine"), re-derived in NumPy
    def alpha_bar_fn(u):
        return np.cos((u + 0.008) / 1.008 * np.pi / 2) ** 2

    for steps in (10, 1000):
        expected = np.array([min(1 - alpha_bar_fn((i + 1) / steps) / alpha_bar_fn(i / steps), 0.999)
                             for i in range(steps)])
        betas = diffusion.cosine_beta_schedule(steps)
        assert betas.dtype == torch.float64 and betas.shape == (steps,)
        np.testing.assert_allclose(betas.numpy(), expected, rtol=1e-12, atol=1e-15)  # float64 rounding
        # without clipping (every t but the last), alpha_bar_t = f(t + 1) / f(0)
        alpha_bars = diffusion.DiffusionSchedule(betas).alpha_bars.numpy()
        ratios = alpha_bar_fn(np.arange(1, steps + 1) / steps) / alpha_bar_fn(0.0)
        np.testing.assert_allclose(alpha_bars[:-1], ratios[:-1], rtol=1e-10)  # products of T float64 factors


def test_schedule_attributes():
    betas = diffusion.cosine_beta_schedule(50)
    s = diffusion.DiffusionSchedule(betas.float())  # float32 betas in, float64 attributes out
    b = betas.float().double().numpy()
    a_bar = np.cumprod(1 - b)
    prev = np.concatenate([[1.0], a_bar[:-1]])
    for name, expected in [("betas", b), ("alphas", 1 - b), ("alpha_bars", a_bar), ("alpha_bars_prev", prev),
                           ("posterior_variance", (1 - prev) / (1 - a_bar) * b)]:
        value = getattr(s, name)
        assert value.dtype == torch.float64 and value.shape == (50,), name
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12, atol=1e-300, err_msg=name)  # float64


def _schedule(steps: int = 1000) -> "diffusion.DiffusionSchedule":
    return diffusion.DiffusionSchedule(diffusion.linear_beta_schedule(steps))


def test_q_sample_formula_and_moments():
    s = _schedule()
    g = torch.Generator().manual_seed(9)
    x0 = torch.randn(97, 2, 3, generator=g, dtype=torch.float64)
    t = torch.randint(0, 1000, (97,), generator=g)
    noise = torch.randn(97, 2, 3, generator=g, dtype=torch.float64)
    a = s.alpha_bars[t].reshape(97, 1, 1)
    expected = a.sqrt() * x0 + (1 - a).sqrt() * noise
    assert torch.allclose(diffusion.q_sample(s, x0, t, noise), expected, rtol=0, atol=1e-14)  # float64
    assert diffusion.q_sample(s, x0.float(), t, noise.float()).dtype == torch.float32
    # moments over fresh noise at one timestep: mean sqrt(a) x0, variance 1 - a
    n, step = 200000, 300
    a = s.alpha_bars[step].item()
    xt = diffusion.q_sample(s, torch.full((n, 1), 2.0, dtype=torch.float64), torch.full((n,), step),
                            torch.randn(n, 1, generator=g, dtype=torch.float64))
    assert abs(xt.mean().item() - math.sqrt(a) * 2.0) < Z * math.sqrt((1 - a) / n)
    assert abs(xt.var().item() - (1 - a)) < Z * (1 - a) * math.sqrt(2 / (n - 1))


def test_q_posterior_is_bayes_rule():
    s = _schedule()
    g = torch.Generator().manual_seed(10)
    t = torch.tensor([0, 1, 2, 500, 999, 0, 37])
    x0 = torch.randn(7, 4, generator=g, dtype=torch.float64)
    xt = torch.randn(7, 4, generator=g, dtype=torch.float64)
    mean, var = diffusion.q_posterior(s, x0, xt, t)
    assert mean.shape == (7, 4) and var.shape == (7, 4)
    for i, step in enumerate(t.tolist()):
        beta, alpha = s.betas[step].item(), 1 - s.betas[step].item()
        prior_mean_coef = math.prod(1 - s.betas[k].item() for k in range(step)) ** 0.5
        prior_var = 1 - prior_mean_coef**2
        if step == 0:  # q(x_{-1} | x0) is a point mass at x0
            exp_mean, exp_var = x0[i], torch.zeros(4, dtype=torch.float64)
        else:  # Gaussian prior N(c x0, v) times likelihood N(x_t; sqrt(alpha) x_{t-1}, beta)
            precision = 1 / prior_var + alpha / beta
            exp_var = torch.full((4,), 1 / precision, dtype=torch.float64)
            exp_mean = (prior_mean_coef * x0[i] / prior_var + math.sqrt(alpha) * xt[i] / beta) / precision
        assert torch.allclose(mean[i], exp_mean, rtol=0, atol=1e-9)  # 1/(1 - a_bar) amplifies rounding at t = 1
        assert torch.allclose(var[i], exp_var, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 2e-4)])
def test_predict_x0_inverts_q_sample(dtype, tol):
    # tol: 1/sqrt(a_bar_999) = 157 amplifies rounding (float64: ~1e-13; float32: ~2e-5 observed limit 8e-5)
    s = _schedule()
    g = torch.Generator().manual_seed(11)
    x0 = torch.randn(97, 3, generator=g, dtype=torch.float64).to(dtype)
    noise = torch.randn(97, 3, generator=g, dtype=torch.float64).to(dtype)
    t = torch.cat([torch.tensor([0, 999]), torch.randint(0, 1000, (95,), generator=g)])
    back = diffusion.predict_x0(s, diffusion.q_sample(s, x0, t, noise), t, noise)
    assert back.dtype == dtype and (back - x0).abs().max().item() < tol


# ---------------------------------------------------------------- diffusion.py: losses


def test_diffusion_loss_with_the_exact_predictor_is_zero_and_with_zero_is_one():
    s = _schedule(100)
    seen = []

    def exact(xt, t):  # x0 = 0, so eps = x_t / sqrt(1 - a_bar_t)
        assert t.dtype == torch.int64 and t.shape == (xt.shape[0],)
        seen.append(t)
        return xt / (1 - s.alpha_bars[t]).sqrt().reshape(-1, 1).to(xt.dtype)

    torch.manual_seed(12)
    x0 = torch.zeros(4096, 8, dtype=torch.float64)
    loss = diffusion.diffusion_loss(exact, s, x0)
    assert loss.shape == () and loss.item() < 1e-20  # float64 rounding only
    t = torch.cat(seen)
    assert t.min() >= 0 and t.max() <= 99
    # t ~ U{0..99}: mean 49.5, variance (100^2 - 1)/12, n = 4096
    assert abs(t.double().mean().item() - 49.5) < Z * math.sqrt((100**2 - 1) / 12 / 4096)
    zero = diffusion.diffusion_loss(lambda xt, t: torch.zeros_like(xt), s, x0)
    # mean of 32768 chi-square(1) draws: mean 1, variance 2 / 32768
    assert abs(zero.item() - 1.0) < Z * math.sqrt(2 / 32768)


def test_flow_matching_loss_target_is_x1_minus_x0():
    torch.manual_seed(13)
    c = torch.tensor([1.5, -2.0], dtype=torch.float64)
    x1 = c.expand(4096, 2).clone()
    times = []

    def exact(xt, t):  # x1 = c for every row: x_t = (1 - t) x0 + t c, so x1 - x0 = (c - x_t) / (1 - t)
        assert t.shape == (xt.shape[0],) and t.dtype == xt.dtype
        times.append(t)
        return (c - xt) / (1 - t).unsqueeze(1)

    loss = diffusion.flow_matching_loss(exact, x1)
    assert loss.shape == () and loss.item() < 1e-12  # float64 rounding, amplified by 1/(1 - t)
    t = torch.cat(times)
    # t ~ U(0, 1): mean 1/2, variance 1/12
    assert t.min() >= 0 and t.max() < 1 and abs(t.mean().item() - 0.5) < Z * math.sqrt(1 / 12 / 4096)
    reversed_target = diffusion.flow_matching_loss(lambda xt, t: -exact(xt, t), x1)
    assert reversed_target.item() > 1.0  # E|2(c - x0)|^2 / 2 = 2 (|c|^2 / 2 + 1) = 8.25


# ---------------------------------------------------------------- samplers on the analytic optimum


class GaussianOptimum:
    """The exact eps-predictor and flow-matching velocity for data N(m, S), and the exact sampler moments.

    With these predictors every sampler step is x' = C x + d + sigma z, so the output is Gaussian with
    a mean and covariance that are propagated here in float64 from x_start ~ N(0, I).
    """

    def __init__(self, m, cov):
        self.m = torch.as_tensor(m, dtype=torch.float64)  # (D,)
        self.cov = torch.as_tensor(cov, dtype=torch.float64)  # (D, D)
        self.eye = torch.eye(self.m.shape[0], dtype=torch.float64)

    def eps_affine(self, a_bar: float):
        """E[eps | x_t] = A x + b with A = sqrt(1 - a) (a S + (1 - a) I)^-1, b = -A sqrt(a) m."""
        a_mat = math.sqrt(1 - a_bar) * torch.linalg.inv(a_bar * self.cov + (1 - a_bar) * self.eye)
        return a_mat, -a_mat @ (math.sqrt(a_bar) * self.m)

    def eps_model(self, schedule):
        def model(x, t):
            a_bar = schedule.alpha_bars[t].to(torch.float64)  # (B,)
            if bool((t == t[0]).all()):  # one timestep per call in the samplers: no masking
                a_mat, b = self.eps_affine(a_bar[0].item())
                return (x.to(torch.float64) @ a_mat.T + b).to(x.dtype)
            out = torch.empty_like(x, dtype=torch.float64)
            for value in a_bar.unique().tolist():
                rows = a_bar == value
                a_mat, b = self.eps_affine(value)
                out[rows] = x[rows].to(torch.float64) @ a_mat.T + b
            return out.to(x.dtype)
        return model

    def velocity_affine(self, t: float):
        """v*(x, t) = m + (t S - (1 - t) I)((1 - t)^2 I + t^2 S)^-1 (x - t m)."""
        k = (t * self.cov - (1 - t) * self.eye) @ torch.linalg.inv((1 - t) ** 2 * self.eye + t**2 * self.cov)
        return k, self.m - k @ (t * self.m)

    def velocity_model(self, x, t):
        out = torch.empty_like(x, dtype=torch.float64)
        for value in t.to(torch.float64).unique().tolist():
            rows = t.to(torch.float64) == value
            k, b = self.velocity_affine(value)
            out[rows] = x[rows].to(torch.float64) @ k.T + b
        return out.to(x.dtype)

    def ddpm_moments(self, schedule):
        mean, cov = torch.zeros_like(self.m), self.eye.clone()
        for t in range(schedule.num_steps - 1, -1, -1):
            beta, a_bar = schedule.betas[t].item(), schedule.alpha_bars[t].item()
            a_mat, b = self.eps_affine(a_bar)
            c = (self.eye - beta / math.sqrt(1 - a_bar) * a_mat) / math.sqrt(1 - beta)
            d = -(beta / math.sqrt(1 - a_bar)) * b / math.sqrt(1 - beta)
            mean, cov = c @ mean + d, c @ cov @ c.T + schedule.posterior_variance[t].item() * self.eye
        return mean, cov

    def ddim_moments(self, schedule, num_steps):
        grid = torch.linspace(schedule.num_steps - 1, 0, num_steps, dtype=torch.float64).round().long().unique()
        steps = grid.flip(0).tolist()  # unique() sorts ascending
        mean, cov = torch.zeros_like(self.m), self.eye.clone()
        for i, t in enumerate(steps):
            a_bar = schedule.alpha_bars[t].item()
            a_mat, b = self.eps_affine(a_bar)
            p = (self.eye - math.sqrt(1 - a_bar) * a_mat) / math.sqrt(a_bar)  # x0_hat = p x + q
            q = -math.sqrt(1 - a_bar) * b / math.sqrt(a_bar)
            if i + 1 == len(steps):
                c, d = p, q
            else:
                a_next = schedule.alpha_bars[steps[i + 1]].item()
                c = math.sqrt(a_next) * p + math.sqrt(1 - a_next) * a_mat
                d = math.sqrt(a_next) * q + math.sqrt(1 - a_next) * b
            mean, cov = c @ mean + d, c @ cov @ c.T
        return mean, cov

    def euler_moments(self, num_steps):
        mean, cov = torch.zeros_like(self.m), self.eye.clone()
        for k_step in range(num_steps):
            k, b = self.velocity_affine(k_step / num_steps)
            c = self.eye + k / num_steps
            mean, cov = c @ mean + b / num_steps, c @ cov @ c.T
        return mean, cov


def _assert_moments(samples: torch.Tensor, mean: torch.Tensor, cov: torch.Tensor, label: str):
    """Per-coordinate mean and variance within Z standard errors of the exact Gaussian moments.

    Mean: SE sqrt(var / n). Variance of Gaussian samples: SE var sqrt(2 / (n - 1)). 2 checks per coordinate.
    """
    n = samples.shape[0]
    x = samples.to(torch.float64)
    var = torch.diagonal(cov)
    mean_err = ((x.mean(0) - mean).abs() / (var / n).sqrt()).max().item()
    var_err = ((x.var(0) - var).abs() / (var * math.sqrt(2 / (n - 1)))).max().item()
    assert mean_err < Z and var_err < Z, f"{label}: mean off by {mean_err:.2f} SE, variance by {var_err:.2f} SE"


CASES = [
    # (label, m, cov, schedule steps)
    ("1d", [1.5], [[0.7**2]], 1000),
    ("1d_narrow_coarse", [-0.8], [[0.05**2]], 10),
    ("2d_full_cov", [1.0, -0.5], [[0.6, 0.3], [0.3, 0.4]], 100),
]


@pytest.mark.parametrize("label,m,cov,steps", CASES, ids=[c[0] for c in CASES])
def test_samplers_reproduce_the_exact_moments_of_the_analytic_optimum(label, m, cov, steps):
    torch.manual_seed(14)
    opt = GaussianOptimum(m, cov)
    schedule = _schedule(steps) if steps != 10 else diffusion.DiffusionSchedule(diffusion.cosine_beta_schedule(10))
    n, dim = 20000, len(m)
    # 3 samplers (+ 1 DDIM variant, + 1 Euler variant) x 2 checks x <= 2 coordinates = 20 checks at Z: < 1e-6
    ancestral = diffusion.p_sample_loop(opt.eps_model(schedule), schedule, (n, dim))
    assert ancestral.shape == (n, dim) and ancestral.dtype == torch.float32
    _assert_moments(ancestral, *opt.ddpm_moments(schedule), f"{label} DDPM")
    for ddim_steps in (min(steps, 50), 3):
        ddim = diffusion.ddim_sample(opt.eps_model(schedule), schedule, (n, dim), ddim_steps)
        _assert_moments(ddim, *opt.ddim_moments(schedule, ddim_steps), f"{label} DDIM-{ddim_steps}")
    for euler_steps in (20, 3):
        euler = diffusion.euler_sample(opt.velocity_model, (n, dim), euler_steps)
        _assert_moments(euler, *opt.euler_moments(euler_steps), f"{label} Euler-{euler_steps}")


def test_ddpm_1000_is_close_to_the_data_and_its_bias_is_the_known_one():
    # The closed-form output of DDPM-1000 and DDIM-50 on N(0.5, 1): the spec's known biases.
    opt = GaussianOptimum([0.5], [[1.0]])
    s = _schedule()
    mean, cov = opt.ddpm_moments(s)
    assert abs(mean.item() - 0.5) < 0.01 and abs(math.sqrt(cov.item()) - 1) < 0.01
    mean, cov = opt.ddim_moments(s, 50)
    # DDIM starts from N(0, I), not from q(x_{T-1}): its mean is shifted by about sqrt(a_bar_{T-1}) m
    assert abs(mean.item() - 0.5) < 2 * math.sqrt(s.alpha_bars[-1].item()) * 0.5 + 1e-3


def test_ddim_visits_the_contract_timesteps_and_returns_the_x0_prediction():
    s = diffusion.DiffusionSchedule(diffusion.cosine_beta_schedule(10))
    calls = []

    def model(x, t):
        calls.append(t.tolist())
        return torch.zeros_like(x)

    torch.manual_seed(15)
    out = diffusion.ddim_sample(model, s, (3, 2), 25)  # more steps than T: every timestep once
    assert [c[0] for c in calls] == list(range(9, -1, -1)) and all(len(set(c)) == 1 for c in calls)
    calls.clear()
    torch.manual_seed(15)
    x_start = torch.randn(3, 2)
    torch.manual_seed(15)
    out = diffusion.ddim_sample(model, s, (3, 2), 1)
    assert [c[0] for c in calls] == [9]
    # eps = 0: the only step returns x0 = x_T / sqrt(a_bar_9) (same seed, one randn of the same shape)
    assert torch.allclose(out, x_start / s.alpha_bars[9].sqrt().float(), rtol=1e-6)


def test_euler_passes_times_k_over_n_in_the_default_dtype():
    times = []

    def velocity(x, t):
        times.append(t)
        return torch.ones_like(x)

    torch.manual_seed(16)
    out = diffusion.euler_sample(velocity, (5, 3), 4)
    assert [t.tolist() for t in times] == [[k / 4] * 5 for k in range(4)]
    assert all(t.dtype == torch.float32 for t in times) and out.dtype == torch.float32
    torch.manual_seed(16)
    assert torch.allclose(out, torch.randn(5, 3) + 1.0, atol=1e-6)  # v = 1 for a unit time


def test_p_sample_adds_no_noise_at_t0_and_the_posterior_variance_otherwise():
    s = _schedule(20)
    x = torch.full((50000, 1), 0.3, dtype=torch.float64)
    eps_hat = 0.7

    def model(xt, t):
        return torch.full_like(xt, eps_hat)

    torch.set_default_dtype(torch.float64)
    try:
        first = diffusion.p_sample(model, s, x, 0)
        assert torch.equal(first, diffusion.p_sample(model, s, x, 0))  # deterministic at t = 0
        for t in (0, 1, 19):
            beta, a_bar = s.betas[t].item(), s.alpha_bars[t].item()
            mean = (0.3 - beta / math.sqrt(1 - a_bar) * eps_hat) / math.sqrt(1 - beta)
            out = diffusion.p_sample(model, s, x, t)
            assert out.dtype == torch.float64
            var = s.posterior_variance[t].item()
            if t == 0:
                assert torch.allclose(out, torch.full_like(out, mean), atol=1e-14)
                continue
            n = out.shape[0]
            assert abs(out.mean().item() - mean) < Z * math.sqrt(var / n)
            assert abs(out.var().item() - var) < Z * var * math.sqrt(2 / (n - 1))
        assert diffusion.p_sample_loop(model, s, (4, 1)).dtype == torch.float64  # default dtype
        assert diffusion.ddim_sample(model, s, (4, 1), 5).dtype == torch.float64
        assert diffusion.euler_sample(lambda x, t: x, (4, 1), 5).dtype == torch.float64
    finally:
        torch.set_default_dtype(torch.float32)
