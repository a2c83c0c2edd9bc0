"""Week-3 notebooks: what only week 3 promises (the checks every week shares are in test_notebooks.py).

- The master asks the contract's written question on exact likelihood against iterative sampling, and issue 13's
  two on score matching (NCSN).
- The committed full run also wrote the reference results (`bench/week3_reference.md`), and the issue's keys
  over three seeds (`bench/week3_reference.json`); it fits the budget of 15 minutes on 2 idle cores.
"""
from __future__ import annotations

import json
import re

import nbformat

from tests.notebooks.nbchecks import assert_fits_two_idle_cores, cells_of_kind, stream_text, week_notebooks

FILES = week_notebooks("week3_flows_diffusion")


def test_master_asks_about_exact_likelihood_against_iterative_sampling():
    written = cells_of_kind(nbformat.read(FILES.master, as_version=4), "written")
    # The written question on exact likelihood (flows) against iterative sampling (diffusion), as the
    # contract requires.
    assert any("exact log-likelihood" in c.source and "network calls" in c.source for c in written)
    # Issue 13: diffusion's connection to score matching, and NCSN against DDPM on the digits.
    assert any("eps_to_score" in c.source or "ε-prediction network and a score" in c.source for c in written)
    assert any("annealed Langevin" in c.source and "DDPM-1000" in c.source for c in written)


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
                 "Flow matching digits, Euler-250: Fréchet distance",
                 "Score digits, NCSN (annealed, 1000 calls): Fréchet distance",
                 "Score digits, DDPM's network, annealed Langevin: Fréchet distance"]:
        assert name in rows, f"{name} missing from {FILES.bench.name}"
    # The same numbers as the committed notebook printed (the file and the notebook come from one run).
    printed = stream_text(nbformat.read(FILES.instructor, as_version=4))
    nll = float(rows["Real NVP, two moons: test NLL (nats)"])
    assert f"Real NVP {nll:.3f} nats" in printed, "bench/week3_reference.md is not from the committed run"


ISSUE_KEYS = [f"w3_ring_{m}_{model}" for m in ("off_mode", "logp_gap")
              for model in ("ddpm_linear", "ddpm_cosine", "flow_matching")] + \
             [f"w3_digits_fd_{k}" for k in ("ddpm1000", "ddim1000", "euler50", "ddim50", "floor", "ncsn",
                                            "ddpm_annealed_langevin")]


def test_full_run_recorded_the_issue_keys_over_three_seeds():
    """bench/week3_reference.json: each key of the issue as mean, sd and seeds (>= 3), machine and time, from the
    committed run (its seed 0 is the value the notebook printed)."""
    record = json.loads(FILES.bench.with_suffix(".json").read_text())
    printed = stream_text(nbformat.read(FILES.instructor, as_version=4))
    for key in ISSUE_KEYS:
        row = record[key]
        assert row["seeds"] >= 3 and len(row["values"]) == row["seeds"], key
        assert abs(row["mean"] - sum(row["values"]) / row["seeds"]) < 1e-9, key
        assert row["sd"] > 0 and row["machine"] and row["time"], key
        assert re.search(rf"^{key} +{row['values'][0]:.3f} ", printed, flags=re.M), f"{key}: not the committed run's"
    assert f"`{ISSUE_KEYS[0]}`" in FILES.bench.read_text(), "the .md table of the seeds"


def test_full_run_fits_two_idle_cores():
    assert_fits_two_idle_cores(nbformat.read(FILES.instructor, as_version=4))
