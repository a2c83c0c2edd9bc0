"""Each week's public tests pass on the reference and fail, one clear line per test, on the stubs.

They run in a subprocess per folder: the week's modules (`density`, ...) are imported by their plain
names, so the reference and the stubs must never share an interpreter.
"""
import os
import subprocess
import sys

import pytest

from autograder.weeks import available_weeks

WEEKS = available_weeks()


def run_public_tests(folder):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=line",
                           str(folder / "tests")], capture_output=True, text=True, env=env, timeout=600,
                          cwd=folder)


@pytest.mark.parametrize("week", WEEKS, ids=[w.folder for w in WEEKS])
def test_public_tests_pass_on_the_reference(week):
    done = run_public_tests(week.solution_dir)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.parametrize("week", WEEKS, ids=[w.folder for w in WEEKS])
def test_public_tests_say_not_implemented_on_the_stubs(week):
    done = run_public_tests(week.assignment_dir)
    assert done.returncode == 1, done.stdout[-3000:]
    assert " passed" not in done.stdout.splitlines()[-1], "a public test passes on an untouched stub"
    assert "not implemented yet:" in done.stdout
    assert "Traceback" not in done.stdout
