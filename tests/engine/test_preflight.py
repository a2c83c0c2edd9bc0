"""`make check WEEK=1` (python -m autograder.preflight): the public tests in the grading sandbox.

One run on the reference (nothing to report), one on the reference with five problems that only grading
reveals, each in a different function: a forbidden import, a disabled sampler, a file outside the working
directory, network access and an 8 GiB allocation (over the sandbox's 6 GiB address-space limit).
"""
import ast
import shutil
import subprocess
import sys

import pytest

from autograder import preflight
from autograder.weeks import ROOT, available_weeks, get_week

WEEK = get_week(1)

PROBLEMS = {
    "density.py": '''
import sklearn  # noqa: F401  (installed here, but not allowed by the contract)

_nll = categorical_nll
_bpd = bits_per_dim
_kl = kl_gaussian


def categorical_nll(logits, x):
    open(CHECKSUMS).read()  # a file of the repository: not in the sandbox
    return _nll(logits, x)


def bits_per_dim(nll, num_dims):
    import torch
    torch.empty(2 ** 31, dtype=torch.float32)  # 8 GiB of address space
    return _bpd(nll, num_dims)


def kl_gaussian(*args, **kwargs):
    import socket
    try:
        socket.create_connection(("127.0.0.1", 9), timeout=1).close()
    except OSError:
        pass
    return _kl(*args, **kwargs)
''',
    "sampling.py": '''

def sample_categorical(probs, num_samples):
    if num_samples < 1:
        raise ValueError(f"num_samples must be at least 1, got {num_samples}")
    return torch.distributions.Categorical(probs=probs / probs.sum()).sample((num_samples,))
''',
}


def week_copy(tmp_path, name, problems=False):
    folder = tmp_path / name
    folder.mkdir()
    for f in WEEK.graded_files:
        text = (WEEK.solution_dir / f).read_text()
        if problems and f in PROBLEMS:
            text += PROBLEMS[f].replace("CHECKSUMS", repr(str(ROOT / "data" / "checksums.json")))
        (folder / f).write_text(text)
    shutil.copytree(WEEK.assignment_dir / "tests", folder / "tests")
    return folder


def run(folder):
    return subprocess.run([sys.executable, "-m", "autograder.preflight", "1", "--dir", str(folder)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)


@pytest.mark.slow
def test_reference_has_nothing_that_fails_only_in_grading(tmp_path):
    done = run(week_copy(tmp_path, "reference"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing found that fails only in grading" in done.stdout
    assert "failed" not in done.stdout.replace("0 failed", "")


@pytest.mark.slow
def test_problems_that_only_grading_reveals_are_reported(tmp_path):
    done = run(week_copy(tmp_path, "problems", problems=True))
    assert done.returncode == 1, done.stdout + done.stderr
    problems = [line for line in done.stdout.splitlines() if line.startswith("  - ")]
    text = "\n".join(problems)
    assert "forbidden import density.py:" in text and "import sklearn" in text
    assert any("sample_categorical" in p and "disabled function" in p for p in problems), text
    assert any("categorical_nll" in p and "file access" in p for p in problems), text
    assert any("bits_per_dim" in p and "memory" in p for p in problems), text
    assert any("kl_gaussian" in p and "network" in p for p in problems), text
    # Every problem line names one of the five (fit_categorical's tests call categorical_nll): nothing else
    # is blamed on the sandbox.
    assert all(any(k in p for k in ("sklearn", "sample_categorical", "categorical_nll", "fit_categorical",
                                    "bits_per_dim", "kl_gaussian")) for p in problems), text
    assert "can't allocate memory" in text and "No such file or directory" in text or "file access (file" in text


def test_forbidden_imports_are_found_without_running_the_code(tmp_path):
    path = tmp_path / "density.py"
    path.write_text("import math, os.path\nimport torch.nn as nn\nfrom scipy import stats\nimport numpy\n"
                    "from sampling import x\nfrom __future__ import annotations\n"
                    "def f():\n    import sklearn.datasets\n    from course.plotting import grid\n"
                    "    from . import helper\n")
    found = preflight.forbidden_imports(path, {"density", "sampling", "metrics"})
    assert found == ["density.py:8: import sklearn.datasets", "density.py:9: import course.plotting",
                     "density.py:10: import ."]


def _disabled_in_hidden_tests() -> dict[str, dict[str, set[str]]]:
    """{week: {"module.function": names}} from every `sub.without(...).module.function(...)` of the hidden tests."""
    found = {}
    for week in available_weeks():
        for path in sorted(week.hidden_dir.glob("test_*.py")):
            tree = ast.parse(path.read_text())
            constants = {t.id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                         for t in n.targets if isinstance(t, ast.Name) and isinstance(n.value, (ast.Tuple, ast.List))
                         and all(isinstance(e, ast.Constant) for e in n.value.elts)}
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                        and isinstance(node.value.value, ast.Call)
                        and getattr(node.value.value.func, "attr", "") == "without"):
                    names = set()
                    for arg in node.value.value.args:
                        if isinstance(arg, ast.Starred):
                            names |= set(constants[arg.value.id])
                        else:
                            names.add(ast.literal_eval(arg))
                    target = f"{node.value.attr}.{node.attr}"
                    found.setdefault(week.folder, {}).setdefault(target, set()).update(names)
    return found


def test_disabled_table_covers_every_disabled_call_of_the_hidden_tests():
    hidden = _disabled_in_hidden_tests()
    assert hidden, "no sub.without(...) found: the scan is broken"
    for week, targets in hidden.items():
        for target, names in targets.items():
            assert names <= set(preflight.DISABLED.get(week, {}).get(target, ())), (week, target, names)
