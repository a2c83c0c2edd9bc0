"""Fixtures of the red-team suite: one batch of attack submissions graded once per session.

The batch runs in a child process (`runner.py`, the real `batch.grade_many` with two workers) with the
engine pointed at `mini_hidden/`, a few cheap hidden tests, so that twenty-odd attacks grade in about a
minute. `test_redteam_cli.py` also grades a few of them with the real week's hidden tests through
`python -m autograder grade 1`. The pytest process becomes a child subreaper first, so that any
process that escapes a sandbox is re-parented to it and found.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
collect_ignore = ["attacks", "mini_hidden", "runner.py", "redteam_lib.py"]


def _load_lib():
    if "redteam_lib" not in sys.modules:
        spec = importlib.util.spec_from_file_location("redteam_lib", HERE / "redteam_lib.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["redteam_lib"] = module
        spec.loader.exec_module(module)
    return sys.modules["redteam_lib"]


rt = _load_lib()
IS_ROOT = os.geteuid() == 0


NOT_JAILED = ("without root the child is not jailed (process isolation, documented as weaker): the attacks "
              "that try to write the grader's files would really write them; see test_redteam_isolation.py")


@pytest.fixture(scope="session")
def mini_batch(tmp_path_factory) -> "rt.Batch":
    if not IS_ROOT:
        pytest.skip(NOT_JAILED)
    base = tmp_path_factory.mktemp("redteam-mini")
    return rt.run_attack_batch(base, rt.build_mini_submissions, rt.MINI_HIDDEN, [rt.MINI_HIDDEN])
