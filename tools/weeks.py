"""The table of weeks (names and graded files), and the one resolver of the WEEK argument.

Standard library only: it ships in the student bundle and in the Gradescope bundle, and
`autograder.weeks` builds its `WEEKS` from it.
"""
from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# The table of weeks: the one place that names each week's folder and graded files. The autograder
# (`autograder.weeks.WEEKS`), the tools, the tests, the student bundle and the Gradescope bundle all read
# it. Adding a week is one line here, plus its folders (see `autograder/weeks/__init__.py`).
GRADED_FILES: dict[str, tuple[str, ...]] = {
    "week1_mle_sampling": ("density.py", "sampling.py", "metrics.py"),
    "week2_ar_vae": ("made.py", "pixelcnn.py", "vae.py", "transformer.py"),
    "week3_flows_diffusion": ("flows.py", "diffusion.py", "score.py"),
    "week4_wgan_sn": ("gan.py",),
}
WEEK_NAMES: tuple[str, ...] = tuple(GRADED_FILES)

# A week folder: `week<N>_<topic>`. The official names above match it; test fixtures may use others.
WEEK_DIR_PATTERN = re.compile(r"^week([0-9]+)_[a-z0-9_]+$")


def week_number(folder: str) -> int:
    """The N of a `week<N>_<topic>` folder name."""
    match = WEEK_DIR_PATTERN.match(folder)
    if not match:
        raise ValueError(f"week folder {folder!r} is not of the form week<N>_<topic>")
    return int(match.group(1))


def week_dirs(root: Path) -> list[Path]:
    """The week folders directly under `root` (e.g. solutions/), sorted by week number then name."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and WEEK_DIR_PATTERN.match(p.name)]
    return sorted(found, key=lambda p: (int(WEEK_DIR_PATTERN.match(p.name).group(1)), p.name))


def resolve_week(arg: str | int, root: Path | None = None) -> str:
    """The folder name of a week given as `1`..`4`, `week1`, the folder name, or a path ending in it.

    With `root`, a number may also name any `week<N>_*` folder found there (used on test fixtures).
    Raises `ValueError` naming the argument when it names no week.
    """
    text = str(arg).strip().rstrip("/").split("/")[-1]
    if text in WEEK_NAMES:
        return text
    if re.fullmatch(r"week[0-9]+", text):
        text = text.removeprefix("week")
    if text.isdigit():
        number = int(text)
        if root is not None:
            matches = [p.name for p in week_dirs(root)
                       if int(WEEK_DIR_PATTERN.match(p.name).group(1)) == number]
            if len(matches) == 1:
                return matches[0]
        by_number = {week_number(name): name for name in WEEK_NAMES}
        if number in by_number:
            return by_number[number]
    elif root is not None and WEEK_DIR_PATTERN.match(text) and (Path(root) / text).is_dir():
        return text
    raise ValueError(f"WEEK={str(arg)!r}: expected 1 to {len(WEEK_NAMES)} or one of "
                     f"{', '.join(WEEK_NAMES)}")


def graded_files(week: str) -> tuple[str, ...]:
    """The graded files of a week folder."""
    if week in GRADED_FILES:
        return GRADED_FILES[week]
    raise ValueError(f"week={week!r}: no graded files are known for it")
