"""Hidden tests of week 1, `sampling.py`: exact samplers, MCMC, Markov chains and decoding filters.

Random outputs are never compared draw for draw with the reference (the order of random draws is
free): each statistical check derives its threshold from a stated false-failure probability
(at most 1e-6 per test; a test with several checks splits it between them). Deterministic
functions (the filters) are checked against oracles on crafted inputs with no ties.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import integrate, stats

from autograder import checks as check
from autograder import probes
from autograder.registry import test
from autograder.runtime import fixtures

F64 = torch.float64
NO_LIBRARY_SAMPLERS = ("torch.multinomial", "torch.distributions")


# =============================================================================================
# sample_categorical
# =============================================================================================
@test(points=0.5, functions=["sampling.sample_categorical"], visibility="visible",
      clauses=["sampling.sample_categorical.shape"])
def sample_categorical_shape_and_support(sub, ref):
    """sample_categorical returns (S,) int64 draws and never draws a zero-probability class."""
    probs = torch.tensor([0.0, 2.0, 0.0, 1.0, 3.0, 0.0])
    got = check.tensor(sub.without(*NO_LIBRARY_SAMPLERS).sampling.sample_categorical(probs, 1001), shape=(1001,),
                       dtype=torch.int64, what="sample_categorical(probs, 1001)")
    check.true(bool(((got >= 0) & (got < 6)).all()), "sample_categorical drew a value outside [0, K)")
    drawn = sorted(set(got.tolist()) & {0, 2, 5})
    check.true(not drawn, f"sample_categorical drew class {drawn[0] if drawn else ''}, whose probability is 0")


@test(points=2, functions=["sampling.sample_categorical"], timeout=60,
      clauses=["sampling.sample_categorical.distribution"])
def sample_categorical_chi_square(sub, ref):
    """sample_categorical draws each class with probability probs[k] / sum(probs) (chi-square test)."""
    cases = [(torch.tensor([0.5, 2.0, 0.0, 1.0, 3.5, 0.25, 1.75]), 100_000),  # unnormalized, sum 9
             (torch.tensor([0.05, 0.6, 0.3, 0.05, 0.0], dtype=F64), 20_000)]  # float64, last class impossible
    for probs, n in cases:
        got = check.tensor(sub.without(*NO_LIBRARY_SAMPLERS).sampling.sample_categorical(probs, n), shape=(n,),
                           dtype=torch.int64, what=f"sample_categorical ({probs.dtype})")
        check.true(bool(((got >= 0) & (got < len(probs))).all()), "sample_categorical drew a value outside [0, K)")
        check.show_bars(torch.bincount(got, minlength=len(probs)), probs, f"{n} draws of sample_categorical")
        # Pearson chi-square with K-1 degrees of freedom (expected counts >= 1000); two cases share 1e-6.
        check.chi_square(torch.bincount(got, minlength=len(probs)), probs.to(F64), p_fail=5e-7,
                         what=f"frequencies of {n} draws ({probs.dtype})")


@test(points=0.5, functions=["sampling.sample_categorical"], clauses=["sampling.sample_categorical.raises_num_samples"])
def sample_categorical_rejects_no_samples(sub, ref):
    """sample_categorical raises ValueError when num_samples < 1 (and returns 1 sample for 1)."""
    check.tensor(sub.without("torch.multinomial", "torch.distributions").sampling.sample_categorical(
        torch.tensor([0.2, 0.8]), 1), shape=(1,), dtype=torch.int64, what="sample_categorical(probs, 1)")
    check.raises(ValueError, sub.sampling.sample_categorical, torch.tensor([0.2, 0.8]), 0)


# =============================================================================================
# rejection_sample
# =============================================================================================
def _check_acceptance_rate(rate: float, expected: float, num_samples: int, p_fail: float) -> None:
    """The returned rate A_T / T, after T proposals of which A_T were accepted, is close to r = Z / M.

    What is random: each proposal is accepted independently with probability r, and the student
    stops after a batch once A_T >= S, so T is a stopping time and A_T / T is not binomial. A bound
    uniform over T: W_t = A_t - r t is a martingale with increments in an interval of length 1.
    (1) T < n0 = floor(0.9 S / r) needs A_{n0} >= S, i.e. W_{n0} >= 0.1 S: Hoeffding gives
        probability <= exp(-2 (0.1 S)² / n0).
    (2) For t >= n0, the maximal Hoeffding inequality on blocks [n0 2^j, n0 2^(j+1)) gives
        P(exists t >= n0: |W_t| > eps t) <= sum_j 2 exp(-eps² n0 2^j) <= 2 exp(-eps² n0) / (1 - exp(-eps² n0)).
    With eps = sqrt(ln(4 / p) / n0), (2) is below p / 2 (1 + p) and (1) is far below p / 2.
    """
    n0 = math.floor(0.9 * num_samples / expected)
    bad_start = math.exp(-2 * (0.1 * num_samples) ** 2 / n0)
    eps = math.sqrt(math.log(4 / p_fail) / n0)
    if not bad_start < p_fail / 4:
        raise ValueError("test misconfigured: num_samples is too small for the acceptance-rate bound")
    check.true(abs(rate - expected) <= eps,
               f"the acceptance rate is {rate:.4f}, expected 1/M · Z = {expected:.4f} ± {eps:.4f} (all accepted over "
               f"all proposed, the last batch counted in full; false-failure probability {p_fail:.0e})")


# Unnormalized Beta(2, 5) target, p̃(x) = e^c x (1 - x)^4, under a Uniform(0, 1) proposal:
# max p̃ = e^c · 0.2 · 0.8^4 = 0.08192 e^c, so M = 0.1 e^c bounds it, and Z = e^c B(2, 5) = e^c / 30
# gives the acceptance rate Z / M = 1/3.
BETA_OFFSET = 1.7


@test(points=2, functions=["sampling.rejection_sample"], timeout=60,
      clauses=["sampling.rejection_sample.distribution", "sampling.rejection_sample.acceptance_rate"])
def rejection_sample_beta(sub, ref):
    """rejection_sample: exactly S draws distributed as the target (KS test), acceptance rate Z/M."""
    s = 20_000
    result = sub.sampling.rejection_sample(sub.fixture("beta_log_prob", a=2.0, b=5.0, log_offset=BETA_OFFSET),
                                           sub.fixture("uniform_sampler", low=0.0, high=1.0),
                                           sub.fixture("uniform_log_prob", low=0.0, high=1.0),
                                           BETA_OFFSET + math.log(0.1), s)
    samples, rate = check.sequence(result, 2, what="rejection_sample(...)")
    samples = check.tensor(samples, shape=(s,), what="the accepted samples")
    rate = check.number(rate, what="the acceptance rate")
    check.show_histogram(samples, stats.beta(2, 5).pdf, "accepted samples over the Beta(2, 5) target")
    # KS against the exact Beta(2, 5) CDF (exact p-value) and the rate bound share p_fail = 1e-6.
    check.ks(samples, stats.beta(2, 5).cdf, p_fail=5e-7, what="the accepted samples (target Beta(2, 5))")
    _check_acceptance_rate(rate, 1 / 3, s, p_fail=5e-7)


@test(points=1, functions=["sampling.rejection_sample"], timeout=60,
      clauses=["sampling.rejection_sample.distribution", "sampling.rejection_sample.acceptance_rate"])
def rejection_sample_gaussian_2d(sub, ref):
    """rejection_sample works with (n, D) proposals: N(m, I) from N(m, 4 I), rate 1/4."""
    # p(x) / q(x) = 4 exp(-3 |x - m|² / 8) <= 4 in 2-D, so M = 4 e^c for p̃ = e^c p, and the rate is 1/4.
    m, offset, s = [1.0, -1.0], -2.3, 5_000
    eye, wide = [[1.0, 0.0], [0.0, 1.0]], [[4.0, 0.0], [0.0, 4.0]]
    result = sub.sampling.rejection_sample(sub.fixture("gaussian_log_prob", mean=m, cov=eye, log_offset=offset),
                                           sub.fixture("gaussian_sampler", mean=m, cov=wide),
                                           sub.fixture("gaussian_log_prob", mean=m, cov=wide),
                                           offset + math.log(4.0), s)
    samples, rate = check.sequence(result, 2, what="rejection_sample(...)")
    samples = check.tensor(samples, shape=(s, 2), what="the accepted samples")
    rate = check.number(rate, what="the acceptance rate")
    # Three checks share p_fail = 1e-6: KS on each coordinate (exact N(m_i, 1) marginals), the rate.
    for i in range(2):
        check.ks(samples[:, i], stats.norm(m[i], 1.0).cdf, p_fail=3e-7, what=f"coordinate {i} of the accepted samples")
    _check_acceptance_rate(rate, 0.25, s, p_fail=3e-7)


@test(points=0.5, functions=["sampling.rejection_sample"], clauses=["sampling.rejection_sample.raises"])
def rejection_sample_rejects_no_samples(sub, ref):
    """rejection_sample raises ValueError when num_samples < 1 (and returns 1 sample for 1)."""
    one = check.sequence(sub.sampling.rejection_sample(
        sub.fixture("uniform_log_prob", low=0.0, high=1.0), sub.fixture("uniform_sampler", low=0.0, high=1.0),
        sub.fixture("uniform_log_prob", low=0.0, high=1.0), 0.0, 1), 2, what="rejection_sample(..., 1)")
    check.tensor(one[0], shape=(1,), what="the samples of rejection_sample(..., num_samples=1)")
    check.raises(ValueError, sub.sampling.rejection_sample, sub.fixture("uniform_log_prob", low=0.0, high=1.0),
                 sub.fixture("uniform_sampler", low=0.0, high=1.0), sub.fixture("uniform_log_prob", low=0.0, high=1.0),
                 0.0, 0)


# =============================================================================================
# metropolis_hastings
# =============================================================================================
def _mixture_marginal_cdf(centres: list[float], weights: list[float], std: float):
    w = np.asarray(weights) / np.sum(weights)
    return lambda t: sum(wk * stats.norm.cdf(t, loc=ck, scale=std) for wk, ck in zip(w, centres))


def _count_moves(chain: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    """(T, C) bool: whether chain c changed state at step t (an accepted proposal always moves it)."""
    previous = torch.cat([x0.unsqueeze(0), chain[:-1]], dim=0)  # (T, C, D)
    return (chain != previous).any(dim=-1)


@test(points=2, functions=["sampling.metropolis_hastings"], timeout=60,
      clauses=["sampling.metropolis_hastings.invariance", "sampling.metropolis_hastings.returns"])
def metropolis_hastings_keeps_target_invariant(sub, ref):
    """metropolis_hastings keeps the target invariant: 100,000 chains started from it stay distributed as it."""
    means, std, weights = [[-1.5, 0.0], [1.5, 1.0]], 1.0, [0.3, 0.7]
    c = 100_000
    x0 = fixtures.mixture_sampler(means, std, weights)(c)  # (C, 2) exact draws of the target, in the grader
    result = sub.sampling.metropolis_hastings(sub.fixture("mixture_log_prob", means=means, std=std, weights=weights),
                                              x0, 2, 1.5)
    chain, rate = check.sequence(result, 2, what="metropolis_hastings(...)")
    chain = check.tensor(chain, shape=(2, c, 2), dtype=torch.float32, what="the chain")
    check.number(rate, what="the acceptance rate")
    # After two steps of a pi-invariant kernel, the C independent chains are i.i.d. draws of pi: KS on
    # each coordinate against the exact marginal CDF (two checks share p_fail = 1e-6).
    for i in range(2):
        cdf = _mixture_marginal_cdf([mu[i] for mu in means], weights, std)
        marginal = [mu[i] for mu in means]
        check.show_histogram(chain[-1, :, i], lambda g, m=marginal: sum(
            w * stats.norm(mu, std).pdf(g) for w, mu in zip(weights, m)), f"coordinate {i} after 2 steps vs the target")
        check.ks(chain[-1, :, i], cdf, p_fail=5e-7, what=f"coordinate {i} of the chains after 2 steps from the target")


@test(points=1.5, functions=["sampling.metropolis_hastings"], timeout=60,
      clauses=["sampling.metropolis_hastings.returns"])
def metropolis_hastings_acceptance_rate(sub, ref):
    """metropolis_hastings moves: its acceptance rate at stationarity is the exact one (binomial test)."""
    # Target N(m, s² I) in 2-D, proposal N(x, sigma² I), x ~ target. Given z = (x' - x) / sigma,
    # delta = log pi(x') - log pi(x) ~ N(-v/2, v) with v = sigma² |z|² / s², so the acceptance
    # probability is E[min(1, e^delta)] = E[2 Phi(-sigma |z| / (2 s))], |z|² ~ chi²(2)
    # (= 1 - 1/sqrt(2) for sigma = 2 s). One step of C independent chains: accepted ~ Binomial(C, a).
    m, s, sigma, c = [0.5, -0.5], 1.5, 3.0, 100_000
    a = integrate.quad(lambda r: 2 * stats.norm.cdf(-sigma * r / (2 * s)) * r * math.exp(-r * r / 2), 0, math.inf,
                       epsabs=1e-13)[0]
    cov = [[s * s, 0.0], [0.0, s * s]]
    x0 = fixtures.gaussian_sampler(m, cov)(c).to(F64)  # (C, 2)
    result = sub.sampling.metropolis_hastings(sub.fixture("gaussian_log_prob", mean=m, cov=cov), x0, 1, sigma)
    chain, rate = check.sequence(result, 2, what="metropolis_hastings(...)")
    chain = check.tensor(chain, shape=(1, c, 2), dtype=F64, what="the chain (float64 start)")
    rate = check.number(rate, what="the acceptance rate")
    moved = int(_count_moves(chain, x0).sum())
    check.close(rate, moved / c, atol=1e-12, what="the acceptance rate against the fraction of chains that moved",
                why="exact: an accepted Gaussian proposal always changes the state")
    check.binomial(moved, c, a, p_fail=1e-6, what="the fraction of accepted proposals at stationarity")


@test(points=1.5, functions=["sampling.metropolis_hastings"], timeout=60,
      clauses=["sampling.metropolis_hastings.invariance"])
def metropolis_hastings_converges_from_far_start(sub, ref):
    """metropolis_hastings converges from a far start: after 250 steps the chains follow the target."""
    mean, cov = [1.0, -2.0], [[1.0, 0.6], [0.6, 2.0]]
    c, steps = 2_000, 250
    x0 = torch.tensor([[6.0, 3.0]], dtype=F64).expand(c, 2).clone()  # every chain 5 sd away
    result = sub.sampling.metropolis_hastings(sub.fixture("gaussian_log_prob", mean=mean, cov=cov), x0, steps, 1.2)
    chain, rate = check.sequence(result, 2, what="metropolis_hastings(...)")
    chain = check.tensor(chain, shape=(steps, c, 2), dtype=F64, what="the chain")
    rate = check.number(rate, what="the acceptance rate")
    moves = _count_moves(chain, x0)
    check.close(rate, moves.double().mean().item(), atol=1e-12,
                what="the acceptance rate against the moves in the chain (over all steps and chains)",
                why="exact: an accepted Gaussian proposal always changes the state")
    # Random-walk MH on this Gaussian forgets its start geometrically, within a few dozen steps: after
    # 250 the bias is far below what 2,000 chains resolve, and the final states of the independent
    # chains are i.i.d. draws of the target. KS on each coordinate, p_fail = 1e-6 shared.
    for i in range(2):
        cdf = stats.norm(mean[i], math.sqrt(cov[i][i])).cdf
        check.ks(chain[-1, :, i], cdf, p_fail=5e-7, what=f"coordinate {i} of the final states")


# =============================================================================================
# langevin
# =============================================================================================
@test(points=2, functions=["sampling.langevin"], timeout=60,
      clauses=["sampling.langevin.step"])
def langevin_stationary_variance(sub, ref):
    """langevin (ULA) on N(0, 1) with step h reaches the variance 1 / (1 − h/2), not 1."""
    # x' = (1 - h) x + sqrt(2h) z: from x0 = 0, x_T ~ N(0, v (1 - (1 - h)^(2T))) exactly, with
    # v = 2h / (1 - (1 - h)²) = 1 / (1 - h/2); after 60 steps at h = 0.2 the transient is 1e-12 of v.
    h, steps, c = 0.2, 60, 100_000
    x0 = torch.zeros(c, 1, dtype=F64)
    got = check.tensor(sub.sampling.langevin(sub.fixture("gaussian_score", mean=[0.0], cov=[[1.0]]), x0, steps, h),
                       shape=(c, 1), dtype=F64, what="langevin(...) final states (float64)")
    var = (1 / (1 - h / 2)) * (1 - (1 - h) ** (2 * steps))
    check.show_histogram(got, stats.norm(0, math.sqrt(var)).pdf, f"final states vs N(0, 1/(1 - h/2)), h = {h}")
    # Final states of C independent chains: i.i.d. N(0, var). Known mean 0: C s²/var ~ chi²(C), and
    # the mean is N(0, var / C); two checks share p_fail = 1e-6.
    check.variance_chi2(got, var, mean=0.0, p_fail=5e-7, what="the variance of the final states")
    check.mean_z(got, 0.0, var, p_fail=5e-7, what="the mean of the final states")


@test(points=1, functions=["sampling.langevin"], timeout=60,
      clauses=["sampling.langevin.step"])
def langevin_transient_from_offset(sub, ref):
    """langevin: from a far start, mean and variance after 4 steps follow the exact ULA recursion."""
    # Target N(m, diag(s²)): per coordinate x' = a x + (1 - a) m + sqrt(2h) z with a = 1 - h / s², so
    # x_T ~ N(m + a^T (x0 - m), 2h (1 - a^(2T)) / (1 - a²)) exactly.
    m, s2, h, steps, c = [1.0, -1.0], [1.0, 4.0], 0.3, 4, 50_000
    start = [4.0, 4.0]
    x0 = torch.tensor([start]).expand(c, 2).clone()  # (C, 2) float32
    got = check.tensor(sub.sampling.langevin(sub.fixture("gaussian_score", mean=m, cov=[[s2[0], 0.0], [0.0, s2[1]]]),
                                             x0, steps, h),
                       shape=(c, 2), dtype=torch.float32, what="langevin(...) final states")
    # Four checks (mean and variance of each coordinate) share p_fail = 1e-6.
    for i in range(2):
        a = 1 - h / s2[i]
        mean = m[i] + a**steps * (start[i] - m[i])
        var = 2 * h * (1 - a ** (2 * steps)) / (1 - a * a)
        check.mean_z(got[:, i], mean, var, p_fail=2.5e-7, what=f"the mean of coordinate {i} after {steps} steps")
        check.variance_chi2(got[:, i], var, mean=mean, p_fail=2.5e-7,
                            what=f"the variance of coordinate {i} after {steps} steps")


# =============================================================================================
# sample_markov_chain
# =============================================================================================
INITIAL = [1.0, 2.0, 0.5, 1.5]  # unnormalized
TRANSITION = [[1.0, 2.0, 0.0, 1.0],  # row i: p(next | current = i), unnormalized, asymmetric
              [3.0, 1.0, 1.0, 0.5],
              [0.5, 0.5, 2.0, 1.0],
              [2.0, 0.0, 1.0, 1.0]]


@test(points=0.5, functions=["sampling.sample_markov_chain"], visibility="visible",
      clauses=["sampling.sample_markov_chain.shape"])
def sample_markov_chain_shape(sub, ref):
    """sample_markov_chain returns (S, L) int64 states in [0, K), for L = 1 and L = 5."""
    for length in (1, 5):
        got = check.tensor(sub.sampling.sample_markov_chain(torch.tensor(INITIAL), torch.tensor(TRANSITION), length,
                                                            37),
                           shape=(37, length), dtype=torch.int64, what=f"sample_markov_chain(length={length})")
        check.true(bool(((got >= 0) & (got < 4)).all()), "sample_markov_chain returned a state outside [0, K)")


@test(points=2, functions=["sampling.sample_markov_chain"], timeout=60,
      clauses=["sampling.sample_markov_chain.distribution"])
def sample_markov_chain_chi_square(sub, ref):
    """sample_markov_chain: initial states and transitions follow the given (row-stochastic) probabilities."""
    s, length = 20_000, 6
    init, trans = torch.tensor(INITIAL, dtype=F64), torch.tensor(TRANSITION, dtype=F64)
    got = check.tensor(sub.sampling.sample_markov_chain(init, trans, length, s), shape=(s, length),
                       dtype=torch.int64, what="sample_markov_chain(...)")
    check.true(bool(((got >= 0) & (got < 4)).all()), "sample_markov_chain returned a state outside [0, K)")
    # Five chi-square tests share p_fail = 1e-6. The S first states are i.i.d. draws of the initial
    # distribution. By the Markov property, the successors of the successive visits to state i are
    # i.i.d. draws of row i whatever the visits' times, so each row's successor counts are
    # multinomial given the number of visits (expected counts >= 1000 here).
    check.chi_square(torch.bincount(got[:, 0], minlength=4), init, p_fail=2e-7, what="frequencies of the first state")
    pairs = got[:, :-1] * 4 + got[:, 1:]  # (S, L-1): current * K + next
    counts = torch.bincount(pairs.reshape(-1), minlength=16).reshape(4, 4)  # (K, K)
    for i in range(4):
        check.chi_square(counts[i], trans[i], p_fail=2e-7, what=f"frequencies of the state after state {i}")


@test(points=0.5, functions=["sampling.sample_markov_chain"],
      clauses=["sampling.sample_markov_chain.raises_num_samples"])
def sample_markov_chain_rejects_no_samples(sub, ref):
    """sample_markov_chain raises ValueError when num_samples < 1 (and samples 1 chain for 1)."""
    check.tensor(sub.sampling.sample_markov_chain(torch.tensor(INITIAL), torch.tensor(TRANSITION), 3, 1),
                 shape=(1, 3), dtype=torch.int64, what="sample_markov_chain(..., length=3, num_samples=1)")
    check.raises(ValueError, sub.sampling.sample_markov_chain, torch.tensor(INITIAL), torch.tensor(TRANSITION), 3, 0)


# =============================================================================================
# top_k_filter, top_p_filter
# =============================================================================================
def _distinct_logits(shape: tuple[int, ...], dtype=torch.float32) -> torch.Tensor:
    """Logits with no ties: a random permutation of spread-out values, plus small noise."""
    v = shape[-1]
    rows = int(np.prod(shape[:-1]))
    base = torch.stack([torch.randperm(v) for _ in range(rows)]).to(F64) * 0.7  # (rows, V), gaps of 0.7
    return (base + 0.3 * torch.rand(rows, v, dtype=F64) - 2.0).reshape(shape).to(dtype)  # gaps >= 0.4


def _check_filtered(got: torch.Tensor, logits: torch.Tensor, keep: torch.Tensor, what: str) -> None:
    """got keeps exactly the `keep` entries, unchanged, and is -inf elsewhere."""
    check.tensor(got, shape=tuple(logits.shape), dtype=logits.dtype, finite=False, what=what)
    kept = torch.isfinite(got)
    if not bool((kept == keep).all()):
        row = int(torch.nonzero((kept != keep).reshape(-1, logits.shape[-1]).any(-1))[0])
        raise check.CheckFailed(f"{what}: row {row} keeps {int(kept.reshape(-1, logits.shape[-1])[row].sum())} "
                                f"logits, expected {int(keep.reshape(-1, logits.shape[-1])[row].sum())} "
                                "(the wrong ones are kept or removed)")
    check.true(bool((got[keep] == logits[keep]).all()), f"{what}: kept logits must be unchanged")
    check.true(bool((got[~keep] == -math.inf).all()), f"{what}: removed logits must be -inf")


@test(points=1.5, functions=["sampling.top_k_filter"], clauses=["sampling.top_k_filter.value"])
def top_k_filter_crafted(sub, ref):
    """top_k_filter keeps exactly the k largest logits of every row (no ties), for (..., V) inputs."""
    for dtype, shape, k in [(torch.float32, (3, 5, 11), 4), (torch.float32, (97, 7), 1), (F64, (13, 9), 3)]:
        logits = _distinct_logits(shape, dtype)
        rank = logits.argsort(dim=-1, descending=True).argsort(dim=-1)  # (..., V): 0 for the largest
        _check_filtered(sub.sampling.top_k_filter(logits, k), logits, rank < k, f"top_k_filter(k={k}, {dtype})")
    logits = _distinct_logits((5, 6))
    for k in (6, 9):
        got = check.tensor(sub.sampling.top_k_filter(logits, k), shape=(5, 6), what=f"top_k_filter(k={k} >= V)")
        check.true(bool((got == logits).all()), f"top_k_filter with k = {k} >= V must return the logits unchanged")


@test(points=0.5, functions=["sampling.top_k_filter"], clauses=["sampling.top_k_filter.raises"])
def top_k_filter_rejects_k_below_one(sub, ref):
    """top_k_filter raises ValueError when k < 1 (and accepts k = 1)."""
    check.tensor(sub.sampling.top_k_filter(torch.randn(2, 5), 1), shape=(2, 5), finite=False,
                 what="top_k_filter(logits, 1)")
    check.raises(ValueError, sub.sampling.top_k_filter, torch.randn(2, 5), 0)


def _nucleus_logits(rows: int, v: int, p: float, dtype=torch.float32, margin: float = 2e-3) -> torch.Tensor:
    """(rows, V) logits whose cumulative sorted probabilities all stay `margin` away from p."""
    out = []
    while len(out) < rows:
        row = _distinct_logits((v,), F64) * 1.5
        probs = torch.sort(torch.softmax(row, 0), descending=True).values
        if bool(((torch.cumsum(probs, 0) - p).abs() > margin).all()):
            out.append(row)
    return torch.stack(out).to(dtype)


def _nucleus_oracle(logits: torch.Tensor, p: float) -> torch.Tensor:
    """(…, V) bool: the smallest set of most probable tokens with mass >= p (float64)."""
    probs = torch.softmax(logits.to(F64), -1)
    sorted_probs, order = torch.sort(probs, -1, descending=True)
    mass_before = torch.cumsum(sorted_probs, -1) - sorted_probs  # exclusive cumulative sum
    return torch.zeros_like(probs, dtype=torch.bool).scatter(-1, order, mass_before < p)


@test(points=1.5, functions=["sampling.top_p_filter"], clauses=["sampling.top_p_filter.value"])
def top_p_filter_crafted(sub, ref):
    """top_p_filter keeps the smallest set of most probable tokens reaching p, and always the top one."""
    for dtype, p in [(torch.float32, 0.7), (F64, 0.9), (torch.float32, 0.35)]:
        logits = _nucleus_logits(97, 9, p, dtype)
        _check_filtered(sub.sampling.top_p_filter(logits, p), logits, _nucleus_oracle(logits, p),
                        f"top_p_filter(p={p}, {dtype})")
    # p below every top probability: only the most probable token survives.
    logits = _distinct_logits((31, 8))
    top = logits.argmax(-1, keepdim=True)
    _check_filtered(sub.sampling.top_p_filter(logits, 1e-3), logits,
                    torch.zeros_like(logits, dtype=torch.bool).scatter(-1, top, True), "top_p_filter(p=0.001)")
    # p = 1 keeps everything, even tokens whose probability (1e-11 here) a float32 cumulative sum loses.
    logits[0, 0] = 25.0
    got = check.tensor(sub.sampling.top_p_filter(logits, 1.0), shape=(31, 8), what="top_p_filter(p=1)")
    check.true(bool((got == logits).all()), "top_p_filter with p = 1 must return the logits unchanged")


@test(points=0.5, functions=["sampling.top_p_filter"], clauses=["sampling.top_p_filter.raises"])
def top_p_filter_rejects_bad_p(sub, ref):
    """top_p_filter raises ValueError for p outside (0, 1] (and accepts p = 0.5)."""
    check.tensor(sub.sampling.top_p_filter(torch.randn(2, 5), 0.5), shape=(2, 5), finite=False,
                 what="top_p_filter(logits, 0.5)")
    for p in (0.0, 1.5, -0.2):
        check.raises(ValueError, sub.sampling.top_p_filter, torch.randn(2, 5), p)


# =============================================================================================
# sample_from_logits
# =============================================================================================
@test(points=0.5, functions=["sampling.sample_from_logits", "sampling.top_k_filter"], visibility="visible",
      clauses=["sampling.sample_from_logits.value"])
def sample_from_logits_shape_and_greedy(sub, ref):
    """sample_from_logits returns (B,) int64 tokens; with top_k = 1 it returns each row's argmax."""
    logits = _distinct_logits((97, 10))
    got = check.tensor(sub.sampling.sample_from_logits(logits), shape=(97,), dtype=torch.int64,
                       what="sample_from_logits(logits)")
    check.true(bool(((got >= 0) & (got < 10)).all()), "sample_from_logits returned a token outside [0, V)")
    got = check.tensor(sub.sampling.sample_from_logits(logits, top_k=1), shape=(97,), dtype=torch.int64,
                       what="sample_from_logits(logits, top_k=1)")
    check.true(bool((got == logits.argmax(-1)).all()), "sample_from_logits with top_k = 1 must return the argmax")


