"""The Gradescope zip end to end in a clean Debian root (tools/gradescope_e2e.py): setup.sh as
Gradescope runs it, then run_autograder on the reference, which must get full marks.

Opt-in (root, the network to the Debian and PyPI registries, 5 to 10 minutes): GRADESCOPE_E2E=1, or
`make gradescope-e2e WEEK=1`, which also records the run in bench/gradescope_e2e.md. The PyTorch CPU
index that setup.sh names is unreachable from the course's machines, so the root gets the host's pip
find-links folder (torch's CPU wheel) and CA bundle as PIP_FIND_LINKS and PIP_CERT, and
PIP_RETRIES=0 so that each failed look-up at that index costs one DNS query. On Gradescope none of
them is needed. CI runs the fake-/autograder test of tests/engine/test_gradescope.py instead.
"""
import os

import pytest

from autograder.weeks import get_week
from tools import gradescope_e2e

pytestmark = [pytest.mark.slow, pytest.mark.root,
              pytest.mark.skipif(os.environ.get("GRADESCOPE_E2E") != "1",
                                 reason="opt-in: GRADESCOPE_E2E=1 or `make gradescope-e2e` (root, network, minutes)")]


def test_reference_gets_full_marks_in_a_clean_debian_root(tmp_path):
    week = get_week(os.environ.get("WEEK", "1"))
    cfg = gradescope_e2e.Config(week=week, workdir=tmp_path,
                                find_links=gradescope_e2e.host_pip_setting("PIP_FIND_LINKS", "find-links"),
                                ca_bundle=gradescope_e2e.host_pip_setting("PIP_CERT", "cert"))
    outcome = gradescope_e2e.run(cfg)
    assert outcome.python.startswith("3.11.") and "2.13.0+cpu" in outcome.python, outcome.python
    assert outcome.full_marks, [t["name"] for t in outcome.results["tests"] if t["score"] < t["max_score"]]
    assert not gradescope_e2e.mounted_below(tmp_path)
