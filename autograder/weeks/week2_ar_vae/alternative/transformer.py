"""Week 2, alternative correct implementation: a character-level transformer.

A second implementation of the graded classes of `transformer.py`, written from the contract
(the docstrings of solutions/week2_ar_vae/transformer.py) rather than from the reference's code. It differs wherever the contract
leaves room:
- attention loops over the heads, slicing q, k and v out of qkv's output column by column, and
  computes each head's scores and softmax in float64 (cast back to the input's dtype at the end);
- the causal mask is a large negative number (the dtype's most negative value), written with
  `torch.where`, instead of -inf, and it is built from index comparisons rather than `triu`;
- the positions are added by slicing `pos_emb.weight` instead of calling the embedding;
- the loss is an explicit log-softmax and gather, with a float64 sum divided by B*T;
- top-k keeps the tokens whose rank in a stable descending sort is below k, top-p works on a
  float64 softmax, and each token is drawn by inverting the cumulative distribution at one
  uniform per row (torch.rand) rather than with torch.multinomial.
The hidden tests must give it full marks; a test that fails it is a wrong test.
"""

from __future__ import annotations

import math

import torch
from torch import nn

F64 = torch.float64


class CausalSelfAttention(nn.Module):
    """x: (B, T, C) -> (B, T, C); output t depends on inputs 0..t only. Submodules qkv (C -> 3C), proj (C -> C)."""

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        if num_heads < 1 or embed_dim < 1 or embed_dim % num_heads:
            raise ValueError(f"num_heads={num_heads} must divide embed_dim={embed_dim}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.qkv = nn.Linear(embed_dim, 3 * embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape
        d = width // self.num_heads
        packed = self.qkv(x)                                              # (B, T, 3C): [q | k | v]
        query_pos = torch.arange(length, device=x.device).view(length, 1)  # (T, 1)
        key_pos = torch.arange(length, device=x.device).view(1, length)    # (1, T)
        allowed = key_pos <= query_pos                                     # (T, T)
        outputs = []
        for h in range(self.num_heads):
            q = packed[..., h * d:(h + 1) * d].to(F64)                      # (B, T, d)
            k = packed[..., width + h * d:width + (h + 1) * d].to(F64)      # (B, T, d)
            v = packed[..., 2 * width + h * d:2 * width + (h + 1) * d].to(F64)  # (B, T, d)
            scores = torch.einsum("btd,bsd->bts", q, k) / math.sqrt(d)      # (B, T, T)
            scores = torch.where(allowed, scores, torch.full_like(scores, torch.finfo(F64).min))
            scores = scores - scores.max(dim=-1, keepdim=True).values
            weights = scores.exp()
            weights = weights / weights.sum(dim=-1, keepdim=True)          # (B, T, T)
            outputs.append(torch.einsum("bts,bsd->btd", weights, v))        # (B, T, d)
        return self.proj(torch.cat(outputs, dim=-1).to(x.dtype))            # (B, T, C)


class Block(nn.Module):
    """Pre-norm: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dim)
        self.ln2 = nn.LayerNorm(embed_dim)
        self.attn = CausalSelfAttention(embed_dim, num_heads)
        hidden = 4 * embed_dim
        self.mlp = nn.Sequential(nn.Linear(embed_dim, hidden), nn.GELU(approximate="none"),
                                 nn.Linear(hidden, embed_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self.attn(self.ln1(x))
        return h + self.mlp(self.ln2(h))


def _keep_top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """(B, V) -> (B, V) bool: the k largest of each row (ties broken by position)."""
    order = torch.sort(logits, dim=-1, descending=True, stable=True).indices   # (B, V)
    ranks = torch.empty_like(order)
    ranks.scatter_(-1, order, torch.arange(logits.shape[-1], device=logits.device).expand_as(order))
    return ranks < k


def _keep_nucleus(logits: torch.Tensor, p: float) -> torch.Tensor:
    """(B, V) -> (B, V) bool: the smallest set of most probable tokens with mass >= p (the top one always).
    The mass before each rank is accumulated rank by rank, in float64."""
    probs = torch.softmax(logits.to(F64), dim=-1)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True)           # (B, V)
    keep_sorted = torch.zeros_like(sorted_probs, dtype=torch.bool)
    mass = torch.zeros(probs.shape[0], dtype=F64, device=probs.device)           # (B,)
    for rank in range(probs.shape[-1]):
        keep_sorted[:, rank] = mass < p
        mass = mass + sorted_probs[:, rank]
    keep = torch.zeros_like(keep_sorted)
    keep.scatter_(-1, order, keep_sorted)
    return keep


class CharTransformer(nn.Module):
    """Decoder-only transformer: tok_emb, pos_emb, blocks, ln_f, head (untied)."""

    def __init__(self, vocab_size: int, context_length: int, embed_dim: int = 64, num_heads: int = 4,
                 num_layers: int = 2):
        super().__init__()
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        if context_length < 1:
            raise ValueError(f"context_length must be >= 1, got {context_length}")
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.vocab_size, self.context_length = vocab_size, context_length
        self.tok_emb = nn.Embedding(vocab_size, embed_dim)
        self.pos_emb = nn.Embedding(context_length, embed_dim)
        self.blocks = nn.ModuleList(Block(embed_dim, num_heads) for _ in range(num_layers))
        self.ln_f = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size, bias=True)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        length = idx.shape[-1]
        if length < 1 or length > self.context_length:
            raise ValueError(f"idx has {length} positions; context_length allows 1..{self.context_length}")
        h = self.tok_emb(idx) + self.pos_emb.weight[:length]                 # (B, T, C)
        for block in self.blocks:
            h = block(h)
        return self.head(self.ln_f(h))                                     # (B, T, V)

    def loss(self, idx: torch.Tensor) -> torch.Tensor:
        if idx.shape[1] < 2:
            raise ValueError("idx needs at least two tokens (one to predict)")
        if idx.shape[1] > self.context_length + 1:
            raise ValueError(f"idx has {idx.shape[1]} tokens, more than context_length + 1")
        logits = self(idx[:, :-1])                                         # (B, T, V)
        log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
        picked = torch.gather(log_probs, -1, idx[:, 1:].unsqueeze(-1)).squeeze(-1)  # (B, T)
        return (-picked.to(F64).sum() / picked.numel()).to(logits.dtype)

    def generate(self, idx: torch.Tensor, num_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
        if idx.dim() != 2 or idx.shape[1] == 0:
            raise ValueError("idx must be a (B, T0) prompt with T0 >= 1")
        if num_new_tokens < 0:
            raise ValueError("num_new_tokens must be >= 0")
        if temperature <= 0:
            raise ValueError("temperature must be > 0")
        if top_k is not None and top_k < 1:
            raise ValueError("top_k must be >= 1")
        if top_p is not None and (top_p <= 0 or top_p > 1):
            raise ValueError("top_p must be in (0, 1]")
        tokens = idx.clone()
        with torch.no_grad():
            for _ in range(num_new_tokens):
                window = tokens[:, max(0, tokens.shape[1] - self.context_length):]
                logits = self(window)[:, -1].to(F64) / temperature          # (B, V)
                keep = torch.ones_like(logits, dtype=torch.bool)
                if top_k is not None:
                    keep &= _keep_top_k(logits, top_k)
                if top_p is not None and top_p < 1:
                    keep &= _keep_nucleus(logits.masked_fill(~keep, -math.inf), top_p)
                weights = torch.where(keep, torch.exp(logits - logits.max(dim=-1, keepdim=True).values),
                                      torch.zeros_like(logits))
                cdf = torch.cumsum(weights, dim=-1)                          # (B, V)
                u = torch.rand(cdf.shape[0], 1, dtype=F64, device=cdf.device) * cdf[:, -1:]
                choice = (cdf <= u).sum(dim=-1, keepdim=True)                     # (B, 1)
                last_kept = (keep * torch.arange(keep.shape[-1], device=keep.device)).amax(-1, keepdim=True)
                choice = torch.minimum(choice, last_kept)  # u rounded up to the total: the last kept token
                tokens = torch.cat([tokens, choice.to(tokens.dtype)], dim=1)
        return tokens
