"""tools/assignments.py on the golden tree: stubs, verbatim copies, nbgrader's notebook, check, errors.

The golden input and its expected output are in tests/tools/golden/ (see its README). Set
UPDATE_GOLDEN=1 to rewrite the expected output after an intended change, then read the diff.
"""
import os
import shutil

import nbformat
import pytest

from tools.assignments import differences, generate
from tools.markers import MarkerError
from tools.student_notebook import NbgraderError, generate_student_notebooks

SOLUTION_LINE = "return x * x * math.prod([x])"     # inside the notebook's solution region
HIDDEN_LINE = "assert cube(-3) == -27"              # inside the notebook's hidden tests
VISIBLE_LINE = "assert cube(2) == 8, 'cube(2) should be 8'"
ANSWER_LINE = "An odd power of a negative number stays negative"   # the written answer (a solution cell)
RUBRIC_LINE = "Names the property: an odd function, as every odd power is."   # a written question's rubric
MODEL_LINE = "Each of the three factors brings one sign flip"               # and its model answer


@pytest.fixture(scope="module")
def generated(kit, tmp_path_factory):
    """The assignments root written by one real run of the generator (nbgrader included)."""
    out = tmp_path_factory.mktemp("generated") / "assignments"
    assert generate(kit.GOLDEN_INPUT, out) == [kit.GOLDEN_WEEK]
    if os.environ.get("UPDATE_GOLDEN") == "1":
        shutil.rmtree(kit.GOLDEN_EXPECTED, ignore_errors=True)
        shutil.copytree(out, kit.GOLDEN_EXPECTED)
    return out


@pytest.mark.slow  # nbgrader
def test_output_is_the_golden_tree_byte_for_byte(kit, generated):
    have, want = kit.tree_bytes(generated), kit.tree_bytes(kit.GOLDEN_EXPECTED)
    assert sorted(have) == sorted(want)
    assert [name for name in want if have[name] != want[name]] == []


@pytest.mark.slow  # nbgrader
def test_a_second_run_gives_the_same_bytes(kit, generated):
    # `differences` regenerates everything (nbgrader included) in memory and compares bytes.
    assert differences(kit.GOLDEN_INPUT, generated) == []


@pytest.mark.slow  # nbgrader
def test_student_notebook_is_nbgraders_release_with_our_config(kit, generated):
    path = generated / kit.GOLDEN_WEEK / f"{kit.GOLDEN_WEEK}.ipynb"
    text = path.read_text(encoding="utf-8")
    for secret in (SOLUTION_LINE, HIDDEN_LINE, ANSWER_LINE, RUBRIC_LINE, MODEL_LINE, "BEGIN SOLUTION",
                   "HIDDEN TESTS", "MARK SCHEME", "Rubric", "Model answer"):
        assert secret not in text, secret
    nb = nbformat.read(path, as_version=4)
    by_id = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells}
    # The solution region became our one-line stub (nbgrader's default would add "# YOUR CODE HERE",
    # so this also shows that nbgrader_config.py was applied), with the TODO kept.
    assert by_id["cube"].source.endswith(
        "    # TODO: multiply three times.\n    raise NotImplementedError")
    # The autograded cell keeps its visible test, points and lock, with nbgrader's checksum.
    test_cell = by_id["test_cube"]
    assert test_cell.source == VISIBLE_LINE
    assert test_cell.metadata.nbgrader.points == 2 and test_cell.metadata.nbgrader.locked
    assert len(test_cell.metadata.nbgrader.checksum) == 32
    assert by_id["answer_sign"].source == "YOUR ANSWER HERE"
    # The written question (a task cell) keeps its text, points and lock without its mark scheme, and the
    # answer cell after it is the student's, as in the master.
    question = by_id["q1_odd"]
    assert question.source.strip() == "**Question 1 (2 points).** Why is `cube(-x) == -cube(x)` for every number `x`?"
    assert question.metadata.nbgrader.task and question.metadata.nbgrader.points == 2
    assert question.metadata.nbgrader.locked and len(question.metadata.nbgrader.checksum) == 32
    answer = nb.cells[nb.cells.index(question) + 1]
    assert answer.source == "*Write your answer here.*" and "nbgrader" not in answer.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "execution" not in cell.metadata


def test_stale_files_are_removed_and_unchanged_files_left_alone(kit, solutions_without_notebook,
                                                                 tmp_path):
    out = tmp_path / "assignments"
    generate(solutions_without_notebook, out)
    week = out / kit.GOLDEN_WEEK
    (week / "old_module.py").write_text("x = 1\n")
    (week / "tests" / "old").mkdir()
    (week / "tests" / "old" / "test_old.py").write_text("def test_old():\n    pass\n")
    (week / "__pycache__").mkdir()
    (week / "__pycache__" / "toy.cpython-311.pyc").write_bytes(b"cache")
    os.utime(week / "toy.py", (1_000_000_000, 1_000_000_000))
    generate(solutions_without_notebook, out)
    assert not (week / "old_module.py").exists() and not (week / "tests" / "old").exists()
    assert (week / "__pycache__" / "toy.cpython-311.pyc").exists()     # caches are not ours
    assert (week / "toy.py").stat().st_mtime == 1_000_000_000          # not rewritten
    assert sorted(kit.tree_bytes(week)) == ["README.md", "helpers.py", "tests/conftest.py",
                                            "tests/test_toy.py", "toy.py"]


