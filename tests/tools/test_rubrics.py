"""tools/rubrics.py: the form of a written question (a task cell with its rubric and model answer, then the
student's answer cell), the errors that name the cell, and `make rubrics`.

The masters' own questions are checked in tests/notebooks/test_notebooks.py; what reaches students in
tests/weeks/test_generated_material.py and tests/tools/test_release.py.
"""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import rubrics
from tools.student_notebook import validate_master
from tools.weeks import WEEK_NAMES

RUBRIC = ("**Rubric (2 points).**\n"
          "- **1.5 pt.** Says that 84 is twice 42,\n"
          "  with the product written out. *No credit:* any other number.\n"
          "- **0.5 pt.** Names the factor. *No credit:* a factor of 3.")
MODEL = "84 is 2 times 42.\n\nA second paragraph."


def question_source(number=1, points="2 points", rubric=RUBRIC, model=MODEL, after=""):
    return (f"**Question {number} ({points}).** Why 84?\n\n{rubrics.BEGIN_MARK_SCHEME}\n{rubric}\n\n"
            f"{rubrics.MODEL_ANSWER} {model}\n{rubrics.END_MARK_SCHEME}{after}")


def task(source, grade_id="q1_why", points=2, **changes):
    meta = {"grade": False, "grade_id": grade_id, "locked": True, "points": points, "schema_version": 3,
            "solution": False, "task": True}
    meta.update(changes)
    cell = new_markdown_cell(source, metadata={"nbgrader": meta})
    cell["id"] = grade_id
    return cell


def answer(text=rubrics.ANSWER_PLACEHOLDER, metadata=None):
    cell = new_markdown_cell(text, metadata=metadata or {})
    cell["id"] = "answer"
    return cell


def notebook(*cells):
    nb = new_notebook()
    nb.cells = [new_code_cell("x = 1"), *cells]
    return nb


def test_a_question_in_form_is_parsed():
    (q,) = rubrics.questions(notebook(task(question_source()), answer()), "toy.ipynb")
    assert (q.grade_id, q.points, q.cell, q.cell_id, q.answer_cell_id) == ("q1_why", 2.0, 2, "q1_why", "answer")
    assert q.question == "**Question 1 (2 points).** Why 84?"
    assert [(i.points, i.text) for i in q.rubric] == [
        (1.5, "Says that 84 is twice 42, with the product written out. *No credit:* any other number."),
        (0.5, "Names the factor. *No credit:* a factor of 3.")]
    assert q.rubric_text == RUBRIC and q.model_answer == MODEL
    assert q.mark_scheme == f"{RUBRIC}\n\n{rubrics.MODEL_ANSWER} {MODEL}"
    assert rubrics.answer_cell_ids(notebook(task(question_source()), answer())) == {"answer"}


BAD = [
    (lambda: [task(question_source(rubric=RUBRIC.replace("0.5 pt.", "1 pt."))), answer()],
     r"bullets add up to 2.5 points, the cell's are 2"),
    (lambda: [task(question_source(rubric=RUBRIC.replace(" *No credit:* a factor of 3.", ""))), answer()],
     r"every bullet says what earns the point, then '\*No credit:\*'"),
    (lambda: [task(question_source(rubric=RUBRIC.replace("*No credit:* any", "*No\n  credit:* any"))), answer()],
     r"once, on one line"),
    (lambda: [task(question_source(rubric=RUBRIC.replace("(2 points)", "(3 points)"))), answer()],
     r"the rubric says 3 points, the cell's nbgrader points are 2"),
    (lambda: [task(question_source(rubric=RUBRIC.replace("0.5 pt.", "0.3 pt.").replace("1.5 pt.", "1.7 pt."))),
              answer()], r"positive multiples of 0.5"),
    (lambda: [task(question_source(rubric=RUBRIC + "\nA loose remark.")), answer()], r"not a bullet"),
    (lambda: [task(question_source(rubric=RUBRIC.split("\n", 1)[1])), answer()], r"must start with '\*\*Rubric"),
    (lambda: [task(question_source(model="")), answer()], r"the model answer is empty"),
    (lambda: [task(question_source().replace(rubrics.MODEL_ANSWER, "Model:")), answer()], r"no '\*\*Model answer"),
    (lambda: [task(question_source(), grade_id="why"), answer()], r"grade_id 'why' is not of the form"),
    (lambda: [task(question_source(number=2)), answer()], r"q1_why \(2 points\) does not match its text 'Question 2"),
    (lambda: [task(question_source(), points=3), answer()], r"q1_why \(3 points\) does not match its text"),
    (lambda: [task(question_source(), locked=False), answer()], r"is locked, with grade and solution false"),
    (lambda: [task(question_source(), grade=True), answer()], r"is locked, with grade and solution false"),
    (lambda: [task(question_source(after="\nMore text.")), answer()], r"nothing may follow"),
    (lambda: [task(question_source().split(rubrics.BEGIN_MARK_SCHEME)[0]), answer()], r"exactly one mark-scheme"),
    (lambda: [task(question_source())], r"must be followed by its answer cell"),
    (lambda: [task(question_source()), answer("An answer left in the master.")], r"must be followed by its answer"),
    (lambda: [task(question_source()), answer(metadata={"nbgrader": {"grade_id": "a"}})], r"followed by its answer"),
    (lambda: [task(question_source()), answer(metadata={"tags": ["instructor"]})], r"no cell tag"),
    (lambda: [new_markdown_cell(question_source())], r"\[cell 2\]: a mark scheme outside a task cell"),
    (lambda: [task(question_source(number=2), grade_id="q2_why"), answer()], r"numbered \[2\], not 1 to 1"),
]


@pytest.mark.parametrize("cells, message", BAD)
def test_a_question_out_of_form_is_refused_naming_its_cell(cells, message):
    with pytest.raises(rubrics.RubricError, match=message) as caught:
        rubrics.questions(notebook(*cells()), "toy.ipynb")
    assert str(caught.value).startswith("toy.ipynb"), "the message names the notebook (and the cell)"


def test_make_assignments_refuses_a_master_with_a_question_out_of_form(tmp_path):
    nb = notebook(task(question_source(rubric=RUBRIC.replace("0.5 pt.", "1 pt."))), answer())
    nbformat.write(nb, tmp_path / "toy.ipynb")
    with pytest.raises(rubrics.RubricError, match=r"^toy.ipynb\[cell 2\]: the rubric's bullets add up"):
        validate_master(tmp_path / "toy.ipynb", "toy.ipynb")


def test_make_rubrics_writes_every_question_of_every_week(kit, tmp_path):
    done = kit.run_python("-m", "tools.rubrics", "--out", tmp_path / "rubrics")
    assert done.returncode == 0, done.stderr
    for week in WEEK_NAMES:
        found = rubrics.week_questions(week)
        text = (tmp_path / "rubrics" / f"{week}.md").read_text(encoding="utf-8")
        assert f"{len(found)} questions, {sum(q.points for q in found):g} points" in text
        assert f"rubrics/{week}.md: {len(found)} questions" in done.stdout
        for q in found:
            assert f"## {q.grade_id} ({q.points:g} points)\n\n{q.question}\n\n{q.rubric_text}\n\n" in text
            assert f"{rubrics.MODEL_ANSWER} {q.model_answer}" in text
        assert "MARK SCHEME" not in text
    one = tmp_path / "one"
    done = kit.run_python("-m", "tools.rubrics", "--week", "3", "--out", one)
    assert done.returncode == 0 and [p.name for p in one.iterdir()] == ["week3_flows_diffusion.md"]
