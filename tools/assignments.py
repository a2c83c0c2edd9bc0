"""Generate `assignments/` from `solutions/`, or check that it is up to date.

    python -m tools.assignments generate [WEEK ...] [--solutions DIR] [--assignments DIR]
    python -m tools.assignments check    [WEEK ...] [--solutions DIR] [--assignments DIR]

For each `solutions/weekN_*/` (only those that exist; WEEK is 1..4 or the folder name):
- every top-level `*.py` becomes a stub: each `### BEGIN SOLUTION` ... `### END SOLUTION` region is
  replaced by `raise NotImplementedError` at the marker's indentation (tools/markers.py);
- every top-level `*.ipynb` (the nbgrader master notebook) becomes the student notebook through
  nbgrader's `generate_assignment` (tools/student_notebook.py), without the master's cells tagged
  `instructor` (nbgrader_config.py; they go to the instructor notebook, tools/instructor_notebook.py);
- `tests/` (public tests and their conftest.py) and `README.md` (the handout) are copied verbatim.
Files under `assignments/<week>/` that no longer come from `solutions/` are removed. The whole output
is computed before anything is written, so an error in any week leaves `assignments/` untouched.
The output depends only on the input bytes: running twice gives identical files.
"""
from __future__ import annotations

import argparse
import difflib
import os
import sys
from pathlib import Path

from tools.markers import (BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION,
                           MarkerError, stub_source)
from tools.student_notebook import NbgraderError, generate_student_notebooks
from tools.weeks import REPO_ROOT, resolve_week, week_dirs

# Never copied, never compared, never removed: caches that tools and editors leave behind.
IGNORED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"})
IGNORED_SUFFIXES = (".pyc", ".pyo")
HANDOUT = "README.md"
TESTS_DIR = "tests"


def _ignored(relative: Path) -> bool:
    return any(part in IGNORED_NAMES for part in relative.parts) or \
        relative.name.endswith(IGNORED_SUFFIXES)


def _display(path: Path) -> str:
    """A path relative to the working directory when it lies under it, for messages."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _files_under(root: Path) -> list[Path]:
    """Regular files under `root`, relative to it, sorted, caches left out."""
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not _ignored(relative):
            found.append(relative)
    return sorted(found)


def _check_no_markers(data: bytes, where: str) -> None:
    """A file copied verbatim must hold no solution or hidden-test region: it would leak."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for marker in (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS):
            if marker.lstrip("# ") in line:
                raise MarkerError(where, number, f"{marker.lstrip('# ')!r} in a file that is "
                                                 "copied verbatim to assignments/")


def build_week(week_dir: Path, config: Path) -> dict[str, bytes]:
    """The files of `assignments/<week>/`, as {posix relative path: bytes}, from `solutions/<week>/`."""
    out: dict[str, bytes] = {}
    for path in sorted(week_dir.glob("*.py")):
        data = path.read_bytes()
        text = data.decode("utf-8")
        stub = stub_source(text, _display(path))
        out[path.name] = data if stub is text else stub.encode("utf-8")  # no region: the bytes as is
    handout = week_dir / HANDOUT
    if handout.is_file():
        data = handout.read_bytes()
        _check_no_markers(data, _display(handout))
        out[HANDOUT] = data
    tests = week_dir / TESTS_DIR
    for relative in _files_under(tests):
        data = (tests / relative).read_bytes()
        _check_no_markers(data, _display(tests / relative))
        out[(Path(TESTS_DIR) / relative).as_posix()] = data
    masters = sorted(week_dir.glob("*.ipynb"))
    out.update(generate_student_notebooks(masters, week_dir.name, config,
                                          display_root=Path.cwd()))
    for path in sorted(week_dir.iterdir()):
        known = path.suffix in (".py", ".ipynb") or path.name in (HANDOUT, TESTS_DIR)
        if not known and not _ignored(Path(path.name)):
            print(f"note: {_display(path)} is not copied to assignments/ "
                  "(only *.py, *.ipynb, README.md and tests/ are)", file=sys.stderr)
    return dict(sorted(out.items()))


def _selected(solutions: Path, weeks: list[str] | None) -> list[Path]:
    """The week folders of `solutions` to generate: all of them, or those named (which must exist)."""
    if not weeks:
        return week_dirs(solutions)
    chosen = []
    for arg in weeks:
        name = resolve_week(arg, solutions)
        if not (solutions / name).is_dir():
            raise ValueError(f"WEEK={arg!r}: {_display(solutions / name)} does not exist, and a "
                             "week is generated only from its solutions folder")
        chosen.append(solutions / name)
    return chosen


