"""Oracle checks of week 2's transformer.py: the reference and the alternative, each against references that need no
course code (torch's scaled_dot_product_attention and nn.MultiheadAttention, autograd, a cross-entropy written out,
exact distributions), and the helpers that the hidden training test and the bench script rest on.

Statistical checks state their false-failure probability (at most 1e-6) and where their threshold comes from.
"""
from __future__ import annotations

import math
import runpy
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from tests.weeks.helpers import alternative_modules, hidden_module, reference_modules

F64 = torch.float64
IMPLEMENTATIONS = {"reference": reference_modules(2).transformer, "alternative": alternative_modules(2).transformer}
pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


@pytest.fixture(params=sorted(IMPLEMENTATIONS))
def tr(request):
    return IMPLEMENTATIONS[request.param]


def test_attention_equals_torch_multihead_attention(tr):
    # nn.MultiheadAttention with a causal mask computes the same function from the same packed weights
    # (in_proj = our qkv, out_proj = our proj): an oracle independent of how the file writes it.
    C, H = 12, 3
    attn = tr.CausalSelfAttention(C, H).double()
    mha = torch.nn.MultiheadAttention(C, H, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(attn.qkv.weight)
        mha.in_proj_bias.copy_(attn.qkv.bias)
        mha.out_proj.weight.copy_(attn.proj.weight)
        mha.out_proj.bias.copy_(attn.proj.bias)
    x = torch.randn(97, 7, C, dtype=F64)
    causal = torch.ones(7, 7, dtype=torch.bool).triu(1)  # True: not allowed to attend
    want, _ = mha(x, x, x, attn_mask=causal, need_weights=False)
    torch.testing.assert_close(attn(x), want, atol=1e-12, rtol=1e-12)


def test_attention_equals_sdpa_in_float32(tr):
    attn = tr.CausalSelfAttention(16, 4)
    x = torch.randn(5, 9, 16)
    q, k, v = attn.qkv(x).split(16, -1)
    heads = [z.view(5, 9, 4, 4).transpose(1, 2) for z in (q, k, v)]
    want = attn.proj(F.scaled_dot_product_attention(*heads, is_causal=True).transpose(1, 2).reshape(5, 9, 16))
    torch.testing.assert_close(attn(x), want, atol=1e-5, rtol=1e-5)


def test_block_and_model_are_causal_by_autograd(tr):
    block = tr.Block(8, 2).double()
    x = torch.randn(1, 5, 8, dtype=F64)
    jac = torch.autograd.functional.jacobian(lambda v: block(v)[0], x)[:, :, 0]  # (T, C, T, C)
    dep = jac.abs().amax(dim=(1, 3))  # (T, T)
    lower = torch.ones(5, 5, dtype=torch.bool).tril()
    assert (dep[~lower] == 0).all() and (dep[lower] > 0).all()


def test_state_dicts_agree_and_models_compute_the_same_function():
    ref, alt = (IMPLEMENTATIONS[k] for k in ("reference", "alternative"))
    a = ref.CharTransformer(11, 7, 16, 4, 2).double()
    b = alt.CharTransformer(11, 7, 16, 4, 2).double()
    assert {k: v.shape for k, v in a.state_dict().items()} == {k: v.shape for k, v in b.state_dict().items()}
    b.load_state_dict(a.state_dict())
    idx = torch.randint(0, 11, (13, 7))
    torch.testing.assert_close(a(idx), b(idx), atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(a.loss(idx), b.loss(idx), atol=1e-12, rtol=1e-12)


def test_loss_is_the_cross_entropy_written_out(tr):
    model = tr.CharTransformer(13, 9, 16, 2, 1).double()
    idx = torch.randint(0, 13, (7, 10))
    logits = model(idx[:, :-1])
    want = -(logits - logits.logsumexp(-1, keepdim=True)).gather(-1, idx[:, 1:, None]).mean()
    torch.testing.assert_close(model.loss(idx), want, atol=1e-12, rtol=0)


def test_generate_first_token_law_and_filters(tr):
    # A model whose head weight is zero has logits = head bias at every position: the law of a draw is known exactly.
    p0 = torch.tensor([0.30, 0.20, 0.15, 0.12, 0.10, 0.07, 0.04, 0.02], dtype=F64)
    model = tr.CharTransformer(8, 4, 8, 2, 1).double()
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(p0.log())
    n = 20_000
    cases = [(dict(temperature=0.5), torch.softmax(p0.log() / 0.5, 0)),
             (dict(top_k=4, top_p=0.6), torch.tensor([0.3, 0.2, 0, 0, 0, 0, 0, 0], dtype=F64) / 0.5)]
    for kwargs, probs in cases:
        tokens = model.generate(torch.zeros(n, 2, dtype=torch.int64), 1, **kwargs)[:, -1]
        counts = torch.bincount(tokens, minlength=8).double()
        assert (counts[probs == 0] == 0).all(), kwargs
        keep = probs > 0
        # Pearson chi-square, df = support - 1, threshold at p = 1e-6; every expected count is above 500.
        stat = float(((counts[keep] - n * probs[keep]) ** 2 / (n * probs[keep])).sum())
        assert stat < scipy.stats.chi2.isf(1e-6, int(keep.sum()) - 1), (kwargs, stat)


def test_hidden_training_helpers():
    hidden = hidden_module(2, "test_transformer")
    stream, lengths = hidden.synthetic_language(5000, torch.Generator().manual_seed(0))
    assert stream.shape == (5000,) and int(stream.min()) == 0 and int(stream.max()) <= 8
    assert ((lengths >= 3) & (lengths <= 5)).all()
    # The bigram NLL of a deterministic cycle 0 1 2 0 1 2 ... is close to 0 (smoothing 0.1 over 9 tokens).
    cycle = torch.arange(3).repeat(200)
    assert hidden.bigram_nll(cycle, cycle, 9) < 0.01
    # windows_nll of a model that predicts uniformly is log V whatever the windows.
    uniform = lambda idx: torch.zeros(*idx.shape, 9)
    assert abs(hidden.windows_nll(uniform, stream[:100], 16) - math.log(9)) < 1e-12


def test_bench_count_models_match_direct_counts():
    bench = runpy.run_path(str(Path(__file__).resolve().parents[2] / "bench" / "experiments" / "week2_transformer"
                               / "run.py"), run_name="bench_week2_transformer")
    train = torch.tensor([0, 1, 2, 0, 1, 0, 2, 2, 0])  # "\n ab \n a \n bb \n"
    tokens, mask = bench["padded_items"](["ab", "b"])
    assert tokens.tolist() == [[0, 1, 2, 0], [0, 2, 0, 0]] and mask.tolist() == [[True] * 3, [True, True, False]]
    counts = np.zeros((27, 27)) + 0.5
    for a, b in zip(train[:-1].tolist(), train[1:].tolist()):
        counts[a, b] += 1
    p = counts / counts.sum(1, keepdims=True)
    targets = [(0, 1), (1, 2), (2, 0), (0, 2), (2, 0)]
    want = -np.mean([np.log2(p[a, b]) for a, b in targets])
    assert abs(bench["count_model_bits"](train, tokens, mask, 2, 0.5) - want) < 1e-12
