"""Hidden tests of week 1, `metrics.py`: Fréchet distance, Inception score, precision/recall, MMD.

The metrics are deterministic, so they are checked against independent oracles computed here
(scipy.linalg.sqrtm, closed forms on commuting or point-mass inputs, brute-force NumPy loops) and
against the reference, in float64 and float32, with odd sizes.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import torch
from scipy import special
from scipy.spatial.distance import cdist

from autograder import checks as check
from autograder import probes
from autograder.registry import test

F64 = torch.float64


def _spd(dim: int) -> torch.Tensor:
    """A well-conditioned random SPD (D, D) float64 matrix (eigenvalues >= 0.5)."""
    a = torch.randn(dim, dim, dtype=F64)
    return a @ a.T / dim + 0.5 * torch.eye(dim, dtype=F64)


def _frechet_sqrtm(mu1, s1, mu2, s2) -> float:
    """The usual FID formula with scipy.linalg.sqrtm, in float64 (accurate on well-conditioned inputs)."""
    mu1, s1, mu2, s2 = (np.asarray(torch.as_tensor(a).to(F64)) for a in (mu1, s1, mu2, s2))
    covmean = scipy.linalg.sqrtm(s1 @ s2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean).real)


# =============================================================================================
# frechet_distance
# =============================================================================================
@test(points=0.5, functions=["metrics.frechet_distance"], visibility="visible",
      clauses=["metrics.frechet_distance.value"])
def frechet_distance_identities(sub, ref):
    """frechet_distance: 0 for identical Gaussians, |μ1 − μ2|² for equal covariances, 1-D closed form."""
    mu1, mu2, sigma = torch.randn(5, dtype=F64), torch.randn(5, dtype=F64), _spd(5)
    got = check.number(sub.metrics.frechet_distance(mu1, sigma, mu1, sigma), what="frechet_distance(p, p)")
    check.close(got, 0.0, atol=1e-8, what="Fréchet distance of a Gaussian to itself",
                why="the contract's 1e-8 absolute tolerance")
    got = check.number(sub.metrics.frechet_distance(mu1, sigma, mu2, sigma), what="frechet_distance, equal covariances")
    check.close(got, float(((mu1 - mu2) ** 2).sum()), atol=1e-8, rtol=1e-6,
                what="Fréchet distance with equal covariances", why="the contract's tolerance")
    # 1-D: (m1 - m2)² + (s1 - s2)².
    got = check.number(sub.metrics.frechet_distance(np.array([0.5]), np.array([[4.0]]), np.array([-1.0]),
                                                    np.array([[0.25]])), what="frechet_distance in 1-D (NumPy)")
    check.close(got, 1.5**2 + 1.5**2, atol=1e-8, rtol=1e-6, what="1-D Fréchet distance", why="the contract's tolerance")


@test(points=2, functions=["metrics.frechet_distance"], clauses=["metrics.frechet_distance.value"])
def frechet_distance_vs_scipy_sqrtm(sub, ref):
    """frechet_distance agrees with the scipy.linalg.sqrtm formula (tensors, arrays, float32 with cancellation)."""
    d = 6
    mu1, mu2, s1, s2 = torch.randn(d, dtype=F64), torch.randn(d, dtype=F64), _spd(d), _spd(d)
    want = _frechet_sqrtm(mu1, s1, mu2, s2)
    for label, args in [("float64 tensors", (mu1, s1, mu2, s2)),
                        ("NumPy arrays", tuple(a.numpy() for a in (mu1, s1, mu2, s2)))]:
        got = check.number(sub.metrics.frechet_distance(*args), what=f"frechet_distance ({label})")
        check.close(got, want, atol=1e-8, rtol=1e-6, what=f"Fréchet distance ({label})",
                    why="the contract's tolerance; sqrtm is accurate to ~1e-12 here")
    # float32 inputs close to each other: the distance (~1e-3) is a small difference of traces (~10),
    # so it is only right if computed in float64 (float32 would be off by ~1e-6 · 10 = 1e-5).
    a = _spd(d)
    m1 = torch.randn(d).float()
    m2 = (m1.double() + 0.01 * torch.randn(d, dtype=F64)).float()
    c1, c2 = a.float(), (a + 0.02 * _spd(d)).float()
    want = _frechet_sqrtm(m1, c1, m2, c2)  # exact on the float32 values, in float64
    got = check.number(sub.metrics.frechet_distance(m1, c1, m2, c2), what="frechet_distance (float32 tensors)")
    check.close(got, want, atol=1e-8, rtol=1e-6, what="Fréchet distance of nearby float32 Gaussians",
                why="the contract: computed in float64, within 1e-6 relative")


@test(points=1, functions=["metrics.frechet_distance"], clauses=["metrics.frechet_distance.singular"])
def frechet_distance_singular(sub, ref):
    """frechet_distance is finite, ≥ 0 and right on singular (rank-deficient) covariances."""
    d = 8
    rotation, _ = torch.linalg.qr(torch.randn(d, d, dtype=F64))  # (D, D) orthogonal
    a = torch.tensor([3.0, 1.0, 0.5, 0, 0, 0, 0, 0], dtype=F64)  # rank 3
    b = torch.tensor([0.0, 2.0, 0.5, 1.0, 0, 0, 0, 0], dtype=F64)  # rank 3
    s1, s2 = rotation @ torch.diag(a) @ rotation.T, rotation @ torch.diag(b) @ rotation.T  # commuting
    mu1, mu2 = torch.randn(d, dtype=F64), torch.randn(d, dtype=F64)
    # Commuting covariances: the cross term is sum sqrt(a_i b_i), so the distance is exact:
    want = float(((mu1 - mu2) ** 2).sum() + ((a.sqrt() - b.sqrt()) ** 2).sum())
    got = check.number(sub.metrics.frechet_distance(mu1, s1, mu2, s2), what="frechet_distance (singular covariances)")
    # Round-off eigenvalues of about ±1e-16 in the null spaces, clamped, contribute sqrt(1e-16) = 1e-8
    # each: 16 of them, twice, bound the error by ~3e-7.
    check.close(got, want, atol=1e-6, what="Fréchet distance with rank-3 covariances in 8-D",
                why="sqrt of clamped round-off eigenvalues (1e-8 each)")
    # A singular Gaussian against itself: the exact value 0 is approached from below by round-off, so
    # the result must be clamped at 0 (three covariances: ranks 3, 3 and 1).
    v = torch.randn(d, 1, dtype=F64)
    for label, sigma in [("rank 3", s1), ("rank 3", s2), ("rank 1", v @ v.T)]:
        got = check.number(sub.metrics.frechet_distance(mu1, sigma, mu1, sigma),
                           what=f"frechet_distance(p, p), {label} covariance")
        check.true(0.0 <= got <= 1e-6, f"the Fréchet distance of a singular Gaussian ({label}) to itself is "
                   f"{got:.3g}; it must be clamped at 0 and below 1e-6")


# =============================================================================================
# inception_score
# =============================================================================================
def _inception_oracle(probs: np.ndarray, num_splits: int) -> tuple[float, float]:
    """NumPy oracle: per split exp(mean KL(p(y|x) || p(y))), rel_entr gives 0 log 0 = 0; population std."""
    n = probs.shape[0]
    scores = []
    for i in range(num_splits):
        part = probs[i * n // num_splits:(i + 1) * n // num_splits]
        scores.append(math.exp(special.rel_entr(part, part.mean(0, keepdims=True)).sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def _class_probs(n: int, c: int) -> torch.Tensor:
    """(n, c) float64 rows of class probabilities, sharp and varied, with some exact zeros."""
    logits = torch.randn(n, c, dtype=F64) * 2.5
    probs = torch.softmax(logits, 1)
    probs[torch.rand(n, c) < 0.15] = 0.0  # exact zeros: 0 log 0 = 0
    probs[torch.arange(n), torch.randint(0, c, (n,))] += 0.05  # no all-zero row
    return probs / probs.sum(1, keepdim=True)


@test(points=0.5, functions=["metrics.inception_score"], visibility="visible",
      clauses=["metrics.inception_score.value"])
def inception_score_closed_forms(sub, ref):
    """inception_score: identical rows give 1; C balanced one-hot classes give C."""
    row = torch.softmax(torch.randn(10, dtype=F64), 0)
    got = check.sequence(sub.metrics.inception_score(row.expand(37, 10).clone()), 2, what="inception_score")
    check.close(check.number(got[0], what="the score"), 1.0, atol=1e-12, what="score of identical rows",
                why="float64 round-off")
    check.close(check.number(got[1], what="the std"), 0.0, atol=1e-12, what="std with one split", why="exact")
    one_hot = torch.eye(7, dtype=F64).repeat(6, 1)  # (42, 7): every class 6 times
    got = check.sequence(sub.metrics.inception_score(one_hot, num_splits=2), 2, what="inception_score(one-hot)")
    check.close(check.number(got[0], what="the score"), 7.0, atol=1e-10, rtol=1e-12,
                what="score of balanced one-hot rows (two splits of 21)", why="float64 round-off")


@test(points=2, functions=["metrics.inception_score"], clauses=["metrics.inception_score.value"])
def inception_score_vs_oracle(sub, ref):
    """inception_score agrees with a NumPy oracle for 1, 4 and 7 uneven splits (float64 and float32)."""
    probs = _class_probs(97, 10)
    for splits in (1, 4, 7):
        want = _inception_oracle(probs.numpy(), splits)
        got = check.sequence(sub.metrics.inception_score(probs, num_splits=splits), 2,
                             what=f"inception_score(num_splits={splits})")
        check.close(check.number(got[0], what="the mean score"), want[0], atol=1e-10, rtol=1e-10,
                    what=f"mean Inception score over {splits} splits", why="float64 round-off")
        check.close(check.number(got[1], what="the std"), want[1], atol=1e-10, rtol=1e-9,
                    what=f"population std of the score over {splits} splits", why="float64 round-off")
    probs32 = probs.float()
    want = _inception_oracle(probs32.double().numpy(), 4)
    got = check.sequence(sub.metrics.inception_score(probs32, num_splits=4), 2, what="inception_score (float32)")
    check.close(check.number(got[0], what="the mean score"), want[0], atol=1e-5, rtol=1e-5,
                what="mean Inception score from float32 probabilities", why="float32 round-off")


# =============================================================================================
# precision_recall
# =============================================================================================
def _coverage_bounds(points: np.ndarray, centres: np.ndarray, k: int, slack: float) -> tuple[float, float]:
    """Fraction of points inside a k-NN ball of the centres, with radii shrunk and grown by `slack`:
    any correct computation within `slack` of the exact distances lies between the two values."""
    d_cc = cdist(centres, centres)
    np.fill_diagonal(d_cc, np.inf)  # a centre is not its own neighbour; duplicates are
    radius = np.sort(d_cc, axis=1)[:, k - 1]
    d_pc = cdist(points, centres)
    low = float(np.mean(np.any(d_pc <= radius - slack, axis=1)))
    high = float(np.mean(np.any(d_pc <= radius + slack, axis=1)))
    return low, high


def _check_precision_recall(got, real: torch.Tensor, fake: torch.Tensor, k: int, slack: float, label: str) -> None:
    precision, recall = check.sequence(got, 2, what=f"precision_recall ({label})")
    r, f = real.double().numpy(), fake.double().numpy()
    for name, value, (low, high) in [("precision", precision, _coverage_bounds(f, r, k, slack)),
                                     ("recall", recall, _coverage_bounds(r, f, k, slack))]:
        value = check.number(value, what=name)
        check.true(low - 1e-12 <= value <= high + 1e-12,
                   f"{name} ({label}, k = {k}) is {value:.4f}, expected {low:.4f}"
                   + ("" if high == low else f" to {high:.4f} (points within round-off of a ball's edge)"))


@test(points=2, functions=["metrics.precision_recall"], clauses=["metrics.precision_recall.value"])
def precision_recall_vs_brute_force(sub, ref):
    """precision_recall agrees with brute-force k-NN balls (float64 and float32, k = 3 and 5)."""
    real = torch.randn(97, 3, dtype=F64)
    fake = 1.3 * torch.randn(61, 3, dtype=F64) + torch.tensor([0.7, 0.0, -0.3], dtype=F64)
    # slack: distances of order 1 carry round-off of 1e-12 in float64 and 1e-5 in float32 (cdist via
    # matrix products); a point closer than that to a ball's edge may count either way.
    for dtype, slack in [(F64, 1e-12), (torch.float32, 1e-5)]:
        for k in (3, 5):
            got = sub.metrics.precision_recall(real.to(dtype), fake.to(dtype), k=k)
            _check_precision_recall(got, real.to(dtype), fake.to(dtype), k, slack, f"{dtype}")


@test(points=1, functions=["metrics.precision_recall"],
      clauses=["metrics.precision_recall.duplicates", "metrics.precision_recall.value"])
def precision_recall_duplicates(sub, ref):
    """precision_recall counts duplicates as other points (radius 0) and a point on a ball's edge as inside."""
    base = torch.randn(6, 2, dtype=F64) * 3
    real = torch.cat([base, base])  # (12, 2): every point twice, so with k = 1 every radius is 0
    # (10, 2): 4 exact copies of real points, 2 points 0.05 away from one (outside its radius-0 ball
    # at k = 1, inside if duplicates were not counted as neighbours), 4 far points.
    fake = torch.cat([base[:4], base[4:6] + 0.05 * torch.nn.functional.normalize(torch.randn(2, 2, dtype=F64), dim=1),
                      torch.randn(4, 2, dtype=F64) * 3 + 20])
    # k = 1: every real radius is exactly 0 and the copies sit at distance exactly 0 (no slack).
    # k = 2: a copy of a real point can sit exactly on another ball's edge; either count is accepted.
    for k, slack in [(1, 0.0), (2, 1e-9)]:
        _check_precision_recall(sub.metrics.precision_recall(real, fake, k=k), real, fake, k, slack,
                                "real points duplicated")
    got = check.sequence(sub.metrics.precision_recall(real, fake, k=1), 2, what="precision_recall")
    check.close(check.number(got[0], what="precision"), 0.4, atol=1e-12,
                what="precision with k = 1 (4 of 10 fake points sit on a duplicated real point)",
                why="exact: distance 0 <= radius 0")


