"""The child runtime: the only process that ever imports student code.

It is small and generic. It knows nothing about tests, references or expected values: it reads
requests (which function, which arguments) from one pipe, carries them out on the submission's
modules, and writes plain data back on another pipe (see protocol.py). Its stdout and stderr belong
to the student's code; the grader keeps only the first few kilobytes of them.

Run as: python -I -B child.py --fd-in N --fd-out M --workdir DIR --modules density,sampling,metrics
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME_DIRS = (HERE,)  # frames of these files are the runtime's, not the student's (two under the fork server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd-in", type=int, required=True)
    parser.add_argument("--fd-out", type=int, required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--modules", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--limits", default="{}")
    args = parser.parse_args()

    apply_limits(json.loads(args.limits))
    os.chdir(args.workdir)
    # The submission first, then protocol.py and the fixtures package, then the installed packages.
    sys.path[:0] = [args.workdir, HERE]
    sys.path.append(args.site)
    import torch  # imported before any student code, so the thread settings hold

    torch.set_num_threads(1)
    # Every week trains with torch.optim somewhere, and an optimizer's first step imports torch._dynamo
    # (1.5 s, up to 10 s on loaded cores). Paid here, at start-up, it falls outside every test's time limit.
    import torch._dynamo
    import protocol

    signal.signal(signal.SIGPROF, _cpu_time_up)
    Runtime(args.fd_in, args.fd_out, set(args.modules.split(",")), protocol).serve()


def apply_limits(limits: dict) -> None:
    """Soft = hard limits, set before any student code runs, so they cannot be raised again."""
    import ctypes
    import resource

    table = {"memory_bytes": resource.RLIMIT_AS, "cpu_seconds": resource.RLIMIT_CPU,
             "file_bytes": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE,
             "processes": resource.RLIMIT_NPROC}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for key, which in table.items():
        if limits.get(key):
            resource.setrlimit(which, (int(limits[key]), int(limits[key])))
    try:  # orphans of student code are re-parented here, so killing this tree kills them too
        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


class CPUTimeLimit(BaseException):
    """Raised in the student's code when the request has used its CPU seconds (a BaseException, so that
    `except Exception` in a loop does not swallow it; a bare `except` that does is cut at the wall-clock
    limit by the grader, which kills the process)."""


def _cpu_time_up(signum, frame):
    raise CPUTimeLimit("the CPU time limit of this test ran out")


def arm_cpu_limit(seconds) -> None:
    """A one-shot ITIMER_PROF: SIGPROF after `seconds` of this process's CPU time (user + system, every
    thread). CPU time, unlike wall-clock time, does not stretch when other processes load the machine."""
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 < seconds < 1e6:
        signal.setitimer(signal.ITIMER_PROF, float(seconds))


class Runtime:
    def __init__(self, fd_in: int, fd_out: int, modules: set[str], protocol):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.modules = modules
        self.protocol = protocol
        self.objects: dict[int, object] = {}  # handle id -> object living here
        self.next_handle = 1

    # --- request loop -------------------------------------------------------------------------
    def serve(self) -> None:
        p = self.protocol
        while True:
            try:
                body, blob = p.read_frame(self.fd_in)
            except EOFError:
                return
            message, arrays = p.unpack(body, blob)
            started = time.process_time()
            try:
                try:
                    arm_cpu_limit(message.get("cpu_limit"))
                    value = self.handle_request(message, arrays)
                finally:
                    signal.setitimer(signal.ITIMER_PROF, 0)
                reply = {"ok": True, "id": message.get("id")}
                out_arrays: list = []
                reply["value"] = p.encode(value, out_arrays, self.register)
            except BaseException as exc:  # noqa: BLE001  (student code may raise anything, SystemExit too)
                out_arrays = []
                reply = {"ok": False, "id": message.get("id"), "error": describe(exc)}
                if isinstance(exc, CPUTimeLimit):
                    reply["cpu_time_limit"] = True
            # CPU seconds of this process spent on the request: the grader charges them to the test's budget.
            reply["cpu"] = round(time.process_time() - started, 4)
            p.write_all(self.fd_out, p.pack(reply, out_arrays))

    def handle_request(self, message: dict, arrays: dict):
        import torch

        op = message.get("op")
        if op == "ping":
            return "pong"
        if op == "seed":
            torch.manual_seed(int(message["seed"]))
            return None
        if op == "import":
            return self.load(str(message["module"])).__name__
        if op == "release":
            for hid in message.get("handles", []):
                self.objects.pop(hid, None)
            return None
        if op not in ("call", "call_method", "getattr", "call_fixture"):
            raise ValueError(f"unknown request {op!r}")
        args = self.protocol.decode(message.get("args", []), arrays, self.fixture, self.resolve)
        kwargs = self.protocol.decode(message.get("kwargs", {"__dict__": []}), arrays,
                                      self.fixture, self.resolve)
        if op == "getattr":
            return getattr(self.resolve(int(message["handle"])), public(message["name"]))
        if op == "call_fixture":  # a public helper run on the child's objects (e.g. a training loop)
            import fixtures

            target = getattr(fixtures, public(message["name"]))
        elif op == "call_method":
            obj = self.resolve(int(message["handle"]))
            target = obj if message["name"] == "__call__" else getattr(obj, public(message["name"]))
        else:
            module_name, _, function_name = str(message["target"]).rpartition(".")
            target = getattr(self.load(module_name), public(function_name))
        with Disabled(message.get("disable", [])):
            return target(*args, **kwargs)

    # --- helpers ----------------------------------------------------------------------------------
    def load(self, module_name: str):
        if module_name not in self.modules:
            raise ImportError(f"{module_name!r} is not a graded module of this week")
        return importlib.import_module(module_name)

    def fixture(self, name: str, kwargs: dict):
        import fixtures  # the public fixtures package, copied next to this file

        return getattr(fixtures, public(name))(**kwargs)

    def register(self, obj) -> int:
        hid = self.next_handle
        self.next_handle += 1
        self.objects[hid] = obj
        return hid

    def resolve(self, hid: int):
        if hid not in self.objects:
            raise KeyError(f"no object with handle {hid}")
        return self.objects[hid]


def public(name) -> str:
    name = str(name)
    if not name.isidentifier() or name.startswith("_"):
        raise AttributeError(f"{name!r} is not a public name")
    return name


def describe(exc: BaseException) -> dict:
    """An exception as plain data, with the traceback limited to the student's own files."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(RUNTIME_DIRS)]
    text = "".join(traceback.format_list(frames[-6:]))
    return {"type": type(exc).__name__, "message": str(exc)[:2000], "traceback": text[-4000:]}


