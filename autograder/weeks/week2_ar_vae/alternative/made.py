"""Week 2, alternative correct implementation: MADE (Germain et al., 2015).

A second, independent implementation of the graded classes and functions of `made.py` (the
contract: the docstrings of `solutions/week2_ar_vae/made.py`). It is written differently from the
reference where the contract leaves room: masks are built by explicit loops over units with integer
degree arithmetic, the network adds the paper's optional direct input-to-output connection (a
strictly masked linear layer), `log_prob` accumulates in float64, and the sampler draws each
dimension by comparing logistic noise with the logit instead of calling `torch.bernoulli`. The
hidden tests must give it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied elementwise by a fixed 0/1 mask.

    x: (B, in) float -> (B, out) float. The buffer `mask` is (out, in) and holds ones until
    `set_mask` is called.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))

    def set_mask(self, mask: torch.Tensor) -> None:
        """Copies mask: (out, in) float 0/1 into the buffer (no aliasing with the caller's tensor)."""
        mask = torch.as_tensor(mask)
        if tuple(mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"mask must have shape {tuple(self.mask.shape)}, got {tuple(mask.shape)}")
        with torch.no_grad():
            self.mask.copy_(mask.to(self.mask))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def _check_ordering(input_dim: int, ordering) -> list[int]:
    """Returns the ordering as a list of Python ints, or raises ValueError."""
    if ordering is None:
        return list(range(input_dim))
    values = [int(v) for v in torch.as_tensor(ordering).reshape(-1).tolist()]
    if len(values) != input_dim or sorted(values) != list(range(input_dim)):
        raise ValueError(f"ordering must be a permutation of 0..{input_dim - 1}, got {values}")
    return values


def made_masks(input_dim: int, hidden_sizes: Sequence[int], ordering=None) -> list[torch.Tensor]:
    """The MADE masks, one (out, in) float32 0/1 tensor per layer (len(hidden_sizes) + 1 in all).

    Degrees (paper, eq. 12-13): input i has degree ordering[i]; hidden unit k of a width-H layer has
    degree floor(k (D - 1) / H); a hidden unit sees units below of degree <= its own, an output i
    sees hidden units of degree < ordering[i].
    """
    if int(input_dim) < 2:
        raise ValueError(f"input_dim must be >= 2, got {input_dim}")
    input_dim = int(input_dim)
    order = _check_ordering(input_dim, ordering)
    for h in hidden_sizes:
        if int(h) < 1:
            raise ValueError(f"hidden_sizes must hold positive widths, got {list(hidden_sizes)}")

    masks: list[torch.Tensor] = []
    below = order  # degrees of the layer below
    for width in hidden_sizes:
        width = int(width)
        degrees = [(k * (input_dim - 1)) // width for k in range(width)]  # exact integer floor
        below_t = torch.tensor(below)
        mask = torch.zeros(width, len(below))
        for k in range(width):  # one row (hidden unit) at a time
            mask[k] = (below_t <= degrees[k]).float()
        masks.append(mask)
        below = degrees
    below_t = torch.tensor(below)
    out_mask = torch.zeros(input_dim, len(below))
    for i in range(input_dim):  # output i sees strictly smaller degrees
        out_mask[i] = (below_t < order[i]).float()
    masks.append(out_mask)
    return masks


class MADE(nn.Module):
    """Masked autoencoder for distribution estimation over binary vectors.

    forward(x: (B, D) float in {0, 1}) -> logits (B, D); logits[:, i] depends on x[:, j] only if
    ordering[j] < ordering[i]. Hidden layers use ReLU; a direct masked connection (strict order mask)
    adds a linear autoregressive term to the logits.
    """

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int], ordering=None):
        super().__init__()
        masks = made_masks(input_dim, hidden_sizes, ordering)
        self.input_dim = int(input_dim)
        self.register_buffer("ordering", torch.tensor(_check_ordering(self.input_dim, ordering), dtype=torch.int64))
        widths = [self.input_dim, *[int(h) for h in hidden_sizes], self.input_dim]
        self.layers = nn.ModuleList(MaskedLinear(widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        for layer, mask in zip(self.layers, masks):
            layer.set_mask(mask)
        # Direct connection: output i sees input j iff ordering[j] < ordering[i].
        self.direct = MaskedLinear(self.input_dim, self.input_dim, bias=False)
        order = self.ordering
        self.direct.set_mask((order[None, :] < order[:, None]).float())  # (D, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for layer in self.layers[:-1]:
            h = torch.relu(layer(h))
        return self.layers[-1](h) + self.direct(x)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, D) in {0, 1}. Returns (B,) log p(x) in nats, x l - softplus(l) summed in float64."""
        logits = self(x)  # (B, D)
        logits64, x64 = logits.to(torch.float64), x.to(torch.float64)
        return (x64 * logits64 - F.softplus(logits64)).sum(dim=-1).to(logits.dtype)

    @torch.no_grad()
    def sample(self, num_samples: int) -> torch.Tensor:
        """Ancestral sampling in the order argsort(ordering), one forward pass per dimension.

        Returns (num_samples, D) floats in the model's dtype, values in {0, 1}.
        """
        if int(num_samples) < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")
        param = self.layers[0].weight
        x = torch.zeros(int(num_samples), self.input_dim, dtype=param.dtype, device=param.device)
        for i in torch.argsort(self.ordering).tolist():
            logit = self(x)[:, i]  # (N,)
            # x_i = 1{logit + L > 0} with L logistic: P(x_i = 1) = sigmoid(logit).
            u = torch.rand(x.shape[0], dtype=torch.float64, device=x.device).clamp_(1e-300, 1.0)
            noise = torch.log(u) - torch.log1p(-u)
            x[:, i] = (logit.to(torch.float64) + noise > 0).to(x.dtype)
        return x
