"""A character corpus: the US census name lists shipped inside the `names` package (no download).

The `names` package (PyPI, pinned in pyproject.toml) ships three lists from the 1990 US census,
`dist.female.first`, `dist.male.first` and `dist.all.last`, one name a line followed by frequency
columns. `python -m data build` checks the three files against the SHA-256 digests recorded in
data/checksums.json ("sources"), keeps the first column of every line, lower-cased, drops any item
with a character outside a-z (none in this version), removes duplicates (a name that is both a first
and a last name appears once) and sorts: 91,910 names of 2 to 13 letters.

Vocabulary (week 2's `transformer.py`): `"\\n"` is token 0 and `a`..`z` are 1..26, so V = 27.

The split is fixed: the permutation of `np.random.RandomState(NAMES_SEED)` (the legacy generator,
whose stream numpy keeps frozen) gives 80% train, 10% validation and 10% test items (73,528, 9,191
and 9,191). data/files/names.npz stores the sorted items as one token stream and the three index
arrays; it is verified on every load.

| loader                       | returns                                                        |
|------------------------------|----------------------------------------------------------------|
| `load_names(split)`          | list[str]: the items of 'train', 'val', 'test' or 'all'        |
| `names_stream(split)`        | (N,) int64 tokens: "\\n" + "\\n".join(items) + "\\n", encoded   |
| `encode(text)`, `decode(ids)`| str <-> (L,) int64 tokens                                      |

A model of the stream predicts every letter of every item and the newline that ends it; the first
"\\n" is context only. Training draws fixed-length windows from `names_stream("train")`.
"""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path

import numpy as np
import torch

from data.store import DataError, load_npz

VOCAB = "\n" + string.ascii_lowercase  # token i is VOCAB[i]
VOCAB_SIZE = len(VOCAB)  # 27
NAMES_SEED = 0
NAMES_FILE = "names.npz"
LISTS = ("dist.female.first", "dist.male.first", "dist.all.last")
SOURCE_KEYS = tuple(f"names/{name}" for name in LISTS)  # keys of checksums.json's "sources"
SPLITS = ("train", "val", "test", "all")
_INDEX = {c: i for i, c in enumerate(VOCAB)}


def names_source_paths() -> dict[str, Path]:
    """{source key: path} of the three lists, found without importing the package."""
    spec = importlib.util.find_spec("names")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the `names` package is not installed: run `make setup`")
    folder = Path(spec.submodule_search_locations[0])
    return {key: folder / name for key, name in zip(SOURCE_KEYS, LISTS)}


def read_census_names(paths: dict[str, Path] | None = None) -> list[str]:
    """The sorted, de-duplicated lower-case items of the three lists (letters a-z only)."""
    paths = names_source_paths() if paths is None else paths
    items = set()
    for path in paths.values():
        for line in Path(path).read_text(encoding="ascii").splitlines():
            fields = line.split()
            if fields and all(c in _INDEX and c != "\n" for c in fields[0].lower()):
                items.add(fields[0].lower())
    return sorted(items)


def encode(text: str) -> torch.Tensor:
    """str over VOCAB -> (L,) int64 tokens; another character raises ValueError."""
    try:
        return torch.tensor([_INDEX[c] for c in text], dtype=torch.int64)
    except KeyError as err:
        raise ValueError(f"text holds {err.args[0]!r}, which is not in the vocabulary") from None


def decode(ids) -> str:
    """(L,) tokens (tensor, array or list of ints in 0..26) -> str."""
    return "".join(VOCAB[int(i)] for i in ids)


def make_names(items: list[str]) -> dict[str, np.ndarray]:
    """The arrays of names.npz: the sorted items as one stream of tokens, each item followed by
    token 0, and the fixed split's item indices."""
    stream = np.array([_INDEX[c] for c in "".join(item + "\n" for item in items)], dtype=np.uint8)
    perm = np.random.RandomState(NAMES_SEED).permutation(len(items))
    num_val = num_test = len(items) // 10
    return {
        "stream": stream,
        "train_idx": perm[num_val + num_test:].astype(np.int64),
        "val_idx": perm[:num_val].astype(np.int64),
        "test_idx": perm[num_val:num_val + num_test].astype(np.int64),
    }  # fmt: skip


def load_names(split: str = "all") -> list[str]:
    """The items of `split` ('train', 'val', 'test' or 'all'), in the split's fixed order (the
    order of the permutation; 'all' is sorted)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    arrays = load_npz(NAMES_FILE)
    items = decode(arrays["stream"].tolist()).split("\n")[:-1]  # every item ends with "\n"
    idx = np.arange(len(items)) if split == "all" else arrays[f"{split}_idx"]
    return [items[i] for i in idx]


def names_stream(split: str = "train") -> torch.Tensor:
    """(N,) int64: "\\n" + "\\n".join(load_names(split)) + "\\n" as tokens."""
    return encode("\n" + "".join(item + "\n" for item in load_names(split)))
