"""Week 3, part 1: normalizing flows with affine couplings (Real NVP).

This file implements Real NVP (Dinh, Sohl-Dickstein & Bengio, 2017, "Density estimation using
Real NVP"): a stack of affine coupling layers, each an invertible map with a triangular Jacobian,
so that the exact log-likelihood follows from the change-of-variables formula

    log p(x) = log N(f(x); 0, I) + log |det ∂f/∂x|.

It also implements the two transforms that put discrete images into the flow's domain: uniform
dequantization (Theis, van den Oord & Bethge, 2016) and the logit transform of Real NVP's
Section 4.1, each with its exact log-determinant.

Every transform returns ``(output, log_det)`` with ``log_det: (B,)``, the log |det| of the map
it applied, and the inverse's ``log_det`` is the negative of the forward one. Log-likelihoods are
in nats. The modules take their dtype from their parameters (``model.double()`` for float64).

Write them in this order:
  1. AffineCoupling (__init__, _s_t, forward, inverse)
  2. RealNVP (__init__, forward, inverse, log_prob, sample)
  3. logit_transform           4. dequantize
"""
import math
from typing import Tuple

import torch
from torch import nn

LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------------------------------
# 1. Affine coupling
# ---------------------------------------------------------------------------------------
class AffineCoupling(nn.Module):
    """One affine coupling layer (Real NVP, Eq. 7-9).

    The coordinates where ``mask`` is 1 pass through unchanged and condition the others:

        y = mask ⊙ x + (1 − mask) ⊙ (x ⊙ exp(s(mask ⊙ x)) + t(mask ⊙ x)),

    with ``s`` and ``t`` the outputs of one MLP on the masked input. The log-scale is bounded,
    ``s = scale ⊙ tanh(raw_s)`` with a learnable ``scale`` (initialized at 1), so that even for
    inputs of magnitude 1e4 the log-det stays within ``scale · dim``. Recommended, not graded: start
    the MLP's last layer at zero, so that a fresh coupling is the identity.
    """

    def __init__(self, dim: int, mask: torch.Tensor, hidden_dim: int = 64):
        """
        Args:
            dim: D, the data dimension (>= 1).
            mask: (D,) 0/1 values; the coordinates with mask 1 condition the others.
            hidden_dim: width of the two hidden layers of the MLP.
        """
        super().__init__()
        # TODO:
        # - raise ValueError (naming the argument) for dim < 1, hidden_dim < 1, a mask that is not
        #   (dim,) or holds values other than 0 and 1;
        # - register the mask as a float buffer (so that .double() converts it);
        # - an MLP D -> hidden -> hidden -> 2D (s and t), whose last layer starts at zero;
        # - a learnable per-coordinate scale for tanh(s), initialized at 1.
        ### BEGIN SOLUTION
        if dim < 1:
            raise ValueError(f"dim must be at least 1, got {dim}")
        if hidden_dim < 1:
            raise ValueError(f"hidden_dim must be at least 1, got {hidden_dim}")
        mask = torch.as_tensor(mask)
        if mask.shape != (dim,):
            raise ValueError(f"mask must have shape ({dim},), got {tuple(mask.shape)}")
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("mask must hold only 0 and 1")
        self.dim = dim
        self.register_buffer("mask", mask.to(torch.get_default_dtype()).clone())  # a copy: the caller may reuse mask
        self.net = nn.Sequential(
            nn.Linear(dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),
            nn.Linear(hidden_dim, 2 * dim),
        )
        nn.init.zeros_(self.net[-1].weight)  # a fresh coupling is the identity
        nn.init.zeros_(self.net[-1].bias)
        self.scale = nn.Parameter(torch.ones(dim))
        ### END SOLUTION

    def _s_t(self, x_masked: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Bounded log-scale and shift from the conditioning coordinates, both (B, D) and zero
        where mask is 1."""
        # TODO: s = scale · tanh(raw_s), and both s and t multiplied by (1 - mask).
        ### BEGIN SOLUTION
        raw_s, t = self.net(x_masked).chunk(2, dim=-1)  # (B, D) each
        free = 1 - self.mask
        s = self.scale * torch.tanh(raw_s) * free       # |s| <= |scale|: the log-det stays bounded
        return s, t * free
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            x: (B, D) float.

        Returns:
            y: (B, D), the coupled output (equal to x where mask is 1).
            log_det: (B,), log |det ∂y/∂x| = the sum of s over the coordinates with mask 0.
        """
        # TODO: y = mask·x + (1 - mask)·(x·exp(s) + t); the Jacobian is triangular with
        # diagonal exp(s) (1 where mask is 1), so log_det = sum of s.
        ### BEGIN SOLUTION
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (B, {self.dim}), got {tuple(x.shape)}")
        x_masked = x * self.mask
        s, t = self._s_t(x_masked)
        y = x_masked + (1 - self.mask) * (x * torch.exp(s) + t)  # Real NVP Eq. 9
        return y, s.sum(dim=-1)
        ### END SOLUTION

    def inverse(self, y: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """
        Args:
            y: (B, D) float.

        Returns:
            x: (B, D) with forward(x)[0] = y.
            log_det: (B,), log |det ∂x/∂y| = -(the forward log_det at x).
        """
        # TODO: the masked coordinates of y equal those of x, so s and t can be recomputed from
        # them; then x = (y - t)·exp(-s) on the others.
        ### BEGIN SOLUTION
        if y.dim() != 2 or y.shape[1] != self.dim:
            raise ValueError(f"y must have shape (B, {self.dim}), got {tuple(y.shape)}")
        y_masked = y * self.mask
        s, t = self._s_t(y_masked)
        x = y_masked + (1 - self.mask) * ((y - t) * torch.exp(-s))
        return x, -s.sum(dim=-1)
        ### END SOLUTION


# ---------------------------------------------------------------------------------------
# 2. Real NVP
# ---------------------------------------------------------------------------------------
class RealNVP(nn.Module):
    """A stack of affine couplings with alternating masks over a standard normal base.

    Coupling ``i`` uses the mask ``(arange(dim) + i) % 2 == 0``: for dim = 2 that is [1, 0], then
    [0, 1], and so on, so every coordinate is transformed by every other layer.
    """

    def __init__(self, dim: int, num_layers: int = 6, hidden_dim: int = 64):
        """
        Args:
            dim: D, the data dimension.
            num_layers: the number of couplings (>= 1).
            hidden_dim: width of each coupling's MLP.
        """
        super().__init__()
        # TODO: raise ValueError for dim < 1 or num_layers < 1; build nn.ModuleList of couplings
        # with the masks above.
        ### BEGIN SOLUTION
        if dim < 1:
            raise ValueError(f"dim must be at least 1, got {dim}")
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.dim = dim
        self.layers = nn.ModuleList()
        for i in range(num_layers):
            mask = ((torch.arange(dim) + i) % 2 == 0).to(torch.get_default_dtype())  # (D,)
            self.layers.append(AffineCoupling(dim, mask, hidden_dim))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Data to latent.

        Args:
            x: (B, D) float.

        Returns:
            z: (B, D); log_det: (B,), log |det ∂z/∂x|, the sum over the layers.
        """
        # TODO: apply the couplings in order and add up their log-dets.
        ### BEGIN SOLUTION
        log_det = x.new_zeros(x.shape[0])
        z = x
        for layer in self.layers:
            z, ld = layer(z)
            log_det = log_det + ld
        return z, log_det
        ### END SOLUTION

    def inverse(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Latent to data.

        Args:
            z: (B, D) float.

        Returns:
            x: (B, D); log_det: (B,), log |det ∂x/∂z| (the negative of forward's at x).
        """
        # TODO: invert the couplings in reverse order and add up their log-dets.
        ### BEGIN SOLUTION
        log_det = z.new_zeros(z.shape[0])
        x = z
        for layer in reversed(self.layers):
            x, ld = layer.inverse(x)
            log_det = log_det + ld
        return x, log_det
        ### END SOLUTION

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log-density by change of variables.

        Args:
            x: (B, D) float.

        Returns:
            (B,) float, log N(f(x); 0, I) + log |det ∂f/∂x|, in nats.
        """
        # TODO: log N(z; 0, I) = -0.5 (|z|² + D log 2π).
        ### BEGIN SOLUTION
        z, log_det = self.forward(x)
        log_base = -0.5 * (z.pow(2).sum(dim=-1) + self.dim * LOG_2PI)  # (B,)
        return log_base + log_det
        ### END SOLUTION

    def sample(self, num_samples: int) -> torch.Tensor:
        """
        Args:
            num_samples: S >= 1.

        Returns:
            (S, D) float in the dtype and on the device of the parameters, detached: the inverse
            map applied to z ~ N(0, I).
        """
        # TODO: raise ValueError for num_samples < 1; draw z in the parameters' dtype.
        ### BEGIN SOLUTION
        if num_samples < 1:
            raise ValueError(f"num_samples must be at least 1, got {num_samples}")
        reference = next(self.parameters())
        z = torch.randn(num_samples, self.dim, dtype=reference.dtype, device=reference.device)
        with torch.no_grad():
            x, _ = self.inverse(z)
        return x
        ### END SOLUTION


# ---------------------------------------------------------------------------------------
# 3. Transforms for image data
# ---------------------------------------------------------------------------------------
def logit_transform(x: torch.Tensor, alpha: float = 0.05) -> Tuple[torch.Tensor, torch.Tensor]:
    """The logit transform of Real NVP (Section 4.1), mapping [0, 1] to the real line.

    Args:
        x: (B, ...) float, values in [0, 1].
        alpha: in (0, 0.5), keeps the logit finite at 0 and 1.

    Returns:
        y: (B, ...), logit(p) with p = alpha + (1 - 2 alpha) x.
        log_det: (B,), log |det ∂y/∂x| summed over the non-batch dimensions.
    """
    # TODO:
    # - raise ValueError naming x if any value lies outside [0, 1], and naming alpha unless
    #   0 < alpha < 0.5;
    # - dy/dx = (1 - 2 alpha) / (p (1 - p)) elementwise: log it and sum per example.
    ### BEGIN SOLUTION
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5), got {alpha}")
    if bool((x < 0).any()) or bool((x > 1).any()):
        raise ValueError("x must lie in [0, 1]")
    p = alpha + (1 - 2 * alpha) * x
    y = torch.log(p) - torch.log1p(-p)
    log_det_elem = math.log(1 - 2 * alpha) - torch.log(p) - torch.log1p(-p)
    return y, log_det_elem.reshape(x.shape[0], -1).sum(dim=1)  # (B, prod of the rest) -> (B,)
    ### END SOLUTION


def dequantize(x_int: torch.Tensor, num_levels: int) -> torch.Tensor:
    """Uniform dequantization: (x_int + u) / num_levels with u ~ U[0, 1).

    Args:
        x_int: (...) integer values in [0, num_levels) (any integer or float dtype).
        num_levels: the number of discrete levels (>= 1), e.g. 17 for the 8×8 digits.

    Returns:
        (...) in the default dtype, values in [0, 1), never equal to 1.0.
    """
    # TODO:
    # - raise ValueError naming num_levels if it is < 1, and naming x_int if a value lies
    #   outside [0, num_levels);
    # - (num_levels - 1 + u) / num_levels can round to exactly 1.0 in float32: clamp to the
    #   largest float below 1 (torch.nextafter).
    ### BEGIN SOLUTION
    if num_levels < 1:
        raise ValueError(f"num_levels must be at least 1, got {num_levels}")
    if bool((x_int < 0).any()) or bool((x_int >= num_levels).any()):
        raise ValueError(f"x_int must lie in [0, {num_levels})")
    dtype = torch.get_default_dtype()
    u = torch.rand(x_int.shape, dtype=dtype, device=x_int.device)
    y = (x_int.to(dtype) + u) / num_levels
    one = torch.ones((), dtype=dtype, device=x_int.device)
    below_one = torch.nextafter(one, torch.zeros_like(one))  # the largest float < 1
    return torch.minimum(y, below_one)
    ### END SOLUTION
