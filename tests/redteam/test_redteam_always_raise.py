"""A submission whose every public function and class raises ValueError earns nothing, in any week (issue 18).

The hidden tests that check `check.raises(ValueError, ...)` first require a valid call of the same function to
return a value of the right type and shape; without that, a submission that raises on every call earned their
points (week 1: 1.5, found by the CLI red-team batch; weeks 2 and 3, found by this test: 2.5 and 2).

Each submission is the week's stubs with, appended, a `def` for every public function that raises ValueError
whatever its arguments, and a class for every public class, in two forms (attacks/always_raise/definitions.py):
one whose constructor raises ("constructor"), and one that builds whatever the arguments and whose every public method,
forward and __call__ raise ("methods"), which probes the tests that build an object outside check.raises and
then call it with bad arguments inside. It is graded by the real engine on all of the week's hidden tests:
every test fails at its first call into the submission, so a week takes a few seconds.
"""
from __future__ import annotations

import ast

import pytest
import redteam_lib as rt

from autograder import engine
from autograder.weeks import available_weeks


def _has_class_with_methods(week) -> bool:
    return any(isinstance(node, ast.ClassDef) and not node.name.startswith("_")
               and any(isinstance(m, ast.FunctionDef) for m in node.body)
               for text in rt.week_stub_sources(week).values() for node in ast.parse(text).body)


# "methods" probes something "constructor" does not only in a week with a class that has methods (week 1's one
# class, the named tuple GMMResult, has none).
CASES = [(week, classes) for week in available_weeks() for classes in ("constructor", "methods")
         if classes == "constructor" or _has_class_with_methods(week)]


def test_every_week_is_covered():
    assert {week.number for week, _ in CASES} == {1, 2, 3, 4}


@pytest.mark.parametrize("week, classes", CASES, ids=[f"week{w.number}-{c}" for w, c in CASES])
def test_always_valueerror_scores_zero_on_every_hidden_test(week, classes, tmp_path):
    folder = rt.write_submission(tmp_path / f"always_valueerror_{classes}",
                                 rt.always_valueerror_week_sources(week, classes))
    result = engine.grade(week, folder)
    assert not result.messages, f"the submission should import cleanly: {result.messages}"
    assert len(result.tests) == len(engine.week_tests(week))
    not_run = [t.id for t in result.tests if t.output.startswith("not run")]
    assert not not_run, f"tests not run (the time budget ran out): {not_run}"
    scored = {t.id: t.score for t in result.tests if t.score > 0}
    assert not scored, (f"a week-{week.number} submission that only raises ValueError ({classes}) scored "
                        f"{sum(scored.values())} points: {scored}")
