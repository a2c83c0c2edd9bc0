"""Written questions and their rubrics: the form in the master notebooks, its check, and `make rubrics`.

    python -m tools.rubrics [--week N] [--out DIR]      one markdown file per week (default dist/rubrics/)

A written question of a master notebook (`solutions/<week>/<week>.ipynb`) is two cells in a row:

1. The question, an nbgrader *task* cell (formgrader's "Manually graded task"): markdown, with nbgrader
   metadata `task: true, locked: true, points: P, grade_id: "qK_<name>"` (grade and solution false). Its
   source is the question, starting `**Question K (P points).**`, then one mark-scheme region:

       ### BEGIN MARK SCHEME
       **Rubric (P points).**
       - **1 pt.** What earns the point, whatever the seed. *No credit:* what does not earn it.
       - **0.5 pt.** ...

       **Model answer.** ...
       ### END MARK SCHEME

   Every bullet gives its points (a positive multiple of 0.5) and what earns no credit; the bullets add up
   to P. nbgrader's `generate_assignment` removes the region from the student notebook (ClearMarkScheme)
   and records the whole cell in its gradebook; `autograde` restores the locked cell, region included, in
   every collected notebook, so formgrader shows the grader the rubric and the model answer above the
   student's answer. The instructor notebook shows the question with a pointer instead of the region
   (tools/instructor_notebook.py); `make rubrics` writes every region out for TAs who grade elsewhere.
2. The answer, the next cell: a plain markdown cell with no nbgrader metadata and no cell tag, whose text
   is ANSWER_PLACEHOLDER. The student types over it; nbgrader keeps it as it is.

`questions(nb, where)` parses and checks every written question of a notebook and raises RubricError naming
`where[cell i]` (cells count from 1) at the first one that breaks the form; `make assignments` runs it on
every master (tools/student_notebook.py).
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tools.markers import MarkerError, find_regions
from tools.weeks import REPO_ROOT, WEEK_NAMES, resolve_week

BEGIN_MARK_SCHEME = "### BEGIN MARK SCHEME"    # nbgrader's ClearMarkScheme delimiters (its default keywords)
END_MARK_SCHEME = "### END MARK SCHEME"
ANSWER_PLACEHOLDER = "*Write your answer here.*"
RUBRIC_HEADING = re.compile(r"^\*\*Rubric \((?P<points>\d+(?:\.\d+)?) points?\)\.\*\*\s*$")
ITEM = re.compile(r"^- \*\*(?P<points>\d+(?:\.\d+)?) pt\.\*\* (?P<text>.*)$")
MODEL_ANSWER = "**Model answer.**"
NO_CREDIT = "*No credit:*"
GRADE_ID = re.compile(r"^q(?P<number>[1-9][0-9]*)_[a-z0-9_]+$")
QUESTION_HEADING = re.compile(r"^\*\*Question (?P<number>[1-9][0-9]*) \((?P<points>\d+(?:\.\d+)?) points?\)\.\*\*")


class RubricError(ValueError):
    """A written question that does not have the form above; the message names the notebook and the cell."""


@dataclass(frozen=True)
class RubricItem:
    points: float
    text: str                  # the criterion and what earns no credit, continuation lines joined


@dataclass(frozen=True)
class Question:
    """One written question of a master notebook."""
    grade_id: str
    points: float
    cell: int                  # the task cell's number in the notebook, from 1
    cell_id: str
    answer_cell_id: str
    question: str              # the text before the mark scheme
    rubric: tuple[RubricItem, ...]
    rubric_text: str           # the rubric as written (heading and bullets)
    model_answer: str          # the text after "**Model answer.**"

    @property
    def mark_scheme(self) -> str:
        return f"{self.rubric_text}\n\n{MODEL_ANSWER} {self.model_answer}"


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_task(cell) -> bool:
    """An nbgrader task cell (nbgrader.utils.is_task, without requiring the metadata)."""
    return bool(nbgrader_meta(cell).get("task", False))


def _points(text: str) -> float:
    return float(text)


def _fmt(points: float) -> str:
    return f"{points:g}"


def _parse_mark_scheme(body: list[str], where: str, points: float) -> tuple[tuple[RubricItem, ...], str, str]:
    """(rubric items, rubric text, model answer) from the lines strictly inside the mark-scheme region."""
    lines = list(body)
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines or not RUBRIC_HEADING.match(lines[0].strip()):
        raise RubricError(f"{where}: the mark scheme must start with '**Rubric ({_fmt(points)} points).**'")
    heading_points = _points(RUBRIC_HEADING.match(lines[0].strip()).group("points"))
    if heading_points != points:
        raise RubricError(f"{where}: the rubric says {_fmt(heading_points)} points, the cell's nbgrader "
                          f"points are {_fmt(points)}")
    try:
        answer_at = next(i for i, line in enumerate(lines) if line.startswith(MODEL_ANSWER))
    except StopIteration:
        raise RubricError(f"{where}: no '{MODEL_ANSWER}' paragraph after the rubric") from None
    items: list[list] = []                                         # [points, text, raw lines]
    for line in lines[1:answer_at]:
        match = ITEM.match(line)
        if match:
            items.append([_points(match.group("points")), match.group("text").strip(), [line]])
        elif line.startswith("  ") and line.strip() and items:
            items[-1][1] += " " + line.strip()                     # a continuation line of the bullet
            items[-1][2].append(line)
        elif line.strip():
            raise RubricError(f"{where}: a rubric line that is not a bullet '- **P pt.** ...': {line.strip()!r}")
    if not items:
        raise RubricError(f"{where}: the rubric has no bullet '- **P pt.** criterion *No credit:* ...'")
    for value, text, raw in items:
        if value <= 0 or (2 * value) != int(2 * value):
            raise RubricError(f"{where}: a bullet is worth {_fmt(value)} points; use positive multiples of 0.5")
        # On one line, so that a reader (or grep) finds it: "*No credit:*" is not split by a line break.
        if "\n".join(raw).count(NO_CREDIT) != 1 or not text.split(NO_CREDIT)[0].strip() \
                or not text.split(NO_CREDIT)[1].strip():
            raise RubricError(f"{where}: every bullet says what earns the point, then '{NO_CREDIT}' (once, on one "
                              f"line) and what does not: {text[:60]!r}")
    total = sum(value for value, _, _ in items)
    if abs(total - points) > 1e-9:
        raise RubricError(f"{where}: the rubric's bullets add up to {_fmt(total)} points, the cell's are "
                          f"{_fmt(points)}")
    model = "\n".join(lines[answer_at:])[len(MODEL_ANSWER):].strip()
    if not model:
        raise RubricError(f"{where}: the model answer is empty")
    rubric_text = "\n".join(lines[:answer_at]).strip()
    return tuple(RubricItem(v, t) for v, t, _ in items), rubric_text, model


def parse_question(cell, index: int, where: str, next_cell=None) -> Question:
    """The written question of task cell number `index` (from 1) of a notebook; `next_cell` is its answer cell."""
    here = f"{where}[cell {index}]"
    meta = nbgrader_meta(cell)
    if cell.get("cell_type") != "markdown":
        raise RubricError(f"{here}: a task cell is markdown")
    if meta.get("grade") or meta.get("solution") or not meta.get("locked"):
        raise RubricError(f"{here}: a written question's task cell is locked, with grade and solution false")
    grade_id = meta.get("grade_id", "")
    match = GRADE_ID.match(grade_id)
    if not match:
        raise RubricError(f"{here}: grade_id {grade_id!r} is not of the form 'qK_<name>'")
    points = meta.get("points")
    if not isinstance(points, (int, float)) or points <= 0:
        raise RubricError(f"{here}: {grade_id} has no positive points")
    points = float(points)
    try:
        regions = find_regions(cell.source, here, BEGIN_MARK_SCHEME, END_MARK_SCHEME)
    except MarkerError as error:
        raise RubricError(str(error)) from None
    if len(regions) != 1:
        raise RubricError(f"{here}: {grade_id} needs exactly one mark-scheme region, found {len(regions)}")
    (region,) = regions
    lines = cell.source.split("\n")
    if any(line.strip() for line in lines[region.end:]):
        raise RubricError(f"{here}: {grade_id}: nothing may follow '{END_MARK_SCHEME}' (the question comes first)")
    question = "\n".join(lines[:region.begin - 1]).strip()
    heading = QUESTION_HEADING.match(question)
    if not heading:
        raise RubricError(f"{here}: {grade_id}: the question starts with '**Question K (P points).**'")
    if heading.group("number") != match.group("number") or _points(heading.group("points")) != points:
        raise RubricError(f"{here}: {grade_id} ({_fmt(points)} points) does not match its text "
                          f"'Question {heading.group('number')} ({heading.group('points')} points)'")
    items, rubric_text, model = _parse_mark_scheme(lines[region.begin:region.end - 1], here, points)
    if next_cell is None or next_cell.get("cell_type") != "markdown" or nbgrader_meta(next_cell) \
            or next_cell.get("metadata", {}).get("tags") or next_cell.source.strip() != ANSWER_PLACEHOLDER:
        raise RubricError(f"{here}: {grade_id} must be followed by its answer cell: markdown, no nbgrader "
                          f"metadata, no cell tag, text {ANSWER_PLACEHOLDER!r}")
    return Question(grade_id=grade_id, points=points, cell=index, cell_id=cell.get("id", ""),
                    answer_cell_id=next_cell.get("id", ""), question=question, rubric=items,
                    rubric_text=rubric_text, model_answer=model)


def questions(nb, where: str) -> list[Question]:
    """Every written question (task cell) of a notebook, checked; a mark scheme outside a task cell is an error."""
    found = []
    for index, cell in enumerate(nb.cells, start=1):
        if is_task(cell):
            following = nb.cells[index] if index < len(nb.cells) else None
            found.append(parse_question(cell, index, where, following))
        elif BEGIN_MARK_SCHEME.lstrip("# ") in cell.source or END_MARK_SCHEME.lstrip("# ") in cell.source:
            raise RubricError(f"{where}[cell {index}]: a mark scheme outside a task cell (nbgrader would "
                              "refuse it, and it would not be graded)")
    numbers = [int(GRADE_ID.match(q.grade_id).group("number")) for q in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RubricError(f"{where}: the written questions are numbered {numbers}, not 1 to {len(found)} in order")
    return found


def answer_cell_ids(nb) -> set[str]:
    """The ids of the answer cells that follow task cells (not checked: see `questions`)."""
    return {nb.cells[i + 1].get("id") for i, cell in enumerate(nb.cells[:-1]) if is_task(cell)}


# ---------------------------------------------------------------------------------------------
# make rubrics
# ---------------------------------------------------------------------------------------------
def week_questions(week: str, solutions: Path | None = None) -> list[Question]:
    """The written questions of a week's master notebook, checked."""
    import nbformat

    path = (solutions or REPO_ROOT / "solutions") / week / f"{week}.ipynb"
    return questions(nbformat.read(path, as_version=4), f"solutions/{week}/{week}.ipynb")


