"""Clause coverage of the hidden suites (issue 18): every clause of a graded docstring is checked by a
hidden test, or is marked untestable with its reason, in `autograder/weeks/<week>/CLAUSES.md`.

Fails when a week lacks its table, a graded file has no clause, a testable clause has no test, a
test names a clause the table does not list, an untestable clause gives no reason, or the table's
generated cells are stale (`python -m autograder clauses WEEK --write` regenerates them). Also checks
the public probes and grader-side checks that the clause tests rest on, on small honest and dishonest
samplers run in this process.
"""
from __future__ import annotations

import pytest
import torch

from autograder import checks, clauses, probes
from autograder.runtime.fixtures import probes as child_probes
from autograder.weeks import Week, available_weeks

WEEKS = available_weeks()
each_week = pytest.mark.parametrize("week", WEEKS, ids=[w.folder for w in WEEKS])


@each_week
def test_every_week_has_a_clause_table_for_each_graded_file(week: Week):
    assert clauses.path(week).exists(), f"{week.folder} has no CLAUSES.md"
    files = {c.file for c in clauses.load(week)}
    assert files == set(week.modules), f"clause tables for {sorted(files)}, graded files {week.modules}"


@each_week
def test_every_clause_is_covered_or_untestable(week: Week):
    cov = clauses.coverage(week)
    assert not cov.unknown, f"tests name clauses that CLAUSES.md does not list: {cov.unknown}"
    assert not cov.uncovered, "clauses no hidden test checks:\n" + "\n".join(f"{c.id}: {c.text}" for c in cov.uncovered)
    for c in cov.clauses:
        assert c.text, f"{c.id} has no text"
        assert c.untestable is None or len(c.untestable) > 10, f"{c.id} is untestable without a reason"
        assert c.id.split(".")[0] in week.modules, f"{c.id} names no graded file"


@each_week
def test_clause_table_is_current(week: Week):
    assert clauses.render(week) == clauses.path(week).read_text(), \
        f"CLAUSES.md of {week.folder} is stale: run python -m autograder clauses {week.number} --write"


# ---------------------------------------------------------------------------------------------
# The probes, on local stand-ins for the student's code (no sandbox needed: the same functions run
# in the child, and the grader's checks read plain data).
# ---------------------------------------------------------------------------------------------
def _copied(value):
    """What the wire does to an argument: tensors arrive in the child as fresh copies."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


class _Local:
    """Stands in for `sub`: call_fixture runs the public probe here, on copies of the arguments."""

    def call_fixture(self, name, *args, **kwargs):
        return getattr(child_probes, name)(*_copied(args), **_copied(kwargs))


class _Sampler:
    def __init__(self, mode: str):
        self.mode = mode

    def sample(self, n: int) -> torch.Tensor:
        if self.mode == "reseed":
            torch.manual_seed(0)
        if self.mode == "fork":
            with torch.random.fork_rng():
                return torch.rand(n, 2)
        if self.mode == "private":
            return torch.rand(n, 2, generator=torch.Generator().manual_seed(3))
        x = torch.rand(n, 2)
        if self.mode == "reseed_after":
            torch.manual_seed(0)
        return x


def test_sampler_twice_accepts_honest_and_rejects_reseeding_samplers():
    torch.manual_seed(0)
    first, second = probes.sampler_twice(_Local(), _Sampler("honest"), "sample", [500], what="honest")
    probes.independent(first, second, p_fail=1e-6, what="honest")
    for mode in ("reseed", "fork", "private", "reseed_after"):
        with pytest.raises(checks.CheckFailed):
            probes.sampler_twice(_Local(), _Sampler(mode), "sample", [500], what=mode)


def test_independent_rejects_shared_noise():
    torch.manual_seed(1)
    a = torch.randn(2000, 3)
    with pytest.raises(checks.CheckFailed):
        probes.independent(a, a + 0.5 * torch.randn(2000, 3), p_fail=1e-6, what="shared")
    bits = torch.bernoulli(torch.full((2000, 2), 0.4))
    with pytest.raises(checks.CheckFailed):
        probes.independent(bits, bits, p_fail=1e-6, what="shared bits")


class _Keeper:
    def __init__(self, copy: bool):
        self.copy, self.kept = copy, None

    def keep(self, t: torch.Tensor) -> None:
        self.kept = t.clone() if self.copy else t

    def read(self) -> torch.Tensor:
        return self.kept * 1


def test_keeps_copy_sees_aliasing():
    t = torch.arange(4.0)
    probes.keeps_copy(_Local(), _Keeper(True), "keep", [t.clone()], 0, -1.0, t, then_method="read", what="copy")
    with pytest.raises(checks.CheckFailed):
        probes.keeps_copy(_Local(), _Keeper(False), "keep", [t.clone()], 0, -1.0, t, then_method="read", what="alias")


def test_leaves_arguments_sees_in_place_edits():
    class Fn:
        def pure(self, x):
            return x * 2

        def dirty(self, x):
            return x.mul_(2)

    x = torch.arange(3.0)
    probes.leaves_arguments(_Local(), Fn(), "pure", [x], what="pure")
    with pytest.raises(checks.CheckFailed):
        probes.leaves_arguments(_Local(), Fn(), "dirty", [x], what="dirty")
