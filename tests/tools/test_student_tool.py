"""tools/student.py and tools/weeks.py: the public tests of a week, the submission zip, WEEK."""
import shutil
import zipfile

import pytest

from tools import student, weeks

WEEK1 = "week1_mle_sampling"


# ---------------------------------------------------------------------------------------------
# WEEK argument and graded files
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("arg, folder", [("1", WEEK1), (2, "week2_ar_vae"), ("4", "week4_wgan_sn"),
                                         ("week3_flows_diffusion", "week3_flows_diffusion")])
def test_week_argument_accepts_a_number_or_the_folder_name(arg, folder):
    assert weeks.resolve_week(arg) == folder


@pytest.mark.parametrize("arg", ["0", "5", "week5_x", "mle", ""])
def test_unknown_week_raises_value_error_naming_week(arg):
    with pytest.raises(ValueError, match="WEEK="):
        weeks.resolve_week(arg)


def test_a_number_names_the_week_folder_of_a_given_root(kit):
    assert weeks.resolve_week("1", kit.GOLDEN_INPUT) == kit.GOLDEN_WEEK


def test_the_autograder_reads_the_one_table_of_weeks():
    """autograder.weeks.WEEKS is built from tools/weeks.py's table, and both resolvers agree on it."""
    registry = pytest.importorskip("autograder.weeks", reason="autograder/weeks/ not written yet")
    assert list(registry.WEEKS) == list(weeks.GRADED_FILES)
    for folder, week in registry.WEEKS.items():
        assert week.graded_files == weeks.GRADED_FILES[folder] == weeks.graded_files(folder), folder
        for key in (week.number, str(week.number), f"week{week.number}", folder, f"solutions/{folder}/"):
            assert weeks.resolve_week(key) == folder and registry.get_week(key) is week, key
    with pytest.raises(KeyError):
        registry.get_week(99)


# ---------------------------------------------------------------------------------------------
# python -m tools.student test WEEK
# ---------------------------------------------------------------------------------------------
def test_stubs_give_one_line_per_test_and_a_count_of_functions(kit, golden_assignments):
    done = kit.run_python("-m", "tools.student", "--assignments", golden_assignments, "test", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "not implemented yet: toy.py::square" in lines
    assert "not implemented yet: toy.py::Counter.add" in lines
    assert lines[-2:] == [f"{kit.GOLDEN_WEEK}: 3 functions not implemented yet",
                          "  toy.py: square, mean_of_squares, Counter.add"]


def test_a_finished_week_passes_and_says_so(kit, golden_assignments):
    week = golden_assignments / kit.GOLDEN_WEEK
    shutil.copyfile(kit.GOLDEN_INPUT / kit.GOLDEN_WEEK / "toy.py", week / "toy.py")  # the solution
    done = kit.run_python("-m", "tools.student", "--assignments", golden_assignments, "test",
                          kit.GOLDEN_WEEK, "--", "-k", "not clamp")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed, 1 deselected" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("every public test passes and no tested function "
                                                 "is left as a stub")


# ---------------------------------------------------------------------------------------------
# python -m tools.student submission WEEK
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def toy_graded(monkeypatch, kit):
    """The toy week grades toy.py and helpers.py (through the fallback table)."""
    monkeypatch.setitem(weeks.GRADED_FILES, kit.GOLDEN_WEEK, ("toy.py", "helpers.py"))


def test_submission_zips_exactly_the_graded_files_deterministically(kit, golden_assignments,
                                                                    toy_graded, tmp_path, capsys):
    week = golden_assignments / kit.GOLDEN_WEEK
    (week / "notes.txt").write_text("not graded\n")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    for out in (first, second):
        assert student.main(["--assignments", str(golden_assignments), "submission", "1",
                             "--out", str(out)]) == 0
    assert "helpers.py, toy.py" in capsys.readouterr().out
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["helpers.py", "toy.py"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("toy.py") == (week / "toy.py").read_bytes()


def test_submission_refuses_a_file_that_does_not_import(kit, golden_assignments, toy_graded,
                                                        tmp_path, capsys):
    week = golden_assignments / kit.GOLDEN_WEEK
    (week / "toy.py").write_text("def square(x):\n    return x *\n")
    out = tmp_path / "s.zip"
    args = ["--assignments", str(golden_assignments), "submission", "1", "--out", str(out)]
    assert student.main(args) == 1
    err = capsys.readouterr().err
    assert "toy.py: does not import" in err and "SyntaxError" in err, err
    assert not out.exists()
    assert student.main(args + ["--force"]) == 0 and out.exists()
    (week / "helpers.py").unlink()
    assert student.main(args + ["--force"]) == 1
    assert "missing from" in capsys.readouterr().err


def test_import_check_reports_each_kind_of_failure(kit, golden_assignments, monkeypatch):
    week = golden_assignments / kit.GOLDEN_WEEK
    files = ("toy.py", "helpers.py")
    # Printing on import, even without a newline, is not a failure.
    (week / "toy.py").write_text((week / "toy.py").read_text() + "print('hi', end='')\n")
    assert student.import_problems(week, files) == []
    (week / "helpers.py").write_text("import no_such_module_anywhere\n")
    [problem] = student.import_problems(week, files)
    assert problem.startswith("helpers.py: does not import") and "ModuleNotFoundError" in problem
    (week / "helpers.py").write_text("import os\nos._exit(3)\n")
    [problem] = student.import_problems(week, files)
    assert problem.startswith("helpers.py: the import check stopped (exit status 3)"), problem
    monkeypatch.setattr(student, "IMPORT_TIMEOUT_S", 3)
    (week / "helpers.py").write_text("import time\ntime.sleep(60)\n")
    [problem] = student.import_problems(week, files)
    assert problem.startswith("helpers.py: the import check did not finish within 3 s"), problem


def test_submission_of_the_real_week_one_stubs(kit, tmp_path):
    week = kit.REPO / "assignments" / WEEK1
    if not week.is_dir():
        pytest.skip("assignments/week1_mle_sampling not generated yet (make assignments)")
    out = tmp_path / "week1.zip"
    assert student.main(["submission", "1", "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == sorted(weeks.graded_files(WEEK1))


def test_notebook_command_opens_the_week_folder(kit, golden_assignments, capsys):
    assert student.main(["--assignments", str(golden_assignments), "notebook", "1",
                         "--dry-run"]) == 0
    command = capsys.readouterr().out.strip()
    assert command.endswith(f"-m jupyter lab --notebook-dir={golden_assignments / kit.GOLDEN_WEEK}")
