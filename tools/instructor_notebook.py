"""The instructor notebook of a week, generated from the nbgrader master, and the check of the committed one.

One source: the nbgrader master `solutions/<week>/<week>.ipynb` holds every cell of both notebooks. A cell
tag (the cell's `metadata.tags`, which JupyterLab's property inspector edits) says where a cell goes:

    instructor   only in the instructor notebook; nbgrader's generate_assignment drops it from the student
                 notebook (nbgrader_config.py runs nbconvert's TagRemovePreprocessor first)
    student      only in the student notebook (the header that speaks to the student)

Untagged cells go to both. The instructor notebook, `notebooks/<week>.ipynb`, is the master with
- the `student` cells left out;
- code cells without their solution markers and without their hidden tests;
- written questions (nbgrader task cells, tools/rubrics.py) ending in a pointer instead of their mark scheme
  (rubric and model answer), and without the answer cell that follows each one in the master; a markdown
  solution cell (nbgrader's other form of a written answer) ends in the same pointer instead of its answer;
- no nbgrader metadata (it is not an nbgrader notebook); cell ids and tags kept;
- `metadata.dgm_course.master`: the master's path.

tools/notebooks.py executes it and adds `metadata.dgm_course.execution`: the mode ("full" or "fast"), the hash
of the code cells it ran (`code_sha256`), and every module of the repository the kernel had imported at the
end of the run (the reference `solutions/<week>/*.py`, `course/`, `data/`) with the hash of its code
(`module_sha256`: the syntax tree without docstrings, so that editing a comment or a docstring needs no new
run). `problems(week)` says why a committed notebook is not the master's instructor notebook executed in full
mode with today's code, and what to run.
"""
from __future__ import annotations

import ast
import copy
import difflib
import hashlib
from pathlib import Path

import nbformat

from tools.markers import (BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION, find_regions)
from tools.rubrics import BEGIN_MARK_SCHEME, END_MARK_SCHEME, answer_cell_ids, is_task
from tools.weeks import REPO_ROOT

INSTRUCTOR_TAG = "instructor"
STUDENT_TAG = "student"
RECORD_KEY = "dgm_course"              # notebook metadata written by this module and tools/notebooks.py
MODEL_ANSWER_POINTER = ("*(A written question of the assignment, graded by hand; its rubric and model answer are "
                        "in the nbgrader master notebook and in the output of `make rubrics`, not here.)*")


class TagError(ValueError):
    """A master notebook whose tags cannot be honoured; the message names the notebook and the cell."""


def master_path(week: str, solutions: Path | None = None) -> Path:
    return (solutions or REPO_ROOT / "solutions") / week / f"{week}.ipynb"


def instructor_path(week: str, notebooks: Path | None = None) -> Path:
    return (notebooks or REPO_ROOT / "notebooks") / f"{week}.ipynb"


def display(path: Path) -> str:
    """A path relative to the repository when it is in it, for messages."""
    path = Path(path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def check_tags(nb: nbformat.NotebookNode, where: str) -> None:
    """A cell is in one notebook or both, and nothing nbgrader grades or restores is instructor-only.

    An instructor cell with nbgrader metadata would silently take points or a locked cell out of the
    student notebook (cells count from 1, as in tools/student_notebook.py).
    """
    for index, cell in enumerate(nb.cells, start=1):
        found = tags(cell)
        if {INSTRUCTOR_TAG, STUDENT_TAG} <= found:
            raise TagError(f"{where}[cell {index}]: tagged both {INSTRUCTOR_TAG!r} and {STUDENT_TAG!r}")
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if INSTRUCTOR_TAG in found and any(meta.get(k) for k in ("grade", "solution", "locked", "task")):
            raise TagError(f"{where}[cell {index}]: an {INSTRUCTOR_TAG!r} cell is dropped from the student "
                           f"notebook, so it cannot be an nbgrader cell (grade_id {meta.get('grade_id')!r})")


def _without_regions(source: str, where: str, begin: str, end: str, replacement: list[str]) -> str:
    """`source` with each begin..end region (markers included) replaced by `replacement` lines."""
    regions = find_regions(source, where, begin, end)
    lines = source.split("\n")
    for region in reversed(regions):
        lines[region.begin - 1:region.end] = replacement
    return "\n".join(lines)


def _code_source(source: str, where: str) -> str:
    """A code cell as the instructor runs it: the solution inline (markers dropped), hidden tests dropped."""
    source = _without_regions(source, where, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, [])
    find_regions(source, where, BEGIN_SOLUTION, END_SOLUTION)          # well-formed before the markers go
    kept = [line for line in source.split("\n") if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)]
    return "\n".join(kept).rstrip()


