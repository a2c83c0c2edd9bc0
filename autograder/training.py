"""Training tests: a seeded fit of the student's model, judged in the grader, with independent re-runs.

A training test is written as ONE run (build a fresh model, train it, judge its samples) that raises
`CheckFailed` when the run fails, and is wrapped by `attempts(k)`:

    @test(points=3, functions=[...], timeout=3 * 90, slow=True)
    @training.attempts(3)
    def made_learns_bars_and_stripes(sub, ref):
        ...one run...

The wrapper runs it again, on fresh data, a fresh initialisation and fresh sampling noise (torch's global
stream continues, so the runs are independent), until one passes or `k` have failed. A correct submission
whose single run fails with probability p then loses the points with probability p^k; it pays one run in
the common case, and a broken one pays all k. `python -m autograder training-seeds` measures p for every
training test (failure counts over many seeds, with a Clopper-Pearson upper bound) and writes the
per-submission bound p_upper^k into bench/training_tests.md; each test states it in a comment.

A run may `record(name=value)` the statistics it judges; the seed sweep keeps them, so that every
threshold can be set from the measured spread. In grading, `record` only keeps the last run's values.
"""
from __future__ import annotations

import functools
import math
import time
from typing import Callable

from autograder import checks as check

_RECORDED: dict[str, float] = {}


def record(**values: float) -> None:
    """Keep the statistics a run judges (for the seed sweep; harmless in grading)."""
    _RECORDED.update({k: float(v) for k, v in values.items()})


def recorded() -> dict[str, float]:
    """The statistics recorded since the last `clear()`."""
    return dict(_RECORDED)


def clear() -> None:
    _RECORDED.clear()


def attempts(k: int) -> Callable:
    """Run a one-run training test up to k times; it passes when one run passes."""
    if k < 1:
        raise ValueError(f"attempts must be >= 1, got {k}")

    def decorate(run: Callable) -> Callable:
        @functools.wraps(run)
        def test_body(sub, ref):
            failures: list[str] = []
            for attempt in range(1, k + 1):
                clear()
                try:
                    run(sub, ref)
                    return
                except check.StudentError:
                    raise  # the student's code raised: not bad luck, no second run
                except check.CheckFailed as exc:
                    failures.append(str(exc))
                budget = getattr(sub, "budget", None)
                if time.monotonic() >= getattr(sub, "deadline", math.inf) or (budget and budget.cpu_left <= 0):
                    break  # the test's time limit (or the submission's budget) ran out: no further run
            n = len(failures)
            distinct = list(dict.fromkeys(failures))
            detail = (distinct[0] if len(distinct) == 1
                      else "; ".join(f"run {i}: {m}" for i, m in enumerate(failures, 1)))
            cut = f" (the time limit ran out before the other {k - n})" if n < k else ""
            raise check.CheckFailed(f"{n} independent run{'s' if n > 1 else ''} failed"
                                    f"{' the same way' if len(distinct) == 1 and n > 1 else ''}{cut}: {detail}"[:3000])

        test_body.single_run = run
        test_body.attempts = k
        return test_body

    return decorate


def empirical_tv(a, b) -> float:
    """Total variation between the empirical distributions of two samples of integer codes, a: (N,), b: (M,).

    Used to see a model's samples move when its parameters are perturbed: a model whose samples ignore
    its weights gives two samples of one distribution (TV of the order of sampling noise)."""
    import torch

    size = int(max(int(a.max()), int(b.max()))) + 1
    pa = torch.bincount(a.long(), minlength=size).double() / a.numel()
    pb = torch.bincount(b.long(), minlength=size).double() / b.numel()
    return float(0.5 * (pa - pb).abs().sum())
