"""Checks and tolerances: every way a hidden test can fail, with a message a student can act on.

Deterministic checks compare a value with a reference under a stated tolerance. Statistical checks
take a false-failure probability `p_fail` (at most 1e-6 in this course) and compute their own
threshold from a known distribution of the test statistic; a test that calls one says in a comment
why that distribution holds. Every check raises `CheckFailed`; the engine turns that into zero points
for the test and shows the message.
"""
from __future__ import annotations

import contextvars
import io
import math
from typing import Any, Callable

import numpy as np
import torch
from scipy import stats

MAX_P_FAIL = 1e-6


class CheckFailed(AssertionError):
    """A check failed; the message is shown to the student.

    `grader_text`: the message without any text the student's code controls (its exception messages),
    where the message has some; the class report groups failures by it (engine.TestResult.message).
    """

    def __init__(self, *args: Any, grader_text: str | None = None):
        super().__init__(*args)
        self.grader_text = grader_text


class StudentError(CheckFailed):
    """The student's code raised an exception."""

    def __init__(self, label: str, exc_type: str, message: str, traceback: str = ""):
        self.label, self.exc_type, self.exc_message, self.traceback = label, exc_type, message, traceback
        self.summary = f"{label} raised {exc_type}"  # no student-controlled text: safe for hidden tests
        super().__init__(f"{self.summary}: {message}" if message else self.summary)


# ---------------------------------------------------------------------------------------------
# Types and shapes
# ---------------------------------------------------------------------------------------------
def tensor(x: Any, shape: tuple | None = None, dtype: torch.dtype | None = None, finite: bool = True,
           what: str = "the value") -> torch.Tensor:
    """x must be a tensor of this shape and dtype, with no NaN or inf. Returns it."""
    if not isinstance(x, torch.Tensor):
        raise CheckFailed(f"{what} should be a torch.Tensor, got {_type_name(x)}")
    if shape is not None and tuple(x.shape) != tuple(shape):
        raise CheckFailed(f"{what} has shape {tuple(x.shape)}, expected {tuple(shape)}")
    if dtype is not None and x.dtype != dtype:
        raise CheckFailed(f"{what} has dtype {x.dtype}, expected {dtype}")
    if finite and x.is_floating_point() and not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).sum())
        raise CheckFailed(f"{what} has {bad} non-finite entries (NaN or inf)")
    return x


def number(x: Any, what: str = "the value", finite: bool = True) -> float:
    """x must be a real number (a Python number, or a one-element tensor). Returns it as float."""
    if isinstance(x, torch.Tensor) and x.numel() == 1 and (x.is_floating_point() or x.dtype == torch.int64):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise CheckFailed(f"{what} should be a number, got {_type_name(x)}")
    if finite and not math.isfinite(x):
        raise CheckFailed(f"{what} is {x}, expected a finite number")
    return float(x)


def sequence(x: Any, length: int, what: str = "the value") -> tuple:
    """x must be a tuple or list of this length (e.g. a pair returned by a function)."""
    if not isinstance(x, (tuple, list)) or len(x) != length:
        raise CheckFailed(f"{what} should be a tuple of {length} values, got {_type_name(x)}")
    return tuple(x)


def true(condition: Any, message: str) -> None:
    if not bool(condition):
        raise CheckFailed(message)


def raises(exc_type: type[BaseException] | str, fn: Callable, *args: Any, **kwargs: Any) -> None:
    """fn(*args, **kwargs) must raise exc_type (given as a class or a name)."""
    name = exc_type if isinstance(exc_type, str) else exc_type.__name__
    label = getattr(fn, "target", getattr(fn, "__name__", "the function"))
    try:
        fn(*args, **kwargs)
    except StudentError as exc:
        if exc.exc_type != name:
            raise CheckFailed(f"{label} raised {exc.exc_type} ({exc.exc_message[:200]}), expected {name}",
                              grader_text=f"{label} raised another exception than {name}") from None
        return
    raise CheckFailed(f"{label} returned normally on an invalid argument, expected it to raise {name}")


def _type_name(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)}"
    return type(x).__name__ if not hasattr(x, "_handle") else repr(x)


