"""Hidden tests of week 3, `diffusion.py`: schedules, the forward process, DDPM, DDIM, flow matching.

Deterministic functions are checked against independent oracles (the formulas written out in
Python floats, Bayes' rule for the posterior) and against the reference on fixed inputs (batch 97,
float64). The samplers are fed the exact ε-predictor or velocity for Gaussian data (public
fixtures, built from the trusted ᾱ list); every step is then linear-Gaussian, so the sampler's
exact output law N(μ, C) is computed here in float64 (`_ddpm_moments`, `_ddim_moments`,
`_euler_moments`) and the samples are tested against it: a z-test of the mean and a chi-square
test of the variance along fixed directions, each with a stated false-failure probability. These
exact moments include the samplers' discretization bias (for N(1.5, 0.5²) data on the linear
1000-step schedule, DDPM-1000's std is 0.8% low and DDIM-50's 5.6% low; DDIM's mean moves by a
fraction of √ᾱ_{T−1} m; with s = 0.05 they are 7.4% and 35% low), so no bias allowance is needed.
Random outputs are never compared draw for draw with the reference.
"""
from __future__ import annotations

import math

import torch
from scipy import integrate

from autograder import checks as check, training
from autograder import probes
from autograder.registry import test
from autograder.runtime import fixtures
from autograder.weeks.week3_flows_diffusion.common import alpha_bars

F64 = torch.float64
SCHED = "diffusion.DiffusionSchedule"


def _linear(T: int, start: float = 1e-4, end: float = 0.02) -> list[float]:
    return [start + (end - start) * i / (T - 1) for i in range(T)] if T > 1 else [start]


def _cosine(T: int, s: float = 0.008, max_beta: float = 0.999) -> list[float]:
    """diffusers' betas_for_alpha_bar(alpha_transform_type="cosine"), written out in Python floats."""
    f = lambda u: math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2
    return [min(1 - f(i + 1) / f(i), max_beta) for i in range(T)]



# A coarse 10-step schedule: ᾱ falls from 0.95 to 0.002, so that a wrong variance, an off-by-one
# timestep or a skipped step changes the output law by far more than the sampling error.
COARSE = [0.05 + (0.6 - 0.05) * i / 9 for i in range(10)]
SHORT = [0.01 + (0.2 - 0.01) * i / 7 for i in range(8)]  # 8 steps, ᾱ_{T−1} = 0.43


# ---------------------------------------------------------------------------------------------
# Exact output moments of the samplers fed the analytic optimum (all in float64)
# ---------------------------------------------------------------------------------------------
def _precision(a: float, S: torch.Tensor) -> torch.Tensor:
    eye = torch.eye(S.shape[0], dtype=F64)
    return torch.linalg.inv(a * S + (1 - a) * eye)  # Σ_t⁻¹, Σ_t = ᾱ_t S + (1 − ᾱ_t) I


