"""assignments/ and notebooks/ are exactly what solutions/ generates.

- assignments/: stubs, the nbgrader student notebook, public tests and handout (`make check-assignments`);
  no cell of a master tagged `instructor` reaches a student notebook.
- notebooks/: each master's instructor notebook, executed in full mode with today's code (`make
  check-notebooks`; tools/instructor_notebook.py).
"""
import subprocess
import sys

import nbformat

from autograder.weeks import ROOT, available_weeks
from tools import instructor_notebook as inb


def test_assignments_are_up_to_date_with_solutions():
    done = subprocess.run([sys.executable, "-m", "tools.assignments", "check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, "run `make assignments` and commit the result:\n" + done.stdout[-4000:] + done.stderr[-2000:]


def test_no_instructor_cell_reaches_a_student_notebook():
    checked = 0
    for week in available_weeks():
        master = inb.master_path(week.folder, ROOT / "solutions")
        if not master.is_file():
            continue
        instructor = [c for c in nbformat.read(master, as_version=4).cells if inb.INSTRUCTOR_TAG in inb.tags(c)]
        student = nbformat.read(ROOT / "assignments" / week.folder / master.name, as_version=4)
        text = "\n".join(c.source for c in student.cells)
        assert instructor, f"{master.name}: the instructor's header and reference import are tagged"
        for cell in instructor:
            assert cell.get("id") not in {c.get("id") for c in student.cells}, f"{week.folder}: {cell.get('id')}"
            long_lines = [line.strip() for line in cell.source.splitlines() if len(line.strip()) > 40]
            assert not [line for line in long_lines if line in text], f"{week.folder}: {cell.get('id')}'s text"
        checked += 1
    assert checked, "no week has a master notebook"


def test_instructor_notebooks_are_the_masters_executed_in_full_mode():
    done = subprocess.run([sys.executable, "-m", "tools.notebooks", "check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