def _filtered_probs(logits: torch.Tensor, temperature: float, top_k: int | None, top_p: float | None):
    """The contract's sampling distribution, in float64: divide by T, then top-k, then top-p."""
    scaled = logits.to(F64) / temperature
    if top_k is not None:
        kth = torch.topk(scaled, top_k).values[-1]
        scaled = scaled.masked_fill(scaled < kth, -math.inf)
    if top_p is not None:
        scaled = scaled.masked_fill(~_nucleus_oracle(scaled, top_p), -math.inf)
    return torch.softmax(scaled, -1)


@test(points=2, functions=["sampling.sample_from_logits", "sampling.top_k_filter", "sampling.top_p_filter"],
      timeout=60,
      clauses=["sampling.sample_from_logits.value"])
def sample_from_logits_distribution(sub, ref):
    """sample_from_logits: temperature, then top-k, then top-p, then a draw (chi-square tests)."""
    row = torch.tensor([2.0, 1.2, 0.9, 0.1, -0.5, -1.3])
    ordered = torch.log(torch.tensor([0.35, 0.3, 0.2, 0.1, 0.05]))
    # Each configuration is sensitive to one mistake: T multiplied instead of divided; the filters
    # applied before the temperature (T = 0.7 keeps 2 tokens at p = 0.75, T = 1 keeps 3); top-p
    # before top-k (top-k 3 then top-p 0.7 keeps 2 tokens; the other order keeps 3). Cumulative
    # probabilities stay >= 0.04 away from p.
    configs = [(row, dict(temperature=2.0)), (row, dict(temperature=0.5, top_k=3)),
               (row, dict(temperature=0.7, top_p=0.75)), (ordered, dict(top_k=3, top_p=0.7))]
    b = 20_000
    for logits, kwargs in configs:
        probs = _filtered_probs(logits, kwargs.get("temperature", 1.0), kwargs.get("top_k"), kwargs.get("top_p"))
        batch = logits.expand(b, -1).clone()  # (B, V): the same distribution in every row
        got = check.tensor(sub.sampling.sample_from_logits(batch, **kwargs), shape=(b,), dtype=torch.int64,
                           what=f"sample_from_logits({kwargs})")
        check.true(bool(((got >= 0) & (got < len(logits))).all()), "sample_from_logits returned a token outside [0, V)")
        # Pearson chi-square over the tokens (removed tokens must never be drawn); 4 tests share 1e-6.
        check.chi_square(torch.bincount(got, minlength=len(logits)), probs, p_fail=2.5e-7,
                         what=f"token frequencies with {kwargs}")


