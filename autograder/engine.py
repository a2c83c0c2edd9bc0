"""The engine: runs a week's hidden tests on one submission and decides every point.

The student's code runs only in the sandbox; the tests, the reference and every comparison run here,
in the grader's process. A test earns its points when it returns; any failure earns zero for that
test alone, with a message for the student.
"""
from __future__ import annotations

import builtins
import dataclasses
import fnmatch
import functools
import json
import sys
import tempfile
import time
import traceback
import zlib
from pathlib import Path

import torch

from autograder import checks, registry, submission as submission_mod
from autograder.remote import Remote
from autograder.runtime import protocol
from autograder.sandbox import Limits, Sandbox, SandboxError, isolation_mode, protect
from autograder.weeks import Week, load_modules

SUBMISSION_BUDGET_S = 600.0  # wall-clock seconds for all the tests of one submission
# A test's CPU seconds in the child: CPU_FACTOR × what the reference's child spent on it (recorded in
# weeks/<week>/reference_cpu.json by `python -m autograder reference-cpu`), at least CPU_FLOOR_S, at most
# the test's declared wall-clock timeout (which still bounds the test in wall-clock time). CPU time, unlike
# wall-clock time, does not stretch when other processes load the machine: the reference's margin of 20×
# holds on a loaded 2-core machine. A test the file does not list gets its declared timeout in both.
CPU_FACTOR = 20.0
CPU_FLOOR_S = 5.0
REFERENCE_CPU_FILE = "reference_cpu.json"


@dataclasses.dataclass
class TestResult:
    id: str
    name: str
    score: float
    max_score: float
    visibility: str
    output: str  # the grader's own message: safe to show whatever the visibility
    duration: float
    figures: list = dataclasses.field(default_factory=list)  # (caption, png bytes)
    detail: str = ""  # text the student's code controls (its exception message and traceback)
    message: str = ""  # the grader's own words, nothing the student's code controls: the class report groups by it
    cpu: float = 0.0  # CPU seconds the child reported for the test's requests (recorded for the reference)
    cpu_limit: float = float("inf")

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclasses.dataclass
class SubmissionResult:
    name: str
    week: str
    tests: list[TestResult]
    messages: list[str]
    stdout: str
    duration: float
    isolation: str

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)


@functools.lru_cache(maxsize=None)
def reference(week: Week):
    """The reference solution, imported in the grader's process (never in the child)."""
    return load_modules(week.solution_dir, week, prefix="_reference")


@functools.lru_cache(maxsize=None)
def reference_cpu(week: Week) -> dict[str, float]:
    """test id -> CPU seconds the reference's child spent on it (the largest of the recorded runs)."""
    path = week.hidden_dir / REFERENCE_CPU_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {k: float(v) for k, v in data.get("cpu_seconds", {}).items()}


def cpu_limit(week: Week, test: registry.Test) -> float:
    """The test's CPU seconds in the child: max(CPU_FLOOR_S, CPU_FACTOR × the reference's), capped by the
    declared timeout; the declared timeout where the reference's time is not recorded."""
    measured = reference_cpu(week).get(test.id)
    if measured is None:
        return float(test.timeout)
    return min(float(test.timeout), max(CPU_FLOOR_S, CPU_FACTOR * measured))


@functools.lru_cache(maxsize=None)
def week_tests(week: Week) -> tuple[registry.Test, ...]:
    return tuple(registry.discover(week.hidden_dir))


def test_seed(base_seed: int, test_id: str) -> int:
    """A per-test seed that does not depend on which other tests run."""
    return (base_seed * 1_000_003 + zlib.crc32(test_id.encode())) % (2**31 - 1)


def select_tests(week: Week, functions: set[str] | None = None, only: list[str] | None = None,
                 slow: bool | None = None):
    """The week's tests, restricted to those exercising `functions`, or whose id matches a glob of `only`,
    and to the slow (training) tests or the others when `slow` is True or False."""
    tests = week_tests(week)
    if slow is not None:
        tests = tuple(t for t in tests if t.slow == slow)
    if functions is not None:
        tests = tuple(t for t in tests if set(t.functions) & functions)
    if only:
        tests = tuple(t for t in tests if any(fnmatch.fnmatchcase(t.id, pattern) for pattern in only))
    return tests


def child_seed(test_seed_value: int) -> int:
    """The seed of the child's global generator for a test, independent of the grader's stream."""
    return zlib.crc32(f"child:{test_seed_value}".encode()) % (2**31 - 1)


