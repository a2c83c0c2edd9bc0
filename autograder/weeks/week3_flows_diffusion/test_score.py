"""Hidden tests of week 3, `score.py`: noise levels, denoising score matching, annealed Langevin, and
the score implied by an ε-prediction.

Every score the child calls is a public closed form (`fixtures.noised_gaussian_score`,
`noised_mixture_score`), never autograd, since the sampler may run under no_grad. For Gaussian data
N(m, s² I) and the exact score at level σ, each DSM residual σ s(x̃, σ) + ε = (s² ε − σ (x − m))/v,
v = s² + σ², is N(0, s²/v · I) exactly, so at one level 2 · B · loss · v/s² ~ χ²(B·d): an exact test.
Annealed Langevin on that target is linear-Gaussian, x' = a x + (1 − a) m + √α z with a = 1 − α/(2v),
so its exact output law after the given steps is propagated here (`annealed_moments`) and the samples
are tested against it. On a two-mode mixture the mass of the heavy mode is compared with the grader's
own simulation of the same settings. Random outputs are never compared draw for draw with the reference.
"""
from __future__ import annotations

import math

import torch
from scipy import stats

from autograder import checks as check
from autograder import probes
from autograder.registry import test
from autograder.runtime import fixtures
from autograder.weeks.week3_flows_diffusion.common import alpha_bars

F64 = torch.float64


def _python_sigmas(sigma_max: float, sigma_min: float, L: int) -> list[float]:
    """σ_i = σ_max (σ_min/σ_max)^(i/(L−1)), i = 0 … L−1, in Python floats."""
    return [sigma_max] if L == 1 else [sigma_max * (sigma_min / sigma_max) ** (i / (L - 1)) for i in range(L)]



def _chi2_total(statistic: float, df: int, p_fail: float, what: str) -> None:
    """statistic ~ χ²(df) exactly under the contract: two-sided, p_fail/2 in each tail."""
    low, high = stats.chi2.ppf(p_fail / 2, df), stats.chi2.isf(p_fail / 2, df)
    if not low <= statistic <= high:
        raise check.CheckFailed(f"{what}: the scaled loss is {statistic:.0f}, expected χ²({df}) in [{low:.0f}, "
                                f"{high:.0f}] (false-failure probability {p_fail:.0e})")


def annealed_moments(start: float, m: float, s2: float, sigmas: list[float], steps: int,
                     eps: float) -> tuple[float, float]:
    """Exact mean and variance of one coordinate after NCSN Algorithm 1 on N(m, s²), from x0 = start:
    at level σ_i, α = eps σ_i²/σ_L², v = s² + σ_i², a = 1 − α/(2v); each step
    mean ← a·mean + (1 − a) m, var ← a²·var + α."""
    mean, var = float(start), 0.0
    for sigma in sigmas:
        alpha = eps * sigma**2 / sigmas[-1] ** 2
        a = 1 - alpha / (2 * (s2 + sigma**2))
        for _ in range(steps):
            mean, var = a * mean + (1 - a) * m, a * a * var + alpha
    return mean, var


def simulate_annealed_mixture(x0: torch.Tensor, sigmas: list[float], steps: int, eps: float, means, std,
                              weights, generator: torch.Generator) -> torch.Tensor:
    """The grader's own NCSN Algorithm 1 in float64 on the closed-form mixture score (trusted code)."""
    score = fixtures.noised_mixture_score(means, std, weights)
    x = x0.to(F64).clone()
    for sigma in sigmas:
        alpha = eps * sigma**2 / sigmas[-1] ** 2
        s = torch.full((x.shape[0],), sigma, dtype=F64)
        for _ in range(steps):
            x = x + alpha / 2 * score(x, s) + math.sqrt(alpha) * torch.randn(x.shape, dtype=F64, generator=generator)
    return x


# =============================================================================================
# geometric_sigmas
# =============================================================================================
@test(points=0.5, functions=["score.geometric_sigmas"], visibility="visible",
      clauses=["score.geometric_sigmas.value"])
def geometric_sigmas_shape_and_dtype(sub, ref):
    """geometric_sigmas returns (L,) float64."""
    check.tensor(sub.score.geometric_sigmas(1.0, 0.01, 7), shape=(7,), dtype=F64, what="geometric_sigmas(1.0, 0.01, 7)")


@test(points=1.5, functions=["score.geometric_sigmas"],
      clauses=["score.geometric_sigmas.value", "score.geometric_sigmas.equal_sigmas"])
