"""Public tests of metrics.py: return types, ranges and closed-form special cases."""
import math

import pytest
import torch

from metrics import frechet_distance, inception_score, mmd_rbf, precision_recall


def _spd(D: int) -> torch.Tensor:
    a = torch.randn(D, D, dtype=torch.float64)
    return a @ a.T / D + 0.5 * torch.eye(D, dtype=torch.float64)


# ---------------------------------------------------------------------------------------
# frechet_distance
# ---------------------------------------------------------------------------------------
def test_frechet_distance_identical_is_zero_and_returns_float():
    torch.manual_seed(0)
    mu, sigma = torch.randn(5), _spd(5).float()
    d = frechet_distance(mu, sigma, mu, sigma)
    assert isinstance(d, float)
    assert 0.0 <= d < 1e-6  # 0, up to round-off of a square root of a matrix


def test_frechet_distance_equal_covariances_gives_squared_mean_distance():
    torch.manual_seed(0)
    sigma = _spd(4)
    mu1, mu2 = torch.randn(4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    want = (mu1 - mu2).pow(2).sum().item()
    assert abs(frechet_distance(mu1, sigma, mu2, sigma) - want) < 1e-6 * (1 + want)
    # NumPy arrays are accepted too.
    from_arrays = frechet_distance(mu1.numpy(), sigma.numpy(), mu2.numpy(), sigma.numpy())
    assert abs(from_arrays - want) < 1e-6 * (1 + want)


def test_frechet_distance_diagonal_closed_form():
    # Diagonal covariances commute: the trace term is sum_i (sqrt(a_i) - sqrt(b_i))^2.
    a, b = torch.tensor([1.0, 4.0, 0.25]), torch.tensor([4.0, 1.0, 0.25])
    want = ((a.sqrt() - b.sqrt()) ** 2).sum().item()  # = 1 + 1 + 0
    assert abs(frechet_distance(torch.zeros(3), torch.diag(a), torch.zeros(3), torch.diag(b)) - want) < 1e-6


def test_frechet_distance_singular_covariances_are_finite():
    torch.manual_seed(0)
    v = torch.randn(6, 2, dtype=torch.float64)
    low_rank = v @ v.T                         # rank 2 of 6
    d = frechet_distance(torch.zeros(6), low_rank, torch.ones(6), torch.zeros(6, 6))
    assert math.isfinite(d) and d >= 0.0
    assert math.isfinite(frechet_distance(torch.zeros(6), low_rank, torch.zeros(6), low_rank))


# ---------------------------------------------------------------------------------------
# inception_score
# ---------------------------------------------------------------------------------------
def test_inception_score_extremes():
    C = 10
    # Confident and balanced over C classes: KL = log C for every row, so IS = C exactly.
    one_hot = torch.eye(C).repeat(5, 1)                # (50, C)
    mean, std = inception_score(one_hot, num_splits=5)
    assert isinstance(mean, float) and isinstance(std, float)
    assert abs(mean - C) < 1e-4 and abs(std) < 1e-4
    # Every row identical: p(y|x) = p(y), so IS = 1.
    same = torch.softmax(torch.randn(C), 0).repeat(97, 1)
    mean, std = inception_score(same)
    assert abs(mean - 1.0) < 1e-5 and std == 0.0


def test_inception_score_range_with_splits():
    torch.manual_seed(0)
    N, C = 97, 7
    probs = torch.softmax(3 * torch.randn(N, C), dim=1)
    mean, std = inception_score(probs, num_splits=4)
    assert 1.0 <= mean <= C and std >= 0.0  # exp of a KL to the marginal: between 1 and C


# ---------------------------------------------------------------------------------------
# precision_recall
# ---------------------------------------------------------------------------------------
def test_precision_recall_identical_and_disjoint():
    torch.manual_seed(0)
    real = torch.randn(97, 2)
    precision, recall = precision_recall(real, real.clone(), k=3)
    assert isinstance(precision, float) and isinstance(recall, float)
    assert precision == 1.0 and recall == 1.0          # every point lies in its own ball
    assert precision_recall(real, torch.randn(61, 2) + 100.0, k=3) == (0.0, 0.0)


def test_precision_recall_truncated_samples_keep_precision_lose_recall():
    torch.manual_seed(0)
    real = torch.randn(97, 2)
    fake = real[real.norm(dim=1) < 0.8] * 0.5          # a shrunk copy of the core of the data
    precision, recall = precision_recall(real, fake, k=3)
    assert precision == 1.0 and 0.0 <= recall < 1.0


# ---------------------------------------------------------------------------------------
# mmd_rbf
# ---------------------------------------------------------------------------------------
def test_mmd_rbf_point_masses_closed_form():
    # x: 5 copies of a, y: 7 copies of b. Every within-set kernel value is 1 and every cross
    # value is exp(-||a - b||^2 / (2 h^2)), so MMD^2 = 2 - 2 exp(-||a - b||^2 / (2 h^2)).
    a, b, h = torch.tensor([0.0, 1.0]), torch.tensor([1.0, -1.0]), 1.5
    want = 2 - 2 * math.exp(-5.0 / (2 * h * h))
    got = mmd_rbf(a.repeat(5, 1), b.repeat(7, 1), h)
    assert isinstance(got, float) and abs(got - want) < 1e-6


def test_mmd_rbf_of_a_set_with_itself_is_negative():
    torch.manual_seed(0)
    x = torch.randn(97, 3, dtype=torch.float64)
    h = 1.0
    # With y = x the unbiased estimate is U + U - 2 V, where U is the mean off-diagonal kernel
    # value and V = U + (1 - U) / N also averages the diagonal k(x_i, x_i) = 1. So it equals
    # -2 (1 - U) / N < 0, where the biased estimate would give exactly 0.
    kernel = torch.exp(-torch.cdist(x, x).pow(2) / (2 * h * h))
    U = ((kernel.sum() - kernel.diagonal().sum()) / (97 * 96)).item()
    got = mmd_rbf(x, x.clone(), bandwidth=h)
    assert isinstance(got, float) and got < 0
    assert abs(got - (-2 * (1 - U) / 97)) < 1e-6
    for bad in ((x[:1], x), (x, x[:1])):
        with pytest.raises(ValueError):
            mmd_rbf(*bad, bandwidth=h)
