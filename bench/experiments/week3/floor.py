"""Week 3, digits: the Fréchet-distance noise floor at the models' sample size (1,000).

Only 360 held-out digits exist, so FD(n held-out digits, the 1,437 training digits) is measured for
n = 120 … 360 (below about 100 the 64 × 64 covariance is near singular and the bias is not yet 1/n) (20 random subsets each, without replacement) and fitted by a + b / n, the first-order
bias of a Fréchet distance estimated from n samples (the sample mean and covariance errors are
O(1/n) in expectation); the fit is read at n = 1,000.

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/experiments/week3/floor.py
"""
import json

import torch

import common  # noqa: F401  (paths, one thread)
from course.datasets import digit_features, load_digits8
from course.metrics import feature_frechet_distance


def main():
    torch.manual_seed(0)
    train, _ = load_digits8("train", flatten=True, levels=True)
    test, _ = load_digits8("test", flatten=True, levels=True)
    f_train = digit_features(train.reshape(-1, 8, 8).float() / 16)
    f_test = digit_features(test.reshape(-1, 8, 8).float() / 16)
    sizes, means, sds = [120, 150, 180, 240, 300, 360], [], []
    for n in sizes:
        reps = 1 if n == 360 else 20
        v = torch.tensor([feature_frechet_distance(f_test[torch.randperm(360)[:n]], f_train) for _ in range(reps)])
        means.append(float(v.mean())), sds.append(float(v.std()) if reps > 1 else 0.0)
    X = torch.tensor([[1.0, 1.0 / n] for n in sizes], dtype=torch.float64)
    y = torch.tensor(means, dtype=torch.float64)
    a, b = torch.linalg.lstsq(X, y[:, None]).solution.flatten().tolist()
    resid = (y - X @ torch.tensor([a, b], dtype=torch.float64)).abs().max().item()
    out = {"sizes": sizes, "fd_mean": means, "fd_sd": sds, "a": a, "b": b, "max_abs_residual": resid,
           "floor_at_1000": a + b / 1000, "floor_at_200": a + b / 200}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
