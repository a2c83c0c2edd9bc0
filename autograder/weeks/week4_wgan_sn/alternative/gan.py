"""Week 4, alternative correct implementation: WGAN with spectral normalization.

A second, independent implementation of the graded functions of `gan.py` (contract: the docstrings
of the reference, `solutions/week4_wgan_sn/gan.py`). It is written differently from the reference where the contract leaves room:

- power iteration and σ = uᵀ W v are computed in float64 and cast back to the weight's dtype;
- the initial v is drawn in float64 (a different draw from torch's, which draws u then v);
- the hinge loss uses `clamp_min` (a different subgradient at the kink) and the losses sum then divide;
- the penalty draws ε in float64 before anything else, interpolates as fake + ε (real − fake), and
  accumulates the gradient norm in float64;
- the networks are a different valid architecture: ELU generator with three hidden layers, critic
  with two hidden LeakyReLU(0.2) layers;
- `train_wgan` draws z before the real batch, makes fakes for the critic under `no_grad`, and keeps the
  critic's gradients out of generator updates by freezing its parameters instead of zeroing them;
- `mode_coverage` loops over the centres in float64.

The hidden tests must give it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

_EPS = 1e-12  # F.normalize's eps, as in torch.nn.utils.parametrizations.spectral_norm
_F64 = torch.float64


def _check_num_iters(num_iters: int) -> int:
    if isinstance(num_iters, bool) or int(num_iters) != num_iters or int(num_iters) < 1:
        raise ValueError(f"num_iters must be an integer >= 1, got {num_iters!r}")
    return int(num_iters)


def _power_iterations64(weight64: torch.Tensor, v64: torch.Tensor, num_iters: int) -> tuple[torch.Tensor, torch.Tensor]:
    """num_iters rounds of u = normalize(W v), v = normalize(Wᵀ u), in float64, no gradient.

    weight64: (out, in) float64, v64: (in,) float64. Returns (u (out,), v (in,)) float64.
    """
    u64 = torch.empty(weight64.shape[0], dtype=_F64, device=weight64.device)
    for _ in range(num_iters):
        u64 = F.normalize(torch.mv(weight64, v64), dim=0, eps=_EPS)  # (out,)
        v64 = F.normalize(torch.mv(weight64.T, u64), dim=0, eps=_EPS)  # (in,)
    return u64, v64


def power_iteration(weight: torch.Tensor, v: torch.Tensor, num_iters: int = 1):
    """Estimates the largest singular value of `weight` by power iteration.

    weight: (out, in) float, v: (in,) float (not modified). Returns (sigma () float, u (out,), v (in,)),
    all in weight's dtype, with sigma = uᵀ W v from the final u and v (differentiable in W only).
    """
    num_iters = _check_num_iters(num_iters)
    if weight.dim() != 2:
        raise ValueError(f"weight must be a matrix (out, in), got shape {tuple(weight.shape)}")
    if v.shape != (weight.shape[1],):
        raise ValueError(f"v must have shape ({weight.shape[1]},), got {tuple(v.shape)}")
    with torch.no_grad():
        u64, v64 = _power_iterations64(weight.detach().to(_F64), v.detach().to(_F64), num_iters)
    sigma = torch.dot(u64, torch.mv(weight.to(_F64), v64))  # () uᵀ W v, gradient through W only
    return sigma.to(weight.dtype), u64.to(weight.dtype), v64.to(weight.dtype)


class SpectralNorm(nn.Module):
    """Parametrization W -> W / σ(W), σ estimated by power iteration (Miyato et al., 2018).

    Buffers u: (out,) and v: (in,), in the weight's dtype; a weight (out, ...) is viewed as (out, -1).
    """

    def __init__(self, weight: torch.Tensor, num_iters: int = 1):
        super().__init__()
        self.num_iters = _check_num_iters(num_iters)
        if weight.dim() < 2:
            raise ValueError(f"weight must have at least 2 dimensions, got shape {tuple(weight.shape)}")
        weight_mat64 = weight.detach().reshape(weight.shape[0], -1).to(_F64)  # (out, in)
        v0 = F.normalize(torch.randn(weight_mat64.shape[1], dtype=_F64, device=weight.device), dim=0, eps=_EPS)
        u64, v64 = _power_iterations64(weight_mat64, v0, 15)  # warm-up, as torch does
        self.register_buffer("u", u64.to(weight.dtype))
        self.register_buffer("v", v64.to(weight.dtype))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        weight_mat = weight.reshape(weight.shape[0], -1)  # (out, in)
        if self.training:
            with torch.no_grad():
                u64, v64 = _power_iterations64(weight_mat.detach().to(_F64), self.v.to(_F64), self.num_iters)
                self.u.copy_(u64)
                self.v.copy_(v64)
        u64 = self.u.detach().clone().to(_F64)  # (out,) constants: no gradient through u or v
        v64 = self.v.detach().clone().to(_F64)  # (in,)
        sigma = torch.dot(u64, torch.mv(weight_mat.to(_F64), v64))  # () uᵀ W v
        return weight / sigma.to(weight.dtype)


def spectral_norm(module: nn.Module, num_iters: int = 1) -> nn.Module:
    """Registers SpectralNorm on module.weight and returns the module."""
    num_iters = _check_num_iters(num_iters)
    if not isinstance(getattr(module, "weight", None), torch.Tensor):
        raise ValueError("module must have a tensor attribute 'weight'")
    parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, num_iters))
    return module


def _mean(scores: torch.Tensor) -> torch.Tensor:
    """Mean of every entry, as a sum divided by the count. scores: (B,) float -> () float."""
    return scores.sum() / scores.numel()


def wgan_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean(fake) − mean(real). real_scores: (B,), fake_scores: (B',). Returns () float."""
    return _mean(fake_scores) - _mean(real_scores)


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """−mean(fake). fake_scores: (B,). Returns () float."""
    return -_mean(fake_scores)


