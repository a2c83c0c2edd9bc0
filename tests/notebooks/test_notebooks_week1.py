"""Week-1 notebooks: what only week 1 promises (the checks every week shares are in test_notebooks.py).

- The master asks the contract's written question on forward against reverse KL.
"""
from __future__ import annotations

import nbformat

from tests.notebooks.nbchecks import cells_of_kind, week_notebooks

FILES = week_notebooks("week1_mle_sampling")


def test_master_asks_about_forward_and_reverse_kl():
    written = cells_of_kind(nbformat.read(FILES.master, as_version=4), "written")
    # The question on forward and reverse KL is in the notebook, as the contract requires.
    assert any("covers the mass" in c.source and "mode" in c.source for c in written)