def _markdown_source(cell, where: str) -> str:
    """A markdown cell: a written question's mark scheme, or a written answer's model answer, becomes the pointer."""
    source = _without_regions(cell.source, where, BEGIN_MARK_SCHEME, END_MARK_SCHEME,
                              [MODEL_ANSWER_POINTER] if is_task(cell) else [])
    if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
        source = _without_regions(source, where, BEGIN_SOLUTION, END_SOLUTION, [MODEL_ANSWER_POINTER])
    return source.rstrip()


def instructor_view(master: nbformat.NotebookNode, master_name: str) -> nbformat.NotebookNode:
    """The instructor notebook made from a master notebook (not executed). `master_name` is for messages."""
    check_tags(master, master_name)
    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(master.metadata)
    nb.metadata[RECORD_KEY] = {"master": master_name}
    answers = answer_cell_ids(master)          # the student's answer cells: nothing for the instructor
    for index, cell in enumerate(master.cells, start=1):
        if STUDENT_TAG in tags(cell) or cell.get("id") in answers:
            continue
        where = f"{master_name}[cell {index}]"
        metadata = {k: copy.deepcopy(v) for k, v in cell.get("metadata", {}).items() if k != "nbgrader"}
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(_code_source(cell.source, where), metadata=metadata)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(_markdown_source(cell, where), metadata=metadata)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, metadata=metadata)
        new["id"] = cell.get("id") or f"cell-{index}"
        nb.cells.append(new)
    return nb


