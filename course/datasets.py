"""The course's data sets, for notebooks: thin re-exports of the `data` package.

    from course.datasets import toy_2d, load_mnist5k
    x_train, y_train = load_mnist5k("train", variant="binarized")  # (4000, 28, 28) float32 {0, 1}
    points = toy_2d("moons", 2000, seed=0)                         # (2000, 2) float32

Binarized MNIST-5k ('binarized') is the static binarization behind published NLLs; the
'threshold' variant is only for prettier samples and is never compared with published figures.
See `data/__init__.py` for every loader's shapes.
"""

from data import (
    TOY_NAMES, DataError, classifier_record, digit_features, digit_probs, load_digits8, load_idx,
    load_mnist5k, toy_2d, toy_2d_log_prob,
)  # fmt: skip

__all__ = [
    "TOY_NAMES", "DataError", "classifier_record", "digit_features", "digit_probs",
    "load_digits8", "load_idx", "load_mnist5k", "toy_2d", "toy_2d_log_prob",
]  # fmt: skip
