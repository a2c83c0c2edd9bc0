"""The week-1 hidden tests, checked from the outside.

The reference and the alternative correct implementation each keep full marks (one seed; the
20-seed sweep is `python -m autograder seeds 1 --alternative`), and the mutant corpus and test
metadata are well formed (the mutation run itself is `python -m autograder mutants 1`).
"""
from __future__ import annotations

import collections
from pathlib import Path

import pytest
import torch

from autograder import engine
from autograder.mutants import load_mutants
from autograder.weeks import get_week

WEEK = get_week(1)
ALTERNATIVE = WEEK.hidden_dir / "alternative"
GRADED = {
    "density": ["categorical_nll", "fit_categorical", "bits_per_dim", "dequantized_bits_per_dim",
                "discretized_logistic_mixture_log_prob", "gaussian_log_prob", "gaussian_mle", "gmm_em",
                "kl_gaussian", "kl_monte_carlo", "fit_gaussian"],
    "sampling": ["sample_categorical", "rejection_sample", "metropolis_hastings", "langevin",
                 "sample_markov_chain", "top_k_filter", "top_p_filter", "sample_from_logits"],
    "metrics": ["frechet_distance", "inception_score", "precision_recall", "mmd_rbf"],
}
GRADED_NAMES = {f"{module}.{name}" for module, names in GRADED.items() for name in names}


def _failures(result) -> str:
    return "\n".join(f"{t.id}: {t.output[:500]}" for t in result.tests if not t.passed)


@pytest.mark.slow
@pytest.mark.parametrize("label, folder", [("reference", WEEK.solution_dir), ("alternative", ALTERNATIVE)])
def test_correct_implementations_get_full_marks(label: str, folder: Path):
    torch.set_num_threads(1)
    result = engine.grade(WEEK, folder, seed=0)
    assert result.max_score > 0
    assert result.score == result.max_score, f"the {label} lost points:\n{_failures(result)}"


def test_every_graded_function_has_hidden_tests_and_two_mutants():
    tests = engine.week_tests(WEEK)
    tested = {f for t in tests for f in t.functions}
    assert GRADED_NAMES <= tested, f"graded functions without a hidden test: {sorted(GRADED_NAMES - tested)}"
    assert tested <= GRADED_NAMES, f"tests name unknown functions: {sorted(tested - GRADED_NAMES)}"
    mutants = load_mutants(WEEK)
    per_function = collections.Counter(f for m in mutants for f in m.functions)
    thin = sorted(f for f in GRADED_NAMES if per_function[f] < 2)
    assert not thin, f"graded functions with fewer than two mutants: {thin}"
    assert len(mutants) >= 45


def test_mutants_apply_to_the_reference_and_compile():
    for mutant in load_mutants(WEEK):
        source = (WEEK.solution_dir / mutant.file).read_text()
        assert source.count(mutant.find) == 1, f"{mutant.id}: `find` occurs {source.count(mutant.find)} times"
        assert set(mutant.functions) <= GRADED_NAMES, mutant.id
        mutated = source.replace(mutant.find, mutant.replace)
        assert mutated != source, mutant.id
        compile(mutated, f"{mutant.id}:{mutant.file}", "exec")


def test_test_metadata():
    tests = engine.week_tests(WEEK)
    total = sum(t.points for t in tests)
    assert 40 <= total <= 70, f"week 1 is worth {total} points"
    for t in tests:
        assert t.name and t.name != t.func.__name__, f"{t.id} needs a docstring naming what it checks"
        assert t.points > 0 and 0 < t.timeout <= 120, t.id
    visible = [t.id for t in tests if t.visibility == "visible"]
    assert 0 < len(visible) < len(tests) / 2, visible
