"""Week-1 notebooks: what only week 1 promises (the checks every week shares are in test_notebooks.py).

- The master asks the contract's written question on forward against reverse KL, and the derivation of ULA's
  stationary distribution on a Gaussian target (issue 12, part 4).
- Section 2's starts end at different values: the four random starts at the best one, start 4 (two initial means
  in the far cluster C) at a lower local maximum, in the committed full run.
"""
from __future__ import annotations

import re

import nbformat

from tests.notebooks.nbchecks import cells_of_kind, stream_text, week_notebooks

FILES = week_notebooks("week1_mle_sampling")


def test_master_asks_about_forward_and_reverse_kl():
    written = cells_of_kind(nbformat.read(FILES.master, as_version=4), "written")
    # The question on forward and reverse KL is in the notebook, as the contract requires.
    assert any("covers the mass" in c.source and "mode" in c.source for c in written)


def test_master_asks_for_the_derivation_of_ulas_stationary_variance():
    written = cells_of_kind(nbformat.read(FILES.master, as_version=4), "written")
    (derivation,) = [c for c in written if c.metadata["nbgrader"]["grade_id"] == "q7_ula_variance"]
    question = derivation.source.split("### BEGIN MARK SCHEME")[0]
    assert "stationary distribution" in question and "1 - h" not in question, "asked, not given"
    assert r"\sigma^2 / (1 - h/2\sigma^2)" in derivation.source, "the rubric holds the result"


def test_committed_run_shows_em_ending_at_different_values():
    text = stream_text(nbformat.read(FILES.instructor, as_version=4))
    finals = {int(m.group(1)): float(m.group(2))
              for m in re.finditer(r"^start (\d) \(initial means in [ABC]{3}\): final mean log-likelihood (-[0-9.]+)",
                                   text, flags=re.M)}
    assert sorted(finals) == [0, 1, 2, 3, 4]
    best = max(finals.values())
    assert all(abs(finals[i] - best) < 1e-3 for i in range(4)), finals
    assert finals[4] < best - 0.2, f"start 4 ends at a lower local maximum: {finals}"
