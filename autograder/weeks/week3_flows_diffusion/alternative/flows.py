"""Week 3, alternative correct implementation: Real NVP (Dinh et al., 2017).

A second, independent implementation of the graded functions of `flows.py` (contract: the
docstrings of `solutions/week3_flows_diffusion/flows.py`). Where the contract leaves room it
differs from the obvious version:
- each coupling has two separate networks, one for the log-scale `s` and one for the shift
  `t`, and each sees only the conditioning coordinates (gathered by index) and outputs only
  the transformed ones, instead of one network on the zero-masked full vector;
- the scale is bounded as `scale · tanh(raw)` with a learnable per-coordinate `scale`
  initialised to 1, stored through its logarithm;
- the affine arithmetic and the log-det sums run in float64 and are cast back to the input's
  dtype, and the log-det is summed coordinate by coordinate in a loop;
- the pass-through coordinates are copied with `torch.where`, not multiplied by the mask;
- `sample` draws its base noise as (dim, N) and transposes; `dequantize` draws in float64.
The hidden tests must give it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

import math

import torch
from torch import nn

_LOG_2PI = math.log(2.0 * math.pi)


class _ConditionerNet(nn.Module):
    """A two-hidden-layer MLP from the `num_in` conditioning coordinates to `num_out` values.

    Without conditioning coordinates (a mask of all zeros) it sees a constant 1, so it still
    produces learnable outputs; without outputs (a mask of all ones) it has no layers.
    """

    def __init__(self, num_in: int, num_out: int, hidden_dim: int):
        super().__init__()
        self.num_in, self.num_out = num_in, num_out
        self.layers = nn.Sequential() if num_out == 0 else nn.Sequential(
            nn.Linear(max(num_in, 1), hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, num_out),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h: (B, num_in) float. Returns (B, num_out) float."""
        if self.num_out == 0:  # a mask of all ones transforms nothing
            return h.new_zeros(h.shape[0], 0)  # (B, 0)
        if self.num_in == 0:
            h = torch.ones(h.shape[0], 1, dtype=h.dtype, device=h.device)  # (B, 1)
        return self.layers(h)


