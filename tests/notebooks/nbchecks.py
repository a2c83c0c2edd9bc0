"""Helpers shared by the notebook tests: where a week's notebooks live, nbgrader's cell kinds, the cell tags,
and what a cell printed.

Every week has an nbgrader master notebook (`solutions/<week>/<week>.ipynb`), the one source, and an
instructor notebook generated from it and executed (`notebooks/<week>.ipynb`, tools/instructor_notebook.py);
`bench/weekN_reference.md` holds the reference results a full run records.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from autograder.weeks import Week, available_weeks
from tools import instructor_notebook as inb
from tools import notebooks as tn


@dataclasses.dataclass(frozen=True)
class WeekNotebooks:
    """The files of one week's notebooks."""
    week: Week

    @property
    def name(self) -> str:
        return self.week.folder

    @property
    def master(self) -> Path:
        return tn.SOLUTIONS_DIR / self.name / f"{self.name}.ipynb"

    @property
    def instructor(self) -> Path:
        return tn.NOTEBOOKS_DIR / f"{self.name}.ipynb"

    @property
    def bench(self) -> Path:
        return tn.REPO_ROOT / "bench" / f"week{self.week.number}_reference.md"


def notebook_weeks() -> list[WeekNotebooks]:
    """The registered weeks whose material exists and that have both notebooks."""
    weeks = [WeekNotebooks(w) for w in available_weeks()]
    return [w for w in weeks if w.master.is_file() and w.instructor.is_file()]


def week_notebooks(folder: str) -> WeekNotebooks:
    (match,) = [w for w in notebook_weeks() if w.name == folder]
    return match


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def kind(cell) -> str:
    """nbgrader's cell kinds: written question (a task cell, tools/rubrics.py), a written answer in nbgrader's
    other form (a markdown grade and solution cell, which the masters no longer use), autograded test, code
    answer, locked, or plain."""
    m = nbgrader_meta(cell)
    if m.get("task"):
        return "written"
    if m.get("grade") and m.get("solution"):
        return "graded markdown answer" if cell.cell_type == "markdown" else "graded code answer"
    if m.get("grade"):
        return "test"
    if m.get("solution"):
        return "solution"
    if m.get("locked"):
        return "locked"
    return "plain"


def cells_of_kind(nb, wanted: str) -> list:
    return [c for c in nb.cells if kind(c) == wanted]


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def errors_and_stderr(cell) -> list[str]:
    out = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            out.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stderr":
            out.append(f"stderr: {output.text[:300]}")
    return out


def error_outputs(nb) -> list:
    return [o for c in code_cells(nb) for o in c.outputs if o.output_type == "error"]


def stream_text(nb) -> str:
    """Everything the code cells printed (stdout and stderr), in order."""
    return "".join(o.get("text", "") for c in code_cells(nb) for o in c.outputs if o.output_type == "stream")


def assert_fits_two_idle_cores(instructor) -> None:
    """A full run whose seeds 1 and 2 ran in forked processes beside the kernel (course/seeds.py) fits 15 minutes
    on 2 idle cores: with fair sharing, the kernel (one thread) never loses more than a quarter of the seeds' CPU
    time, and a seed process never more than half of the kernel's, so kernel + seeds / 2 bounds the wall time.

    A notebook that starts its seed processes in several spans, each collected before the next starts, may print
    one line per span, `seed processes [1, 2] (<span>): CPU time A s and B s, beside K s of the kernel's`: in a
    span, three processes share the 2 cores at 2/3 of a core each until the kernel (K) or the longer seed process
    (S = max(A, B)) is done, then each goes on at a full core, so the span lasts at most max(K, S) + min(K, S) / 2;
    the kernel's CPU time outside the spans runs alone. The bound is then the kernel's CPU time, minus each span's
    K, plus each span's max(K, S) + min(K, S) / 2."""
    printed = stream_text(instructor)
    kernel = float(re.search(r"notebook ran in [0-9.]+ s \(full mode\), CPU time ([0-9.]+) s", printed).group(1))
    spans = [(float(k), max(float(a), float(b))) for a, b, k in re.findall(
        r"seed processes \[1, 2\] \([^)]*\): CPU time ([0-9.]+) s and ([0-9.]+) s, beside ([0-9.]+) s of the kernel's",
        printed)]
    seeds = float(re.search(r"seed processes \[1, 2\]: CPU time ([0-9.]+) s in all", printed).group(1))
    if spans:
        assert sum(k for k, _ in spans) <= kernel and sum(s for _, s in spans) <= seeds, "the spans are within the run"
        bound = kernel + sum(max(k, s) + min(k, s) / 2 - k for k, s in spans)
        assert bound < 900, f"kernel {kernel:.0f} s of CPU time, spans (kernel, longer seed process) {spans}: {bound:.0f} s"
    else:
        assert kernel + seeds / 2 < 900, f"kernel {kernel:.0f} s and seed processes {seeds:.0f} s of CPU time"


def tagged(nb, tag: str) -> list:
    """The cells of `nb` that carry the cell tag `tag` (`instructor` or `student`)."""
    return [c for c in nb.cells if tag in inb.tags(c)]


def shared_code_cells(master) -> list:
    """The master's code cells that the student notebook also runs (not tagged `instructor`)."""
    return [c for c in code_cells(master) if inb.INSTRUCTOR_TAG not in inb.tags(c)]
