"""Week 1, part 2: sampling.

This file implements the samplers that later weeks build on:

- categorical sampling by the inverse CDF of uniform draws (no torch.multinomial);
- rejection sampling (von Neumann, 1951, "Various techniques used in connection with
  random digits");
- random-walk Metropolis-Hastings (Metropolis et al., 1953; Hastings, 1970);
- unadjusted Langevin dynamics (Roberts & Tweedie, 1996, "Exponential convergence of
  Langevin distributions and their discrete approximations"), the sampler behind
  score-based models in week 3;
- ancestral sampling of a Markov chain, a toy autoregressive "language";
- decoding filters for autoregressive models: top-k (Fan, Lewis & Dauphin, 2018,
  "Hierarchical neural story generation") and top-p, or nucleus, sampling (Holtzman et al.,
  2020, "The curious case of neural text degeneration"), with temperature.

Randomness comes from torch's global generator: these functions never reseed it.
Every function takes its device and dtype from its inputs and works in float32 and float64.

Write the functions in this order:
  1. sample_categorical       2. rejection_sample
  3. metropolis_hastings      4. langevin
  5. sample_markov_chain      6. top_k_filter
  7. top_p_filter             8. sample_from_logits
"""
import math
from typing import Callable, Optional, Tuple

import torch


# ---------------------------------------------------------------------------------------
# 1. Exact samplers
# ---------------------------------------------------------------------------------------
def sample_categorical(probs: torch.Tensor, num_samples: int) -> torch.Tensor:
    """Draw from a categorical distribution by the inverse CDF of uniform draws.

    Args:
        probs: (K,) float, non-negative, not necessarily normalized.
        num_samples: S >= 1.

    Returns:
        (S,) int64, values in [0, K); value k has probability probs[k] / sum(probs).

    Raises:
        ValueError: if num_samples < 1, or probs has a negative entry or sums to 0.
    """
    # TODO:
    # - normalize, then cdf = cumsum(probs); u ~ U[0, 1); the sample is the first k with
    #   u < cdf[k] (torch.searchsorted(cdf, u, right=True)); zero-probability classes are
    #   then never drawn.
    # - float round-off can leave cdf[-1] slightly below 1: send a u beyond it to the last
    #   class of positive probability, never to index K.
    # - no torch.multinomial and no torch.distributions: they are disabled when grading.
    raise NotImplementedError


def rejection_sample(target_log_prob: Callable[[torch.Tensor], torch.Tensor],
                     proposal_sample: Callable[[int], torch.Tensor],
                     proposal_log_prob: Callable[[torch.Tensor], torch.Tensor],
                     log_m, num_samples: int) -> Tuple[torch.Tensor, float]:
    """Rejection sampling from an unnormalized target p~ with proposal q and bound M.

    Args:
        target_log_prob: callable (n, ...) -> (n,), log p~(x), possibly unnormalized.
        proposal_sample: callable n -> (n, ...), draws of q.
        proposal_log_prob: callable (n, ...) -> (n,), log q(x).
        log_m: float or () tensor, log M, with log p~(x) <= log M + log q(x) everywhere.
        num_samples: S >= 1.

    Returns:
        samples: (S, ...) accepted draws, distributed as p~ / Z.
        acceptance_rate: float, all accepted over all proposed, the last batch counted in full.

    Raises:
        ValueError: if num_samples < 1.
    """
    # TODO:
    # - propose a batch x ~ q, draw u ~ U[0, 1), accept where
    #   log u < log p~(x) - log M - log q(x), i.e. with probability p~(x) / (M q(x));
    # - repeat until at least S draws are accepted; keep the first S;
    # - count every proposal and every acceptance (including the surplus of the last batch).
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 2. Markov chain Monte Carlo
# ---------------------------------------------------------------------------------------
def metropolis_hastings(log_prob: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor,
                        num_steps: int, step_size: float) -> Tuple[torch.Tensor, float]:
    """Random-walk Metropolis-Hastings on C independent chains.

    Args:
        log_prob: callable (C, D) -> (C,), log pi(x), possibly unnormalized.
        x0: (C, D) float, the initial states.
        num_steps: T >= 1.
        step_size: sigma > 0, the standard deviation of the Gaussian proposal.

    Returns:
        chain: (T, C, D), chain[t] the state after step t + 1.
        acceptance_rate: float, accepted proposals over T * C.

    Raises:
        ValueError: if num_steps < 1 or step_size <= 0.
    """
    # TODO:
    # - propose x' = x + step_size * z, z ~ N(0, I); the proposal is symmetric, so
    #   accept where log u < log pi(x') - log pi(x), u ~ U[0, 1); otherwise stay at x.
    # - keep log pi of the current state, so each step calls log_prob once.
    # - must hold: pi is invariant (one step from exact draws of pi leaves them distributed
    #   as pi); the chain moves.
    raise NotImplementedError


