"""`python -m autograder`'s entry: one BLAS thread per process by default, and a fast exit that still stops
the fork server and flushes the output."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                            "MKL_NUM_THREADS")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


BLAS_THREADS = ("import numpy, threadpoolctl; "
                "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'))")


def test_one_blas_thread_by_default():
    code = f"from autograder.__main__ import one_thread_per_process; one_thread_per_process(); {BLAS_THREADS}"
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_callers_choice_is_kept():
    code = f"from autograder.__main__ import one_thread_per_process; one_thread_per_process(); {BLAS_THREADS}"
    out = subprocess.run([sys.executable, "-c", code], env=_env(OPENBLAS_NUM_THREADS="2"), capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == str(min(2, os.cpu_count() or 1))


def test_exit_now_runs_exit_handlers_and_flushes():
    code = ("import atexit, sys; from autograder.__main__ import exit_now; "
            "atexit.register(lambda: print('handler ran', flush=True)); "
            "sys.stdout.write('buffered'); exit_now(3)")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
    assert out.returncode == 3
    assert out.stdout == "bufferedhandler ran\n"  # the handler's print flushed the buffer before its line


def test_exit_now_waits_for_a_running_thread():
    code = ("import threading, time; from autograder.__main__ import exit_now; "
            "t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done', flush=True))); t.start(); "
            "exit_now(0)")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
    assert out.returncode == 0 and "thread done" in out.stdout
