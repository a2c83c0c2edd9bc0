"""Generate the instructor notebooks from the nbgrader masters, execute them, and check the committed ones.

    python -m tools.notebooks run [--fast] [--week N]      generate and execute (full: in place)
    python -m tools.notebooks sync [--week N]              regenerate where only the text changed
    python -m tools.notebooks check [--week N]             fail if notebooks/ is not what the masters give
    python -m tools.notebooks check-master [--fast] [--week N]

The master `solutions/<week>/<week>.ipynb` is the one source (tools/instructor_notebook.py: the `instructor`
and `student` cell tags, and what the instructor notebook is made of).

`run` generates the instructor notebook of each week from its master and executes it with the kernel working
in `notebooks/`, where its first instructor cell puts the reference solution on `sys.path`. In full mode the
result replaces `notebooks/<week>.ipynb`, with an execution record in its metadata (the mode, the hash of its
code cells, and the hash of the code of every repository module the kernel imported); its instructor cells
also write `bench/weekN_reference.md` where the week has one. `--fast` sets `DGM_FAST=1` in the kernel (every
notebook reads it in its first code cell and shrinks its steps and samples) and writes the executed copy to
`build/notebooks/`: the committed notebooks hold full runs only.

`sync` regenerates a week's notebook and keeps its committed outputs when its code cells and the code they
imported are unchanged (an edit to the text of a master needs no new run); otherwise it says to `run`.

`check` lists every week whose committed notebook is not its master's instructor notebook, executed in full
mode, once, in order, without errors, with the code of today's master and modules; the exit status is then 1.

`check-master` executes the master of a week without its instructor cells (what the student notebook runs)
next to a copy of `solutions/<week>/`, so that it imports the reference `.py` files next to it, as the student
notebook imports the student's files.

The kernel is the `python3` kernel of this interpreter (the course virtual environment), started with one
thread per library and the inline matplotlib backend. Any cell error stops the run with the notebook, the
cell number, the error and the end of its traceback; the exit status is then 1.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
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

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from tools import instructor_notebook as inb
from tools.markers import MarkerError
from tools.weeks import REPO_ROOT, WEEK_NAMES, resolve_week

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
BUILD_DIR = REPO_ROOT / "build" / "notebooks"
CELL_TIMEOUT_S = 1800  # one cell, generous for shared cores; a full notebook is meant to take < 15 min on 2 idle cores
KERNEL_NAME = "python3"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Run after the last cell, then removed: what the kernel imported, for the execution record.
_IMPORTED = ("import json as _json, sys as _sys\n"
             "print(_json.dumps({'files': sorted({str(getattr(_m, '__file__', None)) for _m in list(_sys.modules.values())"
             " if getattr(_m, '__file__', None)}), 'python': _sys.version.split()[0],"
             " 'torch': getattr(_sys.modules.get('torch'), '__version__', None)}))")


class NotebookError(RuntimeError):
    """A notebook failed to generate or execute; the message names the notebook, the cell and the error."""


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


def execute_notebook(nb: nbformat.NotebookNode, name: str, cwd: Path, fast: bool,
                     timeout: int = CELL_TIMEOUT_S) -> Executed:
    """Execute `nb` in place with the kernel working in `cwd`; raise NotebookError on error."""
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME, allow_errors=False,
                            record_timing=False, resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env(fast))
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        raise NotebookError(_describe_failure(nb, name, error)) from None
    return Executed(nb, time.perf_counter() - start)


def execute(path: Path, cwd: Path, fast: bool, timeout: int = CELL_TIMEOUT_S) -> Executed:
    """Execute the notebook at `path` with the kernel working in `cwd`; raise NotebookError on error."""
    return execute_notebook(nbformat.read(path, as_version=4), path.name, cwd, fast, timeout)


def _weeks(week: str | None) -> list[str]:
    """One week, or every week that has a master notebook."""
    weeks = [week] if week else [w for w in WEEK_NAMES if inb.master_path(w, SOLUTIONS_DIR).is_file()]
    if not weeks or not inb.master_path(weeks[0], SOLUTIONS_DIR).is_file():
        raise NotebookError(f"no master notebook {inb.display(inb.master_path(week or 'week*', SOLUTIONS_DIR))}")
    return weeks


def generate(week: str) -> nbformat.NotebookNode:
    """The instructor notebook of `week` from its master, not executed; NotebookError on a bad master."""
    try:
        return inb.generate(week, SOLUTIONS_DIR)
    except (inb.TagError, MarkerError) as error:
        raise NotebookError(str(error)) from None


def execute_instructor(week: str, fast: bool) -> Executed:
    """Generate the instructor notebook of `week` and execute it in `notebooks/`, with its execution record."""
    nb = generate(week)
    metadata = nbformat.from_dict(json.loads(json.dumps(nb.metadata)))   # the kernel rewrites language_info
    probe = nbformat.v4.new_code_cell(_IMPORTED)
    probe["id"] = "execution-record-probe"
    nb.cells.append(probe)
    done = execute_notebook(nb, f"{week}.ipynb", cwd=NOTEBOOKS_DIR, fast=fast)
    imported = json.loads("".join(o.get("text", "") for o in nb.cells.pop().outputs
                                  if o.get("output_type") == "stream"))
    nb.metadata = metadata
    nb.metadata[inb.RECORD_KEY]["execution"] = {
        "mode": "fast" if fast else "full",
        "code_sha256": inb.code_sha256(nb),
        "modules": inb.repository_modules(imported["files"]),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_seconds": round(done.seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs visible, load average "
                   f"{os.getloadavg()[0]:.1f} at the end",
        "python": imported["python"],
        "torch": imported["torch"],
    }
    return done


def run_instructor(week: str | None, fast: bool, out_dir: Path | None = None) -> list[Path]:
    """Generate and execute the instructor notebooks; return the paths written.

    Full mode writes `notebooks/<week>.ipynb` (or into `out_dir`); fast mode writes into `out_dir`,
    `build/notebooks/` by default, and never into `notebooks/`.
    """
    target_dir = out_dir or (BUILD_DIR if fast else NOTEBOOKS_DIR)
    if fast and Path(target_dir).resolve() == NOTEBOOKS_DIR.resolve():
        raise NotebookError("the committed notebooks hold full runs only: a fast run goes to build/notebooks/")
    written = []
    for name in _weeks(week):
        mode = "fast" if fast else "full"
        print(f"generating {name}.ipynb from {inb.display(inb.master_path(name, SOLUTIONS_DIR))} and "
              f"executing it ({mode} mode) ...", flush=True)
        done = execute_instructor(name, fast)
        Path(target_dir).mkdir(parents=True, exist_ok=True)
        target = Path(target_dir) / f"{name}.ipynb"
        target.write_bytes(inb.to_bytes(done.notebook))
        print(f"  ok in {done.seconds:.1f} s -> {os.path.relpath(target)}", flush=True)
        written.append(target)
    return written


def sync(week: str | None) -> list[str]:
    """Regenerate the committed notebooks whose code is unchanged, keeping their outputs; return messages.

    Raises NotebookError, after writing the weeks it could, when a week needs a new run instead.
    """
    messages, refused = [], []
    for name in _weeks(week):
        path = inb.instructor_path(name, NOTEBOOKS_DIR)
        generated = generate(name)
        if not path.is_file():
            refused.append(f"{name}: no committed notebook to keep outputs from")
            continue
        committed = nbformat.read(path, as_version=4)
        if inb.code_sha256(generated) != inb.code_sha256(committed):
            refused.append(f"{name}: its code changed since the committed run")
            continue
        kept = inb.carry_outputs(generated, committed)
        stale = inb.check_notebook(kept, generated, name, inb.display(path))
        if stale:
            refused += [f"{name}: {line}" for line in stale]
            continue
        data = inb.to_bytes(kept)
        if path.read_bytes() == data:
            messages.append(f"{name}: up to date")
        else:
            path.write_bytes(data)
            messages.append(f"{name}: regenerated from its master, outputs kept")
    if refused:
        raise NotebookError("\n".join(messages + refused + [
            "a week whose code changed needs a full run: `make notebooks WEEK=N`"]))
    return messages


def check(week: str | None) -> list[str]:
    """Every reason why a committed instructor notebook is not what its master gives, executed in full."""
    found = []
    for name in _weeks(week):
        try:
            found += inb.problems(name, SOLUTIONS_DIR, NOTEBOOKS_DIR)
        except (inb.TagError, MarkerError) as error:
            found.append(str(error))
    return found


def check_master(week: str, fast: bool) -> list[Executed]:
    """Execute the master of a week without its instructor cells, next to a copy of its reference files."""
    master = inb.master_path(week, SOLUTIONS_DIR)
    if not master.is_file():
        raise NotebookError(f"no master notebook {inb.display(master)}")
    with tempfile.TemporaryDirectory(prefix="master-notebook-") as tmp:
        work = Path(tmp) / week
        shutil.copytree(SOLUTIONS_DIR / week, work,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.ipynb"))
        nb = inb.student_view(nbformat.read(master, as_version=4))
        mode = "fast" if fast else "full"
        print(f"executing {inb.display(master)} without its instructor cells, with the reference "
              f"({mode} mode) ...", flush=True)
        done = execute_notebook(nb, master.name, cwd=work, fast=fast)
        print(f"  ok in {done.seconds:.1f} s", flush=True)
    return [done]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="generate and execute the instructor notebooks (full mode: in place)")
    run.add_argument("--fast", action="store_true", help="quick mode (DGM_FAST=1), into build/notebooks/")
    run.add_argument("--week", help="1 to 4 or the week folder name (default: every week)")
    for name, text in [("sync", "regenerate the notebooks whose code is unchanged, keeping their outputs"),
                       ("check", "fail if notebooks/ is not what the masters generate, executed in full mode")]:
        sub.add_parser(name, help=text).add_argument("--week", help="1 to 4 or the week folder name")
    master = sub.add_parser("check-master", help="execute a master without its instructor cells, with the reference")
    master.add_argument("--fast", action="store_true", help="quick mode (DGM_FAST=1 in the kernel)")
    master.add_argument("--week", default="1", help="1 to 4 or the week folder name (default: 1)")
    args = parser.parse_args(argv)
    try:
        week = resolve_week(args.week) if args.week else None
        if args.command == "run":
            run_instructor(week, fast=args.fast)
        elif args.command == "sync":
            print("\n".join(sync(week)))
        elif args.command == "check":
            found = check(week)
            if found:
                print("notebooks/ is not what the masters in solutions/ generate, executed in full mode:",
                      file=sys.stderr)
                print("\n".join(f"  {line}" for line in found), file=sys.stderr)
                return 1
            print("notebooks/ is up to date with the masters in solutions/ (full runs of today's code)")
        else:
            check_master(week, fast=args.fast)
    except (NotebookError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
