"""A forged reply, a pickled object array, JSON nested 100,000 deep: replies are data, and score 0."""
import io as _io

import numpy as _np

def categorical_nll(logits, x):
    # A forged reply for this call, then the runtime's real one desynchronizes the stream.
    _rt_frame({"ok": True, "value": 0.0})
    return _torch.tensor(123.0, dtype=_torch.float64)

def gaussian_log_prob(x, mean, cov):
    buffer = _io.BytesIO()
    _np.savez(buffer, a0=_np.array([_Payload()], dtype=object))   # an object array: pickled
    _rt_frame({"ok": True, "value": {"__ndarray__": 0}}, buffer.getvalue())
    _os._exit(0)

def gaussian_mle(x):
    # JSON nested 100,000 deep: the grader's json.loads hits its recursion limit.
    _rt_frame(b'{"ok": true, "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    _os._exit(0)
