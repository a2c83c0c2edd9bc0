"""The hidden-test format: a decorator that turns a function into a graded test.

    @test(points=2, functions=["density.categorical_nll"], visibility="hidden", timeout=30, slow=False,
          clauses=["density.categorical_nll.value", ...])
    def categorical_nll_matches_reference(sub, ref):
        \"\"\"First docstring line: the test's name in the feedback.\"\"\"

A test passes (full points) when it returns, and fails (zero) when a check raises CheckFailed.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path
from typing import Callable

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclasses.dataclass(frozen=True)
class Test:
    id: str  # "<module>.<function>", stable: it names the gradebook column
    name: str  # first line of the docstring
    points: float
    visibility: str
    timeout: float  # wall-clock seconds for the whole test
    functions: tuple[str, ...]  # "file.function" names the test exercises
    func: Callable
    slow: bool = False  # a training run: the mutation harness runs it only for mutants the fast tests miss
    clauses: tuple[str, ...] = ()  # ids of the contract clauses it checks (weeks/<week>/CLAUSES.md)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted({f.split(".")[0] for f in self.functions}))


def test(points: float = 1, functions: list[str] | tuple[str, ...] = (), visibility: str = "hidden",
         timeout: float = 30, name: str | None = None, slow: bool = False,
         clauses: list[str] | tuple[str, ...] = ()) -> Callable:
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    if not functions:
        raise ValueError("a test must name the functions it exercises (functions=[...])")

    def decorate(func: Callable) -> Callable:
        doc = (func.__doc__ or func.__name__).strip().splitlines()[0]
        func._autograder_test = dict(points=points, functions=tuple(functions), visibility=visibility,
                                     timeout=timeout, name=name or doc, slow=bool(slow),
                                     clauses=tuple(clauses))
        return func

    return decorate


def discover(tests_dir: Path) -> list[Test]:
    """All tests of a week: modules test_*.py in `tests_dir`, in file order, then definition order."""
    tests: list[Test] = []
    for path in sorted(Path(tests_dir).glob("test_*.py")):
        module = _import(path)
        stem = path.stem.removeprefix("test_")
        for attr, func in vars(module).items():
            meta = getattr(func, "_autograder_test", None)
            if meta is not None and callable(func):
                tests.append(Test(id=f"{stem}.{attr}", func=func, **meta))
    ids = [t.id for t in tests]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate test ids in {tests_dir}")
    return tests


def _import(path: Path):
    name = f"_autograder_hidden_{path.parent.name}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
