"""Week-3 notebooks: what only week 3 promises (the checks every week shares are in test_notebooks.py).

- The master asks the contract's written question on exact likelihood against iterative sampling.
- The committed full run also wrote the reference results (`bench/week3_reference.md`).
"""
from __future__ import annotations

import re

import nbformat

from tests.notebooks.nbchecks import cells_of_kind, stream_text, week_notebooks

FILES = week_notebooks("week3_flows_diffusion")


def test_master_asks_about_exact_likelihood_against_iterative_sampling():
    written = cells_of_kind(nbformat.read(FILES.master, as_version=4), "written")
    # The written question on exact likelihood (flows) against iterative sampling (diffusion), as the
    # contract requires.
    assert any("exact log-likelihood" in c.source and "network calls" in c.source for c in written)


def test_full_run_recorded_the_reference_results():
    """The issue's reference results, dated, with wall times and the machine, from the committed full run."""
    text = FILES.bench.read_text()
    assert re.match(r"# Week 3 reference results \(\d{4}-\d{2}-\d{2}\)", text)
    assert "CPUs" in text and "ran in" in text
    rows = dict(re.findall(r"^\| (.+?) \| ([0-9.]+) \| [0-9.]+ \|$", text, flags=re.M))
    for name in ["Real NVP, two moons: test NLL (nats)", "Real NVP, 8x8 digits: test bits/dim",
                 "DDPM digits, DDPM-1000 (ancestral): Fréchet distance", "DDPM digits, DDIM-10: Fréchet distance",
                 "DDPM digits, DDIM-50: Fréchet distance", "DDPM digits, DDIM-250: Fréchet distance",
                 "Flow matching digits, Euler-10: Fréchet distance",
                 "Flow matching digits, Euler-50: Fréchet distance",
                 "Flow matching digits, Euler-250: Fréchet distance"]:
        assert name in rows, f"{name} missing from {FILES.bench.name}"
    # The same numbers as the committed notebook printed (the file and the notebook come from one run).
    printed = stream_text(nbformat.read(FILES.instructor, as_version=4))
    nll = float(rows["Real NVP, two moons: test NLL (nats)"])
    assert f"Real NVP {nll:.3f} nats" in printed, "bench/week3_reference.md is not from the committed run"
