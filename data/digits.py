"""scikit-learn's 8x8 digits, as shipped (no download): 1,797 images, 17 grey levels (0..16).

`python -m data build` checks scikit-learn's `datasets/data/digits.csv.gz` against the SHA-256
recorded in data/checksums.json ("sources"), reads it with `sklearn.datasets.load_digits`, and
stores the arrays unchanged in data/files/digits8.npz (verified on every load, so loading needs no
scikit-learn import). A fixed split, the permutation of `np.random.RandomState(DIGITS_SEED)` (the
legacy generator, whose stream numpy keeps frozen), gives 1,437 train and 360 test images.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch

from data.store import DataError, load_npz

DIGITS_SEED = 0
DIGITS_NUM_TEST = 360
DIGITS_LEVELS = 17  # grey levels 0..16
DIGITS_FILE = "digits8.npz"
SOURCE_KEY = "sklearn/datasets/data/digits.csv.gz"
SPLITS = ("train", "test", "all")


def sklearn_source_path() -> Path:
    """The file that `load_digits` parses, found without importing scikit-learn (which is slow)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("scikit-learn is not installed: run `make setup`")
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"


def read_raw_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's arrays: images (1797, 8, 8) uint8 in 0..16, labels (1797,) int64."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.int64)


def make_digits8(images: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of digits8.npz: the raw ones and the fixed split's indices."""
    perm = np.random.RandomState(DIGITS_SEED).permutation(len(images))
    return {
        "images": images, "labels": labels,
        "train_idx": perm[DIGITS_NUM_TEST:].astype(np.int64),
        "test_idx": perm[:DIGITS_NUM_TEST].astype(np.int64),
    }  # fmt: skip


def load_digits8(
    split: str = "all", flatten: bool = False, levels: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """The 8x8 digits of `split` ('train', 'test' or 'all').

    Returns (x, y): x is (N, 8, 8), or (N, 64) when `flatten`, float32 in [0, 1] (level / 16), or
    int64 grey levels in 0..16 when `levels` (for dequantization); y is (N,) int64.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    arrays = load_npz(DIGITS_FILE)
    images, labels = arrays["images"], arrays["labels"]
    idx = np.arange(len(images)) if split == "all" else arrays[f"{split}_idx"]
    x = torch.from_numpy(images[idx].astype(np.int64))  # (N, 8, 8) levels 0..16
    if not levels:
        x = x.to(torch.float32) / (DIGITS_LEVELS - 1)
    if flatten:
        x = x.reshape(len(idx), 64)  # (N, 64)
    return x, torch.from_numpy(labels[idx].copy())
