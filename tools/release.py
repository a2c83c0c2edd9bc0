"""The student bundle released with a week: no solution, no hidden test, no rubric, no answer to an open week.

    python -m tools.release [--week N] [--out ZIP] [--root DIR] [--no-check]

`--week N` (`make release WEEK=N`, dist/student_bundle_weekN.zip) builds the bundle released with week N:
week N's assignment is open and the weeks before it are due. Without it (`make release`,
dist/student_bundle.zip) the bundle is that of the last week in `assignments/`, and the tool says so.

It holds, under one top-level folder:
- `assignments/<week>/` of weeks 1 to N (after checking that `assignments/` is what `solutions/`
  generates, unless --no-check);
- `data/` (loaders and data files; not the `.verified` stamp);
- `course/` (shared helpers and the pytest plugin of the public tests), except the modules that answer a
  graded function of week N or later (below);
- `tools/__init__.py`, `weeks.py`, `student.py`, `ziputil.py` (behind the student Makefile);
- the pre-flight of `make check`: `autograder/preflight.py`, `sandbox.py` and the child runtime (`SHIPPED_GRADER`);
- `requirements.txt`, and from tools/templates/ a student `Makefile`, `README.md` and `pytest.ini`.

The rule: no bundle that holds an open week's assignment holds an answer to it. A course module that is the
answer to a graded function (course/metrics.py is week 1's `frechet_distance`, which the notebooks of weeks 3
and 4 import) declares it in a comment line of its own, one per function:

    # release: answers week1_mle_sampling metrics.frechet_distance

(the week folder, then the graded file's stem and the function, `Class.method` for a method). The module
ships only in the bundles of the weeks after that week, and no shipped file may import it before.

Before writing, the tool scans the bundle and refuses to write one that has any of: a path under
`solutions/` or `autograder/` (but the pre-flight's); a file identical to one of `autograder/`; a shipped file that imports a
module held back; a module that declares an answer to an open week, or to a function `solutions/` does not
define; a line (25 characters or more, stripped) found only inside solution, hidden-test or mark-scheme
regions of `solutions/`. The one exception to the last: in a module that declares an answer to a due week's
graded function, the lines of that function's solution regions.
"""
from __future__ import annotations

import argparse
import ast
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.assignments import differences
from tools.markers import (BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION,
                           find_regions, region_body_lines)
from tools.rubrics import BEGIN_MARK_SCHEME, END_MARK_SCHEME
from tools.weeks import REPO_ROOT, WEEK_DIR_PATTERN, resolve_week, week_dirs
from tools.ziputil import write_zip

BUNDLE_DIR = "dgm-course"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SHIPPED_TREES = ("assignments", "data", "course")
SHIPPED_TOOLS = ("tools/__init__.py", "tools/weeks.py", "tools/student.py", "tools/ziputil.py")
# The pre-flight (`make check`): the grader's sandbox and child runtime run the public tests. They hold no
# hidden test, reference or expected value (autograder/preflight.py); nothing else of autograder/ ships.
SHIPPED_GRADER = ("autograder/__init__.py", "autograder/sandbox.py", "autograder/preflight.py",
                  "autograder/runtime/child.py", "autograder/runtime/protocol.py", "autograder/runtime/preflight.py")
NOT_SHIPPED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store",
                               ".verified"})
NOT_SHIPPED_SUFFIXES = (".pyc", ".pyo")
MIN_SECRET_LINE = 25  # shorter lines (`return x`, `pass`) also occur in any code: no evidence
MIN_SECRET_FILE = 64  # shorter files (an empty `__init__.py`) may legitimately be identical
ANSWER_DIRECTIVE = re.compile(r"^#\s*release:\s*answers\b(?P<rest>.*)$")
ANSWER_FIELDS = re.compile(r"^\s+(?P<week>week[0-9]+_[a-z0-9_]+)\s+(?P<file>[A-Za-z_][A-Za-z0-9_]*)"
                           r"\.(?P<function>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*$")


class LeakError(RuntimeError):
    """The bundle would hold solution, hidden-test or mark-scheme material, or an answer to an open week."""


@dataclass(frozen=True)
class Answer:
    """A graded function that a course module answers: `solutions/<week>/<file>.py`'s `function`."""
    week: str            # the week folder, e.g. week1_mle_sampling
    file: str            # the graded file's stem, e.g. metrics
    function: str        # e.g. frechet_distance, or Class.method

    @property
    def number(self) -> int:
        return int(WEEK_DIR_PATTERN.match(self.week).group(1))

    def __str__(self) -> str:
        return f"week {self.number}'s {self.file}.{self.function}"


def week_number(folder: str) -> int:
    return int(WEEK_DIR_PATTERN.match(folder).group(1))