def grade(week: Week, path: Path, seed: int = 0, functions: set[str] | None = None,
          limits: Limits | None = None, budget_s: float = SUBMISSION_BUDGET_S,
          name: str | None = None, only: list[str] | None = None, slow: bool | None = None,
          derived_limits: bool = True) -> SubmissionResult:
    """Grade one submission (a folder or a zip) on the week's hidden tests.

    derived_limits: False gives every test its declared timeout as its CPU limit too (to record the
    reference's own CPU times)."""
    torch.set_num_threads(1)
    started = time.monotonic()
    if isolation_mode() == "privdrop":  # no filesystem jail: hide the secrets by their permissions
        protect([week.solution_dir.parent, week.hidden_dir.parent])
    tests = select_tests(week, functions, only, slow)
    ref = reference(week)
    with tempfile.TemporaryDirectory(prefix="dgm-submission-") as tmp:
        sub = submission_mod.load(Path(path), week, Path(tmp) / "files")
        present = [f.removesuffix(".py") for f in sub.files]
        with Sandbox(sub.files, present, limits) as sandbox:
            modules = _import_modules(sandbox, week, sub, present)
            remote = Remote(sandbox, modules)
            results = [_run_test(t, remote, ref, seed, sub, modules, started, budget_s,
                                 cpu_limit(week, t) if derived_limits else float(t.timeout)) for t in tests]
            stdout = sandbox.output()
            mode = sandbox.mode
    return SubmissionResult(name or sub.name, week.folder, results, sub.messages, stdout,
                            time.monotonic() - started, mode)


def _import_modules(sandbox: Sandbox, week: Week, sub, present: list[str]) -> dict[str, str | None]:
    """Import each graded module once, up front; an import failure is reported once, clearly."""
    modules: dict[str, str | None] = {m: _missing(m) for m in week.modules}
    for module in present:
        try:
            reply, _ = sandbox.request({"op": "import", "module": module}, [], 120)
        except SandboxError as exc:
            modules[module] = str(exc)
            continue
        if reply["ok"]:
            modules[module] = None
        else:
            error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
            where = _last_line(protocol.text(error.get("traceback"), 4000))
            modules[module] = f"{protocol.text(error.get('type'), 100) or 'Error'}: {protocol.text(error.get('message'), 500)}{where}"
            sub.messages.append(f"{module}.py could not be imported: {modules[module]}")
    return modules


def _missing(module: str) -> str:
    return f"{module}.py is missing from the submission"


def _exception_name(name: str) -> str:
    """A built-in exception's name as it is; a class of the student's own is not named (its name is
    text the student's code controls)."""
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, BaseException):
        return name
    return "an exception of its own class"


def _last_line(tb: str) -> str:
    lines = [line.strip() for line in tb.strip().splitlines() if line.strip().startswith("File ")]
    return f" ({lines[-1]})" if lines else ""


def _run_test(test: registry.Test, remote: Remote, ref, seed: int, sub, modules,
              started: float, budget_s: float, cpu_seconds: float) -> TestResult:
    t0 = time.monotonic()
    result = TestResult(test.id, test.name, 0.0, float(test.points), test.visibility, "", 0.0,
                        cpu_limit=cpu_seconds)
    blocked = [m for m in test.files if modules.get(m)]
    if blocked:
        result.output = "; ".join(modules[m] for m in blocked)[:1000]
        result.message = "; ".join(modules[m] if modules[m] == _missing(m) else f"{m}.py could not be imported"
                                   for m in blocked)
        return result
    hung = [remote.budget.hung[f] for f in test.functions if f in remote.budget.hung]
    if hung:  # a function it exercises timed out in an earlier test: it would again, at the same cost
        result.output = result.message = hung[0]
        return result
    if time.monotonic() - started > budget_s:
        result.output = result.message = (f"not run: the grading time budget of this submission "
                                          f"({budget_s:.0f} s) ran out")
        return result
    s = test_seed(seed, test.id)
    torch.manual_seed(s)
    token, figures = checks.collect_figures()
    try:
        # The child gets its own stream: with the grader's seed, the inputs a test draws here would equal
        # the noise the student's code draws there (x0 == ε), and tests would check a coincidence.
        remote._seed(child_seed(s))  # may restart a crashed child: not charged to this test's time limit
        remote.deadline = min(time.monotonic() + test.timeout, started + budget_s)
        remote.budget.start_test(cpu_seconds)
        test.func(remote, ref)
        result.score = float(test.points)
        result.output = result.message = "passed"
    except checks.StudentError as exc:
        result.output = exc.summary
        result.message = f"{exc.label} raised {_exception_name(exc.exc_type)}"
        result.detail = (exc.exc_message[:2000] + ("\n\nWhere (your code):\n" + exc.traceback[-1500:]
                                                   if exc.traceback else "")).strip()
    except checks.CheckFailed as exc:
        result.output = str(exc)[:3000]
        result.message = (exc.grader_text or result.output)[:3000]
    except SandboxError as exc:
        result.output, result.message = str(exc), exc.grader_text or str(exc)
    except Exception as exc:  # noqa: BLE001  (the student's data broke an assumption of the test)
        result.output = (f"your code's output could not be checked ({type(exc).__name__}: {str(exc)[:300]}); "
                         "check the types and shapes your functions return")
        result.message = f"your code's output could not be checked ({type(exc).__name__})"
        print(f"[autograder] {test.id} on {sub.name}: {type(exc).__name__}: {exc}\n"
              + "".join(traceback.format_exc(limit=-3)), file=sys.stderr)
    finally:
        checks.release_figures(token)
        remote.deadline = float("inf")
        result.cpu = round(remote.budget.cpu_used, 4)
        remote.budget.start_test(float("inf"))
    if not result.passed and figures:
        result.figures = checks.render(figures)
    result.duration = time.monotonic() - t0
    return result
