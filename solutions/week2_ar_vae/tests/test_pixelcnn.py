"""Public tests of pixelcnn.py: shapes, dtypes, masks and the autoregressive property on small cases.

Passing them does not mean your values are right: the grader checks normalization, the sampler's
distribution and a short training run as well.
"""
import itertools

import pytest
import torch

from pixelcnn import MaskedConv2d, PixelCNN


def test_masked_conv_keeps_the_size_and_checks_its_arguments():
    conv = MaskedConv2d("A", 2, 4, 5)
    assert isinstance(conv, torch.nn.Conv2d)
    assert conv(torch.randn(3, 2, 7, 6)).shape == (3, 4, 7, 6)
    with pytest.raises(ValueError):
        MaskedConv2d("C", 1, 1, 3)
    with pytest.raises(ValueError):
        MaskedConv2d("A", 1, 1, 4)


@pytest.mark.parametrize("mask_type", ["A", "B"])
def test_masked_conv_sees_only_earlier_pixels(mask_type):
    conv = MaskedConv2d(mask_type, 1, 1, 3)
    x = torch.randn(1, 1, 5, 5, requires_grad=True)
    conv(x)[0, 0, 2, 2].backward()
    seen = x.grad[0, 0] != 0  # (5, 5): the pixels the centre output depends on
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[1, 1:4] = True   # the row above, within the kernel
    expected[2, 1] = True     # the pixel to the left
    expected[2, 2] = mask_type == "B"  # type B keeps the centre
    assert torch.equal(seen, expected), seen


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pixelcnn_forward_log_prob_shapes(dtype):
    model = PixelCNN(hidden_channels=8, num_layers=3, kernel_size=3).to(dtype)
    x = torch.bernoulli(torch.full((7, 1, 5, 4), 0.5, dtype=dtype))
    logits = model(x)
    assert logits.shape == (7, 1, 5, 4) and logits.dtype == dtype
    log_p = model.log_prob(x)
    assert log_p.shape == (7,) and log_p.dtype == dtype
    assert torch.isfinite(log_p).all() and (log_p <= 0).all()


def test_pixelcnn_first_pixel_sees_nothing():
    model = PixelCNN(hidden_channels=8, num_layers=2, kernel_size=3)
    x = torch.bernoulli(torch.full((10, 1, 4, 4), 0.5))
    logits = model(x)
    torch.testing.assert_close(logits[:, 0, 0, 0], logits[0, 0, 0, 0].expand(10), rtol=1e-5, atol=1e-8)


def test_pixelcnn_log_prob_is_normalized_on_2x2_images():
    model = PixelCNN(hidden_channels=8, num_layers=2, kernel_size=3).double()
    x = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)), dtype=torch.float64).view(16, 1, 2, 2)
    total = torch.logsumexp(model.log_prob(x), 0).item()
    assert abs(total) < 1e-10, f"the probabilities of all 16 images sum to exp({total:.3g}), not 1"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pixelcnn_sample_shape_dtype_and_values(dtype):
    model = PixelCNN(hidden_channels=8, num_layers=2, kernel_size=3).to(dtype)
    x = model.sample(3, 4, 5)
    assert x.shape == (3, 1, 4, 5) and x.dtype == dtype
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError):
        model.sample(0, 4, 5)