def _ddpm_moments(betas: list[float], m: torch.Tensor, S: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x_{t-1} = A x_t + b + √β̃_t z with ε̂ = √(1−ᾱ_t) Σ_t⁻¹ (x_t − √ᾱ_t m):
    A = (I − β_t Σ_t⁻¹)/√α_t, b = β_t √ᾱ_t Σ_t⁻¹ m / √α_t; from N(0, I), t = T−1 … 0."""
    ab = alpha_bars(betas)
    D = m.numel()
    eye = torch.eye(D, dtype=F64)
    mu, C = torch.zeros(D, dtype=F64), eye.clone()
    for t in reversed(range(len(betas))):
        beta, a = betas[t], ab[t]
        a_prev = ab[t - 1] if t > 0 else 1.0
        P = _precision(a, S)
        A = (eye - beta * P) / math.sqrt(1 - beta)
        b = beta * math.sqrt(a) * (P @ m) / math.sqrt(1 - beta)
        mu, C = A @ mu + b, A @ C @ A.T
        if t > 0:
            C = C + (1 - a_prev) / (1 - a) * beta * eye
    return mu, C


def ddim_timesteps(T: int, num_steps: int) -> list[int]:
    return torch.unique_consecutive(torch.linspace(T - 1, 0, num_steps, dtype=F64).round().long()).tolist()


def _ddim_moments(betas, num_steps, m, S):
    """x̂0 = (x − (1−ᾱ) Σ⁻¹ (x − √ᾱ m)) / √ᾱ and ε̂ are affine in x; x' = √ᾱ' x̂0 + √(1−ᾱ') ε̂."""
    ab = alpha_bars(betas)
    D = m.numel()
    eye = torch.eye(D, dtype=F64)
    A, b = eye.clone(), torch.zeros(D, dtype=F64)  # x = A x_T + b, x_T ~ N(0, I)
    steps = ddim_timesteps(len(betas), num_steps)
    for i, t in enumerate(steps):
        a = ab[t]
        P = _precision(a, S)
        E, e = math.sqrt(1 - a) * P, -math.sqrt(1 - a) * math.sqrt(a) * (P @ m)  # ε̂ = E x + e
        X0, x0 = (eye - math.sqrt(1 - a) * E) / math.sqrt(a), -math.sqrt(1 - a) * e / math.sqrt(a)
        if i == len(steps) - 1:
            M, c = X0, x0
        else:
            a_next = ab[steps[i + 1]]
            M, c = math.sqrt(a_next) * X0 + math.sqrt(1 - a_next) * E, math.sqrt(a_next) * x0 + math.sqrt(1 - a_next) * e
        A, b = M @ A, M @ b + c
    return b, A @ A.T


def _euler_moments(num_steps, m, S):
    """x ← x + v*(x, k/N)/N with v* affine in x; from N(0, I)."""
    D = m.numel()
    eye = torch.eye(D, dtype=F64)
    mu, C = torch.zeros(D, dtype=F64), eye.clone()
    for k in range(num_steps):
        t = k / num_steps
        K = (t * S - (1 - t) * eye) @ torch.linalg.inv((1 - t) ** 2 * eye + t**2 * S)
        A = eye + K / num_steps
        b = (m - t * (K @ m)) / num_steps
        mu, C = A @ mu + b, A @ C @ A.T
    return mu, C


def _directions(D: int) -> list[torch.Tensor]:
    if D == 1:
        return [torch.ones(1, dtype=F64)]
    r = 1 / math.sqrt(2)
    return [torch.tensor(v, dtype=F64) for v in ([1.0, 0.0], [0.0, 1.0], [r, r], [r, -r])]


def _check_gaussian_law(samples: torch.Tensor, mu: torch.Tensor, C: torch.Tensor, p_fail: float, what: str) -> None:
    """Exact law N(mu, C) of i.i.d. samples: along each direction u, u·x ~ N(u·mu, uᵀCu) exactly, so
    the sample mean is a z-test with known variance and (n−1)s²/σ² ~ χ²(n−1); the 2·K checks share p_fail."""
    x = samples.to(F64)
    dirs = _directions(mu.numel())
    share = p_fail / (2 * len(dirs))
    for u in dirs:
        proj = x @ u
        mean, var = float(u @ mu), float(u @ C @ u)
        label = f"{what}" + ("" if mu.numel() == 1 else f" along {[round(v, 3) for v in u.tolist()]}")
        check.mean_z(proj, mean, var, p_fail=share, what=f"the mean of {label}")
        check.variance_chi2(proj, var, p_fail=share, what=f"the variance of {label}")


def _case(mean, cov):
    m, S = torch.tensor(mean, dtype=F64), torch.tensor(cov, dtype=F64)
    return m, S


NARROW = ([0.7], [[0.05**2]])                     # s = 0.05: a wrong noise level is plain
BROAD = ([1.5], [[0.5**2]])
FULL_2D = ([1.0, -0.5], [[0.5, 0.3], [0.3, 0.4]])  # full covariance


# =============================================================================================
# Schedules
# =============================================================================================
@test(points=0.5, functions=["diffusion.linear_beta_schedule", "diffusion.cosine_beta_schedule"],
      visibility="visible",
      clauses=["diffusion.linear_beta_schedule.value", "diffusion.cosine_beta_schedule.value"])
def schedules_shape_and_dtype(sub, ref):
    """linear_beta_schedule and cosine_beta_schedule return (T,) float64."""
    check.tensor(sub.diffusion.linear_beta_schedule(13), shape=(13,), dtype=F64, what="linear_beta_schedule(13)")
    check.tensor(sub.diffusion.cosine_beta_schedule(13), shape=(13,), dtype=F64, what="cosine_beta_schedule(13)")


@test(points=1, functions=["diffusion.linear_beta_schedule"],
      clauses=["diffusion.linear_beta_schedule.value", "diffusion.linear_beta_schedule.defaults"])
def linear_schedule_formula(sub, ref):
    """linear_beta_schedule matches the linspace formula; ᾱ_{T−1} of the 1000-step schedule is 4.04e-5."""
    for T, kw in [(1000, {}), (97, dict(beta_start=0.001, beta_end=0.3))]:
        got = check.tensor(sub.diffusion.linear_beta_schedule(T, **kw), shape=(T,), dtype=F64,
                           what=f"linear_beta_schedule({T})")
        want = torch.tensor(_linear(T, kw.get("beta_start", 1e-4), kw.get("beta_end", 0.02)), dtype=F64)
        check.close(got, want, atol=1e-15, rtol=1e-12, what=f"the betas of linear_beta_schedule({T}, {kw})",
                    why="float64 linspace against the written-out formula: a few ulps")
        check.close(got, ref.diffusion.linear_beta_schedule(T, **kw), atol=1e-15, rtol=1e-12,
                    what=f"linear_beta_schedule({T}, {kw}) against the reference", why="float64: a few ulps")
    abar = float(torch.prod(1 - sub.diffusion.linear_beta_schedule(1000)))
    check.close(abar, 4.0358e-5, atol=5e-9, what="ᾱ_{T−1} of the linear 1000-step schedule",
                why="the product in float64 is exact to 1e-12 relative; 4.0358e-5 is rounded to 5 digits")


@test(points=1.5, functions=["diffusion.cosine_beta_schedule"],
      clauses=["diffusion.cosine_beta_schedule.value", "diffusion.cosine_beta_schedule.arguments"])
def cosine_schedule_formula(sub, ref):
    """cosine_beta_schedule matches Nichol & Dhariwal (diffusers' squaredcos_cap_v2), clipping included."""
    for T, kw in [(1000, {}), (97, {}), (20, dict(s=0.02, max_beta=0.5))]:
        got = check.tensor(sub.diffusion.cosine_beta_schedule(T, **kw), shape=(T,), dtype=F64,
                           what=f"cosine_beta_schedule({T}, {kw})")
        want = torch.tensor(_cosine(T, **kw), dtype=F64)
        check.close(got, want, atol=1e-12, what=f"the betas of cosine_beta_schedule({T}, {kw})",
                    why="float64 cosines and a ratio: round-off about 1e-15")
        check.close(got, ref.diffusion.cosine_beta_schedule(T, **kw), atol=1e-12,
                    what=f"cosine_beta_schedule({T}, {kw}) against the reference", why="float64 round-off")
    # Without clipping, ᾱ_t = f(t+1)/f(0) (the clipped last step of T = 1000 is excluded).
    T = 97
    f = lambda u: math.cos((u / T + 0.008) / 1.008 * math.pi / 2) ** 2
    got = torch.cumprod(1 - sub.diffusion.cosine_beta_schedule(T), 0)[:-1]
    check.close(got, torch.tensor([f(t + 1) / f(0) for t in range(T - 1)], dtype=F64), atol=1e-12,
                what="cumprod(1 − betas) against f(t+1)/f(0)", why="a telescoping product in float64")


@test(points=1.5, functions=[SCHED], clauses=["diffusion.DiffusionSchedule.attributes"])
def schedule_attributes(sub, ref):
    """DiffusionSchedule: betas, alphas, alpha_bars, alpha_bars_prev, posterior_variance (float64)."""
    for betas in (_cosine(97), COARSE):
        sched = sub.diffusion.DiffusionSchedule(torch.tensor(betas, dtype=torch.float32))
        T = len(betas)
        betas = torch.tensor(betas, dtype=torch.float32).to(F64).tolist()  # what a float32 input holds
        ab = alpha_bars(betas)
        ab_prev = [1.0] + ab[:-1]
        want = {"betas": betas, "alphas": [1 - b for b in betas], "alpha_bars": ab, "alpha_bars_prev": ab_prev,
                "posterior_variance": [(1 - p) / (1 - a) * b for b, a, p in zip(betas, ab, ab_prev)]}
        for name, values in want.items():
            got = check.tensor(sched.get(name), shape=(T,), dtype=F64, what=f"DiffusionSchedule.{name}")
            check.close(got, torch.tensor(values, dtype=F64), atol=1e-12, rtol=1e-10,
                        what=f"DiffusionSchedule.{name} (T = {T})", why="float64 products of T = 97 terms")


@test(points=0.5, functions=[SCHED, "diffusion.linear_beta_schedule"],
      clauses=["diffusion.DiffusionSchedule.raises", "diffusion.linear_beta_schedule.raises"])
def schedule_rejects_bad_arguments(sub, ref):
    """DiffusionSchedule rejects betas outside (0, 1]; linear_beta_schedule(0) raises ValueError.

    Each must first work on valid arguments, so a function or class that always raises earns nothing."""
    check.tensor(_schedule(sub, [0.1, 0.3, 0.2]).get("alpha_bars"), shape=(3,),
                 what="DiffusionSchedule(betas of length 3).alpha_bars")
    check.tensor(sub.diffusion.linear_beta_schedule(1), shape=(1,), what="linear_beta_schedule(1)")
    check.raises(ValueError, sub.diffusion.DiffusionSchedule, torch.tensor([0.1, 0.0, 0.2], dtype=F64))
    check.raises(ValueError, sub.diffusion.DiffusionSchedule, torch.tensor([0.1, 1.5], dtype=F64))
    check.raises(ValueError, sub.diffusion.linear_beta_schedule, 0)


# =============================================================================================
# q_sample, q_posterior, predict_x0
# =============================================================================================
def _schedule(sub, betas):
    return sub.diffusion.DiffusionSchedule(torch.tensor(betas, dtype=F64))


@test(points=0.5, functions=["diffusion.q_sample", SCHED], visibility="visible", clauses=["diffusion.q_sample.value"])
def q_sample_shape_and_dtype(sub, ref):
    """q_sample keeps x0's shape and dtype, for (B, D) and (B, C, H, W) data."""
    sched = _schedule(sub, _linear(50))
    for shape, dtype in [((97, 2), torch.float32), ((5, 1, 3, 4), F64)]:
        x0 = torch.randn(shape, dtype=dtype)
        t = torch.randint(0, 50, (shape[0],))
        check.tensor(sub.diffusion.q_sample(sched, x0, t, torch.randn_like(x0)), shape=shape, dtype=dtype,
                     what=f"q_sample on {shape} {dtype}")


@test(points=1.5, functions=["diffusion.q_sample", SCHED], clauses=["diffusion.q_sample.value"])
def q_sample_formula(sub, ref):
    """q_sample = √ᾱ_t x0 + √(1 − ᾱ_t) ε, per example, for (B, D) and image-shaped data."""
    betas = _linear(1000)
    sched = _schedule(sub, betas)
    ab = torch.tensor(alpha_bars(betas), dtype=F64)
    for shape, dtype, atol in [((97, 3), F64, 1e-12), ((31, 2, 4, 4), torch.float32, 2e-6)]:
        x0, noise = torch.randn(shape, dtype=dtype), torch.randn(shape, dtype=dtype)
        t = torch.randint(0, 1000, (shape[0],))
        t[:2] = torch.tensor([0, 999])
        got = check.tensor(sub.diffusion.q_sample(sched, x0, t, noise), shape=shape, dtype=dtype,
                           what=f"q_sample ({dtype})")
        a = ab[t].reshape(-1, *([1] * (len(shape) - 1)))  # (B, 1, ...)
        want = a.sqrt() * x0.to(F64) + (1 - a).sqrt() * noise.to(F64)
        check.close(got, want, atol=atol, what=f"q_sample on {shape} ({dtype})",
                    why="float64: round-off; float32: a few ulps of values of order 4")
        check.close(got, ref.diffusion.q_sample(ref.diffusion.DiffusionSchedule(torch.tensor(betas, dtype=F64)),
                                                x0, t, noise), atol=atol, what=f"q_sample against the reference ({dtype})",
                    why="the same formula; float32 round-off")


@test(points=1, functions=["diffusion.q_sample", SCHED], clauses=["diffusion.q_sample.value"])
def q_sample_moments(sub, ref):
    """q_sample with ε ~ N(0, I): the output has mean √ᾱ_t x0 and variance 1 − ᾱ_t (z and chi-square)."""
    betas = _linear(1000)
    sched = _schedule(sub, betas)
    ab = alpha_bars(betas)
    n = 20_000
    for t_value in (10, 600):
        x0 = torch.full((n, 1), 1.7, dtype=F64)
        t = torch.full((n,), t_value, dtype=torch.long)
        got = check.tensor(sub.diffusion.q_sample(sched, x0, t, torch.randn(n, 1, dtype=F64)), shape=(n, 1), dtype=F64,
                           what="q_sample")
        # Given the noise, the output is exactly normal: z-test (known variance), chi-square; 4 checks share 1e-6.
        check.mean_z(got, math.sqrt(ab[t_value]) * 1.7, 1 - ab[t_value], p_fail=2.5e-7, what=f"the mean of x_t at t = {t_value}")
        check.variance_chi2(got, 1 - ab[t_value], p_fail=2.5e-7, what=f"the variance of x_t at t = {t_value}")


@test(points=2, functions=["diffusion.q_posterior", SCHED], clauses=["diffusion.q_posterior.value"])
def q_posterior_bayes_oracle(sub, ref):
    """q_posterior = Bayes' rule for q(x_{t−1} | x0) q(x_t | x_{t−1}); at t = 0 the point mass at x0."""
    betas = _cosine(100)
    sched = _schedule(sub, betas)
    ab = alpha_bars(betas)
    shape = (97, 2, 3)
    x0, x_t = torch.randn(shape, dtype=F64), torch.randn(shape, dtype=F64)
    t = torch.randint(0, 100, (97,))
    t[:3] = torch.tensor([0, 1, 99])
    result = check.sequence(sub.diffusion.q_posterior(sched, x0, x_t, t), 2, what="q_posterior(...)")
    mean = check.tensor(result[0], shape=shape, dtype=F64, what="the posterior mean")
    var = check.tensor(result[1], shape=shape, dtype=F64, what="the posterior variance (broadcast to x's shape)")
    # Gaussian product: precision 1/(1−ᾱ_{t−1}) + α_t/β_t, mean = var · (√ᾱ_{t−1} x0/(1−ᾱ_{t−1}) + √α_t x_t/β_t).
    want_mean, want_var = torch.empty(shape, dtype=F64), torch.empty(shape, dtype=F64)
    for i, ti in enumerate(t.tolist()):
        if ti == 0:
            want_mean[i], want_var[i] = x0[i], 0.0
            continue
        a_prev, beta = ab[ti - 1], betas[ti]
        v = 1 / (1 / (1 - a_prev) + (1 - beta) / beta)
        want_mean[i] = v * (math.sqrt(a_prev) * x0[i] / (1 - a_prev) + math.sqrt(1 - beta) * x_t[i] / beta)
        want_var[i] = v
    check.close(mean, want_mean, atol=1e-9, what="the posterior mean (Bayes' rule)",
                why="two float64 formulas of the same Gaussian; 1/(1−ᾱ_{t−1}) up to 3e4 at t = 1 costs ~1e-12")
    check.close(var, want_var, atol=1e-12, rtol=1e-9, what="the posterior variance (Bayes' rule)",
                why="float64 round-off")


@test(points=1, functions=["diffusion.q_posterior", SCHED], clauses=["diffusion.q_posterior.value"])
def q_posterior_matches_reference_float32(sub, ref):
    """q_posterior agrees with the reference in float32 on (97, 4) data."""
    betas = _linear(1000)
    x0, x_t = torch.randn(97, 4), torch.randn(97, 4)
    t = torch.randint(0, 1000, (97,))
    got = check.sequence(sub.diffusion.q_posterior(_schedule(sub, betas), x0, x_t, t), 2, what="q_posterior(...)")
    want = ref.diffusion.q_posterior(ref.diffusion.DiffusionSchedule(torch.tensor(betas, dtype=F64)), x0, x_t, t)
    for g, w, name in zip(got, want, ("mean", "variance")):
        g = check.tensor(g, shape=(97, 4), dtype=torch.float32, what=f"the posterior {name} (float32)")
        check.close(g, w, atol=1e-5, rtol=1e-5, what=f"the posterior {name} (float32)",
                    why="float32 coefficients of order 1 applied to N(0, 1) inputs: a few ulps")


@test(points=1.5, functions=["diffusion.predict_x0", "diffusion.q_sample", SCHED],
      clauses=["diffusion.predict_x0.value"])
def predict_x0_inverts_q_sample(sub, ref):
    """predict_x0(q_sample(x0, t, ε), t, ε) = x0 in float64, for every t up to T − 1."""
    betas = _linear(1000)
    sched = _schedule(sub, betas)
    x0, noise = torch.randn(97, 5, dtype=F64), torch.randn(97, 5, dtype=F64)
    t = torch.randint(0, 1000, (97,))
    t[:2] = torch.tensor([0, 999])
    x_t = check.tensor(sub.diffusion.q_sample(sched, x0, t, noise), shape=(97, 5), dtype=F64, what="q_sample")
    back = check.tensor(sub.diffusion.predict_x0(sched, x_t, t, noise), shape=(97, 5), dtype=F64, what="predict_x0")
    check.close(back, x0, atol=1e-8, what="predict_x0 of q_sample",
                why="float64; dividing by √ᾱ_999 = 6e-3 amplifies round-off of 1e-16 to 1e-13")


@test(points=1, functions=["diffusion.predict_x0", SCHED], clauses=["diffusion.predict_x0.value"])
def predict_x0_matches_reference(sub, ref):
    """predict_x0 agrees with (x_t − √(1 − ᾱ_t) ε)/√ᾱ_t in float32 (batch 97, image shape)."""
    betas = _cosine(200)
    x_t, eps = torch.randn(97, 1, 4, 4), torch.randn(97, 1, 4, 4)
    t = torch.randint(0, 150, (97,))
    got = check.tensor(sub.diffusion.predict_x0(_schedule(sub, betas), x_t, t, eps), shape=(97, 1, 4, 4),
                       dtype=torch.float32, what="predict_x0 (float32)")
    ab = torch.tensor(alpha_bars(betas), dtype=F64)[t].reshape(-1, 1, 1, 1)  # (B, 1, 1, 1)
    want = (x_t.to(F64) - (1 - ab).sqrt() * eps.to(F64)) / ab.sqrt()
    check.close(got, want, rtol=1e-5, atol=1e-5, what="predict_x0 (float32)",
                why="float32 round-off, amplified by 1/√ᾱ_t <= 13 for t < 150")


# =============================================================================================
# diffusion_loss
# =============================================================================================
def _eps_loss_moments(betas, m: float, s2: float) -> tuple[float, float]:
    """Per-example (ε̂ − ε)² with the exact predictor on 1-D data N(m, s²): given t, the residual is
    N(0, v_t) with v_t = Var(ε | x_t) = ᾱ s²/(ᾱ s² + 1 − ᾱ), so E = mean_t v_t, E[L²] = mean_t 3 v_t²."""
    v = [a * s2 / (a * s2 + 1 - a) for a in alpha_bars(betas)]
    mean = sum(v) / len(v)
    return mean, sum(3 * x * x for x in v) / len(v) - mean**2


@test(points=2, functions=["diffusion.diffusion_loss", "diffusion.q_sample", SCHED], timeout=60,
      clauses=["diffusion.diffusion_loss.value"])
def diffusion_loss_with_exact_denoiser(sub, ref):
    """diffusion_loss: the exact ε-predictor's loss has a known mean (z-test); a zero model's loss is E[ε²] = 1."""
    m, s2, n = 0.8, 0.3**2, 100_000
    sched = _schedule(sub, COARSE)
    x0 = m + math.sqrt(s2) * torch.randn(n, 1, dtype=F64, generator=probes.data_generator())  # i.i.d. data, drawn here
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[m], cov=[[s2]])
    loss = check.number(check.tensor(sub.diffusion.diffusion_loss(model, sched, x0), shape=(),
                                     what="diffusion_loss(...)"), what="the loss")
    # The loss is a mean of n i.i.d. per-example terms (t, ε and x0 all fresh) with the mean and
    # variance above: a CLT z-test, n = 1e5 (3 checks share 1e-6).
    mean, var = _eps_loss_moments(COARSE, m, s2)
    check.mean_z(torch.tensor([loss]), mean, var / n, p_fail=3e-7,
                 what="the loss of the exact ε-predictor (t ~ U{0..T−1}, 10 steps)")
    # With T = 10 the per-step losses differ (0.63 at t = 0 to 0.001 at t = 9), so drawing t from
    # {1..T} or {0..T−2}, or feeding the model t ± 1, moves the mean by 4 to 40 standard errors.
    # With ᾱ = 1 in the fixture, its ε̂ = √(1 − ᾱ)(...) is exactly 0: a model that predicts 0.
    zero = sub.fixture("gaussian_eps_predictor", alpha_bars=[1.0] * 10, mean=[0.0], cov=[[1.0]])
    loss0 = check.number(check.tensor(sub.diffusion.diffusion_loss(zero, sched, x0[:20_000].float()), shape=(),
                                      dtype=torch.float32, what="diffusion_loss(...) in float32"), what="the loss")
    # ε̂ = 0: the loss is the mean of 20,000 ε², E = 1, Var = 2 per term.
    check.mean_z(torch.tensor([loss0]), 1.0, 2 / 20_000, p_fail=3e-7, what="the loss of a model that predicts 0")


# Nothing here can ignore its weights: the network is the public Denoiser, trained in the child by the
# public train_denoiser fixture with the student's loss and schedule, and sampled HERE by the reference
# sampler from the returned parameters.
# Attempts: one run failed in 0 of 200 seeds of the reference and 0 of 200 of the alternative
# (bench/training_tests.md, 2026-12-07), so its failure rate p is at most p_u = 1 - 0.025^(1/200) = 0.0183
# (Clopper-Pearson, 95%); all 8 independent runs fail with probability p^8 <= 0.01828^8 = 1.2e-14 <= 1e-6
# (rechecked from the JSON by tests/engine/test_training_seeds.py). A correct submission pays one run in the common
# case, a broken one all 8.
DIFFUSION_ATTEMPTS = 8


@test(points=2, functions=["diffusion.diffusion_loss", "diffusion.q_sample", SCHED], timeout=DIFFUSION_ATTEMPTS * 90,
      slow=True)
@training.attempts(DIFFUSION_ATTEMPTS)
def diffusion_loss_trains_a_denoiser(sub, ref):
    """A public denoiser trained with your diffusion_loss generates the data (judged with the reference sampler)."""
    betas = _linear(50, 1e-3, 0.25)
    mean, cov = [1.0, -0.5], [[0.5, 0.3], [0.3, 0.4]]
    data = (torch.tensor(mean) + torch.randn(4000, 2, generator=probes.data_generator())
            @ torch.linalg.cholesky(torch.tensor(cov)).T)  # (4000, 2) float32
    state = sub.call_fixture("train_denoiser", betas, data, 600)
    model = fixtures.Denoiser(2, 50)
    check.true(isinstance(state, dict), "the training helper did not return parameters")
    try:
        model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    except (RuntimeError, KeyError) as exc:
        raise check.CheckFailed(f"the trained parameters do not fit the public denoiser: {exc}") from None
    sched = ref.diffusion.DiffusionSchedule(torch.tensor(betas, dtype=F64))
    with torch.no_grad():
        x = ref.diffusion.p_sample_loop(model, sched, (4000, 2)).to(F64)
    # Compared with what the same 50-step sampler gives with the exact ε-predictor (its covariance
    # is 0.07 below S: discretization bias), so that only the training error remains. Thresholds
    # from 20 reference seeds (tests/week3/calibrate_training.py): worst errors 0.06 (mean) and 0.05
    # (covariance), sampling error 0.01; the x0 target or a fresh-noise target miss by 0.3 or more.
    mu, C = _ddpm_moments(betas, torch.tensor(mean, dtype=F64), torch.tensor(cov, dtype=F64))
    training.record(mean_err=float((x.mean(0) - mu).abs().max()), cov_err=float((torch.cov(x.T) - C).abs().max()))
    check.close(x.mean(0), mu, atol=0.12, what="the mean of the generated samples",
                why="20 reference seeds: worst error 0.06; sampling error 0.01")
    check.close(torch.cov(x.T), C, atol=0.12, what="the covariance of the generated samples",
                why="20 reference seeds: worst error 0.05; sampling error 0.01")


# =============================================================================================
# p_sample, p_sample_loop
# =============================================================================================
@test(points=1.5, functions=["diffusion.p_sample", SCHED], clauses=["diffusion.p_sample.value"])
def p_sample_one_step(sub, ref):
    """p_sample: mean (x_t − β_t/√(1−ᾱ_t) ε̂)/√α_t and variance β̃_t; no noise at t = 0."""
    betas = COARSE
    m, s2 = [0.7], [[0.05**2]]
    ab = alpha_bars(betas)
    sched = _schedule(sub, betas)
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=ab, mean=m, cov=s2)
    n = 20_000
    for t in (0, 1, 5):
        x_t = torch.full((n, 1), 0.3, dtype=F64)
        got = check.tensor(sub.diffusion.p_sample(model, sched, x_t, t), shape=(n, 1), dtype=F64,
                           what=f"p_sample at t = {t}")
        eps = fixtures.gaussian_eps_predictor(ab, m, s2)(x_t[:1], torch.tensor([t]))[0, 0].item()
        mean = (0.3 - betas[t] / math.sqrt(1 - ab[t]) * eps) / math.sqrt(1 - betas[t])
        if t == 0:
            check.close(got, torch.full((n, 1), mean, dtype=F64), atol=1e-10, what="p_sample at t = 0 (no noise)",
                        why="deterministic at t = 0, float64")
            continue
        var = (1 - ab[t - 1]) / (1 - ab[t]) * betas[t]
        # From a fixed x_t the output is exactly N(mean, β̃_t): z-test and chi-square, 4 checks share 1e-6.
        check.mean_z(got, mean, var, p_fail=2.5e-7, what=f"the mean of p_sample at t = {t}")
        check.variance_chi2(got, var, p_fail=2.5e-7, what=f"the variance of p_sample at t = {t}")


