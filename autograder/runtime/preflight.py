"""The pre-flight's runner: the public tests of a week, run where grading runs student code.

Sent into the sandbox as a file of the submission's working directory (beside the graded files) by
`autograder.preflight`, and also run in a plain child process for comparison. `run` imports each graded
module first, with nothing on sys.path that grading does not have; makes the functions that grading
calls with library samplers disabled raise as they do there (child.Disabled); records file opens outside
the working directory, the temporary folder and the Python installation, and network connections (an
audit hook); then runs pytest on the public tests and returns one plain record per test.

Public test files travel flat, named `pf--<path with / as -->`, and are unpacked into the temporary folder.
Nothing here is secret: no hidden test, reference or expected value.
"""
from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time


def _unpack(workdir: str) -> str:
    """pf--tests--test_density.py -> <tmp>/pf/tests/test_density.py; returns <tmp>/pf."""
    root = os.path.join(tempfile.gettempdir(), "pf")
    for name in os.listdir(workdir):
        if name.startswith("pf--"):
            target = os.path.join(root, *name[4:].split("--"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(os.path.join(workdir, name), "rb") as src, open(target, "wb") as dst:
                dst.write(src.read())
    return root


class _Audit:
    """Records what grading would refuse or hide: files outside the allowed folders, network, processes."""

    def __init__(self, allowed: list[str]):
        self.allowed = tuple(os.path.realpath(p) + os.sep for p in allowed if p)
        self.active = False
        self.events: list[tuple[str, str]] = []

    def __call__(self, event: str, args) -> None:
        if not self.active or len(self.events) >= 20:  # the events of the current test, distinct, at most 20
            return
        found = None
        if event == "open" and args and isinstance(args[0], (str, bytes)):
            path = os.fsdecode(args[0])
            if path.startswith(("/dev/", "/proc/", "/sys/", "/etc/", "/usr/")):
                return
            real = os.path.realpath(path) + os.sep
            if not real.startswith(self.allowed):
                found = ("file", path)
        elif event in ("socket.connect", "socket.getaddrinfo", "socket.bind"):
            found = ("network", f"{event} {args[1] if len(args) > 1 else ''}"[:200])
        elif event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn"):
            found = ("process", event)
        if found and found not in self.events:
            self.events.append(found)


def run(modules: list, disabled: dict, root: str | None = None) -> dict:
    """modules: the graded modules; disabled: {"sampling.sample_categorical": ["torch.multinomial", ...]};
    root: the folder holding tests/ (default: unpacked from the working directory's pf-- files)."""
    workdir = os.getcwd()
    imports = {}
    for name in modules:
        try:
            importlib.import_module(name)
            imports[name] = ""
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything at import)
            imports[name] = f"{type(exc).__name__}: {str(exc)[:300]}"
    wrapped = []
    if disabled:
        from child import Disabled  # the runtime's own mechanism, the one grading uses

        for target, names in disabled.items():
            module_name, _, function_name = target.rpartition(".")
            module = sys.modules.get(module_name)
            original = getattr(module, function_name, None) if module else None
            if callable(original):
                def guarded(*args, __original=original, __names=tuple(names), **kwargs):
                    with Disabled(__names):
                        return __original(*args, **kwargs)
                setattr(module, function_name, guarded)
                wrapped.append(target)

    import pytest

    root = root or _unpack(workdir)
    sys.path.insert(1, root)  # `course` (its pytest plugin), after the working directory
    # The runtime's own files: this module's folder, and where the fork server imported `child` and itself
    # from (host paths, kept in the modules' __file__ across the fork; Python may look at them for tracebacks).
    runtime_dirs = {os.path.dirname(os.path.abspath(m.__file__))
                    for m in (sys.modules.get(n) for n in ("child", "forkserver", "autograder.runtime.child",
                                                           "autograder.runtime.forkserver"))
                    if m is not None and getattr(m, "__file__", None)}
    audit = _Audit([workdir, root, tempfile.gettempdir(), sys.prefix, sys.base_prefix, os.path.dirname(__file__),
                    *sorted(runtime_dirs), *[p for p in sys.path if p]])
    sys.addaudithook(audit)
    records = []

    class Collect:
        def pytest_runtest_setup(self, item):
            audit.events = []
            audit.active = True

        def pytest_runtest_teardown(self, item):
            audit.active = False

        def pytest_runtest_logreport(self, report):
            if report.when == "call" or report.outcome != "passed":
                path, _, test = report.nodeid.partition("::")
                records.append({"test": test, "file": path.rsplit("/", 1)[-1], "when": report.when,
                                "outcome": report.outcome, "duration": float(report.duration),
                                "error": (report.longreprtext or "")[-1500:] if report.outcome != "passed" else "",
                                "events": [list(e) for e in audit.events[:5]]})

    started = time.monotonic()
    status = pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", root, "-o", "addopts=",
                          os.path.join(root, "tests")], plugins=[Collect()])
    return {"status": int(status), "imports": imports, "disabled": wrapped, "tests": records,
            "seconds": time.monotonic() - started}


def main() -> None:  # the plain-process comparison run, in the week folder: python preflight.py MODULES_JSON
    import json

    sys.path.insert(0, os.getcwd())
    modules = json.loads(sys.argv[1])
    result = run(modules, {}, os.getcwd())
    sys.stdout.write("\n@@preflight@@" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