def geometric_sigmas_formula(sub, ref):
    """geometric_sigmas: σ_max (σ_min/σ_max)^(i/(L−1)), descending, endpoints exact; L = 1 and equal sigmas."""
    for args in [(1.0, 0.01, 10), (50.0, 0.01, 232), (0.3, 0.2, 2), (2.5, 2.5, 1), (3.0, 3.0, 4)]:
        L = args[2]
        got = check.tensor(sub.score.geometric_sigmas(*args), shape=(L,), dtype=F64,
                           what=f"geometric_sigmas{args}")
        want = torch.tensor(_python_sigmas(*args), dtype=F64)
        check.close(got, want, atol=0.0, rtol=1e-12, what=f"geometric_sigmas{args}",
                    why="exp of a float64 linspace of logs against powers in Python floats: round-off ~1e-15 relative")
        check.close(got[[0, -1]], torch.tensor([args[0], args[1]], dtype=F64), atol=0.0, rtol=1e-12,
                    what=f"the endpoints of geometric_sigmas{args}", why="the contract's 1e-12 relative")
        check.close(got, ref.score.geometric_sigmas(*args), atol=0.0, rtol=1e-12,
                    what=f"geometric_sigmas{args} against the reference", why="float64 round-off")
        if args[0] > args[1]:
            check.true(bool((got[1:] < got[:-1]).all()), f"geometric_sigmas{args} is not strictly descending")


@test(points=0.5, functions=["score.geometric_sigmas"], clauses=["score.geometric_sigmas.raises"])
def geometric_sigmas_rejects_bad_arguments(sub, ref):
    """geometric_sigmas raises ValueError for L < 1, a non-positive sigma, σ_min > σ_max, or L = 1 with unequal sigmas.

    It must first return the levels on valid arguments, so a function that always raises earns nothing."""
    check.tensor(sub.score.geometric_sigmas(2.0, 0.5, 3), shape=(3,), dtype=F64, what="geometric_sigmas(2.0, 0.5, 3)")
    check.tensor(sub.score.geometric_sigmas(0.5, 0.5, 1), shape=(1,), dtype=F64, what="geometric_sigmas(0.5, 0.5, 1)")
    # A non-positive sigma with one level is checked too: with L > 1, math.log raises ValueError by itself.
    for args in [(1.0, 0.1, 0), (1.0, 0.0, 5), (1.0, -0.1, 5), (-1.0, 0.1, 5), (0.1, 1.0, 5), (1.0, 0.1, 1),
                 (-0.5, -0.5, 1), (0.0, 0.0, 1)]:
        check.raises(ValueError, sub.score.geometric_sigmas, *args)


# =============================================================================================
# dsm_loss
# =============================================================================================
@test(points=0.5, functions=["score.dsm_loss"], visibility="visible",
      clauses=["score.dsm_loss.dtype", "score.dsm_loss.sigma_argument"])
def dsm_loss_shape_and_dtype(sub, ref):
    """dsm_loss returns a () tensor in x's dtype, for (B, D) and (B, C, H, W) data and float32 or float64 sigmas."""
    score = sub.fixture("noised_gaussian_score", mean=0.0, var=1.0)
    for shape, dtype, sig_dtype in [((97, 2), torch.float32, F64), ((5, 1, 3, 4), F64, torch.float32)]:
        x = torch.randn(shape, dtype=dtype, generator=probes.data_generator())
        check.tensor(sub.score.dsm_loss(score, x, torch.tensor([1.0, 0.5, 0.1], dtype=sig_dtype)), shape=(), dtype=dtype,
                     what=f"dsm_loss on {shape} {dtype} data with {sig_dtype} sigmas")


@test(points=2, functions=["score.dsm_loss"], timeout=60,
      clauses=["score.dsm_loss.value", "score.dsm_loss.sigma_argument", "score.dsm_loss.dtype"])
