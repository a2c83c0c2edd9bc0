"""`python -m autograder report`: per-test figures, failure messages (grader's words only), discrimination, flags.

The synthetic tests build results.json files by hand, so every figure is known exactly; the graded test
grades week 1's example submissions and two mutants of the reference on a few tests, once, and reads the
report of three sub-batches whose flags follow from what each submission is (see `graded`).
"""
import csv
import json
import math
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from autograder import batch, classreport, examples
from autograder.mutants import build_mutant, load_mutants
from autograder.weeks import ROOT, get_week

WEEK = get_week(1)


def write_batch(folder: Path, rows: dict[str, dict[str, tuple[float, float, str | None, str]]]) -> Path:
    """rows: submission -> test id -> (score, max, grader message or None, output)."""
    for name, tests in rows.items():
        (folder / name).mkdir(parents=True)
        entries = []
        for tid, (score, top, message, output) in tests.items():
            entry = {"name": f"{tid}: the test {tid}", "number": tid, "score": score, "max_score": top,
                     "visibility": "hidden", "output": output}
            if message is not None:
                entry["extra_data"] = {"message": message}
            entries.append(entry)
        (folder / name / "results.json").write_text(json.dumps(
            {"score": sum(t[0] for t in tests.values()), "tests": entries}))
    return folder


def test_point_biserial_is_pearson_r_of_a_binary_variable():
    """Oracle: scipy.stats.pointbiserialr on random data; undefined (nan) when a variable is constant."""
    rng = random.Random(0)
    for _ in range(20):
        n = rng.randint(3, 40)
        binary = [rng.random() < 0.5 for _ in range(n)]
        if len(set(binary)) < 2:
            binary[0] = not binary[0]
        other = [rng.gauss(0, 1) + (1.5 if b else 0) for b in binary]
        want = stats.pointbiserialr(binary, other).statistic
        assert classreport.point_biserial(binary, other) == pytest.approx(want, abs=1e-12)
    assert math.isnan(classreport.point_biserial([True, True, True], [1.0, 2.0, 3.0]))
    assert math.isnan(classreport.point_biserial([True, False, True], [2.0, 2.0, 2.0]))


