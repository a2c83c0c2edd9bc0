"""Week 2, part 4: a character-level transformer (a small decoder-only language model).

Vaswani et al., 2017, "Attention is all you need"; Radford et al., 2019, "Language models are
unsupervised multitask learners" (GPT-2: the pre-norm block). A sequence of tokens
idx = (x_1, ..., x_T) is modelled autoregressively,

    log p(x_2, ..., x_T | x_1) = sum_t log p(x_{t+1} | x_{<=t}),

by a stack of blocks whose only mixing across positions is causal self-attention: position t
attends to positions <= t, so the logits at t are a function of x_{<=t} alone and one forward pass
gives every conditional at once (teacher forcing). Sampling still needs one pass per new token.

Per head, with q, k, v: (T, head_dim) the projections of the block's input,

    Attention(q, k, v) = softmax(q k^T / sqrt(head_dim) + M) v,   M[t, s] = -inf if s > t else 0.

Log-likelihoods are in nats. Every function takes its device and dtype from its inputs (or the
model's parameters) and works in float32 and float64. There is no dropout anywhere in this file,
so the train and eval modes compute the same thing.

Write the functions in this order:
  1. CausalSelfAttention.__init__    2. CausalSelfAttention.forward
  3. Block (__init__, forward)
  4. CharTransformer.__init__        5. CharTransformer.forward
  6. CharTransformer.loss
  7. filter_logits (top-k, then top-p: your week-1 filters)
  8. CharTransformer.generate
"""
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------
# 1-2. Causal self-attention (Vaswani et al., 2017, Section 3.2)
# ---------------------------------------------------------------------------------------
class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t attends to positions <= t only.

    Args:
        embed_dim: C, divisible by num_heads.
        num_heads: H >= 1; each head has head_dim = C / H.

    Submodules (their names and shapes are part of the contract: the grader loads state dicts):
        qkv: nn.Linear(C, 3C) with bias; its output splits, in this order, into q, k and v.
        proj: nn.Linear(C, C) with bias, applied to the concatenated heads.

    Raises:
        ValueError: if num_heads < 1 or embed_dim is not divisible by num_heads.
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        # TODO: check the arguments, keep num_heads and head_dim, and create qkv and proj.
        #       A mask, if you keep one, must be a non-persistent buffer (not in the state dict).
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C) float, any T >= 1 -> (B, T, C) float; output t depends on x[:, :t+1] only."""
        # TODO:
        # - q, k, v = the three C-wide slices of qkv(x), each viewed as (B, T, H, head_dim) and
        #   moved to (B, H, T, head_dim);
        # - scores = q k^T / sqrt(head_dim): (B, H, T, T); set the entries above the diagonal
        #   (key s > query t) to -inf BEFORE the softmax over keys, so each row sums to 1 over
        #   the keys s <= t (the diagonal is always kept, so no row is all -inf);
        # - weights @ v, then the heads back side by side in order, (B, T, C), then proj.
        # - write the attention out: F.scaled_dot_product_attention and nn.MultiheadAttention
        #   are disabled in grading.
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 3. The transformer block (pre-norm, as in GPT-2)
# ---------------------------------------------------------------------------------------
class Block(nn.Module):
    """x + attn(ln1(x)), then x + mlp(ln2(x)).

    Args:
        embed_dim: C.
        num_heads: H, as in CausalSelfAttention.

    Submodules: ln1, ln2 = nn.LayerNorm(C) (defaults); attn = CausalSelfAttention(C, H);
    mlp = nn.Sequential(nn.Linear(C, 4C), nn.GELU(), nn.Linear(4C, C)), the exact (erf) GELU.
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        # TODO: the four submodules, with exactly these names.
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C) float -> (B, T, C) float."""
        # TODO: two residual updates, each applied to the normalized input (pre-norm):
        #       x + attn(ln1(x)), not ln1(x + attn(x)).
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 4-8. The model
# ---------------------------------------------------------------------------------------
class CharTransformer(nn.Module):
    """A decoder-only transformer over a vocabulary of V tokens (here characters).

    Args:
        vocab_size: V >= 1.
        context_length: the longest input, T_max >= 1 (the number of learned positions).
        embed_dim: C.
        num_heads: H, dividing C.
        num_layers: the number of blocks, >= 1.

    Submodules: tok_emb = nn.Embedding(V, C); pos_emb = nn.Embedding(T_max, C);
    blocks = nn.ModuleList of num_layers Blocks; ln_f = nn.LayerNorm(C);
    head = nn.Linear(C, V) with a bias, not tied to tok_emb.

    Raises:
        ValueError: if an argument is out of range (embed_dim and num_heads as in
            CausalSelfAttention).
    """

    def __init__(self, vocab_size: int, context_length: int, embed_dim: int = 64,
                 num_heads: int = 4, num_layers: int = 2):
        super().__init__()
        # TODO: check vocab_size, context_length and num_layers (>= 1 each), keep
        #       context_length, and create the five submodules with exactly these names.
        raise NotImplementedError

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: (B, T) int64 tokens, 1 <= T <= context_length -> logits: (B, T, V) float.

        logits[:, t] are the unnormalized log-probabilities of the token after idx[:, t],
        a function of idx[:, :t+1] only.

        Raises:
            ValueError: if T < 1 or T > context_length.
        """
        # TODO: head(ln_f(blocks(tok_emb(idx) + pos_emb(arange(T))))), the positions
        #       0 .. T-1 on idx's device.
        raise NotImplementedError

    def loss(self, idx: torch.Tensor) -> torch.Tensor:
        """The mean next-token cross-entropy (teacher forcing), in nats.

        Args:
            idx: (B, T+1) int64, with 1 <= T <= context_length.

        Returns:
            () float: the mean over the B*T predictions of -log p(idx[:, t+1] | idx[:, :t+1]).

        Raises:
            ValueError: if idx has fewer than 2 positions (nothing to predict) or more than
                context_length + 1.
        """
        # TODO: the logits of idx[:, :-1] against the targets idx[:, 1:], flattened to
        #       (B*T, V) and (B*T,) for F.cross_entropy (a mean over all B*T predictions).
        raise NotImplementedError

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, num_new_tokens: int, temperature: float = 1.0,
                 top_k: Optional[int] = None, top_p: Optional[float] = None) -> torch.Tensor:
        """Sample num_new_tokens tokens after the prompt idx, one forward pass per token.

        Args:
            idx: (B, T0) int64 prompt, T0 >= 1 (it may be longer than context_length).
            num_new_tokens: N >= 0.
            temperature: > 0; the logits are divided by it.
            top_k: if given (>= 1), keep the top_k largest logits (filter_logits).
            top_p: if given, in (0, 1]: then keep the nucleus of probability top_p.

        Returns:
            (B, T0 + N) int64: the prompt, then the new tokens.

        Raises:
            ValueError: if T0 < 1, N < 0, temperature <= 0, top_k < 1, or top_p is outside (0, 1].
        """
        # TODO: check the arguments; then N times:
        # - crop to the last context_length tokens (positions beyond it were never learned);
        # - the logits of the LAST position only, divided by the temperature;
        # - filter_logits(logits, top_k, top_p), softmax, one draw per row (torch.multinomial);
        # - append the draw: the next step conditions on it.
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 7. Top-k and top-p (nucleus) filtering: week 1's semantics
# ---------------------------------------------------------------------------------------
def filter_logits(logits: torch.Tensor, top_k: Optional[int] = None,
                  top_p: Optional[float] = None) -> torch.Tensor:
    """Top-k, then top-p filtering of each row, as week 1's top_k_filter and top_p_filter.

    Args:
        logits: (B, V) float.
        top_k: None (no filter) or k >= 1: logits outside the k largest become -inf; k >= V
            keeps all.
        top_p: None (no filter) or p in (0, 1]: keep the smallest set of most probable tokens
            (under the softmax of the logits left by top-k) whose probability sums to at least
            p, always including the most probable; p = 1 keeps all.

    Returns:
        (B, V) float, a new tensor.
    """
    # TODO: your week-1 top_k_filter, then top_p_filter (a submission holds only this week's
    #       files: copy them here). The arguments are checked by generate.
    raise NotImplementedError
