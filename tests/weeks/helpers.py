"""Loading helpers shared by the per-week project tests (tests/weekN/*.py) and tests/weeks/.

A week's reference (solutions/<folder>/) and its alternative correct implementation
(autograder/weeks/<folder>/alternative/) define the same module names (`density`, `made`, ...), so
each is imported under unique names (`reference_week1_mle_sampling_density`, ...) by
`autograder.weeks.load_modules`, and never by its plain name. Each is imported once per process, so
every test module sees the same module objects (pickling and isinstance checks stay consistent).

Import as `from tests.weeks.helpers import ...` (the repository root is on sys.path).
"""
from __future__ import annotations

import functools
import importlib.util
import sys
import types
from pathlib import Path

from autograder.weeks import Week, get_week, load_modules


def alternative_dir(week: Week) -> Path:
    """autograder/weeks/<folder>/alternative: the second correct implementation of the week."""
    return week.hidden_dir / "alternative"


def reference_modules(week: int | str | Week) -> types.SimpleNamespace:
    """The week's reference graded modules, e.g. `reference_modules(1).density`."""
    return _modules(_week(week).folder, "reference")


def alternative_modules(week: int | str | Week) -> types.SimpleNamespace:
    """The week's alternative graded modules, e.g. `alternative_modules(1).density`."""
    return _modules(_week(week).folder, "alternative")


def _week(week: int | str | Week) -> Week:
    return week if isinstance(week, Week) else get_week(week)


@functools.cache
def _modules(folder: str, label: str) -> types.SimpleNamespace:
    week = get_week(folder)
    return load_modules(week.solution_dir if label == "reference" else alternative_dir(week), week, label)


def hidden_module(week: int | str | Week, stem: str) -> types.ModuleType:
    """One hidden test file, autograder/weeks/<folder>/<stem>.py, as `hidden_<folder>_<stem>` (imported
    once), e.g. to check the analytic helpers its tests rest on."""
    week = _week(week)
    name = f"hidden_{week.folder}_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, week.hidden_dir / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