def dsm_loss_exact_chi_square(sub, ref):
    """dsm_loss at one level with the exact score of Gaussian data: 2·B·loss·(s² + σ²)/s² ~ χ²(B·d) exactly."""
    # Each residual coordinate is N(0, s²/v) given nothing (x, ε fresh, independent), so the sum over
    # B·d coordinates of squares, scaled by v/s², is χ²(B·d); two cases share p_fail = 1e-6. A missing ½,
    # a mean over the data dimensions, λ = 1 instead of σ², x̃ = x + σ² ε or a flipped sign move the
    # statistic by a factor of 2 to d, hundreds of standard deviations at B·d >= 12,000.
    cases = [((4000, 3), F64, 1.3, 0.5, 0.7, torch.float32), ((2000, 1, 4, 4), torch.float32, -0.4, 0.3, 2.0, F64)]
    for shape, dtype, m, s, sigma, sig_dtype in cases:
        x = (m + s * torch.randn(shape, dtype=F64, generator=probes.data_generator())).to(dtype)
        score = sub.fixture("noised_gaussian_score", mean=m, var=s * s)
        loss = check.tensor(sub.score.dsm_loss(score, x, torch.tensor([sigma], dtype=sig_dtype)), shape=(),
                            dtype=dtype, what=f"dsm_loss on {shape} {dtype} data")
        B, d = shape[0], math.prod(shape[1:])
        v = s * s + sigma * sigma
        _chi2_total(2 * B * float(loss) * v / (s * s), B * d, 5e-7,
                    f"dsm_loss of the exact score, N({m}, {s}²) data in {shape}, σ = {sigma}")


def _dsm_level_moments(s2: float, sigmas: list[float], d: int) -> tuple[float, float]:
    """Per-example loss for the exact score with σ uniform on `sigmas`: given σ_i it is
    ½ r_i χ²(d), r_i = s²/(s² + σ_i²), with mean ½ r_i d and second moment ¼ r_i² (2d + d²)."""
    r = [s2 / (s2 + sg * sg) for sg in sigmas]
    mean = sum(0.5 * ri * d for ri in r) / len(r)
    second = sum(0.25 * ri * ri * (2 * d + d * d) for ri in r) / len(r)
    return mean, second - mean * mean


@test(points=2, functions=["score.dsm_loss"], timeout=60, clauses=["score.dsm_loss.levels"])
def dsm_loss_levels_uniform_per_example(sub, ref):
    """dsm_loss with three levels: the exact score's loss has the mean of a level drawn uniformly per example."""
    m, s, d, n = 0.5, 0.5, 2, 30_000
    sigmas = [2.0, 0.5, 0.1]
    x = m + s * torch.randn(n, d, dtype=F64, generator=probes.data_generator())
    score = sub.fixture("noised_gaussian_score", mean=m, var=s * s)
    loss = check.number(check.tensor(sub.score.dsm_loss(score, x, torch.tensor(sigmas, dtype=F64)), shape=(),
                                     dtype=F64, what="dsm_loss(...)"), what="the loss")
    # The loss is the mean of n i.i.d. per-example terms with the mean and variance above (level, ε and
    # x fresh): a CLT z-test, n = 30,000. Each term is a mixture of scaled χ²(2) (skewness <= 2), so the
    # mean's skewness is <= 2/√n = 0.012, and its Edgeworth correction at z = 4.9 changes the tail by
    # under 5%: p_fail = 9e-7 keeps the false-failure probability under 1e-6. The level means are 0.06,
    # 0.50 and 0.96 (mean 0.507, standard error 0.004): one level for the whole batch, or levels from
    # sigmas[:-1], miss by 50 standard errors.
    mean, var = _dsm_level_moments(s * s, sigmas, d)
    check.mean_z(torch.tensor([loss]), mean, var / n, p_fail=9e-7,
                 what="the loss of the exact score, σ uniform on (2.0, 0.5, 0.1)")


@test(points=1.5, functions=["score.dsm_loss"], timeout=60, clauses=["score.dsm_loss.gradient", "score.dsm_loss.value"])
def dsm_loss_gradient(sub, ref):
    """dsm_loss keeps the graph: d loss/dθ at θ = 0 for s_θ(x̃, σ) = −θ x̃/(c + σ²) has a known mean."""
    # Per example, dℓ/dθ at θ = 0 is −(σ/w) x̃·ε with w = c + σ², x̃ = x + σ ε. Given the data x (drawn
    # here), x̃·ε = x·ε + σ‖ε‖² has mean σ d and variance ‖x‖² + 2σ² d, so the batch mean of the
    # gradients has mean −σ² d/w and variance (σ/w)² mean(‖x‖² + 2σ² d)/B: a CLT z-test, B = 20,000
    # (the terms' skewness is under 2, so as above p_fail = 9e-7 keeps the bound under 1e-6). A detached
    # loss gives 0 (or raises); λ = 1 gives −d/w, a sum over the batch B times.
    n, d, sigma, c = 20_000, 3, 0.6, 0.8
    x = 0.7 + torch.randn(n, d, dtype=F64, generator=probes.data_generator())
    grad = check.number(sub.call_fixture("dsm_gradient", x, sigma, c), what="the gradient of dsm_loss")
    w = c + sigma * sigma
    per_example_var = (sigma / w) ** 2 * float((x.pow(2).sum(1) + 2 * sigma * sigma * d).mean())
    check.mean_z(torch.tensor([grad]), -sigma * sigma * d / w, per_example_var / n, p_fail=9e-7,
                 what="d dsm_loss / dθ at θ = 0")


