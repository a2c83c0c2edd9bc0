"""Byte-for-byte deterministic zip files: sorted entries, fixed timestamps and permissions.

Shipped in the student bundle (standard library only).
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold
FILE_MODE = 0o644
UNIX = 3                             # `create_system` of a zip made on Unix


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    """Write {archive name: bytes} to `path`, atomically (a temporary file, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = UNIX
                info.external_attr = (0o100000 | FILE_MODE) << 16  # a regular file, rw-r--r--
                archive.writestr(info, files[name], compresslevel=9)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path
