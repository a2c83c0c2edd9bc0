"""Public tests of sampling.py: shapes, dtypes, ranges and deterministic special cases.

The grader also tests the samplers statistically (chi-square, Kolmogorov-Smirnov, invariance).
"""
import math

import pytest
import torch

from sampling import (langevin, metropolis_hastings, rejection_sample, sample_categorical,
                      sample_from_logits, sample_markov_chain, top_k_filter, top_p_filter)


def _forbid(monkeypatch, *names):
    """Make torch.<name> and Tensor.<name> raise, as the grader does."""
    def forbidden(*args, **kwargs):
        raise AssertionError("this function may not be used here: " + ", ".join(names))
    for name in names:
        monkeypatch.setattr(torch, name, forbidden)
        monkeypatch.setattr(torch.Tensor, name, forbidden)


# ---------------------------------------------------------------------------------------
# sample_categorical
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sample_categorical_shape_dtype_range(monkeypatch, dtype):
    _forbid(monkeypatch, "multinomial")
    torch.manual_seed(0)
    probs = torch.tensor([3.0, 1.0, 0.5, 2.0, 0.25], dtype=dtype)  # not normalized
    samples = sample_categorical(probs, 97)
    assert samples.shape == (97,) and samples.dtype == torch.int64
    assert samples.min() >= 0 and samples.max() < 5


def test_sample_categorical_never_draws_zero_probability_classes(monkeypatch):
    _forbid(monkeypatch, "multinomial")
    torch.manual_seed(0)
    probs = torch.tensor([0.0, 0.2, 0.0, 0.8, 0.0])
    samples = sample_categorical(probs, 10_001)
    assert set(samples.unique().tolist()) <= {1, 3}
    assert torch.equal(sample_categorical(torch.tensor([0.0, 0.0, 1.0]), 7), torch.full((7,), 2))
    with pytest.raises(ValueError):
        sample_categorical(probs, 0)


# ---------------------------------------------------------------------------------------
# rejection_sample, metropolis_hastings, langevin
# ---------------------------------------------------------------------------------------
def _standard_normal_log_prob(x):
    return -0.5 * x.pow(2).sum(-1) - 0.5 * x.shape[-1] * math.log(2 * math.pi)


def test_rejection_sample_shape_and_rate():
    torch.manual_seed(0)
    # Target: N(0, 1) truncated to [0, inf), unnormalized; proposal N(0, 1); M = 1 works.
    target = lambda x: torch.where(x[:, 0] >= 0, _standard_normal_log_prob(x), -math.inf)
    propose = lambda n: torch.randn(n, 1)
    samples, rate = rejection_sample(target, propose, _standard_normal_log_prob, 0.0, 97)
    assert samples.shape == (97, 1) and samples.dtype == torch.float32
    assert isinstance(rate, float) and 0.0 < rate <= 1.0
    assert (samples >= 0).all(), "a proposal with target density 0 was accepted"
    with pytest.raises(ValueError):
        rejection_sample(target, propose, _standard_normal_log_prob, 0.0, 0)


def test_rejection_sample_accepts_everything_when_target_is_proposal():
    torch.manual_seed(0)
    # p~ = q and M = 1: the acceptance probability p~ / (M q) is 1 everywhere.
    propose = lambda n: torch.randn(n, 2, dtype=torch.float64)
    samples, rate = rejection_sample(_standard_normal_log_prob, propose, _standard_normal_log_prob, 0.0, 97)
    assert samples.shape == (97, 2) and samples.dtype == torch.float64 and rate == 1.0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_metropolis_hastings_shapes_and_rate(dtype):
    torch.manual_seed(0)
    x0 = torch.randn(97, 2, dtype=dtype)
    chain, rate = metropolis_hastings(_standard_normal_log_prob, x0, 11, 0.8)
    assert chain.shape == (11, 97, 2) and chain.dtype == dtype
    assert torch.isfinite(chain).all()
    assert isinstance(rate, float) and 0.0 < rate < 1.0
    # chain[t] is the state after step t + 1: a chain either stays or moves to a new point.
    moved = (chain[1:] != chain[:-1]).any(-1)          # (10, 97)
    assert moved.any() and not moved.all()


def test_metropolis_hastings_flat_target_accepts_everything():
    torch.manual_seed(0)
    # A constant log-density: log u < 0 always holds, so every proposal is accepted.
    x0 = torch.zeros(97, 3)
    chain, rate = metropolis_hastings(lambda x: torch.zeros(x.shape[0]), x0, 4, 0.5)
    assert rate == 1.0 and (chain[0] != x0).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_langevin_shape_dtype_and_moves(dtype):
    torch.manual_seed(0)
    x0 = torch.full((97, 2), 3.0, dtype=dtype)
    x = langevin(lambda x: -x, x0, 20, 0.1)
    assert x.shape == (97, 2) and x.dtype == dtype and torch.isfinite(x).all()
    assert not torch.equal(x, x0)
    assert torch.equal(x0, torch.full((97, 2), 3.0, dtype=dtype)), "x0 was modified in place"