# =============================================================================================
# Clause tests (issue 18): every sampler called twice under the global generator, the filters'
# new tensors, and the argument checks no test covered. Each names the clauses of CLAUSES.md it checks.
# =============================================================================================
@test(points=1, functions=["sampling.sample_categorical"],
      clauses=["sampling.sample_categorical.global_generator", "sampling.sample_categorical.independent_calls"])
def sample_categorical_twice(sub, ref):
    """Two calls of sample_categorical give different, independent draws from torch's global generator."""
    probs = torch.tensor([0.2, 0.5, 0.3], dtype=F64)
    first, second = probes.sampler_twice(sub.without(*NO_LIBRARY_SAMPLERS), "sampling.sample_categorical", None, [probs, 3000],
                                         what="sample_categorical(probs, 3000)")
    check.tensor(first, shape=(3000,), dtype=torch.int64, what="sample_categorical(probs, 3000)")
    # Two honest batches of 3000 coincide with probability (sum p^2)^3000 = 0.38^3000 < 1e-1000. Independence:
    # Kendall's tau on the pairs of draws (its null law is exact up to scipy's tie-corrected normal
    # approximation, accurate at n = 3000), p_fail = 1e-6.
    probes.independent(first[:, None], second[:, None], p_fail=1e-6, what="two calls of sample_categorical")