def week_markdown(week: str, solutions: Path | None = None) -> str:
    """The rubrics of one week as a markdown document for TAs: each question, its points, rubric, model answer."""
    found = week_questions(week, solutions)
    total = sum(q.points for q in found)
    out = [f"# {week}: rubrics of the written questions", "",
           f"Generated by `make rubrics` from `solutions/{week}/{week}.ipynb` (edit the master, not this file). "
           f"{len(found)} questions, {_fmt(total)} points, graded by hand. Grade each bullet on its own; a "
           "criterion never depends on the numbers of one run.", ""]
    for q in found:
        out += ["---", "", f"## {q.grade_id} ({_fmt(q.points)} points)", "", q.question, "", q.rubric_text, "",
                f"{MODEL_ANSWER} {q.model_answer}", ""]
    return "\n".join(out)


def write_rubrics(out: Path, weeks: list[str] | None = None, solutions: Path | None = None) -> list[Path]:
    """Write `out/<week>.md` for each week that has a master notebook; return the paths."""
    solutions = solutions or REPO_ROOT / "solutions"
    written = []
    for week in weeks or WEEK_NAMES:
        if not (solutions / week / f"{week}.ipynb").is_file():
            continue
        text = week_markdown(week, solutions)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{week}.md"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.rubrics",
                                     description="Write the rubrics of the written questions, one file per week.")
    parser.add_argument("--week", help="1 to 4 or the week folder (default: every week)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "dist" / "rubrics")
    args = parser.parse_args(argv)
    try:
        weeks = [resolve_week(args.week)] if args.week else None
        written = write_rubrics(args.out, weeks)
    except (RubricError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        found = week_questions(path.stem)
        print(f"{path}: {len(found)} questions, {_fmt(sum(q.points for q in found))} points")
    if not written:
        print("no master notebook: no rubric written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
