"""Week 1, part 3: sample-based evaluation metrics for generative models.

This file implements the metrics used to compare samples with data when likelihoods are
out of reach:

- the Fréchet distance between two Gaussians, the core of FID (Heusel et al., 2017,
  "GANs trained by a two time-scale update rule converge to a local Nash equilibrium");
- the Inception score (Salimans et al., 2016, "Improved techniques for training GANs"),
  with the splits and the population standard deviation of the original code;
- improved precision and recall with k-nearest-neighbour balls (Kynkäänniemi et al., 2019,
  "Improved precision and recall metric for assessing generative models");
- the unbiased estimate of the squared maximum mean discrepancy with an RBF kernel
  (Gretton et al., 2012, "A kernel two-sample test").

Each metric returns Python floats. The inputs are float tensors in float32 or float64
(``frechet_distance`` also takes NumPy arrays).

Write the functions in this order:
  1. frechet_distance   2. inception_score   3. precision_recall   4. mmd_rbf
"""
from typing import Tuple

import numpy as np
import torch


def _as_float64(a) -> torch.Tensor:
    """A tensor or an array as a float64 CPU tensor (a copy never shares autograd history)."""
    if isinstance(a, torch.Tensor):
        return a.detach().to(device="cpu", dtype=torch.float64)
    return torch.as_tensor(np.asarray(a, dtype=np.float64))


def _psd_sqrt(a: torch.Tensor) -> torch.Tensor:
    """Symmetric PSD square root of a symmetric matrix, negative eigenvalues clamped at 0.

    a: (D, D) float  ->  (D, D) float
    """
    eigenvalues, eigenvectors = torch.linalg.eigh(0.5 * (a + a.T))     # (D,), (D, D)
    root = eigenvalues.clamp(min=0.0).sqrt()                           # (D,)
    return (eigenvectors * root) @ eigenvectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2), squared.

    Args:
        mu1, mu2: (D,) tensors or arrays.
        sigma1, sigma2: (D, D) tensors or arrays, symmetric positive semi-definite.

    Returns:
        float >= 0: ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}).
    """
    # TODO:
    # - compute in float64 (use _as_float64 on every input);
    # - tr((S1^{1/2} S2 S1^{1/2})^{1/2}) = sum of the square roots of the eigenvalues of the
    #   symmetric PSD matrix S1^{1/2} S2 S1^{1/2}; _psd_sqrt gives S1^{1/2} robustly, and
    #   eigenvalues that round-off makes negative must be clamped at 0;
    # - must hold: 0 for identical Gaussians, ||mu1 - mu2||^2 for equal covariances,
    #   finite and >= 0 for singular covariances (clamp the result at 0).
    raise NotImplementedError


def inception_score(probs: torch.Tensor, num_splits: int = 1) -> Tuple[float, float]:
    """Inception score exp(E_x KL(p(y|x) || p(y))), its mean and std over splits.

    Args:
        probs: (N, C) float, rows are the class probabilities p(y|x) of the N samples.
        num_splits: S, 1 <= S <= N. Split i holds rows i*N//S to (i+1)*N//S.

    Returns:
        (mean, std) as floats: the mean and the population standard deviation (divide by S)
        of the per-split scores.

    Raises:
        ValueError: if num_splits is not in [1, N].
    """
    # TODO:
    # - per split: p(y) = mean of the split's rows; KL_n = sum_y p(y|x_n) (log p(y|x_n) - log p(y))
    #   with 0 log 0 = 0 (torch.xlogy); score = exp(mean_n KL_n);
    # - must hold: identical rows give 1; C balanced one-hot classes give C.
    raise NotImplementedError


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> Tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al., 2019).

    Each real point gets a ball whose radius is its distance to its k-th nearest other real
    point (a duplicate is another point, at distance 0). Precision is the fraction of fake
    points inside at least one real ball (distance <= radius); recall swaps the roles.

    Args:
        real: (N, D) float.
        fake: (M, D) float.
        k: the neighbour rank, 1 <= k < min(N, M).

    Returns:
        (precision, recall) as floats in [0, 1].

    Raises:
        ValueError: if k < 1 or k >= min(N, M).
    """
    # TODO:
    # - pairwise distances with torch.cdist(..., compute_mode="donot_use_mm_for_euclid_dist")
    #   (the matrix-product shortcut makes duplicates look slightly apart);
    # - radius_i = k-th smallest distance from point i to the other points of its own set:
    #   put +inf on the diagonal (excludes the point itself only), then torch.kthvalue;
    # - precision = mean over fake j of [min_i (d(fake_j, real_i) - radius_i) <= 0].
    raise NotImplementedError


def mmd_rbf(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> float:
    """Unbiased estimate of MMD^2 between the distributions of x and y (Gretton et al., 2012).

    Kernel: k(a, b) = exp(-||a - b||^2 / (2 bandwidth^2)).

    Args:
        x: (N, D) float, N >= 2.
        y: (M, D) float, M >= 2.
        bandwidth: > 0.

    Returns:
        float: mean_{i != i'} k(x_i, x_i') + mean_{j != j'} k(y_j, y_j') - 2 mean_{i, j} k(x_i, y_j).
        It can be slightly negative when the distributions are equal.

    Raises:
        ValueError: if N < 2, M < 2 or bandwidth <= 0.
    """
    # TODO:
    # - the within-set means leave out the diagonal (i = i'): divide the off-diagonal sum by
    #   N (N - 1); the cross term averages all N M pairs;
    # - must hold: x = N copies of a point a and y = M copies of b give exactly
    #   2 - 2 exp(-||a - b||^2 / (2 bandwidth^2)).
    raise NotImplementedError
