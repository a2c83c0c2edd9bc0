"""The student notebook, made by nbgrader's own `generate_assignment` in a temporary course directory.

nbgrader copies every file of `source/<week>/` into the release, so the temporary course directory
holds only the master notebooks, never the solution `.py` files. The configuration is the
repository's `nbgrader_config.py` alone (solution and hidden-test delimiters, the code stub), with
no user or system Jupyter configuration, so that the output depends on the notebook and that file
only. The gradebook is a throwaway SQLite file in the same directory. The result is normalized
(nbformat's sorted keys, no outputs or execution counts) so that it is byte-for-byte reproducible.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from tools.markers import (BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION,
                           MarkerError, find_regions)

# nbformat and nbgrader are imported inside the functions that need them: importing nbformat costs
# about 2 s of CPU (jsonschema builds a grammar on import), which a week without notebooks skips.


class NbgraderError(RuntimeError):
    """nbgrader refused a master notebook; the message carries its log."""


def validate_master(path: Path, where: str) -> None:
    """Check the tags and the markers of every cell, naming `where[cell i]:line` on error (cells count from 1).

    nbgrader checks nesting too, but names neither the file nor the line.
    """
    import nbformat

    from tools.instructor_notebook import check_tags

    nb = nbformat.read(path, as_version=4)
    check_tags(nb, where)                 # instructor-only cells are never nbgrader cells
    for index, cell in enumerate(nb.cells, start=1):
        cell_where = f"{where}[cell {index}]"
        find_regions(cell.source, cell_where, BEGIN_SOLUTION, END_SOLUTION)
        hidden = find_regions(cell.source, cell_where, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
        if hidden and not cell.get("metadata", {}).get("nbgrader", {}).get("grade", False):
            raise MarkerError(cell_where, hidden[0].begin,
                              "hidden tests in a cell that is not an autograded test cell")


def normalize(text: str) -> bytes:
    """A notebook as nbformat writes it (sorted keys, one-space indent), ending in a newline."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    nb.metadata.pop("celltoolbar", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    out = nbformat.writes(nb, version=4)
    return (out if out.endswith("\n") else out + "\n").encode("utf-8")


@contextlib.contextmanager
def _environment(**changes: str):
    """Set environment variables for the duration of the block, then restore them."""
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_generate_assignment(course: Path, week: str, config: Path) -> None:
    """nbgrader's `generate_assignment` converter on `course/source/<week>/`, in this process.

    This is what `nbgrader generate_assignment <week> --force` runs, minus the application layer
    that would also read user and system Jupyter configuration: the configuration here is the course
    file alone, plus the temporary course root and gradebook. In-process, nbgrader's imports are
    paid once per process rather than once per week. Raises NbgraderError with nbgrader's log.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader(config.name, path=str(config.parent)).load_config()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    cfg.CourseDirectory.assignment_id = week
    app = GenerateAssignment(coursedir=CourseDirectory(config=cfg), config=cfg)
    app.force = True
    app.create_assignment = True
    # nbgrader's gradebook shells out to `alembic`, installed next to this interpreter.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    with _environment(PATH=path):
        result = capture_log(app)
    if not result["success"]:
        raise NbgraderError(f"nbgrader generate_assignment failed for {week}:\n"
                            f"{result.get('log', '').strip()}\n{result.get('error', '').strip()}")


def generate_student_notebooks(masters: list[Path], week: str, config: Path,
                               display_root: Path | None = None) -> dict[str, bytes]:
    """Run nbgrader's `generate_assignment` on the master notebooks of one week.

    masters: the `*.ipynb` files of `solutions/<week>/`; config: the course `nbgrader_config.py`.
    Returns {notebook file name: normalized student notebook bytes}.
    """
    if not masters:
        return {}
    for path in masters:
        inside = display_root and Path(path).resolve().is_relative_to(Path(display_root).resolve())
        where = os.path.relpath(path, display_root) if inside else str(path)
        validate_master(path, where)
    with tempfile.TemporaryDirectory(prefix="nbgrader-course-") as tmp:
        course = Path(tmp)
        source = course / "source" / week
        source.mkdir(parents=True)
        for path in masters:
            shutil.copyfile(path, source / path.name)
        run_generate_assignment(course, week, Path(config).resolve())
        release = course / "release" / week
        produced = {path.name: release / path.name for path in masters}
        missing = [name for name, path in produced.items() if not path.is_file()]
        if missing:
            raise NbgraderError(f"nbgrader generate_assignment wrote no {', '.join(missing)} "
                                f"for {week}")
        return {name: normalize(path.read_text(encoding="utf-8"))
                for name, path in sorted(produced.items())}
