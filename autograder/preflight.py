"""The student's pre-flight: the public tests run where grading runs student code, to find what fails only there.

    python -m autograder.preflight WEEK [--dir assignments/<week>]        (make check WEEK=1)

The graded files of the week folder run in the grader's own sandbox (`autograder.sandbox`: the same
isolation mode, resource limits, scrubbed environment, one torch thread, and working directory holding
only the graded files), and each function that grading calls with library samplers disabled is called with
them disabled (`DISABLED`, from the contract). The public tests run there, and once more in a plain process
as `make test-week` runs them; what fails only in the sandbox is reported with its likely cause:

- an import grading does not allow or cannot satisfy (the contract allows the standard library, torch,
  numpy and scipy; `course` and `data` are not there when grading);
- a disabled function (`torch.multinomial` in `sample_categorical`);
- a file read or written outside the working directory and the temporary folder, or network access
  (an audit hook records them, so they are found even where no filesystem jail can be built);
- a timeout (a public test slower than the shortest hidden-test limit, or the run killed), or memory.

No hidden test is shipped or run: this module, the sandbox and the child runtime hold nothing secret.
Where the machine cannot build the jail (not root, no user namespaces), the sandbox runs the limits it
can, and the report says so. Exit status 0 when nothing fails only in grading, 1 when something does.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder import sandbox as sandbox_mod
from autograder.runtime import protocol

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).resolve().parent / "runtime" / "preflight.py"
ALLOWED_IMPORTS = frozenset({"torch", "numpy", "scipy"})  # with the standard library (spec: graded code)
SHORTEST_HIDDEN_LIMIT_S = 30  # the smallest per-test time limit of the hidden tests (@test(timeout=30))
RUN_TIMEOUT_S = 600  # the whole public-test run in the sandbox

# Functions that grading calls with library functions disabled, as the contract states them
# (sample_categorical's TODO in solutions/week1_mle_sampling/sampling.py: "no torch.multinomial and no
# torch.distributions: they are disabled when grading").
# tests/engine/test_preflight.py checks that every `sub.without(...)` of the hidden tests is listed here.
DISABLED: dict[str, dict[str, tuple[str, ...]]] = {
    "week1_mle_sampling": {"sampling.sample_categorical": ("torch.multinomial", "torch.distributions")},
}

MODE_NOTES = {
    "namespace": "the full jail: private filesystem, no network, an unprivileged user, limits",
    "userns": "the jail in a user namespace: private filesystem, no network, limits (no separate user)",
    "privdrop": "an unprivileged user and limits, without a private filesystem (no mount namespaces here)",
    "process": ("limits only (not root, no user namespaces): no filesystem jail, network not cut; file and "
                "network access are found by an audit hook instead"),
}


def forbidden_imports(path: Path, siblings: set[str]) -> list[str]:
    """`file:line: import X` for each import the contract does not allow (found without running the file)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, ValueError) as exc:
        return [f"{path.name}: does not parse ({exc})"]
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else [f"{'.' * node.level}{node.module or ''}"]
        for name in names:
            top = name.split(".")[0]
            if name.startswith(".") or not (top in sys.stdlib_module_names or top in ALLOWED_IMPORTS
                                            or top in siblings or top == "__future__"):
                found.append(f"{path.name}:{node.lineno}: import {name}")
    return found


def _files(week_dir: Path, graded: tuple[str, ...], tmp: Path) -> dict[str, Path]:
    """The sandbox's working directory: graded files, the runner, the public tests and course's plugin."""
    files = {f: week_dir / f for f in graded if (week_dir / f).is_file()}
    files["preflight.py"] = RUNNER
    for test in sorted((week_dir / "tests").glob("*.py")):
        files[f"pf--tests--{test.name}"] = test
    plugin = ROOT / "course" / "testing.py"
    files["pf--course--testing.py"] = plugin
    init = tmp / "course_init.py"
    init.write_text('"""The course package, reduced to its pytest plugin for the pre-flight."""\n')
    files["pf--course--__init__.py"] = init
    return files


