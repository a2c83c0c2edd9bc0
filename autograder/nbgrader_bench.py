"""nbgrader's autograde on an equivalent one-test torch notebook, measured by `make bench` beside our figures.

The notebook holds week 1's `gaussian_log_prob` (the reference's own code, taken from
solutions/week1_mle_sampling/density.py) in a solution cell, and one autograded test cell that checks it
against torch.distributions.MultivariateNormal: the shape of one of our hidden tests. In a temporary course
directory, `nbgrader generate_assignment` makes the release (not timed); the submission is the release with
the solution filled in. Then, timed, the real command as an instructor runs it:

* `nbgrader autograde ps1 --student s1` for one submission, end to end (a fresh `nbgrader` process, its
  kernel, the gradebook), median of `repeats` runs;
* the same for `many` submissions in one command: the marginal time of one more submission,
  (T_many - T_one) / (many - 1), is nbgrader's steady-state cost per submission, like our
  `grade_seconds_median` (measured with the grader and its fork server already started);
* the notebook's code cells run in this process (torch already imported), the baseline of both overheads.

nbgrader's overhead per submission is the marginal time minus the in-process time: a fresh kernel, its
`import torch`, nbconvert's execution and the gradebook, per notebook. No sandbox of any kind.
"""
from __future__ import annotations

import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "week1_mle_sampling" / "density.py"
FUNCTION = "gaussian_log_prob"

TEST = """\
torch.manual_seed(0)
N, D = 512, 8
A = torch.randn(D, D, dtype=torch.float64)
cov = A @ A.T + D * torch.eye(D, dtype=torch.float64)  # symmetric positive definite
mean = torch.randn(D, dtype=torch.float64)
x = torch.randn(N, D, dtype=torch.float64) * 2 + mean
got = gaussian_log_prob(x, mean, cov)
oracle = torch.distributions.MultivariateNormal(mean, covariance_matrix=cov).log_prob(x)
assert got.shape == (N,), got.shape
assert torch.allclose(got, oracle, rtol=1e-10, atol=1e-10), (got - oracle).abs().max()
"""


def solution_source() -> str:
    """The reference's gaussian_log_prob, with what it needs (imports, LOG_2PI), as a notebook solution cell."""
    text = SOLUTION.read_text()
    tree = ast.parse(text)
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == FUNCTION)
    lines = text.splitlines()
    end = func.end_lineno  # the comment closing the solution region follows the last statement
    while end < len(lines) and lines[end].strip() and "### END SOLUTION" not in lines[end - 1]:
        end += 1
    body = "\n".join(lines[func.lineno - 1:end])
    return f"import math\n\nimport torch\n\nLOG_2PI = math.log(2 * math.pi)\n\n\n{body}\n"


def _cell(source: str, grade_id: str, *, solution: bool, grade: bool, points: int = 0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"cell_type": "code", "execution_count": None, "id": grade_id.replace("_", "-"),
            "metadata": {"nbgrader": meta}, "outputs": [],
            "source": source}


def notebook(solution: str) -> dict:
    return {"cells": [_cell(solution, "gaussian_log_prob", solution=True, grade=False),
                      _cell(TEST, "test_gaussian_log_prob", solution=False, grade=True, points=1)],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line) + "\n"


def _nbgrader(course: Path, *args: str) -> float:
    """Seconds of one `nbgrader` command in `course` (it must succeed)."""
    exe = Path(sys.executable).parent / "nbgrader"
    argv = [str(exe) if exe.exists() else "nbgrader", *args, f"--CourseDirectory.root={course}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}", "--CourseDirectory.course_id=bench"]
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader {args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def _scores(course: Path, students: list[str]) -> list[float]:
    """Each student's autograded score, read back from the gradebook (the test must pass for a fair figure)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return [gb.find_submission("ps1", s).score for s in students]


def in_process_seconds(solution: str, repeats: int = 5) -> float:
    """The notebook's two code cells, exec'd in this process (torch imported already): median seconds."""
    import torch  # noqa: F401  (the baseline is warm, as in bench.in_process_time)

    code = [compile(_strip_markers(solution), "<solution>", "exec"), compile(TEST, "<test>", "exec")]
    times = []
    for _ in range(repeats):
        namespace: dict = {}
        started = time.perf_counter()
        for c in code:
            exec(c, namespace)  # noqa: S102  (our own reference code and test)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(repeats: int = 3, many: int = 4) -> dict:
    """nbgrader's figures (seconds), see the module docstring."""
    solution = solution_source()
    with tempfile.TemporaryDirectory(prefix="dgm-nbgrader-bench-") as tmp:
        course = Path(tmp)
        (course / "source" / "ps1").mkdir(parents=True)
        (course / "source" / "ps1" / "ps1.ipynb").write_text(json.dumps(notebook(solution), indent=1))
        _nbgrader(course, "generate_assignment", "ps1", "--force")
        release = json.loads((course / "release" / "ps1" / "ps1.ipynb").read_text())
        assert "NotImplementedError" in "".join(release["cells"][0]["source"]), "the release keeps no solution"
        release["cells"][0]["source"] = _strip_markers(solution)  # the student's answer: the reference's code
        students = [f"s{i}" for i in range(1, many + 1)]
        for s in students:
            folder = course / "submitted" / s / "ps1"
            folder.mkdir(parents=True)
            (folder / "ps1.ipynb").write_text(json.dumps(release, indent=1))
        one = [_nbgrader(course, "autograde", "ps1", "--student=s1", "--force") for _ in range(repeats)]
        shutil.rmtree(course / "autograded", ignore_errors=True)
        all_of_them = _nbgrader(course, "autograde", "ps1", "--force")
        scores = _scores(course, students)
    local = in_process_seconds(solution)
    one_s = statistics.median(one)
    marginal = (all_of_them - one_s) / (many - 1)
    return {"nbgrader_one_seconds": round(one_s, 2), "nbgrader_one_seconds_all": [round(t, 2) for t in one],
            "nbgrader_many": many, "nbgrader_many_seconds": round(all_of_them, 2),
            "nbgrader_per_submission_seconds": round(marginal, 2),
            "nbgrader_in_process_seconds": round(local, 3),
            "nbgrader_overhead_seconds": round(marginal - local, 2),
            "nbgrader_one_overhead_seconds": round(one_s - local, 2),
            "nbgrader_scores": scores, "nbgrader_version": _version()}


def _version() -> str:
    import nbgrader

    return nbgrader.__version__


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
