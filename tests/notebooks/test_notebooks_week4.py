"""Week-4 notebooks: the nbgrader master's cells, and both notebooks executed in fast mode.

- The master (`solutions/week4_wgan_sn/week4_wgan_sn.ipynb`) passes nbgrader's own schema-3
  validator, is stored without outputs, and has the cell kinds the assignment promises: written answers
  graded by hand (with a model answer between the solution markers), locked autograded tests, and
  solution cells for the code students write.
- Executed next to the reference in fast mode (DGM_FAST=1), it raises nothing, and no autograded test
  cell writes to stderr (nbgrader gives such a cell 0 points).
- The instructor notebook runs in fast mode without touching the committed file, runs the same code as
  the master, and is committed with the outputs of a full run.
"""
from __future__ import annotations

import re

import nbformat
import pytest
from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

from tools import notebooks as tn
from tools.markers import BEGIN_HIDDEN_TESTS, BEGIN_SOLUTION, END_HIDDEN_TESTS, END_SOLUTION, find_regions

WEEK = "week4_wgan_sn"
MASTER = tn.REPO_ROOT / "solutions" / WEEK / f"{WEEK}.ipynb"
INSTRUCTOR = tn.REPO_ROOT / "notebooks" / f"{WEEK}.ipynb"
FULL_MODE_BUDGET_S = 900      # the issue: the full mode runs in at most 15 minutes on 2 cores
MAX_SIZE_BYTES = 2_000_000    # the committed instructor notebook, figures included


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def kind(cell) -> str:
    """nbgrader's cell kinds: written answer, autograded test, code answer, locked, or plain."""
    m = nbgrader_meta(cell)
    if m.get("grade") and m.get("solution"):
        return "written" if cell.cell_type == "markdown" else "graded code answer"
    if m.get("grade"):
        return "test"
    if m.get("solution"):
        return "solution"
    if m.get("locked"):
        return "locked"
    return "plain"


def errors_and_stderr(cell) -> list[str]:
    out = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            out.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stderr":
            out.append(f"stderr: {output.text[:300]}")
    return out


def stripped_master_source(source: str) -> str:
    """A master cell as the instructor notebook runs it: no solution markers, no hidden tests."""
    lines, hidden = [], False
    for line in source.split("\n"):
        if line.strip() == BEGIN_HIDDEN_TESTS:
            hidden = True
        elif line.strip() == END_HIDDEN_TESTS:
            hidden = False
        elif not hidden and line.strip() not in (BEGIN_SOLUTION, END_SOLUTION):
            lines.append(line)
    return "\n".join(lines).rstrip()


