"""Public tests of transformer.py: shapes, dtypes, submodule names, causality and easy properties.

Passing them does not mean your values are right: the grader compares your attention with an
independent implementation, checks the sampler's distribution at several temperatures and with
top-k and top-p, and runs a short training run.
"""
import math

import pytest
import torch

from transformer import Block, CausalSelfAttention, CharTransformer, filter_logits


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_attention_shape_and_parameters(dtype):
    attn = CausalSelfAttention(12, 3).to(dtype)
    assert set(attn.state_dict()) == {"qkv.weight", "qkv.bias", "proj.weight", "proj.bias"}
    assert attn.qkv.weight.shape == (36, 12) and attn.proj.weight.shape == (12, 12)
    for T in (1, 5):
        y = attn(torch.randn(7, T, 12, dtype=dtype))
        assert y.shape == (7, T, 12) and y.dtype == dtype and torch.isfinite(y).all()


def test_attention_rejects_heads_that_do_not_divide():
    with pytest.raises(ValueError):
        CausalSelfAttention(10, 3)


def test_attention_first_position_attends_to_itself_only():
    # With one key, the softmax weight is 1: output 0 is proj(v_0) whatever the other positions hold.
    attn = CausalSelfAttention(8, 2)
    x = torch.randn(3, 4, 8)
    v = attn.qkv(x[:, :1])[..., 16:]                      # (3, 1, 8): the value slice of qkv
    torch.testing.assert_close(attn(x)[:, :1], attn.proj(v), rtol=1e-5, atol=1e-6)


def test_attention_is_causal():
    attn = CausalSelfAttention(8, 2).double()
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    y = attn(x)
    x_changed = x.clone()
    x_changed[:, 4:] = torch.randn(2, 2, 8, dtype=torch.float64)  # change positions 4 and 5
    y_changed = attn(x_changed)
    torch.testing.assert_close(y[:, :4], y_changed[:, :4], rtol=1e-5, atol=1e-12,
                               msg=lambda m: f"outputs 0..3 saw positions 4, 5\n{m}")
    assert not torch.allclose(y[:, 4:], y_changed[:, 4:])


def test_block_shape_and_submodules():
    block = Block(16, 4)
    assert isinstance(block.ln1, torch.nn.LayerNorm) and isinstance(block.ln2, torch.nn.LayerNorm)
    assert isinstance(block.attn, CausalSelfAttention)
    assert [type(m) for m in block.mlp] == [torch.nn.Linear, torch.nn.GELU, torch.nn.Linear]
    y = block(torch.randn(5, 7, 16))
    assert y.shape == (5, 7, 16)


def test_model_state_dict_keys():
    model = CharTransformer(27, 8, embed_dim=16, num_heads=2, num_layers=2)
    keys = set(model.state_dict())
    assert {"tok_emb.weight", "pos_emb.weight", "ln_f.weight", "ln_f.bias", "head.weight",
            "head.bias"} <= keys
    assert "blocks.1.attn.qkv.weight" in keys and "blocks.0.mlp.2.bias" in keys
    assert model.head.weight.data_ptr() != model.tok_emb.weight.data_ptr(), "do not tie head to tok_emb"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_model_forward_and_loss_shapes(dtype):
    model = CharTransformer(27, 8, embed_dim=16, num_heads=2, num_layers=2).to(dtype)
    idx = torch.randint(0, 27, (97, 8))
    logits = model(idx)
    assert logits.shape == (97, 8, 27) and logits.dtype == dtype
    loss = model.loss(torch.randint(0, 27, (97, 9)))
    assert loss.shape == () and loss.dtype == dtype
    # At initialization the predictions are nearly uniform: the loss is close to log 27 = 3.30 nats.
    assert abs(loss.item() - math.log(27)) < 0.5


def test_model_rejects_bad_lengths():
    model = CharTransformer(27, 8, embed_dim=16, num_heads=2, num_layers=1)
    with pytest.raises(ValueError):
        model(torch.randint(0, 27, (2, 9)))   # longer than context_length
    with pytest.raises(ValueError):
        model.loss(torch.randint(0, 27, (2, 1)))  # nothing to predict


def test_zero_model_loss_is_log_vocab_size():
    model = CharTransformer(27, 8, embed_dim=16, num_heads=2, num_layers=2)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    # Every logit is 0: each of the 27 tokens has probability 1/27.
    assert abs(model.loss(torch.randint(0, 27, (5, 9))).item() - math.log(27)) < 1e-6


def test_filter_logits_keeps_the_right_tokens():
    logits = torch.log(torch.tensor([[0.5, 0.05, 0.3, 0.15]]))
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[False, True, False, True]]
    # p = 0.7: 0.5 then 0.3 reach 0.8 >= 0.7, so the nucleus is {0, 2}.
    assert torch.isinf(filter_logits(logits, top_p=0.7)).tolist() == [[False, True, False, True]]
    assert torch.equal(filter_logits(logits), logits)


def test_generate_shape_prompt_and_arguments():
    model = CharTransformer(27, 8, embed_dim=16, num_heads=2, num_layers=1)
    prompt = torch.randint(0, 27, (3, 11))               # longer than context_length: cropped
    out = model.generate(prompt, 5, temperature=0.8, top_k=5, top_p=0.9)
    assert out.shape == (3, 16) and out.dtype == torch.int64
    assert torch.equal(out[:, :11], prompt)
    assert ((out >= 0) & (out < 27)).all()
    for kwargs in ({"num_new_tokens": -1}, {"num_new_tokens": 2, "temperature": 0.0},
                   {"num_new_tokens": 2, "top_k": 0}, {"num_new_tokens": 2, "top_p": 1.5}):
        with pytest.raises(ValueError):
            model.generate(prompt, **kwargs)


def test_generate_top_k_one_is_greedy():
    model = CharTransformer(11, 6, embed_dim=16, num_heads=2, num_layers=1)
    prompt = torch.randint(0, 11, (4, 3))
    out = model.generate(prompt, 1, top_k=1)
    assert torch.equal(out[:, -1], model(prompt)[:, -1].argmax(-1))
