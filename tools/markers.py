"""Solution and hidden-test regions: find them, validate them, and turn a solution file into a stub.

A region is

    <indent>### BEGIN SOLUTION
    ...the reference code...
    <indent>### END SOLUTION

with each marker alone on its line and both markers at the same indentation. In a stub the whole
region becomes one line, `<indent>raise NotImplementedError`; every other line is kept verbatim.
Nested, unterminated and unmatched markers, markers at different indentations, and lines that
mention a marker without being one are errors that name `file:line`, as nbgrader's own
`ClearSolutions` refuses nested or unterminated regions.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
STUB_LINE = "raise NotImplementedError"


class MarkerError(ValueError):
    """A malformed region. `str(error)` starts with `file:line:`."""

    def __init__(self, where: str, line: int, problem: str):
        self.where, self.line, self.problem = where, line, problem
        super().__init__(f"{where}:{line}: {problem}")


@dataclass(frozen=True)
class Region:
    """One region. Lines are 1-based; the body is the lines strictly between the markers."""
    begin: int   # line of the BEGIN marker
    end: int     # line of the END marker
    indent: str  # leading whitespace of both markers


def _keyword(marker: str) -> str:
    """`### BEGIN SOLUTION` -> `BEGIN SOLUTION`: what a malformed marker line still contains."""
    return marker.lstrip("# ")


def find_regions(text: str, where: str, begin: str = BEGIN_SOLUTION,
                 end: str = END_SOLUTION) -> list[Region]:
    """The regions of `text` delimited by `begin`/`end`, validated; `where` names the file in errors."""
    regions: list[Region] = []
    open_line, open_indent = 0, ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == begin:
            if open_line:
                raise MarkerError(where, number, f"nested '{begin}' (the region opened at line "
                                                 f"{open_line} is not closed)")
            open_line, open_indent = number, indent
        elif stripped == end:
            if not open_line:
                raise MarkerError(where, number, f"'{end}' without a matching '{begin}'")
            if indent != open_indent:
                raise MarkerError(where, number, f"'{end}' is indented {indent!r} but its "
                                                 f"'{begin}' at line {open_line} is indented "
                                                 f"{open_indent!r}")
            regions.append(Region(open_line, number, open_indent))
            open_line = 0
        elif _keyword(begin) in line or _keyword(end) in line:
            raise MarkerError(where, number, f"malformed marker: {stripped!r} (a marker is "
                                             f"'{begin}' or '{end}' alone on its line)")
    if open_line:
        raise MarkerError(where, open_line, f"'{begin}' is never closed by '{end}'")
    return regions


def region_body_lines(text: str, regions: list[Region]) -> list[str]:
    """The lines strictly inside the regions, without line endings."""
    lines = text.splitlines()
    return [lines[i - 1] for region in regions for i in range(region.begin + 1, region.end)]


def stub_source(text: str, where: str) -> str:
    """The student stub of a Python solution file: each region becomes `raise NotImplementedError`.

    Beyond the marker checks, the stub must parse, and each inserted `raise` must sit inside a
    function, so that a stub fails with NotImplementedError when called and never on import.
    """
    regions = find_regions(text, where)
    if not regions:
        return text
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    stub_lines: list[int] = []   # 1-based line numbers of the inserted raises, in the stub
    previous_end = 0
    for region in regions:
        out.extend(lines[previous_end: region.begin - 1])
        marker = lines[region.begin - 1]
        ending = marker[len(marker.rstrip("\r\n")):] or "\n"
        out.append(f"{region.indent}{STUB_LINE}{ending}")
        stub_lines.append(len(out))
        previous_end = region.end
    out.extend(lines[previous_end:])
    stub = "".join(out)
    _check_stub(stub, where, dict(zip(stub_lines, (r.begin for r in regions))))
    return stub


def _check_stub(stub: str, where: str, origin: dict[int, int]) -> None:
    """The stub parses and every inserted raise (stub line -> solution line) is inside a function."""
    try:
        tree = ast.parse(stub)
    except SyntaxError as error:
        # Report against the solution file: the nearest region at or before the error.
        line = max((b for s, b in origin.items() if s <= (error.lineno or 0)), default=1)
        raise MarkerError(where, line, f"the stub does not parse once the region is replaced "
                                       f"by '{STUB_LINE}': {error.msg}") from None
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Raise):
                    in_function.add(inner.lineno)
    for stub_line, solution_line in origin.items():
        if stub_line not in in_function:
            raise MarkerError(where, solution_line, "solution region outside a function: its "
                                                    "stub would raise on import")
