"""The training tests' false-failure bounds (issue 17): the re-run wrapper, the seed sweep, and the recorded bounds."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from autograder import checks, training, training_seeds

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / "bench" / "training_tests.json"


def test_clopper_pearson_upper_bound_closed_forms():
    # No failure in n runs: the upper end solves (1 - p)^n = 0.025, so p_u = 1 - 0.025^(1/n).
    for n in (1, 20, 200):
        assert training_seeds.clopper_pearson_upper(0, n) == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-9)
    # One failure in n: P(X <= 1 | p_u) = 0.025, checked against the binomial cdf directly.
    p = training_seeds.clopper_pearson_upper(1, 50)
    assert (1 - p) ** 50 + 50 * p * (1 - p) ** 49 == pytest.approx(0.025, rel=1e-7)
    assert training_seeds.clopper_pearson_upper(3, 3) == 1.0
    assert training_seeds.clopper_pearson_upper(0, 0) == 1.0


def test_attempts_needed_is_the_smallest_k():
    for p in (0.0183, 0.13, 0.3, 0.5):
        k = training_seeds.attempts_needed(p)
        assert p**k <= 1e-6 < p ** (k - 1)
    assert training_seeds.attempts_needed(1.0) is None


def test_attempts_runs_again_until_one_run_passes():
    calls = []

    def run(sub, ref):
        calls.append(1)
        if len(calls) < 3:
            raise checks.CheckFailed(f"bad luck {len(calls)}")

    wrapped = training.attempts(4)(run)
    wrapped(None, None)
    assert len(calls) == 3 and wrapped.attempts == 4 and wrapped.single_run is run


def test_attempts_fails_after_k_runs_and_reports_them():
    calls = []

    def run(sub, ref):
        calls.append(1)
        raise checks.CheckFailed("too few modes")

    with pytest.raises(checks.CheckFailed, match="3 independent runs failed the same way: too few modes"):
        training.attempts(3)(run)(None, None)
    assert len(calls) == 3


def test_attempts_stops_when_the_time_limit_has_run_out():
    calls = []

    class Sub:
        deadline = 0.0  # already past

    def run(sub, ref):
        calls.append(1)
        raise checks.CheckFailed("too slow")

    with pytest.raises(checks.CheckFailed, match=r"1 independent run failed \(the time limit ran out before the other 3\)"):
        training.attempts(4)(run)(Sub(), None)
    assert len(calls) == 1


def test_attempts_does_not_rerun_a_crash():
    calls = []

    def run(sub, ref):
        calls.append(1)
        raise checks.StudentError("MADE.sample", "RuntimeError", "boom")

    with pytest.raises(checks.StudentError):
        training.attempts(5)(run)(None, None)
    assert len(calls) == 1


def test_smoke_sweep_writes_and_resumes(tmp_path):
    """`make training-seeds SMOKE=1`: one seed of the reference of the cheapest test, then a rerun adds nothing."""
    out = tmp_path / "sweep"
    assert training_seeds.main(1, ["made.*"], ["reference"], 1, None, out, smoke=True) == 0
    store = json.loads(out.with_suffix(".json").read_text())
    runs = store["runs"]["made.made_learns_bars_and_stripes|reference"]
    assert set(runs) == {"0"} and runs["0"]["cpu_s"] > 0 and "valid" in runs["0"]["stats"]
    text = out.with_suffix(".md").read_text()
    assert "| week2_ar_vae | made.made_learns_bars_and_stripes | reference | 1 |" in text
    assert training_seeds.main(1, ["made.*"], ["reference"], 1, None, out, smoke=True) == 0
    again = json.loads(out.with_suffix(".json").read_text())
    assert again["runs"]["made.made_learns_bars_and_stripes|reference"]["0"] == runs["0"]
    assert len(again["sessions"]) == 2 and again["sessions"][1]["runs"] == 0


def test_every_training_test_keeps_its_bound():
    """bench/training_tests.json holds runs of every training test, and p_u^k <= 1e-6 for both implementations."""
    store = json.loads(RECORD.read_text())
    tests = training_seeds.training_tests()
    assert len(tests) == 7, [t.id for _, t in tests]
    short = []
    for row in training_seeds.summarize(store, tests):
        if row["implementation"].startswith("mutant:"):
            continue
        if row["seeds"] < 10:
            short.append(f"{row['test']} ({row['implementation']}): {row['seeds']} seeds")
            continue
        assert row["bound"] <= 1e-6, (f"{row['test']} ({row['implementation']}): {row['failures']} failures in "
                                      f"{row['seeds']} runs, p_u = {row['cp95_upper']:.3g}, p_u^{row['attempts']} = "
                                      f"{row['bound']:.2g} > 1e-6: raise the attempts to {row['attempts_needed']} "
                                      "or run more seeds (make training-seeds)")
        assert math.isfinite(row["cpu_s_max"])
    # Every training test has its bound measured (the ring reached 27 seeds on 2026-12-07): a test measured too
    # little to derive a bound fails, so a new training test cannot ship without its sweep.
    assert not short, "too few seeds recorded to derive the bound (run make training-seeds TESTS=...): " + "; ".join(short)