# ---------------------------------------------------------------------------------------------
# Closeness
# ---------------------------------------------------------------------------------------------
def close(got: Any, want: Any, atol: float, rtol: float = 0.0, what: str = "the value", why: str = "",
          unit: str = "") -> None:
    """|got - want| <= atol + rtol |want| elementwise. `why` justifies the tolerance (for maintainers)."""
    g = torch.as_tensor(got, dtype=torch.float64) if not isinstance(got, torch.Tensor) else got.to(torch.float64)
    w = torch.as_tensor(want, dtype=torch.float64) if not isinstance(want, torch.Tensor) else want.to(torch.float64)
    if g.shape != w.shape:
        raise CheckFailed(f"{what} has shape {tuple(g.shape)}, expected {tuple(w.shape)}")
    if not bool(torch.isfinite(g).all()) and not bool((torch.isfinite(w) | (g == w)).all()):
        raise CheckFailed(f"{what} has non-finite entries where the reference is finite")
    both_inf = (g == w) & ~torch.isfinite(w)
    err = torch.where(both_inf, torch.zeros_like(g), (g - w).abs())
    bound = atol + rtol * w.abs().nan_to_num(posinf=0.0, neginf=0.0)
    bad = ~(err <= bound)
    if bool(bad.any()):
        worst = int(torch.argmax(torch.where(bad, err - bound, torch.full_like(err, -math.inf))))
        where = "" if g.dim() == 0 else f" at index {np.unravel_index(worst, tuple(g.shape))}"
        tol = f"{atol:.2g}" + (f" + {rtol:.2g}·|reference|" if rtol else "")
        u = f" {unit}" if unit else ""
        raise CheckFailed(f"{what} differs from the reference by {err.flatten()[worst].item():.3g}{u}{where} "
                          f"({int(bad.sum())} of {bad.numel()} entries off; tolerance {tol}{u})")


def normalized(log_probs: torch.Tensor, dim: int, atol: float, what: str = "the log-probabilities") -> None:
    """Normalization by enumeration: logsumexp over every outcome along `dim` is 0 within atol."""
    total = torch.logsumexp(log_probs.to(torch.float64), dim=dim)
    err = total.abs().max().item()
    if not err <= atol:
        raise CheckFailed(f"{what} do not sum to 1 over all outcomes: log of the total is off by {err:.3g} "
                          f"(tolerance {atol:.2g})")


# ---------------------------------------------------------------------------------------------
# Statistical tests: each computes its threshold from p_fail
# ---------------------------------------------------------------------------------------------
def _check_p(p_fail: float) -> None:
    if not 0 < p_fail <= MAX_P_FAIL:
        raise ValueError(f"p_fail must be in (0, {MAX_P_FAIL}], got {p_fail}")


def z_threshold(p_fail: float) -> float:
    """|Z| > z fails with probability p_fail for Z ~ N(0, 1): z = Φ⁻¹(1 - p_fail / 2)."""
    _check_p(p_fail)
    return float(stats.norm.isf(p_fail / 2))


def mean_z(samples: torch.Tensor, mean: float, variance: float, p_fail: float = MAX_P_FAIL,
           what: str = "the sample mean") -> None:
    """Two-sided z-test of the sample mean with a known per-sample variance (CLT over n samples).

    The normal approximation needs n large (thousands) and a variance that is known, not estimated.
    """
    x = samples.to(torch.float64).flatten()
    n = x.numel()
    se = math.sqrt(variance / n)
    z = (x.mean().item() - mean) / se
    limit = z_threshold(p_fail)
    if not abs(z) <= limit:
        raise CheckFailed(f"{what} is {x.mean().item():.4g}, expected {mean:.4g} ± {limit * se:.2g} "
                          f"(z = {z:.1f}; the threshold {limit:.1f} has a false-failure probability {p_fail:.0e})")