# ---------------------------------------------------------------------------------------------
# The master notebook, statically
# ---------------------------------------------------------------------------------------------
def test_master_is_a_valid_nbgrader_notebook_without_outputs():
    nb = nbformat.read(MASTER, as_version=4)
    nbformat.validate(nb)
    MetadataValidatorV3().validate_nb(nb)          # schema 3, grade ids, points, markdown rules
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {index} has outputs"
        meta = nbgrader_meta(cell)
        if meta:
            assert meta["schema_version"] == 3, f"cell {index}: nbgrader schema {meta['schema_version']}"
        # Markers are well formed (tools.markers raises on nesting, unterminated or stray markers).
        regions = find_regions(cell.source, f"cell {index}", BEGIN_SOLUTION, END_SOLUTION)
        hidden = find_regions(cell.source, f"cell {index}", BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
        if regions:
            assert meta.get("solution"), f"cell {index}: a solution region outside a solution cell"
        if hidden:
            assert kind(cell) == "test", f"cell {index}: hidden tests outside an autograded test cell"


def test_master_has_the_promised_cells():
    nb = nbformat.read(MASTER, as_version=4)
    cells = [(kind(c), c) for c in nb.cells]
    written = [c for k, c in cells if k == "written"]
    tests = [c for k, c in cells if k == "test"]
    solutions = [c for k, c in cells if k == "solution"]
    # Three experiments, the spec's notebook sections; three written questions graded by hand, and
    # autograded tests.
    headings = re.findall(r"^## (\d)\. ", "\n".join(c.source for c in nb.cells if c.cell_type == "markdown"),
                          flags=re.M)
    assert headings == ["1", "2", "3"]
    assert len(written) == 3 and len(tests) >= 4 and len(solutions) >= 2
    for cell in written:
        meta = nbgrader_meta(cell)
        assert meta["points"] > 0 and not meta["locked"] and not meta.get("task", False)
        body = cell.source.split(BEGIN_SOLUTION)[1].split(END_SOLUTION)[0]
        assert len(body.split()) > 40, f"{meta['grade_id']}: the model answer is missing or too short"
    for cell in tests:
        meta = nbgrader_meta(cell)
        assert meta["locked"] and meta["points"] > 0 and "assert" in cell.source, meta["grade_id"]
    for cell in solutions:
        assert BEGIN_SOLUTION in cell.source and cell.cell_type == "code"
    # The spec's written questions: why a Lipschitz critic makes the Wasserstein estimate meaningful, and SN
    # against GP; the table beside VEEGAN's.
    assert any("Lipschitz" in c.source and "Wasserstein" in c.source for c in written)
    assert any("spectral normalization" in c.source and "gradient penalty" in c.source for c in written)
    assert "VEEGAN" in "\n".join(c.source for c in nb.cells)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert 'FAST = os.environ.get("DGM_FAST") == "1"' in first_code.source
    assert "torch.manual_seed(" in first_code.source and "torch.set_num_threads(1)" in first_code.source
    assert nbgrader_meta(first_code).get("locked"), "the setup cell is locked"


# ---------------------------------------------------------------------------------------------
# Executed in fast mode
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_master_runs_with_the_reference_and_every_test_cell_passes():
    (done,) = tn.check_master(WEEK, fast=True)
    nb = done.notebook
    first_output = next(c for c in nb.cells if c.cell_type == "code").outputs
    assert any("mode: FAST" in o.get("text", "") for o in first_output), "DGM_FAST=1 reached the kernel"
    for cell in nb.cells:
        if cell.cell_type == "code":
            problems = errors_and_stderr(cell)
            if kind(cell) == "test":
                assert not problems, f"{nbgrader_meta(cell)['grade_id']} would score 0: {problems}"
            else:
                assert not [p for p in problems if not p.startswith("stderr")], problems


@pytest.mark.slow
def test_instructor_notebook_runs_fast_without_rewriting_the_committed_file(tmp_path):
    before = INSTRUCTOR.read_bytes()
    (written,) = tn.run_instructor(WEEK, fast=True, inplace=False, out_dir=tmp_path)
    assert written == tmp_path / INSTRUCTOR.name
    assert INSTRUCTOR.read_bytes() == before, "fast mode must not rewrite the committed notebook"
    nb = nbformat.read(written, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "mode: FAST" in text


def test_inplace_refuses_fast_mode():
    with pytest.raises(tn.NotebookError, match="full mode"):
        tn.run_instructor(WEEK, fast=True, inplace=True)


# ---------------------------------------------------------------------------------------------
# The committed instructor notebook
# ---------------------------------------------------------------------------------------------
def test_instructor_runs_the_same_code_as_the_master():
    master = [c for c in nbformat.read(MASTER, as_version=4).cells if c.cell_type == "code"]
    instructor = [c for c in nbformat.read(INSTRUCTOR, as_version=4).cells if c.cell_type == "code"]
    assert len(master) == len(instructor)
    # The setup cell: the instructor's adds the reference's folder to sys.path, and keeps every line
    # of the master's, in order.
    lines = iter(instructor[0].source.split("\n"))
    for line in master[0].source.split("\n"):
        assert any(line == other for other in lines), f"setup line missing from the instructor: {line!r}"
    assert "solutions" in instructor[0].source and "sys.path.insert" in instructor[0].source
    for m, i in zip(master[1:], instructor[1:]):
        assert stripped_master_source(m.source) == i.source.rstrip(), (
            "the instructor notebook drifted from the master at:\n" + i.source[:200])


def test_committed_instructor_notebook_holds_a_full_run():
    assert INSTRUCTOR.stat().st_size < MAX_SIZE_BYTES
    nb = nbformat.read(INSTRUCTOR, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "every code cell was executed"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for c in code for o in c.outputs if o.output_type == "stream")
    assert "mode: full" in text and "mode: FAST" not in text
    images = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4, "the figures of the three experiments (ring, grid, Lipschitz, MNIST)"
    seconds = float(re.search(r"notebook ran in ([0-9.]+) s \(full mode\)", text).group(1))
    assert seconds < FULL_MODE_BUDGET_S, f"the committed full run took {seconds:.0f} s"


def test_a_failing_cell_is_reported_with_its_number_and_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 2, 'x is not 2'")]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(tn.NotebookError, match=r"broken.ipynb: cell 2 .*AssertionError: x is not 2"):
        tn.execute(path, cwd=tmp_path, fast=True)


# ---------------------------------------------------------------------------------------------
# The reference results (bench/week4_reference.md)
# ---------------------------------------------------------------------------------------------
BENCH = tn.REPO_ROOT / "bench" / "week4_reference.md"


def test_the_seed_table_runs_the_notebooks_own_recipes():
    # bench/week4_table.py executes these instructor cells by id, so the 5-seed table uses the same code.
    import importlib.util
    spec = importlib.util.spec_from_file_location("week4_table", tn.REPO_ROOT / "bench" / "week4_table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    ids = {c.get("id") for c in nbformat.read(INSTRUCTOR, as_version=4).cells}
    master_ids = {c.get("id") for c in nbformat.read(MASTER, as_version=4).cells}
    assert set(table.CELL_IDS) <= ids and set(table.CELL_IDS) <= master_ids


def test_reference_results_are_recorded_by_the_full_run():
    text = BENCH.read_text()
    section = text.split("<!-- notebook: begin -->")[1].split("<!-- notebook: end -->")[0]
    assert re.search(r"## The instructor notebook's run, \d{4}-\d{2}-\d{2}", section), "dated"
    for data in ("ring", "grid"):
        for method in ("GAN", "WGAN-GP", "WGAN-SN"):
            assert re.search(rf"\| {data} \| {method} \| \d+ \| [0-9.]+% \| [0-9.]+ \| \d+ \| \d+ s \| \d+ s \|",
                             section), f"the row {data} / {method}"
    assert "Machine:" in section