def test_check_passes_when_up_to_date_and_lists_every_difference(kit, solutions_without_notebook,
                                                                  tmp_path):
    out = tmp_path / "assignments"
    generate(solutions_without_notebook, out)
    args = ["-m", "tools.assignments", "check", "--solutions", solutions_without_notebook,
            "--assignments", out]
    ok = kit.run_python(*args, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    week = out / kit.GOLDEN_WEEK
    (week / "toy.py").write_text((week / "toy.py").read_text() + "# edited by hand\n")
    (week / "extra.py").write_text("x = 1\n")
    (week / "README.md").unlink()
    (out / "week2_orphan").mkdir()
    bad = kit.run_python(*args, cwd=tmp_path)
    assert bad.returncode == 1
    for line in (f"differs: assignments/{kit.GOLDEN_WEEK}/toy.py", "-# edited by hand",
                 f"not generated: assignments/{kit.GOLDEN_WEEK}/extra.py",
                 f"missing: assignments/{kit.GOLDEN_WEEK}/README.md",
                 "no solutions folder: assignments/week2_orphan"):
        assert line in bad.stderr, bad.stderr


def test_marker_error_exits_nonzero_naming_file_and_line_and_writes_nothing(
        kit, solutions_without_notebook, tmp_path):
    toy = solutions_without_notebook / kit.GOLDEN_WEEK / "toy.py"
    lines = toy.read_text().splitlines(keepends=True)
    begin = next(i for i, line in enumerate(lines) if "BEGIN SOLUTION" in line)
    lines.insert(begin + 1, lines[begin])          # a nested BEGIN right after the first
    toy.write_text("".join(lines))
    out = tmp_path / "assignments"
    done = kit.run_python("-m", "tools.assignments", "generate", "--solutions",
                          solutions_without_notebook, "--assignments", out, cwd=tmp_path)
    assert done.returncode != 0
    assert f"solutions/{kit.GOLDEN_WEEK}/toy.py:{begin + 2}: nested" in done.stderr, done.stderr
    assert not out.exists()


def test_a_week_without_solutions_is_never_generated(kit, solutions_without_notebook, tmp_path):
    out = tmp_path / "assignments"
    done = kit.run_python("-m", "tools.assignments", "generate", "2", "--solutions",
                          solutions_without_notebook, "--assignments", out, cwd=tmp_path)
    assert done.returncode == 1 and "week2_ar_vae does not exist" in done.stderr, done.stderr
    empty = tmp_path / "empty_solutions"
    empty.mkdir()
    done = kit.run_python("-m", "tools.assignments", "generate", "--solutions", empty,
                          "--assignments", out, cwd=tmp_path)
    assert done.returncode == 0 and "nothing generated" in done.stdout
    assert not out.exists()


def test_a_verbatim_file_with_a_marker_is_refused(kit, solutions_without_notebook, tmp_path):
    public = solutions_without_notebook / kit.GOLDEN_WEEK / "tests" / "test_toy.py"
    public.write_text(public.read_text() + "\n# ### BEGIN HIDDEN TESTS\n")
    with pytest.raises(MarkerError, match=r"tests/test_toy\.py:\d+: 'BEGIN HIDDEN TESTS'"):
        generate(solutions_without_notebook, tmp_path / "assignments")


def _notebook(tmp_path, source, nbgrader_meta):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("Intro"),
                nbformat.v4.new_code_cell(source, metadata={"nbgrader": nbgrader_meta})]
    path = tmp_path / "week1_x.ipynb"
    nbformat.write(nb, path)
    return path


SOLUTION_CELL = {"grade": False, "grade_id": "f", "locked": False, "schema_version": 3,
                 "solution": True, "task": False}


def test_notebook_marker_errors_name_the_cell_and_line(kit, tmp_path):
    nested = "def f():\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n    ### END SOLUTION\n"
    with pytest.raises(MarkerError, match=r"week1_x\.ipynb\[cell 2\]:3: nested"):
        generate_student_notebooks([_notebook(tmp_path, nested, SOLUTION_CELL)], "week1_x",
                                   kit.REPO / "nbgrader_config.py")
    hidden = "x = 1\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS"
    with pytest.raises(MarkerError, match=r"\[cell 2\]:2: hidden tests in a cell that is not"):
        generate_student_notebooks([_notebook(tmp_path, hidden, SOLUTION_CELL)], "week1_x",
                                   kit.REPO / "nbgrader_config.py")


@pytest.mark.slow  # nbgrader
def test_nbgrader_refusal_is_an_error(kit, tmp_path):
    # A solution region in a cell not marked as a solution cell: nbgrader (enforce_metadata) refuses.
    plain = {"grade": False, "grade_id": "g", "locked": False, "schema_version": 3,
             "solution": False, "task": False}
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    with pytest.raises(NbgraderError, match="non-solution cell"):
        generate_student_notebooks([_notebook(tmp_path, source, plain)], "week1_x",
                                   kit.REPO / "nbgrader_config.py")