@test(points=0.5, functions=["score.dsm_loss"], clauses=["score.dsm_loss.global_generator"])
def dsm_loss_twice(sub, ref):
    """Two calls of dsm_loss draw fresh levels and noise from torch's global generator (different losses)."""
    score = sub.fixture("noised_gaussian_score", mean=0.5, var=0.2)
    x = torch.randn(64, 2, dtype=F64, generator=probes.data_generator())
    first, _ = probes.sampler_twice(sub, "score.dsm_loss", None, [score, x, torch.tensor([1.0, 0.3], dtype=F64)],
                                    what="dsm_loss(...)")
    check.tensor(first, shape=(), dtype=F64, what="dsm_loss(...)")


# =============================================================================================
# annealed_langevin
# =============================================================================================
@test(points=0.5, functions=["score.annealed_langevin"], visibility="visible",
      clauses=["score.annealed_langevin.shape"])
def annealed_langevin_shape_and_dtype(sub, ref):
    """annealed_langevin returns x0's shape and dtype, for (B, D) float32 and (B, C, H, W) float64 states."""
    score = sub.fixture("noised_gaussian_score", mean=0.0, var=1.0)
    for shape, dtype in [((97, 2), torch.float32), ((5, 1, 3, 4), F64)]:
        check.tensor(sub.score.annealed_langevin(score, torch.zeros(shape, dtype=dtype), torch.tensor([1.0, 0.5], dtype=F64),
                                                 3, 0.01),
                     shape=shape, dtype=dtype, what=f"annealed_langevin on {shape} {dtype} states")


# (start, mean, s, (sigma_max, sigma_min, L), steps per level, eps, shape, dtype)
LANGEVIN_CASES = [
    # 5 levels from 1 to 0.1, 6 steps each, from far away: the transient and the noise both matter.
    (-3.0, 1.0, 0.5, (1.0, 0.1, 5), 6, 2e-3, (20_000, 2), F64),
    # narrow data (s = 0.05), image-shaped float32 states, 3 levels, 4 steps: the last level dominates.
    (2.0, -0.5, 0.05, (0.5, 0.05, 3), 4, 2e-4, (2_500, 1, 2, 4), torch.float32),
    # one level: plain Langevin at step α/2 = eps/2 (week 1's langevin), 10 steps.
    (0.0, 0.3, 0.4, (0.2, 0.2, 1), 10, 0.05, (20_000, 1), F64),
]


@test(points=3, functions=["score.annealed_langevin"], timeout=60,
      clauses=["score.annealed_langevin.step", "score.annealed_langevin.sigma_argument",
               "score.annealed_langevin.one_call"])
def annealed_langevin_exact_law(sub, ref):
    """annealed_langevin with the exact score of N(m, s² I): samples follow the chain's exact law after L·T steps."""
    # Every coordinate of every chain is an independent copy of the scalar chain (isotropic target, a
    # constant start), exactly N(mean, var) from `annealed_moments`: a z-test of the mean (known
    # variance) and a chi-square test of the variance (known mean), 6 checks sharing p_fail = 1e-6. The
    # fixture raises on a call beyond L·T: exactly one score call per step.
    for start, m, s, levels, steps, eps, shape, dtype in LANGEVIN_CASES:
        sigmas = _python_sigmas(*levels)
        score = sub.fixture("noised_gaussian_score", mean=m, var=s * s, max_calls=len(sigmas) * steps)
        got = check.tensor(sub.score.annealed_langevin(score, torch.full(shape, start, dtype=dtype),
                                                       torch.tensor(sigmas, dtype=F64), steps, eps),
                           shape=shape, dtype=dtype, what=f"annealed_langevin on {shape}")
        mean, var = annealed_moments(start, m, s * s, sigmas, steps, eps)
        label = f"the final states (N({m}, {s}²) target, σ from {levels[0]} to {levels[1]} in {levels[2]} levels, " \
                f"{steps} steps each, eps = {eps})"
        check.mean_z(got, mean, var, p_fail=1e-6 / 6, what=f"the mean of {label}")
        check.variance_chi2(got, var, mean=mean, p_fail=1e-6 / 6, what=f"the variance of {label}")