def chi_square(counts: torch.Tensor | np.ndarray, probs: torch.Tensor | np.ndarray, p_fail: float = MAX_P_FAIL,
               what: str = "the sample frequencies", min_expected: float = 5.0) -> None:
    """Pearson chi-square goodness of fit of counts (K,) to probabilities (K,), two-sided.

    Cells with zero probability must have zero counts. The chi-square(K-1) approximation is used
    where every expected count is at least `min_expected` (the usual rule); tests size n for that.
    Both tails fail, with p_fail/2 each: a statistic far too small means counts that match the
    probabilities better than random draws can (a deterministic "quota" sampler, evenly spaced
    uniforms), which is as wrong as a poor fit.
    """
    c = np.asarray(counts, dtype=np.float64).ravel()
    p = np.asarray(probs, dtype=np.float64).ravel()
    p = p / p.sum()
    n = c.sum()
    impossible = p == 0
    if (c[impossible] > 0).any():
        k = int(np.flatnonzero(impossible & (c > 0))[0])
        raise CheckFailed(f"{what}: outcome {k} has probability 0 but was drawn {int(c[k])} times")
    c, p = c[~impossible], p[~impossible]
    expected = n * p
    if expected.min() < min_expected:
        raise ValueError(f"chi-square test needs expected counts >= {min_expected}; got {expected.min():.2g}")
    statistic = float(((c - expected) ** 2 / expected).sum())
    df = len(p) - 1
    if df == 0:
        return
    limit = float(stats.chi2.isf(_p(p_fail) / 2, df))
    floor = float(stats.chi2.ppf(p_fail / 2, df))
    if statistic < floor:
        raise CheckFailed(f"{what} match the target probabilities too exactly to be random draws: chi-square = "
                          f"{statistic:.2g} with {df} degrees of freedom, below {floor:.2g} (false-failure probability "
                          f"{p_fail:.0e}); are the uniforms evenly spaced instead of random?")
    if not statistic <= limit:
        worst = int(np.argmax(np.abs(c - expected) / np.sqrt(expected)))
        raise CheckFailed(f"{what} do not match the target distribution: chi-square = {statistic:.1f} with {df} "
                          f"degrees of freedom, threshold {limit:.1f} (false-failure probability {p_fail:.0e}); "
                          f"largest deviation at outcome {worst}: {int(c[worst])} draws, expected {expected[worst]:.0f}")


def ks(samples: torch.Tensor, cdf: Callable[[np.ndarray], np.ndarray], p_fail: float = MAX_P_FAIL,
       what: str = "the samples") -> None:
    """One-sample Kolmogorov–Smirnov test against a continuous CDF (exact p-value from scipy)."""
    x = np.asarray(samples.detach().to(torch.float64).flatten().numpy() if isinstance(samples, torch.Tensor)
                   else samples, dtype=np.float64)
    result = stats.kstest(x, cdf)
    if not result.pvalue >= _p(p_fail):
        raise CheckFailed(f"{what} do not follow the target distribution: KS distance {result.statistic:.3g} "
                          f"on {len(x)} samples (p-value {result.pvalue:.1e} < {p_fail:.0e})")


def ks_two_sample(a: torch.Tensor, b: torch.Tensor, p_fail: float = MAX_P_FAIL, what: str = "the samples") -> None:
    """Two-sample KS test: a and b come from the same continuous distribution."""
    x = a.detach().to(torch.float64).flatten().numpy()
    y = b.detach().to(torch.float64).flatten().numpy()
    result = stats.ks_2samp(x, y)
    if not result.pvalue >= _p(p_fail):
        raise CheckFailed(f"{what} do not follow the target distribution: two-sample KS distance "
                          f"{result.statistic:.3g} (p-value {result.pvalue:.1e} < {p_fail:.0e})")


def binomial(successes: int, trials: int, prob: float, p_fail: float = MAX_P_FAIL, what: str = "the rate") -> None:
    """Exact two-sided binomial test that successes ~ Binomial(trials, prob)."""
    result = stats.binomtest(int(successes), int(trials), prob)
    if not result.pvalue >= _p(p_fail):
        raise CheckFailed(f"{what} is {successes / trials:.4g} over {trials} trials, expected {prob:.4g} "
                          f"(exact binomial p-value {result.pvalue:.1e} < {p_fail:.0e})")


def variance_chi2(samples: torch.Tensor, variance: float, mean: float | None = None,
                  p_fail: float = MAX_P_FAIL, what: str = "the sample variance") -> None:
    """For i.i.d. normal samples: n·s²/σ² ~ χ²(n) with a known mean, (n-1)·s²/σ² ~ χ²(n-1) without."""
    x = samples.to(torch.float64).flatten()
    n = x.numel()
    if mean is None:
        ss, df = float(((x - x.mean()) ** 2).sum()), n - 1
    else:
        ss, df = float(((x - mean) ** 2).sum()), n
    statistic = ss / variance
    low, high = stats.chi2.ppf(_p(p_fail) / 2, df), stats.chi2.isf(_p(p_fail) / 2, df)
    if not low <= statistic <= high:
        raise CheckFailed(f"{what} is {ss / df:.4g}, expected {variance:.4g} (chi-square {statistic:.0f} outside "
                          f"[{low:.0f}, {high:.0f}] for {df} degrees of freedom, false-failure probability "
                          f"{p_fail:.0e})")


