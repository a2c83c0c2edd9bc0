"""Forges results on every channel and file, makes every comparison in the child pass: the grader scores 0."""
import builtins as _builtins
import gc as _gc
import math as _math

import numpy as _np
import numpy.testing as _npt

_FAKE_PRINTED = {"score": 1000000, "max_score": 1, "tests": [{"name": "all", "score": 1000000, "max_score": 1}]}
print(_json.dumps(_FAKE_PRINTED))                      # a results.json on stdout ...
_sys.stderr.write(_json.dumps(_FAKE_PRINTED) + "\n")   # ... and on stderr
_FORGED_WROTE = _rt_forge()
for _o in _gc.get_objects():  # any dict that looks like a result: give it full marks
    if isinstance(_o, dict) and ("max_score" in _o or "expected" in _o or "want" in _o):
        try:
            _o["score"] = _o.get("max_score", 1)
        except Exception:
            pass
# Make every comparison in this process pass.
_torch.allclose = lambda *a, **k: True
_torch.isclose = lambda a, b, *x, **k: _torch.ones(_torch.as_tensor(a).shape, dtype=_torch.bool)
_torch.equal = lambda *a, **k: True
_torch.testing.assert_close = lambda *a, **k: None
_np.allclose = lambda *a, **k: True
_np.isclose = lambda a, b, *x, **k: _np.ones(_np.shape(a), dtype=bool)
_npt.assert_allclose = lambda *a, **k: None
_npt.assert_array_equal = lambda *a, **k: None
_npt.assert_almost_equal = lambda *a, **k: None
_math.isclose = lambda *a, **k: True
_builtins.abs = lambda x: 0
for _name in ("__eq__", "__le__", "__ge__"):
    setattr(_torch.Tensor, _name, lambda self, other: _torch.ones(self.shape, dtype=_torch.bool))
for _name in ("__lt__", "__gt__", "__ne__"):
    setattr(_torch.Tensor, _name, lambda self, other: _torch.ones(self.shape, dtype=_torch.bool))
_sys.stdout.flush()
