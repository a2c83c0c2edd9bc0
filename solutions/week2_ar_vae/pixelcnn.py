"""Week 2, part 2: PixelCNN, an autoregressive model of binary images.

van den Oord, Kalchbrenner & Kavukcuoglu, 2016, "Pixel recurrent neural networks"
(Section 3.5 and Figure 4 for the masks). An image x in {0, 1}^{H x W} is modelled pixel by
pixel in raster order (row by row, left to right within a row),

    log p(x) = sum_{(i, j)} log p(x_ij | pixels strictly before (i, j)),

by a stack of convolutions whose kernels are masked so that no output ever sees its own pixel
or a later one. The first layer is of type A (it hides the centre); every later layer is of
type B (it keeps the centre, which by then only carries information about earlier pixels).

Log-likelihoods are in nats. Every function takes its device and dtype from its inputs (or the
model's parameters) and works in float32 and float64.

Write the functions in this order:
  1. MaskedConv2d (__init__, forward)
  2. PixelCNN.__init__    3. PixelCNN.forward
  4. PixelCNN.log_prob    5. PixelCNN.sample
"""
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------
# 1. Masked convolution (van den Oord et al., 2016, Figure 4)
# ---------------------------------------------------------------------------------------
class MaskedConv2d(nn.Conv2d):
    """A same-size convolution whose kernel sees only pixels before the centre in raster order.

    Args:
        mask_type: "A" hides the centre and everything after it (the rest of the centre row
            to the right, and all rows below); "B" keeps the centre and hides the rest.
        in_channels, out_channels: as for ``nn.Conv2d``.
        kernel_size: an odd int; the padding is kernel_size // 2, so H and W are kept.

    Raises:
        ValueError: if mask_type is neither "A" nor "B", or kernel_size is even.
    """

    def __init__(self, mask_type: str, in_channels: int, out_channels: int, kernel_size: int):
        # TODO:
        # - check mask_type and kernel_size (ValueError naming the argument);
        # - nn.Conv2d with padding kernel_size // 2;
        # - a buffer "mask" shaped like the weight, (out, in, k, k): ones, then zeros from the
        #   centre (type A) or just after the centre (type B) to the end of the centre row,
        #   and zeros on every row below the centre.
        ### BEGIN SOLUTION
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd and positive, got {kernel_size}")
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.mask_type = mask_type
        centre = kernel_size // 2
        mask = torch.ones_like(self.weight)                            # (out, in, k, k)
        mask[:, :, centre, centre + (mask_type == "B"):] = 0           # centre row, from the centre (A) or after it (B)
        mask[:, :, centre + 1:, :] = 0                                 # all rows below
        self.register_buffer("mask", mask)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, in, H, W) float -> (B, out, H, W) float, convolved with weight * mask."""
        # TODO: the convolution of nn.Conv2d (self._conv_forward) with the masked weight.
        ### BEGIN SOLUTION
        return self._conv_forward(x, self.weight * self.mask, self.bias)
        ### END SOLUTION


# ---------------------------------------------------------------------------------------
# 2. The model
# ---------------------------------------------------------------------------------------
class PixelCNN(nn.Module):
    """A PixelCNN for binary images: one Bernoulli logit per pixel.

    Args:
        hidden_channels: the channels of every hidden layer.
        num_layers: the number of masked convolutions (the first of type A, the rest B).
        kernel_size: the (odd) kernel size of the masked convolutions.
    """

    def __init__(self, hidden_channels: int = 64, num_layers: int = 7, kernel_size: int = 7):
        super().__init__()
        # TODO:
        # - MaskedConv2d("A", 1, hidden_channels, kernel_size), then num_layers - 1 layers
        #   MaskedConv2d("B", hidden_channels, hidden_channels, kernel_size), with a ReLU after
        #   each masked convolution;
        # - a final 1x1 nn.Conv2d(hidden_channels, 1, 1) gives one logit per pixel.
        # - A type-B first layer lets each pixel see itself: its log-likelihood is then
        #   meaningless (training drives it to 0 nats).
        ### BEGIN SOLUTION
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        if hidden_channels < 1:
            raise ValueError(f"hidden_channels must be at least 1, got {hidden_channels}")
        layers: List[nn.Module] = [MaskedConv2d("A", 1, hidden_channels, kernel_size), nn.ReLU()]
        for _ in range(num_layers - 1):
            layers += [MaskedConv2d("B", hidden_channels, hidden_channels, kernel_size), nn.ReLU()]
        layers.append(nn.Conv2d(hidden_channels, 1, 1))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, H, W) float in {0, 1} -> logits: (B, 1, H, W) float.

        The logit at (i, j) depends only on pixels strictly before (i, j) in raster order.
        """
        # TODO: run the network.
        ### BEGIN SOLUTION
        return self.net(x)
        ### END SOLUTION

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, H, W) float in {0, 1} -> (B,) float, log p(x) in nats."""
        # TODO: -binary_cross_entropy_with_logits per pixel, summed over (1, H, W); never
        #       log(sigmoid(.)).
        ### BEGIN SOLUTION
        logits = self.forward(x)                                       # (B, 1, H, W)
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        return -nll.flatten(1).sum(-1)                                 # (B, H*W) -> (B,)
        ### END SOLUTION

    @torch.no_grad()
    def sample(self, num_samples: int, height: int, width: int) -> torch.Tensor:
        """Ancestral sampling in raster order, one forward pass per pixel.

        Args:
            num_samples: S >= 1.
            height, width: H >= 1, W >= 1.

        Returns:
            (S, 1, H, W) float in the model's dtype, values in {0, 1}.

        Raises:
            ValueError: if an argument is below 1.
        """
        # TODO:
        # - start from zeros, in the dtype and on the device of the parameters;
        # - for each row i, then each column j: one forward pass of the whole batch, and
        #   x[:, 0, i, j] ~ Bernoulli(sigmoid(logits[:, 0, i, j])).
        ### BEGIN SOLUTION
        for name, value in (("num_samples", num_samples), ("height", height), ("width", width)):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        weight = self.net[0].weight
        x = torch.zeros(num_samples, 1, height, width, dtype=weight.dtype, device=weight.device)
        for i in range(height):
            for j in range(width):
                logits = self.forward(x)                               # (S, 1, H, W)
                x[:, 0, i, j] = torch.bernoulli(torch.sigmoid(logits[:, 0, i, j]))
        return x
        ### END SOLUTION
