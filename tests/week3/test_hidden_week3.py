"""The week-3 hidden tests, checked from the outside.

The reference and the alternative correct implementation (once it exists) each keep full marks
(one seed; the 20-seed sweep is `python -m autograder seeds 3 --alternative`), and the mutant corpus
and test metadata are well formed (the mutation run itself is `python -m autograder mutants 3`).
"""
from __future__ import annotations

import collections
from pathlib import Path

import pytest
import torch

from autograder import engine
from autograder.mutants import load_mutants
from autograder.weeks import get_week

WEEK = get_week(3)
ALTERNATIVE = WEEK.hidden_dir / "alternative"
GRADED = {
    "flows": ["AffineCoupling", "RealNVP", "logit_transform", "dequantize"],
    "diffusion": ["linear_beta_schedule", "cosine_beta_schedule", "DiffusionSchedule", "q_sample", "q_posterior",
                  "predict_x0", "diffusion_loss", "p_sample", "p_sample_loop", "ddim_sample", "flow_matching_loss",
                  "euler_sample"],
}
GRADED_NAMES = {f"{module}.{name}" for module, names in GRADED.items() for name in names}


def _failures(result) -> str:
    return "\n".join(f"{t.id}: {t.output[:500]}" for t in result.tests if not t.passed)


CORRECT = [("reference", WEEK.solution_dir)]
if (ALTERNATIVE / "flows.py").exists() and (ALTERNATIVE / "diffusion.py").exists():
    CORRECT.append(("alternative", ALTERNATIVE))


@pytest.mark.slow
@pytest.mark.parametrize("label, folder", CORRECT)
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
    assert len(mutants) >= 40


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
    assert 50 <= total <= 65, f"week 3 is worth {total} points"
    for t in tests:
        assert t.name and t.name != t.func.__name__, f"{t.id} needs a docstring naming what it checks"
        assert t.points > 0 and 0 < t.timeout <= 120, t.id
    visible = [t.id for t in tests if t.visibility == "visible"]
    assert 0 < len(visible) < len(tests) / 2, visible
