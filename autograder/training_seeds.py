"""`make training-seeds`: the per-run failure rate of every training test, measured over many seeds.

    python -m autograder training-seeds [--num-seeds 200] [--tests GLOB ...] [--implementations reference alternative]
                                        [--workers 2] [--max-minutes M] [--out bench/training_tests] [--smoke]

A training test (a slow test wrapped by `autograder.training.attempts(k)`) is run ONCE per seed (its single
run, not its k attempts), on the reference and on the alternative correct implementation, in-process
(no sandbox: the judged statistics are the same, and the sweep is several times cheaper). Each seed's
verdict, the statistics the run recorded and its CPU time go into `OUT.json`, which is merged, never
overwritten: a rerun runs only the (test, implementation, seed) triples it does not hold yet, so a
sweep cut short (by `--max-minutes`, or by a stopped session) is completed by running the command
again, and a larger `--num-seeds` extends it. Then `OUT.md` is written from everything `OUT.json` holds:

* failures x out of n runs, the rate, and its Clopper-Pearson 95% upper bound p_u (the upper end of
  the two-sided exact interval, `scipy.stats.beta.ppf(0.975, x + 1, n - x)`);
* the test's number of independent attempts k, and the derived per-submission false-failure bound
  p_u^k (required <= 1e-6, as for the sampler tests);
* the CPU time of one run (mean and max), and k times the max (what a broken submission pays);
* the spread (min, median, max) of each statistic the run judges.

Cheap tests run first, seeds interleaved across tests, so a short sweep covers every test a little
before it covers one test a lot. `--smoke` (CI) runs one seed of the reference into a temporary file.
"""
from __future__ import annotations

import concurrent.futures
import datetime
import fnmatch
import json
import math
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

IMPLEMENTATIONS = ("reference", "alternative")
TARGET = 1e-6  # the per-submission false-failure bound every statistical test keeps


# ---------------------------------------------------------------------------------------------
# Which tests, and one run of one of them
# ---------------------------------------------------------------------------------------------
def training_tests(patterns: list[str] | None = None):
    """[(week, test)] for every test that `training.attempts` wraps, in week order."""
    from autograder import engine
    from autograder.weeks import available_weeks

    found = []
    for week in available_weeks():
        for t in engine.week_tests(week):
            if getattr(t.func, "single_run", None) is None:
                continue
            if patterns and not any(fnmatch.fnmatchcase(t.id, p) or fnmatch.fnmatchcase(t.func.__name__, p)
                                    for p in patterns):
                continue
            found.append((week, t))
    return found


_LOADED: dict = {}


def _implementation(week, label: str):
    """The week's graded modules of one implementation, loaded once per worker process."""
    from autograder import engine
    from autograder.weeks import load_modules

    key = (week.folder, label)
    if key not in _LOADED:
        if label == "reference":
            _LOADED[key] = engine.reference(week)
        elif label == "alternative":
            _LOADED[key] = load_modules(week.hidden_dir / "alternative", week, "_sweep_alt")
        else:  # "mutant:<id>": a buggy variant, whose runs should fail (how far below a threshold it falls)
            import tempfile

            from autograder import mutants

            mutant = next(m for m in mutants.load_mutants(week) if m.id == label.split(":", 1)[1])
            folder = mutants.build_mutant(week, mutant, Path(tempfile.mkdtemp(prefix="dgm-sweep-")) / mutant.id)
            _LOADED[key] = load_modules(folder, week, f"_sweep_{mutant.id}")
    return _LOADED[key]


