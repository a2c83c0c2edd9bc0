"""tools/release.py: the student bundle holds no solution, no hidden test, no rubric, nothing from autograder/,
and no answer to a week that is open in it.

The leak scan here is written independently of tools/markers.py and of the release's own scan: it
reads the raw text of solutions/ and the notebooks' JSON, and it is shown to catch planted leaks. The
week rule: the bundle released with week N holds the assignments of weeks 1 to N, and a course module that
declares it answers a graded function (`# release: answers <week> <file>.<function>`) only when that week is
before N; the oracle flags such a module's lines, and the test accepts them only there.
"""
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools import release
from tools.ziputil import write_zip

MIN_LINE = 25  # shorter lines (`return x`) occur in any code; 25+ characters are evidence
BEGINS = {"### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS", "### BEGIN MARK SCHEME"}
ENDS = {"### END SOLUTION", "### END HIDDEN TESTS", "### END MARK SCHEME"}
PLANTED_HIDDEN = "assert toy.square(-4) == 16  # hidden check of the sign handling"


# ---------------------------------------------------------------------------------------------
# The independent oracle
# ---------------------------------------------------------------------------------------------
def _split(text: str, whole_is_secret: bool = False) -> tuple[list[str], list[str]]:
    """(lines inside regions, lines outside), markers excluded; a solution cell without a region
    is secret as a whole, since nbgrader replaces all of it."""
    inside, outside, depth = [], [], 0
    lines = text.splitlines()
    if whole_is_secret and not any(line.strip() in BEGINS for line in lines):
        return lines, []
    for line in lines:
        if line.strip() in BEGINS:
            depth += 1
        elif line.strip() in ENDS:
            depth -= 1
        else:
            (inside if depth else outside).append(line)
    return inside, outside


def secret_lines(solutions: Path) -> set[str]:
    """Stripped lines of 25+ characters inside any region of solutions/ and never outside one."""
    inside, outside = [], []
    for path in sorted(solutions.rglob("*")):
        if path.suffix == ".py":
            pieces = [_split(path.read_text(encoding="utf-8"))]
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            pieces = [_split("".join(c["source"]) if isinstance(c["source"], list) else c["source"],
                             whole_is_secret=c.get("metadata", {}).get("nbgrader", {})
                             .get("solution", False)) for c in cells]
        else:
            pieces = [_split(path.read_text(encoding="utf-8"))] if path.name == "README.md" else []
        for secret, public in pieces:
            inside += secret
            outside += public
    long = lambda lines: {line.strip() for line in lines if len(line.strip()) >= MIN_LINE}
    return long(inside) - long(outside)


def bundle_lines(data: bytes, name: str) -> list[str]:
    """The text lines of one bundle file; for a notebook, the lines of its cells' sources."""
    text = data.decode("utf-8")
    if name.endswith(".ipynb"):
        cells = json.loads(text)["cells"]
        return [line for c in cells for line in
                ("".join(c["source"]) if isinstance(c["source"], list) else c["source"]).splitlines()]
    return text.splitlines()


# The pre-flight of `make check` (sandbox, child runtime, runner): public code of autograder/, shipped on purpose.
PREFLIGHT = {"autograder/__init__.py", "autograder/sandbox.py", "autograder/preflight.py",
             "autograder/runtime/child.py", "autograder/runtime/protocol.py", "autograder/runtime/preflight.py"}


def leaks_in(bundle: Path, root: Path) -> list[str]:
    """Everything in the zip that should not be there, judged against the repository at root."""
    secrets = secret_lines(root / "solutions")
    grader_files = {p.read_bytes() for p in (root / "autograder").rglob("*")
                    if p.is_file() and len(p.read_bytes().strip()) >= 64}
    found = []
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            parts = Path(name).parts[1:]  # below the top-level folder
            if "solutions" in parts or (parts[0] == "autograder" and "/".join(parts) not in PREFLIGHT):
                found.append(f"path {name}")
            data = archive.read(name)
            if data in grader_files and "/".join(parts) not in PREFLIGHT:
                found.append(f"autograder file {name}")
            try:
                lines = bundle_lines(data, name)
            except UnicodeDecodeError:
                continue
            for line in lines:
                if line.strip() in secrets:
                    found.append(f"secret line in {name}: {line.strip()}")
                if any(marker in line for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "BEGIN MARK SCHEME",
                                                     "END SOLUTION", "END HIDDEN TESTS", "END MARK SCHEME")):
                    found.append(f"marker in {name}: {line.strip()}")
    return found


