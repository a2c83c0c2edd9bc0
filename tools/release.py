"""The student bundle: a zip with no solutions and no hidden tests.

    python -m tools.release --out dist/student_bundle.zip [--root DIR] [--no-check]

It holds, under one top-level folder:
- `assignments/` (after checking that it is what `solutions/` generates, unless --no-check);
- `data/` (loaders and data files; not the `.verified` stamp);
- `course/` (shared helpers and the pytest plugin of the public tests);
- `tools/__init__.py`, `weeks.py`, `student.py`, `ziputil.py` (behind the student Makefile);
- `requirements.txt`, and from tools/templates/ a student `Makefile`, `README.md` and `pytest.ini`.

Before writing, it scans the bundle for leaks and refuses to write one that has any: a path under
`solutions/` or `autograder/`, a file identical to one of `autograder/`, or a line (25 characters
or more, stripped) found only inside solution or hidden-test regions of `solutions/` (except in the
files of KNOWN_ANSWERS, which ship a graded function's answer on purpose, each with its reason).
"""
from __future__ import annotations

import argparse
import string
import sys
from pathlib import Path

from tools.assignments import differences
from tools.markers import (BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION,
                           find_regions, region_body_lines)
from tools.weeks import REPO_ROOT, week_dirs
from tools.ziputil import write_zip

BUNDLE_DIR = "dgm-course"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SHIPPED_TREES = ("assignments", "data", "course")
SHIPPED_TOOLS = ("tools/__init__.py", "tools/weeks.py", "tools/student.py", "tools/ziputil.py")
NOT_SHIPPED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store",
                               ".verified"})
NOT_SHIPPED_SUFFIXES = (".pyc", ".pyo")
MIN_SECRET_LINE = 25  # shorter lines (`return x`, `pass`) also occur in any code: no evidence
MIN_SECRET_FILE = 64  # shorter files (an empty `__init__.py`) may legitimately be identical
# Shipped files that hold a graded function's answer on purpose, with the reason; their lines are not
# scanned for solution text (every other check still applies). Keep this list short and decided.
KNOWN_ANSWERS = {
    # Issue 12, part 5: one Fréchet distance for every notebook, week 1's recipe, which the student notebooks
    # of weeks 3 and 4 import. It answers week 1's graded `metrics.frechet_distance` for a student who reads
    # course/ while week 1 is open (TODO(lead): keep, or release course/metrics.py after week 1).
    "course/metrics.py": "the course's Fréchet distance (week 1's frechet_distance recipe), used by weeks 3-4",
}


class LeakError(RuntimeError):
    """The bundle would hold solution or hidden-test material."""


def _shipped(relative: Path) -> bool:
    return not any(part in NOT_SHIPPED_NAMES for part in relative.parts) and \
        not relative.name.endswith(NOT_SHIPPED_SUFFIXES)


def collect(root: Path) -> dict[str, bytes]:
    """{path in the bundle, without the top-level folder: bytes} for the repository at `root`."""
    files: dict[str, bytes] = {}
    for tree in SHIPPED_TREES:
        base = root / tree
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            relative = path.relative_to(root)
            if path.is_file() and _shipped(relative):
                files[relative.as_posix()] = path.read_bytes()
    for name in SHIPPED_TOOLS:
        files[name] = (REPO_ROOT / name).read_bytes()
    files["requirements.txt"] = (root / "requirements.txt").read_bytes()
    files["Makefile"] = (TEMPLATES / "student.mk").read_bytes()
    files["pytest.ini"] = (TEMPLATES / "student_pytest.ini").read_bytes()
    weeks = [d.name for d in week_dirs(root / "assignments")]
    listing = "\n".join(f"- `{w}`: `make test-week WEEK={w.split('_')[0][4:]}`" for w in weeks)
    readme = string.Template((TEMPLATES / "student_README.md").read_text(encoding="utf-8"))
    files["README.md"] = readme.substitute(weeks=listing or "(none yet)").encode("utf-8")
    return dict(sorted(files.items()))


def _stripped_long(lines) -> set[str]:
    return {line.strip() for line in lines if len(line.strip()) >= MIN_SECRET_LINE}