@test(points=0.5, functions=["metrics.precision_recall"], visibility="visible",
      clauses=["metrics.precision_recall.value"])
def precision_recall_identical_sets(sub, ref):
    """precision_recall of a set against itself is (1, 1)."""
    x = torch.randn(23, 4)
    got = check.sequence(sub.metrics.precision_recall(x, x.clone(), k=3), 2, what="precision_recall(x, x)")
    for name, value in zip(("precision", "recall"), got):
        check.close(check.number(value, what=name), 1.0, atol=1e-12, what=f"{name} of a set against itself",
                    why="exact: every point is at distance 0 of its copy")


# =============================================================================================
# mmd_rbf
# =============================================================================================
def _mmd_direct(x: np.ndarray, y: np.ndarray, bandwidth: float) -> float:
    """Unbiased MMD² by explicit sums over pairs (i != i', j != j', all (i, j)), in float64."""
    def k(a, b):
        return math.exp(-float(((a - b) ** 2).sum()) / (2 * bandwidth**2))

    n, m = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return xx + yy - 2 * xy


@test(points=2, functions=["metrics.mmd_rbf"], timeout=60,
      clauses=["metrics.mmd_rbf.value"])
def mmd_rbf_vs_direct_sum(sub, ref):
    """mmd_rbf is the unbiased MMD² (diagonal terms left out), checked against explicit pair sums."""
    x = torch.randn(41, 3, dtype=F64)
    y = 1.2 * torch.randn(29, 3, dtype=F64) + 0.4
    for bandwidth in (1.3, 0.6):
        want = _mmd_direct(x.numpy(), y.numpy(), bandwidth)
        got = check.number(sub.metrics.mmd_rbf(x, y, bandwidth), what=f"mmd_rbf(bandwidth={bandwidth})")
        check.close(got, want, atol=1e-12, rtol=1e-9, what=f"unbiased MMD² (bandwidth {bandwidth})",
                    why="float64 round-off of sums of ~2,000 kernel values")
    got = check.number(sub.metrics.mmd_rbf(x.float(), y.float(), 1.3), what="mmd_rbf (float32)")
    want = _mmd_direct(x.float().double().numpy(), y.float().double().numpy(), 1.3)
    check.close(got, want, atol=1e-5, rtol=1e-4, what="unbiased MMD² from float32 inputs",
                why="float32 round-off of kernel values of order 1, averaged")


