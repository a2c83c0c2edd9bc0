"""Week names, the WEEK argument, and the graded files of each week.

Shipped in the student bundle: imports only the standard library (and `autograder.weeks` when it
exists, which it does not in the bundle).
"""
from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

WEEK_NAMES: tuple[str, ...] = (
    "week1_mle_sampling",
    "week2_ar_vae",
    "week3_flows_diffusion",
    "week4_wgan_sn",
)

# A week folder: `week<N>_<topic>`. The official names above match it; test fixtures may use others.
WEEK_DIR_PATTERN = re.compile(r"^week([0-9]+)_[a-z0-9_]+$")

# Fallback for the graded files, from the contract (/work/shared/spec/weekN.md, "Graded files").
# The source of truth is `autograder.weeks.WEEKS[name].graded_files`; this copy serves the student
# bundle, which has no autograder. tests/tools/test_student_tool.py checks that the two agree.
# TODO(lead): keep in sync with autograder/weeks/__init__.py when a week's graded files change.
GRADED_FILES: dict[str, tuple[str, ...]] = {
    "week1_mle_sampling": ("density.py", "sampling.py", "metrics.py"),
    "week2_ar_vae": ("made.py", "pixelcnn.py", "vae.py", "transformer.py"),
    "week3_flows_diffusion": ("flows.py", "diffusion.py", "score.py"),
    "week4_wgan_sn": ("gan.py",),
}


def week_dirs(root: Path) -> list[Path]:
    """The week folders directly under `root` (e.g. solutions/), sorted by week number then name."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and WEEK_DIR_PATTERN.match(p.name)]
    return sorted(found, key=lambda p: (int(WEEK_DIR_PATTERN.match(p.name).group(1)), p.name))


def resolve_week(arg: str | int, root: Path | None = None) -> str:
    """The folder name of a week given as `1`..`4` or as the folder name.

    With `root`, a number may also name any `week<N>_*` folder found there (used on test fixtures).
    Raises `ValueError` naming the argument when it names no week.
    """
    text = str(arg).strip()
    if text in WEEK_NAMES:
        return text
    if text.isdigit():
        number = int(text)
        if root is not None:
            matches = [p.name for p in week_dirs(root)
                       if int(WEEK_DIR_PATTERN.match(p.name).group(1)) == number]
            if len(matches) == 1:
                return matches[0]
        if 1 <= number <= len(WEEK_NAMES):
            return WEEK_NAMES[number - 1]
    elif root is not None and WEEK_DIR_PATTERN.match(text) and (Path(root) / text).is_dir():
        return text
    raise ValueError(f"WEEK={text!r}: expected 1 to {len(WEEK_NAMES)} or one of "
                     f"{', '.join(WEEK_NAMES)}")


def graded_files(week: str) -> tuple[str, ...]:
    """The graded files of a week folder, from `autograder.weeks` when it exists, else the fallback."""
    try:
        from autograder.weeks import WEEKS  # type: ignore[import-not-found]
    except ModuleNotFoundError as error:
        if error.name not in ("autograder", "autograder.weeks"):
            raise  # the registry exists but is broken: say so rather than guess
        WEEKS = {}
    if week in WEEKS:
        return tuple(WEEKS[week].graded_files)
    if week in GRADED_FILES:
        return GRADED_FILES[week]
    raise ValueError(f"week={week!r}: no graded files are known for it")
