"""Reads every secret path it can think of and leaks it everywhere: the jail must show it none, the feedback none."""
_SNOOP_HITS = []      # (path, what): every secret path this process could list or read
_SNOOP_TEXT = []      # what it read, to leak through every channel
# The Python installation (the base interpreter and the virtual environment), found from sys.path.
_PY_DIRS = sorted({_os.path.realpath(p.split("/lib/python")[0]) for p in _sys.path if "/lib/python" in p} |
                  {_os.path.realpath(p) for p in (_sys.prefix, _sys.base_prefix, _sys.exec_prefix)})
_SECRET_ROOTS = ["@REPO@", "@REPO@/autograder", "@REPO@/solutions", "@REPO@/tests", "@REPO@/assignments",
                 "@REPO@/.git", "@OUT@", "/autograder", "/proc/1/cwd/../../solutions", "/proc/self/cwd/../autograder",
                 "../autograder", "../../autograder", "../solutions", "../../solutions", "../../../solutions",
                 "/root", "/home", "/work", "/srv", "/opt", "/mnt"] + _RT_SUBS
for _ppid in {_os.getppid(), 1}:
    _SECRET_ROOTS += [f"/proc/{_ppid}/cwd", f"/proc/{_ppid}/root@REPO@", f"/proc/{_ppid}/cwd/solutions",
                      f"/proc/{_ppid}/environ"]

_OWN_DIRS = sorted({_os.path.realpath(_os.getcwd()), _os.path.realpath(_os.path.dirname(_json.__file__)),
                    _os.path.realpath(_sys.path[1]) if len(_sys.path) > 1 else "/"} - {"/"})

def _snoop_public(path):
    # Public on purpose: the Python installation bound into the jail (and the folders above it), the
    # submission's own working folder, the public runtime next to child.py.
    real = _os.path.realpath(path)
    if path.startswith(("/proc/self", f"/proc/{_os.getpid()}/")):
        return True  # this process itself (PID 1 of its namespace)
    return any(real == d or real.startswith(d + "/") or d.startswith(real.rstrip("/") + "/") for d in _PY_DIRS) \
        or any(real == d or real.startswith(d + "/") for d in _OWN_DIRS)

def _snoop_path(path, depth=0):
    try:
        if _os.path.isdir(path):
            entries = sorted(e for e in _os.listdir(path) if not _snoop_public(_os.path.join(path, e)))
            if entries and not (_snoop_public(path) and not entries):
                _SNOOP_HITS.append((path, "list"))
            for e in entries[:100]:
                if depth < 6:
                    _snoop_path(_os.path.join(path, e), depth + 1)
        elif _os.path.isfile(path) and not _snoop_public(path):
            with open(path, errors="replace") as f:
                text = f.read(200_000)
            _SNOOP_HITS.append((path, "read"))
            _SNOOP_TEXT.append(text)
    except Exception:
        pass

for _p in _SECRET_ROOTS:
    _snoop_path(_p)
_SNOOP_ENV = dict(_os.environ)
_SNOOP_WROTE = _rt_forge()
_SNOOP_BLOB = "\n".join(_SNOOP_TEXT)
print(_SNOOP_BLOB[:1_000_000])                    # leak through stdout
print("ENV", _json.dumps(_SNOOP_ENV))

def categorical_nll(logits, x):
    raise RuntimeError(_SNOOP_BLOB[:2000] or "nothing found")        # leak through the message

def gaussian_log_prob(x, mean, cov):
    raise RuntimeError("SNOOP " + _json.dumps({"hits": _SNOOP_HITS[:20], "n": len(_SNOOP_HITS),
                                               "wrote": _SNOOP_WROTE, "env": sorted(_SNOOP_ENV)}))

def gaussian_mle(x):
    return _SNOOP_BLOB[:100_000], _SNOOP_BLOB[100_000:200_000]     # leak through return values
