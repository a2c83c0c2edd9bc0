"""Clause coverage: every clause of the graded docstrings is checked by a hidden test, or says why not.

Each week keeps `weeks/<week>/CLAUSES.md`: one Markdown table per graded file, one row per clause of
a public docstring contract (a shape, a dtype, what an argument does, an error, a randomness rule, a
copying rule, a default), in three cells:

    | `made.MaskedLinear.set_mask.copies` | set_mask copies the mask: a later in-place edit ... | made.x, made.y |

The first cell is the clause id (`<file>.<name>[.<method>].<clause>`), the second the clause in words,
the third the hidden tests that check it. That third cell is generated from the tests' own metadata
(`@test(..., clauses=[...])`) by `python -m autograder clauses WEEK --write`, except where it reads
`untestable: <reason>` (written by hand: why the sandbox cannot observe it). `python -m autograder
clauses` (and `make mutants`) prints the coverage, clauses covered over clauses less the untestable
ones; tests/weeks/test_clauses.py fails on an uncovered clause, on a test that names an unknown clause,
and on a CLAUSES.md whose generated cells are stale.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from autograder.weeks import Week, available_weeks

ROW = re.compile(r"^\|\s*`(?P<id>[A-Za-z0-9_.]+)`\s*\|(?P<text>.*)\|(?P<tests>[^|]*)\|\s*$")
UNTESTABLE = "untestable:"
UNCOVERED = "**uncovered**"


@dataclasses.dataclass(frozen=True)
class Clause:
    id: str
    text: str
    untestable: str | None  # the reason, where the sandbox cannot observe the clause

    @property
    def file(self) -> str:
        return self.id.split(".", 1)[0]


@dataclasses.dataclass
class Coverage:
    week: str
    clauses: list[Clause]
    tests: dict[str, list[str]]  # clause id -> ids of the tests that check it
    unknown: list[tuple[str, str]]  # (test id, clause id) for clause ids not in CLAUSES.md

    @property
    def testable(self) -> list[Clause]:
        return [c for c in self.clauses if c.untestable is None]

    @property
    def covered(self) -> list[Clause]:
        return [c for c in self.testable if self.tests.get(c.id)]

    @property
    def uncovered(self) -> list[Clause]:
        return [c for c in self.testable if not self.tests.get(c.id)]

    def line(self) -> str:
        n, k = len(self.testable), len(self.covered)
        pct = 100.0 * k / n if n else 100.0
        return (f"{self.week}: clause coverage {k}/{n} ({pct:.0f}%) of the testable clauses; "
                f"{len(self.clauses) - n} untestable, {len(self.clauses)} in all")


def path(week: Week) -> Path:
    return week.hidden_dir / "CLAUSES.md"


def load(week: Week) -> list[Clause]:
    """The clauses of CLAUSES.md, in file order. Raises ValueError on a duplicate id."""
    file = path(week)
    if not file.exists():
        return []
    clauses, seen = [], set()
    for line in file.read_text().splitlines():
        match = ROW.match(line)
        if not match:
            continue
        cid, text, tests = match["id"], match["text"].strip(), match["tests"].strip()
        if cid in seen:
            raise ValueError(f"{file}: clause {cid} is listed twice")
        seen.add(cid)
        reason = tests[len(UNTESTABLE):].strip() if tests.startswith(UNTESTABLE) else None
        clauses.append(Clause(cid, text, reason))
    return clauses


def coverage(week: Week) -> Coverage:
    from autograder import engine

    clauses = load(week)
    known = {c.id for c in clauses}
    tests: dict[str, list[str]] = {}
    unknown = []
    for t in engine.week_tests(week):
        for cid in t.clauses:
            if cid in known:
                tests.setdefault(cid, []).append(t.id)
            else:
                unknown.append((t.id, cid))
    return Coverage(week.folder, clauses, tests, unknown)


def render(week: Week) -> str:
    """CLAUSES.md with every generated cell (the tests of each testable clause) brought up to date."""
    cov = coverage(week)
    out = []
    for line in path(week).read_text().splitlines():
        match = ROW.match(line)
        if match and not match["tests"].strip().startswith(UNTESTABLE):
            cell = ", ".join(cov.tests.get(match["id"], [])) or UNCOVERED
            line = f"| `{match['id']}` | {match['text'].strip()} | {cell} |"
        out.append(line)
    return "\n".join(out) + "\n"


def main(weeks: list[Week] | None = None, write: bool = False, verbose: bool = False) -> int:
    """Print each week's coverage (and, with verbose, the uncovered clauses); 1 when one is short."""
    status = 0
    for week in weeks or available_weeks():
        if not path(week).exists():
            print(f"{week.folder}: no CLAUSES.md")
            status = 1
            continue
        if write:
            path(week).write_text(render(week))
        cov = coverage(week)
        print(cov.line())
        for c in cov.uncovered:
            print(f"  uncovered: {c.id}: {c.text}")
        for test_id, cid in cov.unknown:
            print(f"  unknown clause {cid} named by {test_id}")
        if verbose:
            for c in cov.clauses:
                print(f"  {c.id}: {'untestable: ' + c.untestable if c.untestable else ', '.join(cov.tests.get(c.id, []))}")
        status |= bool(cov.uncovered or cov.unknown)
    return int(status)