class Disabled:
    """Makes the named functions raise for the duration of one call (e.g. torch.multinomial).

    Two layers: the Python names are rebound (a clear error for the usual call), and for torch
    operators a dispatch mode refuses the operator itself, so an alias saved at import time
    (`from torch import multinomial`) or a distribution's sampler cannot reach it either.
    """

    def __init__(self, names):
        self.names = [str(n) for n in names]
        self.saved: list = []
        self.mode = None

    def __enter__(self):
        import torch
        import torch.distributions

        operators = set()
        for name in self.names:
            if name == "torch.distributions":
                for cls in vars(torch.distributions).values():
                    if isinstance(cls, type) and issubclass(cls, torch.distributions.Distribution):
                        for method in ("sample", "rsample", "sample_n"):
                            if method in vars(cls):
                                self._patch(cls, method, name)
                continue
            owner_path, _, attr = name.rpartition(".")
            owner = {"torch": torch, "torch.Tensor": torch.Tensor, "torch.nn": torch.nn,
                     "torch.nn.functional": torch.nn.functional}.get(owner_path)
            if owner is None:
                raise ValueError(f"cannot disable {name!r}")
            self._patch(owner, attr, name)
            packet = getattr(torch.ops.aten, attr, None)
            if packet is not None:
                operators.add(packet)
        if operators:
            self.mode = _forbid_operators(operators)
            self.mode.__enter__()
        return self

    def _patch(self, owner, attr, label):
        def forbidden(*args, **kwargs):
            raise RuntimeError(f"{label} is not allowed in this function")

        self.saved.append((owner, attr, vars(owner).get(attr, _INHERITED)))
        setattr(owner, attr, forbidden)

    def __exit__(self, *exc):
        if self.mode is not None:
            self.mode.__exit__(*exc)
        for owner, attr, original in reversed(self.saved):
            if original is _INHERITED:
                delattr(owner, attr)
            else:
                setattr(owner, attr, original)
        return False


def _forbid_operators(packets):
    from torch.utils._python_dispatch import TorchDispatchMode

    class Forbid(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func.overloadpacket in packets:
                raise RuntimeError(f"torch.{func.overloadpacket.__name__} is not allowed in this function")
            return func(*args, **(kwargs or {}))

    return Forbid()


_INHERITED = object()


if __name__ == "__main__":
    main()
