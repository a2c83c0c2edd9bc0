"""course.seeds: forked seeds return what the same function returns in this process, on one thread each; a
failing or dying seed is reported; mean_sd is the sample mean and sd."""

import os
import statistics

import pytest
import torch

from course.seeds import children_cpu_seconds, collect_seeds, mean_sd, start_seeds

DATA = torch.arange(12.0).reshape(3, 4)   # defined before the fork: the processes see it without pickling


def _run(seed):
    torch.manual_seed(seed)
    return {"draw": torch.randn(3).tolist(), "sum": float(DATA.sum()) + seed, "threads": torch.get_num_threads(),
            "pid": os.getpid()}


def test_each_seed_returns_what_it_returns_here_in_its_own_process_on_one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)                      # the kernel's setting does not reach the seeds
    try:
        jobs = start_seeds(_run, [1, 2])
    finally:
        torch.set_num_threads(threads)
    cpu_before = children_cpu_seconds()
    results = collect_seeds(jobs)
    assert sorted(results) == [1, 2]
    for seed, value in results.items():
        here = _run(seed)
        assert value["draw"] == here["draw"] and value["sum"] == here["sum"], seed   # same seed, same draws
        assert value["threads"] == 1 and value["pid"] != os.getpid(), seed
    assert results[1]["pid"] != results[2]["pid"]
    assert children_cpu_seconds() >= cpu_before


def _fails(seed):
    raise ValueError(f"bad seed {seed}")


def _dies(seed):
    os._exit(3)


def test_a_failing_seed_raises_with_its_traceback():
    with pytest.raises(RuntimeError, match=r"(?s)seed 5 failed.*ValueError: bad seed 5"):
        collect_seeds(start_seeds(_fails, [5]))


def test_a_seed_that_dies_without_a_reply_is_reported():
    with pytest.raises(RuntimeError, match="seed 4: the process ended \\(exit code 3\\)"):
        collect_seeds(start_seeds(_dies, [4]))


def test_mean_sd_is_the_sample_mean_and_sd():
    row = mean_sd([1.0, 2.0, 6.0])
    assert row == {"mean": 3.0, "sd": statistics.stdev([1.0, 2.0, 6.0]), "seeds": 3, "values": [1.0, 2.0, 6.0]}
    assert abs(row["sd"] - (7.0 ** 0.5)) < 1e-12          # deviations -2, -1, 3: (4 + 1 + 9) / 2 = 7
    assert mean_sd([4.0]) == {"mean": 4.0, "sd": None, "seeds": 1, "values": [4.0]}
