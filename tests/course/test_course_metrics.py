"""course.metrics: the Fréchet distance against independent oracles.

- Gaussians whose covariances commute (S1 = Q diag(a) Q^T, S2 = Q diag(b) Q^T) have the closed form
  ||mu1 - mu2||^2 + sum_i (sqrt(a_i) - sqrt(b_i))^2, including singular ones (zero eigenvalues);
- on well-conditioned, non-commuting covariances, scipy.linalg.sqrtm's formula is accurate in float64;
- the feature-set version is the Gaussian-parameter version on numpy's mean and covariance.
"""
import math

import numpy as np
import pytest
import scipy.linalg
import torch

from course.metrics import feature_frechet_distance, frechet_distance, gaussian_fit, psd_sqrt


def _rotation(rng: np.random.Generator, dim: int) -> np.ndarray:
    """A random orthogonal (dim, dim) matrix (QR of a Gaussian matrix)."""
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)))
    return q * np.sign(np.diag(r))


def _commuting_pair(rng, dim, zeros=0):
    """Covariances with common eigenvectors; the first `zeros` eigenvalues of each are exactly 0."""
    q = _rotation(rng, dim)
    a, b = rng.uniform(0.01, 4.0, dim), rng.uniform(0.01, 4.0, dim)
    a[:zeros], b[zeros // 2: zeros // 2 + zeros] = 0.0, 0.0
    return q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T, a, b


def _sqrtm_formula(mu1, s1, mu2, s2) -> float:
    """The usual FID formula with scipy's general matrix square root, in float64."""
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


@pytest.mark.parametrize("dim, zeros", [(1, 0), (5, 0), (64, 0), (64, 10)])
def test_commuting_covariances_match_the_closed_form(dim, zeros):
    rng = np.random.default_rng(dim + zeros)
    s1, s2, a, b = _commuting_pair(rng, dim, zeros)
    mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
    want = float(((mu1 - mu2) ** 2).sum() + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum())
    got = frechet_distance(mu1, s1, mu2, s2)
    # float64 eigendecompositions of matrices with entries O(4): round-off about 1e-13 per entry; a zero
    # eigenvalue computed as +-1e-15 has a square root of 3e-8, so singular cases get 1e-6.
    assert abs(got - want) < (1e-6 if zeros else 1e-9) * (1 + want), f"{got} against the closed form {want}"


def test_matches_scipy_on_well_conditioned_covariances():
    rng = np.random.default_rng(7)
    for dim in (3, 16, 64):
        # Wishart-like covariances with 4 dim samples: eigenvalues within a factor of about 10.
        x1, x2 = rng.normal(size=(4 * dim, dim)), rng.normal(size=(4 * dim, dim)) @ np.diag(rng.uniform(0.5, 2, dim))
        s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
        mu1, mu2 = rng.normal(size=dim), rng.normal(size=dim)
        want = _sqrtm_formula(mu1, s1, mu2, s2)
        for args, label in [((mu1, s1, mu2, s2), "arrays"),
                            (tuple(torch.from_numpy(v) for v in (mu1, s1, mu2, s2)), "float64 tensors")]:
            got = frechet_distance(*args)
            assert isinstance(got, float)
            assert abs(got - want) < 1e-9 * (1 + want), f"{label}, D = {dim}: {got} against scipy's {want}"
        # float32 inputs are computed in float64: the same value as the float64 copy of the float32 numbers.
        f32 = [torch.from_numpy(v).float() for v in (mu1, s1, mu2, s2)]
        want32 = _sqrtm_formula(*(v.double().numpy() for v in f32))
        assert abs(frechet_distance(*f32) - want32) < 1e-9 * (1 + want32)


def test_identities_symmetry_and_singular_inputs():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 64))                         # 30 samples in 64 dimensions: rank 29
    mu, s = x.mean(0), np.cov(x, rowvar=False)
    # 35 eigenvalues of S^{1/2} S S^{1/2} are 0, computed as +-1e-14 or so: each adds up to 1e-7 through its
    # square root, so the singular cases are exact to about 35 * 2 * 1e-7 < 1e-5.
    assert 0.0 <= frechet_distance(mu, s, mu, s) < 1e-5
    shift = rng.normal(size=64)
    assert frechet_distance(mu, s, mu + shift, s) == pytest.approx(float((shift ** 2).sum()), abs=1e-5)
    y = rng.normal(size=(40, 64)) * 2
    mu2, s2 = y.mean(0), np.cov(y, rowvar=False)
    d12, d21 = frechet_distance(mu, s, mu2, s2), frechet_distance(mu2, s2, mu, s)
    # Both covariances are singular (rank 29 and 39 of 64): the near-zero eigenvalues' square roots add up to
    # 1e-7 each, as above, and differently in the two orders, so symmetry holds to 1e-5, not to 1e-9 d12
    # (measured: 2.3e-7 apart at d12 = 187 with OMP_NUM_THREADS=1).
    assert math.isfinite(d12) and d12 > 0 and abs(d12 - d21) < 1e-5
    # Point masses: the distance is the squared distance of the means.
    zero = np.zeros((64, 64))
    assert frechet_distance(mu, zero, mu2, zero) == pytest.approx(float(((mu - mu2) ** 2).sum()), rel=1e-12)
    assert frechet_distance(mu, zero, mu, s2) == pytest.approx(float(np.trace(s2)), rel=1e-12)


def test_psd_sqrt_squares_back_and_clamps_round_off():
    rng = np.random.default_rng(5)
    s1, _, a, _ = _commuting_pair(rng, 12, zeros=3)
    root = psd_sqrt(torch.from_numpy(s1))
    assert torch.allclose(root, root.T) and torch.allclose(root @ root, torch.from_numpy(s1), atol=1e-12)
    assert torch.linalg.eigvalsh(root).min() > -1e-7     # PSD, up to the round-off of the zero eigenvalues


def test_feature_version_uses_the_unbiased_gaussian_fit():
    rng = np.random.default_rng(11)
    f1, f2 = rng.normal(size=(97, 8)), rng.normal(size=(53, 8)) + 0.5
    mu, cov = gaussian_fit(torch.from_numpy(f1).float())
    assert mu.dtype == cov.dtype == torch.float64 and mu.shape == (8,) and cov.shape == (8, 8)
    f1_32 = torch.from_numpy(f1).float().double().numpy()
    assert np.allclose(mu.numpy(), f1_32.mean(0), atol=1e-12) and np.allclose(cov.numpy(), np.cov(f1_32, rowvar=False), atol=1e-12)
    want = _sqrtm_formula(f1.mean(0), np.cov(f1, rowvar=False), f2.mean(0), np.cov(f2, rowvar=False))
    assert feature_frechet_distance(f1, f2) == pytest.approx(want, rel=1e-9)
    assert feature_frechet_distance(torch.from_numpy(f1), torch.from_numpy(f2)) == pytest.approx(want, rel=1e-9)
    with pytest.raises(ValueError, match="N >= 2"):
        gaussian_fit(np.zeros((1, 8)))