def student_view(master: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The master without its instructor cells: what the student notebook runs, with the solutions in."""
    nb = copy.deepcopy(master)
    nb.cells = [cell for cell in nb.cells if INSTRUCTOR_TAG not in tags(cell)]
    return nb


def generate(week: str, solutions: Path | None = None) -> nbformat.NotebookNode:
    """The instructor notebook of `week`, from `solutions/<week>/<week>.ipynb`."""
    path = master_path(week, solutions)
    return instructor_view(nbformat.read(path, as_version=4), display(path))


def to_bytes(nb: nbformat.NotebookNode) -> bytes:
    """A notebook as nbformat writes it, ending in a newline (the masters' format)."""
    text = nbformat.writes(nb, version=4)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# What a run depends on
# ---------------------------------------------------------------------------------------------
def code_sha256(nb: nbformat.NotebookNode) -> str:
    """Hash of the code cells' sources, in order: what the outputs depend on inside the notebook."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def module_sha256(path: Path) -> str:
    """Hash of a module's code: its syntax tree without docstrings (comments are not in the tree)."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    return hashlib.sha256(ast.dump(_strip_docstrings(tree)).encode("utf-8")).hexdigest()


def repository_modules(files: list[str]) -> dict[str, str]:
    """{path relative to the repository: module_sha256} of the files that are repository modules.

    `files` are the `__file__` of the modules a kernel imported; installed packages (anything under a
    site-packages folder or the virtual environment) are left out.
    """
    root = REPO_ROOT.resolve()
    found = {}
    for name in files:
        if not Path(name).is_absolute():        # a module made from a string or a relative path: not a file
            continue
        path = Path(name).resolve()
        if path.suffix != ".py" or not path.is_relative_to(root) or not path.is_file():
            continue
        relative = path.relative_to(root)
        if relative.parts[0].startswith(".") or "site-packages" in relative.parts:
            continue
        found[relative.as_posix()] = module_sha256(path)
    return dict(sorted(found.items()))


def execution_record(nb: nbformat.NotebookNode) -> dict | None:
    return nb.metadata.get(RECORD_KEY, {}).get("execution")


def without_execution(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without outputs, execution counts and execution record: the sources it ran."""
    nb = copy.deepcopy(nb)
    nb.metadata.get(RECORD_KEY, {}).pop("execution", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def carry_outputs(generated: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """`generated` with the outputs, counts and execution record of `executed`, whose code cells must match."""
    if code_sha256(generated) != code_sha256(executed):
        raise ValueError("the code cells differ: the outputs cannot be carried over")
    out = copy.deepcopy(generated)
    ran = [c for c in executed.cells if c.cell_type == "code"]
    for cell, old in zip((c for c in out.cells if c.cell_type == "code"), ran):
        cell.outputs, cell.execution_count = copy.deepcopy(old.outputs), old.execution_count
    record = execution_record(executed)
    if record is not None:
        out.metadata[RECORD_KEY]["execution"] = copy.deepcopy(record)
    return out


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------
def _first_difference(have: nbformat.NotebookNode, want: nbformat.NotebookNode, code_only: bool,
                      max_lines: int = 12) -> list[str]:
    """Where the committed sources first differ from the generated ones (code cells only, or any), in short."""
    pairs = list(enumerate(zip(have.cells, want.cells), start=1))
    if code_only:
        pairs = list(enumerate(zip([c for c in have.cells if c.cell_type == "code"],
                                   [c for c in want.cells if c.cell_type == "code"]), start=1))
    for index, (a, b) in pairs:
        if (a.cell_type, a.source, a.get("id"), a.metadata) != (b.cell_type, b.source, b.get("id"), b.metadata):
            diff = list(difflib.unified_diff(a.source.splitlines(), b.source.splitlines(), "committed",
                                             "generated", lineterm="", n=1))
            what = "source" if a.source != b.source else "cell type, id or metadata"
            where = f"code cell {index}" if code_only else f"cell {index}"
            return [f"first difference: {where} (id {b.get('id')}, {what})"] + \
                ["    " + line for line in diff[:max_lines]]
    if len(have.cells) != len(want.cells):
        kind = "code cells" if code_only else "cells"
        count = (lambda nb: sum(c.cell_type == "code" for c in nb.cells)) if code_only else (lambda nb: len(nb.cells))
        return [f"{count(have)} {kind} committed, {count(want)} generated"]
    return ["the notebook metadata differs"]


def check_notebook(committed: nbformat.NotebookNode, generated: nbformat.NotebookNode, week: str,
                   label: str) -> list[str]:
    """Why `committed` (named `label` in messages) is not `generated` executed in full mode; [] if it is."""
    number = week[len("week"):].split("_")[0]
    rerun = f"run `make notebooks WEEK={number}` (a full run) and commit the notebook"
    found = []
    if to_bytes(without_execution(committed)) != to_bytes(generated):
        same_code = code_sha256(committed) == code_sha256(generated)
        if same_code:
            found.append(f"{label}: its text is not the master's (the code is); run `make sync-notebooks`")
        else:
            found.append(f"{label}: its code is not the master's; {rerun}")
        difference = _first_difference(without_execution(committed), generated, code_only=not same_code)
        return found + ["    " + line for line in difference]
    record = execution_record(committed)
    if record is None:
        return [f"{label}: no execution record (never executed by tools.notebooks); {rerun}"]
    if record.get("mode") != "full":
        found.append(f"{label}: executed in {record.get('mode')!r} mode, not full; {rerun}")
    if record.get("code_sha256") != code_sha256(generated):
        found.append(f"{label}: the outputs come from other code cells than these; {rerun}")
    modules = record.get("modules") or {}
    if not any(name.startswith(f"solutions/{week}/") for name in modules):
        found.append(f"{label}: the run did not import the reference solutions/{week}/; {rerun}")
    for name, digest in modules.items():
        module = REPO_ROOT / name
        if not module.is_file():
            found.append(f"{label}: the run imported {name}, which no longer exists; {rerun}")
        elif module_sha256(module) != digest:
            found.append(f"{label}: {name} changed (its code, not only comments or docstrings) since the run; "
                         f"{rerun}")
    code = [c for c in committed.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    if counts != list(range(1, len(code) + 1)):
        found.append(f"{label}: the code cells were not executed once each, in order, in one kernel "
                     f"(execution counts {counts}); {rerun}")
    errors = [o.get("ename") for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        found.append(f"{label}: the committed outputs hold errors ({', '.join(map(str, errors))}); {rerun}")
    return found


def problems(week: str, solutions: Path | None = None, notebooks: Path | None = None) -> list[str]:
    """Why `notebooks/<week>.ipynb` is not the master's instructor notebook executed in full mode; [] if it is."""
    path = instructor_path(week, notebooks)
    generated = generate(week, solutions)
    if not path.is_file():
        number = week[len("week"):].split("_")[0]
        return [f"{display(path)}: missing; run `make notebooks WEEK={number}` (a full run) and commit it"]
    return check_notebook(nbformat.read(path, as_version=4), generated, week, display(path))
