"""tools.gradebook end to end, on the real nbgrader database of a temporary course root.

nbgrader generate_assignment (the week-1 master), a collection of two students (the reference answers,
and the untouched student notebook with the stub files), nbgrader autograde in fast mode, a manual
grade entered through nbgrader's Gradebook API as the formgrader does, nbgrader export, and the merge
with a small autograder gradebook.csv written here. Every expected number is derived from the master's
cell metadata and from the CSV this test writes.

The written questions are nbgrader task cells (tools/rubrics.py): the collected notebooks hold no rubric,
autograde restores it (nbgrader's mark scheme) in the autograded notebooks that formgrader shows, the
feedback nbgrader makes for students leaves it out, and their points wait for a TA whatever the answer
cell holds.
"""
from __future__ import annotations

import csv

import nbformat
import pytest
from nbgrader.api import Gradebook

from tools import gradebook as gbk
from tools import rubrics

WEEK = "week1_mle_sampling"
MASTER = gbk.REPO_ROOT / "solutions" / WEEK / f"{WEEK}.ipynb"
AUTOGRADER_MAX = 50.0
AUTOGRADER_ROWS = {"week1-reference": 50.0, "week1-stub": 0.0, "week1-late": 31.5}  # no notebook for -late
MANUAL_CELL, MANUAL_SCORE = "q3_kl", 2.5