@test(points=0.5, functions=["metrics.mmd_rbf"], visibility="visible", clauses=["metrics.mmd_rbf.value"])
def mmd_rbf_point_masses(sub, ref):
    """mmd_rbf of N copies of a and M copies of b is 2 − 2 exp(−|a − b|² / (2 h²))."""
    a, b, h = torch.tensor([0.5, -1.0], dtype=F64), torch.tensor([1.5, 0.0], dtype=F64), 0.8
    got = check.number(sub.metrics.mmd_rbf(a.expand(9, 2).clone(), b.expand(6, 2).clone(), h),
                       what="mmd_rbf of two point masses")
    check.close(got, 2 - 2 * math.exp(-2.0 / (2 * h * h)), atol=1e-12, what="MMD² of two point masses",
                why="float64 round-off")


@test(points=0.5, functions=["metrics.mmd_rbf"], clauses=["metrics.mmd_rbf.raises_sizes"])
def mmd_rbf_rejects_single_points(sub, ref):
    """mmd_rbf raises ValueError when x or y has fewer than 2 rows (and accepts 2 rows)."""
    check.number(sub.metrics.mmd_rbf(torch.randn(2, 2), torch.randn(2, 2), 1.0), what="mmd_rbf on 2 rows")
    check.raises(ValueError, sub.metrics.mmd_rbf, torch.randn(1, 2), torch.randn(5, 2), 1.0)
    check.raises(ValueError, sub.metrics.mmd_rbf, torch.randn(5, 2), torch.randn(1, 2), 1.0)