def _p(p_fail: float) -> float:
    _check_p(p_fail)
    return p_fail


# ---------------------------------------------------------------------------------------------
# Enumeration and Jacobians
# ---------------------------------------------------------------------------------------------
def enumerate_grid(levels: int, dims: int) -> torch.Tensor:
    """Every point of {0..levels-1}^dims, as (levels**dims, dims) int64, for normalization by enumeration."""
    grids = torch.meshgrid(*[torch.arange(levels)] * dims, indexing="ij")
    return torch.stack([g.reshape(-1) for g in grids], dim=1)  # (levels**dims, dims)


def jacobian_log_det(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """log |det ∂f/∂x| per sample, by autograd: x: (B, D) -> (B,). The oracle for flow log-dets."""
    out = []
    for row in x.to(torch.float64):
        jac = torch.autograd.functional.jacobian(lambda v: f(v[None])[0], row)  # (D, D)
        out.append(torch.linalg.slogdet(jac.reshape(row.numel(), row.numel())).logabsdet)  # (D*, D*)
    return torch.stack(out)


def seed_sweep(fn: Callable[[int], None], seeds: list[int]) -> list[tuple[int, str]]:
    """Run fn(seed) for each seed; return (seed, message) for each seed whose checks failed."""
    failures = []
    for seed in seeds:
        torch.manual_seed(seed)
        try:
            fn(seed)
        except CheckFailed as exc:
            failures.append((seed, str(exc)))
    return failures


# ---------------------------------------------------------------------------------------------
# Figures of what the student's code produced, attached to a failed test's feedback
# ---------------------------------------------------------------------------------------------
_FIGURES: contextvars.ContextVar[list | None] = contextvars.ContextVar("figures", default=None)


def show(draw: Callable, caption: str) -> None:
    """Register `draw(ax)`, a plot of the student's output (e.g. samples over the target density).

    Nothing is drawn while the test passes: the engine renders the figures of failed tests only, so a
    correct submission pays no plotting time.
    """
    sink = _FIGURES.get()
    if sink is not None:
        sink.append((caption, draw))


def show_histogram(samples: torch.Tensor, pdf: Callable[[np.ndarray], np.ndarray], caption: str,
                   bins: int = 60) -> None:
    """Histogram of 1-D samples from the student's code over the target density."""

    def draw(ax):
        x = np.asarray(samples.detach().to(torch.float64).flatten().numpy())
        ax.hist(x, bins=bins, density=True, color="#4c72b0", alpha=0.7, label="your samples")
        grid = np.linspace(np.quantile(x, 0.001), np.quantile(x, 0.999), 400)
        ax.plot(grid, pdf(grid), color="#c44e52", lw=2, label="target")
        ax.legend(fontsize=8)

    show(draw, caption)


def show_bars(counts, probs, caption: str) -> None:
    """Observed frequencies of the student's draws next to the target probabilities."""

    def draw(ax):
        c = np.asarray(counts, dtype=np.float64).ravel()
        p = np.asarray(probs, dtype=np.float64).ravel()
        k = np.arange(len(c))
        ax.bar(k - 0.2, c / c.sum(), width=0.4, color="#4c72b0", label="your draws")
        ax.bar(k + 0.2, p / p.sum(), width=0.4, color="#c44e52", label="target")
        ax.set_xlabel("outcome")
        ax.legend(fontsize=8)

    show(draw, caption)


def collect_figures() -> tuple[contextvars.Token, list]:
    sink: list = []
    return _FIGURES.set(sink), sink


def release_figures(token: contextvars.Token) -> None:
    _FIGURES.reset(token)


def render(draws: list) -> list[tuple[str, bytes]]:
    """PNG bytes of each registered drawing (small, for an HTML report); a drawing that fails is skipped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pngs = []
    for caption, draw in draws:
        fig, ax = plt.subplots(figsize=(4, 2.8), dpi=72)
        try:
            draw(ax)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png")
            pngs.append((caption, buffer.getvalue()))
        except Exception:  # noqa: BLE001  (a figure must never cost a point or stop grading)
            pass
        finally:
            plt.close(fig)
    return pngs
