"""Grader-side checks of the contract's copying and randomness clauses, on the data that the public
probes (`runtime/fixtures/probes.py`) return from the child.

    first, second = probes.sampler_twice(sub, model, "sample", [2000], what="MADE.sample(2000)")
    probes.independent(first, second, p_fail=1e-6, what="two calls of MADE.sample")
    probes.keeps_copy(sub, layer, "set_mask", [mask], 0, then_attribute="mask", want=mask, what=...)

Each raises CheckFailed with a message a student can act on.
"""
from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from autograder import checks as check


def _seed() -> int:
    """A seed for the probe, from the grader's per-test generator (so a rerun repeats it)."""
    return int(torch.randint(0, 2**30, ()).item())


def data_generator() -> torch.Generator:
    """A generator for the data a test draws itself, seeded from the grader's per-test generator.

    The child's noise never depends on it: the engine seeds the child's global generator from a stream of
    its own (`engine.child_seed`; before that, grader and child shared a seed, and data drawn here equalled
    the noise the child drew next, x0 = ε in week 3). A separate generator also keeps the test's data the
    same whatever else the test draws from the global generator afterwards."""
    return torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,))))


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))
    return a == b


def sampler_twice(sub, target, method, args, kwargs=None, index=None, what: str = "the sampler"):
    """Run `target.method(*args, **kwargs)` under the probe `draws_twice`; check the randomness clauses
    every sampler shares (draws from torch's global generator, which it never reseeds nor restores,
    and which it leaves advanced); return the two successive draws (first, second) for the caller's
    own independence and distribution checks."""
    d = sub.call_fixture("draws_twice", target, method, list(args), dict(kwargs or {}), _seed(), index)
    check.true(isinstance(d, dict) and {"first", "second", "again", "fresh", "after_first", "after_second",
                                        "after_other"} <= set(d), f"{what}: the probe returned malformed data")
    first = check.tensor(d["first"], what=f"{what} (first call)")
    second = check.tensor(d["second"], shape=tuple(first.shape), dtype=first.dtype, what=f"{what} (second call)")
    check.tensor(d["again"], what=f"{what} (after the same seed)")
    check.true(_same(d["again"], first),
               f"{what} gave different draws after the same torch.manual_seed: draw every random number from "
               "torch's global generator (not numpy, random, time, or a private torch.Generator)")
    check.true(not _same(first, second),
               f"two successive calls of {what} returned identical draws: library code never reseeds torch's "
               "global generator (nor saves and restores its state)")
    check.true(not _same(d["after_first"], d["fresh"]) and not _same(d["after_second"], d["after_first"]),
               f"{what} left torch's global generator where it found it: draw from the global generator "
               "and leave it advanced (no torch.random.fork_rng, no set_rng_state)")
    check.true(not _same(d["after_other"], d["after_first"]),
               f"after {what}, torch's global generator is in the same state whatever the seed before the call: "
               "library code never reseeds the global generator")
    return first, second


