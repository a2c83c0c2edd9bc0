"""assignments/ is exactly what solutions/ generates (stubs, nbgrader student notebook, tests, handout)."""
import subprocess
import sys

from autograder.weeks import ROOT


def test_assignments_are_up_to_date_with_solutions():
    done = subprocess.run([sys.executable, "-m", "tools.assignments", "check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, "run `make assignments` and commit the result:\n" + done.stdout[-4000:] + done.stderr[-2000:]