# ---------------------------------------------------------------------------------------
# sample_markov_chain
# ---------------------------------------------------------------------------------------
def test_sample_markov_chain_shape_and_range():
    torch.manual_seed(0)
    K = 4
    seqs = sample_markov_chain(torch.rand(K), torch.rand(K, K), 9, 97)  # rows not normalized
    assert seqs.shape == (97, 9) and seqs.dtype == torch.int64
    assert seqs.min() >= 0 and seqs.max() < K


def test_sample_markov_chain_follows_a_deterministic_cycle():
    torch.manual_seed(0)
    # Start in state 1; the transition 0 -> 1 -> 2 -> 0 leaves no choice.
    cycle = torch.roll(torch.eye(3), shifts=1, dims=1)  # row i is one-hot at (i + 1) % 3
    seqs = sample_markov_chain(torch.tensor([0.0, 2.0, 0.0]), cycle, 6, 5)
    assert torch.equal(seqs, torch.tensor([1, 2, 0, 1, 2, 0]).expand(5, 6))


# ---------------------------------------------------------------------------------------
# top_k_filter, top_p_filter, sample_from_logits
# ---------------------------------------------------------------------------------------
def test_top_k_keeps_the_k_largest():
    torch.manual_seed(0)
    logits = torch.randn(97, 11)  # continuous values: no ties
    filtered = top_k_filter(logits, 3)
    assert filtered.shape == logits.shape and filtered.dtype == logits.dtype
    kept = torch.isfinite(filtered)
    assert (kept.sum(-1) == 3).all()
    assert torch.equal(kept, logits >= logits.topk(3, dim=-1).values[:, -1:])
    assert torch.equal(filtered[kept], logits[kept])
    assert torch.equal(top_k_filter(logits, 11), logits) and torch.equal(top_k_filter(logits, 50), logits)
    with pytest.raises(ValueError):
        top_k_filter(logits, 0)


def test_top_p_on_crafted_probabilities():
    probs = torch.tensor([[0.1, 0.5, 0.05, 0.35], [0.25, 0.25001, 0.2, 0.29999]], dtype=torch.float64)
    logits = probs.log()
    # Row 0 sorted: 0.5, 0.35, 0.1, 0.05; cumulative 0.5, 0.85, 0.95, 1.0.
    # p = 0.6 keeps {0.5, 0.35}; p = 0.9 keeps three; p = 0.3 keeps only the most probable.
    assert torch.isfinite(top_p_filter(logits[:1], 0.6)).tolist() == [[False, True, False, True]]
    assert torch.isfinite(top_p_filter(logits[:1], 0.9)).tolist() == [[True, True, False, True]]
    assert torch.isfinite(top_p_filter(logits[:1], 0.3)).tolist() == [[False, True, False, False]]
    # Row 1 sorted: 0.29999, 0.25001, 0.25, 0.2; cumulative 0.29999, 0.55, 0.8, 1.0.
    assert torch.isfinite(top_p_filter(logits[1:], 0.7)).tolist() == [[True, True, False, True]]
    kept = torch.isfinite(top_p_filter(logits, 0.7))
    assert torch.equal(top_p_filter(logits, 0.7)[kept], logits[kept])


def test_top_p_edge_cases():
    torch.manual_seed(0)
    logits = torch.randn(97, 11)
    assert torch.equal(top_p_filter(logits, 1.0), logits)  # p = 1 keeps everything
    tiny = top_p_filter(logits, 1e-6)  # only the most probable token survives
    assert torch.equal(torch.isfinite(tiny), logits == logits.max(-1, keepdim=True).values)
    for p in (0.0, -0.5, 1.5):
        with pytest.raises(ValueError):
            top_p_filter(logits, p)


def test_sample_from_logits_shape_range_and_filters():
    torch.manual_seed(0)
    logits = torch.randn(97, 13)
    tokens = sample_from_logits(logits)
    assert tokens.shape == (97,) and tokens.dtype == torch.int64
    assert tokens.min() >= 0 and tokens.max() < 13
    # top_k = 1 leaves one token per row: sampling returns the argmax.
    assert torch.equal(sample_from_logits(logits, temperature=2.0, top_k=1), logits.argmax(-1))
    # Filtered tokens are never drawn.
    tokens = sample_from_logits(logits.double(), top_k=3, top_p=0.9)
    allowed = torch.isfinite(top_p_filter(top_k_filter(logits.double(), 3), 0.9))
    assert allowed.gather(1, tokens.unsqueeze(1)).all()
    with pytest.raises(ValueError):
        sample_from_logits(logits, temperature=0.0)
