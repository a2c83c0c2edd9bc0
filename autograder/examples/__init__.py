"""The example submissions that `make grade` grades, built fresh from the week's own material.

For each week: `reference` (the solution, as a student would hand it in: full marks), `stub` (the
generated stubs: zero), `partial` (the reference with one file left as its stub; in a one-file week, the
file's later half of solution regions left as stubs), `syntax_error` (the
reference with a syntax error in one file), and `forger` (the stubs plus every classic way to fake a
grade: zero).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from autograder.weeks import Week
from tools.markers import STUB_LINE, find_regions

FORGER = Path(__file__).resolve().parent / "forger.py"
NAMES = ("reference", "stub", "partial", "syntax_error", "forger")


def build(week: Week, dest: Path) -> list[Path]:
    """Write the example submissions of `week` under dest/<name>/ and return their folders."""
    if dest.exists():
        shutil.rmtree(dest)
    stubs_dir = week.assignment_dir
    if not all((stubs_dir / f).exists() for f in week.graded_files):
        raise FileNotFoundError(f"{stubs_dir} has no stubs: run `make assignments`")
    made = []
    for name in NAMES:
        folder = dest / f"{week.folder.split('_')[0]}-{name}"
        folder.mkdir(parents=True)
        for i, f in enumerate(week.graded_files):
            source = stubs_dir if name in ("stub", "forger") or (name == "partial" and i == 1) else week.solution_dir
            shutil.copyfile(source / f, folder / f)
        last = folder / week.graded_files[-1]
        if name == "partial" and len(week.graded_files) == 1:
            last.write_text(half_stub(last.read_text(), str(last)))
        if name == "syntax_error":
            last.write_text(last.read_text() + "\n\ndef unfinished(x:\n    return x\n")
        if name == "forger":
            for f in week.graded_files:
                (folder / f).write_text((folder / f).read_text() + FORGER.read_text())
        made.append(folder)
    return made


def half_stub(text: str, where: str) -> str:
    """The reference with its later half of solution regions replaced by `raise NotImplementedError`:
    a half-finished submission of a one-file week."""
    regions = find_regions(text, where)
    stubbed = regions[(len(regions) + 1) // 2:]
    lines = text.splitlines(keepends=True)
    for region in reversed(stubbed):
        lines[region.begin - 1: region.end] = [f"{region.indent}{STUB_LINE}\n"]
    return "".join(lines)
