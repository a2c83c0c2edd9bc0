"""The course's pytest plugin for the public tests of each week.

Each week's `tests/conftest.py` does `from course.testing import *`, which registers:
- `course_torch_defaults`, an autouse fixture: one torch thread and `torch.manual_seed(0)` before
  every test, so that a run is reproducible and does not fight other processes for the cores;
- `pytest_runtest_makereport`, a hook that shortens the report of a test that failed because a stub
  still raises NotImplementedError to one line, `not implemented yet: density.py::categorical_nll`
  (the file and function that raised it), instead of a full traceback.

`tools.student test` counts those lines to say how many functions are left to write.
"""
from __future__ import annotations

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
    """`file.py::function` of the innermost non-library frame of a traceback, or None.

    The innermost frame outside the standard library and site-packages is where the stub raised:
    `raise NotImplementedError` in the student's file. The qualified name (`MADE.forward`) names
    methods by their class.
    """
    site = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if not _is_library(code.co_filename):
            site = f"{Path(code.co_filename).name}::{getattr(code, 'co_qualname', code.co_name)}"
        tb = tb.tb_next
    return site


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
