"""Week-4 notebooks: what only week 4 promises (the checks every week shares are in test_notebooks.py).

- The master asks the spec's written questions and sets its table beside VEEGAN's.
- bench/week4_table.py runs the notebooks' own cells, and the full run recorded its reference results
  (`bench/week4_reference.md` and `.json`): every (set, method) of section 1 and the MNIST DCGAN over seeds 0, 1
  and 2 (seed 0 in the kernel, seeds 1 and 2 in forked processes), the values per seed and their mean ± sd,
  the same numbers the notebook printed; and the run fits 15 minutes on 2 idle cores.
- Section 2 (the critic's Lipschitz constant) over seeds 0, 1 and 2: each number per seed and its mean ± sd, printed
  and recorded, and what Question 2's model answer says of them holds on every seed.
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


# Section 2 (the critic's Lipschitz constant): the instructor cell prints one row per (quantity, critic), the values
# of seeds 0, 1 and 2 and their mean ± sd, each row to the same decimals; the record cell writes the same rows.
LIPSCHITZ_ROW = re.compile(r"^\| ([a-z()%0-9 ]+?) \| (with|without) SN \| (-?[0-9.]+(?: -?[0-9.]+)*) \| (-?[0-9.]+) ± ([0-9.]+) \|$",
                           flags=re.M)
LIPSCHITZ_QUANTITIES = ("product of the layer norms at the end", "smallest layer norm at the end",
                        "largest layer norm at the end", "largest abs(gap) over the first 25 steps",
                        "largest abs(gap) over all 300 steps", "steps with a negative gap (%)", "last gap")


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _lipschitz_rows(text: str, decimals: dict | None = None) -> dict[tuple[str, bool], list[float]]:
    """{(quantity, with SN): values per seed} of the section-2 rows in `text`, each checked against its mean ± sd;
    `decimals`, if given, gets each row's number of decimals."""
    rows = {}
    for quantity, critic, values, mean, sd in LIPSCHITZ_ROW.findall(text):
        assert {_decimals(v) for v in values.split()} == {_decimals(mean), _decimals(sd)}, f"{quantity}: one precision"
        per_seed = [float(v) for v in values.split()]
        assert len(per_seed) == SEEDS, f"{quantity}, {critic} SN: one value per seed"
        d = _decimals(mean)
        _assert_mean_sd(per_seed, float(mean), float(sd), d, d, f"{quantity}, {critic} SN")
        rows[quantity, critic == "with"] = per_seed
        if decimals is not None:
            decimals[quantity, critic == "with"] = d
    return rows


def test_section_2_runs_three_seeds_and_supports_the_model_answer():
    printed = stream_text(nbformat.read(FILES.instructor, as_version=4))
    table = printed.split("Section 2 over seeds [0, 1, 2], mean ± sd")[1].split("\n\n")[0]
    rows = _lipschitz_rows(table)
    assert set(rows) == {(q, sn) for q in LIPSCHITZ_QUANTITIES for sn in (True, False)}, "every quantity, both critics"
    assert all(line in _section().splitlines() for line in table.splitlines() if LIPSCHITZ_ROW.match(line)), \
        "the printed rows are the recorded ones"
    # Seed 0 is the kernel's run: the table's first column is what the line above the figure printed. That line
    # prints 3 significant digits (.3g): half a unit of the third digit is at most 5e-3 of the value; 6e-3 adds the
    # table's own rounding (four significant digits, at most 5e-4 of the value).
    for critic, spectral in (("with", True), ("without", False)):
        line = re.search(rf"^{critic} SN: layer norms at the end .*, product ([0-9.e+]+);.* last (-?[0-9.e+]+)$",
                         printed, flags=re.M)
        assert math.isclose(float(line.group(1)), rows["product of the layer norms at the end", spectral][0], rel_tol=6e-3)
        assert math.isclose(float(line.group(2)), rows["last gap", spectral][0], rel_tol=6e-3)
    on = {q: rows[q, True] for q in LIPSCHITZ_QUANTITIES}
    off = {q: rows[q, False] for q in LIPSCHITZ_QUANTITIES}
    first, largest = "largest abs(gap) over the first 25 steps", "largest abs(gap) over all 300 steps"
    # What Question 2's model answer says, on every seed: SN keeps each layer near 1 and the product near 1; without
    # it the layers and their product grow by orders of magnitude.
    assert all(1 - 1e-4 < v < 1.1 for v in on["smallest layer norm at the end"] + on["largest layer norm at the end"])
    assert all(v < 1.0645 for v in on["largest layer norm at the end"]), "the answer's 'at most 1.064 per layer'"
    assert all(v < 1.2 for v in on["product of the layer norms at the end"])
    assert all(v > 9 for v in off["largest layer norm at the end"]) and all(v > 500 for v in off["product of the layer norms at the end"])
    # The gap, as the answer quotes it: with SN below 0.7 over the run and below 0.3 over the first 25 steps; without,
    # above 100, more than 40 times its size over the first 25 steps.
    assert all(v < 0.7 for v in on[largest]) and all(v < 0.3 for v in on[first])
    assert all(v > 100 for v in off[largest]) and all(b > 40 * a for a, b in zip(off[first], off[largest]))
    # Its sign: without SN negative at some steps and at the end on all three seeds; with SN, also negative at some
    # steps, but positive at the end.
    assert all(v > 0 for v in off["steps with a negative gap (%)"]) and all(v < 0 for v in off["last gap"])
    assert all(v > 0 for v in on["steps with a negative gap (%)"]) and all(v > 0 for v in on["last gap"])


def test_reference_json_holds_section_2s_seeds():
    record = json.loads(FILES.bench.with_suffix(".json").read_text())
    keys = [k for k in record if k.startswith("w4_lipschitz_")]
    assert len(keys) == 2 * len(LIPSCHITZ_QUANTITIES), keys
    decimals = {}
    rows = _lipschitz_rows(_section(), decimals)
    for key in keys:
        row = record[key]
        assert row["seeds"] == SEEDS == len(row["values"]) and row["seed_ids"] == [0, 1, 2] and row["steps"] == 300
        assert math.isclose(row["mean"], statistics.mean(row["values"]), rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(row["sd"], statistics.stdev(row["values"]), rel_tol=1e-9, abs_tol=1e-12)
        assert row["source"].startswith("notebooks/week4_wgan_sn.ipynb") and row["machine"] and row["time"]
        which = row["quantity"], not key.endswith("_no_sn_notebook")
        # The markdown rounds each value to its row's decimals: half a unit of the last digit, and float slack.
        assert all(abs(a - b) <= 0.5 * 10.0 ** -decimals[which] + 1e-9 for a, b in zip(rows[which], row["values"])), key
