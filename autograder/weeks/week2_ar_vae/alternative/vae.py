"""Week 2, alternative correct implementation: the VAE (Kingma & Welling, 2014) and the IWAE bound
(Burda et al., 2016).

A second, independent implementation of the graded functions and class of `vae.py` (the contract:
the docstrings of `solutions/week2_ar_vae/vae.py`). Where the contract leaves room it differs from
the obvious version: every log-density is accumulated in float64 and cast back, the noise of
`reparameterize` is drawn in float64, the encoder and decoder have two hidden layers with ELU
activations and the encoder has separate heads for mu and logvar, the IWAE bound loops over its K
samples, and samples are drawn by comparing uniforms with probabilities. The hidden tests must give
it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

_LOG_2PI = math.log(2.0 * math.pi)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I), differentiable in mu and logvar.

    mu, logvar: (B, L) float. Returns (B, L) float (mu's dtype).
    """
    eps = torch.randn(mu.shape, dtype=torch.float64, device=mu.device).to(mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) || N(0, I)) = 1/2 sum_l (mu^2 + e^logvar - 1 - logvar).

    mu, logvar: (B, L) float. Returns (B,) float (mu's dtype).
    """
    mu64, logvar64 = mu.to(torch.float64), logvar.to(torch.float64)
    kl = 0.5 * (mu64.square() + torch.exp(logvar64) - 1.0 - logvar64).sum(dim=-1)
    return kl.to(mu.dtype)


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """sum over non-batch dimensions of x log sigmoid(l) + (1 - x) log sigmoid(-l) = x l - softplus(l).

    x, logits: (B, ...) float. Returns (B,) float (logits' dtype).
    """
    l64, x64 = logits.to(torch.float64), x.to(torch.float64)
    per_dim = x64 * l64 - F.softplus(l64)  # (B, ...)
    return per_dim.reshape(per_dim.shape[0], -1).sum(dim=1).to(logits.dtype)  # (B, prod(...)) -> (B,)


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)) summed over the last axis, in float64. Shapes broadcast; (..., L) -> (...)."""
    z, mu, logvar = z.to(torch.float64), mu.to(torch.float64), logvar.to(torch.float64)
    return -0.5 * ((z - mu).square() * torch.exp(-logvar) + logvar + _LOG_2PI).sum(dim=-1)


class VAE(nn.Module):
    """A VAE with a diagonal Gaussian encoder q(z|x), a N(0, I) prior and a Bernoulli decoder p(x|z).

    x: (B, input_dim) float in {0, 1}; z: (B, latent_dim).
    """

    def __init__(self, input_dim: int = 784, latent_dim: int = 16, hidden_dim: int = 256):
        super().__init__()
        for name, value in (("input_dim", input_dim), ("latent_dim", latent_dim), ("hidden_dim", hidden_dim)):
            if int(value) < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        self.input_dim, self.latent_dim = int(input_dim), int(latent_dim)
        self.encoder = nn.Sequential(
            nn.Linear(input_dim, hidden_dim), nn.ELU(), nn.Linear(hidden_dim, hidden_dim), nn.ELU()
        )
        self.to_mu = nn.Linear(hidden_dim, latent_dim)
        self.to_logvar = nn.Linear(hidden_dim, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ELU(), nn.Linear(hidden_dim, hidden_dim), nn.ELU(),
            nn.Linear(hidden_dim, input_dim),
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, input_dim) -> (mu, logvar), each (B, latent_dim)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> logits (B, input_dim)."""
        return self.decoder(z)

    def elbo(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Single-sample ELBO. Returns (elbo, recon, kl), each (B,), with elbo = recon - kl."""
        mu, logvar = self.encode(x)
        z = reparameterize(mu, logvar)  # (B, L)
        recon = bernoulli_log_likelihood(x, self.decode(z))  # (B,)
        kl = kl_standard_normal(mu, logvar)  # (B,)
        return recon - kl, recon, kl

    def iwae_bound(self, x: torch.Tensor, num_samples: int) -> torch.Tensor:
        """log (1/K) sum_k p(x, z_k) / q(z_k | x), z_k ~ q(z | x), kept in log space.

        Burda et al. (2016), eq. 8. x: (B, input_dim). Returns (B,) float (the model's output dtype).
        """
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        mu, logvar = self.encode(x)
        log_weights = []
        for _ in range(int(num_samples)):
            z = reparameterize(mu, logvar)  # (B, L)
            logits = self.decode(z)
            log_px_z = bernoulli_log_likelihood(x, logits).to(torch.float64)  # (B,)
            log_pz = _log_normal(z, torch.zeros_like(z), torch.zeros_like(z))  # (B,)
            log_qz = _log_normal(z, mu, logvar)  # (B,)
            log_weights.append(log_px_z + log_pz - log_qz)
        stacked = torch.stack(log_weights, dim=0)  # (K, B)
        bound = torch.logsumexp(stacked, dim=0) - math.log(int(num_samples))  # (B,)
        return bound.to(mu.dtype)

    @torch.no_grad()
    def sample(self, num_samples: int) -> torch.Tensor:
        """x ~ Bernoulli(sigmoid(decode(z))), z ~ N(0, I). Returns (num_samples, input_dim) in {0, 1}."""
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        param = self.to_mu.weight
        z = torch.randn(int(num_samples), self.latent_dim, dtype=param.dtype, device=param.device)
        probs = torch.sigmoid(self.decode(z).to(torch.float64))  # (N, D)
        u = torch.rand(probs.shape, dtype=torch.float64, device=probs.device)
        return (u < probs).to(param.dtype)