# ---------------------------------------------------------------------------------------------
# A fake repository: the golden solutions, their assignments, an autograder with hidden tests
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def fake_repo(kit, tmp_path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(kit.GOLDEN_INPUT, root / "solutions")
    shutil.copytree(kit.GOLDEN_EXPECTED, root / "assignments")
    # course/metrics.py declares that it answers week1_mle_sampling, which this repository does not have.
    shutil.copytree(kit.REPO / "course", root / "course",
                    ignore=shutil.ignore_patterns("__pycache__", "metrics.py"))
    (root / "data" / "files").mkdir(parents=True)
    (root / "data" / "loader.py").write_text('"""Loads the toy data."""\n')
    (root / "data" / "files" / "toy.npz").write_bytes(b"\x93NUMPY fake array bytes")
    (root / "data" / "files" / ".verified").write_text("checksums verified\n")
    hidden = root / "autograder" / "weeks" / kit.GOLDEN_WEEK
    (hidden / "alternative").mkdir(parents=True)
    (hidden / "test_toy.py").write_text(f"def test_square_keeps_sign(sub):\n    {PLANTED_HIDDEN}\n")
    shutil.copyfile(kit.GOLDEN_INPUT / kit.GOLDEN_WEEK / "toy.py", hidden / "alternative" / "toy.py")
    shutil.copyfile(kit.REPO / "requirements.txt", root / "requirements.txt")
    return root


@pytest.mark.slow  # nbgrader, through the release's check of assignments/
def test_release_of_a_fake_repo_has_what_students_need_and_no_leak(kit, fake_repo, tmp_path):
    out = tmp_path / "dist" / "student_bundle.zip"
    assert release.main(["--root", str(fake_repo), "--out", str(out)]) == 0   # checks, then writes
    top = release.BUNDLE_DIR
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
    week = f"{top}/assignments/{kit.GOLDEN_WEEK}"
    for needed in (f"{top}/Makefile", f"{top}/README.md", f"{top}/pytest.ini",
                   f"{top}/requirements.txt", f"{top}/course/testing.py", f"{top}/data/loader.py",
                   f"{top}/data/files/toy.npz", f"{top}/tools/student.py", f"{week}/toy.py",
                   f"{week}/tests/test_toy.py", f"{week}/{kit.GOLDEN_WEEK}.ipynb"):
        assert needed in names, needed
    assert f"{top}/data/files/.verified" not in names
    assert {n.split("/", 1)[1] for n in names if n.startswith(f"{top}/autograder/")} == PREFLIGHT
    with zipfile.ZipFile(out) as archive:
        assert "\ncheck: " in archive.read(f"{top}/Makefile").decode()
    assert leaks_in(out, fake_repo) == []
    # The oracle had something to look for: the notebook's solution and hidden lines, the
    # written answer, a written question's rubric and model answer, and the long solution line of toy.py.
    assert {"total = math.fsum([total, square(value)])",
            "return x * x * math.prod([x])",
            "assert cube(-3) == -27, 'hidden: cube keeps the sign of negative numbers'",
            "An odd power of a negative number stays negative, an even power does not.",
            "- **1 pt.** Names the property: an odd function, as every odd power is. *No credit:* calling the "
            "cube even.",
            "**Model answer.** Each of the three factors brings one sign flip, and three flips leave one, so "
            "the cube is odd."} <= secret_lines(fake_repo / "solutions")
    assert secret_lines(fake_repo / "solutions") <= release.secret_lines(fake_repo / "solutions")
    again = tmp_path / "again.zip"
    release.build_bundle(fake_repo, again, check=False)
    assert again.read_bytes() == out.read_bytes()


def test_planted_leaks_are_refused_by_the_release_and_seen_by_the_oracle(fake_repo, tmp_path):
    week = fake_repo / "assignments" / "week1_golden"
    with open(week / "README.md", "a") as handout:          # a solution line
        handout.write("        total = math.fsum([total, square(value)])\n")
    with open(fake_repo / "course" / "testing.py", "a") as helper:   # a hidden notebook test
        helper.write("assert cube(-3) == -27, 'hidden: cube keeps the sign of negative numbers'\n")
    shutil.copyfile(fake_repo / "autograder" / "weeks" / "week1_golden" / "test_toy.py",
                    fake_repo / "data" / "hidden_copy.py")     # a hidden test file
    with open(fake_repo / "data" / "loader.py", "a") as loader:       # a written question's model answer
        loader.write("**Model answer.** Each of the three factors brings one sign flip, and three flips "
                     "leave one, so the cube is odd.\n")
    with pytest.raises(release.LeakError) as caught:
        release.build_bundle(fake_repo, tmp_path / "refused.zip", check=False)
    message = str(caught.value)
    assert "assignments/week1_golden/README.md:" in message
    assert "course/testing.py:" in message
    assert "data/hidden_copy.py: identical to autograder/weeks/week1_golden/test_toy.py" in message
    assert "data/loader.py:2: solution, hidden-test or mark-scheme text" in message
    assert not (tmp_path / "refused.zip").exists()
    # The independent oracle sees the same four leaks in a zip written without the scan.
    unchecked = write_zip(tmp_path / "unchecked.zip", {f"x/{name}": data for name, data
                                                       in release.collect(fake_repo).items()})
    found = leaks_in(unchecked, fake_repo)
    assert any(f.startswith("secret line in x/assignments/week1_golden/README.md") for f in found)
    assert any(f.startswith("secret line in x/course/testing.py") for f in found)
    assert "autograder file x/data/hidden_copy.py" in found
    assert any(f.startswith("secret line in x/data/loader.py") for f in found)


def test_release_refuses_stale_assignments(fake_repo, tmp_path):
    for notebook in fake_repo.rglob("*.ipynb"):   # the check would run nbgrader: not needed here
        notebook.unlink()
    toy = fake_repo / "assignments" / "week1_golden" / "toy.py"
    toy.write_text(toy.read_text() + "# edited by hand\n")
    with pytest.raises(release.LeakError, match="differs: .*toy.py"):
        release.build_bundle(fake_repo, tmp_path / "stale.zip")
    assert release.main(["--root", str(fake_repo), "--out", str(tmp_path / "stale.zip")]) == 1
    assert not (tmp_path / "stale.zip").exists()


def test_shipped_tools_import_only_shipped_modules():
    shipped = {Path(name).stem for name in release.SHIPPED_TOOLS}
    for name in release.SHIPPED_TOOLS:
        tree = ast.parse((release.REPO_ROOT / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tools"):
                assert node.module.split(".")[-1] in shipped | {"tools"}, (name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("tools."):
                        assert alias.name.split(".")[1] in shipped, (name, alias.name)


@pytest.mark.slow  # make, then pytest in a child
def test_student_makefile_runs_the_public_tests_from_the_bundle(kit, fake_repo, tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = tmp_path / "bundle.zip"
    release.build_bundle(fake_repo, out, check=False)
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "student")
    bundle = tmp_path / "student" / release.BUNDLE_DIR
    (bundle / ".venv").mkdir()
    (bundle / ".venv" / ".installed").touch()  # set up already: newer than requirements.txt
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["make", "test-week", "WEEK=1", f"PY={sys.executable}"], cwd=bundle,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0  # the stubs fail their tests
    assert "not implemented yet: toy.py::square" in done.stdout, done.stdout + done.stderr
    assert "week1_golden: 3 functions not implemented yet" in done.stdout
    assert "3 failed, 3 passed" in done.stdout


# ---------------------------------------------------------------------------------------------
# The week rule
# ---------------------------------------------------------------------------------------------
DIRECTIVE = re.compile(r"^# release: answers (week(\d+)_[a-z0-9_]+) ([a-z_0-9]+)\.([A-Za-z_0-9]+)\s*$", re.M)


def declarations(text: str) -> list[tuple[str, int, str, str]]:
    """(week folder, week number, graded file stem, function) of each answer a module declares."""
    return [(m.group(1), int(m.group(2)), m.group(3), m.group(4)) for m in DIRECTIVE.finditer(text)]


def function_text(path: Path, function: str) -> str:
    """The source of a top-level function of a Python file, from its `def` to the next top-level line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {function}("))
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), len(lines))
    return "\n".join(lines[start:end])


def allowed_flags(bundle: Path, root: Path, week: int) -> set[str]:
    """The findings of the oracle that the week rule allows in a bundle of `week`: lines of a course module
    that declares it answers a function of an earlier week, found in that function's source."""
    allowed = []
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", errors="replace")
            for folder, number, stem, function in declarations(text):
                assert number < week, f"{name} answers week {number}, open in the bundle of week {week}"
                source = function_text(root / "solutions" / folder / f"{stem}.py", function)
                allowed += [f"secret line in {name}: {line.strip()}" for line in text.splitlines()
                            if line.strip() and line.strip() in source]
    return set(allowed)


@pytest.fixture
def two_weeks(fake_repo) -> Path:
    """The fake repository with a second week (a handout only) and a course module that answers week 1's
    `toy.mean_of_squares`, as course/metrics.py answers week 1's `frechet_distance`."""
    for tree in ("solutions", "assignments"):
        (fake_repo / tree / "week2_golden").mkdir()
        (fake_repo / tree / "week2_golden" / "README.md").write_text("# Toy week 2\n\nNothing to write.\n")
    (fake_repo / "course" / "toy_answer.py").write_text(
        '"""The mean of squares, for the notebooks of later weeks."""\n'
        "import math\n\n"
        "# release: answers week1_golden toy.mean_of_squares\n\n\n"
        "def mean_of_squares(values):\n"
        "    total = 0.0\n"
        "    for value in values:\n"
        "        total = math.fsum([total, square(value)])\n"
        "    return total / len(values)\n")
    return fake_repo


def bundle_names(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        return {name.split("/", 1)[1] for name in archive.namelist()}


def test_a_module_that_answers_a_week_ships_only_once_that_week_is_due(two_weeks, tmp_path):
    week1, week2 = tmp_path / "week1.zip", tmp_path / "week2.zip"
    release.build_bundle(two_weeks, week1, check=False, week=1)
    release.build_bundle(two_weeks, week2, check=False, week=2)
    # Week 1 open: its assignment, not week 2's, and not the module that answers it.
    names = bundle_names(week1)
    assert "assignments/week1_golden/toy.py" in names and "course/toy_answer.py" not in names
    assert not any(name.startswith("assignments/week2_golden") for name in names)
    assert leaks_in(week1, two_weeks) == []
    # Week 2 open, week 1 due: both assignments, and the module, whose answer lines are the oracle's only
    # findings, each in the function the module declares.
    names = bundle_names(week2)
    assert {"course/toy_answer.py", "assignments/week2_golden/README.md", "assignments/week1_golden/toy.py"} <= names
    found = leaks_in(week2, two_weeks)
    assert found == [f"secret line in {release.BUNDLE_DIR}/course/toy_answer.py: "
                     "total = math.fsum([total, square(value)])"]
    assert set(found) <= allowed_flags(week2, two_weeks, 2)
    # The student README lists the released weeks only.
    with zipfile.ZipFile(week1) as archive:
        readme = archive.read(f"{release.BUNDLE_DIR}/README.md").decode()
    assert "week1_golden" in readme and "week2_golden" not in readme
    # What `make release` says it builds.
    assert release.summary(two_weeks, 1)[1] == ("course/toy_answer.py held back: it answers week 1's "
                                                 "toy.mean_of_squares (it ships from the bundle of week 2 on)")
    assert release.summary(two_weeks, 2)[1] == ("course/toy_answer.py ships: it answers week 1's "
                                                "toy.mean_of_squares, due before week 2")


def test_the_exemption_covers_only_the_declared_function_of_a_due_week(two_weeks, tmp_path):
    module = two_weeks / "course" / "toy_answer.py"
    original = module.read_text()
    # Declared for another function: the line of mean_of_squares is a leak again.
    module.write_text(original.replace("toy.mean_of_squares", "toy.square"))
    with pytest.raises(release.LeakError, match=r"course/toy_answer.py:10: solution, hidden-test or mark-scheme"):
        release.build_bundle(two_weeks, tmp_path / "a.zip", check=False, week=2)
    # A line of another week's answer (the notebook's hidden test) in the declaring module.
    module.write_text(original + "assert cube(-3) == -27, 'hidden: cube keeps the sign of negative numbers'\n")
    with pytest.raises(release.LeakError, match=r"course/toy_answer.py:12: .*hidden: cube keeps the sign"):
        release.build_bundle(two_weeks, tmp_path / "b.zip", check=False, week=2)
    # A declaration of a function that solutions/ does not define, or out of form.
    module.write_text(original.replace("toy.mean_of_squares", "toy.cube_root"))
    with pytest.raises(release.LeakError, match=r"course/toy_answer.py:4: declares that it answers week 1's "
                                                r"toy.cube_root, but solutions/week1_golden/toy.py defines no"):
        release.build_bundle(two_weeks, tmp_path / "c.zip", check=False, week=2)
    module.write_text(original.replace("week1_golden toy.mean_of_squares", "toy.mean_of_squares"))
    with pytest.raises(release.LeakError, match=r"course/toy_answer.py:4: expected '# release: answers"):
        release.build_bundle(two_weeks, tmp_path / "d.zip", check=False, week=2)
    assert not any(tmp_path.glob("*.zip"))


def test_nothing_released_may_import_a_module_held_back(two_weeks, tmp_path):
    helpers = two_weeks / "assignments" / "week1_golden" / "helpers.py"
    helpers.write_text(helpers.read_text() + "from course.toy_answer import mean_of_squares\n")
    with pytest.raises(release.LeakError, match=r"assignments/week1_golden/helpers.py: imports course.toy_answer, "
                                                r"which answers week 1's toy.mean_of_squares and is held back"):
        release.build_bundle(two_weeks, tmp_path / "week1.zip", check=False, week=1)
    release.build_bundle(two_weeks, tmp_path / "week2.zip", check=False, week=2)   # due: it ships, fine


def test_make_release_says_which_bundle_it_builds(two_weeks, capsys):
    assert release.main(["--root", str(two_weeks), "--no-check", "--week", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("the bundle released with week 1: the assignments of week1_golden (week 1 open")
    assert f"wrote {two_weeks / 'dist' / 'student_bundle_week1.zip'}" in out
    assert release.main(["--root", str(two_weeks), "--no-check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no WEEK given: the bundle released with week 2: the assignments of week1_golden, "
                          "week2_golden")
    assert f"wrote {two_weeks / 'dist' / 'student_bundle.zip'}" in out
    assert release.main(["--root", str(two_weeks), "--no-check", "--week", "3"]) == 1
    assert "holds weeks 1, 2, not" in capsys.readouterr().err


@pytest.mark.parametrize("week", [1, 2, 3, 4])
def test_release_of_this_repository_has_no_leak(kit, tmp_path, week):
    solutions = kit.REPO / "solutions"
    folders = sorted(d.name for d in (kit.REPO / "assignments").glob("week*_*") if d.is_dir())
    if len(folders) < week or not secret_lines(solutions):
        pytest.skip("no generated week with solution regions yet")
    out = tmp_path / f"student_bundle_week{week}.zip"
    # Staleness of assignments/ is `make check-assignments`' job; here, only what the zip holds.
    release.build_bundle(kit.REPO, out, check=False, week=week)
    # The oracle flags only lines of a course module that answers a function of a week already due.
    found = leaks_in(out, kit.REPO)
    assert set(found) <= allowed_flags(out, kit.REPO, week), found
    assert bool(found) == (week > 1), "the oracle sees course/metrics.py's answer from week 2 on"
    names = bundle_names(out)
    for folder in folders:
        released = int(folder.split("_")[0][4:]) <= week
        assert (f"assignments/{folder}/README.md" in names) == released, folder
    # course/metrics.py is week 1's frechet_distance: held back while week 1 is open, shipped after.
    assert ("course/metrics.py" in names) == (week > 1)
    if week > 1:
        assert declarations((kit.REPO / "course" / "metrics.py").read_text()) == [
            ("week1_mle_sampling", 1, "metrics", "frechet_distance")]