def hinge_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean(relu(1 − real)) + mean(relu(1 + fake)). Returns () float."""
    return _mean((1.0 - real_scores).clamp_min(0.0)) + _mean((1.0 + fake_scores).clamp_min(0.0))


def hinge_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """−mean(fake). Returns () float."""
    return -_mean(fake_scores)


def gradient_penalty(critic: Callable, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """WGAN-GP penalty (Gulrajani et al., 2017, Algorithm 1, lines 6-7).

    real, fake: (B, ...) float. Returns () float = weight · mean((‖∇ critic(x̂)‖ − 1)²), differentiable
    in the critic's parameters.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    batch = real.shape[0]
    eps = torch.rand(batch, dtype=_F64, device=real.device).to(real.dtype)  # (B,) one ε per example
    eps = eps.reshape((batch,) + (1,) * (real.dim() - 1))  # (B, 1, ...)
    real, fake = real.detach(), fake.detach()
    x_hat = (fake + eps * (real - fake)).requires_grad_(True)  # (B, ...) = ε real + (1 − ε) fake
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, ...)
    g = torch.linalg.vector_norm(grad.reshape(batch, -1).to(_F64), dim=1)  # (B, ...) -> (B, n) -> (B,)
    return (weight * ((g - 1.0) ** 2).mean()).to(real.dtype)


class Generator(nn.Module):
    """z: (B, latent_dim) -> x: (B, 2); an MLP with three ELU hidden layers."""

    def __init__(self, latent_dim: int = 2, hidden_dim: int = 128):
        super().__init__()
        if latent_dim < 1 or hidden_dim < 1:
            raise ValueError(f"latent_dim and hidden_dim must be >= 1, got {latent_dim}, {hidden_dim}")
        self.latent_dim = int(latent_dim)
        self.body = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ELU(),
            nn.Linear(hidden_dim, hidden_dim), nn.ELU(),
            nn.Linear(hidden_dim, hidden_dim), nn.ELU(),
            nn.Linear(hidden_dim, 2),
        )  # fmt: skip

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z)


class Critic(nn.Module):
    """x: (B, 2) -> scores (B,); two LeakyReLU(0.2) hidden layers, every layer spectrally normalized when `spectral`."""

    def __init__(self, hidden_dim: int = 128, spectral: bool = True):
        super().__init__()
        if hidden_dim < 1:
            raise ValueError(f"hidden_dim must be >= 1, got {hidden_dim}")
        layers = [nn.Linear(2, hidden_dim), nn.Linear(hidden_dim, hidden_dim), nn.Linear(hidden_dim, 1)]
        if spectral:
            layers = [spectral_norm(layer) for layer in layers]
        self.layers = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for index, layer in enumerate(self.layers):
            h = layer(h)
            if index < len(self.layers) - 1:
                h = F.leaky_relu(h, 0.2)
        return h.squeeze(-1)  # (B, 1) -> (B,)


