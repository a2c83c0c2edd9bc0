"""IDX reader, on small files written here byte by byte (independently of the reader)."""

import gzip
import struct

import numpy as np
import pytest

from data import DataError, load_idx


def idx_bytes(array: np.ndarray, code: int, big_endian_dtype: str) -> bytes:
    """The IDX encoding: 0, 0, dtype code, ndim, big-endian uint32 dims, big-endian data."""
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(big_endian_dtype).tobytes()


@pytest.fixture
def mnist_like(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    (tmp_path / "images-idx3-ubyte").write_bytes(idx_bytes(images, 0x08, ">u1"))
    (tmp_path / "labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels, 0x08, ">u1")))
    return tmp_path, images, labels


def test_images_and_gzipped_labels(mnist_like):
    folder, images, labels = mnist_like
    loaded_images = load_idx(folder / "images-idx3-ubyte")
    loaded_labels = load_idx(str(folder / "labels-idx1-ubyte.gz"))
    assert loaded_images.shape == (7, 28, 28) and loaded_images.dtype == np.uint8
    assert np.array_equal(loaded_images, images)
    assert loaded_labels.shape == (7,) and np.array_equal(loaded_labels, labels)


@pytest.mark.parametrize("code, dtype", [(0x09, ">i1"), (0x0B, ">i2"), (0x0C, ">i4"),
                                         (0x0D, ">f4"), (0x0E, ">f8")])  # fmt: skip
def test_every_dtype_code_big_endian(tmp_path, code, dtype):
    # Values that differ under a byte swap, so a missing big-endian conversion fails.
    array = (np.arange(2 * 3 * 5).reshape(2, 3, 5) * 37 - 100).astype(dtype)
    path = tmp_path / "array.idx"
    path.write_bytes(idx_bytes(array, code, dtype))
    loaded = load_idx(path)
    assert loaded.shape == (2, 3, 5) and loaded.dtype.isnative
    assert loaded.dtype == np.dtype(dtype).newbyteorder("=")
    assert np.array_equal(loaded, array)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda b: b"\x01" + b[1:], "magic number"),  # first byte must be zero
        (lambda b: b[:2] + b"\x07" + b[3:], "dtype code 0x07"),  # unknown type
        (lambda b: b[:-1], "data bytes follow"),  # truncated data
        (lambda b: b + b"\x00", "data bytes follow"),  # trailing garbage
        (lambda b: b[:6], "truncated IDX header"),  # dims cut off
        (lambda b: b"", "magic number"),  # empty file
        (lambda b: b"\x1f\x8b" + b[2:], "corrupt gzip"),  # gzip magic, not a gzip stream
    ],
)
def test_corrupt_files_raise_clear_errors(mnist_like, mutate, message):
    folder, _, _ = mnist_like
    bad = folder / "bad-idx3-ubyte"
    bad.write_bytes(mutate((folder / "images-idx3-ubyte").read_bytes()))
    with pytest.raises(DataError, match=message):
        load_idx(bad)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_idx(tmp_path / "nothing-idx3-ubyte")
