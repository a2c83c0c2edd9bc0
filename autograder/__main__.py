"""`python -m autograder …` (the commands are in cli.py).

Two things happen here that only the command's own process may do.
- Before numpy is imported: one thread per process for OpenMP and the BLAS libraries (OpenBLAS in numpy and
  scipy, MKL), unless the caller chose otherwise. The grader and the sandboxed child already take turns on the
  cores, and with 2 workers on 2 cores a second BLAS thread only spins: 8 week-1 submissions with 2 workers
  took 9.7 s with 2 BLAS threads and 7.0 s with one (this machine, 2 cores, 2026-12-07).
- On the way out, where no other thread still runs: the exit handlers run (the fork server stops, temporary
  folders go), the output is flushed, and the process ends without the interpreter's teardown of torch, scipy
  and scikit-learn, which took 0.2 s of every command (the way multiprocessing ends its children). Where a
  thread still runs (a pool not shut down, say), the interpreter waits for it and exits as usual.
"""
import atexit
import os
import sys
import threading

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread_per_process() -> None:
    """Default each of THREAD_VARIABLES to 1 (read by the libraries when they load: call before numpy's import)."""
    for var in THREAD_VARIABLES:
        os.environ.setdefault(var, "1")


def exit_now(code: int | None) -> None:
    """End the process with `code` after the exit handlers, without the interpreter's teardown (see above)."""
    if any(t is not threading.main_thread() and not t.daemon and t.is_alive() for t in threading.enumerate()):
        raise SystemExit(code)
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code or 0))


if __name__ == "__main__":
    one_thread_per_process()
    from autograder.cli import main

    exit_now(main())
