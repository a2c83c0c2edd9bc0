"""Execute the course notebooks with nbclient.

    python -m tools.notebooks run [--fast] [--week N] [--inplace]
    python -m tools.notebooks check-master [--fast] [--week N]

`run` executes the instructor notebooks (`notebooks/weekN_*.ipynb`, the reference solution at work).
By default the executed copy goes to `build/notebooks/` and the committed file is left alone;
`--inplace` rewrites the committed file with its fresh outputs (full mode only, so that the committed
figures are always those of the full experiments).

`check-master` executes the nbgrader master notebook of a week (`solutions/weekN_*/*.ipynb`) in a
temporary copy of `solutions/weekN_*/`, so that it imports the reference `.py` files next to it, as the
student notebook imports the student's files.

`--fast` sets `DGM_FAST=1` in the kernel's environment: every notebook reads it in its first code cell
and shrinks its steps and samples. The kernel is the `python3` kernel of this interpreter (the course
virtual environment), started with one thread per library and the inline matplotlib backend. Any cell
error stops the run with the notebook, the cell number, the error and the end of its traceback; the exit
status is then 1.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Prefer the virtual environment's kernel specs over a user's own (~/.local/share/jupyter), so that the
# `python3` kernel is this interpreter's. Set before jupyter_client reads its paths.
os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError  # noqa: E402

from tools.weeks import REPO_ROOT, WEEK_NAMES, resolve_week  # noqa: E402

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
BUILD_DIR = REPO_ROOT / "build" / "notebooks"
CELL_TIMEOUT_S = 1800  # one cell, generous for shared cores; a full notebook is meant to take < 15 min on 2 idle cores
KERNEL_NAME = "python3"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class NotebookError(RuntimeError):
    """A notebook failed to execute; the message names the notebook, the cell and the error."""


@dataclass
class Executed:
    """An executed notebook and how long it took."""
    notebook: nbformat.NotebookNode
    seconds: float


def kernel_env(fast: bool) -> dict[str, str]:
    """The kernel's environment: this process's, with the mode, one thread, and the inline backend."""
    env = dict(os.environ)
    env.pop("DGM_FAST", None)     # full mode unless asked: a stray variable must not shrink a refresh
    if fast:
        env["DGM_FAST"] = "1"
    env.pop("MPLBACKEND", None)   # the Makefile exports Agg; the kernel must use its inline backend
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    # The kernel must find this interpreter's tools and the repository's packages (`course`, `data`),
    # even where the virtual environment has no .pth file for the repository.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO_ROOT), env.get("PYTHONPATH", "")] if p)
    return env


def _describe_failure(nb: nbformat.NotebookNode, name: str, error: Exception) -> str:
    """Which cell failed, with its error and the last lines of its traceback."""
    for index, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                trace = ANSI.sub("", "\n".join(output.get("traceback", [])))
                tail = "\n".join(trace.strip().splitlines()[-15:])
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                return (f"{name}: cell {index} ({first_line[:70]!r}) raised "
                        f"{output.get('ename')}: {output.get('evalue')}\n{tail}")
    return f"{name}: execution failed: {ANSI.sub('', str(error)).strip()[-2000:]}"


def execute(path: Path, cwd: Path, fast: bool, timeout: int = CELL_TIMEOUT_S) -> Executed:
    """Execute the notebook at `path` with the kernel working in `cwd`; raise NotebookError on error."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME, allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env(fast))
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        raise NotebookError(_describe_failure(nb, path.name, error)) from None
    return Executed(nb, time.perf_counter() - start)


def instructor_notebooks(week: str | None) -> list[Path]:
    """The instructor notebooks of one week (`notebooks/<week>.ipynb`), or of every week."""
    weeks = [week] if week else list(WEEK_NAMES)
    return [NOTEBOOKS_DIR / f"{w}.ipynb" for w in weeks if (NOTEBOOKS_DIR / f"{w}.ipynb").is_file()]


def master_notebooks(week: str) -> list[Path]:
    """The nbgrader master notebooks of one week: `solutions/<week>/*.ipynb`."""
    return sorted((SOLUTIONS_DIR / week).glob("*.ipynb"))


def run_instructor(week: str | None, fast: bool, inplace: bool, out_dir: Path = BUILD_DIR) -> list[Path]:
    """Execute the instructor notebooks; return the paths written (copies, or the committed files)."""
    if inplace and fast:
        raise NotebookError("--inplace refreshes the committed outputs, which must come from the full "
                            "mode: drop --fast")
    paths = instructor_notebooks(week)
    if not paths:
        where = f"notebooks/{week}.ipynb" if week else "notebooks/week*.ipynb"
        raise NotebookError(f"no instructor notebook found ({where})")
    written = []
    for path in paths:
        mode = "fast" if fast else "full"
        print(f"executing {path.relative_to(REPO_ROOT)} ({mode} mode) ...", flush=True)
        done = execute(path, cwd=path.parent, fast=fast)
        if inplace:
            target = path
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / path.name
        nbformat.write(done.notebook, target)
        print(f"  ok in {done.seconds:.1f} s -> {os.path.relpath(target)}", flush=True)
        written.append(target)
    return written


def check_master(week: str, fast: bool) -> list[Executed]:
    """Execute the master notebooks of a week next to a copy of its reference files."""
    masters = master_notebooks(week)
    if not masters:
        raise NotebookError(f"no master notebook in solutions/{week}/")
    executed = []
    with tempfile.TemporaryDirectory(prefix="master-notebook-") as tmp:
        work = Path(tmp) / week
        shutil.copytree(SOLUTIONS_DIR / week, work,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        for master in masters:
            mode = "fast" if fast else "full"
            print(f"executing {master.relative_to(REPO_ROOT)} with the reference ({mode} mode) ...",
                  flush=True)
            done = execute(work / master.name, cwd=work, fast=fast)
            print(f"  ok in {done.seconds:.1f} s", flush=True)
            executed.append(done)
    return executed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the instructor notebooks")
    run.add_argument("--fast", action="store_true", help="quick mode (DGM_FAST=1 in the kernel)")
    run.add_argument("--week", help="1 to 4 or the week folder name (default: every week)")
    run.add_argument("--inplace", action="store_true",
                     help="rewrite the committed notebook with its outputs (full mode only)")
    master = sub.add_parser("check-master", help="execute the nbgrader master notebook with the reference")
    master.add_argument("--fast", action="store_true", help="quick mode (DGM_FAST=1 in the kernel)")
    master.add_argument("--week", default="1", help="1 to 4 or the week folder name (default: 1)")
    args = parser.parse_args(argv)
    try:
        week = resolve_week(args.week) if args.week else None
        if args.command == "run":
            run_instructor(week, fast=args.fast, inplace=args.inplace)
        else:
            check_master(week, fast=args.fast)
    except (NotebookError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