def _sampler_test(sub, sampler: str, betas, case, n: int, p_fail: float, **kwargs) -> None:
    m, S = _case(*case)
    sched = _schedule(sub, betas)
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(betas), mean=case[0], cov=case[1])
    D = m.numel()
    if sampler == "p_sample_loop":
        got = sub.diffusion.p_sample_loop(model, sched, (n, D))
        mu, C = _ddpm_moments(betas, m, S)
        label = f"p_sample_loop samples (T = {len(betas)})"
    else:
        got = sub.diffusion.ddim_sample(model, sched, (n, D), kwargs["num_steps"])
        mu, C = _ddim_moments(betas, kwargs["num_steps"], m, S)
        label = f"ddim_sample samples (T = {len(betas)}, {kwargs['num_steps']} steps)"
    got = check.tensor(got, shape=(n, D), dtype=torch.get_default_dtype(), what=label)
    check.show(lambda ax: (ax.hist(got[:, 0].numpy(), bins=80, density=True), ax.set_title("coordinate 0")),
               f"{label}: exact mean {mu.tolist()}, std {C.diagonal().sqrt().tolist()}")
    _check_gaussian_law(got, mu, C, p_fail, label)


@test(points=0.5, functions=["diffusion.p_sample_loop", "diffusion.p_sample", SCHED], visibility="visible",
      clauses=["diffusion.p_sample_loop.shape"])