def langevin(score: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor,
             num_steps: int, step_size: float) -> torch.Tensor:
    """Unadjusted Langevin algorithm (ULA) on C independent chains.

    Each step is x <- x + h * score(x) + sqrt(2 h) * z with fresh z ~ N(0, I) (the Euler-Maruyama
    step of the Langevin diffusion dx = grad log p(x) dt + sqrt(2) dW; Roberts & Tweedie, 1996).

    Args:
        score: callable (C, D) -> (C, D), the gradient of the log density.
        x0: (C, D) float, the initial states.
        num_steps: T >= 1.
        step_size: h > 0.

    Returns:
        (C, D) float, the states after T steps.

    Raises:
        ValueError: if num_steps < 1 or step_size <= 0.
    """
    # TODO:
    # - the step of the docstring, with fresh noise at every step, on all C chains at once;
    # - no accept/reject step (that would be MALA): the chain's stationary distribution is not the
    #   target but a wider one (the notebook's Question 7 derives it for a Gaussian target).
    raise NotImplementedError


def sample_markov_chain(initial_probs: torch.Tensor, transition: torch.Tensor, length: int,
                        num_samples: int) -> torch.Tensor:
    """Ancestral sampling of a first-order Markov chain on K states.

    Args:
        initial_probs: (K,) float, non-negative, normalized inside.
        transition: (K, K) float, row i proportional to p(next | current = i).
        length: L >= 1, the number of states per sequence (the initial one included).
        num_samples: S >= 1.

    Returns:
        (S, L) int64.

    Raises:
        ValueError: if num_samples < 1 or length < 1.
    """
    # TODO:
    # - x_0 ~ initial_probs; x_t ~ transition[x_{t-1}], all S sequences at once;
    # - normalize the initial vector and every row; torch.multinomial is allowed here.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 3. Decoding
# ---------------------------------------------------------------------------------------
def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of every row; set the others to -inf.

    Args:
        logits: (..., V) float.
        k: the number of logits kept, k >= 1; k >= V keeps all.

    Returns:
        (..., V) float, a new tensor.

    Raises:
        ValueError: if k < 1.
    """
    # TODO:
    # - the k-th largest value of each row (torch.topk) is the threshold; logits below it
    #   become -inf (masked_fill), the others are unchanged.
    # - must hold: exactly k finite entries per row when there are no ties.
    raise NotImplementedError


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter (Holtzman et al., 2020): keep the smallest set of most probable tokens
    whose probability sums to at least p; set the other logits to -inf.

    Args:
        logits: (..., V) float.
        p: in (0, 1]; p = 1 keeps every token.

    Returns:
        (..., V) float, a new tensor. The most probable token of each row is always kept.

    Raises:
        ValueError: if p is outside (0, 1].
    """
    # TODO:
    # - sort the probabilities (softmax) in decreasing order; a token is kept when the total
    #   probability of the tokens ranked before it is below p (so the first one always is);
    # - scatter the mask back to the original order and fill -inf;
    # - special-case p = 1 (keep all): in float32 a cumulative sum can pass 1 early.
    raise NotImplementedError


def sample_from_logits(logits: torch.Tensor, temperature: float = 1.0,
                       top_k: Optional[int] = None, top_p: Optional[float] = None) -> torch.Tensor:
    """Sample one token per row from temperature-scaled, filtered logits.

    Args:
        logits: (B, V) float.
        temperature: > 0; logits are divided by it (below 1 sharpens, above 1 flattens).
        top_k: if given, applies top_k_filter after the temperature.
        top_p: if given, applies top_p_filter after top-k.

    Returns:
        (B,) int64, token ids in [0, V).

    Raises:
        ValueError: if temperature <= 0 (and whatever the filters raise).
    """
    # TODO:
    # - logits / temperature, then top_k_filter, then top_p_filter, then draw from the
    #   softmax of each row; filtered tokens (-inf) are never drawn.
    # - one way without torch.multinomial: the Gumbel-max trick,
    #   argmax(logits + g) with g = -log(-log u), u ~ U(0, 1).
    raise NotImplementedError