MIXTURE = dict(means=[[-4.0], [4.0]], std=0.5, weights=[0.2, 0.8])
MIXTURE_RUN = dict(levels=(8.0, 0.1, 8), steps=15, eps=5e-3, n=20_000)


@test(points=2, functions=["score.annealed_langevin"], timeout=60, clauses=["score.annealed_langevin.step"])
def annealed_langevin_mixture_weights(sub, ref):
    """annealed_langevin on a 0.2 / 0.8 two-mode mixture from a spread start: the heavy mode's mass matches
    the grader's own simulation of the same settings (about 0.74; plain Langevin at σ_L stays near 0.5)."""
    # The two runs are independent, and their chains independent given their starts; the start grid is
    # the same, so chain i ends in the heavy mode (x > 0) with the same probability p_i in both runs under
    # a correct sampler. The counts are then Poisson-binomial, with a variance Σ p_i (1 − p_i) at most
    # that of the binomial at the mean rate, which Fisher's exact test on the 2x2 table assumes: the test
    # is conservative, p_fail <= 1e-6. Ascending levels, a wrong step
    # size or noise, or no annealing change the mass by 0.05 or more (35 standard errors at n = 20,000).
    n, steps, eps = MIXTURE_RUN["n"], MIXTURE_RUN["steps"], MIXTURE_RUN["eps"]
    sigmas = _python_sigmas(*MIXTURE_RUN["levels"])
    x0 = torch.linspace(-8.0, 8.0, n, dtype=F64)[:, None]  # (n, 1): far from the modes' weights
    got = check.tensor(sub.score.annealed_langevin(sub.fixture("noised_mixture_score", **MIXTURE), x0,
                                                   torch.tensor(sigmas, dtype=F64), steps, eps),
                       shape=(n, 1), dtype=F64, what="annealed_langevin on the mixture")
    mine = simulate_annealed_mixture(x0, sigmas, steps, eps, generator=probes.data_generator(), **MIXTURE)
    a, b = int((got > 0).sum()), int((mine > 0).sum())
    p_value = stats.fisher_exact([[a, n - a], [b, n - b]]).pvalue
    check.show(lambda ax: (ax.hist(got[:, 0].numpy(), bins=120, density=True), ax.set_title("final states")),
               f"annealed Langevin on the 0.2 / 0.8 mixture: heavy-mode mass {a / n:.3f} (the grader's run: {b / n:.3f})")
    if not p_value >= 1e-6:
        raise check.CheckFailed(f"the mass of the heavy mode after annealed Langevin is {a / n:.4f}; the grader's own "
                                f"run of the same settings gives {b / n:.4f} (Fisher's exact p-value {p_value:.1e} < 1e-06)")


@test(points=0.5, functions=["score.annealed_langevin"], clauses=["score.annealed_langevin.no_in_place"])
def annealed_langevin_leaves_x0(sub, ref):
    """annealed_langevin does not modify x0 in place."""
    x0 = torch.randn(50, 2, dtype=F64, generator=probes.data_generator())
    value = probes.leaves_arguments(sub, "score.annealed_langevin", None,
                                    [sub.fixture("noised_gaussian_score", mean=0.0, var=1.0), x0,
                                     torch.tensor([1.0, 0.5], dtype=F64), 3, 0.05],
                                    what="annealed_langevin(score, x0, sigmas, 3, 0.05)")
    check.tensor(value, shape=(50, 2), dtype=F64, what="annealed_langevin(score, x0, sigmas, 3, 0.05)")


@test(points=1, functions=["score.annealed_langevin"],
      clauses=["score.annealed_langevin.global_generator", "score.annealed_langevin.independent_calls"])