def run_one(week_folder: str, test_id: str, label: str, seed: int) -> dict:
    """One run of a training test (its single run, not its attempts) under the engine's per-test seed."""
    import torch

    from autograder import checks, engine, training
    from autograder.bench import LocalRemote
    from autograder.weeks import get_week

    torch.set_num_threads(1)
    week = get_week(week_folder)
    test = next(t for t in engine.week_tests(week) if t.id == test_id)
    ref = engine.reference(week)
    impl = _implementation(week, label)
    # Fixtures that import a graded module by name (`import diffusion`) find this implementation's.
    for name in week.modules:
        sys.modules[name] = getattr(impl, name)
    torch.manual_seed(engine.test_seed(seed, test_id))
    training.clear()
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    try:
        test.func.single_run(LocalRemote(impl), ref)
        verdict, message = "pass", ""
    except checks.CheckFailed as exc:
        verdict, message = "fail", str(exc)[:500]
    except Exception as exc:  # noqa: BLE001  (a crash of a correct implementation is a failure too)
        verdict, message = "fail", f"{type(exc).__name__}: {exc}"[:500]
    finally:
        for name in week.modules:
            sys.modules.pop(name, None)
    return {"test": test_id, "implementation": label, "seed": seed, "verdict": verdict, "message": message,
            "stats": training.recorded(), "cpu_s": round(time.process_time() - started_cpu, 3),
            "wall_s": round(time.perf_counter() - started_wall, 3)}


# ---------------------------------------------------------------------------------------------
# The store: OUT.json, merged
# ---------------------------------------------------------------------------------------------
def load_store(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"runs": {}, "sessions": []}


