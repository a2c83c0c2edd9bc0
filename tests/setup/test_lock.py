"""The lock (requirements.txt) and `make setup` on the Pythons students and Gradescope have.

Supported: CPython 3.11.0 to 3.13.x (pyproject's requires-python, the Makefile's check, the bundle's
setup.sh). The lock is resolved by `make lock` (uv, --universal, from 3.11.0 on). Here:
- offline: the lock pins every direct dependency of pyproject.toml as written there, and the three
  statements of the supported range agree;
- the lock resolves for exactly 3.11.0 (uv, metadata only), so no pin needs a later 3.11.x;
- `make setup` with this machine's Debian Python (/usr/bin/python3.11, 3.11.2) installs it, and the
  week-1 reference gets full marks from that environment;
- pip resolves the lock on 3.12 and 3.13 (`pip install --dry-run`, with pyenv's builds).

These need the network to PyPI (the registry). On CI a missing interpreter is a failure, elsewhere a skip.
"""
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from autograder import examples, gradescope
from autograder.weeks import ROOT, get_week

LOCK = ROOT / "requirements.txt"
DEBIAN_PYTHON = Path("/usr/bin/python3.11")
SUPPORTED = ((3, 11), (3, 13))  # oldest and newest minor version, both included
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.+))?$")
CUDA_ONLY = re.compile(r"^(nvidia-|cuda-|triton)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins() -> dict[str, list[tuple[str, str | None]]]:
    """{normalized name: [(version, marker or None), ...]} of requirements.txt."""
    pins: dict[str, list[tuple[str, str | None]]] = {}
    for line in LOCK.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line.strip())
        assert match, f"requirements.txt: not an exact pin: {line!r}"
        pins.setdefault(normalize(match[1]), []).append((match[2], match[3]))
    return pins