# =============================================================================================
# Clause tests (issue 18): defaults and the argument checks no test covered. Each names the clauses
# of CLAUSES.md it checks.
# =============================================================================================
@test(points=0.5, functions=["metrics.inception_score", "metrics.precision_recall", "metrics.mmd_rbf"],
      clauses=["metrics.inception_score.raises", "metrics.precision_recall.raises", "metrics.mmd_rbf.raises_bandwidth"])
def metrics_reject_bad_arguments(sub, ref):
    """inception_score, precision_recall and mmd_rbf raise ValueError on the arguments their docstrings name.

    Each function must first return a value on valid arguments, so a function that always raises earns nothing."""
    probs = torch.softmax(torch.randn(6, 3, dtype=torch.float64), dim=1)
    real, fake = torch.randn(6, 2), torch.randn(5, 2)
    for got, what in ((sub.metrics.inception_score(probs, 3), "inception_score(probs, 3)"),
                      (sub.metrics.precision_recall(real, fake, 3), "precision_recall(real, fake, 3)")):
        for value in check.sequence(got, 2, what=what):
            check.number(value, what=what)
    check.number(sub.metrics.mmd_rbf(real, fake, 1.0), what="mmd_rbf(x, y, 1.0)")
    check.raises(ValueError, sub.metrics.inception_score, probs, 0)
    check.raises(ValueError, sub.metrics.inception_score, probs, 7)
    check.raises(ValueError, sub.metrics.precision_recall, real, fake, 0)
    check.raises(ValueError, sub.metrics.precision_recall, real, fake, 5)
    check.raises(ValueError, sub.metrics.mmd_rbf, real, fake, 0.0)
    check.raises(ValueError, sub.metrics.mmd_rbf, real, fake, -1.0)