def run_sandboxed(week: str, week_dir: Path, graded: tuple[str, ...], timeout: float) -> tuple[dict | None, str, str]:
    """(the runner's result or None, the sandbox's isolation mode, an error message)."""
    modules = [Path(f).stem for f in graded if (week_dir / f).is_file()]
    disabled = {k: list(v) for k, v in DISABLED.get(week, {}).items()}
    with tempfile.TemporaryDirectory(prefix="dgm-preflight-") as tmp:
        files = _files(week_dir, graded, Path(tmp))
        with sandbox_mod.Sandbox(files, [*modules, "preflight"]) as box:
            arrays: list = []
            message = {"op": "call", "target": "preflight.run",
                       "args": protocol.encode([modules, disabled, None], arrays),
                       "kwargs": protocol.encode({}, arrays)}
            try:
                reply, reply_arrays = box.request(message, arrays, timeout)
            except sandbox_mod.SandboxError as exc:
                return None, box.mode, str(exc)
            mode = box.mode
            if not reply["ok"]:
                error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
                return None, mode, f"{protocol.text(error.get('type'), 100)}: {protocol.text(error.get('message'), 500)}"
            return protocol.decode(reply.get("value"), reply_arrays), mode, ""


def run_plain(week_dir: Path, graded: tuple[str, ...], timeout: float) -> dict | None:
    """The same runner in a plain child process in the week folder, as `make test-week` runs the tests."""
    modules = [Path(f).stem for f in graded if (week_dir / f).is_file()]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join([str(week_dir), str(RUNNER.parent), str(ROOT)])}
    with tempfile.TemporaryDirectory(prefix="dgm-preflight-plain-") as tmp:
        env["TMPDIR"] = tmp
        try:
            done = subprocess.run([sys.executable, str(RUNNER), json.dumps(modules)], cwd=week_dir, env=env,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    for line in done.stdout.splitlines():
        if line.startswith("@@preflight@@"):
            return json.loads(line[len("@@preflight@@"):])
    return None


def cause(record: dict) -> str:
    """The likely grading-only cause of a test that fails in the sandbox (or '' for an ordinary failure)."""
    error = record.get("error", "")
    kinds = {e[0] for e in record.get("events", [])}
    if "is not allowed in this function" in error:
        return "disabled function"
    if "ModuleNotFoundError" in error or "ImportError" in error:
        return "import"
    if "MemoryError" in error or "can't allocate memory" in error or "Cannot allocate memory" in error:
        return "memory"
    if "network" in kinds or "Network is unreachable" in error:
        return "network access"
    if "file" in kinds or any(s in error for s in ("PermissionError", "FileNotFoundError", "Read-only file system")):
        return "file access"
    return ""


def _key(record: dict) -> tuple[str, str]:
    return record["file"], record["test"]


def report(week: str, graded: tuple[str, ...], week_dir: Path, boxed: dict | None, mode: str, box_error: str,
           plain: dict | None) -> tuple[list[str], list[str]]:
    """(lines to print, problems that fail only in grading)."""
    lines = [f"{week}: the public tests in the grading sandbox ({mode}: {MODE_NOTES.get(mode, mode)})"]
    problems: list[str] = []
    siblings = {Path(f).stem for f in graded}
    for f in graded:
        if not (week_dir / f).is_file():
            problems.append(f"{f} is missing: grading gives 0 on the tests that need it")
        else:
            problems += [f"forbidden import {p} (graded code may import the standard library, torch, numpy and "
                         "scipy only)" for p in forbidden_imports(week_dir / f, siblings)]
    if boxed is None:
        problems.append(f"the public tests did not finish in the sandbox: {box_error} (grading would lose the "
                        "tests that call it: a timeout, a crash, or memory)")
        return lines, problems
    plain_imports = (plain or {}).get("imports", {})
    for module, error in boxed["imports"].items():
        if error and not plain_imports.get(module):
            problems.append(f"{module}.py imports here but not in grading: {error}")
    plain_records = {_key(r): r for r in (plain or {}).get("tests", [])}
    boxed_records = [r for r in boxed["tests"]]
    failed_boxed = [r for r in boxed_records if r["outcome"] == "failed"]
    passed_boxed = sum(r["outcome"] == "passed" and r["when"] == "call" for r in boxed_records)
    lines.append(f"sandbox: {passed_boxed} passed, {len(failed_boxed)} failed in {boxed['seconds']:.1f} s")
    if plain is not None:
        failed_plain = sum(r["outcome"] == "failed" for r in plain["tests"])
        passed_plain = sum(r["outcome"] == "passed" and r["when"] == "call" for r in plain["tests"])
        lines.append(f"as make test-week runs them: {passed_plain} passed, {failed_plain} failed")
    else:
        lines.append("as make test-week runs them: the plain run did not finish (not compared)")
    for r in boxed_records:
        where = f"{r['file']}::{r['test']}"
        plain_r = plain_records.get(_key(r))
        only_here = r["outcome"] == "failed" and (plain_r is None or plain_r["outcome"] != "failed")
        why = cause(r)
        if only_here or (r["outcome"] == "failed" and why):
            lines_e = [ln[1:].strip() for ln in r["error"].splitlines() if ln.startswith("E ")]  # pytest's "E  ..."
            last = lines_e[-1] if lines_e else next((ln.strip() for ln in reversed(r["error"].splitlines())
                                                    if ln.strip()), "")
            problems.append(f"{where}: {why or 'fails only in the sandbox'}: {last[:200]}")
        elif r["events"]:  # passed, but touched what grading hides (found by the audit hook)
            kinds = sorted({e[0] for e in r["events"]})
            detail = "; ".join(f"{k} {v}" for k, v in r["events"][:2])
            hidden = {"file": "that file is not there when grading", "network": "grading has no network",
                      "process": "grading limits processes"}
            problems.append(f"{where}: {' and '.join(kinds)} access ({detail[:200]}): "
                            f"{'; '.join(hidden.get(k, k) for k in kinds)}")
        if r["outcome"] == "passed" and r["duration"] > SHORTEST_HIDDEN_LIMIT_S:
            problems.append(f"{where}: took {r['duration']:.0f} s; hidden tests have limits from "
                            f"{SHORTEST_HIDDEN_LIMIT_S} s: a timeout risk")
    return lines, problems


def check(week_arg: str, week_dir: Path | None = None, timeout: float = RUN_TIMEOUT_S) -> int:
    from tools.weeks import graded_files, resolve_week

    week = resolve_week(week_arg, ROOT / "assignments")
    week_dir = Path(week_dir) if week_dir else ROOT / "assignments" / week
    graded = graded_files(week)
    started = time.monotonic()
    boxed, mode, box_error = run_sandboxed(week, week_dir, graded, timeout)
    plain = run_plain(week_dir, graded, timeout)
    lines, problems = report(week, graded, week_dir, boxed, mode, box_error, plain)
    print("\n".join(lines))
    if problems:
        print(f"would fail only in grading ({len(problems)}):")
        print("\n".join(f"  - {p}" for p in problems))
    else:
        print("nothing found that fails only in grading (the hidden tests check values: the public tests do not)")
    print(f"({time.monotonic() - started:.0f} s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.preflight", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("week", metavar="WEEK", help="1..4 or the week's folder name")
    parser.add_argument("--dir", type=Path, help="the week folder (default: assignments/<week>)")
    parser.add_argument("--timeout", type=float, default=RUN_TIMEOUT_S, help="seconds for the whole run")
    args = parser.parse_args(argv)
    try:
        return check(args.week, args.dir, args.timeout)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