def test_figures_flags_and_messages_of_a_synthetic_batch(tmp_path):
    leak = "STUDENT_TEXT_print(hidden_inputs)"
    msg = "the mean differs from the reference by {} (tolerance 1e-4)"
    # t_all: everybody passes; t_none: nobody; t_neg: passed only by the two weakest (s3, s4); t_pos and
    # t_x: by the two strongest (s1, s2).
    rows = {
        "s1": {"t_all": (1, 1, "passed", "passed"), "t_none": (0, 2, msg.format(0.69), f"x\n{leak}"),
               "t_neg": (0, 1, msg.format(1.5), leak), "t_pos": (3, 3, "passed", "passed"),
               "t_x": (3, 3, "passed", "passed")},
        "s2": {"t_all": (1, 1, "passed", "passed"), "t_none": (0, 2, msg.format(12.25), leak),
               "t_neg": (0, 1, "f() raised an exception of its own class", f"f() raised {leak}"),
               "t_pos": (3, 3, "passed", "passed"), "t_x": (3, 3, "passed", "passed")},
        "s3": {"t_all": (1, 1, "passed", "passed"), "t_none": (0, 2, "density.py could not be imported", leak),
               "t_neg": (1, 1, "passed", "passed"), "t_pos": (0, 3, msg.format(3), leak),
               "t_x": (0, 3, "f() raised ValueError", leak)},
        "s4": {"t_all": (1, 1, "passed", "passed"), "t_none": (0, 2, None, leak),
               "t_neg": (1, 1, "passed", "passed"), "t_pos": (0, 3, msg.format(4), leak),
               "t_x": (0, 3, "f() raised ValueError", leak)},
    }
    folder = write_batch(tmp_path / "week1_mle_sampling", rows)
    rep = classreport.build(folder, functions={"t_all": ("density.a",), "t_none": ("density.a", "density.b"),
                                               "t_neg": ("density.b",), "t_pos": ("density.b",),
                                               "t_x": ()})
    by_id = {t.id: t for t in rep.tests}
    assert by_id["t_all"].flags == ["everybody passes"]
    assert by_id["t_none"].flags == ["nobody passes"]
    assert by_id["t_neg"].flags == ["negative discrimination"]
    assert by_id["t_pos"].flags == []
    assert by_id["t_neg"].pass_rate == 0.5 and by_id["t_neg"].mean_score == 0.5
    assert by_id["t_pos"].mean_score == 1.5
    # rest of the score for t_neg: s1 7, s2 7, s3 1, s4 1; passers are s3, s4: r = -1 exactly.
    assert by_id["t_neg"].discrimination == pytest.approx(-1.0)
    # Numbers are normalized, so the three "differs" messages of t_none would group; here two of them.
    messages = dict(by_id["t_none"].messages)
    assert messages == {"the mean differs from the reference by # (tolerance #)": 2,
                        "density.py could not be imported": 1, classreport.NO_MESSAGE: 1}
    # Per function: density.a has t_all and t_none (nobody passes both); density.b has t_none, t_neg, t_pos.
    assert rep.functions["density.a"] == (0.0, 0.5, 2)
    assert rep.functions["density.b"][0] == 0.0

    classreport.write_csv(rep, folder / "report.csv")
    classreport.write_html(rep, folder / "report.html")
    text = (folder / "report.html").read_text() + (folder / "report.csv").read_text()
    assert "STUDENT_TEXT" not in text and "hidden_inputs" not in text  # `output` is never read
    assert 'src="data:image/png;base64,' in text
    with open(folder / "report.csv") as f:
        table = {row["test"]: row for row in csv.DictReader(f)}
    assert table["t_neg"]["flags"] == "negative discrimination"
    assert table["t_neg"]["discrimination"] == "-1.0000"
    assert table["t_none"]["top_failure_messages"].startswith("2x the mean differs")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Week 1's stub, partial (sampling.py left as its stub) and reference examples and two mutants of
    bits_per_dim, graded once on the tests of categorical_nll, bits_per_dim and sample_categorical."""
    tmp = tmp_path_factory.mktemp("classreport")
    built = {p.name.split("-", 1)[1]: p for p in examples.build(WEEK, tmp / "examples")}
    subs = [built["stub"], built["partial"], built["reference"]]
    mutants = {m.id: m for m in load_mutants(WEEK)}
    for mid in ("bits_per_dim_no_ln2", "bits_per_dim_per_example"):
        subs.append(build_mutant(WEEK, mutants[mid], tmp / "mutants" / mid))
    pool = tmp / "pool"
    batch.grade_many(WEEK, subs, pool, progress=False,
                     only=["density.categorical_nll*", "density.bits_per_dim*",
                           # the three that draw once (not the clause test sample_categorical_twice): the
                           # flags below are derived from these tests' points
                           "sampling.sample_categorical_shape_and_support", "sampling.sample_categorical_chi_square",
                           "sampling.sample_categorical_rejects_no_samples"])
    return tmp, pool


def sub_batch(tmp: Path, pool: Path, label: str, names: list[str]) -> Path:
    folder = tmp / label / WEEK.folder  # the week's folder name: the report finds its test registry
    for name in names:
        shutil.copytree(pool / name, folder / name)
    return folder


@pytest.mark.slow
def test_report_of_graded_examples_and_mutants(graded):
    tmp, pool = graded
    stub, partial, reference = "week1-stub", "week1-partial", "week1-reference"
    mutants = ["bits_per_dim_no_ln2", "bits_per_dim_per_example"]
    nll = [t for t in classreport.build(pool).tests if t.id.startswith("density.categorical_nll")]
    bpd = [t for t in classreport.build(pool).tests if t.id.startswith("density.bits_per_dim")]
    sample = [t for t in classreport.build(pool).tests if t.id.startswith("sampling.sample_categorical")]
    assert nll and bpd and sample

    # Everyone: categorical_nll passed by all but the stub, bits_per_dim by partial and reference,
    # sample_categorical by the reference and the mutants (partial's sampling.py is the stub).
    rep = {t.id: t for t in classreport.build(pool).tests}
    assert all(sum(rep[t.id].passed) == 4 for t in nll)
    assert all(sum(rep[t.id].passed) == 2 for t in bpd)
    assert all(sum(rep[t.id].passed) == 3 for t in sample)
    for t in bpd:  # the stub raises; the mutants return wrong values (numbers shown as #)
        assert rep[t.id].messages["density.bits_per_dim() raised NotImplementedError"] == 1
        assert sum(rep[t.id].messages.values()) == 3

    # partial and the two mutants: categorical_nll everybody passes. bits_per_dim (one test, 0.5 points) is
    # passed only by partial, whose rest is categorical_nll's 2.5 points against the mutants' 2.5 + 3 of
    # sampling: negative discrimination. Each sample_categorical test is passed by the mutants, whose rest
    # (2.5 + at least 1 of the other sampling tests) beats partial's (2.5 + 0.5): positive, no flag.
    assert len(bpd) == 1 and sum(t.max_score for t in sample) == 3 and sum(t.max_score for t in nll) == 2.5
    b = classreport.build(sub_batch(tmp, pool, "b", [partial, *mutants]))
    flags = {t.id: t.flags for t in b.tests}
    assert all(flags[t.id] == ["everybody passes"] for t in nll)
    assert flags[bpd[0].id] == ["negative discrimination"]
    assert all(flags[t.id] == [] for t in sample)
    assert b.functions["density.categorical_nll"][0] == 1.0 and b.functions["density.bits_per_dim"][0] == 1 / 3

    # stub and the two mutants: nobody passes bits_per_dim; the others are passed by the stronger two.
    c = classreport.build(sub_batch(tmp, pool, "c", [stub, *mutants]))
    flags = {t.id: t.flags for t in c.tests}
    assert all(flags[t.id] == ["nobody passes"] for t in bpd)
    assert all(flags[t.id] == [] for t in nll + sample)

    # The command: report.html and report.csv, with the flags printed.
    folder = sub_batch(tmp, pool, "cli", [stub, partial, reference, *mutants])
    done = subprocess.run([sys.executable, "-m", "autograder", "report", str(folder)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (folder / "report.html").exists() and (folder / "report.csv").exists()
    with open(folder / "report.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["test"] for r in rows] == list(rep)
    assert "density.categorical_nll" in (folder / "report.html").read_text()


@pytest.mark.slow
def test_grader_message_holds_no_text_of_the_student_code(tmp_path):
    """results.json's extra_data.message drops what the submission controls: its exception message, the name
    of its own exception class, its import error; `output` still has them where the visibility allows."""
    folder = tmp_path / "leaky"
    folder.mkdir()
    for f in WEEK.graded_files:
        shutil.copy(WEEK.solution_dir / f, folder / f)
    with open(folder / "density.py", "a") as f:
        f.write("\n\nclass SECRET_CLASS_NAME(Exception):\n    pass\n\n\n"
                "def categorical_nll(logits, x):\n    raise SECRET_CLASS_NAME('SECRET_MESSAGE')\n")
    with open(folder / "metrics.py", "a") as f:
        f.write("\nraise ImportError('SECRET_IMPORT_ERROR')\n")
    out = tmp_path / "out"
    batch.grade_many(WEEK, [folder], out, progress=False,
                     only=["density.categorical_nll*", "metrics.frechet_distance_identities"])
    tests = json.loads((out / "leaky" / "results.json").read_text())["tests"]
    outputs = "\n".join(t["output"] for t in tests)
    assert "SECRET_MESSAGE" in outputs and "SECRET_IMPORT_ERROR" in outputs  # the leak was there to drop
    messages = {t["number"]: t["extra_data"]["message"] for t in tests}
    assert not any("SECRET" in m for m in messages.values()), messages
    assert messages["metrics.frechet_distance_identities"] == "metrics.py could not be imported"
    assert all(m == "density.categorical_nll() raised an exception of its own class"
               for tid, m in messages.items() if tid.startswith("density.categorical_nll")), messages
    assert sorted(p.name for p in (out / "leaky" / "code").iterdir()) == sorted(WEEK.graded_files)
