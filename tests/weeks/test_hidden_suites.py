"""Every week's hidden tests, checked from the outside (one parametrized module for all weeks).

For each week of `autograder.weeks.available_weeks()`: the reference and the alternative correct
implementation each keep full marks (one seed; the 20-seed sweep is `python -m autograder seeds N
--alternative`), the hidden-test metadata is sane, and the mutant corpus is well formed (the mutation
run itself is `python -m autograder mutants N`). What legitimately differs between weeks (the graded
names, the points range, timeouts above the default limit, required mutants) is in EXPECTED below.

Grading is the slow part: each (week, implementation) is graded once, by the module-scoped fixture
`graded`, and every check on a grading result reads that one result.
"""
from __future__ import annotations

import collections
import dataclasses
import inspect
import io
import tokenize

import pytest
import torch

from autograder import engine, registry
from autograder.mutants import build_mutant, load_mutants, locate
from autograder.weeks import Week, available_weeks
from tests.weeks.helpers import alternative_dir, alternative_modules, reference_modules

WEEKS = available_weeks()
WEEK_IDS = [w.folder for w in WEEKS]
DEFAULT_TIMEOUT_LIMIT = 120  # seconds: a hidden test's own limit, unless EXPECTED allows more


@dataclasses.dataclass(frozen=True)
class Expected:
    """What one week's hidden suite must look like."""

    graded: dict[str, tuple[str, ...]]  # graded file's module -> graded functions, classes, "Class.method"
    points: tuple[float, float]  # the week's total points lie in [low, high]
    min_mutants: int = 0  # besides two per graded name
    required_mutants: frozenset[str] = frozenset()  # mutant ids an issue asked the corpus to hold
    timeout_limits: dict[str, float] = dataclasses.field(default_factory=dict)  # test id -> its own limit
    training_tests: int | None = None  # how many tests train a model (ids containing "learns")
    ungraded: frozenset[str] = frozenset()  # public names of the reference that need no test of their own

    @property
    def graded_names(self) -> set[str]:
        return {f"{module}.{name}" for module, names in self.graded.items() for name in names}


EXPECTED = {
    1: Expected(
        graded={
            "density": ("categorical_nll", "fit_categorical", "bits_per_dim", "dequantized_bits_per_dim",
                        "discretized_logistic_mixture_log_prob", "gaussian_log_prob", "gaussian_mle", "gmm_em",
                        "kl_gaussian", "kl_monte_carlo", "fit_gaussian"),
            "sampling": ("sample_categorical", "rejection_sample", "metropolis_hastings", "langevin",
                         "sample_markov_chain", "top_k_filter", "top_p_filter", "sample_from_logits"),
            "metrics": ("frechet_distance", "inception_score", "precision_recall", "mmd_rbf"),
        },
        points=(40, 85), min_mutants=45,  # 85: the clause tests of issue 18
        ungraded=frozenset({"density.GMMResult"}),  # gmm_em's return type, tested through gmm_em
    ),
    # `made.MADE` is the model itself (__init__ and forward); likewise pixelcnn.PixelCNN and vae.VAE
    # (__init__, encode, decode). The other methods are graded on their own.
    2: Expected(
        graded={
            "made": ("MaskedLinear", "made_masks", "MADE", "MADE.log_prob", "MADE.sample"),
            "pixelcnn": ("MaskedConv2d", "PixelCNN", "PixelCNN.log_prob", "PixelCNN.sample"),
            "vae": ("reparameterize", "kl_standard_normal", "bernoulli_log_likelihood", "VAE", "VAE.elbo",
                    "VAE.iwae_bound", "VAE.sample"),
            "transformer": ("CausalSelfAttention", "Block", "CharTransformer", "CharTransformer.loss",
                            "CharTransformer.generate"),
        },
        points=(80, 140), min_mutants=50,  # with the transformer and the clause tests of issue 18
        required_mutants=frozenset({"conv_type_a_sees_centre", "pixelcnn_first_layer_b", "made_sample_raster_order",
                                    "reparam_torch_normal", "kl_wrong_sign", "iwae_outside_log_space"}),
        training_tests=4,  # one short training run per model (MADE, PixelCNN, VAE, the transformer)
        ungraded=frozenset({"transformer.filter_logits"}),  # the reference's helper, not in the contract: graded through generate
    ),
    3: Expected(
        graded={
            "flows": ("AffineCoupling", "RealNVP", "logit_transform", "dequantize"),
            "diffusion": ("linear_beta_schedule", "cosine_beta_schedule", "DiffusionSchedule", "q_sample",
                          "q_posterior", "predict_x0", "diffusion_loss", "p_sample", "p_sample_loop", "ddim_sample",
                          "flow_matching_loss", "euler_sample"),
            "score": ("geometric_sigmas", "dsm_loss", "annealed_langevin", "eps_to_score"),
        },
        points=(70, 110), min_mutants=40,  # 92: the clause tests of issue 18 and score.py (issue 13)
    ),
    4: Expected(
        graded={"gan": ("power_iteration", "SpectralNorm", "spectral_norm", "wgan_critic_loss", "wgan_generator_loss",
                        "hinge_critic_loss", "hinge_generator_loss", "gradient_penalty", "Generator", "Critic",
                        "mode_coverage", "train_wgan")},
        points=(50, 85),  # 85: the clause tests of issue 18
        required_mutants=frozenset({"power_iteration_no_normalize", "spectral_sigma_grad_through_u",
                                    "spectral_conv_not_reshaped", "wgan_critic_sign", "penalty_no_create_graph",
                                    "penalty_norm_squared", "penalty_one_eps", "train_generator_every_critic_step"}),
        # the ring training run: ~15 s per run (one in the common case), 240 s per run for loaded CI machines
        timeout_limits={"gan.train_wgan_covers_the_ring": 240},
    ),
}


