"""Week 1, alternative correct implementation: sample-quality metrics.

A second, independent implementation of the graded functions of `metrics.py`
(contract: the docstrings of solutions/week1_mle_sampling/metrics.py), in NumPy/SciPy float64: matrix square roots through
symmetric eigendecompositions, exact pairwise distances through `scipy.spatial`,
and explicit loops over splits.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.spatial.distance
import scipy.special
import torch


def _as_float64(a, name: str) -> np.ndarray:
    """A tensor, array or number as a float64 NumPy array."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().to(torch.float64).numpy()
    out = np.asarray(a, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must be finite")
    return out


def _as_points(a, name: str) -> np.ndarray:
    """(N, D) float64 points; a 1-D input is N points in one dimension."""
    out = _as_float64(a, name)
    if out.ndim == 1:
        out = out[:, None]  # (N, 1)
    if out.ndim != 2:
        raise ValueError(f"{name} must have shape (N, D), got {out.shape}")
    return out


def _psd_sqrt(sym: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix, by eigh; negative rounding clipped."""
    eigvals, eigvecs = scipy.linalg.eigh(0.5 * (sym + sym.T))
    root = np.sqrt(np.clip(eigvals, 0.0, None))
    return (eigvecs * root) @ eigvecs.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2).

    ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2), in float64, clamped at 0.
    mu: (D,), sigma: (D, D), tensors or arrays. Returns a float.
    """
    m1 = np.atleast_1d(_as_float64(mu1, "mu1"))
    m2 = np.atleast_1d(_as_float64(mu2, "mu2"))
    s1 = np.atleast_2d(_as_float64(sigma1, "sigma1"))
    s2 = np.atleast_2d(_as_float64(sigma2, "sigma2"))
    dim = m1.shape[0]
    if m2.shape != (dim,) or s1.shape != (dim, dim) or s2.shape != (dim, dim):
        raise ValueError(f"mu1, mu2 must be ({dim},) and sigma1, sigma2 ({dim}, {dim})")
    root1 = _psd_sqrt(s1)  # (D, D)
    middle = root1 @ (0.5 * (s2 + s2.T)) @ root1  # (D, D), symmetric PSD
    middle_eigs = scipy.linalg.eigvalsh(0.5 * (middle + middle.T))
    trace_cross = float(np.sum(np.sqrt(np.clip(middle_eigs, 0.0, None))))
    diff = m1 - m2
    value = float(diff @ diff) + float(np.trace(s1)) + float(np.trace(s2)) - 2.0 * trace_cross
    return max(value, 0.0)


def inception_score(probs, num_splits: int = 1) -> tuple[float, float]:
    """Inception score exp(E_x KL(p(y|x) || p(y))) per split; mean and population std over splits.

    probs: (N, C) class probabilities. Split i is rows i N // S to (i + 1) N // S.
    Returns (mean, std) floats.
    """
    p = _as_float64(probs, "probs")
    if p.ndim != 2:
        raise ValueError(f"probs must have shape (N, C), got {p.shape}")
    n = p.shape[0]
    num_splits = int(num_splits)
    if num_splits < 1 or num_splits > n:
        raise ValueError(f"num_splits must lie in [1, {n}], got {num_splits}")
    scores = []
    for i in range(num_splits):
        part = p[i * n // num_splits : (i + 1) * n // num_splits]  # (n_i, C)
        marginal = part.mean(axis=0)  # (C,)
        # KL(p(y|x) || p(y)) per row, with 0 log 0 = 0 (xlogy)
        kl_rows = np.sum(scipy.special.xlogy(part, part) - scipy.special.xlogy(part, marginal), axis=1)
        scores.append(float(np.exp(np.mean(kl_rows))))
    scores_arr = np.asarray(scores)
    return float(scores_arr.mean()), float(np.sqrt(np.mean((scores_arr - scores_arr.mean()) ** 2)))


def _kth_neighbour_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its k-th nearest other point (by index; duplicates count).

    points: (N, D). Returns (N,).
    """
    dist = scipy.spatial.distance.cdist(points, points)  # (N, N)
    np.fill_diagonal(dist, np.inf)  # a point is not its own neighbour
    return np.partition(dist, k - 1, axis=1)[:, k - 1]


def _coverage(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Fraction of queries within distance <= radius of some centre.

    queries: (M, D), centres: (N, D), radii: (N,).
    """
    inside = scipy.spatial.distance.cdist(queries, centres) <= radii[None, :]  # (M, N)
    return float(np.mean(np.any(inside, axis=1)))


def precision_recall(real, fake, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019) with k-NN balls.

    real: (N, D), fake: (M, D). Returns (precision, recall) floats.
    """
    r = _as_points(real, "real")
    f = _as_points(fake, "fake")
    if r.shape[1] != f.shape[1]:
        raise ValueError(f"real and fake must have the same dimension, got {r.shape[1]} and {f.shape[1]}")
    k = int(k)
    if k < 1 or k > min(r.shape[0], f.shape[0]) - 1:
        raise ValueError(f"k must lie in [1, min(N, M) - 1], got {k}")
    precision = _coverage(f, r, _kth_neighbour_radii(r, k))
    recall = _coverage(r, f, _kth_neighbour_radii(f, k))
    return precision, recall


def mmd_rbf(x, y, bandwidth: float) -> float:
    """Unbiased estimate of MMD^2 with the kernel exp(-||a - b||^2 / (2 bandwidth^2)).

    x: (N, D), y: (M, D) with N, M >= 2. Returns a float.
    """
    a = _as_points(x, "x")
    b = _as_points(y, "y")
    if a.shape[0] < 2:
        raise ValueError(f"x must hold at least 2 points, got {a.shape[0]}")
    if b.shape[0] < 2:
        raise ValueError(f"y must hold at least 2 points, got {b.shape[0]}")
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be > 0, got {bandwidth}")
    scale = -0.5 / float(bandwidth) ** 2
    n, m = a.shape[0], b.shape[0]

    k_xx = np.exp(scale * scipy.spatial.distance.cdist(a, a, "sqeuclidean"))  # (N, N)
    k_yy = np.exp(scale * scipy.spatial.distance.cdist(b, b, "sqeuclidean"))  # (M, M)
    k_xy = np.exp(scale * scipy.spatial.distance.cdist(a, b, "sqeuclidean"))  # (N, M)
    # Off-diagonal sums: the diagonal of k_xx and k_yy is exp(0) = 1.
    term_xx = (k_xx.sum() - np.trace(k_xx)) / (n * (n - 1))
    term_yy = (k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(term_xx + term_yy - 2.0 * k_xy.mean())
