"""tools/release.py: the student bundle holds no solution, no hidden test, nothing from autograder/.

The leak scan here is written independently of tools/markers.py and of the release's own scan: it
reads the raw text of solutions/ and the notebooks' JSON, and it is shown to catch planted leaks.
"""
import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools import release
from tools.ziputil import write_zip

MIN_LINE = 25  # shorter lines (`return x`) occur in any code; 25+ characters are evidence
BEGINS = {"### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS"}
ENDS = {"### END SOLUTION", "### END HIDDEN TESTS"}
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
    long = lambda lines: {line.strip() for line in lines if len(line.strip()) >= MIN_LINE}  # noqa
    return long(inside) - long(outside)


def bundle_lines(data: bytes, name: str) -> list[str]:
    """The text lines of one bundle file; for a notebook, the lines of its cells' sources."""
    text = data.decode("utf-8")
    if name.endswith(".ipynb"):
        cells = json.loads(text)["cells"]
        return [line for c in cells for line in
                ("".join(c["source"]) if isinstance(c["source"], list) else c["source"]).splitlines()]
    return text.splitlines()


def leaks_in(bundle: Path, root: Path) -> list[str]:
    """Everything in the zip that should not be there, judged against the repository at root."""
    secrets = secret_lines(root / "solutions")
    grader_files = {p.read_bytes() for p in (root / "autograder").rglob("*")
                    if p.is_file() and len(p.read_bytes().strip()) >= 64}
    found = []
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            parts = Path(name).parts[1:]  # below the top-level folder
            if "solutions" in parts or parts[0] == "autograder":
                found.append(f"path {name}")
            data = archive.read(name)
            if data in grader_files:
                found.append(f"autograder file {name}")
            try:
                lines = bundle_lines(data, name)
            except UnicodeDecodeError:
                continue
            for line in lines:
                if line.strip() in secrets:
                    found.append(f"secret line in {name}: {line.strip()}")
                if any(marker in line for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS",
                                                     "END SOLUTION", "END HIDDEN TESTS")):
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
    shutil.copytree(kit.REPO / "course", root / "course",
                    ignore=shutil.ignore_patterns("__pycache__"))
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
    assert leaks_in(out, fake_repo) == []
    # The oracle had something to look for: the notebook's solution and hidden lines, the
    # written answer, and the long solution line of toy.py.
    assert {"total = math.fsum([total, square(value)])",
            "return x * x * math.prod([x])",
            "assert cube(-3) == -27, 'hidden: cube keeps the sign of negative numbers'",
            "An odd power of a negative number stays negative, an even power does not."} \
        <= secret_lines(fake_repo / "solutions")
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
    with pytest.raises(release.LeakError) as caught:
        release.build_bundle(fake_repo, tmp_path / "refused.zip", check=False)
    message = str(caught.value)
    assert "assignments/week1_golden/README.md:" in message
    assert "course/testing.py:" in message
    assert "data/hidden_copy.py: identical to autograder/weeks/week1_golden/test_toy.py" in message
    assert not (tmp_path / "refused.zip").exists()
    # The independent oracle sees the same three leaks in a zip written without the scan.
    unchecked = write_zip(tmp_path / "unchecked.zip", {f"x/{name}": data for name, data
                                                       in release.collect(fake_repo).items()})
    found = leaks_in(unchecked, fake_repo)
    assert any(f.startswith("secret line in x/assignments/week1_golden/README.md") for f in found)
    assert any(f.startswith("secret line in x/course/testing.py") for f in found)
    assert "autograder file x/data/hidden_copy.py" in found


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


def test_release_of_this_repository_has_no_leak(kit, tmp_path):
    solutions = kit.REPO / "solutions"
    if not any((kit.REPO / "assignments").glob("week*_*")) or not secret_lines(solutions):
        pytest.skip("no generated week with solution regions yet")
    out = tmp_path / "student_bundle.zip"
    # Staleness of assignments/ is `make check-assignments`' job; here, only what the zip holds.
    release.build_bundle(kit.REPO, out, check=False)
    # The files that ship a graded function's answer on purpose (release.KNOWN_ANSWERS, each with its reason)
    # are the only ones the independent oracle may flag.
    found = leaks_in(out, kit.REPO)
    assert [f for f in found if not any(f"{release.BUNDLE_DIR}/{name}" in f for name in release.KNOWN_ANSWERS)] == []
    assert set(release.KNOWN_ANSWERS) == {"course/metrics.py"}, "a new exemption is the lead's decision"
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    for week in (d.name for d in solutions.iterdir() if d.is_dir() and d.name.startswith("week")):
        assert f"{release.BUNDLE_DIR}/assignments/{week}/README.md" in names
