"""Week 1, alternative correct implementation: sampling and decoding.

A second, independent implementation of the graded functions of `sampling.py`
(contract: the docstrings of solutions/week1_mle_sampling/sampling.py). Where the contract leaves room it differs from the
obvious version: categorical draws count how many cumulative sums lie at or below a
uniform, rejection sampling draws its uniforms before its proposals, Metropolis-Hastings
draws the accept uniforms ahead of the proposals, and Langevin accumulates in float64.
All randomness comes from torch's global generator, which is never reseeded.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

# Largest number of (draw, class) comparisons materialized at once.
_CHUNK_ELEMENTS = 1 << 22


def _check_num_samples(num_samples: int) -> None:
    if int(num_samples) < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")


def _normalized_cdf(weights: torch.Tensor, name: str) -> torch.Tensor:
    """Cumulative sums of non-negative weights along the last axis, divided so the last is exactly 1.

    weights: (..., K) float. Returns (..., K) float64.
    """
    w = weights.to(torch.float64)
    if w.shape[-1] < 1:
        raise ValueError(f"{name} must have at least one entry")
    if not torch.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{name} must be finite and non-negative")
    cdf = torch.cumsum(w, dim=-1)
    total = cdf[..., -1:]
    if (total <= 0).any():
        raise ValueError(f"{name} must have a positive sum")
    return cdf / total  # last entry is total / total == 1 exactly


def _count_at_or_below(cdf: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Inverse CDF: for each u the number of cumulative sums <= u, i.e. min{k : cdf_k > u}.

    cdf: (K,) float64 ending at 1, u: (N,) float64 in [0, 1). Returns (N,) int64 in [0, K).
    """
    num_classes = cdf.shape[0]
    if num_classes > 64:
        # Same count by binary search: right=True returns #{k : cdf_k <= u}.
        counts = torch.searchsorted(cdf, u, right=True)
        return counts.clamp_(max=num_classes - 1)
    counts = torch.empty(u.shape[0], dtype=torch.int64, device=u.device)
    chunk = max(1, _CHUNK_ELEMENTS // num_classes)
    for start in range(0, u.shape[0], chunk):
        block = u[start : start + chunk]  # (n,)
        counts[start : start + chunk] = (cdf.unsqueeze(0) <= block.unsqueeze(1)).sum(dim=1)  # (n, K) -> (n,)
    # u < 1 = cdf[-1] already keeps the count below K; clamp only guards against rounding.
    return counts.clamp_(max=num_classes - 1)


def _count_rows(cdf_rows: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Row-wise inverse CDF. cdf_rows: (N, K) float64, u: (N,) float64. Returns (N,) int64."""
    counts = (cdf_rows <= u.unsqueeze(-1)).sum(dim=-1)  # (N,)
    return counts.clamp_(max=cdf_rows.shape[-1] - 1)


def sample_categorical(probs: torch.Tensor, num_samples: int) -> torch.Tensor:
    """Draws from a categorical distribution by the inverse CDF of uniforms.

    probs: (K,) float, non-negative (normalized here). Returns (num_samples,) int64.
    """
    _check_num_samples(num_samples)
    cdf = _normalized_cdf(probs.reshape(-1), "probs")  # (K,)
    u = torch.rand(int(num_samples), dtype=torch.float64, device=probs.device)  # (num_samples,)
    return _count_at_or_below(cdf, u)


def rejection_sample(
    target_log_prob: Callable[[torch.Tensor], torch.Tensor],
    proposal_sample: Callable[[int], torch.Tensor],
    proposal_log_prob: Callable[[torch.Tensor], torch.Tensor],
    log_m,
    num_samples: int,
) -> tuple[torch.Tensor, float]:
    """Rejection sampling with envelope M q(x) >= p~(x).

    proposal_sample: n -> (n, ...); target_log_prob, proposal_log_prob: (n, ...) -> (n,).
    Returns (samples (num_samples, ...), acceptance rate over every proposal made).
    """
    _check_num_samples(num_samples)
    log_m = float(log_m)
    accepted_parts: list[torch.Tensor] = []
    num_accepted = 0
    num_proposed = 0
    batch = int(num_samples)
    while num_accepted < num_samples:
        # Uniforms first, then the proposals they judge.
        log_u = torch.log(torch.rand(batch, dtype=torch.float64))  # (n,)
        proposals = proposal_sample(batch)  # (n, ...)
        log_ratio = (
            target_log_prob(proposals).to(torch.float64).reshape(-1).cpu()
            - proposal_log_prob(proposals).to(torch.float64).reshape(-1).cpu()
            - log_m
        )  # (n,) log of p~(x) / (M q(x))
        keep = log_u < log_ratio  # (n,)
        num_proposed += batch
        num_kept = int(keep.sum())
        if num_kept > 0:
            accepted_parts.append(proposals[keep.to(proposals.device)])
            num_accepted += num_kept
        if num_proposed > 10_000_000 + 10_000 * int(num_samples) and num_accepted < num_samples:
            raise RuntimeError(
                f"rejection_sample accepted {num_accepted} of {num_proposed} proposals; check log_m and the densities"
            )
        # Next batch sized from the running acceptance rate, with a margin.
        remaining = num_samples - num_accepted
        rate = max(num_accepted, 1) / num_proposed
        batch = int(min(max(math.ceil(1.2 * remaining / rate), 16), 4_000_000))
    samples = torch.cat(accepted_parts, dim=0)[: int(num_samples)]
    return samples, num_accepted / num_proposed


def metropolis_hastings(
    log_prob: Callable[[torch.Tensor], torch.Tensor],
    x0: torch.Tensor,
    num_steps: int,
    step_size: float,
) -> tuple[torch.Tensor, float]:
    """Random-walk Metropolis-Hastings on C independent chains.

    log_prob: (C, D) -> (C,); x0: (C, D). Proposal N(x, step_size^2 I), accepted when
    log u < log pi(x') - log pi(x). Returns (chain (num_steps, C, D), acceptance rate),
    chain[t] being the state after step t + 1.
    """
    if int(num_steps) < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    if not step_size > 0:
        raise ValueError(f"step_size must be > 0, got {step_size}")
    num_steps = int(num_steps)
    num_chains = x0.shape[0]
    chain = torch.empty((num_steps,) + tuple(x0.shape), dtype=x0.dtype, device=x0.device)  # (T, C, D)
    state = x0.detach().clone()  # (C, D)
    log_pi = log_prob(state).to(torch.float64).reshape(-1)  # (C,)
    total_accepted = 0

    # The accept uniforms are drawn ahead, a block of steps at a time (all steps when they fit).
    steps_per_block = max(1, _CHUNK_ELEMENTS // max(num_chains, 1))
    step = 0
    while step < num_steps:
        block = min(steps_per_block, num_steps - step)
        log_u_block = torch.log(torch.rand(block, num_chains, dtype=torch.float64, device=x0.device))  # (b, C)
        for j in range(block):
            proposal = state + step_size * torch.randn_like(state)  # (C, D)
            log_pi_new = log_prob(proposal).to(torch.float64).reshape(-1)  # (C,)
            accept = log_u_block[j] < log_pi_new - log_pi  # NaN compares False: rejected
            state = torch.where(accept.unsqueeze(-1), proposal, state)
            log_pi = torch.where(accept, log_pi_new, log_pi)
            total_accepted += int(accept.sum())
            chain[step + j] = state
        step += block
    return chain, total_accepted / (num_steps * num_chains)


def langevin(score: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, num_steps: int, step_size: float) -> torch.Tensor:
    """Unadjusted Langevin: x <- x + h score(x) + sqrt(2h) z.

    score: (C, D) -> (C, D); x0: (C, D). Returns the final (C, D) state in x0's dtype.
    """
    if int(num_steps) < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    if not step_size > 0:
        raise ValueError(f"step_size must be > 0, got {step_size}")
    noise_scale = math.sqrt(2.0 * step_size)
    x64 = x0.detach().to(torch.float64)  # (C, D) accumulated in float64
    for _ in range(int(num_steps)):
        z = torch.randn(x0.shape, dtype=x0.dtype, device=x0.device).to(torch.float64)  # noise before the score
        drift = score(x64.to(x0.dtype)).detach().to(torch.float64)  # (C, D)
        x64 = x64 + step_size * drift + noise_scale * z
    return x64.to(x0.dtype)


def sample_markov_chain(initial_probs: torch.Tensor, transition: torch.Tensor, length: int, num_samples: int) -> torch.Tensor:
    """Ancestral sampling of a first-order Markov chain.

    initial_probs: (K,) float, transition: (K, K) float with row i = p(next | current = i),
    both normalized here. Returns (num_samples, length) int64.
    """
    _check_num_samples(num_samples)
    if int(length) < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    num_classes = initial_probs.shape[-1]
    if transition.shape != (num_classes, num_classes):
        raise ValueError(f"transition must have shape ({num_classes}, {num_classes}), got {tuple(transition.shape)}")
    init_cdf = _normalized_cdf(initial_probs, "initial_probs")  # (K,)
    trans_cdf = _normalized_cdf(transition, "transition")  # (K, K)
    num_samples, length = int(num_samples), int(length)
    device = initial_probs.device

    states = torch.empty(num_samples, length, dtype=torch.int64, device=device)
    u_all = torch.rand(length, num_samples, dtype=torch.float64, device=device)  # (T, N), drawn up front
    states[:, 0] = _count_at_or_below(init_cdf, u_all[0])
    chunk = max(1, _CHUNK_ELEMENTS // num_classes)
    for t in range(1, length):
        prev = states[:, t - 1]
        for start in range(0, num_samples, chunk):
            rows = trans_cdf[prev[start : start + chunk]]  # (n, K)
            states[start : start + chunk, t] = _count_rows(rows, u_all[t, start : start + chunk])
    return states


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Sets every logit outside the k largest (per row) to -inf.

    logits: (..., V) float. k >= V returns them unchanged; k < 1 raises ValueError.
    """
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    vocab = logits.shape[-1]
    if k >= vocab:
        return logits.clone()
    # The k-th largest is the (V - k + 1)-th smallest.
    kth_largest = torch.kthvalue(logits, vocab - int(k) + 1, dim=-1, keepdim=True).values  # (..., 1)
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: keeps the smallest set of most probable tokens with mass >= p.

    logits: (..., V) float; p in (0, 1]. The most probable token is always kept.
    """
    if not (0.0 < p <= 1.0):
        raise ValueError(f"p must lie in (0, 1], got {p}")
    if p == 1.0:
        return logits.clone()
    probs = torch.softmax(logits.to(torch.float64), dim=-1)  # (..., V)
    sorted_probs, order = torch.sort(probs, dim=-1, descending=True, stable=True)  # (..., V)
    # Mass strictly before each rank; a token is needed while that mass is still below p.
    mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
    mass_before[..., 0] = 0.0
    keep_sorted = mass_before < p  # (..., V), rank 0 always kept
    keep = torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)
    return logits.masked_fill(~keep, float("-inf"))


def sample_from_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None) -> torch.Tensor:
    """Temperature, then top-k, then top-p, then one draw per row.

    logits: (B, V) float. Returns (B,) int64.
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    scaled = logits / temperature
    if top_k is not None:
        scaled = top_k_filter(scaled, top_k)
    if top_p is not None:
        scaled = top_p_filter(scaled, top_p)
    flat = scaled.reshape(-1, scaled.shape[-1]).to(torch.float64)  # (B, V)
    # Unnormalized probabilities exp(l - max); the CDF is normalized by its own last entry.
    weights = torch.exp(flat - flat.max(dim=-1, keepdim=True).values)  # (B, V)
    cdf = torch.cumsum(weights, dim=-1)
    cdf = cdf / cdf[:, -1:]
    u = torch.rand(flat.shape[0], dtype=torch.float64, device=logits.device)  # (B,)
    tokens = _count_rows(cdf, u)  # (B,)
    return tokens.reshape(scaled.shape[:-1])
