"""Shared paths and helpers of the tooling tests, as fixtures (test modules are imported with
--import-mode=importlib, so they cannot import each other or this file)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN_INPUT = Path(__file__).resolve().parent / "golden" / "input"
GOLDEN_EXPECTED = Path(__file__).resolve().parent / "golden" / "expected"
GOLDEN_WEEK = "week1_golden"


def run_python(*args, cwd=REPO, timeout=300, env_extra=None):
    """`python args...` in a child with the repository on sys.path; returns the CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONDONTWRITEBYTECODE="1")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """{posix relative path: bytes} of every file under root, caches left out."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture
def golden_assignments(tmp_path) -> Path:
    """A writable copy of the expected golden output (an assignments root with one week)."""
    root = tmp_path / "assignments"
    shutil.copytree(GOLDEN_EXPECTED, root)
    return root


@pytest.fixture
def solutions_without_notebook(tmp_path) -> Path:
    """A copy of the golden solutions without the master notebook: generates without nbgrader."""
    root = tmp_path / "solutions"
    shutil.copytree(GOLDEN_INPUT, root, ignore=shutil.ignore_patterns("*.ipynb"))
    return root


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The paths and helpers above, for test modules."""
    return SimpleNamespace(REPO=REPO, GOLDEN_INPUT=GOLDEN_INPUT, GOLDEN_EXPECTED=GOLDEN_EXPECTED,
                           GOLDEN_WEEK=GOLDEN_WEEK, run_python=run_python, tree_bytes=tree_bytes)