def train_wgan(
    generator: nn.Module,
    critic: nn.Module,
    sample_real: Callable[[int], torch.Tensor],
    num_steps: int,
    critic_steps: int = 5,
    lr: float = 1e-4,
    betas: tuple[float, float] = (0.0, 0.9),
    loss: str = "wgan",
    gp_weight: float = 0.0,
    batch_size: int = 256,
) -> dict[str, list[float]]:
    """WGAN training (Arjovsky et al., 2017; Gulrajani et al., 2017, Algorithm 1).

    num_steps generator updates, each after critic_steps critic updates. Returns
    {"critic_loss": [...], "generator_loss": [...]}, one float per generator step.
    """
    for name, value in (("num_steps", num_steps), ("critic_steps", critic_steps), ("batch_size", batch_size)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    losses = {"wgan": (wgan_critic_loss, wgan_generator_loss), "hinge": (hinge_critic_loss, hinge_generator_loss)}
    if loss not in losses:
        raise ValueError(f"loss must be 'wgan' or 'hinge', got {loss!r}")
    critic_loss_fn, generator_loss_fn = losses[loss]
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=lr, betas=betas)
    generator.train()
    critic.train()
    first = next(generator.parameters())
    device, dtype = first.device, first.dtype
    history: dict[str, list[float]] = {"critic_loss": [], "generator_loss": []}

    def draw_z() -> torch.Tensor:
        return torch.randn(int(batch_size), generator.latent_dim, device=device, dtype=dtype)  # (B, latent)

    with torch.enable_grad():
        for _ in range(int(num_steps)):
            # Critic updates (Algorithm 1, lines 2-9): fresh z, then a fresh real batch, each time.
            critic.requires_grad_(True)
            last_critic = math.nan
            for _ in range(int(critic_steps)):
                z = draw_z()
                real = sample_real(int(batch_size)).to(device=device, dtype=dtype)  # (B, 2)
                with torch.no_grad():
                    fake = generator(z)  # (B, 2), no graph to the generator
                c_loss = critic_loss_fn(critic(real), critic(fake))
                if gp_weight > 0:
                    c_loss = c_loss + gradient_penalty(critic, real, fake, weight=gp_weight)
                opt_c.zero_grad(set_to_none=True)
                c_loss.backward()
                last_critic = float(c_loss.detach())  # before the optimizer step
                opt_c.step()
            # Generator update (lines 10-12): the critic is frozen, so its gradients stay untouched.
            critic.requires_grad_(False)
            g_loss = generator_loss_fn(critic(generator(draw_z())))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
            critic.requires_grad_(True)
            history["critic_loss"].append(last_critic)
            history["generator_loss"].append(float(g_loss.detach()))
    return history


def mode_coverage(samples: torch.Tensor, centers: torch.Tensor, std: float) -> tuple[int, float, float]:
    """Mode coverage of Srivastava et al. (2017), VEEGAN, Section 5, and PacGAN's reverse KL (Lin et al., 2018).

    samples: (N, D) float, centers: (K, D) float. A sample is of high quality when its nearest centre
    is strictly closer than 3·std; a mode is covered when it is the nearest centre of a high-quality
    sample. Returns (num_modes_covered, high_quality_fraction, mode_kl = KL(p ‖ uniform)).
    """
    if float(std) <= 0 or not math.isfinite(float(std)):
        raise ValueError(f"std must be positive, got {std}")
    if samples.dim() != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must be a non-empty (N, D) tensor, got shape {tuple(samples.shape)}")
    if centers.dim() != 2 or centers.shape[0] == 0 or centers.shape[1] != samples.shape[1]:
        raise ValueError(f"centers must be (K, {samples.shape[1]}), got shape {tuple(centers.shape)}")
    x = samples.detach().to(_F64)  # (N, D)
    c = centers.detach().to(device=x.device, dtype=_F64)  # (K, D)
    num_centres = c.shape[0]
    best_dist = torch.full((x.shape[0],), math.inf, dtype=_F64, device=x.device)  # (N,)
    best_index = torch.zeros(x.shape[0], dtype=torch.int64, device=x.device)  # (N,)
    for k in range(num_centres):
        dist = torch.sqrt(((x - c[k]) ** 2).sum(dim=1))  # (N,)
        closer = dist < best_dist  # ties keep the first centre
        best_dist = torch.where(closer, dist, best_dist)
        best_index = torch.where(closer, torch.full_like(best_index, k), best_index)
    high_quality = best_dist < 3.0 * float(std)  # (N,)
    counts = [int((best_index[high_quality] == k).sum()) for k in range(num_centres)]
    num_hq = sum(counts)
    modes = sum(1 for n in counts if n > 0)
    if num_hq == 0:
        return 0, 0.0, math.log(num_centres)
    mode_kl = 0.0
    for n in counts:
        if n > 0:
            p = n / num_hq
            mode_kl += p * math.log(num_centres * p)
    return modes, num_hq / x.shape[0], float(mode_kl)
