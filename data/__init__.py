"""Offline data sets of the course, each verified by checksum (see data/store.py).

| loader                                  | returns                                             |
|-----------------------------------------|-----------------------------------------------------|
| `toy_2d(name, n, seed=0)`               | (n, 2) float32: moons, eight_gaussians, grid,       |
|                                         | checkerboard (see data/toy.py)                      |
| `toy_2d_log_prob(name, x)`              | (N,) exact log-density (not for moons)              |
| `load_digits8(split, flatten, levels)`  | scikit-learn's 8x8 digits (N, 8, 8), labels (N,)    |
| `load_mnist5k(split, variant, flatten)` | MNIST-5k (N, 28, 28): uint8, grey, binarized,       |
|                                         | threshold (see data/mnist.py), labels (N,)          |
| `load_idx(path)`                        | the array in a (gzipped) IDX file, e.g. full MNIST  |
| `digit_features(images)`                | (N, 64) classifier features, for a Fréchet distance |
| `digit_probs(images)`                   | (N, 10) p(y given x), for an Inception-style score  |
| `classifier_record(image_size=28)`      | the classifier's config and test accuracies         |

Files are built by `make data` (`python -m data build`); a missing or corrupt file raises
`DataError`, whose message says to run `make data`.
"""

from data.classifier import classifier_record, digit_features, digit_probs, load_digit_classifier
from data.digits import load_digits8
from data.idx import load_idx
from data.mnist import load_mnist5k
from data.store import DataError
from data.toy import TOY_NAMES, toy_2d, toy_2d_log_prob

__all__ = [
    "DataError", "TOY_NAMES", "classifier_record", "digit_features", "digit_probs",
    "load_digit_classifier", "load_digits8", "load_idx", "load_mnist5k", "toy_2d",
    "toy_2d_log_prob",
]  # fmt: skip
