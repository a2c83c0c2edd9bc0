"""The nbgrader side of `make bench` (autograder/nbgrader_bench.py): the notebook it autogrades is valid, holds the
reference's code in one solution region, and its one test passes on that code and fails on a wrong one (so
nbgrader's figure is the time of a passing grade of a real test)."""
from __future__ import annotations

import json

import nbformat
import pytest

from autograder import nbgrader_bench


def test_the_solution_cell_is_the_references_function_in_one_solution_region():
    source = nbgrader_bench.solution_source()
    assert source.count("### BEGIN SOLUTION") == 1 and source.count("### END SOLUTION") == 1
    assert source.index("### BEGIN SOLUTION") < source.index("### END SOLUTION")
    assert "def gaussian_log_prob(" in source and "torch.linalg.cholesky" in source


def test_the_notebook_is_valid_nbformat_with_one_autograded_test():
    nb = nbformat.reads(json.dumps(nbgrader_bench.notebook(nbgrader_bench.solution_source())), as_version=4)
    nbformat.validate(nb)
    graded = [c for c in nb.cells if c.metadata["nbgrader"]["grade"]]
    assert len(graded) == 1 and graded[0].metadata["nbgrader"]["points"] == 1
    assert [c.metadata["nbgrader"]["solution"] for c in nb.cells] == [True, False]


def test_the_test_cell_passes_on_the_reference_and_fails_on_a_wrong_answer():
    assert nbgrader_bench.in_process_seconds(nbgrader_bench.solution_source(), repeats=1) >= 0  # ran, no assertion failed
    wrong = nbgrader_bench.solution_source().replace("-0.5 * (D * LOG_2PI + log_det + maha)",
                                                     "-0.5 * (D * LOG_2PI + maha)")
    assert wrong != nbgrader_bench.solution_source()
    with pytest.raises(AssertionError):
        nbgrader_bench.in_process_seconds(wrong, repeats=1)
