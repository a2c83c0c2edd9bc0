"""Week-4 notebooks: what only week 4 promises (the checks every week shares are in test_notebooks.py).

- The master asks the spec's written questions and sets its table beside VEEGAN's.
- bench/week4_table.py runs the notebooks' own cells, and the full run recorded its reference results
  (`bench/week4_reference.md`).
"""
from __future__ import annotations

import importlib.util
import re

import nbformat

from tests.notebooks.nbchecks import cells_of_kind, week_notebooks
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


def test_reference_results_are_recorded_by_the_full_run():
    text = FILES.bench.read_text()
    section = text.split("<!-- notebook: begin -->")[1].split("<!-- notebook: end -->")[0]
    assert re.search(r"## The instructor notebook's run, \d{4}-\d{2}-\d{2}", section), "dated"
    for data in ("ring", "grid"):
        for method in ("GAN", "WGAN-GP", "WGAN-SN", "SN-GAN"):
            assert re.search(rf"\| {data} \| {method} \| \d+ \| [0-9.]+% \| [0-9.]+ \| \d+ \| \d+ s \| \d+ s \|",
                             section), f"the row {data} / {method}"
    assert "Machine:" in section
