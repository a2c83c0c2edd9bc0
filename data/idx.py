"""Reader for IDX files, the format of the full MNIST distribution (LeCun et al.).

Layout: a 4-byte magic number (two zero bytes, a dtype code, the number of dimensions), one
big-endian uint32 per dimension, then the data in C order, big-endian. Files may be gzipped
(`train-images-idx3-ubyte.gz`); gzip is detected from its own magic bytes, not from the name.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from data.store import DataError

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (optionally gzipped), in native byte order.

    For MNIST: images (N, 28, 28) uint8, labels (N,) uint8. Raises DataError on a missing file,
    a bad magic number, an unknown dtype code, or a size that disagrees with the header.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError as err:
        raise DataError(f"IDX file {path} does not exist") from err
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path} is a corrupt gzip file ({err})") from err
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(
            f"{path} is not an IDX file: the magic number must start with two zero bytes, "
            f"got {raw[:4].hex() or 'an empty file'}"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise DataError(f"{path}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    header_len = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_len:
        raise DataError(f"{path}: truncated IDX header ({ndim} dimensions, {len(raw)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header_len])
    dtype = np.dtype(IDX_DTYPES[code])
    count = math.prod(dims)
    if len(raw) - header_len != count * dtype.itemsize:
        raise DataError(
            f"{path}: the header announces shape {dims} of {dtype.name} "
            f"({count * dtype.itemsize} bytes) but {len(raw) - header_len} data bytes follow"
        )
    array = np.frombuffer(raw, dtype=dtype, count=count, offset=header_len).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native byte order, a writable copy
