"""Public tests of made.py: shapes, dtypes, masks and the autoregressive property on small cases.

Passing them does not mean your values are right: the grader checks normalization, the sampler's
distribution and a short training run as well.
"""
import itertools

import pytest
import torch

from made import MADE, MaskedLinear, made_masks


def test_masked_linear_starts_unmasked_and_applies_the_mask():
    layer = MaskedLinear(5, 3)
    assert isinstance(layer, torch.nn.Linear)
    assert "mask" in dict(layer.named_buffers()), "register the mask as a buffer named 'mask'"
    assert torch.equal(layer.mask, torch.ones(3, 5))
    x = torch.randn(97, 5)
    torch.testing.assert_close(layer(x), x @ layer.weight.T + layer.bias, rtol=1e-5, atol=1e-6)
    mask = (torch.rand(3, 5) < 0.5).float()
    layer.set_mask(mask)
    torch.testing.assert_close(layer(x), x @ (layer.weight * mask).T + layer.bias, rtol=1e-5, atol=1e-6)


def test_made_masks_shapes_and_values():
    masks = made_masks(6, [10, 8])
    assert len(masks) == 3
    assert [tuple(m.shape) for m in masks] == [(10, 6), (8, 10), (6, 8)]
    for m in masks:
        assert m.dtype == torch.float32 and set(m.unique().tolist()) <= {0.0, 1.0}
    # The first input (degree 0) reaches every hidden unit of degree >= 0, i.e. all of them.
    assert masks[0][:, 0].eq(1).all()


def test_made_masks_connectivity_is_autoregressive():
    ordering = [2, 0, 3, 1, 5, 4]
    masks = made_masks(6, [16, 16], ordering)
    paths = masks[2] @ masks[1] @ masks[0]  # (D, D): number of paths from input j to output i
    allowed = torch.tensor(ordering)[None, :] < torch.tensor(ordering)[:, None]  # ordering[j] < ordering[i]
    assert torch.equal(paths > 0, allowed)


def test_made_masks_rejects_bad_arguments():
    with pytest.raises(ValueError):
        made_masks(1, [4])
    with pytest.raises(ValueError):
        made_masks(3, [4], ordering=[0, 0, 1])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_made_forward_log_prob_shapes(dtype):
    model = MADE(6, [12, 12]).to(dtype)
    x = torch.bernoulli(torch.full((97, 6), 0.5, dtype=dtype))
    logits = model(x)
    assert logits.shape == (97, 6) and logits.dtype == dtype
    log_p = model.log_prob(x)
    assert log_p.shape == (97,) and log_p.dtype == dtype
    assert torch.isfinite(log_p).all() and (log_p <= 0).all()


def test_made_first_output_sees_no_input():
    ordering = [1, 0, 2]  # dimension 1 comes first, so its logit is a constant
    model = MADE(3, [8], ordering)
    x = torch.bernoulli(torch.full((20, 3), 0.5))
    logits = model(x)
    torch.testing.assert_close(logits[:, 1], logits[0, 1].expand(20), rtol=1e-5, atol=1e-8)


def test_made_log_prob_is_normalized_on_three_bits():
    model = MADE(3, [8, 8], ordering=[2, 0, 1]).double()
    x = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)), dtype=torch.float64)  # all 8 vectors
    total = torch.logsumexp(model.log_prob(x), 0).item()
    assert abs(total) < 1e-10, f"the probabilities of all 8 vectors sum to exp({total:.3g}), not 1"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_made_sample_shape_dtype_and_values(dtype):
    model = MADE(5, [10], ordering=[4, 2, 0, 1, 3]).to(dtype)
    x = model.sample(13)
    assert x.shape == (13, 5) and x.dtype == dtype
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError):
        model.sample(0)
