"""Wire format between the grader and the child runtime: plain data only, never pickle.

A message is one frame: an 8-byte header (two big-endian uint32: the JSON length and the blob length),
a UTF-8 JSON document, then a blob that is an uncompressed `.npz` archive holding the arrays the
JSON refers to (`{"__tensor__": i}` is array `a{i}`). `np.load(..., allow_pickle=False)` reads it.

This module is imported on both sides: by the grader (`autograder.remote`) and by the child
(`runtime/child.py`, where it is copied next to it). It imports only the standard library, numpy and
torch, and holds nothing secret.
"""
from __future__ import annotations

import io
import json
import math
import os
import struct
import zipfile
from typing import Any

import numpy as np
import torch

HEADER = struct.Struct(">II")
MAX_JSON_BYTES = 16 << 20  # 16 MiB of JSON per message
MAX_BLOB_BYTES = 512 << 20  # 512 MiB of arrays per message
ALLOWED_KINDS = "biuf"  # bool, signed, unsigned, float: the only dtype kinds that cross the wire

_TORCH_TO_NAME = {
    torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
    torch.int8: "int8", torch.int16: "int16", torch.int32: "int32", torch.int64: "int64",
    torch.uint8: "uint8", torch.bool: "bool",
}
_NAME_TO_TORCH = {name: dtype for dtype, name in _TORCH_TO_NAME.items()}


class ProtocolError(Exception):
    """The peer sent something that is not a well-formed message of plain data."""


class Handle:
    """An opaque reference to an object that lives in the child (a model, an optimizer)."""

    def __init__(self, handle_id: int, type_name: str):
        self.handle_id = int(handle_id)
        self.type_name = str(type_name)

    def __repr__(self) -> str:
        return f"<remote {self.type_name} #{self.handle_id}>"


class FixtureRef:
    """A callable built in the child from the public fixtures module: `fixtures.<name>(**kwargs)`."""

    def __init__(self, name: str, **kwargs: Any):
        self.name = name
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"fixture {self.name}({', '.join(f'{k}={v!r}' for k, v in self.kwargs.items())})"


class Record(tuple):
    """A named tuple decoded from the wire: a tuple with attribute access to its fields."""

    _fields: tuple[str, ...] = ()

    def __new__(cls, fields, values):
        obj = super().__new__(cls, values)
        obj._fields = tuple(fields)
        return obj

    def __getattr__(self, name: str):
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(f"the returned named tuple has no field {name!r} "
                                 f"(fields: {', '.join(self._fields)})") from None


