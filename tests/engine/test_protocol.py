"""The wire format: plain data round-trips exactly, and nothing else gets through."""
import io
import math
import zipfile

import numpy as np
import pytest
import torch

from autograder.runtime import protocol


def roundtrip(value):
    arrays = []
    tree = protocol.encode(value, arrays)
    frame = protocol.pack({"ok": True, "value": tree}, arrays)
    json_len, blob_len = protocol.HEADER.unpack(frame[:8])
    message, decoded_arrays = protocol.unpack(frame[8:8 + json_len], frame[8 + json_len:])
    assert len(frame) == 8 + json_len + blob_len
    return protocol.decode(message["value"], decoded_arrays)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool, torch.uint8])
def test_tensors_keep_dtype_and_shape(dtype):
    for shape in [(), (0,), (97,), (3, 4, 5)]:
        x = (torch.randn(shape) * 10).to(dtype)
        y = roundtrip(x)
        assert isinstance(y, torch.Tensor) and y.dtype == dtype and tuple(y.shape) == shape
        assert torch.equal(x, y)


def test_containers_and_scalars():
    from collections import namedtuple

    Result = namedtuple("Result", ["weights", "log_likelihoods"])
    value = (1, 2.5, float("nan"), -math.inf, "text", None, True, [1, [2]], {"a": torch.ones(2)},
             Result(torch.zeros(3), torch.arange(4.0)), np.float64(1.5), np.arange(3))
    out = roundtrip(value)
    assert out[:2] == (1, 2.5) and math.isnan(out[2]) and out[3] == -math.inf
    assert out[4:7] == ("text", None, True) and out[7] == [1, [2]]
    assert torch.equal(out[8]["a"], torch.ones(2))
    assert out[9].weights.shape == (3,) and torch.equal(out[9].log_likelihoods, torch.arange(4.0))
    assert out[9]._fields == ("weights", "log_likelihoods")
    assert out[10] == 1.5 and isinstance(out[11], np.ndarray)


def test_unsupported_objects_become_markers_not_code():
    class Rigged(float):
        def __eq__(self, other):
            return True

    out = roundtrip((object(), Rigged(3.0), lambda: 1))
    assert isinstance(out[0], protocol.Unsupported) and isinstance(out[2], protocol.Unsupported)
    assert isinstance(out[1], protocol.Unsupported)  # a float subclass is not plain data


def test_tensor_subclass_travels_as_plain_data():
    class Sneaky(torch.Tensor):
        def __eq__(self, other):
            return True

    x = torch.arange(3.0).as_subclass(Sneaky)
    y = roundtrip(x)
    assert type(y) is torch.Tensor and not torch.equal(y, torch.zeros(3))


def test_object_arrays_and_pickles_are_refused():
    buffer = io.BytesIO()
    np.savez(buffer, a0=np.array([{"x": 1}], dtype=object))
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(b'{"ok": true, "value": {"__ndarray__": 0}}', buffer.getvalue())


def test_malformed_messages_raise_protocol_error():
    for body in [b"not json", b"[1, 2]", b'{"value": {"__evil__": 1}}']:
        with pytest.raises(protocol.ProtocolError):
            message, arrays = protocol.unpack(body, b"")
            protocol.decode(message["value"], arrays)
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"__tensor__": 5, "dtype": "float32"}, {})
    with pytest.raises(protocol.ProtocolError):
        protocol.decode({"__fixture__": "x", "kwargs": {"__dict__": []}}, {})  # grader side: no fixtures


def test_zip_bomb_arrays_are_refused_before_decompression(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a0.npy", b"\0" * (4 << 20))
    monkeypatch.setattr(protocol, "MAX_BLOB_BYTES", 1 << 20)
    with pytest.raises(protocol.ProtocolError, match="larger than the limit"):
        protocol.unpack(b'{"ok": true}', buffer.getvalue())
