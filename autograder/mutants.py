"""Testing the tests: the mutation harness and the seed sweep.

A mutant is a realistic student mistake, written as an edit of the reference: replace the text
`find` (which must occur exactly once in `file`) by `replace`. The harness builds each mutant as a
submission (the reference with that one edit), grades it on the tests of the functions it changes,
and fails when a mutant keeps full marks. The seed sweep grades the reference (and the alternative
correct implementation) under many seeds and fails when either loses a point.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import importlib.util
import multiprocessing
import shutil
import tempfile
from pathlib import Path

from tqdm import tqdm

from autograder.weeks import Week, get_week


@dataclasses.dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # graded file, e.g. "density.py"
    functions: tuple[str, ...]  # "density.categorical_nll", ...: the tests of these functions run
    find: str
    replace: str
    why: str  # the student mistake it models


def load_mutants(week: Week) -> list[Mutant]:
    path = week.hidden_dir / "mutants.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"_mutants_{week.folder}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    mutants = list(module.MUTANTS)
    ids = [m.id for m in mutants]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate mutant ids in {path}")
    return mutants


def build_mutant(week: Week, mutant: Mutant, dest: Path) -> Path:
    """The reference with one edit, as a submission folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in week.graded_files:
        shutil.copyfile(week.solution_dir / f, dest / f)
    source = (dest / mutant.file).read_text()
    count = source.count(mutant.find)
    if count != 1:
        raise ValueError(f"mutant {mutant.id}: the text to replace occurs {count} times in {mutant.file}, "
                         "expected exactly once")
    (dest / mutant.file).write_text(source.replace(mutant.find, mutant.replace))
    return dest


def _grade_mutant(week_folder: str, mutant: Mutant, seed: int) -> tuple[str, float, float, list[tuple[str, bool]]]:
    """Grade a mutant on the tests of the functions it changes: the fast tests first, and the slow
    (training) ones only if the fast tests took no point off, since one lost point is enough."""
    from autograder import engine

    week = get_week(week_folder)
    functions = set(mutant.functions)
    with tempfile.TemporaryDirectory(prefix="dgm-mutant-") as tmp:
        folder = build_mutant(week, mutant, Path(tmp) / mutant.id)
        tests, score, max_score = [], 0.0, 0.0
        for slow in (False, True):
            if tests and score < max_score:
                break
            if not engine.select_tests(week, functions, slow=slow):
                continue
            result = engine.grade(week, folder, seed=seed, functions=functions, slow=slow)
            tests += [(t.id, t.passed) for t in result.tests]
            score, max_score = score + result.score, max_score + result.max_score
    return mutant.id, score, max_score, tests


def _pool(workers: int):
    return concurrent.futures.ProcessPoolExecutor(max_workers=workers,
                                                  mp_context=multiprocessing.get_context("spawn"))


def run_mutants(week: Week, only: list[str] | None = None, workers: int = 2, seed: int = 0):
    mutants = [m for m in load_mutants(week) if not only or m.id in only]
    rows = []
    with _pool(workers) as pool:
        futures = [pool.submit(_grade_mutant, week.folder, m, seed) for m in mutants]
        for future in tqdm(concurrent.futures.as_completed(futures), total=len(futures),
                           desc=f"mutants {week.folder}", unit="mutant", disable=None):
            rows.append(future.result())
    order = {m.id: i for i, m in enumerate(mutants)}
    return sorted(rows, key=lambda r: order[r[0]]), mutants


def kill_matrix(rows) -> str:
    """One line per mutant: the tests it ran, × where it lost the points, · where it kept them."""
    lines = []
    width = max((len(r[0]) for r in rows), default=10)
    for mutant_id, score, max_score, tests in rows:
        marks = " ".join(f"{'×' if not passed else '·'}{test_id}" for test_id, passed in tests)
        verdict = "KILLED" if score < max_score else "SURVIVED"
        lines.append(f"{mutant_id:<{width}}  {verdict:<8} {score:g}/{max_score:g}  {marks}")
    return "\n".join(lines)


def main(weeks: list[Week], only: list[str] | None = None) -> int:
    survivors = []
    for week in weeks:
        rows, mutants = run_mutants(week, only)
        print(f"\n{week.folder}: {len(rows)} mutants (× = the test took points off; slow training tests run "
              f"only for a mutant that the fast tests of its functions miss)\n{kill_matrix(rows)}")
        survivors += [f"{week.folder}:{r[0]}" for r in rows if r[1] >= r[2]]
        untested = [m.id for m, r in zip(mutants, rows) if not r[3]]
        survivors += [f"{week.folder}:{m} (no test exercises its functions)" for m in untested]
        from autograder import clauses

        if clauses.path(week).exists():
            print(clauses.coverage(week).line())
    if survivors:
        print("\nmutants that keep full marks:\n  " + "\n  ".join(survivors))
        return 1
    print("\nevery mutant loses points")
    return 0


# ---------------------------------------------------------------------------------------------
# Seed sweep
# ---------------------------------------------------------------------------------------------
def _grade_folder(week_folder: str, folder: str, seed: int) -> tuple[int, float, float, list[str]]:
    from autograder import engine

    result = engine.grade(get_week(week_folder), Path(folder), seed=seed)
    return seed, result.score, result.max_score, [f"{t.id}: {t.output[:300]}" for t in result.tests if not t.passed]


def sweep(week: Week, folder: Path, seeds: list[int], label: str, workers: int = 2):
    rows = []
    with _pool(workers) as pool:
        futures = [pool.submit(_grade_folder, week.folder, str(folder), s) for s in seeds]
        for future in tqdm(concurrent.futures.as_completed(futures), total=len(futures),
                           desc=f"{label} {week.folder}", unit="seed", disable=None):
            rows.append(future.result())
    return sorted(rows)


def seeds_main(weeks: list[Week], num_seeds: int, record: Path | None, alternative: bool = True) -> int:
    seeds = list(range(num_seeds))
    lines, failed = [], False
    for week in weeks:
        targets = [("reference", week.solution_dir)]
        alt = week.hidden_dir / "alternative"
        if alternative and alt.is_dir():
            targets.append(("alternative", alt))
        for label, folder in targets:
            rows = sweep(week, folder, seeds, label)
            bad = [r for r in rows if r[1] < r[2]]
            failed |= bool(bad)
            max_score = rows[0][2] if rows else 0
            lines.append(f"| {week.folder} | {label} | {len(rows)} | {len(rows) - len(bad)} | {max_score:g} |")
            for seed, score, _, fails in bad:
                lines.append(f"|  | seed {seed}: {score:g} | | | {'; '.join(fails)[:500]} |")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"# Seed sweep\n\nRun {stamp} by `python -m autograder seeds`: seeds 0..{num_seeds - 1}.\n\n"
            "| week | implementation | seeds | full marks | max score |\n|---|---|---|---|---|\n"
            + "\n".join(lines) + "\n")
    print(text)
    if record:
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(text)
    return 1 if failed else 0
