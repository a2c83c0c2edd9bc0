"""assignments/ and notebooks/ are exactly what solutions/ generates.

- assignments/: stubs, the nbgrader student notebook, public tests and handout (`make check-assignments`);
  no cell of a master tagged `instructor` reaches a student notebook, and no rubric or model answer of a
  written question reaches any file of assignments/ (the student notebook keeps each question and its empty
  answer cell).
- notebooks/: each master's instructor notebook, executed in full mode with today's code (`make
  check-notebooks`; tools/instructor_notebook.py).
"""
import re
import subprocess
import sys

import nbformat

from autograder.weeks import ROOT, available_weeks
from tools import instructor_notebook as inb
from tools import rubrics


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
            # A line counts as leaked where it appears in the student notebook not as the tail of a longer name
            # (`velocity = ...` in an instructor cell, `ring_velocity = ...` in a student cell, is no leak).
            leaked = [line for line in long_lines if re.search(r"(?<![\w.])" + re.escape(line), text)]
            assert not leaked, f"{week.folder}: {cell.get('id')}'s text"
        checked += 1
    assert checked, "no week has a master notebook"


def test_instructor_notebooks_are_the_masters_executed_in_full_mode():
    done = subprocess.run([sys.executable, "-m", "tools.notebooks", "check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def test_no_rubric_and_no_model_answer_reaches_assignments():
    checked = 0
    for week in available_weeks():
        master = inb.master_path(week.folder, ROOT / "solutions")
        if not master.is_file():
            continue
        questions = rubrics.week_questions(week.folder)
        assert questions, f"{week.folder}: no written question"
        folder = ROOT / "assignments" / week.folder
        texts = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*"))
                 if p.is_file() and p.suffix in (".py", ".md", ".ipynb")}
        student = nbformat.read(folder / master.name, as_version=4)
        sources = "\n".join(c.source for c in student.cells)
        for q in questions:
            secret = [line.strip() for line in q.mark_scheme.splitlines() if len(line.strip()) > 30]
            assert secret, q.grade_id
            for name, text in texts.items():
                haystack = sources if name == master.name else text   # a notebook's JSON escapes its text
                leaked = [line for line in secret if line in haystack]
                assert not leaked, f"{week.folder}/{name}: {q.grade_id}'s mark scheme: {leaked[0]!r}"
            # The question reaches the student, without its mark scheme, and then the empty answer cell.
            (cell,) = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id") == q.grade_id]
            assert cell.source.strip() == q.question and cell.metadata.nbgrader.task
            following = student.cells[student.cells.index(cell) + 1]
            assert following.get("id") == q.answer_cell_id and following.source == rubrics.ANSWER_PLACEHOLDER
        assert not [name for name, text in texts.items() if "MARK SCHEME" in text or "**Rubric (" in text]
        checked += 1
    assert checked, "no week has a master notebook"
