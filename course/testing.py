"""The course's pytest plugin for the public tests of each week.

Each week's `tests/conftest.py` does `from course.testing import *`, which registers:
- `course_torch_defaults`, an autouse fixture: one torch thread and `torch.manual_seed(0)` before
  every test, so that a run is reproducible and does not fight other processes for the cores;
- `pytest_runtest_makereport`, a hook that shortens the report of a test that failed because a stub
  still raises NotImplementedError to one line, `not implemented yet: density.py::categorical_nll`
  (the file and function that raised it), instead of a full traceback. Only a
  `raise NotImplementedError` line in the student's own files counts; a NotImplementedError from
  torch or another library keeps its traceback.

`tools.student test` counts those lines to say how many functions are left to write.
"""
from __future__ import annotations

import linecache
import os
import sysconfig
from pathlib import Path

import pytest
import torch

__all__ = ["course_torch_defaults", "pytest_runtest_makereport"]

NOT_IMPLEMENTED_PREFIX = "not implemented yet: "

# Frames in these folders are libraries (the standard library, site-packages), never student code.
_LIBRARY_ROOTS = tuple(sorted({str(Path(p).resolve()) + os.sep for p in (
    sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"],
    sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]) if p}))


@pytest.fixture(autouse=True)
def course_torch_defaults():
    """One torch thread and torch's global generator seeded with 0, before each test."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield


def _is_library(filename: str) -> bool:
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return True
    return filename.startswith("<") or resolved.startswith(_LIBRARY_ROOTS)


def raise_site(tb) -> str | None:
    """`file.py::function` where a stub raised NotImplementedError, or None if it was not a stub.

    A stub is a `raise NotImplementedError` statement in a file outside the standard library and
    site-packages, in the innermost frame of the traceback. A NotImplementedError raised by a
    library (torch has some, for unsupported dtypes) is a real error and keeps its traceback.
    The qualified name (`MADE.forward`) names a method by its class.
    """
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    line = linecache.getline(code.co_filename, tb.tb_lineno).strip()
    if _is_library(code.co_filename) or not line.startswith("raise NotImplementedError"):
        return None
    return f"{Path(code.co_filename).name}::{getattr(code, 'co_qualname', code.co_name)}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failure caused by NotImplementedError is reported as one line naming the stub."""
    outcome = yield
    report = outcome.get_result()
    excinfo = call.excinfo
    if report.failed and excinfo is not None and excinfo.errisinstance(NotImplementedError):
        site = raise_site(excinfo.tb)
        if site is not None:
            report.longrepr = NOT_IMPLEMENTED_PREFIX + site
