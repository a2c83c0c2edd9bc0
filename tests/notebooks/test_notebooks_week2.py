"""Week-2 notebooks: what only week 2 promises (the checks every week shares are in test_notebooks.py).

- The master asks the contract's written questions and quotes the published results.
- The master's last cell, tagged `instructor`, writes `bench/week2_reference.md` in full mode only.
- The committed full run satisfies the issue (PixelCNN beats MADE, IWAE-1000 beats the ELBO), and
  `bench/week2_reference.md` holds its numbers.
"""
from __future__ import annotations

import re

import nbformat

from tests.notebooks.nbchecks import cells_of_kind, code_cells, stream_text, week_notebooks
from tools import instructor_notebook as inb

FILES = week_notebooks("week2_ar_vae")


def _summary(text: str) -> dict[str, float]:
    """The summary table of the full run: model name -> test NLL in nats per image."""
    table = text.split("published (full MNIST)")[1]
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


def test_committed_full_run_satisfies_the_issue():
    nll = _summary(stream_text(nbformat.read(FILES.instructor, as_version=4)))
    # The issue's two orderings, on the committed run.
    assert nll["PixelCNN"] < nll["MADE (raster order)"], nll
    assert nll["VAE, -IWAE (k = 1000)"] < nll["VAE, -ELBO"], nll
    assert {f"VAE, -IWAE (k = {k})" for k in (1, 10, 100, 1000)} <= set(nll)


def test_bench_reference_results_match_the_committed_run():
    text = FILES.bench.read_text()
    assert re.search(r"on \d{4}-\d{2}-\d{2};", text), "the results are dated"
    assert "cores visible" in text and "torch" in text, "the machine is named"
    nb = nbformat.read(FILES.instructor, as_version=4)
    for name, value in _summary(stream_text(nb)).items():
        assert f"| {name} | {value:.2f} |" in text, f"{name}: {value:.2f} nats missing from {FILES.bench.name}"
