"""`make bench`: how fast grading is, measured, written to bench/results.json and bench/results.md.

Figures, per week:
* grading time of one correct submission (the reference), median of `repeats` runs, end to end
  (loading, sandbox start, every hidden test);
* the harness overhead: that time minus the same tests run in-process against the reference
  (no sandbox, no serialization);
* throughput of a batch of 8 submissions with --workers 1 and --workers 2 (each the median of 3 runs,
  alternated);
* week 1: a submission whose every function hangs, graded end to end;
and once per run, nbgrader's autograde of an equivalent one-test torch notebook (nbgrader_bench.py), so that
our overhead is compared with nbgrader's measured side by side on the same machine.
These are measurements, not assertions: the targets (issue 14; week 1: at most 4 s per submission, an overhead
of at most 1 s and at most 0.4 × nbgrader's, a 1.7× speed-up with 2 workers, at most 120 s when every
function hangs) are compared in the table, never in a timed test.
"""
from __future__ import annotations

import ast
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import torch

from autograder import engine, nbgrader_bench
from autograder.checks import StudentError
from autograder.runtime import fixtures, protocol
from autograder.weeks import available_weeks


class LocalRemote:
    """The `sub` interface, calling a module namespace in-process: the baseline for the overhead."""

    def __init__(self, namespace: types.SimpleNamespace):
        self._ns = namespace
        self.deadline = float("inf")

    def __getattr__(self, name):
        module = getattr(self._ns, name)
        return types.SimpleNamespace(**{k: _localize(v) for k, v in vars(module).items() if callable(v)})

    def fixture(self, name, **kwargs):
        return getattr(fixtures, name)(**kwargs)

    def call_fixture(self, name, *args, **kwargs):
        return _localize(getattr(fixtures, name))(*args, **kwargs)

    def without(self, *names):
        return self


class LocalObject:
    """An object returned by the reference, with the RemoteObject interface (methods, `.get(name)`,
    `.handle`)."""

    def __init__(self, obj):
        self._obj = obj
        _OBJECTS[id(obj)] = obj

    @property
    def handle(self) -> protocol.Handle:
        return protocol.Handle(id(self._obj), type(self._obj).__name__)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _localize(getattr(self._obj, name))

    def __call__(self, *args, **kwargs):
        return _localize(self._obj)(*args, **kwargs)

    def get(self, name):
        return _wrap(getattr(self._obj, name))


_OBJECTS: dict[int, object] = {}  # what the handles of LocalObjects stand for


def _localize(fn):
    def call(*args, **kwargs):
        try:
            value = fn(*[_fix(a) for a in args], **{k: _fix(v) for k, v in kwargs.items()})
        except Exception as exc:  # noqa: BLE001  (as the sandbox reports it: check.raises expects this)
            raise StudentError(getattr(fn, "__name__", "call"), type(exc).__name__, str(exc), "") from None
        return _wrap(value)

    return call


def _wrap(value):
    """Plain data as the protocol would return it (detached tensors); other objects as LocalObjects."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if type(value) in (tuple, list):
        return type(value)(_wrap(v) for v in value)
    if type(value) is dict:
        return {k: _wrap(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return value
    return LocalObject(value)


def _fix(value):
    if isinstance(value, LocalObject):
        return value._obj
    if isinstance(value, protocol.Handle):
        return _OBJECTS[value.handle_id]
    if type(value) in (tuple, list):
        return type(value)(_fix(v) for v in value)
    if type(value) is dict:
        return {k: _fix(v) for k, v in value.items()}
    if isinstance(value, protocol.FixtureRef):
        return getattr(fixtures, value.name)(**{k: _fix(v) for k, v in value.kwargs.items()})
    return value


def in_process_time(week) -> tuple[float, int]:
    """Seconds to run the week's tests on the reference in this process, and how many of them failed
    (a failure makes the baseline too short: the figure is then flagged in the table)."""
    ref = engine.reference(week)
    local = LocalRemote(ref)
    failures = 0
    sys.path.insert(0, str(week.solution_dir))  # fixtures that import a graded module by name find it
    started = time.perf_counter()
    try:
        for test in engine.select_tests(week):
            torch.manual_seed(engine.test_seed(0, test.id))
            try:
                test.func(local, ref)
            except Exception:  # noqa: BLE001  (counted, not raised: only the time matters here)
                failures += 1
    finally:
        sys.path.remove(str(week.solution_dir))
    return time.perf_counter() - started, failures


BATCH = 8  # submissions per throughput run
BATCH_RUNS = 3  # throughput runs per number of workers


def batch_time(week, workers: int, copies: int = BATCH) -> float:
    """Wall time of the real command, from a cold start: `python -m autograder grade … --workers N`."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(copies):
            folder = Path(tmp) / f"student{i}"
            folder.mkdir()
            for f in week.graded_files:
                (folder / f).write_bytes((week.solution_dir / f).read_bytes())
            paths.append(str(folder))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autograder", "grade", week.folder, *paths, "--out",
                        str(Path(tmp) / "out"), "--workers", str(workers)], check=True, capture_output=True)
        return time.perf_counter() - started


