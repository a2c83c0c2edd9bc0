
# ---- appended by the example "forger" submission: every classic way to fake a grade --------------
import gc as _gc
import json as _json
import os as _os
import sys as _sys

_FAKE = {"score": 1000, "tests": [{"name": "all", "score": 1000, "max_score": 1}]}
print(_json.dumps(_FAKE))  # a results.json on stdout
for _path in ("/autograder/results/results.json", "../results.json", "results.json",
              _os.path.expanduser("~/results.json"), "/tmp/results.json"):
    try:
        with open(_path, "w") as _f:
            _json.dump(_FAKE, _f)
    except OSError:
        pass
for _obj in _gc.get_objects():  # look for the grader's expected values in memory
    if isinstance(_obj, dict) and "max_score" in _obj:
        _obj["score"] = _obj["max_score"]
try:  # make every comparison pass
    import torch as _torch

    _torch.allclose = lambda *a, **k: True
    _torch.Tensor.__eq__ = lambda self, other: True
except Exception:  # noqa: BLE001  (an attack: it carries on whatever fails)
    pass
_sys.stdout.flush()