def annealed_langevin_twice(sub, ref):
    """Two calls of annealed_langevin from the same states add different, independent noise."""
    args = [sub.fixture("noised_gaussian_score", mean=0.5, var=0.3), torch.zeros(3000, 2, dtype=F64),
            torch.tensor([1.0, 0.3], dtype=F64), 3, 0.05]
    first, second = probes.sampler_twice(sub, "score.annealed_langevin", None, args, what="annealed_langevin(...)")
    check.tensor(first, shape=(3000, 2), dtype=F64, what="annealed_langevin(...)")
    # 3000 i.i.d. chains per call; Kendall's tau per coordinate, 2 coordinates share p_fail = 1e-6.
    probes.independent(first, second, p_fail=1e-6, what="two calls of annealed_langevin")


# =============================================================================================
# eps_to_score
# =============================================================================================

LINEAR_1000 = [1e-4 + (0.02 - 1e-4) * i / 999 for i in range(1000)]


@test(points=2, functions=["score.eps_to_score"],
      clauses=["score.eps_to_score.value", "score.eps_to_score.alpha_bars_only"])
def eps_to_score_is_the_marginal_score(sub, ref):
    """eps_to_score of the exact ε-predictor of Gaussian data is the autograd score of q(x_t) = N(√ᾱ_t m, Σ_t)."""
    ab = alpha_bars(LINEAR_1000)
    mean, cov = [1.0, -0.5], [[0.5, 0.3], [0.3, 0.4]]
    m, S = torch.tensor(mean, dtype=F64), torch.tensor(cov, dtype=F64)
    gen = probes.data_generator()
    t = torch.randint(0, 1000, (97,), generator=gen)
    t[:3] = torch.tensor([0, 1, 999])
    x_t = torch.randn(97, 2, dtype=F64, generator=gen) * 1.5
    eps = fixtures.gaussian_eps_predictor(ab, mean, cov)(x_t, t)  # (97, 2), computed here
    got = check.tensor(sub.score.eps_to_score(eps, sub.fixture("alpha_bars_only", alpha_bars=ab), t), shape=(97, 2),
                       dtype=F64, what="eps_to_score(...) in float64")
    want = torch.empty(97, 2, dtype=F64)
    for i, ti in enumerate(t.tolist()):  # ∇ log N(x; √ᾱ m, ᾱ S + (1 − ᾱ) I) by autograd, one example at a time
        a = ab[ti]
        dist = torch.distributions.MultivariateNormal(math.sqrt(a) * m, a * S + (1 - a) * torch.eye(2, dtype=F64))
        xi = x_t[i].clone().requires_grad_(True)
        want[i] = torch.autograd.grad(dist.log_prob(xi), xi)[0]
    check.close(got, want, atol=1e-9, rtol=1e-9, what="eps_to_score of the exact ε-predictor",
                why="two float64 routes to Σ_t⁻¹ (x − √ᾱ m); 1/√(1 − ᾱ_0) = 100 amplifies round-off to ~1e-13")


@test(points=1.5, functions=["score.eps_to_score"],
      clauses=["score.eps_to_score.value", "score.eps_to_score.float64", "score.eps_to_score.broadcast"])
def eps_to_score_float32_and_images(sub, ref):
    """eps_to_score in float32 on (97, 1, 4, 4) data: −ε/√(1 − ᾱ_t) with the coefficient computed in float64."""
    ab = alpha_bars(LINEAR_1000)
    gen = probes.data_generator()
    t = torch.randint(0, 1000, (97,), generator=gen)
    t[:4] = torch.tensor([0, 0, 1, 999])
    eps = torch.randn(97, 1, 4, 4, generator=gen)
    got = check.tensor(sub.score.eps_to_score(eps, sub.fixture("alpha_bars_only", alpha_bars=ab), t),
                       shape=(97, 1, 4, 4), dtype=torch.float32, what="eps_to_score(...) in float32")
    coef = torch.tensor([-1 / math.sqrt(1 - ab[i]) for i in t.tolist()], dtype=F64).reshape(-1, 1, 1, 1)
    # The coefficient rounded once to float32 and one float32 product: 2 ulps (1.2e-7) relative. 1 − ᾱ_0
    # = 1e-4 computed in float32 loses 3 digits (an error of 3e-4 relative at t = 0).
    check.close(got, coef * eps.to(F64), atol=0.0, rtol=3e-7, what="eps_to_score in float32",
                why="float64 coefficient cast to float32, times float32 ε: two roundings of 6e-8")
    check.close(got, ref.score.eps_to_score(eps, fixtures.alpha_bars_only(ab), t), atol=0.0, rtol=3e-7,
                what="eps_to_score in float32 against the reference", why="the same two roundings")
