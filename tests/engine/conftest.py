"""Fixtures shared by the engine tests."""
import time

import pytest

from autograder.remote import Remote
from autograder.sandbox import Limits, Sandbox


@pytest.fixture
def sub(request, tmp_path):
    """A `Remote` on a sandbox that imports the test module's STUDENT source as module `student`, as the
    engine hands `sub` to a hidden test; 120 s of wall time, 3 GiB of memory."""
    (tmp_path / "student.py").write_text(request.module.STUDENT)
    box = Sandbox({"student.py": tmp_path / "student.py"}, ["student"], Limits(memory_bytes=3 << 30))
    remote = Remote(box, {"student": None})
    remote.deadline = time.monotonic() + 120
    yield remote
    box.close()
