"""Week-4 notebooks: what only week 4 promises (the checks every week shares are in test_notebooks.py).

- The master asks the spec's written questions and sets its table beside VEEGAN's.
- bench/week4_table.py runs the notebooks' own cells, and the full run recorded its reference results
  (`bench/week4_reference.md` and `.json`): every (set, method) of section 1 and the MNIST DCGAN over seeds 0, 1
  and 2 (seed 0 in the kernel, seeds 1 and 2 in forked processes), the values per seed and their mean ± sd,
  the same numbers the notebook printed; and the run fits 15 minutes on 2 idle cores.
"""
from __future__ import annotations

import importlib.util
import json
import math
import re
import statistics

import nbformat

from tests.notebooks.nbchecks import assert_fits_two_idle_cores, cells_of_kind, stream_text, week_notebooks
from tools import notebooks as tn

FILES = week_notebooks("week4_wgan_sn")


def test_master_asks_the_specs_questions():
    nb = nbformat.read(FILES.master, as_version=4)
    written = cells_of_kind(nb, "written")
    # The spec's written questions: why a Lipschitz critic makes the Wasserstein estimate meaningful, and SN
    # against GP; the table beside VEEGAN's.
    assert any("Lipschitz" in c.source and "Wasserstein" in c.source for c in written)
    assert any("spectral normalization" in c.source and "gradient penalty" in c.source for c in written)
    assert "VEEGAN" in "\n".join(c.source for c in nb.cells)