def build(solutions: Path, weeks: list[str] | None = None,
          config: Path = REPO_ROOT / "nbgrader_config.py") -> dict[str, dict[str, bytes]]:
    """{week folder name: {relative path: bytes}} for the selected weeks, nothing written."""
    return {week_dir.name: build_week(week_dir, config) for week_dir in _selected(solutions, weeks)}


def _orphans(solutions: Path, assignments: Path) -> list[Path]:
    """Week folders of `assignments` with no solutions folder: nothing generates them."""
    return [d for d in week_dirs(assignments) if not (solutions / d.name).is_dir()]


def _remove_empty_dirs(root: Path) -> None:
    for path in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(path.iterdir()):
            path.rmdir()


def generate(solutions: Path, assignments: Path, weeks: list[str] | None = None,
             config: Path = REPO_ROOT / "nbgrader_config.py") -> list[str]:
    """Write `assignments/<week>/` for the selected weeks; return the week names written."""
    built = build(solutions, weeks, config)
    for week, files in built.items():
        target = assignments / week
        for relative, data in files.items():
            path = target / relative
            if path.is_file() and path.read_bytes() == data:
                continue  # leave identical files alone (and their modification times)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for relative in _files_under(target):
            if relative.as_posix() not in files:
                (target / relative).unlink()
                print(f"removed {_display(target / relative)} (no longer generated)")
        _remove_empty_dirs(target)
    for orphan in _orphans(solutions, assignments):
        print(f"warning: {_display(orphan)} has no {_display(solutions / orphan.name)}; "
              "left as is", file=sys.stderr)
    return list(built)


def differences(solutions: Path, assignments: Path, weeks: list[str] | None = None,
                config: Path = REPO_ROOT / "nbgrader_config.py") -> list[str]:
    """One line per file of `assignments/` that differs from what `solutions/` generates."""
    problems: list[str] = []
    for week, files in build(solutions, weeks, config).items():
        target = assignments / week
        present = {p.as_posix() for p in _files_under(target)}
        for relative, data in files.items():
            path = target / relative
            if relative not in present:
                problems.append(f"missing: {_display(path)}")
            elif path.read_bytes() != data:
                problems.append(f"differs: {_display(path)}")
                problems.extend(_diff_excerpt(path.read_bytes(), data))
        problems.extend(f"not generated: {_display(target / r)}" for r in sorted(present - set(files)))
    if not weeks:
        problems.extend(f"no solutions folder: {_display(d)}" for d in _orphans(solutions, assignments))
    return problems


def _diff_excerpt(have: bytes, want: bytes, max_lines: int = 30) -> list[str]:
    """The start of a unified diff (present -> generated), indented, for text files."""
    try:
        a, b = have.decode("utf-8").splitlines(), want.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return ["    (binary file)"]
    lines = list(difflib.unified_diff(a, b, "assignments (present)", "generated", lineterm=""))
    more = [f"    ... {len(lines) - max_lines} more diff lines"] if len(lines) > max_lines else []
    return ["    " + line for line in lines[:max_lines]] + more


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.assignments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("weeks", nargs="*", metavar="WEEK", help="1..4 or a folder name (default: all)")
    parser.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions",
                        help="the solutions root (default: solutions/)")
    parser.add_argument("--assignments", "--out", dest="assignments", type=Path,
                        default=REPO_ROOT / "assignments",
                        help="the assignments root (default: assignments/)")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "nbgrader_config.py",
                        help="the nbgrader course configuration (default: nbgrader_config.py)")
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            written = generate(args.solutions, args.assignments, args.weeks, args.config)
            if written:
                print(f"generated {', '.join(written)} into {_display(args.assignments)}")
            else:
                print(f"no week folder in {_display(args.solutions)}: nothing generated")
            return 0
        problems = differences(args.solutions, args.assignments, args.weeks, args.config)
    except (MarkerError, NbgraderError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if problems:
        print(f"{_display(args.assignments)} is not what {_display(args.solutions)} generates:",
              file=sys.stderr)
        for line in problems:
            print(f"  {line}", file=sys.stderr)
        print("run `make assignments` and commit the result", file=sys.stderr)
        return 1
    print(f"{_display(args.assignments)} is up to date with {_display(args.solutions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
