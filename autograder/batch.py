"""Grading many submissions: names, resume, --force, workers, progress bar, gradebook."""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import tempfile
import threading
from pathlib import Path

from tqdm import tqdm

from autograder import report, submission
from autograder.submission import safe_name
from autograder.weeks import Week, get_week


RESERVED = {"gradebook.csv", "scores.png", "combined_gradebook.csv", "nbgrader_grades.csv",
            "report.html", "report.csv", "similarity.html"}


def assign_names(paths: list[Path]) -> list[str]:
    """Distinct, file-system-safe names, in order (alice, alice-2, ...), never a batch file's name."""
    used: set[str] = set()
    names = []
    for path in paths:
        base = safe_name(Path(path))
        if base.lower() in RESERVED:
            base += "-submission"
        name, k = base, 1
        while name.lower() in used:
            k += 1
            name = f"{base}-{k}"
        used.add(name.lower())
        names.append(name)
    return names


def _grade_one(week_folder: str, path: str, name: str, out_dir: str, seed: int,
               only: list[str] | None = None) -> tuple[str, float, float]:
    import torch

    from autograder import engine

    torch.set_num_threads(1)
    week = get_week(week_folder)
    result = engine.grade(week, Path(path), seed=seed, name=name, only=only)
    with tempfile.TemporaryDirectory(prefix="dgm-code-") as tmp:  # the graded files, for `similarity`
        code = {f: p.read_bytes() for f, p in submission.load(Path(path), week, Path(tmp)).files.items()}
    report.write_submission(Path(out_dir), result, code)
    return name, result.score, result.max_score


def grade_many(week: Week, paths: list[Path], out_dir: Path, workers: int = 1, force: bool = False,
               seed: int = 0, progress: bool = True, only: list[str] | None = None) -> list[str]:
    """Grade each submission into out_dir/<name>/ and rewrite out_dir/gradebook.csv. Returns the names."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(out_dir, 0o750)  # other students' grades are no one else's business
    from autograder.sandbox import isolation_mode, protect

    if isolation_mode() == "privdrop":
        # No filesystem jail: a child could exec a classmate's submission (folders unpacked by `unzip` are
        # world-readable). Hide them all before the first child starts.
        protect([Path(p) for p in paths])
    names = assign_names(paths)
    todo = [(p, n) for p, n in zip(paths, names) if force or not (out_dir / n / "results.json").exists()]
    skipped = len(paths) - len(todo)
    if skipped:
        print(f"{skipped} submission(s) already graded in {out_dir} (use --force to regrade)")
    if workers <= 1 or len(todo) <= 1:
        report.import_plotting_in_background()
        bar = _bar(week, len(todo), progress)
        for path, name in todo:
            bar.set_postfix_str(name)
            _grade_one(week.folder, str(path), name, str(out_dir), seed, only)
            report.write_gradebook(out_dir)
            bar.update()
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=_worker_context(week)) as pool:
            # Submitted (the workers forked) before the progress bar, whose monitor thread must not be forked.
            futures = [pool.submit(_grade_one, week.folder, str(p), n, str(out_dir), seed, only) for p, n in todo]
            report.import_plotting_in_background()  # the workers are forked: this process may start a thread
            bar = _bar(week, len(todo), progress)
            for future in concurrent.futures.as_completed(futures):
                name, _, _ = future.result()
                bar.set_postfix_str(name)
                report.write_gradebook(out_dir)
                bar.update()
    bar.close()
    report.write_gradebook(out_dir)
    report.histogram(out_dir)
    return names


class _Bar(tqdm):
    monitor_interval = 0  # no monitor thread: the workers may be forked from this process (_worker_context)


def _bar(week: Week, total: int, progress: bool) -> tqdm:
    return _Bar(total=total, desc=f"grading {week.folder}", unit="submission",
                disable=None if progress else True)  # None: no bar when not on a terminal (CI logs)


def _worker_context(week: Week):
    """How the workers start. Where the sandbox uses the fork server (namespace mode), they are forked from
    this process once it has started the server, imported the engine and the week's reference and found its
    tests: each worker shares the server (one torch import in all, not one per worker) and starts in
    milliseconds instead of a fresh interpreter's seconds. This process holds nothing a worker should not:
    the workers are the grader, and the server, the only process that forks student code, is not forked
    from here. Elsewhere, or from a process with other threads running (forking those is not safe), a fresh
    interpreter each ("spawn"), as before."""
    from autograder.sandbox import start_fork_server

    if start_fork_server() is None or threading.active_count() > 1:
        return multiprocessing.get_context("spawn")
    import torch

    from autograder import engine

    torch.set_num_threads(1)
    engine.reference(week)
    engine.week_tests(week)
    return multiprocessing.get_context("fork")


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
