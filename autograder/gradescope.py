"""The Gradescope autograder zip: `setup.sh` and `run_autograder`, with the same engine inside.

    python -m autograder gradescope 1 --out week1_autograder.zip

Gradescope unpacks the zip into /autograder/source, runs setup.sh once when it builds the image, and
runs /autograder/run_autograder for each submission (files in /autograder/submission), which must
write /autograder/results/results.json. The bundle holds the grading engine, this week's hidden tests
and reference, and the pinned requirements; nothing of the other weeks. `AUTOGRADER_ROOT` (default
/autograder) and `AUTOGRADER_PYTHON` let the tests run it against a fake tree.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from autograder.weeks import ROOT, Week, get_week

SETUP_SH = """#!/usr/bin/env bash
# Gradescope image set-up for {folder}: a CPython from 3.11 to 3.13, the pinned dependencies with the CPU
# build of torch, an unprivileged user. Works on a bare Debian 12 or Ubuntu 22.04/24.04 image.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"

find_python() {{  # the first interpreter in the supported range that can make a venv (ensurepip)
  local py
  for py in python3.11 python3.12 python3.13 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys, ensurepip, venv
sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null; then
      command -v "$py"; return 0
    fi
  done
  return 1
}}

if ! PYTHON="$(find_python)"; then
  # The image's own Python is too old or new, or has no venv module: the distribution's 3.11 (Debian 12,
  # Ubuntu 22.04), else 3.12 (Ubuntu 24.04), else 3.13.
  apt-get update
  for version in 3.11 3.12 3.13; do
    if apt-cache show "python$version-venv" >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
        "python$version" "python$version-venv" util-linux
      break
    fi
  done
  PYTHON="$(find_python)" || {{ echo "setup.sh: no Python 3.11 to 3.13 with venv found or installable" >&2; exit 1; }}
fi
echo "setup.sh: $("$PYTHON" -VV | head -n 1) at $PYTHON"
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --no-cache-dir --disable-pip-version-check \\
  -r "$SOURCE/requirements.txt" --extra-index-url https://download.pytorch.org/whl/cpu
chmod -R a+rX "$ROOT/venv"
# Student code runs as nobody (uid 65534), who must not read the hidden tests or the reference.
id -u nobody >/dev/null 2>&1 || useradd --system --uid 65534 --no-create-home nobody
chmod 700 "$SOURCE"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Grades /autograder/submission into /autograder/results/results.json ({folder}).
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
# One thread per process for OpenMP and BLAS: the grader and the sandboxed child take turns on the cores.
export OMP_NUM_THREADS="${{OMP_NUM_THREADS:-1}}" OPENBLAS_NUM_THREADS="${{OPENBLAS_NUM_THREADS:-1}}"
export MKL_NUM_THREADS="${{MKL_NUM_THREADS:-1}}"
exec "$PY" -m autograder.gradescope run --week {folder} \\
  --submission "$ROOT/submission" --results "$ROOT/results/results.json"
"""


def build(week: Week, out: Path) -> Path:
    """Write the autograder zip for `week` to `out` (deterministic: sorted, fixed timestamps)."""
    entries: dict[str, bytes] = {}

    def add_tree(src: Path, arc: str, skip=lambda p: False) -> None:
        for path in sorted(src.rglob("*")):
            rel = path.relative_to(src)
            if path.is_file() and "__pycache__" not in rel.parts and not skip(rel):
                entries[f"{arc}/{rel.as_posix()}"] = path.read_bytes()

    def not_this_week(rel: Path) -> bool:
        """Other weeks' hidden tests, and the course-staff material (mutants, alternative)."""
        if rel.parts[0] != "weeks" or len(rel.parts) < 3:
            return False
        return rel.parts[1] != week.folder or rel.parts[2] in ("alternative", "mutants.py")

    add_tree(ROOT / "autograder", "autograder", skip=not_this_week)
    for f in ("tools/__init__.py", "tools/weeks.py"):  # the table of weeks, which autograder.weeks reads
        entries[f] = (ROOT / f).read_bytes()
    for f in week.graded_files:
        entries[f"solutions/{week.folder}/{f}"] = (week.solution_dir / f).read_bytes()
    for f in week.public_data:
        entries[f"data/files/{f}"] = (ROOT / "data" / "files" / f).read_bytes()
    # The CPU build of torch, by its local version label: setup.sh takes it from the PyTorch CPU index.
    requirements = re.sub(r"^torch==([0-9.]+)$", r"torch==\1+cpu", (ROOT / "requirements.txt").read_text(),
                          flags=re.M)
    entries["requirements.txt"] = requirements.encode()
    entries["setup.sh"] = SETUP_SH.format(folder=week.folder).encode()
    entries["run_autograder"] = RUN_AUTOGRADER.format(folder=week.folder).encode()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name in ("setup.sh", "run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name])
    return out


def run(week: Week, submission: Path, results: Path) -> int:
    """Grade one Gradescope submission. Always writes results.json; exit 0 unless that is impossible."""
    from autograder import engine, report

    started = time.monotonic()
    try:
        result = engine.grade(week, submission, name="submission")
        payload = report.results_json(result)
    except Exception as exc:  # noqa: BLE001  (the grader itself failed: say so, score nothing)
        payload = {"score": 0, "execution_time": round(time.monotonic() - started, 2),
                   "output": f"The autograder could not run ({type(exc).__name__}). Please tell the course staff.",
                   "tests": []}
        print(f"autograder failure: {exc!r}", file=sys.stderr)
    results.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=results.parent, prefix=".results.")
    with os.fdopen(fd, "w") as f:
        json.dump(payload, f, indent=2)
    os.chmod(tmp, 0o644)
    os.replace(tmp, results)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run")
    p.add_argument("--week", required=True)
    p.add_argument("--submission", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    args = parser.parse_args(argv)
    return run(get_week(args.week), args.submission, args.results)


if __name__ == "__main__":
    raise SystemExit(main())
