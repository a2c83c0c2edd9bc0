"""The Gradescope bundle: built, unpacked into a fake /autograder tree, run, and checked."""
import json
import os
import shutil
import subprocess
import sys
import zipfile

import jsonschema

from autograder import gradescope
from autograder.weeks import ROOT, get_week

WEEK = get_week(1)


def test_bundle_contents_and_scripts(tmp_path):
    zip_path = gradescope.build(WEEK, tmp_path / "w1.zip")
    names = zipfile.ZipFile(zip_path).namelist()
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
    assert any(n.startswith(f"autograder/weeks/{WEEK.folder}/test_") for n in names)
    assert not any("/alternative/" in n or n.endswith("mutants.py") and "weeks/" in n for n in names)
    assert not any(n.startswith("autograder/weeks/week") and WEEK.folder not in n for n in names)
    assert "torch==2.13.0+cpu" in zipfile.ZipFile(zip_path).read("requirements.txt").decode()
    for script in ("setup.sh", "run_autograder"):
        (tmp_path / script).write_bytes(zipfile.ZipFile(zip_path).read(script))
        assert subprocess.run(["bash", "-n", str(tmp_path / script)]).returncode == 0
    assert gradescope.build(WEEK, tmp_path / "again.zip").read_bytes() == zip_path.read_bytes()


def test_run_autograder_in_a_fake_tree(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission" / "nested").mkdir(parents=True)
    for f in WEEK.graded_files:
        shutil.copy(WEEK.solution_dir / f, root / "submission" / "nested" / f)
    with zipfile.ZipFile(gradescope.build(WEEK, tmp_path / "w1.zip")) as archive:
        archive.extractall(root / "source")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
           "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, json.loads((ROOT / "autograder" / "gradescope_schema.json").read_text()))
    total = sum(t["max_score"] for t in results["tests"])
    assert results["score"] == total > 0, [t for t in results["tests"] if t["score"] < t["max_score"]]