class AffineCoupling(nn.Module):
    """y_c = x_c, y_o = x_o · exp(s(x_c)) + t(x_c), with c = {i : mask_i = 1} and o the rest."""

    def __init__(self, dim: int, mask: torch.Tensor, hidden_dim: int = 64):
        super().__init__()
        mask = torch.as_tensor(mask)
        if mask.shape != (dim,):
            raise ValueError(f"mask must have shape ({dim},), got {tuple(mask.shape)}")
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("mask must hold only 0/1 values")
        if hidden_dim < 1:
            raise ValueError(f"hidden_dim must be >= 1, got {hidden_dim}")
        self.dim = dim
        keep = mask.to(torch.bool)
        self.register_buffer("mask", keep.to(torch.get_default_dtype()))
        self.register_buffer("cond_index", torch.nonzero(keep).flatten())  # (|c|,) int64
        self.register_buffer("out_index", torch.nonzero(~keep).flatten())  # (|o|,) int64
        num_cond, num_out = int(keep.sum()), dim - int(keep.sum())
        self.scale_net = _ConditionerNet(num_cond, num_out, hidden_dim)
        self.shift_net = _ConditionerNet(num_cond, num_out, hidden_dim)
        # |s| <= exp(log_scale) per coordinate; starts at 1.
        self.log_scale = nn.Parameter(torch.zeros(num_out))

    def _s_and_t(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The log-scale and shift of the transformed coordinates, in float64.

        x: (B, dim) float. Returns s, t: (B, |o|) float64.
        """
        param_dtype = self.log_scale.dtype
        cond = x.index_select(1, self.cond_index).to(param_dtype)  # (B, |c|)
        raw = self.scale_net(cond).to(torch.float64)  # (B, |o|)
        s = torch.exp(self.log_scale.to(torch.float64)) * torch.tanh(raw)  # bounded log-scale
        t = self.shift_net(cond).to(torch.float64)  # (B, |o|)
        return s, t

    def _scatter(self, x: torch.Tensor, values64: torch.Tensor) -> torch.Tensor:
        """x with its transformed coordinates replaced by `values64` (cast to x's dtype).

        x: (B, dim), values64: (B, |o|) float64. Returns (B, dim) in x's dtype.
        """
        full = torch.zeros(x.shape, dtype=torch.float64, device=x.device)  # (B, dim)
        full = full.index_copy(1, self.out_index, values64)
        keep = self.mask.to(torch.bool)  # (dim,)
        return torch.where(keep, x, full.to(x.dtype))  # conditioning coordinates copied bit for bit

    @staticmethod
    def _sum_columns(s: torch.Tensor) -> torch.Tensor:
        """Sum over the last axis by an explicit loop. s: (B, K) float64. Returns (B,) float64."""
        total = torch.zeros(s.shape[0], dtype=torch.float64, device=s.device)
        for k in range(s.shape[1]):
            total = total + s[:, k]
        return total

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, dim) float. Returns (y (B, dim), log_det (B,)) in x's dtype."""
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (B, {self.dim}), got {tuple(x.shape)}")
        s, t = self._s_and_t(x)
        x_out = x.index_select(1, self.out_index).to(torch.float64)  # (B, |o|)
        y_out = x_out * torch.exp(s) + t
        return self._scatter(x, y_out), self._sum_columns(s).to(x.dtype)

    def inverse(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """y: (B, dim) float. Returns (x (B, dim), log_det (B,)), the log-det of the inverse map."""
        if y.dim() != 2 or y.shape[1] != self.dim:
            raise ValueError(f"y must have shape (B, {self.dim}), got {tuple(y.shape)}")
        s, t = self._s_and_t(y)  # y_c = x_c, so the same s and t
        y_out = y.index_select(1, self.out_index).to(torch.float64)  # (B, |o|)
        x_out = (y_out - t) * torch.exp(-s)
        return self._scatter(y, x_out), (-self._sum_columns(s)).to(y.dtype)


class RealNVP(nn.Module):
    """A stack of affine couplings with masks alternating by index parity, standard normal base."""

    def __init__(self, dim: int, num_layers: int = 6, hidden_dim: int = 64):
        super().__init__()
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.dim = dim
        couplings = []
        for layer in range(num_layers):
            # Layer 0 keeps the even indices ([1, 0] for dim 2), layer 1 the odd ones, and so on.
            mask = torch.tensor([1.0 if (i + layer) % 2 == 0 else 0.0 for i in range(dim)])
            couplings.append(AffineCoupling(dim, mask, hidden_dim))
        self.couplings = nn.ModuleList(couplings)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Data to latent. x: (B, dim) float. Returns (z (B, dim), log_det (B,))."""
        log_det = torch.zeros(x.shape[0], dtype=torch.float64, device=x.device)
        for coupling in self.couplings:
            x, ld = coupling(x)
            log_det = log_det + ld.to(torch.float64)
        return x, log_det.to(x.dtype)

    def inverse(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent to data. z: (B, dim) float. Returns (x (B, dim), log_det (B,)) of the inverse map."""
        log_det = torch.zeros(z.shape[0], dtype=torch.float64, device=z.device)
        for coupling in reversed(self.couplings):
            z, ld = coupling.inverse(z)
            log_det = log_det + ld.to(torch.float64)
        return z, log_det.to(z.dtype)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) = log N(f(x); 0, I) + log|det df/dx|. x: (B, dim) float. Returns (B,) float."""
        z, log_det = self.forward(x)
        z64 = z.to(torch.float64)
        log_base = -0.5 * (z64 * z64).sum(dim=1) - 0.5 * self.dim * _LOG_2PI  # (B,)
        return (log_base + log_det.to(torch.float64)).to(x.dtype)

    @torch.no_grad()
    def sample(self, num_samples: int) -> torch.Tensor:
        """Returns (num_samples, dim) draws, in the parameters' dtype."""
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        param = next(self.parameters())
        z = torch.randn(self.dim, int(num_samples), dtype=param.dtype, device=param.device).T  # (N, dim)
        x, _ = self.inverse(z.contiguous())
        return x


def logit_transform(x: torch.Tensor, alpha: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """y = logit(alpha + (1 - 2 alpha) x) and log|dy/dx| summed over the non-batch dimensions.

    x: (B, ...) float in [0, 1]. Returns (y of x's shape, log_det (B,)) in x's dtype.
    dy/dx = (1 - 2 alpha) / (p (1 - p)) with p = alpha + (1 - 2 alpha) x.
    """
    if not 0.0 < float(alpha) < 0.5:
        raise ValueError(f"alpha must lie in (0, 0.5), got {alpha}")
    if x.dim() < 1:
        raise ValueError("x must have a batch dimension")
    if not bool(((x >= 0) & (x <= 1)).all()):  # NaN fails both comparisons
        raise ValueError("x must lie in [0, 1]")
    x64 = x.to(torch.float64)
    p = alpha + (1.0 - 2.0 * alpha) * x64
    log_p, log_1mp = torch.log(p), torch.log1p(-p)
    y = log_p - log_1mp
    per_entry = math.log1p(-2.0 * alpha) - log_p - log_1mp  # same shape as x
    log_det = per_entry.reshape(x.shape[0], -1).sum(dim=1)  # (B, prod rest) -> (B,)
    return y.to(x.dtype), log_det.to(x.dtype)


def dequantize(x_int: torch.Tensor, num_levels: int) -> torch.Tensor:
    """(x_int + u) / num_levels with u ~ U[0, 1), in the default dtype, every value in [0, 1).

    x_int: (...) integer values in [0, num_levels). Returns a tensor of x_int's shape.
    """
    if int(num_levels) < 1:
        raise ValueError(f"num_levels must be >= 1, got {num_levels}")
    values = x_int.to(torch.float64)
    if values.numel() and (bool((values < 0).any()) or bool((values > num_levels - 1).any())):
        raise ValueError(f"x_int must lie in [0, {num_levels - 1}]")
    u = torch.rand(x_int.shape, dtype=torch.float64, device=x_int.device)
    out = ((values + u) / num_levels).to(torch.get_default_dtype())
    # Casting can round up to exactly 1.0: keep the largest value below 1 instead.
    below_one = torch.nextafter(torch.tensor(1.0, dtype=out.dtype), torch.tensor(0.0, dtype=out.dtype))
    return torch.minimum(out, below_one.to(out.device))