@test(points=1, functions=["sampling.rejection_sample"],
      clauses=["sampling.rejection_sample.global_generator", "sampling.rejection_sample.independent_calls"])
def rejection_sample_twice(sub, ref):
    """Two calls of rejection_sample give different, independent samples from torch's global generator."""
    args = [sub.fixture("beta_log_prob", a=2.0, b=5.0), sub.fixture("uniform_sampler", low=0.0, high=1.0),
            sub.fixture("uniform_log_prob", low=0.0, high=1.0), math.log(0.0825), 2000]
    # p~(x) = x (1 - x)^4 peaks at x = 0.2 with 0.08192 <= M = 0.0825: a tight bound, acceptance Z/M = 0.40,
    # so a sampler that reuses its proposals across calls returns many of the same values twice.
    first, second = probes.sampler_twice(sub, "sampling.rejection_sample", None, args, index=0,
                                         what="rejection_sample(..., 2000)")
    check.tensor(first, shape=(2000,), what="the samples of rejection_sample(..., 2000)")
    # Continuous draws coincide with probability 0; Kendall's tau on the pairs, p_fail = 1e-6.
    probes.independent(first[:, None], second[:, None], p_fail=1e-6, what="two calls of rejection_sample")


@test(points=1, functions=["sampling.metropolis_hastings"],
      clauses=["sampling.metropolis_hastings.global_generator", "sampling.metropolis_hastings.independent_calls"])
