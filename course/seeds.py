"""Seeds in parallel: a notebook runs seed 0 itself and seeds 1, 2, ... in forked copies of its kernel.

A notebook's figures come from its own run (seed 0); the numbers it records are the mean ± sd over several
seeds. `start_seeds(run, seeds)` forks one process per seed, which calls `run(seed)` while the notebook goes
on; `collect_seeds(jobs)` waits for them and returns {seed: run(seed)}. A forked process sees everything the
kernel had defined when it started (data, functions), so `run` needs no pickling; what it returns must pickle.
Each process runs one torch thread (`torch.set_num_threads(1)`) and prints nothing. Fork exists on Linux and
macOS only.

    jobs = start_seeds(seed_run, [1, 2])        # returns at once
    ...                                          # seed 0 in the kernel
    values = {0: this_run, **collect_seeds(jobs)}
    row = mean_sd([values[s]["nll"] for s in sorted(values)])
"""
from __future__ import annotations

import multiprocessing
import resource
import statistics
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Callable

import torch

SeedJobs = dict[int, tuple[BaseProcess, Connection]]


def _child(run: Callable[[int], Any], seed: int, connection: Connection) -> None:
    """A forked process's body: send ("ok", run(seed)), or ("error", the traceback), on one thread."""
    try:
        torch.set_num_threads(1)
        connection.send(("ok", run(seed)))
    except BaseException:  # noqa: BLE001  (any end of run(seed), exit included, goes to the notebook as text)
        connection.send(("error", traceback.format_exc()))
    finally:
        connection.close()


def start_seeds(run: Callable[[int], Any], seeds: list[int]) -> SeedJobs:
    """Fork one process per seed, each calling run(seed); returns {seed: (process, receiving end)} at once."""
    fork = multiprocessing.get_context("fork")
    jobs: SeedJobs = {}
    for seed in seeds:
        receiver, sender = fork.Pipe(duplex=False)
        process = fork.Process(target=_child, args=(run, seed, sender), daemon=True)
        process.start()
        sender.close()   # the kernel's copy: then recv() ends with EOFError if the process dies without a reply
        jobs[seed] = (process, receiver)
    return jobs


def collect_seeds(jobs: SeedJobs) -> dict[int, Any]:
    """Wait for every process of start_seeds; {seed: run(seed)}. A failed seed raises RuntimeError with its
    traceback, or its exit code if it died without a reply."""
    results = {}
    for seed, (process, receiver) in jobs.items():
        try:
            status, value = receiver.recv()
        except EOFError:
            process.join()
            raise RuntimeError(f"seed {seed}: the process ended (exit code {process.exitcode}) without a result")
        process.join()
        if status != "ok":
            raise RuntimeError(f"seed {seed} failed:\n{value}")
        results[seed] = value
    return results


def children_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished (joined) child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mean_sd(values: list[float]) -> dict[str, Any]:
    """{"mean", "sd" (sample sd, n - 1; None for one value), "seeds" (n), "values"} of one number per seed."""
    values = [float(v) for v in values]
    return {"mean": statistics.mean(values), "sd": statistics.stdev(values) if len(values) > 1 else None,
            "seeds": len(values), "values": values}