def p_sample_loop_shape_and_dtype(sub, ref):
    """p_sample_loop returns the requested shape in the default dtype."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[0.0, 0.0],
                        cov=[[1.0, 0.0], [0.0, 1.0]])
    check.tensor(sub.diffusion.p_sample_loop(model, _schedule(sub, COARSE), (97, 2)), shape=(97, 2),
                 dtype=torch.float32, what="p_sample_loop(model, schedule, (97, 2))")


@test(points=2, functions=["diffusion.p_sample_loop", "diffusion.p_sample", SCHED], timeout=60,
      clauses=["diffusion.p_sample_loop.law"])
def p_sample_loop_exact_law_1000_steps(sub, ref):
    """DDPM-1000 with the exact ε-predictor: samples follow the sampler's exact law (N(1.5, 0.5²) data)."""
    _sampler_test(sub, "p_sample_loop", _linear(1000), BROAD, 20_000, 1e-6)


@test(points=2, functions=["diffusion.p_sample_loop", "diffusion.p_sample", SCHED], timeout=60,
      clauses=["diffusion.p_sample_loop.law"])
def p_sample_loop_exact_law_narrow_coarse(sub, ref):
    """DDPM with the exact ε-predictor on narrow data (s = 0.05), on 10- and 8-step schedules: exact law."""
    _sampler_test(sub, "p_sample_loop", COARSE, NARROW, 50_000, 3e-7)
    _sampler_test(sub, "p_sample_loop", _linear(200, 1e-4, 0.05), NARROW, 50_000, 3e-7)
    # A short schedule that ends at ᾱ_{T−1} = 0.43, far from pure noise: the exact law depends on
    # every step, so starting one step late (at T − 2) or skipping t = 0 is plain.
    _sampler_test(sub, "p_sample_loop", SHORT, BROAD, 20_000, 3e-7)


