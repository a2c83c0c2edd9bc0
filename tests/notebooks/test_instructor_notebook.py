"""tools/instructor_notebook.py and tools/notebooks.py on a toy course: one master, two notebooks, one check.

- The instructor notebook is the master without its `student` cells, with the solutions inline, without
  hidden tests, with a pointer instead of each model answer; nbgrader's generate_assignment (the course
  configuration, as `make assignments` runs it) drops the `instructor` cells from the student notebook.
- A tag that cannot be honoured (both tags; an nbgrader cell tagged `instructor`) stops both generators.
- The check passes on a full run of the generated notebook, and fails on every kind of staleness: text or
  code edited in the master, a fast run, a changed module, cells not executed once in order, an error
  output. `sync` carries the outputs over a text edit and refuses a code edit.
"""
from __future__ import annotations

import copy

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import instructor_notebook as inb
from tools import notebooks as tn
from tools.student_notebook import generate_student_notebooks, validate_master

WEEK = "week9_toy"
MODULE = '"""The toy reference."""\n\n\ndef answer():\n    return 42\n'
ANSWER_LINE = "Because the model answer of the toy master says so, at length."
NOTE_LINE = "What a correct implementation shows: the answer is 42."


def _nbgrader(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _cell(cell, cell_id, tags=(), metadata=None):
    cell["id"] = cell_id
    cell.metadata.update(metadata or {})
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def toy_master() -> nbformat.NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                               "name": "python3"}, "language_info": {"name": "python"}})
    nb.cells = [
        _cell(new_markdown_cell("# Toy\n\nThis notebook runs with **your** `toy.py`."), "student-header",
              tags=[inb.STUDENT_TAG]),
        _cell(new_markdown_cell("# Toy (instructor notebook)"), "instructor-header", tags=[inb.INSTRUCTOR_TAG]),
        _cell(new_code_cell("import sys\nfrom pathlib import Path\n"
                            f"sys.path.insert(0, str(Path.cwd().parent / 'solutions' / '{WEEK}'))"),
              "instructor-reference", tags=[inb.INSTRUCTOR_TAG]),
        _cell(new_code_cell('import os\nFAST = os.environ.get("DGM_FAST") == "1"\nfrom toy import answer\n'
                            "print(f\"mode: {'FAST' if FAST else 'full'}\")"),
              "setup", metadata=_nbgrader("setup", locked=True)),
        _cell(new_code_cell("def twice():\n    ### BEGIN SOLUTION\n    return 2 * answer()\n    ### END SOLUTION"),
              "twice", metadata=_nbgrader("twice", solution=True)),
        _cell(new_code_cell("# Test: twice\nassert twice() == 84\n### BEGIN HIDDEN TESTS\nassert twice() - 84 == 0\n"
                            "### END HIDDEN TESTS"), "test-twice",
              metadata=_nbgrader("test_twice", grade=True, locked=True, points=1)),
        _cell(new_markdown_cell(f"**Question 1 (1 point).** Why 84?\n\n### BEGIN SOLUTION\n{ANSWER_LINE}\n"
                                "### END SOLUTION"), "q1",
              metadata=_nbgrader("q1", grade=True, solution=True, points=1)),
        _cell(new_markdown_cell(NOTE_LINE), "note", tags=[inb.INSTRUCTOR_TAG]),
        _cell(new_code_cell("print('the instructor cell ran')"), "record", tags=[inb.INSTRUCTOR_TAG]),
    ]
    return nb


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A repository with solutions/week9_toy/ (toy.py and its master) and an empty notebooks/."""
    (tmp_path / "solutions" / WEEK).mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "solutions" / WEEK / "toy.py").write_text(MODULE)
    nbformat.write(toy_master(), tmp_path / "solutions" / WEEK / f"{WEEK}.ipynb")
    monkeypatch.setattr(inb, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(tn, "SOLUTIONS_DIR", tmp_path / "solutions")
    monkeypatch.setattr(tn, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    return tmp_path


def _edit_master(root, edit):
    path = root / "solutions" / WEEK / f"{WEEK}.ipynb"
    nb = nbformat.read(path, as_version=4)
    edit({c.get("id"): c for c in nb.cells})
    nbformat.write(nb, path)


def test_the_instructor_notebook_is_the_master_for_the_instructor():
    nb = inb.instructor_view(toy_master(), "toy.ipynb")
    cells = {c.get("id"): c for c in nb.cells}
    assert list(cells) == ["instructor-header", "instructor-reference", "setup", "twice", "test-twice", "q1",
                           "note", "record"], "the student header is left out, nothing else"
    assert cells["twice"].source == "def twice():\n    return 2 * answer()", "the solution inline, no markers"
    assert cells["test-twice"].source == "# Test: twice\nassert twice() == 84", "no hidden tests"
    assert cells["q1"].source == f"**Question 1 (1 point).** Why 84?\n\n{inb.MODEL_ANSWER_POINTER}"
    assert all("nbgrader" not in c.metadata for c in nb.cells)
    assert cells["note"].metadata["tags"] == [inb.INSTRUCTOR_TAG], "tags are kept"
    assert nb.metadata[inb.RECORD_KEY] == {"master": "toy.ipynb"}
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    # The student's view of the master, which check-master executes: everything but the instructor cells.
    assert [c.get("id") for c in inb.student_view(toy_master()).cells] == [
        "student-header", "setup", "twice", "test-twice", "q1"]


@pytest.mark.slow
def test_make_assignments_drops_the_instructor_cells_from_the_student_notebook(tmp_path):
    master = tmp_path / f"{WEEK}.ipynb"
    nbformat.write(toy_master(), master)
    (data,) = generate_student_notebooks([master], WEEK, tn.REPO_ROOT / "nbgrader_config.py").values()
    student = nbformat.reads(data.decode("utf-8"), as_version=4)
    assert [c.get("id") for c in student.cells] == ["student-header", "setup", "twice", "test-twice", "q1"]
    text = data.decode("utf-8")
    for secret in ("instructor notebook", "sys.path.insert", NOTE_LINE, "the instructor cell ran", ANSWER_LINE,
                   "twice() - 84"):
        assert secret not in text, secret
    assert "raise NotImplementedError" in student.cells[2].source and "YOUR ANSWER HERE" in student.cells[4].source


@pytest.mark.parametrize("tags, metadata, message", [
    ([inb.INSTRUCTOR_TAG, inb.STUDENT_TAG], {}, "tagged both"),
    ([inb.INSTRUCTOR_TAG], _nbgrader("locked_setup", locked=True), "cannot be an nbgrader cell"),
    ([inb.INSTRUCTOR_TAG], _nbgrader("test_x", grade=True, locked=True, points=1), "cannot be an nbgrader cell"),
])
def test_a_tag_that_cannot_be_honoured_stops_both_generators(tmp_path, tags, metadata, message):
    nb = toy_master()
    nb.cells.append(_cell(new_code_cell("x = 1"), "bad", tags=tags, metadata=metadata))
    with pytest.raises(inb.TagError, match=rf"toy.ipynb\[cell 10\]: .*{message}"):
        inb.instructor_view(nb, "toy.ipynb")
    nbformat.write(nb, tmp_path / "toy.ipynb")
    with pytest.raises(inb.TagError, match=message):
        validate_master(tmp_path / "toy.ipynb", "toy.ipynb")


def test_module_hash_ignores_comments_and_docstrings(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(MODULE)
    before = inb.module_sha256(path)
    path.write_text(MODULE.replace('"""The toy reference."""', '"""Another docstring."""\n# a comment'))
    assert inb.module_sha256(path) == before
    path.write_text(MODULE.replace("42", "43"))
    assert inb.module_sha256(path) != before


@pytest.mark.slow
def test_the_check_accepts_a_full_run_and_nothing_stale(toy):
    assert any("missing" in p for p in inb.problems(WEEK, toy / "solutions", toy / "notebooks"))
    (written,) = tn.run_instructor(WEEK, fast=False)
    assert written == toy / "notebooks" / f"{WEEK}.ipynb"
    problems = lambda: inb.problems(WEEK, toy / "solutions", toy / "notebooks")  # noqa: E731
    assert problems() == []
    good = written.read_bytes()
    record = inb.execution_record(nbformat.reads(good.decode(), as_version=4))
    assert record["mode"] == "full" and list(record["modules"]) == [f"solutions/{WEEK}/toy.py"]

    # A text edit in the master: the check says to sync, and sync keeps the outputs.
    _edit_master(toy, lambda c: c["note"].__setitem__("source", NOTE_LINE + " Always."))
    assert "run `make sync-notebooks`" in problems()[0]
    assert tn.sync(WEEK) == [f"{WEEK}: regenerated from its master, outputs kept"]
    assert problems() == [] and "Always." in written.read_text()
    synced = written.read_bytes()

    # A code edit in the master: the check asks for a run, and sync refuses to keep the outputs.
    _edit_master(toy, lambda c: c["record"].__setitem__("source", "print('changed')"))
    assert "its code is not the master's" in problems()[0]
    with pytest.raises(tn.NotebookError, match="code changed"):
        tn.sync(WEEK)
    _edit_master(toy, lambda c: c["record"].__setitem__("source", "print('the instructor cell ran')"))
    assert problems() == []

    # The reference's code changes (not a comment): the committed outputs are stale.
    module = toy / "solutions" / WEEK / "toy.py"
    module.write_text(MODULE + "# a comment changes nothing\n")
    assert problems() == []
    module.write_text(MODULE.replace("42", "43"))
    assert any(f"solutions/{WEEK}/toy.py changed" in p for p in problems())
    module.write_text(MODULE)

    # Outputs that do not come from one full run of these cells.
    def tampered(change) -> list[str]:
        nb = nbformat.reads(synced.decode(), as_version=4)
        change(nb)
        written.write_bytes(inb.to_bytes(nb))
        found = problems()
        written.write_bytes(synced)
        return found

    code = lambda nb: [c for c in nb.cells if c.cell_type == "code"]  # noqa: E731
    assert any("not full" in p for p in tampered(
        lambda nb: nb.metadata[inb.RECORD_KEY]["execution"].update(mode="fast")))
    assert any("no execution record" in p for p in tampered(
        lambda nb: nb.metadata[inb.RECORD_KEY].pop("execution")))
    assert any("other code cells" in p for p in tampered(
        lambda nb: nb.metadata[inb.RECORD_KEY]["execution"].update(code_sha256="0" * 64)))
    assert any("not executed once each" in p for p in tampered(
        lambda nb: setattr(code(nb)[-1], "execution_count", None)))
    assert any("not executed once each" in p for p in tampered(
        lambda nb: setattr(code(nb)[-1], "execution_count", 9)))
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])
    assert any("hold errors" in p for p in tampered(lambda nb: code(nb)[-1].outputs.append(error)))
    assert problems() == []


@pytest.mark.slow
def test_a_fast_run_is_not_a_committed_run(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("fast")
    (written,) = tn.run_instructor(WEEK, fast=True, out_dir=out)
    assert not (toy / "notebooks" / f"{WEEK}.ipynb").exists(), "a fast run leaves notebooks/ alone"
    fast = nbformat.read(written, as_version=4)
    assert "mode: FAST" in fast.cells[2].outputs[0]["text"]   # the setup cell
    (toy / "notebooks" / f"{WEEK}.ipynb").write_bytes(written.read_bytes())
    found = inb.problems(WEEK, toy / "solutions", toy / "notebooks")
    assert len(found) == 1 and "executed in 'fast' mode" in found[0]
    with pytest.raises(tn.NotebookError, match="full runs only"):
        tn.run_instructor(WEEK, fast=True, out_dir=toy / "notebooks")
    # A copy whose outputs were removed by hand is caught too (its cells are the generated ones).
    blank = inb.without_execution(copy.deepcopy(fast))
    (toy / "notebooks" / f"{WEEK}.ipynb").write_bytes(inb.to_bytes(blank))
    assert any("no execution record" in p for p in inb.problems(WEEK, toy / "solutions", toy / "notebooks"))