def find_python(minor: tuple[int, int]) -> Path | None:
    """An interpreter of that minor version that runs: a pyenv build, else one on PATH (not a shim
    that refuses to run it)."""
    name = f"python{minor[0]}.{minor[1]}"
    candidates = sorted((Path.home() / ".pyenv" / "versions").glob(f"{minor[0]}.{minor[1]}.*/bin/{name}"))
    candidates += [Path(found)] if (found := shutil.which(name)) else []
    for candidate in candidates:
        if subprocess.run([str(candidate), "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return None


def need(path: Path | None, what: str) -> Path:
    if path is None or not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{what} is missing on this CI machine")
        pytest.skip(f"{what} is not on this machine")
    return path


@pytest.fixture(scope="module")
def uv() -> Path:
    """The uv that `make lock` uses (pinned in the Makefile, installed under build/uv)."""
    subprocess.run(["make", "--no-print-directory", "build/uv/bin/uv"], cwd=ROOT, check=True,
                   capture_output=True)
    return ROOT / "build" / "uv" / "bin" / "uv"


def test_lock_pins_every_direct_dependency_as_pyproject_does():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = lock_pins()
    for requirement in project["dependencies"]:
        name, version = re.fullmatch(r"\s*([A-Za-z0-9._-]+)==([^\s;]+)\s*", requirement).groups()
        assert pins.get(normalize(name)) == [(version, None)], \
            f"{name}=={version} in pyproject.toml, {pins.get(normalize(name))} in the lock: run `make lock`"
    assert pins["torch"] == [("2.13.0", None)]
    # One version of each package on every supported Python and platform (markers only add or drop
    # a package), and none of torch's CUDA libraries: the CPU build needs none, PyPI's pins its own.
    assert all(len(versions) == 1 for versions in pins.values()), {n: v for n, v in pins.items() if len(v) > 1}
    assert not [name for name in pins if CUDA_ONLY.match(name)]
    assert "make lock" in LOCK.read_text().splitlines()[1]


def test_supported_range_is_stated_alike_everywhere():
    low, high = SUPPORTED
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={low[0]}.{low[1]},<{high[0]}.{high[1] + 1}"
    check = f"{low} <= sys.version_info[:2] <= {high}"
    assert check in (ROOT / "Makefile").read_text()
    assert check in gradescope.SETUP_SH and "for py in python3.11 python3.12 python3.13 python3" in gradescope.SETUP_SH
    assert "Python 3.11, 3.12 or 3.13" in (ROOT / "README.md").read_text()


def test_torch_index_option_names_the_cpu_index(tmp_path):
    """`make setup TORCH_INDEX=cpu` adds the PyTorch CPU index to pip's command; without it, none."""
    def pip_line(*args):
        done = subprocess.run(["make", "-n", "setup", f"VENV={tmp_path / 'venv'}", *args], cwd=ROOT,
                              capture_output=True, text=True, check=True)
        return next(line for line in done.stdout.splitlines() if "pip install" in line)
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip_line("TORCH_INDEX=cpu")
    assert "index-url" not in pip_line()


@pytest.mark.slow
def test_lock_resolves_for_python_3_11_0(uv, tmp_path):
    """Every pin admits 3.11.0 (a Requires-Python of >=3.11.5 fails here), by uv's resolver on the
    lock itself: metadata only."""
    done = subprocess.run([str(uv), "pip", "compile", str(LOCK), "--python-version", "3.11.0",
                           "--python-platform", "x86_64-manylinux_2_28", "--no-header", "--quiet",
                           "-o", str(tmp_path / "resolved.txt")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    resolved = {normalize(m[1]): m[2] for line in (tmp_path / "resolved.txt").read_text().splitlines()
                if (m := PIN.match(line.strip()))}
    expected = {name: versions[0][0] for name, versions in lock_pins().items()}
    assert {n: v for n, v in resolved.items() if n in expected} == {n: v for n, v in expected.items() if n in resolved}


@pytest.mark.slow
def test_make_setup_with_debian_python_then_grade(tmp_path):
    """The student's path on Debian 12: `make setup PYTHON=/usr/bin/python3.11` (3.11.2), then the
    week-1 reference graded from that environment at full marks. torch comes from pip's find-links
    folder where the machine has one (the CPU build), as for the project's own .venv."""
    python = need(DEBIAN_PYTHON, "Debian's /usr/bin/python3.11")
    venv = tmp_path / "venv"
    try:
        setup_and_grade(python, venv, tmp_path)
    finally:
        shutil.rmtree(venv, ignore_errors=True)  # 1.7 GB; pytest would keep it with its temporary folders


def setup_and_grade(python: Path, venv: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PIP_NO_COMPILE": "1"}  # byte-compiling 1 GB of packages is all it would add
    done = subprocess.run(["make", "--no-print-directory", "setup", f"PYTHON={python}", f"VENV={venv}"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    py = venv / "bin" / "python"
    version = subprocess.run([str(py), "-c", "import sys, torch; print(sys.version_info[:2], torch.__version__)"],
                             capture_output=True, text=True, check=True).stdout.split(maxsplit=2)
    assert version[:2] == ["(3,", "11)"] and version[2].startswith("2.13.0"), version
    check = subprocess.run([str(py), "-m", "pip", "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout

    week = get_week(1)
    reference = examples.build(week, tmp_path / "examples")[examples.NAMES.index("reference")]
    results = tmp_path / "results.json"
    graded = subprocess.run([str(py), "-m", "autograder.gradescope", "run", "--week", week.folder,
                             "--submission", str(reference), "--results", str(results)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": ""}, capture_output=True, text=True,
                            timeout=600)
    assert graded.returncode == 0, graded.stderr[-3000:]
    payload = json.loads(results.read_text())
    total = sum(t["max_score"] for t in payload["tests"])
    assert payload["score"] == total > 0, [t["name"] for t in payload["tests"] if t["score"] < t["max_score"]]


@pytest.mark.slow
@pytest.mark.parametrize("minor", [(3, 12), (3, 13)], ids=["3.12", "3.13"])
def test_lock_resolves_with_pip_on(minor, uv, tmp_path):
    """pip resolves the lock on 3.12 and 3.13 (`pip install --dry-run`). The lock's torch
    line is left to uv on the same interpreter: this registry serves no separate metadata files
    (PEP 658), so pip's dry run would download PyPI's CUDA build of torch and its libraries (about
    1.4 GB); uv reads the same metadata with HTTP range requests."""
    python = need(find_python(minor), f"Python {minor[0]}.{minor[1]}")
    without_torch = tmp_path / "requirements-without-torch.txt"
    without_torch.write_text("".join(line + "\n" for line in LOCK.read_text().splitlines()
                                     if not line.startswith("torch==")))
    done = subprocess.run([str(python), "-m", "pip", "install", "--dry-run", "--ignore-installed",
                           "--disable-pip-version-check", "--quiet",
                           "--report", str(tmp_path / "report.json"), "-r", str(without_torch)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    chosen = {normalize(item["metadata"]["name"]): item["metadata"]["version"] for item in report["install"]}
    expected = {name: versions[0][0] for name, versions in lock_pins().items() if name != "torch"}
    assert {n: chosen.get(n) for n in chosen.keys() & expected.keys()} == \
        {n: expected[n] for n in chosen.keys() & expected.keys()}
    assert not set(chosen) - set(expected), "pip added packages the lock does not pin"

    venv = tmp_path / "venv"  # an empty environment of that interpreter for uv to resolve against
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(venv)], check=True)
    torch_line = next(line for line in LOCK.read_text().splitlines() if line.startswith("torch=="))
    done = subprocess.run([str(uv), "pip", "install", "--dry-run", "--only-binary", "torch", "--python",
                           str(venv / "bin" / "python"), "-r", str(without_torch), torch_line],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"+ {torch_line}" in done.stderr