@test(points=2, functions=["diffusion.p_sample_loop", "diffusion.p_sample", SCHED], timeout=60,
      clauses=["diffusion.p_sample_loop.law"])
def p_sample_loop_exact_law_2d(sub, ref):
    """DDPM (cosine, T = 100) with the exact ε-predictor for 2-D data with a full covariance: exact law."""
    _sampler_test(sub, "p_sample_loop", _cosine(100), FULL_2D, 20_000, 1e-6)


# =============================================================================================
# ddim_sample
# =============================================================================================
@test(points=0.5, functions=["diffusion.ddim_sample", SCHED], visibility="visible",
      clauses=["diffusion.ddim_sample.shape"])
def ddim_sample_shape_and_dtype(sub, ref):
    """ddim_sample returns the requested shape in the default dtype."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[0.0], cov=[[1.0]])
    check.tensor(sub.diffusion.ddim_sample(model, _schedule(sub, COARSE), (97, 1), 4), shape=(97, 1),
                 dtype=torch.float32, what="ddim_sample(model, schedule, (97, 1), 4)")


@test(points=2, functions=["diffusion.ddim_sample", "diffusion.predict_x0", SCHED], timeout=60,
      clauses=["diffusion.ddim_sample.law"])
def ddim_exact_law_1000_steps(sub, ref):
    """DDIM with 10 and 50 steps of the linear 1000-step schedule, exact ε-predictor: exact law."""
    _sampler_test(sub, "ddim_sample", _linear(1000), BROAD, 20_000, 5e-7, num_steps=10)
    _sampler_test(sub, "ddim_sample", _linear(1000), NARROW, 20_000, 5e-7, num_steps=50)


@test(points=2, functions=["diffusion.ddim_sample", "diffusion.predict_x0", SCHED], timeout=60,
      clauses=["diffusion.ddim_sample.law"])
def ddim_exact_law_coarse(sub, ref):
    """DDIM on a 10-step schedule with 4 steps, and with 20 steps (repeated timesteps removed): exact law."""
    _sampler_test(sub, "ddim_sample", COARSE, NARROW, 20_000, 5e-7, num_steps=4)
    _sampler_test(sub, "ddim_sample", COARSE, BROAD, 20_000, 5e-7, num_steps=20)


@test(points=1.5, functions=["diffusion.ddim_sample", "diffusion.predict_x0", SCHED], timeout=60,
      clauses=["diffusion.ddim_sample.law"])
def ddim_exact_law_2d(sub, ref):
    """DDIM (cosine, T = 100, 25 steps) for 2-D data with a full covariance: exact law."""
    _sampler_test(sub, "ddim_sample", _cosine(100), FULL_2D, 20_000, 1e-6, num_steps=25)


# =============================================================================================
# flow matching
# =============================================================================================
def _fm_loss_moments(m: float, s2: float) -> tuple[float, float]:
    """Per-example (v*(x_t, t) − (x1 − x0))² for data N(m, s²): given t the residual is N(0, r_t),
    r_t = Var(x1 − x0) − Cov(x1 − x0, x_t)²/Var(x_t) = (s² + 1) − (t s² − (1 − t))²/((1 − t)² + t² s²)."""
    r = lambda t: (s2 + 1) - (t * s2 - (1 - t)) ** 2 / ((1 - t) ** 2 + t**2 * s2)
    mean = integrate.quad(r, 0, 1, epsabs=1e-13)[0]
    second = integrate.quad(lambda t: 3 * r(t) ** 2, 0, 1, epsabs=1e-13)[0]
    return mean, second - mean**2


@test(points=2, functions=["diffusion.flow_matching_loss"], timeout=60,
      clauses=["diffusion.flow_matching_loss.value"])
def flow_matching_loss_with_exact_velocity(sub, ref):
    """flow_matching_loss: the exact velocity's loss has a known mean (z-test); v = 0 gives E(x1 − x0)²."""
    m, s2, n = 0.8, 0.3**2, 100_000
    x1 = m + math.sqrt(s2) * torch.randn(n, 1, dtype=F64, generator=probes.data_generator())  # i.i.d. data, drawn here
    velocity = sub.fixture("gaussian_velocity", mean=[m], cov=[[s2]])
    loss = check.number(check.tensor(sub.diffusion.flow_matching_loss(velocity, x1), shape=(),
                                     what="flow_matching_loss(...)"), what="the loss")
    # n i.i.d. per-example terms (x0, t, x1 fresh): CLT z-test with the exact mean and variance above.
    mean, var = _fm_loss_moments(m, s2)
    check.mean_z(torch.tensor([loss]), mean, var / n, p_fail=5e-7, what="the loss of the exact velocity")
    # A reversed target (x0 − x1) or path (t x0 + (1 − t) x1) gives the exact velocity a loss of 2 or
    # more. The same z-test in float32 on 20,000 examples (the float32 round-off, 1e-7, is negligible).
    loss32 = check.tensor(sub.diffusion.flow_matching_loss(velocity, x1[:20_000].float()), shape=(),
                          dtype=torch.float32, what="flow_matching_loss(...) in float32")
    check.mean_z(torch.tensor([float(loss32)]), mean, var / 20_000, p_fail=5e-7,
                 what="the loss of the exact velocity (float32)")