@test(points=0.5, functions=["metrics.inception_score", "metrics.precision_recall"],
      clauses=["metrics.inception_score.num_splits_default", "metrics.precision_recall.k_default"])
def metrics_defaults(sub, ref):
    """inception_score's num_splits defaults to 1 and precision_recall's k to 3."""
    probs = torch.softmax(2 * torch.randn(40, 5, dtype=torch.float64), dim=1)
    probes.default_is(sub, "metrics.inception_score", None, [probs], "num_splits", 1, what="inception_score(probs)")
    # Real points 1 apart on a line: interior radii are 2 for k = 3 and 3 for k = 5, so the fake points 2.5 to
    # 2.6 away from the line are outside every k = 3 ball and inside k = 5 balls: the value depends on k.
    real = torch.tensor([[float(i), 0.0] for i in range(10)], dtype=torch.float64)
    fake = torch.tensor([[4.5, 2.5], [4.5, -2.5], [2.0, 0.5], [7.0, 0.5], [3.5, 2.6], [5.5, -2.6]],
                        dtype=torch.float64)
    probes.default_is(sub, "metrics.precision_recall", None, [real, fake], "k", 3, what="precision_recall(real, fake)")
    # The defaults must change something for the comparison to mean anything: other settings give other values.
    a = sub.metrics.inception_score(probs, 4)
    b = sub.metrics.inception_score(probs)
    check.true(a != b, "test misconfigured: 4 splits give the same score as 1")