def save_store(added: dict, path: Path) -> dict:
    """Merge this sweep's own runs and session rows (`added`, in the store's format) into the file, under a
    lock, and return what the file now holds: two sweeps of other tests may share it, and a run removed
    from the file by hand (a superseded recipe) is not written back by a sweep that only read it."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        store = load_store(path)
        for key, runs in added["runs"].items():
            store["runs"].setdefault(key, {}).update(runs)
        mine = {s["id"] for s in added.get("sessions", [])}
        store["sessions"] = [s for s in store.get("sessions", []) if s.get("id") not in mine] \
            + [dict(s) for s in added.get("sessions", [])]
        store["sessions"].sort(key=lambda s: s["started"])
        tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(store, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
    return store


def _key(test_id: str, label: str) -> str:
    return f"{test_id}|{label}"


def clopper_pearson_upper(failures: int, n: int, confidence: float = 0.95) -> float:
    """Upper end of the two-sided exact (Clopper-Pearson) interval for a binomial rate."""
    from scipy import stats

    if n == 0:
        return 1.0
    if failures >= n:
        return 1.0
    return float(stats.beta.ppf(1 - (1 - confidence) / 2, failures + 1, n - failures))


def attempts_needed(p_upper: float, target: float = TARGET) -> int | None:
    """The smallest k with p_upper^k <= target (None when p_upper is 1)."""
    if p_upper >= 1:
        return None
    if p_upper <= 0:
        return 1
    return max(1, math.ceil(math.log(target) / math.log(p_upper) - 1e-12))


def summarize(store: dict, tests) -> list[dict]:
    """One row per (test, implementation) and its derived bound."""
    rows = []
    for week, test in tests:
        mutant_labels = sorted({k.split("|", 1)[1] for k in store["runs"] if k.startswith(f"{test.id}|mutant:")})
        for label in [*IMPLEMENTATIONS, *mutant_labels]:
            runs = list(store["runs"].get(_key(test.id, label), {}).values())
            n = len(runs)
            x = sum(r["verdict"] != "pass" for r in runs)
            k = int(test.func.attempts)
            upper = clopper_pearson_upper(x, n)
            cpu = [r["cpu_s"] for r in runs]
            spread = {}
            for name in sorted({s for r in runs for s in r["stats"]}):
                values = [r["stats"][name] for r in runs if name in r["stats"]]
                spread[name] = [min(values), statistics.median(values), max(values)]
            rows.append({
                "week": week.folder, "test": test.id, "implementation": label, "seeds": n, "failures": x,
                "rate": x / n if n else None, "cp95_upper": upper, "attempts": k, "bound": upper**k,
                "attempts_needed": attempts_needed(upper), "points": test.points, "timeout_s": test.timeout,
                "cpu_s_mean": statistics.fmean(cpu) if cpu else None, "cpu_s_max": max(cpu) if cpu else None,
                "failed_seeds": sorted(int(s) for s, r in store["runs"].get(_key(test.id, label), {}).items()
                                       if r["verdict"] != "pass"),
                "stats": spread,
            })
    return rows


def _fmt(value, spec=".3g") -> str:
    return "–" if value is None else format(value, spec)


def render(store: dict, rows: list[dict]) -> str:
    sessions = store.get("sessions", [])
    lines = [
        "# Training tests: measured failure rates and per-submission bounds",
        "",
        "Written by `make training-seeds` (`python -m autograder training-seeds`, see its docstring) from "
        "`bench/training_tests.json`, which keeps every run: rerunning the command adds the seeds it lacks.",
        "",
        "Each row is ONE run of the test (fresh data, initialisation, training and sampling under the "
        "engine's per-test seed of run seed 0..n-1), in-process, on one thread. A test passes when one of its "
        "k independent runs passes, so a correct submission loses the points with probability p^k; the bound "
        "below is p_u^k with p_u the Clopper-Pearson 95% upper bound of p (two-sided exact interval, "
        "scipy.stats.beta). Required: p_u^k <= 1e-6 for the reference and for the alternative.",
        "",
        "| week | test | implementation | seeds run | failures | rate | CP 95% upper p_u | attempts k | "
        "bound p_u^k | k needed | CPU s per run (mean, max) | k × max CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["implementation"].startswith("mutant:"):
            continue
        ok = "" if r["bound"] <= TARGET else " **(> 1e-6)**"
        lines.append(
            f"| {r['week']} | {r['test']} | {r['implementation']} | {r['seeds']} | {r['failures']} | "
            f"{_fmt(r['rate'])} | {_fmt(r['cp95_upper'])} | {r['attempts']} | {_fmt(r['bound'], '.2g')}{ok} | "
            f"{_fmt(r['attempts_needed'], 'd')} | {_fmt(r['cpu_s_mean'], '.1f')}, {_fmt(r['cpu_s_max'], '.1f')} | "
            f"{_fmt(None if r['cpu_s_max'] is None else r['attempts'] * r['cpu_s_max'], '.0f')} |")
    mutant_rows = [r for r in rows if r["implementation"].startswith("mutant:")]
    if mutant_rows:
        lines += ["", "## Mutants (these runs should fail)", "",
                  "| test | mutant | seeds run | runs failed |", "|---|---|---|---|"]
        lines += [f"| {r['test']} | {r['implementation'][7:]} | {r['seeds']} | {r['failures']} |" for r in mutant_rows]
    notes = sorted({f"{key.split('|')[0]}: {r['note']}" for key, runs in store["runs"].items()
                    for r in runs.values() if r.get("note")})
    if notes:
        lines += ["", "Notes on some runs (field `note` in the JSON): " + "; ".join(notes) + "."]
    lines += ["", "## Judged statistics (min, median, max over the seeds run)", ""]
    for r in rows:
        if not r["stats"]:
            continue
        parts = [f"{name} [{lo:.4g}, {mid:.4g}, {hi:.4g}]" for name, (lo, mid, hi) in r["stats"].items()]
        failed = f"; failed seeds: {', '.join(map(str, r['failed_seeds'][:20]))}" if r["failed_seeds"] else ""
        lines.append(f"- {r['test']} ({r['implementation']}, {r['seeds']} seeds): " + "; ".join(parts) + failed)
    lines += ["", "## Sessions", "",
              "| started (UTC) | minutes | runs added | CPU s of the runs | machine | "
              "load average (1, 5, 15 min) at its last run |",
              "|---|---|---|---|---|---|"]
    for s in sessions:
        if not s["runs"]:
            continue
        lines.append(f"| {s['started']} | {s['minutes']:.1f} | {s['runs']} | {s['cpu_s']:.0f} | {s['machine']} | "
                     f"{s['load']} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------------
def _jobs(store: dict, tests, num_seeds: int, labels, descending: bool = False) -> list[tuple]:
    """Missing (week, test, label, seed), cheapest tests first, seeds interleaved across tests."""
    def cost(test_id: str) -> float:
        cpu = [r["cpu_s"] for label in labels for r in store["runs"].get(_key(test_id, label), {}).values()]
        return statistics.fmean(cpu) if cpu else 0.0

    jobs = []
    for seed in range(num_seeds):
        for week, test in sorted(tests, key=lambda wt: cost(wt[1].id)):
            for label in labels:
                if str(seed) not in store["runs"].get(_key(test.id, label), {}):
                    jobs.append((cost(test.id), seed, week.folder, test.id, label))
    # Within a block of 10 seeds, cheap tests first; the blocks in seed order.
    jobs.sort(key=lambda j: (j[1] // 10, j[0], j[1]))
    if descending:  # a second sweep of the same tests, from the other end: the two meet without overlap
        jobs.sort(key=lambda j: (-j[1], j[0]))
    return [j[1:] for j in jobs]


def main(num_seeds: int, patterns: list[str] | None, labels, workers: int, max_minutes: float | None,
         out: Path, smoke: bool = False, descending: bool = False) -> int:
    tests = training_tests(patterns)
    if not tests:
        print("no training test matches", file=sys.stderr)
        return 2
    labels = [label for label in labels if label in IMPLEMENTATIONS or label.startswith("mutant:")]
    json_path, md_path = out.with_suffix(".json"), out.with_suffix(".md")
    store = load_store(json_path)
    jobs = _jobs(store, tests, num_seeds, labels, descending)
    started, cpu_total, count = time.monotonic(), 0.0, 0
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    print(f"{len(jobs)} runs to do ({len(tests)} tests, seeds 0..{num_seeds - 1}, {', '.join(labels)})", flush=True)
    deadline = started + 60 * max_minutes if max_minutes else math.inf
    session = {"id": f"{stamp} {os.getpid()} {time.time():.6f}", "started": stamp, "minutes": 0.0, "runs": 0,
               "cpu_s": 0.0,
               "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
               "load": ""}
    added = {"runs": {}, "sessions": [session]}  # this sweep's own rows; the session is updated at every save
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending, queue = set(), list(jobs)
        while queue or pending:
            while queue and len(pending) < workers and time.monotonic() < deadline:
                seed, week_folder, test_id, label = queue.pop(0)
                if str(seed) in load_store(json_path)["runs"].get(_key(test_id, label), {}):
                    continue  # another sweep (from the other end) ran it meanwhile
                pending.add(pool.submit(run_one, week_folder, test_id, label, seed))
            if not pending:
                break
            done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                r = future.result()
                added["runs"].setdefault(_key(r["test"], r["implementation"]), {})[str(r["seed"])] = r
                cpu_total += r["cpu_s"]
                count += 1
                print(f"{r['test']} {r['implementation']} seed {r['seed']}: {r['verdict']} "
                      f"({r['cpu_s']:.1f} s CPU) {r['stats']} {r['message'][:200]}", flush=True)
            session.update(minutes=(time.monotonic() - started) / 60, runs=count, cpu_s=cpu_total,
                           load=" ".join(f"{x:.1f}" for x in os.getloadavg()))
            save_store(added, json_path)
    session.update(minutes=(time.monotonic() - started) / 60, runs=count, cpu_s=cpu_total,
                   load=" ".join(f"{x:.1f}" for x in os.getloadavg()))
    store = save_store(added, json_path)
    text = render(store, summarize(store, tests if smoke else training_tests()))
    md_path.write_text(text)
    print(text)
    return 0
