"""course.datasets re-exports the data loaders; importing `course` alone stays light."""

import subprocess
import sys

import data
import course.datasets as datasets


def test_reexports_are_the_data_loaders():
    for name in datasets.__all__:
        assert getattr(datasets, name) is getattr(data, name), name
    x, y = datasets.load_digits8("test")
    assert x.shape == (360, 8, 8) and y.shape == (360,)


def test_import_course_loads_nothing_heavy():
    code = "import sys, course; print(sorted({'matplotlib', 'torch', 'data'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=data.__path__[0] + "/..")  # fmt: skip
    assert out.stdout.strip() == "[]"
