"""The notebooks executed in fast mode, once per (week, kind) for the whole session.

Executing a notebook takes from seconds to minutes, so every test that needs an executed notebook asks the
session's `notebook_runs` for it: the first request executes it, later ones (from any test module) get the
same result, or the same error if the execution failed.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest

from tests.notebooks.nbchecks import week_notebooks
from tools import notebooks as tn


@dataclasses.dataclass
class InstructorRun:
    """The instructor notebook generated from the master and executed in fast mode into `out_dir`, and the
    committed files around it."""
    written: list[Path]
    out_dir: Path
    notebook: nbformat.NotebookNode
    committed_before: bytes
    committed_after: bytes
    bench_before: bytes | None          # None: bench/weekN_reference.md does not exist
    bench_after: bytes | None


class NotebookRuns:
    """Fast-mode executions, cached per (week, kind) with kind "master" or "instructor"."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory):
        self._tmp = tmp_path_factory
        self._done: dict[tuple[str, str], object] = {}
        self.executions: list[tuple[str, str]] = []   # what was executed, in order (each key at most once)

    def _cached(self, key: tuple[str, str], run):
        if key not in self._done:
            self.executions.append(key)
            try:
                self._done[key] = run()
            except Exception as error:  # noqa: BLE001 - replayed to every test that asks for this run
                self._done[key] = error
        result = self._done[key]
        if isinstance(result, Exception):
            raise result
        return result

    def master(self, week: str) -> tn.Executed:
        """The master without its instructor cells, executed next to a copy of the reference
        (tools.notebooks.check_master)."""
        def run():
            (done,) = tn.check_master(week, fast=True)
            return done
        return self._cached((week, "master"), run)

    def instructor(self, week: str) -> InstructorRun:
        """The instructor notebook, generated and executed into a temporary folder (tools.notebooks.run_instructor)."""
        files = week_notebooks(week)

        def read(path: Path) -> bytes | None:
            return path.read_bytes() if path.exists() else None

        def run():
            out_dir = self._tmp.mktemp(f"{week}-instructor-fast")
            committed_before, bench_before = files.instructor.read_bytes(), read(files.bench)
            written = tn.run_instructor(week, fast=True, out_dir=out_dir)
            return InstructorRun(written=written, out_dir=out_dir,
                                 notebook=nbformat.read(written[0], as_version=4),
                                 committed_before=committed_before,
                                 committed_after=files.instructor.read_bytes(),
                                 bench_before=bench_before, bench_after=read(files.bench))
        return self._cached((week, "instructor"), run)


@pytest.fixture(scope="session")
def notebook_runs(tmp_path_factory) -> NotebookRuns:
    return NotebookRuns(tmp_path_factory)