class Unsupported:
    """Marks a value the child could not express as plain data (its type name only)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<unsupported {self.type_name}>"


# ---------------------------------------------------------------------------------------------
# Encoding: Python value -> (JSON tree, list of arrays)
# ---------------------------------------------------------------------------------------------
def encode(value: Any, arrays: list[np.ndarray], handles: Any = None, depth: int = 0) -> Any:
    """Turn `value` into a JSON-able tree, appending arrays to `arrays`.

    `handles` (child side only) registers objects that cannot travel and returns their id.
    """
    if depth > 32:
        return {"__unsupported__": "nesting deeper than 32"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and type(value) in (int, bool):
        return value if abs(value) < 2**63 else float(value)
    if type(value) is float:
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, torch.Tensor):
        t = torch.Tensor.detach(value)
        if t.dtype not in _TORCH_TO_NAME or t.is_complex() or t.layout != torch.strided:
            return {"__unsupported__": f"tensor of dtype {t.dtype}"}
        arrays.append(np.array(t.cpu().numpy(), order="C", copy=True))  # keeps 0-d shapes
        return {"__tensor__": len(arrays) - 1, "dtype": _TORCH_TO_NAME[t.dtype]}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ALLOWED_KINDS:
            return {"__unsupported__": f"array of dtype {value.dtype}"}
        arrays.append(np.array(value, order="C", copy=True))
        return {"__ndarray__": len(arrays) - 1}
    if isinstance(value, np.generic) and value.dtype.kind in ALLOWED_KINDS:
        return encode(value.item(), arrays, handles, depth + 1)
    if isinstance(value, Handle):
        return {"__handle__": value.handle_id, "type": value.type_name}
    if isinstance(value, FixtureRef):
        return {"__fixture__": value.name, "kwargs": encode(value.kwargs, arrays, handles, depth + 1)}
    if isinstance(value, tuple) and hasattr(value, "_fields") and type(value) is not tuple:
        fields = [str(f) for f in value._fields]
        return {"__record__": fields, "values": [encode(v, arrays, handles, depth + 1) for v in value]}
    if type(value) is tuple:
        return {"__tuple__": [encode(v, arrays, handles, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, arrays, handles, depth + 1) for v in value]
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": [[k, encode(v, arrays, handles, depth + 1)] for k, v in value.items()]}
    if handles is not None:
        return {"__handle__": handles(value), "type": type(value).__name__}
    return {"__unsupported__": type(value).__name__}


def decode(tree: Any, arrays: dict[str, np.ndarray], fixture=None, handle=None, depth: int = 0) -> Any:
    """Inverse of `encode`. Strict: anything unexpected raises ProtocolError.

    `fixture(name, kwargs)` (child side) builds fixture callables; `handle(id)` resolves handles.
    """
    if depth > 40:
        raise ProtocolError("nesting too deep")
    if isinstance(tree, str):
        return text(tree, len(tree))
    if tree is None or isinstance(tree, (bool, int)):
        return tree
    if isinstance(tree, float):
        return tree
    if isinstance(tree, list):
        return [decode(v, arrays, fixture, handle, depth + 1) for v in tree]
    if not isinstance(tree, dict) or len(tree) > 2:
        raise ProtocolError(f"unexpected JSON value of type {type(tree).__name__}")
    if "__float__" in tree:
        spelled = tree["__float__"]
        if spelled not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(spelled)
    if "__tensor__" in tree or "__ndarray__" in tree:
        key = f"a{int(tree.get('__tensor__', tree.get('__ndarray__')))}"
        if key not in arrays:
            raise ProtocolError("reference to a missing array")
        array = arrays[key]
        if "__ndarray__" in tree:
            return array
        dtype = _NAME_TO_TORCH.get(tree.get("dtype"))
        if dtype is None:
            raise ProtocolError("bad tensor dtype")
        tensor = torch.from_numpy(np.array(array, copy=True))
        if tensor.dtype != dtype:
            raise ProtocolError("tensor dtype does not match its array")
        return tensor
    if "__tuple__" in tree:
        return tuple(decode(v, arrays, fixture, handle, depth + 1) for v in _as_list(tree["__tuple__"]))
    if "__dict__" in tree:
        out = {}
        for item in _as_list(tree["__dict__"]):
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ProtocolError("bad dict item")
            out[item[0]] = decode(item[1], arrays, fixture, handle, depth + 1)
        return out
    if "__record__" in tree:
        fields = _as_list(tree["__record__"])
        values = _as_list(tree.get("values"))
        if len(fields) != len(values) or not all(isinstance(f, str) and f.isidentifier() for f in fields):
            raise ProtocolError("bad named tuple")
        return Record(fields, [decode(v, arrays, fixture, handle, depth + 1) for v in values])
    if "__handle__" in tree:
        hid, type_name = tree["__handle__"], tree.get("type", "object")
        if not isinstance(hid, int) or not isinstance(type_name, str):
            raise ProtocolError("bad handle")
        return handle(hid) if handle is not None else Handle(hid, type_name[:100])
    if "__fixture__" in tree:
        if fixture is None:
            raise ProtocolError("fixtures only travel from the grader to the child")
        kwargs = decode(tree.get("kwargs", {"__dict__": []}), arrays, fixture, handle, depth + 1)
        return fixture(str(tree["__fixture__"]), kwargs)
    if "__unsupported__" in tree:
        return Unsupported(str(tree["__unsupported__"])[:200])
    raise ProtocolError(f"unknown tag {sorted(tree)[:2]}")


def text(value: Any, limit: int = 2000) -> str:
    """A peer's string made safe to print and to write as UTF-8 (lone surrogates become '?')."""
    value = value if isinstance(value, str) else ""
    return value[:limit].encode("utf-8", "replace").decode("utf-8")


def _as_list(value: Any) -> list:
    if not isinstance(value, list):
        raise ProtocolError("expected a list")
    return value


# ---------------------------------------------------------------------------------------------
# Framing
# ---------------------------------------------------------------------------------------------
def pack(message: dict, arrays: list[np.ndarray]) -> bytes:
    body = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    blob = b""
    if arrays:
        buffer = io.BytesIO()
        np.savez(buffer, **{f"a{i}": a for i, a in enumerate(arrays)})
        blob = buffer.getvalue()
    return HEADER.pack(len(body), len(blob)) + body + blob


def unpack(body: bytes, blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse one frame's payload, with no pickle and with size checks before any decompression."""
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"malformed JSON: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    arrays: dict[str, np.ndarray] = {}
    if blob:
        try:
            with zipfile.ZipFile(io.BytesIO(blob)) as archive:
                if sum(info.file_size for info in archive.infolist()) > MAX_BLOB_BYTES:
                    raise ProtocolError("arrays larger than the limit")
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                for name in npz.files:
                    array = npz[name]
                    if array.dtype.kind not in ALLOWED_KINDS:
                        raise ProtocolError(f"array of dtype {array.dtype} is not plain data")
                    arrays[name] = array
        except ProtocolError:
            raise
        except Exception as exc:  # noqa: BLE001  (a corrupt archive, an object array, a bad header)
            raise ProtocolError(f"malformed arrays: {type(exc).__name__}") from None
    return message, arrays


def read_exact(fd: int, n: int) -> bytes:
    chunks, remaining = [], n
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> tuple[bytes, bytes]:
    json_len, blob_len = HEADER.unpack(read_exact(fd, HEADER.size))
    if json_len > MAX_JSON_BYTES or blob_len > MAX_BLOB_BYTES:
        raise ProtocolError("message larger than the limit")
    return read_exact(fd, json_len), read_exact(fd, blob_len)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
