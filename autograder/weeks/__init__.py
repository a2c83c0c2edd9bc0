"""The weeks: folder name, graded files, and where each week's material lives.

To add a week: create `solutions/<folder>/` (reference with solution markers, public tests, handout,
master notebook), `autograder/weeks/<folder>/` (hidden tests `test_*.py`, `mutants.py`,
`alternative/`), and add one line to the table of weeks in `tools/weeks.py`.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import sys
import types
from pathlib import Path

from tools import weeks as week_table

ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Week:
    number: int
    folder: str  # e.g. "week1_mle_sampling"
    graded_files: tuple[str, ...]  # e.g. ("density.py", "sampling.py", "metrics.py")
    public_data: tuple[str, ...] = ()  # files under data/files/ copied into the sandbox

    @property
    def modules(self) -> list[str]:
        return [f.removesuffix(".py") for f in self.graded_files]

    @property
    def solution_dir(self) -> Path:
        return ROOT / "solutions" / self.folder

    @property
    def assignment_dir(self) -> Path:
        return ROOT / "assignments" / self.folder

    @property
    def hidden_dir(self) -> Path:
        return Path(__file__).resolve().parent / self.folder

    @property
    def exists(self) -> bool:
        return self.solution_dir.is_dir() and self.hidden_dir.is_dir()


# Built from the one table of weeks, tools/weeks.py (standard library only, shipped in both bundles).
WEEKS = {folder: Week(week_table.week_number(folder), folder, files)
         for folder, files in week_table.GRADED_FILES.items()}


def get_week(key: str | int) -> Week:
    """Accepts 1..4, `week1`, the folder name or a path ending in it (tools.weeks.resolve_week)."""
    try:
        return WEEKS[week_table.resolve_week(key)]
    except ValueError as error:
        raise KeyError(f"unknown week: {error}") from None


def available_weeks() -> list[Week]:
    return [w for w in WEEKS.values() if w.exists]


def load_modules(directory: Path, week: Week, prefix: str) -> types.SimpleNamespace:
    """Import a week's graded files from `directory` (e.g. the reference) under unique module names.

    The files import each other by their plain names (`from density import ...`), so those names are
    aliased while they load.
    """
    namespace = types.SimpleNamespace()
    saved = {m: sys.modules.pop(m) for m in week.modules if m in sys.modules}
    try:
        for module_name in week.modules:
            path = Path(directory) / f"{module_name}.py"
            unique = f"{prefix}_{week.folder}_{module_name}"
            spec = importlib.util.spec_from_file_location(unique, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
            setattr(namespace, module_name, module)
    finally:
        for module_name in week.modules:
            sys.modules.pop(module_name, None)
        sys.modules.update(saved)
    return namespace
