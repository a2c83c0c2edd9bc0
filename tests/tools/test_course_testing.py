"""course/testing.py: the pytest plugin that every week's tests/conftest.py imports with `import *`.

The plugin runs for real: pytest in a child process on a tiny week folder written here, with a stub
module, a bug, and tests that probe the seeding and the thread count.
"""
import textwrap

import course.testing

STUB = '''
"""A tiny week: one function and one method still stubs, a bug, and library NotImplementedErrors."""
import io
import logging


def area(width, height):
    """Area of a rectangle."""
    raise NotImplementedError


class Shape:
    def perimeter(self):
        raise NotImplementedError


def double(x):
    return x + 1  # the bug: a wrong value, not a stub


def read_raw():
    return io.RawIOBase().read(1)  # NotImplementedError raised in C code: not a stub


def emit_log():
    return logging.Handler().emit(None)  # NotImplementedError raised in the standard library
'''

TESTS = '''
import torch

import shapes


def test_area():
    assert shapes.area(2, 3) == 6


def test_area_again_is_reported_once_per_test():
    assert shapes.area(1, 1) == 1


def test_perimeter():
    assert shapes.Shape().perimeter() == 4


def test_double_has_a_bug():
    assert shapes.double(2) == 4


def test_read_raw():
    shapes.read_raw()


def test_emit_log():
    shapes.emit_log()


def test_first_draw_then_spoil_the_state():
    expected = torch.rand(2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(torch.rand(2), expected)
    torch.set_num_threads(2)       # the next test must find one thread again
    torch.rand(1000)               # and a generator reseeded, not continued


def test_the_next_test_is_reseeded_with_one_thread():
    expected = torch.rand(2, generator=torch.Generator().manual_seed(0))
    assert torch.get_num_threads() == 1
    assert torch.equal(torch.rand(2), expected)
'''

CONFTEST = '''
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from course.testing import *  # noqa: E402,F401,F403
'''


def test_import_star_exports_exactly_the_fixture_and_the_hook():
    namespace = {}
    exec("from course.testing import *", namespace)
    exported = sorted(name for name in namespace if name != "__builtins__")
    assert exported == sorted(course.testing.__all__) == ["course_torch_defaults",
                                                         "pytest_runtest_makereport"]


def test_plugin_in_a_real_pytest_run(kit, tmp_path):
    week = tmp_path / "week9_tiny"
    (week / "tests").mkdir(parents=True)
    (week / "shapes.py").write_text(textwrap.dedent(STUB))
    (week / "tests" / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (week / "tests" / "test_shapes.py").write_text(textwrap.dedent(TESTS))
    done = kit.run_python("-m", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider",
                          "--import-mode=importlib", "tests", cwd=week)
    out = done.stdout
    lines = out.splitlines()
    assert done.returncode == 1, out
    assert "6 failed, 2 passed" in out, out
    # One line per stubbed test, naming the file and the (qualified) function that raised.
    assert lines.count("not implemented yet: shapes.py::area") == 2, out
    assert lines.count("not implemented yet: shapes.py::Shape.perimeter") == 1, out
    # ... instead of the traceback: no frame of the stubs is shown ...
    assert ": in area" not in out and ": in perimeter" not in out, out
    # ... while a real failure keeps its traceback, and so does a NotImplementedError that a
    # library raised, from C or from Python code.
    assert "assert shapes.double(2) == 4" in out and "assert 3 == 4" in out, out
    assert "return io.RawIOBase().read(1)" in out, out
    assert "emit must be implemented by Handler subclasses" in out, out
    assert sum(line.startswith("not implemented yet: ") for line in lines) == 3, out