@test(points=0.5, functions=["diffusion.euler_sample"], visibility="visible", clauses=["diffusion.euler_sample.shape"])
def euler_sample_shape_and_dtype(sub, ref):
    """euler_sample returns the requested shape in the default dtype."""
    velocity = sub.fixture("gaussian_velocity", mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]])
    check.tensor(sub.diffusion.euler_sample(velocity, (97, 2), 3), shape=(97, 2), dtype=torch.float32,
                 what="euler_sample(velocity, (97, 2), 3)")


@test(points=2, functions=["diffusion.euler_sample"], timeout=60,
      clauses=["diffusion.euler_sample.law"])
def euler_exact_law(sub, ref):
    """Euler with the exact velocity (1-D narrow with 5 and 50 steps, 2-D full covariance with 10): exact law."""
    n = 20_000
    for case, steps in [(NARROW, 5), (NARROW, 50), (FULL_2D, 10)]:
        m, S = _case(*case)
        got = check.tensor(sub.diffusion.euler_sample(sub.fixture("gaussian_velocity", mean=case[0], cov=case[1]),
                                                      (n, m.numel()), steps),
                           shape=(n, m.numel()), dtype=torch.float32, what=f"euler_sample ({steps} steps)")
        mu, C = _euler_moments(steps, m, S)
        _check_gaussian_law(got, mu, C, 3e-7, f"euler_sample samples ({steps} steps, D = {m.numel()})")


