"""Hung code: a test's CPU limit in the child (derived from the reference's recorded CPU time), a function
that timed out failing its later tests at once with the same message, and sleeping hangs cut at the wall clock."""
import time

import pytest

from autograder import engine, registry
from autograder.checks import CheckFailed
from autograder.remote import HUNG_AFTER_S
from autograder.weeks import get_week

STUDENT = '''
import time
def spin(x):
    while True:
        pass
def stubborn(x):  # swallows the limit's exception: the wall-clock limit kills the process
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
def nap(x):
    time.sleep(1000)
def double(x):
    return x * 2
def burn(seconds):  # spends `seconds` of CPU time, then answers
    t0 = time.process_time()
    while time.process_time() - t0 < seconds:
        pass
    return seconds
'''


def start(remote, cpu_seconds, wall_seconds=60):
    remote.deadline = time.monotonic() + wall_seconds
    remote.budget.start_test(cpu_seconds)


def test_a_busy_loop_is_cut_at_the_cpu_limit_and_the_child_survives(sub):
    assert sub.student.double(1) == 2  # the child is up: its start is not part of what is timed
    starts = sub._sandbox.starts
    start(sub, HUNG_AFTER_S)
    t0 = time.monotonic()
    with pytest.raises(CheckFailed, match=r"student\.spin\(\): timed out after 3 s of CPU time") as info:
        sub.student.spin(1)
    # CPU seconds take at least as long in wall-clock time; the upper bound allows a loaded machine.
    assert HUNG_AFTER_S <= time.monotonic() - t0 < 60
    assert "student.spin" in sub.budget.hung
    # Later calls of the hung function fail at once with the same message; the others still run,
    # in the same process (no restart).
    start(sub, 30)
    t0 = time.monotonic()
    with pytest.raises(CheckFailed) as again:
        sub.student.spin(1)
    assert str(again.value) == str(info.value) and time.monotonic() - t0 < 0.5
    assert sub.student.double(3) == 6 and sub._sandbox.starts == starts


def test_the_budget_is_shared_by_the_calls_of_one_test(sub):
    start(sub, 5)
    assert sub.student.burn(2.0) == 2.0
    assert 2.0 <= sub.budget.cpu_used < 3.0
    with pytest.raises(CheckFailed, match="timed out after 5 s of CPU time"):
        sub.student.burn(4.0)  # gets the 3 s left, not 5
    assert sub.budget.cpu_left <= 0.1


def test_a_short_remaining_budget_does_not_mark_a_function_hung(sub):
    start(sub, 3.5)
    assert sub.student.burn(1.0) == 1.0
    with pytest.raises(CheckFailed, match="timed out"):
        sub.student.burn(5.0)  # ran out of the 2.5 s left: slow, not hung
    assert "student.burn" not in sub.budget.hung


def test_swallowing_the_limit_is_cut_at_the_wall_clock(sub):
    start(sub, 1, wall_seconds=6)
    t0 = time.monotonic()
    with pytest.raises(CheckFailed, match=r"timed out after 6 s \(wall-clock time limit\)"):
        sub.student.stubborn(1)
    assert time.monotonic() - t0 < 30 and "student.stubborn" in sub.budget.hung


def test_a_sleep_is_cut_at_the_wall_clock_and_marked_hung(sub):
    start(sub, 30, wall_seconds=4)
    with pytest.raises(CheckFailed, match=r"timed out after 4 s \(wall-clock time limit\)"):
        sub.student.nap(1)
    assert "student.nap" in sub.budget.hung
    start(sub, 30)
    assert sub.student.double(2) == 4  # a fresh child


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_cpu_limits_derive_from_the_recorded_reference_times(number):
    week = get_week(number)
    recorded = engine.reference_cpu(week)
    tests = engine.select_tests(week)
    assert recorded, (f"weeks/{week.folder}/reference_cpu.json is missing "
                      f"(python -m autograder reference-cpu {number})")
    # A test added since gets its declared timeout (safe, only slower on a hang); a recorded id that is no
    # longer a test means the file is stale: re-record it (python -m autograder reference-cpu N).
    assert set(recorded) <= {t.id for t in tests}, set(recorded) - {t.id for t in tests}
    for t in tests:
        limit = engine.cpu_limit(week, t)
        assert limit == min(t.timeout, max(engine.CPU_FLOOR_S, engine.CPU_FACTOR * recorded[t.id]))
        assert limit >= engine.CPU_FLOOR_S
    fake = registry.Test("nowhere.unrecorded", "x", 1, "hidden", 42, ("density.x",), lambda s, r: None)
    assert engine.cpu_limit(week, fake) == 42  # not recorded: the declared timeout