def metropolis_hastings_twice(sub, ref):
    """Two calls of metropolis_hastings from the same states give different, independent chains."""
    x0 = torch.zeros(2000, 2, dtype=F64)
    args = [sub.fixture("gaussian_log_prob", mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]]), x0, 5, 1.0]
    first, second = probes.sampler_twice(sub, "sampling.metropolis_hastings", None, args, index=0,
                                         what="metropolis_hastings(log_prob, x0, 5, 1.0)")
    check.tensor(first, shape=(5, 2000, 2), dtype=F64, what="the chain of metropolis_hastings")
    # The chains are i.i.d. given x0; the last states of two calls are independent. After 5 steps with
    # acceptance ~0.7 a state is continuous (the chance that a chain never moved is ~0.3^5 = 2e-3, so ties
    # at 0 are few). Kendall's tau per coordinate, 2 coordinates share p_fail = 1e-6.
    probes.independent(first[-1], second[-1], p_fail=1e-6, what="the last states of two calls of metropolis_hastings")


@test(points=1, functions=["sampling.langevin"],
      clauses=["sampling.langevin.global_generator", "sampling.langevin.independent_calls"])
def langevin_twice(sub, ref):
    """Two calls of langevin from the same states add different, independent noise."""
    x0 = torch.zeros(2000, 2, dtype=F64)
    args = [sub.fixture("gaussian_score", mean=[0.0, 0.0], cov=[[1.0, 0.0], [0.0, 1.0]]), x0, 4, 0.1]
    first, second = probes.sampler_twice(sub, "sampling.langevin", None, args, what="langevin(score, x0, 4, 0.1)")
    check.tensor(first, shape=(2000, 2), dtype=F64, what="langevin(score, x0, 4, 0.1)")
    # Continuous draws; Kendall's tau per coordinate, 2 coordinates share p_fail = 1e-6.
    probes.independent(first, second, p_fail=1e-6, what="two calls of langevin")