IMPLEMENTATIONS = ("reference", "alternative")
each_week = pytest.mark.parametrize("week", WEEKS, ids=WEEK_IDS)
each_week_and_implementation = pytest.mark.parametrize(
    "week, label", [(w, label) for w in WEEKS for label in IMPLEMENTATIONS],
    ids=[f"{w.folder}-{label}" for w in WEEKS for label in IMPLEMENTATIONS])


def implementation_dir(week: Week, label: str):
    return week.solution_dir if label == "reference" else alternative_dir(week)


@pytest.fixture(scope="module")
def graded():
    """`graded(week, label)`: the engine's result for the reference or the alternative at seed 0, graded at
    most once per (week, label) in the whole suite."""
    results = {}

    def grade(week: Week, label: str) -> engine.SubmissionResult:
        if (week.number, label) not in results:
            folder = implementation_dir(week, label)
            missing = [f for f in week.graded_files if not (folder / f).exists()]
            assert not missing, f"the week-{week.number} {label} lacks {missing}"
            torch.set_num_threads(1)
            results[week.number, label] = engine.grade(week, folder, seed=0)
        return results[week.number, label]

    return grade


def _failures(result) -> str:
    return "\n".join(f"{t.id}: {t.output[:500]}" for t in result.tests if not t.passed)


def test_every_available_week_has_its_expectations():
    assert {w.number for w in WEEKS} == set(EXPECTED), "add the new week's row to EXPECTED"


@pytest.mark.slow
@each_week_and_implementation
def test_correct_implementations_get_full_marks(week: Week, label: str, graded):
    result = graded(week, label)
    assert result.max_score > 0
    assert result.score == result.max_score, f"the {label} lost points:\n{_failures(result)}"
    # every hidden test ran once and counted: the result's columns are the suite's tests
    tests = engine.week_tests(week)
    assert sorted(t.id for t in result.tests) == sorted(t.id for t in tests)
    assert result.max_score == sum(t.points for t in tests)


@each_week
def test_every_graded_name_exists_in_the_reference_and_the_alternative(week: Week):
    expected = EXPECTED[week.number]
    assert set(expected.graded) == set(week.modules), "EXPECTED names other modules than the week's graded files"
    reference = reference_modules(week)
    for label, modules in [("reference", reference), ("alternative", alternative_modules(week))]:
        for name in sorted(expected.graded_names):
            module_name, *path = name.split(".")
            obj = getattr(modules, module_name)
            for part in path:
                obj = getattr(obj, part, None)
                assert obj is not None, f"the {label} has no {name}"
            assert callable(obj), f"the {label}'s {name} is not a function, class or method"
    # and EXPECTED is the whole contract: every public function or class the reference defines is graded
    public = {f"{module_name}.{name}" for module_name in week.modules
              for name, obj in vars(getattr(reference, module_name)).items()
              if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
              and obj.__module__ == getattr(reference, module_name).__name__}
    assert not public - expected.graded_names - expected.ungraded, "public names missing from EXPECTED"


