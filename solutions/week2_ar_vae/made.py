"""Week 2, part 1: MADE, the masked autoencoder for distribution estimation.

Germain, Gregor, Murray & Larochelle, 2015, "MADE: Masked autoencoder for distribution
estimation". An MLP becomes an autoregressive model of binary vectors x in {0, 1}^D,

    log p(x) = sum_i log p(x_i | x_{<i}),

once each weight matrix is multiplied by a 0/1 mask that cuts every path from input j to
output i unless j comes before i in the autoregressive order. The masks follow from one
integer "degree" per unit (Section 4 of the paper): inputs carry their position in the order,
hidden units carry a degree in 0 .. D-2, and a connection is kept only where the degrees allow.

Log-likelihoods are in nats. Every function takes its device and dtype from its inputs (or the
model's parameters) and works in float32 and float64.

Write the functions in this order:
  1. MaskedLinear (set_mask, forward)
  2. made_masks
  3. MADE.__init__        4. MADE.forward
  5. MADE.log_prob        6. MADE.sample
"""
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------
# 1. A linear layer with a fixed connectivity mask
# ---------------------------------------------------------------------------------------
class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied elementwise by a 0/1 mask.

    The mask is a buffer of shape (out_features, in_features), all ones until ``set_mask``.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__(in_features, out_features, bias)
        # TODO: register a buffer named "mask" of ones, shape (out_features, in_features),
        #       in the dtype and on the device of self.weight (a buffer moves with .to()).
        ### BEGIN SOLUTION
        self.register_buffer("mask", torch.ones_like(self.weight))
        ### END SOLUTION

    def set_mask(self, mask: torch.Tensor) -> None:
        """Copy ``mask``: (out_features, in_features) float 0/1 into the buffer."""
        # TODO: copy the values (converted to the buffer's dtype and device), so that later
        #       changes to the caller's tensor do not affect the layer.
        ### BEGIN SOLUTION
        self.mask.copy_(mask.to(dtype=self.mask.dtype, device=self.mask.device))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in_features) float -> (B, out_features) float, with weight * mask."""
        # TODO: F.linear with the masked weight and the bias.
        ### BEGIN SOLUTION
        return F.linear(x, self.weight * self.mask, self.bias)
        ### END SOLUTION


# ---------------------------------------------------------------------------------------
# 2. Masks from degrees (Germain et al., 2015, Section 4, Eq. 12-13)
# ---------------------------------------------------------------------------------------
def made_masks(input_dim: int, hidden_sizes: Sequence[int],
               ordering: Optional[Sequence[int]] = None) -> List[torch.Tensor]:
    """The connectivity masks of a MADE, one per layer.

    Args:
        input_dim: D >= 2.
        hidden_sizes: the widths of the hidden layers (possibly none).
        ordering: a permutation of 0 .. D-1 (list or int tensor); ordering[i] is input i's
            position in the autoregressive order, and its degree. Defaults to arange(D).

    Returns:
        len(hidden_sizes) + 1 float32 tensors; mask l has shape (out_l, in_l), with
        in_0 = D and out_last = D.

    Raises:
        ValueError: if input_dim < 2, a hidden width is below 1, or ordering is not a
            permutation of 0 .. D-1.
    """
    # TODO:
    # - degrees: m_0 = ordering for the inputs; hidden unit k of a layer of width H has degree
    #   floor(k * (D - 1) / H), a value in 0 .. D-2.
    # - hidden layer: unit k connects to unit j below iff m_below[j] <= m[k]        (Eq. 12)
    # - output layer: output i connects to unit j of the last hidden layer (or input j if
    #   there is none) iff m_below[j] < ordering[i]  (strict)                       (Eq. 13)
    # - the product of the masks then has a nonzero (i, j) entry only if ordering[j] < ordering[i].
    ### BEGIN SOLUTION
    if input_dim < 2:
        raise ValueError(f"input_dim must be at least 2, got {input_dim}")
    D = input_dim
    if ordering is None:
        order = torch.arange(D)
    else:
        order = torch.as_tensor(ordering)
        if order.is_floating_point() or order.shape != (D,) \
                or not torch.equal(order.sort().values.long(), torch.arange(D)):
            raise ValueError(f"ordering must be a permutation of 0..{D - 1}, got {ordering}")
        order = order.long()
    masks = []
    degrees_below = order                                              # (D,) input degrees
    for H in hidden_sizes:
        if H < 1:
            raise ValueError(f"hidden_sizes must be positive, got {list(hidden_sizes)}")
        degrees = torch.arange(H) * (D - 1) // H                       # (H,) in 0 .. D-2
        masks.append((degrees_below.unsqueeze(0) <= degrees.unsqueeze(1)).float())  # (H, in)
        degrees_below = degrees
    masks.append((degrees_below.unsqueeze(0) < order.unsqueeze(1)).float())        # (D, in)
    return masks
    ### END SOLUTION


# ---------------------------------------------------------------------------------------
# 3. The model
# ---------------------------------------------------------------------------------------
class MADE(nn.Module):
    """An autoregressive model of binary vectors: masked MLP -> one Bernoulli logit per input.

    Args:
        input_dim: D >= 2.
        hidden_sizes: the widths of the hidden layers, with ReLU between layers.
        ordering: a permutation of 0 .. D-1 (see ``made_masks``); defaults to arange(D).
    """

    def __init__(self, input_dim: int, hidden_sizes: Sequence[int],
                 ordering: Optional[Sequence[int]] = None):
        super().__init__()
        # TODO:
        # - build the masks with made_masks (it validates the arguments);
        # - one MaskedLinear per mask (sizes from the masks), ReLU between them (not after
        #   the last): the last layer outputs D logits;
        # - keep the ordering as a buffer (int64), used by sample.
        ### BEGIN SOLUTION
        masks = made_masks(input_dim, hidden_sizes, ordering)
        self.input_dim = input_dim
        order = torch.arange(input_dim) if ordering is None else torch.as_tensor(ordering).long()
        self.register_buffer("ordering", order.clone())
        layers: List[nn.Module] = []
        for i, mask in enumerate(masks):
            out_features, in_features = mask.shape
            layer = MaskedLinear(in_features, out_features)
            layer.set_mask(mask)
            if i > 0:
                layers.append(nn.ReLU())
            layers.append(layer)
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, D) float in {0, 1} -> logits: (B, D) float.

        logits[:, i] is the logit of p(x_i = 1 | x_j for ordering[j] < ordering[i]).
        """
        # TODO: run the masked MLP.
        ### BEGIN SOLUTION
        return self.net(x)
        ### END SOLUTION

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, D) float in {0, 1} -> (B,) float, log p(x) in nats.

        Sum over i of the Bernoulli log-likelihood of x_i under logits[:, i].
        """
        # TODO:
        # - log p(x_i) = x_i log sigmoid(l_i) + (1 - x_i) log sigmoid(-l_i)
        #             = -binary_cross_entropy_with_logits(l_i, x_i);
        # - never log(sigmoid(.)): the result must stay finite for logits of +-1e4.
        ### BEGIN SOLUTION
        logits = self.forward(x)                                       # (B, D)
        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
        ### END SOLUTION

    @torch.no_grad()
    def sample(self, num_samples: int) -> torch.Tensor:
        """Ancestral sampling, one forward pass per dimension.

        Args:
            num_samples: S >= 1.

        Returns:
            (S, D) float in the model's dtype, values in {0, 1}.

        Raises:
            ValueError: if num_samples < 1.
        """
        # TODO:
        # - start from zeros, in the dtype and on the device of the parameters;
        # - fill the dimensions in the order argsort(ordering): for each i in that order, run
        #   the whole batch forward once and draw x[:, i] ~ Bernoulli(sigmoid(logits[:, i]));
        # - the raster order 0, 1, ..., D-1 is wrong whenever the ordering is not the identity.
        ### BEGIN SOLUTION
        if num_samples < 1:
            raise ValueError(f"num_samples must be at least 1, got {num_samples}")
        weight = self.net[0].weight
        x = torch.zeros(num_samples, self.input_dim, dtype=weight.dtype, device=weight.device)
        for i in torch.argsort(self.ordering).tolist():
            logits = self.forward(x)                                   # (S, D)
            x[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))
        return x
        ### END SOLUTION