@test(points=0.5, functions=["diffusion.ddim_sample", "diffusion.euler_sample"],
      clauses=["diffusion.ddim_sample.raises", "diffusion.euler_sample.raises"])
def samplers_reject_zero_steps(sub, ref):
    """ddim_sample and euler_sample raise ValueError for num_steps = 0.

    Each must first return a batch of the requested shape for num_steps = 1, so a function that always raises
    earns nothing."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[0.0], cov=[[1.0]])
    velocity = sub.fixture("gaussian_velocity", mean=[0.0], cov=[[1.0]])
    sched = _schedule(sub, COARSE)
    check.tensor(sub.diffusion.ddim_sample(model, sched, (4, 1), 1), shape=(4, 1), what="ddim_sample(..., (4, 1), 1)")
    check.tensor(sub.diffusion.euler_sample(velocity, (4, 1), 1), shape=(4, 1), what="euler_sample(..., (4, 1), 1)")
    check.raises(ValueError, sub.diffusion.ddim_sample, model, sched, (4, 1), 0)
    check.raises(ValueError, sub.diffusion.euler_sample, velocity, (4, 1), 0)



# =============================================================================================
# Clause tests (issue 18): argument checks and attributes no test covered, and every sampler called
# twice under the global generator. Each names the clauses of CLAUSES.md it checks.
# =============================================================================================
@test(points=0.5, functions=["diffusion.cosine_beta_schedule", SCHED],
      clauses=["diffusion.cosine_beta_schedule.raises", "diffusion.DiffusionSchedule.num_steps"])
def cosine_schedule_rejects_zero_and_num_steps(sub, ref):
    """cosine_beta_schedule(0) raises ValueError; DiffusionSchedule.num_steps is T.

    cosine_beta_schedule(1) must first return its one beta, so a function that always raises earns nothing."""
    check.tensor(sub.diffusion.cosine_beta_schedule(1), shape=(1,), what="cosine_beta_schedule(1)")
    check.raises(ValueError, sub.diffusion.cosine_beta_schedule, 0)
    for T in (1, 13):
        n = sub.diffusion.DiffusionSchedule(torch.full((T,), 0.1, dtype=F64)).get("num_steps")
        check.true(isinstance(n, int) and n == T, f"DiffusionSchedule(betas of length {T}).num_steps is {n!r}, expected {T}")


@test(points=0.5, functions=["diffusion.p_sample", SCHED], clauses=["diffusion.p_sample.raises"])
def p_sample_rejects_bad_timestep(sub, ref):
    """p_sample raises ValueError for t outside [0, T).

    p_sample must first return x_{t-1} for t = 0 and t = T - 1, so a function that always raises earns nothing."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[0.0], cov=[[1.0]])
    sched = _schedule(sub, COARSE)
    for t in (0, len(COARSE) - 1):
        check.tensor(sub.diffusion.p_sample(model, sched, torch.zeros(3, 1, dtype=F64), t), shape=(3, 1),
                     what=f"p_sample(model, schedule, x_t (3, 1), {t})")
    check.raises(ValueError, sub.diffusion.p_sample, model, sched, torch.zeros(3, 1, dtype=F64), 10)
    check.raises(ValueError, sub.diffusion.p_sample, model, sched, torch.zeros(3, 1, dtype=F64), -1)