@each_week
def test_test_metadata(week: Week):
    expected = EXPECTED[week.number]
    tests = engine.week_tests(week)
    ids = [t.id for t in tests]
    assert len(ids) == len(set(ids)), [i for i, c in collections.Counter(ids).items() if c > 1]
    total = sum(t.points for t in tests)
    low, high = expected.points
    assert low <= total <= high, f"week {week.number} is worth {total} points"
    for t in tests:
        assert t.name and t.name != t.func.__name__, f"{t.id} needs a docstring naming what it checks"
        assert t.visibility in registry.VISIBILITIES, t.id
        limit = expected.timeout_limits.get(t.id, DEFAULT_TIMEOUT_LIMIT)
        attempts = getattr(t.func, "attempts", 1)  # a training test: up to `attempts` runs, each within the limit
        assert t.points > 0 and 0 < t.timeout <= limit * attempts, t.id
        assert t.functions, f"{t.id} names no graded function"
    assert set(expected.timeout_limits) <= set(ids), "a timeout exception names no test"
    visible = [t.id for t in tests if t.visibility == "visible"]
    assert 0 < len(visible) < len(tests) / 2, visible
    if expected.training_tests is not None:
        training = [t.id for t in tests if "learns" in t.id]
        assert len(training) == expected.training_tests, training


@each_week
def test_every_graded_function_has_hidden_tests_and_two_mutants(week: Week):
    expected = EXPECTED[week.number]
    graded_names = expected.graded_names
    tested = {f for t in engine.week_tests(week) for f in t.functions}
    assert graded_names <= tested, f"graded functions without a hidden test: {sorted(graded_names - tested)}"
    assert tested <= graded_names, f"tests name unknown functions: {sorted(tested - graded_names)}"
    mutants = load_mutants(week)
    per_function = collections.Counter(f for m in mutants for f in m.functions)
    thin = sorted(f for f in graded_names if per_function[f] < 2)
    assert not thin, f"graded functions with fewer than two mutants: {thin}"
    assert len(mutants) >= expected.min_mutants
    assert expected.required_mutants <= {m.id for m in mutants}, sorted(expected.required_mutants
                                                                        - {m.id for m in mutants})


@each_week
def test_mutants_apply_to_the_reference_and_compile(week: Week):
    graded_names = EXPECTED[week.number].graded_names
    mutants = load_mutants(week)
    ids = [m.id for m in mutants]
    assert len(ids) == len(set(ids)), [i for i, c in collections.Counter(ids).items() if c > 1]
    for mutant in mutants:
        assert mutant.file in week.graded_files, f"{mutant.id}: {mutant.file} is not a graded file"
        assert mutant.functions and set(mutant.functions) <= graded_names, mutant.id
        assert mutant.why.strip(), f"{mutant.id} needs the student mistake it models"
        source = (week.solution_dir / mutant.file).read_text()
        spans = locate(source, mutant.find, mutant.scope)
        assert len(spans) == 1, f"{mutant.id}: `find` occurs {len(spans)} times"
        (start, end), = spans
        mutated = source[:start] + mutant.replace + source[end:]
        assert _code(mutated) != _code(source), f"{mutant.id} changes comments or spacing only"
        compile(mutated, f"{mutant.id}:{mutant.file}", "exec")


def _code(source: str) -> list[tuple[int, str]]:
    """The tokens of a module that are code (indentation included): comments, blank lines and other spacing
    dropped."""
    skip = (tokenize.COMMENT, tokenize.NL)
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in skip]


def _rewrite_comments(source: str) -> str:
    """Every comment of a module replaced by another text, and the spaces before it changed; the solution
    markers (`### BEGIN SOLUTION`) are layout, not comments, and stay."""
    lines = source.splitlines(keepends=True)
    for token in sorted((t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                         if t.type == tokenize.COMMENT and not t.string.startswith("###")),
                        key=lambda t: t.start, reverse=True):
        row, col = token.start
        line = lines[row - 1]
        code = line[:col].rstrip()
        gap = "" if not code.strip() else ("    " if row % 2 else " ")
        lines[row - 1] = (line[:col] if not code.strip() else code + gap) + f"# edited comment {row}" + line[token.end[1]:]
    return "".join(lines)


@each_week
def test_mutants_survive_edits_of_the_reference_comments(week: Week, tmp_path):
    """Issue 16: a mutant matches code, not comments, so rewriting every comment of the reference (and the
    spaces before it) leaves every mutant applicable, with the same code as on the untouched reference."""
    edited = tmp_path / "solutions" / week.folder
    edited.mkdir(parents=True)
    for f in week.graded_files:
        source = (week.solution_dir / f).read_text()
        rewritten = _rewrite_comments(source)
        assert rewritten != source and _code(rewritten) == _code(source), f
        (edited / f).write_text(rewritten)
    moved = dataclasses.replace(week)
    for mutant in load_mutants(week):
        original = build_mutant(week, mutant, tmp_path / "a" / mutant.id) / mutant.file
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Week, "solution_dir", property(lambda self: edited))
            rebuilt = build_mutant(moved, mutant, tmp_path / "b" / mutant.id) / mutant.file
        assert _code(rebuilt.read_text()) == _code(original.read_text()), mutant.id
