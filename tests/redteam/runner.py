"""Grade submissions with the real batch path (`autograder.batch.grade_many`), for the red-team suite.

    python tests/redteam/runner.py --out DIR [--workers N] SUBMISSION...

With REDTEAM_HIDDEN_DIR set, the engine's hidden tests come from that folder instead of the week's
own (`autograder.engine.week_tests` is replaced). The replacement runs at import time, so it also
holds in the worker processes of `--workers N`: the spawn start method re-runs this file's top level
in each worker (as `__mp_main__`). Exit status: 0 when the batch completed, 3 when it raised.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

import torch

torch.set_num_threads(1)

from autograder import engine, registry

_HIDDEN = os.environ.get("REDTEAM_HIDDEN_DIR")
if _HIDDEN:
    _TESTS = tuple(registry.discover(Path(_HIDDEN)))
    engine.week_tests = lambda week: _TESTS


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("submissions", nargs="+")
    args = parser.parse_args()
    from autograder import batch
    from autograder.weeks import get_week

    paths = [Path(os.fsencode(p).decode("utf-8", "surrogateescape")) for p in args.submissions]
    try:
        batch.grade_many(get_week(1), paths, args.out, workers=args.workers, progress=False)
    except BaseException:  # noqa: BLE001  (the suite reports any crash of the batch as a finding)
        traceback.print_exc()
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