def hanging_submission(week, folder: Path) -> Path:
    """The reference with the body of every function (and method) replaced by `while True: pass`: a careless
    student's infinite loops, everywhere."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in week.graded_files:
        tree = ast.parse((week.solution_dir / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                node.body = ast.parse("while True:\n    pass").body
        (folder / name).write_text(ast.unparse(tree) + "\n")
    return folder


def all_hang(week) -> dict:
    """Seconds to grade the all-hanging submission end to end, and whether every test scored 0 with a
    "timed out after N s" message."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = hanging_submission(week, Path(tmp) / "hang")
        started = time.perf_counter()
        result = engine.grade(week, folder)
        seconds = time.perf_counter() - started
    timed_out = [t for t in result.tests if t.score == 0 and "timed out after" in t.output]
    return {"all_hang_seconds": round(seconds, 1), "all_hang_tests": len(result.tests),
            "all_hang_timed_out": len(timed_out), "all_hang_score": result.score}


def child_start_time() -> float:
    """Seconds from nothing to a child runtime that answers (namespace set-up, Python, torch)."""
    from autograder.sandbox import Sandbox

    started = time.perf_counter()
    with Sandbox({}, []) as sandbox:
        sandbox.request({"op": "ping"}, [], 120)
        return time.perf_counter() - started


def reference_results(out: Path) -> list[str]:
    """The reference's own results (likelihoods, sample quality, wall times), as recorded with their date
    by the full runs of the instructor notebooks (`make notebooks`) in `bench/weekN_reference.md`."""
    lines = ["\n# Reference results (recorded by the instructor notebooks' full runs)\n"]
    found = sorted(Path(out).glob("week*_reference.md"))
    for path in found:
        text = path.read_text().strip()
        lines.append("\n".join(("#" + line) if line.startswith("#") else line for line in text.splitlines()))
        lines.append("")
    if not found:
        lines.append("None recorded yet: run `make notebooks` (full mode).")
    return lines


