"""Week 3 score.py, the alternative correct implementation, written from the contract (the docstrings of
solutions/week3_flows_diffusion/score.py) and not from the reference: powers in Python floats for the
levels; ε drawn before the levels, and the levels by inverse CDF of torch.rand; the chain carried in
float64 with noise from torch.randn(shape); the DDPM coefficient from Python's math on each ᾱ_t. It
must keep full marks."""
import math

import torch

F64 = torch.float64


def geometric_sigmas(sigma_max, sigma_min, num_levels):
    if not isinstance(num_levels, int) or num_levels < 1:
        raise ValueError(f"num_levels must be a positive int, got {num_levels!r}")
    if sigma_min <= 0:
        raise ValueError(f"sigma_min must be positive, got {sigma_min}")
    if sigma_max <= 0:
        raise ValueError(f"sigma_max must be positive, got {sigma_max}")
    if sigma_min > sigma_max:
        raise ValueError(f"sigma_min {sigma_min} exceeds sigma_max {sigma_max}")
    if num_levels == 1 and sigma_min != sigma_max:
        raise ValueError("one level needs sigma_min == sigma_max")
    L = num_levels
    ratio = sigma_min / sigma_max
    values = [float(sigma_max)] + [sigma_max * ratio ** (i / (L - 1)) for i in range(1, L - 1)]
    if L > 1:
        values.append(float(sigma_min))
    return torch.tensor(values, dtype=F64)


def dsm_loss(score_model, x, sigmas):
    B = x.shape[0]
    noise = torch.randn(x.shape, dtype=x.dtype, device=x.device)         # ε first
    L = sigmas.numel()
    u = torch.rand(B, dtype=F64, device=x.device)
    index = torch.clamp((u * L).floor().long(), max=L - 1)                # uniform on {0 … L−1}
    sigma = sigmas.to(device=x.device, dtype=F64)[index]                  # (B,) float64
    flat_noise = noise.reshape(B, -1)                                      # (B, d)
    x_tilde = (x.reshape(B, -1).to(F64) + sigma[:, None] * flat_noise.to(F64)).to(x.dtype).reshape(x.shape)
    s = score_model(x_tilde, sigma.to(x.dtype)).reshape(B, -1)            # (B, d)
    r = sigma[:, None] * s.to(F64) + flat_noise.to(F64)                    # (B, d) float64
    per_example = torch.einsum("bd,bd->b", r, r) / 2
    return per_example.sum().div(B).to(x.dtype)


def annealed_langevin(score_model, x0, sigmas, steps_per_level, eps):
    levels = [float(v) for v in torch.as_tensor(sigmas).reshape(-1)]
    x = x0.detach().to(F64)                                                # a new float64 tensor (copy)
    if x.data_ptr() == x0.data_ptr():
        x = x.clone()
    B = x.shape[0]
    for i in range(len(levels)):
        step = eps * (levels[i] / levels[-1]) ** 2
        sig = torch.full((B,), levels[i], dtype=x0.dtype, device=x0.device)
        for _ in range(steps_per_level):
            grad = score_model(x.to(x0.dtype), sig).detach().to(F64)
            z = torch.randn(x.shape, dtype=F64, device=x.device)
            x = x + (step / 2) * grad + math.sqrt(step) * z
    return x.to(x0.dtype)


def eps_to_score(eps, schedule, t):
    coefficients = torch.tensor([-1.0 / math.sqrt(1.0 - a) if a < 1 else -math.inf
                                 for a in torch.as_tensor(schedule.alpha_bars).tolist()], dtype=F64)
    c = coefficients[t.cpu()].to(device=eps.device, dtype=eps.dtype)
    return eps * c.view([eps.shape[0]] + [1] * (eps.dim() - 1))
