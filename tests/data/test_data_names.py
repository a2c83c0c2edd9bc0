"""The census-names character corpus (data/names.py): provenance, vocabulary, the fixed split, the stream."""

import shutil

import numpy as np
import pytest

import data.store as store
from data import DataError
from data.names import (
    NAMES_FILE, SOURCE_KEYS, VOCAB, VOCAB_SIZE, decode, encode, load_names, make_names, names_source_paths,
    names_stream, read_census_names,
)  # fmt: skip


@pytest.fixture(scope="module")
def census():
    return read_census_names()


def test_sources_are_the_recorded_files():
    recorded = store.load_checksums()["sources"]
    for key, path in names_source_paths().items():
        assert key in SOURCE_KEYS and store.sha256_file(path) == recorded[key], key


def test_items_are_unique_lower_case_letters(census):
    assert len(census) == 91_910 and len(set(census)) == len(census) and census == sorted(census)
    assert all(item.isascii() and item.isalpha() and item.islower() for item in census)
    assert 2 <= min(map(len, census)) and max(map(len, census)) <= 13
    # A name that is both a first and a last name appears once (MARY is on the female and the last-name lists).
    assert census.count("mary") == 1


def test_vocabulary():
    assert VOCAB_SIZE == 27 and VOCAB[0] == "\n" and VOCAB[1:] == "abcdefghijklmnopqrstuvwxyz"
    assert encode("\nabz").tolist() == [0, 1, 2, 26]
    assert decode(encode("emma\nolivia\n")) == "emma\nolivia\n"
    with pytest.raises(ValueError):
        encode("Emma")


def test_split_is_fixed_disjoint_and_complete(census):
    splits = {s: load_names(s) for s in ("train", "val", "test")}
    assert {s: len(v) for s, v in splits.items()} == {"train": 73_528, "val": 9_191, "test": 9_191}
    together = splits["train"] + splits["val"] + splits["test"]
    assert len(set(together)) == len(together) and sorted(together) == census == load_names("all")
    # The build is a pure function of the items: the stored arrays are what make_names gives today.
    stored, rebuilt = store.load_npz(NAMES_FILE), make_names(census)
    assert set(stored) == set(rebuilt) and all(np.array_equal(stored[k], rebuilt[k]) for k in stored)
    with pytest.raises(ValueError):
        load_names("validation")


def test_split_order_is_shuffled():
    # Items in the order of the permutation, not sorted: neighbours in the training stream are unrelated.
    train = load_names("train")
    assert train != sorted(train)


def test_stream_format():
    stream = names_stream("val")
    items = load_names("val")
    assert stream.dtype.is_floating_point is False and stream.ndim == 1
    assert stream.numel() == 1 + sum(len(item) + 1 for item in items)
    assert int(stream[0]) == 0 and int(stream[-1]) == 0
    assert decode(stream) == "\n" + "".join(item + "\n" for item in items)


def test_corrupt_file_raises_data_error(tmp_path, monkeypatch):
    files = tmp_path / "files"
    shutil.copytree(store.PACKAGE_DIR / "files", files)
    monkeypatch.setenv("DGM_DATA_DIR", str(files))
    load_names("test")
    data = bytearray((files / NAMES_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (files / NAMES_FILE).write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt.*run `make data`"):
        load_names("test")