def main(out: Path, repeats: int = 5, weeks: list | None = None) -> int:
    """Benchmark `weeks` (default: all); the rows of other weeks are kept from the last results.json."""
    torch.set_num_threads(1)
    weeks = weeks or available_weeks()
    previous = Path(out) / "results.json"
    rows = []
    if previous.exists():
        old = json.loads(previous.read_text())
        done = {w.folder for w in weeks}
        rows = [dict(r, date=r.get("date", old["meta"]["date"])) for r in old["weeks"] if r["week"] not in done]
    for week in weeks:
        times, score = [], None
        for _ in range(repeats):
            started = time.perf_counter()
            result = engine.grade(week, week.solution_dir)
            times.append(time.perf_counter() - started)
            score = (result.score, result.max_score)
        local, local_failures = in_process_time(week)
        start = statistics.median(child_start_time() for _ in range(3))
        # Alternated, 1 worker then 2, BATCH_RUNS times; the medians (one run each was too noisy to compare).
        runs = [(batch_time(week, 1), batch_time(week, 2)) for _ in range(BATCH_RUNS)]
        one, two = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        hang = all_hang(week) if week.number == 1 else {}  # the figure: week 1 only
        rows.append({
            "week": week.folder, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "tests": len(engine.select_tests(week)),
            "reference_score": score[0], "max_score": score[1],
            "grade_seconds_median": round(statistics.median(times), 2),
            "grade_seconds_all": [round(t, 2) for t in times],
            "in_process_seconds": round(local, 2), "in_process_failures": local_failures,
            "overhead_seconds": round(statistics.median(times) - local, 2),
            "child_start_seconds": round(start, 2),
            f"batch{BATCH}_workers1_seconds": round(one, 2), f"batch{BATCH}_workers2_seconds": round(two, 2),
            f"batch{BATCH}_workers1_seconds_all": [round(r[0], 2) for r in runs],
            f"batch{BATCH}_workers2_seconds_all": [round(r[1], 2) for r in runs],
            "speedup_workers2": round(one / two, 2), **hang,
        })
    nbgrader = nbgrader_bench.measure()
    measured = {w.folder for w in weeks}
    for r in rows:
        if r["week"] in measured:
            r["nbgrader_overhead_seconds"] = nbgrader["nbgrader_overhead_seconds"]  # of the same run
            r["overhead_over_nbgrader"] = round(r["overhead_seconds"] / nbgrader["nbgrader_overhead_seconds"], 2)
    rows.sort(key=lambda r: r["week"])
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
            "machine": platform.machine(), "python": platform.python_version(), "torch": torch.__version__,
            "isolation": __import__("autograder.sandbox", fromlist=["x"]).isolation_mode(),
            "load_average": [round(x, 2) for x in os.getloadavg()], "nbgrader": nbgrader}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"meta": meta, "weeks": rows}, indent=2) + "\n")
    nb = nbgrader
    lines = [f"# Grading benchmark\n\n{meta['date']}, {meta['cpus']} CPUs ({meta['machine']}), Python {meta['python']}, "
             f"torch {meta['torch']}, isolation: {meta['isolation']}, load average at the end "
             f"{' / '.join(str(x) for x in meta['load_average'])} (1 / 5 / 15 min).\n",
             f"| week | measured | tests | reference score | grade one (median s) | in-process (s) | overhead (s) | "
             f"overhead / nbgrader's | of which child start (s) | {BATCH} subs, 1 worker (s) | "
             f"{BATCH} subs, 2 workers (s) | speed-up | every function hangs (s) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['week']} | {r['date']} | {r['tests']} | {r['reference_score']:g}/{r['max_score']:g} | "
                     f"{r['grade_seconds_median']} | {r['in_process_seconds']}"
                     f"{' (' + str(r['in_process_failures']) + ' failed)' if r.get('in_process_failures') else ''} | "
                     f"{r['overhead_seconds']} | "
                     + (f"{r['overhead_over_nbgrader']} × (of {r['nbgrader_overhead_seconds']} s) | "
                        if "nbgrader_overhead_seconds" in r else "not measured | ")
                     + f"{r['child_start_seconds']} | {r[f'batch{BATCH}_workers1_seconds']} | "
                     f"{r[f'batch{BATCH}_workers2_seconds']} | {r['speedup_workers2']}× | "
                     + (f"{r['all_hang_seconds']} ({r['all_hang_timed_out']} of {r['all_hang_tests']} timed out, "
                        f"score {r['all_hang_score']:g}) |" if "all_hang_seconds" in r else "not measured |"))
    lines.append(f"\n**nbgrader {nb['nbgrader_version']}, measured in the same run** (`autograder/nbgrader_bench.py`): "
                 f"`nbgrader autograde` of a one-test torch notebook (week 1's `gaussian_log_prob` against "
                 f"torch.distributions, score {'/'.join(f'{x:g}' for x in nb['nbgrader_scores'])} of 1 each), one "
                 f"submission per command, end to end: {nb['nbgrader_one_seconds']} s (median of "
                 f"{', '.join(str(x) for x in nb['nbgrader_one_seconds_all'])}); "
                 f"{nb['nbgrader_many']} submissions in one command: {nb['nbgrader_many_seconds']} s, so "
                 f"{nb['nbgrader_per_submission_seconds']} s per further submission; the same two cells in this "
                 f"process: {nb['nbgrader_in_process_seconds']} s. nbgrader's overhead per submission (per further "
                 f"submission minus in-process, its steady state like ours): **{nb['nbgrader_overhead_seconds']} s** "
                 f"({nb['nbgrader_one_overhead_seconds']} s for a single-submission command). No sandbox at all.\n")
    lines.append("Overhead is the end-to-end time minus the same tests run in this (warm) process: it includes "
                 "the child's start: as root, a fork of the fork server (which imported torch and torch._dynamo "
                 "once per grader process) and the jail's set-up; else namespace, Python and torch in each fresh "
                 "child. 'overhead / nbgrader's' divides it by nbgrader's overhead measured in the same run as the row "
                 "(above for the rows of this run). Throughput runs are the "
                 f"real CLI from a cold start, each figure the median of {BATCH_RUNS} runs (1 worker and 2 "
                 "alternated; every run is in results.json); with 2 workers, the workers are forked by the grader after it started "
                 "the one fork server they share (namespace mode). "
                 "'Every function hangs' grades the reference with each function's body replaced by an endless "
                 "loop: each test's CPU limit in the child is max(5 s, 20 × the reference's recorded CPU time), "
                 "and a function that timed out fails its later tests at once (target: at most 120 s, every "
                 "test timed out).\n\n"
                 "Targets (issue 14, week 1): at most 4 s to grade one submission, at most 1 s of harness "
                 "overhead and at most 0.4 × nbgrader's, a speed-up of at least 1.7× with 2 workers, at most 120 s "
                 "when every function hangs.\n")
    lines += reference_results(out)
    (out / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


