"""The Gradescope bundle's setup.sh picks a supported Python the way it says (its `find_python`), on
PATHs made of real interpreters of this machine. Its full run in a clean Debian root is
tests/setup/test_gradescope_e2e.py (opt-in)."""
import re
import subprocess
from pathlib import Path

import pytest

from autograder import gradescope
from tests.setup.test_lock import find_python

SCRIPT = gradescope.SETUP_SH.format(folder="week1_mle_sampling")
FIND_PYTHON = re.search(r"^find_python\(\) \{.*?^\}\n", SCRIPT, re.M | re.S)[0]


def pick(tmp_path: Path, links: dict[str, Path]) -> subprocess.CompletedProcess:
    """Run setup.sh's find_python with a PATH holding only `links` ({command name: interpreter})."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    for name, target in links.items():
        (bin_dir / name).symlink_to(target)
    return subprocess.run(["/bin/bash", "-c", FIND_PYTHON + "find_python"], capture_output=True, text=True,
                          env={"PATH": str(bin_dir)})


def interpreter(minor):
    found = find_python(minor)
    if found is None:
        pytest.skip(f"no Python {minor[0]}.{minor[1]} on this machine")
    return found


def test_prefers_311_then_takes_312(tmp_path):
    py311, py312 = interpreter((3, 11)), interpreter((3, 12))
    both = pick(tmp_path / "a", {"python3.11": py311, "python3.12": py312})
    assert both.returncode == 0 and both.stdout.strip().endswith("/python3.11"), both
    only_312 = pick(tmp_path / "b", {"python3.12": py312, "python3": py312})
    assert only_312.returncode == 0 and only_312.stdout.strip().endswith("/python3.12"), only_312


def test_refuses_a_python_out_of_range(tmp_path):
    """An image whose python3 is 3.10 (Ubuntu 22.04's): find_python fails, so setup.sh installs one."""
    py310 = interpreter((3, 10))
    found = pick(tmp_path, {"python3": py310, "python3.10": py310})
    assert found.returncode == 1 and found.stdout == "", found