def _defined_functions(path: Path) -> dict[str, tuple[int, int]]:
    """{qualified name: (first line, last line)} of every function and method of a Python file."""
    found: dict[str, tuple[int, int]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    found[name] = (child.lineno, child.end_lineno)
                visit(child, f"{name}.")
    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)), "")
    return found


def declared_answers(text: str, where: str, solutions: Path) -> list[Answer]:
    """The answers a module declares (`# release: answers <week> <file>.<function>` lines), each checked
    against `solutions/`: the week folder, its file and the function must exist."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        directive = ANSWER_DIRECTIVE.match(line.strip())
        if not directive:
            continue
        fields = ANSWER_FIELDS.match(directive.group("rest"))
        if not fields:
            raise LeakError(f"{where}:{number}: expected '# release: answers <week folder> <file>.<function>', "
                            f"got {line.strip()!r}")
        answer = Answer(fields.group("week"), fields.group("file"), fields.group("function"))
        source = solutions / answer.week / f"{answer.file}.py"
        if not source.is_file() or answer.function not in _defined_functions(source):
            raise LeakError(f"{where}:{number}: declares that it answers {answer}, but solutions/{answer.week}/"
                            f"{answer.file}.py defines no such function")
        found.append(answer)
    return found


def course_answers(root: Path) -> dict[str, list[Answer]]:
    """{path of a course/ module, relative to root: the graded functions it declares it answers}."""
    found = {}
    for path in sorted((root / "course").rglob("*.py")) if (root / "course").is_dir() else []:
        relative = path.relative_to(root).as_posix()
        if _shipped(Path(relative)):
            answers = declared_answers(path.read_text(encoding="utf-8"), relative, root / "solutions")
            if answers:
                found[relative] = answers
    return found


def release_week(root: Path, week: str | int | None = None) -> int:
    """The number of the week whose bundle is built: `week`, or the last week in `root/assignments`."""
    numbers = sorted(week_number(d.name) for d in week_dirs(root / "assignments"))
    if not numbers:
        raise LeakError(f"nothing to release: {root / 'assignments'} holds no week (run `make assignments`)")
    if week is None:
        return numbers[-1]
    folder = resolve_week(week, root / "assignments")
    number = week_number(folder)
    if number not in numbers:
        raise LeakError(f"WEEK={week}: {root / 'assignments'} holds weeks {', '.join(map(str, numbers))}, not "
                        f"{folder} (run `make assignments`)")
    return number


def _shipped(relative: Path) -> bool:
    return not any(part in NOT_SHIPPED_NAMES for part in relative.parts) and \
        not relative.name.endswith(NOT_SHIPPED_SUFFIXES)


def held_back(root: Path, week: int) -> dict[str, list[Answer]]:
    """The course modules left out of week `week`'s bundle: those that answer a week not yet due."""
    return {name: answers for name, answers in course_answers(root).items()
            if any(a.number >= week for a in answers)}


def collect(root: Path, week: str | int | None = None) -> dict[str, bytes]:
    """{path in the bundle, without the top-level folder: bytes}: the bundle released with `week` (a number
    or folder name; None: the last week) for the repository at `root`."""
    number = release_week(root, week)
    withheld = held_back(root, number)
    files: dict[str, bytes] = {}
    for tree in SHIPPED_TREES:
        base = root / tree
        for path in sorted(base.rglob("*")) if base.is_dir() else []:
            relative = path.relative_to(root)
            if not path.is_file() or not _shipped(relative) or relative.as_posix() in withheld:
                continue
            if tree == "assignments" and len(relative.parts) > 2 and WEEK_DIR_PATTERN.match(relative.parts[1]) \
                    and week_number(relative.parts[1]) > number:
                continue                                   # a later week's assignment: not released yet
            files[relative.as_posix()] = path.read_bytes()
    for name in SHIPPED_TOOLS:
        files[name] = (REPO_ROOT / name).read_bytes()
    for name in SHIPPED_GRADER:
        files[name] = (REPO_ROOT / name).read_bytes()
    files["requirements.txt"] = (root / "requirements.txt").read_bytes()
    files["Makefile"] = (TEMPLATES / "student.mk").read_bytes()
    files["pytest.ini"] = (TEMPLATES / "student_pytest.ini").read_bytes()
    weeks = [d.name for d in week_dirs(root / "assignments") if week_number(d.name) <= number]
    listing = "\n".join(f"- `{w}`: `make test-week WEEK={week_number(w)}`" for w in weeks)
    readme = string.Template((TEMPLATES / "student_README.md").read_text(encoding="utf-8"))
    files["README.md"] = readme.substitute(weeks=listing or "(none yet)").encode("utf-8")
    return dict(sorted(files.items()))