def secret_lines(solutions: Path) -> set[str]:
    """Lines found inside solution or hidden-test regions of `solutions/` and nowhere else in it.

    Sources: the regions of every `*.py`; in notebooks, the regions of every cell, the whole source
    of a solution cell without a region (nbgrader replaces all of it), hidden-test regions, and the
    whole source of a cell tagged `instructor` (nbgrader drops it; tools/instructor_notebook.py).
    A line that also occurs outside the regions (a docstring, a public test) is public already.
    """
    inside: list[str] = []
    outside: list[str] = []
    for path in sorted(solutions.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        regions = find_regions(text, str(path))
        body = set(region_body_lines(text, regions))
        inside.extend(body)
        marked = {i for r in regions for i in range(r.begin, r.end + 1)}
        outside.extend(line for i, line in enumerate(text.splitlines(), 1) if i not in marked)
    for path in sorted(solutions.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        import nbformat  # only where there are notebooks: its import costs about 2 s of CPU

        for index, cell in enumerate(nbformat.read(path, as_version=4).cells, start=1):
            where = f"{path}[cell {index}]"
            solution = find_regions(cell.source, where, BEGIN_SOLUTION, END_SOLUTION)
            hidden = find_regions(cell.source, where, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
            is_solution_cell = cell.get("metadata", {}).get("nbgrader", {}).get("solution", False)
            instructor_only = "instructor" in cell.get("metadata", {}).get("tags", [])
            if instructor_only or (is_solution_cell and not solution):
                inside.extend(cell.source.splitlines())
                continue
            secret = region_body_lines(cell.source, solution + hidden)
            inside.extend(secret)
            marked = {i for r in solution + hidden for i in range(r.begin, r.end + 1)}
            outside.extend(line for i, line in enumerate(cell.source.splitlines(), 1)
                           if i not in marked)
    return _stripped_long(inside) - _stripped_long(outside)


def leaks(files: dict[str, bytes], root: Path) -> list[str]:
    """One message per leak found in the bundle's files (paths without the top-level folder)."""
    problems = []
    for name in files:
        parts = Path(name).parts
        if "solutions" in parts or parts[0] == "autograder":
            problems.append(f"{name}: a path from solutions/ or autograder/")
    grader = {}
    for path in sorted((root / "autograder").rglob("*")) if (root / "autograder").is_dir() else []:
        if path.is_file() and len(path.read_bytes().strip()) >= MIN_SECRET_FILE:
            grader[path.read_bytes()] = path.relative_to(root).as_posix()
    secrets = secret_lines(root / "solutions") if (root / "solutions").is_dir() else set()
    for name, data in files.items():
        if data in grader:
            problems.append(f"{name}: identical to {grader[data]}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip() in secrets and name not in KNOWN_ANSWERS:
                problems.append(f"{name}:{number}: solution or hidden-test text: {line.strip()!r}")
        if name.endswith(".ipynb"):  # a notebook's JSON holds each source line as a string
            import nbformat

            for index, cell in enumerate(nbformat.reads(text, as_version=4).cells, start=1):
                for line in cell.source.splitlines():
                    if line.strip() in secrets:
                        problems.append(f"{name}[cell {index}]: solution or hidden-test text: "
                                        f"{line.strip()!r}")
    return problems


def build_bundle(root: Path, out: Path, check: bool = True) -> Path:
    """Check `assignments/`, collect, scan for leaks, and write the zip. Returns its path."""
    if not week_dirs(root / "assignments"):
        raise LeakError(f"nothing to release: {root / 'assignments'} holds no week "
                        "(run `make assignments`)")
    if check:
        config = root / "nbgrader_config.py"
        stale = differences(root / "solutions", root / "assignments",
                            config=config if config.is_file() else REPO_ROOT / "nbgrader_config.py")
        if stale:
            raise LeakError("assignments/ is not what solutions/ generates (run `make assignments`):"
                            "\n  " + "\n  ".join(stale))
    files = collect(root)
    problems = leaks(files, root)
    if problems:
        raise LeakError("the bundle would leak:\n  " + "\n  ".join(problems))
    return write_zip(out, {f"{BUNDLE_DIR}/{name}": data for name, data in files.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "dist" / "student_bundle.zip")
    parser.add_argument("--root", type=Path, default=REPO_ROOT,
                        help="the repository (default: this one)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip checking that assignments/ is up to date with solutions/")
    args = parser.parse_args(argv)
    try:
        path = build_bundle(args.root, args.out, args.check)
    except (LeakError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
