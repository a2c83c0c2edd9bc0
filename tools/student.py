"""What students run: the public tests of a week, the submission zip, the notebook.

    python -m tools.student test WEEK [-- PYTEST_ARGS...]    (make test-week WEEK=1)
    python -m tools.student submission WEEK [--out PATH]     (make submission WEEK=1)
    python -m tools.student notebook WEEK                    (make notebooks WEEK=1)

WEEK is 1..4 or the folder name (week1_mle_sampling, ...). Shipped in the student bundle, so it
imports only the standard library and tools.weeks / tools.ziputil.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from tools.weeks import REPO_ROOT, graded_files, resolve_week
from tools.ziputil import write_zip

# course/testing.py reports a test that hit an untouched stub as this one line.
NOT_IMPLEMENTED = re.compile(r"^not implemented yet: (\S+)$")
IMPORT_TIMEOUT_S = 60


class SubmissionError(RuntimeError):
    """A graded file is missing or does not import."""


def _child_env(*paths: Path) -> dict[str, str]:
    """The environment of a child Python: `paths` first on sys.path, one thread, no bytecode files."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(p) for p in paths] +
                                        ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def _week_dir(week_arg: str, assignments: Path) -> Path:
    week = resolve_week(week_arg, assignments)
    path = assignments / week
    if not path.is_dir():
        raise ValueError(f"WEEK={week_arg!r}: {path} does not exist")
    return path


def run_tests(week_arg: str, assignments: Path = REPO_ROOT / "assignments",
              pytest_args: list[str] | None = None) -> int:
    """Run the public tests of a week with compact output; return pytest's exit status.

    The last line says how many functions still raise NotImplementedError, from course.testing's
    one-line reports.
    """
    week_dir = _week_dir(week_arg, assignments)
    tests = week_dir / "tests"
    if not tests.is_dir():
        raise ValueError(f"WEEK={week_arg!r}: {tests} does not exist")
    command = [sys.executable, "-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider",
               str(tests), *(pytest_args or [])]
    missing: list[str] = []
    with subprocess.Popen(command, cwd=REPO_ROOT, env=_child_env(REPO_ROOT), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=1) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(line)
            found = NOT_IMPLEMENTED.match(line.strip())
            if found and found.group(1) not in missing:
                missing.append(found.group(1))
        status = child.wait()
    sys.stdout.flush()
    if missing:
        print(not_implemented_summary(week_dir.name, missing))
    elif status == 0:
        print(f"{week_dir.name}: every public test passes and no tested function is left as a stub")
    else:
        print(f"{week_dir.name}: no stub left untouched, but some public tests fail (exit {status})")
    return status


def not_implemented_summary(week: str, sites: list[str]) -> str:
    """`week: N functions not implemented yet`, then one line per file listing its functions."""
    by_file: dict[str, list[str]] = {}
    for site in sites:
        file, _, function = site.partition("::")
        by_file.setdefault(file, []).append(function)
    noun = "function" if len(sites) == 1 else "functions"
    lines = [f"{week}: {len(sites)} {noun} not implemented yet"]
    lines += [f"  {file}: {', '.join(functions)}" for file, functions in by_file.items()]
    return "\n".join(lines)


# Runs in the child: imports each module named on the command line, and reports each on its own
# line after a marker (the module may print on import, even without a final newline).
_REPORT = "@@import-check@@"
_IMPORT_CHECK = f"""
import importlib, json, sys, traceback
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
        error = None
    except BaseException:
        error = traceback.format_exc(limit=-3)
    print("\\n{_REPORT}" + json.dumps({{"module": name, "error": error}}), flush=True)
"""


def import_problems(week_dir: Path, files: tuple[str, ...]) -> list[str]:
    """One message per graded file that does not import, all tried in one child process.

    The child starts in the week folder, with it first on sys.path, so the files import each other
    by their plain names as they do under the grader; a timeout bounds the whole check.
    """
    modules = [Path(name).stem for name in files]
    command = [sys.executable, "-c", _IMPORT_CHECK, *modules]
    try:
        done = subprocess.run(command, cwd=week_dir, env=_child_env(week_dir, REPO_ROOT),
                              capture_output=True, text=True, timeout=IMPORT_TIMEOUT_S)
        output, stopped = done.stdout, f"the import check stopped (exit status {done.returncode})"
    except subprocess.TimeoutExpired as expired:  # its captured output is bytes, whatever `text`
        output = (expired.stdout or b"").decode("utf-8", "replace")
        stopped = f"the import check did not finish within {IMPORT_TIMEOUT_S} s"
    results = {}
    for line in output.splitlines():
        if line.startswith(_REPORT):
            record = json.loads(line[len(_REPORT):])
            results[record["module"]] = record["error"]
    problems = []
    for name, module in zip(files, modules):
        if module not in results:
            problems.append(f"{name}: {stopped} while importing it or a file before it "
                            "(code at module level that should be in a function?)")
        elif results[module] is not None:
            tail = "\n".join("    " + line for line in results[module].strip().splitlines()[-6:])
            problems.append(f"{name}: does not import:\n{tail}")
    return problems


def make_submission(week_arg: str, assignments: Path = REPO_ROOT / "assignments",
                    out: Path | None = None, force: bool = False) -> Path:
    """Check that each graded file imports, then zip exactly those files. Returns the zip's path."""
    week_dir = _week_dir(week_arg, assignments)
    files = graded_files(week_dir.name)
    missing = [name for name in files if not (week_dir / name).is_file()]
    if missing:
        raise SubmissionError(f"missing from {week_dir}: {', '.join(missing)}")
    problems = import_problems(week_dir, files)
    if problems and not force:
        raise SubmissionError("\n".join(problems) + "\n(fix them, or add --force to hand in anyway)")
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    out = Path(out).resolve() if out else REPO_ROOT / "dist" / f"{week_dir.name}_submission.zip"
    return write_zip(out, {name: (week_dir / name).read_bytes() for name in files})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.student", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignments", type=Path, default=REPO_ROOT / "assignments",
                        help="the assignments root (default: assignments/)")
    commands = parser.add_subparsers(dest="command", required=True)
    test = commands.add_parser("test", help="run the public tests of a week")
    test.add_argument("week", metavar="WEEK")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed on to pytest")
    submission = commands.add_parser("submission", help="zip the graded files of a week")
    submission.add_argument("week", metavar="WEEK")
    submission.add_argument("--out", type=Path, help="default: dist/<week>_submission.zip")
    submission.add_argument("--force", action="store_true",
                            help="write the zip even if a graded file does not import")
    notebook = commands.add_parser("notebook", help="open a week's notebook in JupyterLab")
    notebook.add_argument("week", metavar="WEEK")
    notebook.add_argument("--dry-run", action="store_true", help="print the command only")
    args = parser.parse_args(argv)
    try:
        if args.command == "test":
            extra = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
            return run_tests(args.week, args.assignments, extra)
        if args.command == "submission":
            path = make_submission(args.week, args.assignments, args.out, args.force)
            with zipfile.ZipFile(path) as archive:
                shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
                print(f"wrote {shown}: {', '.join(archive.namelist())}")
            return 0
        week_dir = _week_dir(args.week, args.assignments)
        command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={week_dir}"]
        print(" ".join(command))
        return 0 if args.dry_run else subprocess.call(command, cwd=week_dir,
                                                      env=_child_env(REPO_ROOT))
    except (ValueError, SubmissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