@test(points=1, functions=["sampling.sample_markov_chain"],
      clauses=["sampling.sample_markov_chain.global_generator", "sampling.sample_markov_chain.independent_calls"])
def sample_markov_chain_twice(sub, ref):
    """Two calls of sample_markov_chain give different, independent sequences from torch's global generator."""
    args = [torch.tensor(INITIAL), torch.tensor(TRANSITION), 3, 3000]
    first, second = probes.sampler_twice(sub, "sampling.sample_markov_chain", None, args,
                                         what="sample_markov_chain(..., 3, 3000)")
    check.tensor(first, shape=(3000, 3), dtype=torch.int64, what="sample_markov_chain(..., 3, 3000)")
    # 3000 i.i.d. sequences per call; two calls coincide with probability < (max_x p(x))^3000, tiny. Kendall's
    # tau per position (ties handled by scipy), 3 positions share p_fail = 1e-6.
    probes.independent(first, second, p_fail=1e-6, what="two calls of sample_markov_chain")


@test(points=1, functions=["sampling.sample_from_logits"],
      clauses=["sampling.sample_from_logits.global_generator", "sampling.sample_from_logits.independent_calls"])
def sample_from_logits_twice(sub, ref):
    """Two calls of sample_from_logits give different, independent tokens from torch's global generator."""
    logits = torch.tensor([[1.0, 0.0, 0.5, -1.0]], dtype=F64).expand(3000, 4).contiguous()
    first, second = probes.sampler_twice(sub, "sampling.sample_from_logits", None, [logits],
                                         what="sample_from_logits(logits)")
    check.tensor(first, shape=(3000,), dtype=torch.int64, what="sample_from_logits(logits)")
    # 3000 i.i.d. tokens per call (identical rows); Kendall's tau on the pairs, p_fail = 1e-6.
    probes.independent(first[:, None], second[:, None], p_fail=1e-6, what="two calls of sample_from_logits")


