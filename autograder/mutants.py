"""Testing the tests: the mutation harness and the seed sweep.

A mutant is a realistic student mistake, written as an edit of the reference: replace the code
`find` (which must occur exactly once in `file`, comparing code only: comments and runs of spaces are
ignored) by `replace`. The harness builds each mutant as a
submission (the reference with that one edit), grades it on the tests of the functions it changes,
and fails when a mutant keeps full marks. The seed sweep grades the reference (and the alternative
correct implementation) under many seeds and fails when either loses a point.
"""
from __future__ import annotations

import concurrent.futures
import ast
import dataclasses
import datetime
import importlib.util
import io
import multiprocessing
import re
import shutil
import tempfile
import tokenize
from collections.abc import Callable, Sequence
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
    scope: str | None = None  # "p_sample_loop", "VAE.elbo": the definition `find` must lie in, if not unique


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


def mutants_of(file: str) -> Callable[..., Mutant]:
    """The constructor of one graded file's mutants, so a week's table reads as a list of edits.

        _d = mutants_of("density.py")
        _d("nll_sum", "categorical_nll", find, replace, why)        # one function, or a tuple of them
    """
    module = file.removesuffix(".py")

    def make(mutant_id: str, functions: str | Sequence[str], find: str, replace: str, why: str,
             scope: str | None = None) -> Mutant:
        names = (functions,) if isinstance(functions, str) else tuple(functions)
        return Mutant(mutant_id, file, tuple(f"{module}.{name}" for name in names), find, replace, why, scope)

    return make


def _code_view(text: str, comments: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """`text` with the comment spans removed, runs of spaces and tabs collapsed to one space and spaces
    before a line break dropped; and, for each character kept, its index in `text`."""
    skip = [False] * len(text)
    for start, end in comments:
        skip[start:end] = [True] * (end - start)
    kept: list[tuple[str, int]] = []
    for i, ch in enumerate(text):
        if skip[i]:
            continue
        if ch in " \t":
            if kept and kept[-1][0] == " ":
                continue
            ch = " "
        elif ch == "\n" and kept and kept[-1][0] == " ":
            kept.pop()
        kept.append((ch, i))
    while kept and kept[-1][0] == " ":
        kept.pop()
    return "".join(c for c, _ in kept), [i for _, i in kept]


def _comment_spans(text: str, is_module: bool) -> list[tuple[int, int]]:
    """The (start, end) offsets of the comments in `text`: by the tokenizer for a whole module; for a
    fragment (a mutant's `find`), a `#` outside quotes on its line up to the line's end. Solution markers
    (`### BEGIN SOLUTION`) are not comments here: they are part of the reference's layout."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if is_module:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        return [(line_starts[t.start[0] - 1] + t.start[1], line_starts[t.end[0] - 1] + t.end[1])
                for t in tokens if t.type == tokenize.COMMENT and not t.string.startswith("###")]
    spans = []
    for start in line_starts:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        quote = None
        for i in range(start, end):
            ch = text[i]
            if quote:
                quote = None if ch == quote and text[i - 1] != "\\" else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                if not text.startswith("###", i):  # solution markers (### BEGIN SOLUTION) are kept as code
                    spans.append((i, end))
                break
    return spans


def _definition_span(source: str, scope: str) -> tuple[int, int]:
    """The (start, end) offsets of the definition `scope` ("f", "Class", "Class.method") in a module."""
    body, node = ast.parse(source).body, None
    for name in scope.split("."):
        node = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                     and n.name == name), None)
        if node is None:
            raise ValueError(f"no definition {scope!r} in the module")
        body = node.body
    lines = source.splitlines(keepends=True)
    start = sum(len(line) for line in lines[:node.lineno - 1])
    return start, sum(len(line) for line in lines[:node.end_lineno])


def locate(source: str, find: str, scope: str | None = None) -> list[tuple[int, int]]:
    """The spans of `source` that `find` matches, comparing code only: comments and runs of spaces are
    ignored, so editing a comment of the reference leaves its mutants valid. With `scope`, only the spans
    inside that definition count."""
    if scope is not None:
        low, high = _definition_span(source, scope)
        return [(a, b) for a, b in locate(source, find) if low <= a and b <= high]
    code, index = _code_view(source, _comment_spans(source, is_module=True))
    find_comments = _comment_spans(find, is_module=False)
    want, _ = _code_view(find, find_comments)
    if not want.strip():
        return []
    # A `find` whose last line ends in a comment stands for a whole line: it must match up to a line end
    # (or the code would match a prefix of a longer line, or a docstring's text), and the span then runs
    # to that line end, so the old comment goes with the code it replaces.
    to_line_end = bool(find_comments) and find_comments[-1][1] == len(find) and not want.endswith("\n")
    if to_line_end:
        want += "\n"
    spans, at = [], code.find(want)
    while at >= 0:
        end = index[at + len(want) - 1] if to_line_end else index[at + len(want) - 1] + 1
        spans.append((index[at], end))
        at = code.find(want, at + 1)
    if to_line_end and code.endswith(want[:-1]) and not code.endswith(want):
        spans.append((index[len(code) - len(want) + 1], len(source)))
    return spans


def build_mutant(week: Week, mutant: Mutant, dest: Path) -> Path:
    """The reference with one edit, as a submission folder."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in week.graded_files:
        shutil.copyfile(week.solution_dir / f, dest / f)
    source = (dest / mutant.file).read_text()
    spans = locate(source, mutant.find, mutant.scope)
    if len(spans) != 1:
        raise ValueError(f"mutant {mutant.id}: the code to replace occurs {len(spans)} times in {mutant.file} "
                         "(comments and runs of spaces ignored), expected exactly once")
    start, end = spans[0]
    (dest / mutant.file).write_text(source[:start] + mutant.replace + source[end:])
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
