"""`python -m autograder grade`: results.json, feedback, gradebook, resume, --force, workers, exit codes."""
import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile

import jsonschema
import pytest

from autograder.weeks import ROOT, get_week

WEEK = get_week(1)
ONLY = ["density.categorical_nll*", "metrics.frechet_distance_identities"]
SCHEMA = json.loads((ROOT / "autograder" / "gradescope_schema.json").read_text())


def grade(*args, cwd=None):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=900, cwd=cwd or ROOT)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    subs = tmp / "subs"
    (subs / "ref").mkdir(parents=True)
    (subs / "stub").mkdir()
    (subs / "broken").mkdir()
    for f in WEEK.graded_files:
        shutil.copy(WEEK.solution_dir / f, subs / "ref" / f)
        shutil.copy(WEEK.assignment_dir / f, subs / "stub" / f)
        shutil.copy(WEEK.solution_dir / f, subs / "broken" / f)
    (subs / "broken" / "metrics.py").write_text("def frechet_distance(:\n")
    with zipfile.ZipFile(subs / "zipped.zip", "w") as archive:
        for f in WEEK.graded_files:
            archive.write(WEEK.solution_dir / f, f"my folder/{f}")
    out = tmp / "out"
    paths = [subs / "ref", subs / "stub", subs / "broken", subs / "zipped.zip"]
    done = grade(1, *paths, "--out", out, "--workers", "2", "--only", *ONLY)
    return out, paths, done


def read(out, name):
    return json.loads((out / name / "results.json").read_text())


def test_exit_zero_and_table(graded):
    out, _, done = graded
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("ref", "stub", "broken", "zipped"):
        assert name in done.stdout


def test_results_follow_gradescope_schema_and_scores(graded):
    out, _, _ = graded
    for name in ("ref", "stub", "broken", "zipped"):
        jsonschema.validate(read(out, name), SCHEMA)
        assert (out / name / "feedback.html").read_text().startswith("<!doctype html>")
    ref, stub, broken = read(out, "ref"), read(out, "stub"), read(out, "broken")
    full = sum(t["max_score"] for t in ref["tests"])
    assert ref["score"] == full > 0 and read(out, "zipped")["score"] == full
    assert stub["score"] == 0 and all("not" in t["output"].lower() for t in stub["tests"])
    by_id = {t["number"]: t for t in broken["tests"]}
    assert by_id["metrics.frechet_distance_identities"]["score"] == 0
    assert "SyntaxError" in by_id["metrics.frechet_distance_identities"]["output"]
    assert by_id["density.categorical_nll_oracle"]["score"] > 0  # the other files still earn points
    assert "metrics.py could not be imported" in broken["output"]


def test_gradebook_rows_and_columns(graded):
    out, _, _ = graded
    rows = list(csv.DictReader(open(out / "gradebook.csv")))
    assert [r["submission"] for r in rows] == ["broken", "ref", "stub", "zipped"]
    ids = [t["number"] for t in read(out, "ref")["tests"]]
    assert list(rows[0].keys()) == ["submission", *ids, "total", "max_total"]
    ref = next(r for r in rows if r["submission"] == "ref")
    assert float(ref["total"]) == float(ref["max_total"]) == sum(float(ref[i]) for i in ids)
    assert (out / "scores.png").stat().st_size > 1000


def test_rerun_skips_and_force_regrades(graded):
    out, paths, _ = graded
    marker = out / "ref" / "results.json"
    before = marker.stat().st_mtime_ns
    done = grade(1, paths[0], "--out", out, "--only", *ONLY)
    assert done.returncode == 0 and "already graded" in done.stdout and marker.stat().st_mtime_ns == before
    done = grade(1, paths[0], "--out", out, "--force", "--only", ONLY[1])
    assert done.returncode == 0 and marker.stat().st_mtime_ns != before
    assert [t["number"] for t in read(out, "ref")["tests"]] == [ONLY[1]]
    assert not [p for p in os.listdir(out) if p.startswith(".")], "a staging folder was left behind"


def test_unknown_week_is_a_usage_error(tmp_path):
    done = grade(9, tmp_path, "--out", tmp_path / "out")
    assert done.returncode == 2 and "unknown week" in done.stderr