def test_the_seed_table_runs_the_notebooks_own_recipes():
    # bench/week4_table.py executes these instructor cells by id, so the 5-seed table uses the same code.
    spec = importlib.util.spec_from_file_location("week4_table", tn.REPO_ROOT / "bench" / "week4_table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    ids = {c.get("id") for c in nbformat.read(FILES.instructor, as_version=4).cells}
    master_ids = {c.get("id") for c in nbformat.read(FILES.master, as_version=4).cells}
    assert set(table.CELL_IDS) <= ids and set(table.CELL_IDS) <= master_ids


SEEDS = 3
METHODS = ("GAN", "WGAN-GP", "WGAN-SN", "SN-GAN")


def _section() -> str:
    text = FILES.bench.read_text()
    return text.split("<!-- notebook: begin -->")[1].split("<!-- notebook: end -->")[0]


def _assert_mean_sd(values: list[float], mean: float, sd: float, digits_values: int, digits_printed: int, what: str):
    """mean and sd, printed to `digits_printed` decimals, are those of `values`, printed to `digits_values`: each
    value is off by at most half a unit of its last digit (u), which moves the mean by at most u and the sample sd
    by at most u sqrt(n / (n - 1)) (the sd is 1 / sqrt(n - 1)-Lipschitz in the Euclidean norm); the printed mean
    and sd add half a unit of theirs."""
    u, p, n = 0.5 * 10.0 ** -digits_values, 0.5 * 10.0 ** -digits_printed, len(values)
    assert abs(statistics.mean(values) - mean) <= u + p + 1e-9, f"{what}: mean {mean} of {values}"
    assert abs(statistics.stdev(values) - sd) <= u * math.sqrt(n / (n - 1)) + p + 1e-9, f"{what}: sd {sd} of {values}"


def test_reference_results_are_recorded_by_the_full_run():
    section = _section()
    assert re.search(r"## The instructor notebook's run, \d{4}-\d{2}-\d{2} \(seeds 0, 1, 2\)", section), "dated, 3 seeds"
    assert "Machine:" in section and re.search(r"finished \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", section), "machine, time"
    num = r"([0-9.]+)"
    for data in ("ring", "grid"):
        for method in METHODS:
            row = re.search(rf"^\| {data} \| {method} \| ([0-9 ]+) \| {num} ± {num} \| ([0-9. ]+) \| {num}% ± {num} \| "
                            rf"([-0-9. ]+) \| (-?[0-9.]+) ± {num} \| \d+ \| ([0-9 ]+) \|$", section, flags=re.M)
            assert row, f"the row {data} / {method}"
            modes, hq, kl, cpu = ([float(v) for v in row.group(i).split()] for i in (1, 4, 7, 10))
            assert len(modes) == len(hq) == len(kl) == len(cpu) == SEEDS, f"{data} / {method}: one value per seed"
            assert all(v == int(v) for v in modes), "modes are counts"
            _assert_mean_sd(modes, float(row.group(2)), float(row.group(3)), 0, 1, f"{data} / {method} modes")
            _assert_mean_sd(hq, float(row.group(5)), float(row.group(6)), 1, 1, f"{data} / {method} high quality")
            _assert_mean_sd(kl, float(row.group(8)), float(row.group(9)), 3, 3, f"{data} / {method} mode_kl")
    for generator in ("the average of the weights", "the last generator"):
        row = re.search(rf"^\| {generator}[^|]* \| ([0-9., ]+) \| {num} ± {num} \|", section, flags=re.M)
        assert row, f"the MNIST row of {generator}"
        fds = [float(v) for v in row.group(1).split(", ")]
        assert len(fds) == SEEDS, f"MNIST, {generator}: one FD per seed"
        _assert_mean_sd(fds, float(row.group(2)), float(row.group(3)), 2, 2, f"MNIST, {generator}")


def test_the_recorded_tables_are_what_the_committed_run_printed():
    # The notebook prints its 3-seed table, and writes the same lines to its section of bench/week4_reference.md.
    printed, section = stream_text(nbformat.read(FILES.instructor, as_version=4)), _section()
    table = printed.split("Seeds [0, 1, 2], mean ± sd")[1]       # section 1's seed-0 table is printed before it
    rows = [line for line in table.splitlines() if re.match(r"\| (ring|grid) \| ", line)]
    assert len(rows) == 2 * (len(METHODS) + 3), "VEEGAN's three rows and ours, for each set"
    assert all(row in section.splitlines() for row in rows), "the printed table is the recorded one"
    # The MNIST seed table: the FDs per seed and their mean and sd, as recorded (to 2 decimals).
    for label, generator in (("FD of the average", "the average of the weights"), ("FD of the last generator", "the last generator")):
        values = re.search(rf"^{label}[^\n]*?((?:\s+[0-9.]+){{{SEEDS + 2}}})$", printed, flags=re.M).group(1).split()
        row = re.search(rf"^\| {generator}[^|]* \| ([0-9., ]+) \| ([0-9.]+) ± ([0-9.]+) \|", section, flags=re.M)
        assert values == [*row.group(1).split(", "), row.group(2), row.group(3)], f"MNIST, {generator}"


def test_reference_json_holds_the_notebooks_seeds():
    record = json.loads(FILES.bench.with_suffix(".json").read_text())
    source = "notebooks/week4_wgan_sn.ipynb"
    for data in ("ring", "grid"):
        for method in METHODS:
            for metric in ("modes", "hq", "mode_kl"):
                row = record[f"w4_{data}_{metric}_{method.lower().replace('-', '_')}_notebook"]
                assert row["seeds"] == SEEDS == len(row["values"]) and row["seed_ids"] == [0, 1, 2]
                assert math.isclose(row["mean"], statistics.mean(row["values"]), rel_tol=1e-9, abs_tol=1e-12)
                assert math.isclose(row["sd"], statistics.stdev(row["values"]), rel_tol=1e-9, abs_tol=1e-12)
                assert row["source"].startswith(source) and row["machine"] and row["time"]
    mnist = record["w4_mnist_fd"]
    assert mnist["seeds"] == SEEDS == len(mnist["values"]) and mnist["source"].startswith(source)
    assert math.isclose(mnist["mean"], statistics.mean(mnist["values"]), rel_tol=1e-9)
    assert math.isclose(mnist["sd"], statistics.stdev(mnist["values"]), rel_tol=1e-9)
    assert mnist["target_met"] == (mnist["mean"] <= mnist["target"])
    assert record["w4_notebook_seconds"]["source"] == mnist["source"], "the same run"


def test_full_run_fits_two_idle_cores():
    assert_fits_two_idle_cores(nbformat.read(FILES.instructor, as_version=4))