def _stripped_long(lines) -> set[str]:
    return {line.strip() for line in lines if len(line.strip()) >= MIN_SECRET_LINE}


Origin = tuple[str, str, "str | None"]   # (week folder, file name, function of a .py region, else None)


def _enclosing_function(functions: dict[str, tuple[int, int]], line: int) -> str | None:
    """The innermost function or method whose lines hold `line`, by qualified name."""
    holding = [(first, name) for name, (first, last) in functions.items() if first <= line <= last]
    return max(holding)[1] if holding else None


def secret_origins(solutions: Path) -> dict[str, set[Origin]]:
    """{line: where it is secret} for the lines found inside solution, hidden-test or mark-scheme regions of
    `solutions/` and nowhere else in it; a line's origins are (week folder, file name, function), the
    function being that of a `.py` region (None in a notebook).

    Sources: the regions of every `*.py`; in notebooks, the regions of every cell, the whole source
    of a solution cell without a region (nbgrader replaces all of it), hidden-test regions, mark-scheme
    regions (a written question's rubric and model answer, tools/rubrics.py), and the whole source of a
    cell tagged `instructor` (nbgrader drops it; tools/instructor_notebook.py).
    A line that also occurs outside the regions (a docstring, a public test) is public already.
    """
    inside: dict[str, set[Origin]] = {}
    outside: list[str] = []

    def secret(lines, origin: Origin) -> None:
        for line in _stripped_long(lines):
            inside.setdefault(line, set()).add(origin)

    for path in sorted(solutions.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        regions = find_regions(text, str(path))
        week = path.relative_to(solutions).parts[0]
        functions = _defined_functions(path) if regions else {}
        for region in regions:
            secret(region_body_lines(text, [region]), (week, path.name, _enclosing_function(functions, region.begin)))
        marked = {i for r in regions for i in range(r.begin, r.end + 1)}
        outside.extend(line for i, line in enumerate(text.splitlines(), 1) if i not in marked)
    for path in sorted(solutions.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        import nbformat  # only where there are notebooks: its import costs about 2 s of CPU

        origin = (path.relative_to(solutions).parts[0], path.name, None)
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells, start=1):
            where = f"{path}[cell {index}]"
            solution = find_regions(cell.source, where, BEGIN_SOLUTION, END_SOLUTION)
            hidden = find_regions(cell.source, where, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
            hidden += find_regions(cell.source, where, BEGIN_MARK_SCHEME, END_MARK_SCHEME)
            is_solution_cell = cell.get("metadata", {}).get("nbgrader", {}).get("solution", False)
            instructor_only = "instructor" in cell.get("metadata", {}).get("tags", [])
            if instructor_only or (is_solution_cell and not solution):
                secret(cell.source.splitlines(), origin)
                continue
            secret(region_body_lines(cell.source, solution + hidden), origin)
            marked = {i for r in solution + hidden for i in range(r.begin, r.end + 1)}
            outside.extend(line for i, line in enumerate(cell.source.splitlines(), 1)
                           if i not in marked)
    public = _stripped_long(outside)
    return {line: origins for line, origins in inside.items() if line not in public}


def secret_lines(solutions: Path) -> set[str]:
    """The lines of `secret_origins`, wherever they are secret."""
    return set(secret_origins(solutions))


def _module_name(path: str) -> str:
    """`course/metrics.py` -> `course.metrics` (a package's `__init__.py` -> the package)."""
    parts = Path(path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(text: str, module: str) -> bool:
    """Whether Python or notebook text imports `module` (`import a.b`, `from a.b import x`, `from a import b`)."""
    package, _, leaf = module.rpartition(".")
    patterns = [rf"^\s*import\s+{re.escape(module)}\b", rf"^\s*from\s+{re.escape(module)}\s+import\b"]
    if package:
        patterns.append(rf"^\s*from\s+{re.escape(package)}\s+import\s+[^#\n]*\b{re.escape(leaf)}\b")
    return any(re.search(p, text, flags=re.M) for p in patterns)


def _source_text(name: str, text: str) -> str:
    """The code a file runs: a notebook's code cells, or the file itself."""
    if not name.endswith(".ipynb"):
        return text
    import nbformat

    return "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells if c.cell_type == "code")


def leaks(files: dict[str, bytes], root: Path, week: str | int | None = None) -> list[str]:
    """One message per leak found in the bundle released with `week` (None: the last week), whose files are
    `files` (paths without the top-level folder)."""
    number = release_week(root, week)
    problems = []
    for name in files:
        parts = Path(name).parts
        if "solutions" in parts or (parts[0] == "autograder" and name not in SHIPPED_GRADER):
            problems.append(f"{name}: a path from solutions/ or autograder/")
    grader = {}
    for path in sorted((root / "autograder").rglob("*")) if (root / "autograder").is_dir() else []:
        if path.is_file() and len(path.read_bytes().strip()) >= MIN_SECRET_FILE:
            grader[path.read_bytes()] = path.relative_to(root).as_posix()
    secrets = secret_origins(root / "solutions") if (root / "solutions").is_dir() else {}
    withheld = {name: answers for name, answers in held_back(root, number).items() if name not in files}
    for name, data in files.items():
        if data in grader and name not in SHIPPED_GRADER:
            problems.append(f"{name}: identical to {grader[data]}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        answers = declared_answers(text, name, root / "solutions") if name.endswith(".py") else []
        for answer in answers:
            if answer.number >= number:
                problems.append(f"{name}: answers {answer}, and week {answer.number} is open in the bundle of "
                                f"week {number}")
        excused = {(a.week, f"{a.file}.py", a.function) for a in answers if a.number < number}
        for number_, line in enumerate(text.splitlines(), start=1):
            origins = secrets.get(line.strip())
            if origins and not origins & excused:
                problems.append(f"{name}:{number_}: solution, hidden-test or mark-scheme text: {line.strip()!r}")
        if name.endswith(".ipynb"):  # a notebook's JSON holds each source line as a string
            import nbformat

            for index, cell in enumerate(nbformat.reads(text, as_version=4).cells, start=1):
                for line in cell.source.splitlines():
                    if line.strip() in secrets:
                        problems.append(f"{name}[cell {index}]: solution, hidden-test or mark-scheme text: "
                                        f"{line.strip()!r}")
        if name.endswith((".py", ".ipynb")):
            code = _source_text(name, text)
            for module, module_answers in withheld.items():
                if _imports(code, _module_name(module)):
                    problems.append(f"{name}: imports {_module_name(module)}, which answers "
                                    f"{', '.join(map(str, module_answers))} and is held back from the bundle "
                                    f"of week {number}")
    return problems


def summary(root: Path, week: str | int | None = None) -> list[str]:
    """What the bundle released with `week` holds, in a few lines (what `make release` prints)."""
    number = release_week(root, week)
    weeks = [d.name for d in week_dirs(root / "assignments") if week_number(d.name) <= number]
    lines = [f"the bundle released with week {number}: the assignments of {', '.join(weeks)} "
             f"(week {number} open, the weeks before it due)"]
    if week is None:
        lines[0] = (f"no WEEK given: {lines[0]}, the last week in assignments/ "
                    "(`make release WEEK=N` builds the bundle released with week N)")
    withheld = held_back(root, number)
    for name, answers in course_answers(root).items():
        what = ", ".join(map(str, answers))
        if name in withheld:
            due = max(a.number for a in answers) + 1
            lines.append(f"{name} held back: it answers {what} (it ships from the bundle of week {due} on)")
        else:
            lines.append(f"{name} ships: it answers {what}, due before week {number}")
    return lines


def build_bundle(root: Path, out: Path, check: bool = True, week: str | int | None = None) -> Path:
    """Check `assignments/`, collect the bundle released with `week` (None: the last week), scan it for
    leaks, and write the zip. Returns its path."""
    number = release_week(root, week)
    if check:
        config = root / "nbgrader_config.py"
        stale = differences(root / "solutions", root / "assignments",
                            config=config if config.is_file() else REPO_ROOT / "nbgrader_config.py")
        if stale:
            raise LeakError("assignments/ is not what solutions/ generates (run `make assignments`):"
                            "\n  " + "\n  ".join(stale))
    files = collect(root, number)
    problems = leaks(files, root, number)
    if problems:
        raise LeakError("the bundle would leak:\n  " + "\n  ".join(problems))
    return write_zip(out, {f"{BUNDLE_DIR}/{name}": data for name, data in files.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--week", help="the week whose release this is, 1 to 4 or its folder (default: the last "
                                       "week in assignments/)")
    parser.add_argument("--out", type=Path, help="the zip (default: dist/student_bundle_weekN.zip with --week, "
                                                 "else dist/student_bundle.zip)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT,
                        help="the repository (default: this one)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip checking that assignments/ is up to date with solutions/")
    args = parser.parse_args(argv)
    try:
        number = release_week(args.root, args.week)
        out = args.out or args.root / "dist" / (f"student_bundle_week{number}.zip" if args.week
                                                else "student_bundle.zip")
        for line in summary(args.root, args.week):
            print(line)
        path = build_bundle(args.root, out, args.check, number)
    except (LeakError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
