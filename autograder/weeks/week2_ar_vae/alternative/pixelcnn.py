"""Week 2, alternative correct implementation: PixelCNN (van den Oord et al., 2016).

A second, independent implementation of the graded classes of `pixelcnn.py` (the contract: the
docstrings of `solutions/week2_ar_vae/pixelcnn.py`). It differs from the obvious version where the
contract leaves room: the masks are built by a loop over kernel positions, the type-B layers are
residual blocks (h + relu(conv_B(h))), the head is two 1x1 convolutions, `log_prob` accumulates in
float64, and the sampler draws each pixel by comparing logistic noise with its logit. Residual
connections do not change which pixels each logit sees, because a type-B kernel already contains
its centre. The hidden tests must give it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MaskedConv2d(nn.Conv2d):
    """A 2-D convolution whose kernel is masked to respect the raster order.

    Type "A" zeroes the centre and every later position in raster order (rest of the centre row to
    the right, all rows below); type "B" keeps the centre. Padding kernel_size // 2 keeps H and W.
    x: (B, C_in, H, W) float -> (B, C_out, H, W) float.
    """

    def __init__(self, mask_type: str, in_channels: int, out_channels: int, kernel_size: int):
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        if int(kernel_size) < 1 or int(kernel_size) % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size}")
        kernel_size = int(kernel_size)
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.mask_type = mask_type
        centre = kernel_size // 2
        mask = torch.zeros(out_channels, in_channels, kernel_size, kernel_size)
        for r in range(kernel_size):
            for c in range(kernel_size):
                before = r < centre or (r == centre and c < centre)
                if before or (mask_type == "B" and r == centre and c == centre):
                    mask[:, :, r, c] = 1.0
        self.register_buffer("mask", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding)


class PixelCNN(nn.Module):
    """PixelCNN over binary images: one type-A layer, num_layers - 1 residual type-B blocks, then a
    1x1 -> ReLU -> 1x1 head giving one Bernoulli logit per pixel.

    forward(x: (B, 1, H, W) float in {0, 1}) -> logits (B, 1, H, W).
    """

    def __init__(self, hidden_channels: int = 64, num_layers: int = 7, kernel_size: int = 7):
        super().__init__()
        if int(num_layers) < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        if int(hidden_channels) < 1:
            raise ValueError(f"hidden_channels must be >= 1, got {hidden_channels}")
        self.first = MaskedConv2d("A", 1, hidden_channels, kernel_size)
        self.blocks = nn.ModuleList(
            MaskedConv2d("B", hidden_channels, hidden_channels, kernel_size) for _ in range(int(num_layers) - 1)
        )
        self.head_hidden = nn.Conv2d(hidden_channels, hidden_channels, 1)
        self.head_out = nn.Conv2d(hidden_channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.first(x))  # (B, C, H, W)
        for block in self.blocks:
            h = h + torch.relu(block(h))  # residual: the identity is the kernel's centre tap
        return self.head_out(torch.relu(self.head_hidden(h)))  # (B, 1, H, W)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, H, W) in {0, 1}. Returns (B,) log p(x) in nats, summed over pixels in float64."""
        logits = self(x)
        logits64, x64 = logits.to(torch.float64), x.to(torch.float64)
        per_pixel = x64 * logits64 - F.softplus(logits64)  # (B, 1, H, W)
        return per_pixel.flatten(1).sum(dim=1).to(logits.dtype)

    @torch.no_grad()
    def sample(self, num_samples: int, height: int, width: int) -> torch.Tensor:
        """Ancestral sampling in raster order, one forward pass per pixel.

        Returns (num_samples, 1, height, width) floats in the model's dtype, values in {0, 1}.
        """
        for name, value in (("num_samples", num_samples), ("height", height), ("width", width)):
            if int(value) < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        param = self.first.weight
        x = torch.zeros(int(num_samples), 1, int(height), int(width), dtype=param.dtype, device=param.device)
        for i in range(int(height)):
            for j in range(int(width)):
                logit = self(x)[:, 0, i, j].to(torch.float64)  # (N,)
                # x_ij = 1{logit + L > 0} with L logistic: P(x_ij = 1) = sigmoid(logit).
                u = torch.rand(x.shape[0], dtype=torch.float64, device=x.device).clamp_(1e-300, 1.0)
                x[:, 0, i, j] = (logit + torch.log(u) - torch.log1p(-u) > 0).to(x.dtype)
        return x