def master_points() -> tuple[float, float, list[str]]:
    """(points of the autograded tests, points of the written questions, their grade ids)."""
    tests, written, ids = 0.0, 0.0, []
    for cell in nbformat.read(MASTER, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("task") or (meta.get("grade") and meta.get("solution")):
            written += meta["points"]
            ids.append(meta["grade_id"])
        elif meta.get("grade"):
            tests += meta["points"]
    return tests, written, ids


def write_autograder_csv(folder):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "gradebook.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "density.categorical_nll_matches_reference", "total", "max_total"])
        for name, total in AUTOGRADER_ROWS.items():
            writer.writerow([name, total, total, AUTOGRADER_MAX])


def sources(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def read_rows(path):
    with open(path, newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def test_autograder_gradebook_is_found_per_week_or_at_the_top(tmp_path):
    assert gbk.autograder_csv_path(tmp_path, WEEK) == tmp_path / "gradebook.csv"
    (tmp_path / WEEK).mkdir()
    (tmp_path / WEEK / "gradebook.csv").write_text("submission,total,max_total\nweek1-x,1,2\n")
    assert gbk.autograder_csv_path(tmp_path, WEEK) == tmp_path / WEEK / "gradebook.csv"
    assert gbk.read_autograder(tmp_path / WEEK / "gradebook.csv") == ({"week1-x": (1.0, 2.0)}, 2.0)
    (tmp_path / "gradebook.csv").write_text("name,score\n")
    with pytest.raises(gbk.GradebookError, match="max_total"):
        gbk.read_autograder(tmp_path / "gradebook.csv")


def test_nothing_collected_says_so(tmp_path):
    with pytest.raises(gbk.GradebookError, match="nothing to grade"):
        gbk.make_gradebook(tmp_path / "grades", tmp_path / "course", WEEK, fast=True, sample=False)


@pytest.mark.slow
def test_autograde_manual_grade_export_and_merge(tmp_path, capsys):
    grades, root = tmp_path / "grades", tmp_path / "course"
    write_autograder_csv(grades)
    test_points, written_points, written_ids = master_points()
    assert MANUAL_CELL in written_ids

    # 1. Sample collection, generate_assignment, autograde (fast), export, merge.
    gbk.make_gradebook(grades, root, WEEK, fast=True, sample=True)
    assert "SAMPLE collection" in capsys.readouterr().out
    reference_nb = nbformat.read(root / "submitted" / "week1-reference" / WEEK / f"{WEEK}.ipynb", as_version=4)
    stub_nb = nbformat.read(root / "submitted" / "week1-stub" / WEEK / f"{WEEK}.ipynb", as_version=4)
    questions = rubrics.questions(nbformat.read(MASTER, as_version=4), "master")
    assert [q.grade_id for q in questions] == written_ids
    assert "BEGIN SOLUTION" not in sources(reference_nb) and "BEGIN HIDDEN TESTS" not in sources(stub_nb)
    for nb in (reference_nb, stub_nb):        # what a student hands in holds no rubric
        assert "MARK SCHEME" not in sources(nb) and "**Rubric (" not in sources(nb)
    # The sample reference answers each written question with its model answer; the stub leaves it.
    assert rubrics.ANSWER_PLACEHOLDER not in sources(reference_nb)
    assert questions[0].model_answer in sources(reference_nb)
    assert sources(stub_nb).count(rubrics.ANSWER_PLACEHOLDER) == len(written_ids)
    # The autograded notebook, which formgrader shows the TA, has each question's mark scheme back.
    autograded = nbformat.read(root / "autograded" / "week1-stub" / WEEK / f"{WEEK}.ipynb", as_version=4)
    for q in questions:
        (cell,) = [c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == q.grade_id]
        assert rubrics.BEGIN_MARK_SCHEME in cell.source and q.rubric_text in cell.source, q.grade_id
    # nbgrader's feedback for the student, made from that notebook, leaves the mark scheme out again
    # (nbgrader_config.py), and keeps the questions.
    gbk.nbgrader(root, "generate_feedback", WEEK)
    html = (root / "feedback" / "week1-stub" / WEEK / f"{WEEK}.html").read_text(encoding="utf-8")
    assert "Question 1 (" in html and "Question 6 (" in html
    assert "MARK SCHEME" not in html and "Rubric (" not in html and "Model answer" not in html
    assert "No credit" not in html

    rows = read_rows(grades / "combined_gradebook.csv")
    assert set(rows) == set(AUTOGRADER_ROWS)
    ref, stub, late = rows["week1-reference"], rows["week1-stub"], rows["week1-late"]
    # The reference passes every autograded test; its written answers wait for a TA.
    assert float(ref["nbgrader_auto"]) == test_points
    assert ref["nbgrader_manual"] == "" and int(ref["nbgrader_ungraded"]) == len(written_ids)
    assert float(ref["nbgrader_max"]) == test_points + written_points
    assert float(ref["combined_total"]) == AUTOGRADER_ROWS["week1-reference"] + test_points
    assert "manual grading" in ref["missing"]
    # The stub fails every test; its written questions wait for a TA too (nbgrader cannot tell an empty
    # answer cell from an answer: only a person grades a task cell).
    assert float(stub["nbgrader_auto"]) == 0 and stub["nbgrader_manual"] == ""
    assert int(stub["nbgrader_ungraded"]) == len(written_ids) and "manual grading" in stub["missing"]
    # A submission the autograder graded but whose notebook was never collected keeps its row.
    assert late["nbgrader_auto"] == late["nbgrader_manual"] == "" and late["missing"] == "nbgrader"
    assert float(late["autograder_score"]) == 31.5 and float(late["combined_total"]) == 31.5
    assert float(late["combined_max"]) == AUTOGRADER_MAX + test_points + written_points

    # 2. A TA grades one written answer, as formgrader's API handler does.
    with Gradebook(gbk.db_url(root.resolve()), course_id=gbk.course_id()) as gb:
        grade = gb.find_grade(MANUAL_CELL, WEEK, WEEK, "week1-reference")
        grade.manual_score = MANUAL_SCORE
        grade.needs_manual_grade = False
        gb.db.commit()

    # 3. Again: generate_assignment --force keeps the grade, autograde skips the graded notebooks.
    gbk.make_gradebook(grades, root, WEEK, fast=True)
    rows = read_rows(grades / "combined_gradebook.csv")
    ref = rows["week1-reference"]
    assert float(ref["nbgrader_manual"]) == MANUAL_SCORE
    assert int(ref["nbgrader_ungraded"]) == len(written_ids) - 1
    assert float(ref["combined_total"]) == AUTOGRADER_ROWS["week1-reference"] + test_points + MANUAL_SCORE
    assert float(ref["combined_max"]) == AUTOGRADER_MAX + test_points + written_points
    # nbgrader's own export agrees (raw score = automatic + manual).
    with open(grades / "nbgrader_grades.csv", newline="") as handle:
        exported = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert float(exported["week1-reference"]["raw_score"]) == test_points + MANUAL_SCORE
    assert float(exported["week1-reference"]["max_score"]) == test_points + written_points