def independent(first: torch.Tensor, second: torch.Tensor, p_fail: float, what: str, max_columns: int = 16) -> None:
    """Two calls' draws are independent: for each of (at most `max_columns`) coordinates, the pairs
    (first[i, c], second[i, c]) over the rows i show no association.

    Rows are i.i.d. within a call under the contract, so under independence of the two calls each
    coordinate's pairs are i.i.d. draws of a product law. Binary coordinates: Fisher's exact test on
    the 2x2 table (exact conditional level). Others: Kendall's tau, whose null law is the same for
    every continuous marginal law (scipy's normal approximation, accurate for n in the thousands); and
    continuous draws of the two calls must not share exact values (reused proposals or noise).
    The columns share p_fail (Bonferroni); a constant column carries no information and is skipped.
    """
    a = first.detach().to(torch.float64).reshape(first.shape[0], -1)
    b = second.detach().to(torch.float64).reshape(second.shape[0], -1)
    check.true(a.shape == b.shape, f"{what}: the two calls returned different shapes")
    columns = [c for c in range(a.shape[1]) if float(a[:, c].std()) > 0 and float(b[:, c].std()) > 0]
    columns = columns[:max_columns]
    check.true(columns, f"{what}: every coordinate is constant over the draws")
    per = p_fail / len(columns)
    for c in columns:
        x, y = a[:, c].numpy(), b[:, c].numpy()
        binary = set(np.unique(x)) <= {0.0, 1.0} and set(np.unique(y)) <= {0.0, 1.0}
        if binary:
            table = np.array([[np.sum((x == i) & (y == j)) for j in (0, 1)] for i in (0, 1)])
            p_value = stats.fisher_exact(table).pvalue
        else:
            p_value = stats.kendalltau(x, y).pvalue
            if not np.all(x == np.round(x)):  # continuous draws: two calls share (almost) no exact value
                # Honest float draws coincide only by round-off (expected n^2 · density · ulp, below 1 for the
                # n, laws and dtypes of these tests); a tenth of the values shared means reused draws.
                shared = int(np.isin(x, y).sum())
                if shared > max(10, len(x) // 10):
                    raise check.CheckFailed(f"{shared} of the {len(x)} draws of {what} in coordinate {c} occur in "
                                            "both calls: each call must draw fresh values, not reuse earlier ones")
        if not p_value >= per:
            raise check.CheckFailed(f"the draws of {what} are associated across the two calls in coordinate {c} "
                                    f"(p-value {p_value:.1e} < {per:.0e}): each call must draw fresh, independent "
                                    "noise")


def keeps_copy(sub, target, method, args: list, index: int, fill: float, want: torch.Tensor, what: str,
               then_method=None, then_args=None, then_attribute=None, atol: float = 0.0) -> None:
    """`target.method(*args)` must keep its own copy of args[index]: after the call, the caller fills
    its tensor in place with `fill`, and what the object then shows (an attribute, or a method's
    output) must still equal `want`, computed from the values at the time of the call."""
    got = sub.call_fixture("edit_after_call", target, method, list(args), index, fill, then_method, then_args,
                           then_attribute)
    got = check.tensor(got, shape=tuple(want.shape), what=what)
    err = float((got.to(torch.float64) - want.to(torch.float64)).abs().max()) if got.numel() else 0.0
    if not err <= atol:
        raise check.CheckFailed(f"{what} changed when the caller edited its own tensor after the call (off by "
                                f"{err:.3g}): keep a copy of the values, not a reference to the caller's tensor")


def leaves_arguments(sub, target, method, args: list, what: str, kwargs=None):
    """`target.method(*args)` must not modify its tensor arguments in place. Returns its value."""
    d = sub.call_fixture("call_and_arguments", target, method, *args, **dict(kwargs or {}))
    check.true(isinstance(d, dict) and "args" in d and "value" in d, f"{what}: the probe returned malformed data")
    after = check.sequence(d["args"], len(args), what=f"the arguments of {what} after the call")
    for i, (before, now) in enumerate(zip(args, after)):
        if isinstance(before, torch.Tensor):
            now = check.tensor(now, shape=tuple(before.shape), finite=False, what=f"argument {i} after {what}")
            same = bool(torch.equal(now.to(before.dtype), before) or
                        (torch.isnan(before).any() and torch.allclose(now.to(before.dtype), before, equal_nan=True,
                                                                       rtol=0, atol=0)))
            check.true(same, f"{what} modified its argument {i} in place: work on a copy, never on the caller's "
                             "tensor")
    return d["value"]



def default_is(sub, target, method, args: list, name: str, value, what: str, kwargs=None) -> None:
    """Leaving out the argument `name` must equal passing `name=value` (its documented default): the two
    calls run after the same torch.manual_seed, so random functions compare too (their randomness comes
    from the global generator)."""
    kwargs = dict(kwargs or {})
    d = sub.call_fixture("same_under_seed", target, method, _seed(), list(args), kwargs, list(args),
                         {**kwargs, name: value})
    check.true(isinstance(d, dict) and {"a", "b"} <= set(d), f"{what}: the probe returned malformed data")
    a, b = d["a"], d["b"]
    flat_a = a if isinstance(a, (tuple, list)) else (a,)
    flat_b = b if isinstance(b, (tuple, list)) else (b,)
    same = len(flat_a) == len(flat_b) and all(_same(x, y) for x, y in zip(flat_a, flat_b))
    check.true(same, f"{what}: leaving out {name} does not give the same result as {name}={value!r}, its documented "
                     "default")
