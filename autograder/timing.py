"""`python -m autograder reference-cpu WEEK`: the reference's CPU seconds per test, from which the engine
derives each test's CPU limit (engine.cpu_limit: max(5 s, 20 × the reference's), capped by the declared
timeout), written to autograder/weeks/<week>/reference_cpu.json.

The reference is graded `runs` times in the sandbox with every test at its declared timeout; a test's figure
is the largest CPU time its requests took in the child over the runs (the child counts them with
time.process_time, which a loaded machine does not stretch). A run where the reference loses a point
writes nothing: its times would not be those of a correct submission.
"""
from __future__ import annotations

import json
import os
import platform
import time

import torch

from autograder import engine
from autograder.sandbox import isolation_mode


def record(week, runs: int = 3) -> int:
    torch.set_num_threads(1)
    cpu: dict[str, float] = {}
    for run in range(runs):
        result = engine.grade(week, week.solution_dir, seed=run, derived_limits=False)
        lost = [t.id for t in result.tests if not t.passed]
        if lost:
            print(f"{week.folder}: the reference lost points in run {run} ({', '.join(lost)}): nothing written")
            return 1
        for t in result.tests:
            cpu[t.id] = max(cpu.get(t.id, 0.0), t.cpu)
    path = week.hidden_dir / engine.REFERENCE_CPU_FILE
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": runs, "cpus": os.cpu_count(),
            "machine": platform.machine(), "python": platform.python_version(), "torch": torch.__version__,
            "isolation": isolation_mode(),
            "note": "written by `python -m autograder reference-cpu`; engine.cpu_limit reads it"}
    path.write_text(json.dumps({"meta": meta, "cpu_seconds": dict(sorted(cpu.items()))}, indent=1) + "\n")
    engine.reference_cpu.cache_clear()
    limits = sorted(engine.cpu_limit(week, t) for t in engine.select_tests(week))
    print(f"{week.folder}: {len(cpu)} tests, reference CPU {sum(cpu.values()):.2f} s in all, largest "
          f"{max(cpu.values()):.2f} s; CPU limits {limits[0]:g} to {limits[-1]:g} s -> {path}")
    return 0


def main(weeks, runs: int = 3) -> int:
    return max((record(week, runs) for week in weeks), default=0)