def _twice(sub, target: str, args, what: str, n: int | None = None):
    """sampler_twice on a graded function; with n, the draws are (n, ...) and checked for independence
    by Kendall's tau per coordinate (distribution-free under independence), sharing p_fail = 1e-6;
    continuous draws of two calls coincide with probability 0."""
    first, second = probes.sampler_twice(sub, target, None, args, what=what)
    if n is not None:
        check.tensor(first, shape=(n,) + tuple(first.shape[1:]), what=what)
        probes.independent(first, second, p_fail=1e-6, what=f"two calls of {what}")
    return first, second


@test(points=0.5, functions=["diffusion.diffusion_loss", SCHED], clauses=["diffusion.diffusion_loss.global_generator"])
def diffusion_loss_twice(sub, ref):
    """Two calls of diffusion_loss draw fresh t and ε from torch's global generator (different losses)."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[0.5], cov=[[0.2]])
    x0 = torch.randn(64, 1, dtype=F64, generator=probes.data_generator())
    first, _ = _twice(sub, "diffusion.diffusion_loss", [model, _schedule(sub, COARSE), x0], "diffusion_loss(...)")
    check.tensor(first, shape=(), dtype=F64, what="diffusion_loss(...)")


@test(points=0.5, functions=["diffusion.flow_matching_loss"], clauses=["diffusion.flow_matching_loss.global_generator"])
def flow_matching_loss_twice(sub, ref):
    """Two calls of flow_matching_loss draw fresh x0 and t from torch's global generator (different losses)."""
    velocity = sub.fixture("gaussian_velocity", mean=[0.5], cov=[[0.2]])
    x1 = torch.randn(64, 1, dtype=F64, generator=probes.data_generator())
    first, _ = _twice(sub, "diffusion.flow_matching_loss", [velocity, x1], "flow_matching_loss(...)")
    check.tensor(first, shape=(), dtype=F64, what="flow_matching_loss(...)")


@test(points=1, functions=["diffusion.p_sample", SCHED],
      clauses=["diffusion.p_sample.global_generator", "diffusion.p_sample.independent_calls"])
def p_sample_twice(sub, ref):
    """Two calls of p_sample at t = 5 add different, independent noise from torch's global generator."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[0.7], cov=[[0.05]])
    x_t = torch.full((3000, 1), 0.3, dtype=F64)
    _twice(sub, "diffusion.p_sample", [model, _schedule(sub, COARSE), x_t, 5], "p_sample(..., t = 5)", n=3000)


@test(points=1, functions=["diffusion.p_sample_loop", "diffusion.p_sample", SCHED],
      clauses=["diffusion.p_sample_loop.global_generator", "diffusion.p_sample_loop.independent_calls"])
def p_sample_loop_twice(sub, ref):
    """Two calls of p_sample_loop give different, independent samples from torch's global generator."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(SHORT), mean=[1.0, -0.5],
                        cov=[[0.5, 0.3], [0.3, 0.4]])
    _twice(sub, "diffusion.p_sample_loop", [model, _schedule(sub, SHORT), (3000, 2)], "p_sample_loop(...)", n=3000)


@test(points=1, functions=["diffusion.ddim_sample", SCHED],
      clauses=["diffusion.ddim_sample.global_generator", "diffusion.ddim_sample.independent_calls"])
def ddim_sample_twice(sub, ref):
    """Two calls of ddim_sample start from different, independent noise of torch's global generator."""
    model = sub.fixture("gaussian_eps_predictor", alpha_bars=alpha_bars(COARSE), mean=[1.0, -0.5],
                        cov=[[0.5, 0.3], [0.3, 0.4]])
    _twice(sub, "diffusion.ddim_sample", [model, _schedule(sub, COARSE), (3000, 2), 4], "ddim_sample(...)", n=3000)


@test(points=1, functions=["diffusion.euler_sample"],
      clauses=["diffusion.euler_sample.global_generator", "diffusion.euler_sample.independent_calls"])
def euler_sample_twice(sub, ref):
    """Two calls of euler_sample start from different, independent noise of torch's global generator."""
    velocity = sub.fixture("gaussian_velocity", mean=[1.0, -0.5], cov=[[0.5, 0.3], [0.3, 0.4]])
    _twice(sub, "diffusion.euler_sample", [velocity, (3000, 2), 5], "euler_sample(...)", n=3000)