@test(points=0.5, functions=["sampling.top_k_filter", "sampling.top_p_filter"],
      clauses=["sampling.top_k_filter.new_tensor", "sampling.top_p_filter.new_tensor"])
def filters_return_new_tensors(sub, ref):
    """top_k_filter and top_p_filter return new tensors: the caller's logits are left unchanged."""
    logits = torch.randn(5, 7, dtype=F64)
    probes.leaves_arguments(sub, "sampling.top_k_filter", None, [logits, 2], what="top_k_filter(logits, 2)")
    probes.leaves_arguments(sub, "sampling.top_p_filter", None, [logits, 0.5], what="top_p_filter(logits, 0.5)")


@test(points=1, functions=["sampling.sample_categorical", "sampling.metropolis_hastings", "sampling.langevin",
                           "sampling.sample_markov_chain", "sampling.sample_from_logits"],
      clauses=["sampling.sample_categorical.raises_probs", "sampling.metropolis_hastings.raises",
               "sampling.langevin.raises", "sampling.sample_markov_chain.raises_length",
               "sampling.sample_from_logits.raises"])
def samplers_reject_bad_arguments(sub, ref):
    """The samplers raise ValueError on the bad arguments their docstrings name.

    Each sampler must first return a value on valid arguments, so a function that always raises earns nothing."""
    log_prob = sub.fixture("gaussian_log_prob", mean=[0.0], cov=[[1.0]])
    score = sub.fixture("gaussian_score", mean=[0.0], cov=[[1.0]])
    x0 = torch.zeros(4, 1, dtype=F64)
    check.tensor(sub.sampling.sample_categorical(torch.tensor([0.5, 0.0, 0.6]), 3), shape=(3,),
                 what="sample_categorical(probs, 3)")
    chain = check.sequence(sub.sampling.metropolis_hastings(log_prob, x0, 3, 0.5), 2,
                           what="metropolis_hastings(log_prob, x0, 3, 0.5)")
    check.tensor(chain[0], shape=(3, 4, 1), what="the chain of metropolis_hastings(log_prob, x0, 3, 0.5)")
    check.tensor(sub.sampling.langevin(score, x0, 3, 0.5), shape=(4, 1), what="langevin(score, x0, 3, 0.5)")
    check.tensor(sub.sampling.sample_markov_chain(torch.tensor(INITIAL), torch.tensor(TRANSITION), 2, 3),
                 shape=(3, 2), what="sample_markov_chain(initial, transition, 2, 3)")
    check.tensor(sub.sampling.sample_from_logits(torch.randn(3, 4), 0.5), shape=(3,),
                 what="sample_from_logits(logits, 0.5)")
    check.raises(ValueError, sub.sampling.sample_categorical, torch.tensor([0.5, -0.1, 0.6]), 3)
    check.raises(ValueError, sub.sampling.sample_categorical, torch.zeros(3), 3)
    # The docstrings' boundaries included: num_steps = 0 and step_size = 0 raise.
    for fn, target in ((sub.sampling.metropolis_hastings, log_prob), (sub.sampling.langevin, score)):
        check.raises(ValueError, fn, target, x0, 0, 0.5)
        check.raises(ValueError, fn, target, x0, 3, 0.0)
        check.raises(ValueError, fn, target, x0, 3, -0.5)
    check.raises(ValueError, sub.sampling.sample_markov_chain, torch.tensor(INITIAL), torch.tensor(TRANSITION), 0, 3)
    check.raises(ValueError, sub.sampling.sample_from_logits, torch.randn(3, 4), 0.0)
    check.raises(ValueError, sub.sampling.sample_from_logits, torch.randn(3, 4), -1.0)
