"""Checksums, the errors of missing or corrupt files, and the build, on copies of the data.

Nothing here touches the real data/files or data/checksums.json: each test copies them into
tmp_path and points the package there (DGM_DATA_DIR, and data.store.CHECKSUMS_PATH).
"""

import shutil

import numpy as np
import pytest
import torch

import data.store as store
from data import DataError, digit_features, load_digits8, load_mnist5k
from data.__main__ import main
from data.build import NPZ_BUILDERS, build, verify

FILES = sorted(store.load_checksums()["files"])


@pytest.fixture
def copy(tmp_path, monkeypatch):
    """A copy of data/files and checksums.json, which the package then uses."""
    files = tmp_path / "files"
    shutil.copytree(store.PACKAGE_DIR / "files", files)
    checksums = tmp_path / "checksums.json"
    shutil.copy(store.CHECKSUMS_PATH, checksums)
    monkeypatch.setenv("DGM_DATA_DIR", str(files))
    monkeypatch.setattr(store, "CHECKSUMS_PATH", checksums)
    (files / store.STAMP_NAME).write_text("stamp\n")
    return files


def _corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip one byte in the middle
    path.write_bytes(bytes(data))


def test_every_recorded_file_verifies():
    needed = {"mnist5k.npz", "mnist5k_binarized.npz", "digits8.npz", "digit_classifier.pt"}
    assert needed <= set(FILES)
    verify()  # sources, file digests, .npz contents and toy samples; raises DataError otherwise
    recorded = store.load_checksums()["files"]
    for name in FILES:
        assert store.sha256_file(store.PACKAGE_DIR / "files" / name) == recorded[name], name


def test_stamp_is_git_ignored():
    assert ".verified" in (store.PACKAGE_DIR / "files" / ".gitignore").read_text().split()


@pytest.mark.parametrize("name, load", [
    ("mnist5k.npz", lambda: load_mnist5k("train")),
    ("mnist5k_binarized.npz", lambda: load_mnist5k("test", "binarized")),
    ("digits8.npz", lambda: load_digits8("test")),
    ("digit_classifier.pt", lambda: digit_features(torch.zeros(2, 28, 28))),
])  # fmt: skip
def test_corrupt_file_raises_data_error_with_hint(copy, name, load):
    load()  # the intact copy loads
    _corrupt(copy / name)
    with pytest.raises(DataError, match="corrupt.*run `make data`"):
        load()
    assert not (copy / store.STAMP_NAME).exists(), "the stamp must go, so that `make data` reruns"


def test_missing_file_raises_data_error_with_hint(copy):
    (copy / "mnist5k.npz").unlink()
    with pytest.raises(DataError, match="missing.*run `make data`"):
        load_mnist5k("train")


def test_cli_verify_reports_the_fix(copy, capsys):
    assert main(["verify"]) == 0
    _corrupt(copy / "mnist5k_binarized.npz")
    assert main(["verify"]) == 1
    assert "run `make data`" in capsys.readouterr().err


def test_build_regenerates_data_files_identically(copy, capsys):
    # (digits8.npz is left alone: rebuilding it imports scikit-learn, which is slow; the test of
    # its content digests is in test_data_mnist_digits.py)
    original = {name: (copy / name).read_bytes() for name in NPZ_BUILDERS}
    (copy / "mnist5k.npz").unlink()
    _corrupt(copy / "mnist5k_binarized.npz")
    (copy / store.STAMP_NAME).unlink()
    build()
    assert "training" not in capsys.readouterr().out, "a verified classifier is never retrained"
    assert (copy / store.STAMP_NAME).exists()
    for name, data in original.items():  # same zlib here, so the same bytes
        assert (copy / name).read_bytes() == data, f"{name} was not rebuilt identically"


def test_build_refuses_to_retrain_over_a_corrupt_classifier(copy):
    _corrupt(copy / "digit_classifier.pt")
    with pytest.raises(DataError, match="git checkout"):
        build()


def test_save_npz_is_byte_deterministic(tmp_path):
    arrays = {"b": np.arange(10, dtype=np.int64), "a": np.eye(3, dtype=np.uint8)}
    store.save_npz(tmp_path / "one.npz", arrays)
    store.save_npz(tmp_path / "two.npz", dict(reversed(arrays.items())))
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    with np.load(tmp_path / "one.npz", allow_pickle=False) as npz:
        assert all(np.array_equal(npz[k], v) for k, v in arrays.items())
