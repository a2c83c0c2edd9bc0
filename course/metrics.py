"""The Fréchet distance for the notebooks and bench scripts: one implementation of week 1's recipe.

    from course.metrics import feature_frechet_distance
    fd = feature_frechet_distance(digit_features(samples), digit_features(real))   # float >= 0

The Fréchet (2-Wasserstein) distance between N(mu1, S1) and N(mu2, S2), squared, is (Dowson & Landau,
1982; the core of FID, Heusel et al., 2017)

    ||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr((S1^{1/2} S2 S1^{1/2})^{1/2}).

The usual code takes the real part of `scipy.linalg.sqrtm(S1 @ S2)`. S1 S2 is not symmetric, so its
computed square root carries imaginary round-off, and nothing keeps the result from going negative (for
two identical 64-dimensional covariances of 30 samples, scipy 1.17 gives about -1e-6). Week 1's `frechet_distance`
teaches the symmetric recipe instead, and this module is that recipe: in float64, S1^{1/2} is the
symmetric PSD square root from `eigh`, the trace term is the sum of the square roots of the eigenvalues
of the symmetric PSD matrix S1^{1/2} S2 S1^{1/2} (the same non-zero eigenvalues as S1 S2), eigenvalues
that round-off makes negative are clamped at 0, and so is the result.
"""

from __future__ import annotations

# release: answers week1_mle_sampling metrics.frechet_distance
# This module is the answer to week 1's graded `frechet_distance`: tools/release.py ships it only in the student
# bundles of week 2 on, once week 1 is due (the notebooks of weeks 3 and 4 import it).

import numpy as np
import torch


def _float64(a) -> torch.Tensor:
    """A tensor or an array as a float64 CPU tensor, detached from any autograd graph."""
    if isinstance(a, torch.Tensor):
        return a.detach().to(device="cpu", dtype=torch.float64)
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _symmetric_eigenvalues(a: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of the symmetric part of a square matrix, negative ones clamped at 0: (D, D) -> (D,)."""
    return torch.linalg.eigvalsh(0.5 * (a + a.T)).clamp(min=0.0)


def psd_sqrt(a: torch.Tensor) -> torch.Tensor:
    """The symmetric PSD square root of a symmetric PSD matrix, by eigendecomposition.

    a: (D, D) float64. Eigenvalues below 0 (round-off) are treated as 0. Returns (D, D) float64.
    """
    eigenvalues, eigenvectors = torch.linalg.eigh(0.5 * (a + a.T))     # (D,), (D, D) columns
    return (eigenvectors * eigenvalues.clamp(min=0.0).sqrt()) @ eigenvectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    mu1, mu2: (D,) tensors or arrays; sigma1, sigma2: (D, D) symmetric PSD, tensors or arrays, any float
    dtype (computed in float64). Returns a float >= 0: 0 for identical Gaussians, ||mu1 - mu2||^2 for
    equal covariances, finite for singular covariances.
    """
    mu1, sigma1, mu2, sigma2 = (_float64(a) for a in (mu1, sigma1, mu2, sigma2))
    root1 = psd_sqrt(sigma1)                                           # (D, D) = S1^{1/2}
    # tr((S1^{1/2} S2 S1^{1/2})^{1/2}): the sum of the square roots of that symmetric PSD matrix's eigenvalues.
    trace_root = _symmetric_eigenvalues(root1 @ sigma2 @ root1).sqrt().sum()
    distance = (mu1 - mu2).pow(2).sum() + sigma1.trace() + sigma2.trace() - 2.0 * trace_root
    return max(float(distance), 0.0)


def gaussian_fit(features) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance (unbiased, divisor N - 1) of a feature set, in float64.

    features: (N, F) tensor or array, N >= 2. Returns ((F,), (F, F)) float64 tensors.
    """
    x = _float64(features)
    if x.dim() != 2 or x.shape[0] < 2:
        raise ValueError(f"features must be (N, F) with N >= 2, got shape {tuple(x.shape)}")
    return x.mean(dim=0), torch.cov(x.T)                               # (F,), (F, F)


def feature_frechet_distance(features_1, features_2) -> float:
    """Fréchet distance between the Gaussian fits of two feature sets (the FID recipe).

    features_1: (N1, F), features_2: (N2, F) tensors or arrays (e.g. `digit_features` of images).
    Returns a float >= 0.
    """
    return frechet_distance(*gaussian_fit(features_1), *gaussian_fit(features_2))
