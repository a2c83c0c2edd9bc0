"""Week-2 notebooks: what only week 2 promises (the checks every week shares are in test_notebooks.py).

- The master asks the contract's written questions and quotes the published results.
- The master's last cell, tagged `instructor`, writes `bench/week2_reference.md` in full mode only.
- The committed full run reports every image model over seeds 0, 1 and 2 (issue 11: mean ± sd over at least
  3 seeds), its seed 0 being the kernel's own run; `bench/week2_reference.md` and `.json` hold those numbers,
  with the machine and the time; it fits the budget of 15 minutes on 2 idle cores.
"""
from __future__ import annotations

import json
import re

import nbformat

from tests.notebooks.nbchecks import assert_fits_two_idle_cores, cells_of_kind, code_cells, stream_text, week_notebooks
from tools import instructor_notebook as inb

FILES = week_notebooks("week2_ar_vae")


def _summary(text: str) -> dict[str, float]:
    """The summary table of the full run (seed 0): model name -> test NLL in nats per image."""
    table = text.split("published (full MNIST)")[1].split("independent pixels")[0]
    return {m.group(1).strip(): float(m.group(2))
            for m in re.finditer(r"^(MADE[^\n]*?|PixelCNN|VAE, [^\n]*?)\s+([0-9.]+)\s+[0-9.]+\s+[0-9.]+", table,
                                 flags=re.M)}


def test_master_asks_the_contracts_questions():
    nb = nbformat.read(FILES.master, as_version=4)
    written = cells_of_kind(nb, "written")
    # The written questions the contract asks for: slow sampling against fast likelihood, and collapse.
    assert any("forward pass" in c.source and "sampl" in c.source for c in written)
    assert any("posterior collapse" in c.source.lower() for c in written)
    assert any("88.04" in c.source and "81.30" in c.source and "82.9" in c.source for c in nb.cells)


def test_instructor_last_cell_writes_the_reference_results_in_full_mode_only():
    # The master's last cell, for the instructor only (test_notebooks.py checks that the instructor notebook
    # is generated from the master).
    last = code_cells(nbformat.read(FILES.master, as_version=4))[-1]
    assert inb.INSTRUCTOR_TAG in inb.tags(last)
    assert "if not FAST:" in last.source and "week2_reference.md" in last.source


MODEL_ROW = r"(MADE \([a-z]+ order\)|MADE \(\d+-order mixture\)|PixelCNN|VAE, -ELBO|VAE, -IWAE \(k = \d+\))"
MODELS = ["MADE (raster order)", "MADE (random order)", "MADE (4-order mixture)", "PixelCNN", "VAE, -ELBO",
          *[f"VAE, -IWAE (k = {k})" for k in (1, 10, 100, 1000)]]


def _seed_table(text: str) -> dict[str, list[float]]:
    """The seed table of the full run: model name -> [seed 0, seed 1, seed 2, mean, sd, bits/dim]."""
    table = text.split("test NLL (nats/image)")[1]
    return {m.group(1): [float(v) for v in m.group(2).split()]
            for m in re.finditer(rf"^{MODEL_ROW} +((?:[0-9.]+ +){{5}}[0-9.]+)$", table, flags=re.M)}


def test_committed_full_run_reports_every_model_over_three_seeds():
    printed = stream_text(nbformat.read(FILES.instructor, as_version=4))
    nll, seeds = _summary(printed), _seed_table(printed)
    assert list(seeds) == MODELS and set(nll) == set(MODELS), (list(seeds), list(nll))
    for name, (s0, s1, s2, mean, sd, _) in seeds.items():
        assert abs(s0 - nll[name]) <= 0.006, f"{name}: seed 0 is the kernel's own run ({nll[name]:.2f})"
        assert abs(mean - (s0 + s1 + s2) / 3) <= 0.01 and sd > 0, name
    # IWAE-1000 is a tighter bound than the ELBO (Question 4), by several of its standard errors at 1,000 images.
    assert seeds["VAE, -IWAE (k = 1000)"][3] < seeds["VAE, -ELBO"][3], seeds
    for label in ["random-order MADE minus raster-order MADE", "PixelCNN minus random-order MADE",
                  "VAE: -IWAE-1000 minus -ELBO"]:
        assert re.search(rf"^{re.escape(label)}: [-+][0-9.]+ ± [0-9.]+ nats .* lower in [0-3] of 3 seeds$", printed,
                         flags=re.M), f"the comparison {label!r} is not printed"


def test_bench_reference_results_match_the_committed_run():
    text = FILES.bench.read_text()
    assert re.search(r"on \d{4}-\d{2}-\d{2}; the run finished at \d{2}:\d{2} UTC", text), "the results are dated"
    assert "cores visible" in text and "torch" in text, "the machine is named"
    seeds = _seed_table(stream_text(nbformat.read(FILES.instructor, as_version=4)))
    for name, (s0, s1, s2, mean, sd, _) in seeds.items():
        row = f"| {name} | {mean:.2f} ± {sd:.2f} | {s0:.2f}, {s1:.2f}, {s2:.2f} |"
        assert row in text, f"{row} missing from {FILES.bench.name}"


ISSUE_KEYS = {"w2_made_nll": 105.0, "w2_pixelcnn_nll": 92.0, "w2_vae_iwae1000_nll": 105.0}
NOTEBOOK_KEYS = {"w2_made_nll_notebook": "MADE (random order)", "w2_made_raster_nll_notebook": "MADE (raster order)",
                 "w2_made_mixture_nll_notebook": "MADE (4-order mixture)",
                 "w2_pixelcnn_nll_notebook": "PixelCNN", "w2_vae_elbo_nll_notebook": "VAE, -ELBO",
                 "w2_vae_iwae1000_nll_notebook": "VAE, -IWAE (k = 1000)"}


def test_full_run_recorded_the_issue_keys_over_three_seeds():
    """bench/week2_reference.json: the notebook's keys as mean, sd and seeds (>= 3), machine and time, from the
    committed run; issue 11's keys hold the best of them and of the 3-seed experiments, against unchanged targets."""
    record = json.loads(FILES.bench.with_suffix(".json").read_text())
    seeds = _seed_table(stream_text(nbformat.read(FILES.instructor, as_version=4)))
    for key, name in NOTEBOOK_KEYS.items():
        row = record[key]
        assert row["seeds"] >= 3 and len(row["values"]) == row["seeds"] == len(row["seed_ids"]), key
        assert abs(row["mean"] - sum(row["values"]) / row["seeds"]) < 1e-9 and row["sd"] > 0, key
        assert row["machine"] and row["time"] and row["source"].startswith("notebooks/week2_ar_vae.ipynb"), key
        assert [f"{v:.2f}" for v in row["values"]] == [f"{v:.2f}" for v in seeds[name][:3]], f"{key}: not the committed run's"
    for key, target in ISSUE_KEYS.items():
        row = record[key]
        assert row["seeds"] >= 3 and row["sd"] is not None and row["target"] == target, key
        assert row["target_met"] == (row["mean"] <= target), key
        assert row["mean"] <= record[f"{key}_notebook"]["mean"], f"{key}: the best measured, at most the notebook's"
        assert f"`{key}`" in FILES.bench.read_text(), key
    # The MADE key is issue 11's best MADE: at most the notebook's mixture of orderings as well.
    assert record["w2_made_nll"]["mean"] <= record["w2_made_mixture_nll_notebook"]["mean"]


def test_full_run_fits_two_idle_cores():
    assert_fits_two_idle_cores(nbformat.read(FILES.instructor, as_version=4))
