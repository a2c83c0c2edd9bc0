"""One gradebook: the autograder's scores and nbgrader's notebook grades, merged per student.

    python -m tools.gradebook --grades DIR [--nbgrader-root DIR] [--week N] [--fast] [--force]
                              [--sample | --no-sample]

1. The nbgrader course root (default `build/nbgrader`) holds the collected notebooks, as nbgrader
   expects them: `submitted/<student>/<assignment>/<notebook>.ipynb`, with the student's graded `.py`
   files beside the notebook (the notebook imports them).
2. The master notebook of the week is copied to `source/<assignment>/` (the notebook only: nbgrader
   copies every other file of `source/` over the student's files before autograding), and
   `nbgrader generate_assignment` records its grade cells in the course's gradebook database
   (`gradebook.db`, SQLite); it runs again only when the master or the course configuration changed.
   `nbgrader autograde` then runs every collected notebook (skipping those already autograded, unless
   `--force`) and records the automatic grades there.
3. TAs grade the written answers in nbgrader's formgrader (`cd build/nbgrader && nbgrader formgrader`,
   or the Gradebook API); their manual grades land in the same database. Each written question is an
   nbgrader task cell whose mark scheme (rubric and model answer, tools/rubrics.py) nbgrader keeps in
   its database and restores in every autograded notebook, so formgrader shows it above the student's
   answer cell; a task cell's points wait for a TA whatever the answer cell holds.
4. This tool reads the database through nbgrader's `Gradebook` API, writes nbgrader's own CSV export
   (`nbgrader_grades.csv`, by the plugin that `nbgrader export` runs) and checks that both readings
   agree, then merges with the autograder's gradebook (`DIR/<week>/gradebook.csv`, as `make grade`
   writes it, else `DIR/gradebook.csv`; columns `submission`, one per test, `total`, `max_total`; the
   submission name is the student id) into `combined_gradebook.csv` next to it, one row per student:

   | column | meaning |
   |---|---|
   | `student_id` | nbgrader's student id, the autograder's submission name |
   | `assignment` | the nbgrader assignment (the week folder) |
   | `autograder_score`, `autograder_max` | `total` and `max_total` of the autograder |
   | `nbgrader_auto` | the notebook's autograded test cells (a TA's override counts) |
   | `nbgrader_manual` | the manually graded answers; blank until a TA has graded one |
   | `nbgrader_max` | the notebook's points, automatic and manual |
   | `nbgrader_ungraded` | answers still waiting for a TA |
   | `combined_total`, `combined_max` | the sum of the scores present, and of both maxima |
   | `missing` | what is absent: `autograder`, `nbgrader`, `manual grading` |

   A student missing from one side still gets a row, with blanks on that side.

With no collected notebook, the tool says so. In the default course root it then creates a sample
collection (`--no-sample` to stop there instead, `--sample` to create it anywhere): the student
notebook as nbgrader generates it, handed in by `week1-reference` (filled with the reference answers,
with the reference `.py` files, and the model answers in its answer cells) and `week1-stub`
(untouched, with the stub `.py` files), the names of two example submissions of `make grade`. Their
written answers are left for a TA to grade.

`--fast` runs the collected notebooks in their quick mode (`DGM_FAST=1`), for demonstrations and tests;
real grading runs them in full. Exit status: 0 when the gradebook was written, 1 otherwise.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from tools.markers import BEGIN_SOLUTION, END_SOLUTION, stub_source
from tools.rubrics import is_task, questions
from tools.weeks import REPO_ROOT, graded_files, resolve_week

DEFAULT_ROOT = REPO_ROOT / "build" / "nbgrader"
COURSE_CONFIG = REPO_ROOT / "nbgrader_config.py"
SAMPLE_STUDENTS = ("reference", "stub")          # prefixed with "week<N>-", as the example submissions
SAMPLE_MARKER = "SAMPLE_COLLECTION.txt"
NBGRADER_TIMEOUT_S = 3600                        # one nbgrader command (autograde runs every notebook)
CELL_TIMEOUT_S = 600                             # one notebook cell during autograde
COLUMNS = ["student_id", "assignment", "autograder_score", "autograder_max", "nbgrader_auto",
           "nbgrader_manual", "nbgrader_max", "nbgrader_ungraded", "combined_total", "combined_max",
           "missing"]


class GradebookError(RuntimeError):
    """The gradebook could not be made; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------
# The nbgrader course root
# ---------------------------------------------------------------------------------------------
def db_url(root: Path) -> str:
    return f"sqlite:///{root / 'gradebook.db'}"


def course_id() -> str:
    """The course id of the course configuration (nbgrader's default when it sets none)."""
    from traitlets.config.loader import PyFileConfigLoader

    if COURSE_CONFIG.is_file():
        config = PyFileConfigLoader(COURSE_CONFIG.name, str(COURSE_CONFIG.parent)).load_config()
        if "course_id" in config.CourseDirectory:
            return str(config.CourseDirectory.course_id)
    return "default_course"


def open_gradebook(root: Path):
    """nbgrader's Gradebook API on the course root's database, in the course's course id."""
    from nbgrader.api import Gradebook

    return Gradebook(db_url(root), course_id=course_id())


def write_course_config(root: Path, assignment: str) -> bool:
    """`root/nbgrader_config.py`: the course configuration, this root, and the autograde settings.

    nbgrader reads it from the course root, so `nbgrader formgrader` started there sees the same course.
    Returns whether the file changed (a changed course configuration means generating again).
    """
    lines = [
        "# Written by tools/gradebook.py: the course configuration plus this course root.",
        "c = get_config()  # noqa: F821",
    ]
    if COURSE_CONFIG.is_file():
        digest = hashlib.sha256(COURSE_CONFIG.read_bytes()).hexdigest()[:16]
        lines.append(f"load_subconfig({str(COURSE_CONFIG)!r})  # noqa: F821  (sha256 {digest})")
    protected = list(graded_files(assignment))
    lines += [
        f"c.CourseDirectory.root = {str(root)!r}",
        f"c.CourseDirectory.db_url = {db_url(root)!r}",
        # nbgrader copies the files of source/<assignment>/ over the student's before autograding;
        # source/ holds only the master notebook, and the graded files are protected all the same.
        f"c.Autograde.exclude_overwriting = {{{assignment!r}: {protected!r}}}",
        f"c.Execute.timeout = {CELL_TIMEOUT_S}",
        "",
    ]
    path = root / "nbgrader_config.py"
    text = "\n".join(lines)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def nbgrader(root: Path, *args: str, fast: bool = False) -> str:
    """Run one nbgrader command in the course root; return its log, raise GradebookError on failure."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO_ROOT), env.get("PYTHONPATH", "")] if p)
    env.update(JUPYTER_NO_CONFIG="1", JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
               JUPYTER_PREFER_ENV_PATH="1", PYTHONDONTWRITEBYTECODE="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("MPLBACKEND", None)            # the notebooks use matplotlib's inline backend
    env.pop("DGM_FAST", None)
    if fast:
        env["DGM_FAST"] = "1"
    command = [sys.executable, "-m", "nbgrader", *args, "--log-level=INFO"]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                              timeout=NBGRADER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise GradebookError(f"`nbgrader {' '.join(args)}` ran over {NBGRADER_TIMEOUT_S} s in {root}") from None
    log = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise GradebookError(f"`nbgrader {' '.join(args)}` failed (exit {done.returncode}) in {root}:\n"
                             f"{log[-4000:]}")
    return log


def prepare_source(root: Path, assignment: str) -> bool:
    """Copy the master notebooks of the week into `root/source/<assignment>/`.

    Returns whether anything changed since the last run (then generate_assignment must run again).
    """
    masters = sorted((REPO_ROOT / "solutions" / assignment).glob("*.ipynb"))
    if not masters:
        raise GradebookError(f"no master notebook in solutions/{assignment}/")
    source = root / "source" / assignment
    wanted = {m.name: m.read_bytes() for m in masters}
    have = {p.name: p.read_bytes() for p in source.glob("*")} if source.is_dir() else None
    released = all((root / "release" / assignment / name).is_file() for name in wanted)
    if have == wanted and released and (root / "gradebook.db").is_file():
        return False
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for name, data in wanted.items():
        (source / name).write_bytes(data)
    return True


def collected(root: Path, assignment: str) -> dict[str, list[Path]]:
    """{student id: its collected notebooks} under `root/submitted/<student>/<assignment>/`."""
    found = {}
    submitted = root / "submitted"
    if submitted.is_dir():
        for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
            notebooks = sorted((student_dir / assignment).glob("*.ipynb"))
            if notebooks:
                found[student_dir.name] = notebooks
    return found


# ---------------------------------------------------------------------------------------------
# The sample collection
# ---------------------------------------------------------------------------------------------
def _strip_markers(source: str) -> str:
    """A solution cell's source as the reference fills it: the master's, without the marker lines."""
    keep = [line for line in source.split("\n") if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)]
    return "\n".join(keep).strip("\n")


def fill_with_reference(student_nb: nbformat.NotebookNode,
                        master_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student notebook with every solution cell answered as in the master (code and written), and the
    answer cell after each written question (task cell, tools/rubrics.py) holding the question's model answer."""
    answers = {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in master_nb.cells
               if cell.metadata.get("nbgrader", {}).get("solution")}
    model_answers = {q.grade_id: q.model_answer for q in questions(master_nb, "the master notebook")}
    filled = nbformat.from_dict(student_nb)
    for index, cell in enumerate(filled.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = _strip_markers(answers[meta["grade_id"]])
        elif is_task(cell) and index + 1 < len(filled.cells):
            filled.cells[index + 1].source = model_answers[meta["grade_id"]]
    return filled


def _stub_files(assignment: str) -> dict[str, str]:
    """The stub `.py` files of the week: from assignments/ when generated, else made from solutions/."""
    out = {}
    for name in graded_files(assignment):
        generated = REPO_ROOT / "assignments" / assignment / name
        if generated.is_file():
            out[name] = generated.read_text(encoding="utf-8")
        else:
            solution = REPO_ROOT / "solutions" / assignment / name
            out[name] = stub_source(solution.read_text(encoding="utf-8"), f"solutions/{assignment}/{name}")
    return out


def create_sample_collection(root: Path, assignment: str) -> list[str]:
    """Hand in the generated student notebook as two sample students; return their ids."""
    prefix = assignment.split("_")[0]
    release = root / "release" / assignment
    students = []
    for kind in SAMPLE_STUDENTS:
        student = f"{prefix}-{kind}"
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        for student_nb_path in sorted(release.glob("*.ipynb")):
            student_nb = nbformat.read(student_nb_path, as_version=4)
            if kind == "reference":
                master = nbformat.read(root / "source" / assignment / student_nb_path.name, as_version=4)
                student_nb = fill_with_reference(student_nb, master)
            nbformat.write(student_nb, folder / student_nb_path.name)
        for name in graded_files(assignment):
            if kind == "reference":
                shutil.copyfile(REPO_ROOT / "solutions" / assignment / name, folder / name)
            else:
                (folder / name).write_text(_stub_files(assignment)[name], encoding="utf-8")
        students.append(student)
    (root / SAMPLE_MARKER).write_text(
        "The notebooks under submitted/ are a sample collection made by tools/gradebook.py:\n"
        + "".join(f"  {s}\n" for s in students)
        + "Delete submitted/, autograded/ and gradebook.db before collecting real submissions.\n",
        encoding="utf-8")
    return students


# ---------------------------------------------------------------------------------------------
# Reading the nbgrader database
# ---------------------------------------------------------------------------------------------
@dataclass
class NotebookGrades:
    """One student's nbgrader grades on one assignment (every notebook of it)."""
    auto: float = 0.0                 # autograded test cells
    manual: float | None = None       # manually graded answers; None until a TA grades one
    max_score: float = 0.0
    ungraded: int = 0                 # answers waiting for a TA
    cells: dict[str, float] = field(default_factory=dict)   # {grade_id: score}


def read_nbgrader_grades(root: Path, assignment: str) -> dict[str, NotebookGrades]:
    """{student id: grades} from the course's gradebook database, through nbgrader's Gradebook API."""
    from nbgrader.api import MissingEntry

    grades = {}
    with open_gradebook(root) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            return {}
        for submission in gb.assignment_submissions(assignment):
            row = NotebookGrades(max_score=float(submission.max_score))
            for notebook in submission.notebooks:
                # A task cell (a written question, tools/rubrics.py) and a grade cell that is also a
                # solution cell (code answers without tests) are graded by a person; the other grade
                # cells are tests. nbgrader gives a task cell's grade no automatic score, so it waits
                # for a TA (needs_manual_grade) until one enters a manual score.
                answers = {cell.name for cell in notebook.notebook.solution_cells}
                answers |= {cell.name for cell in notebook.notebook.task_cells}
                for grade in notebook.grades:
                    score = float(grade.score)
                    row.cells[grade.name] = score
                    if grade.name not in answers:
                        row.auto += score
                    elif grade.manual_score is None and grade.needs_manual_grade:
                        row.ungraded += 1
                    else:          # graded by a TA, or an untouched solution cell that nbgrader scores 0
                        row.manual = (row.manual or 0.0) + score
            grades[submission.student.id] = row
    return grades


def export_nbgrader_csv(root: Path, assignment: str, out: Path) -> dict[tuple[str, str], float]:
    """nbgrader's CSV export of one assignment to `out`; return {(student, assignment): raw score}.

    The exporter is the plugin that `nbgrader export` runs, called in this process (a second
    nbgrader process would cost seconds of start-up for the same file).
    """
    from nbgrader.plugins import CsvExportPlugin

    with open_gradebook(root) as gb:
        CsvExportPlugin(to=str(out), assignment=[assignment]).export(gb)
    with open(out, newline="", encoding="utf-8") as handle:
        return {(row["student_id"], row["assignment"]): float(row["raw_score"])
                for row in csv.DictReader(handle)}


# ---------------------------------------------------------------------------------------------
# The merge
# ---------------------------------------------------------------------------------------------
def autograder_csv_path(grades_dir: Path, assignment: str) -> Path:
    """Where the autograder's gradebook of the week is: `DIR/<week>/gradebook.csv` (what
    `python -m autograder examples` writes) when it exists, else `DIR/gradebook.csv`."""
    per_week = grades_dir / assignment / "gradebook.csv"
    return per_week if per_week.is_file() else grades_dir / "gradebook.csv"


def read_autograder(path: Path) -> tuple[dict[str, tuple[float, float]], float | None]:
    """{submission: (total, max_total)} from the autograder's gradebook.csv, and the common max."""
    if not path.is_file():
        return {}, None
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"submission", "total", "max_total"} - set(reader.fieldnames or [])
        if missing:
            raise GradebookError(f"{path}: expected the columns submission, total and max_total; "
                                 f"missing {', '.join(sorted(missing))}")
        rows = {row["submission"]: (float(row["total"]), float(row["max_total"])) for row in reader}
    maxima = {m for _, m in rows.values()}
    return rows, (maxima.pop() if len(maxima) == 1 else None)


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if float(value).is_integer() else f"{value:.4g}"


def merge(autograder: dict[str, tuple[float, float]], autograder_max: float | None,
          notebooks: dict[str, NotebookGrades], assignment: str,
          nbgrader_max: float | None) -> list[dict[str, str]]:
    """One row per student of either side, sorted by id (a plain string)."""
    rows = []
    for student in sorted(set(autograder) | set(notebooks)):
        auto_side = autograder.get(student)
        nb = notebooks.get(student)
        a_score = auto_side[0] if auto_side else None
        a_max = auto_side[1] if auto_side else autograder_max
        missing = []
        if auto_side is None:
            missing.append("autograder")
        if nb is None:
            missing.append("nbgrader")
        elif nb.ungraded:
            missing.append("manual grading")
        parts = [a_score] + ([nb.auto, nb.manual] if nb else [])
        maxima = [a_max, nb.max_score if nb else nbgrader_max]
        rows.append({
            "student_id": student,
            "assignment": assignment,
            "autograder_score": _fmt(a_score),
            "autograder_max": _fmt(a_max),
            "nbgrader_auto": _fmt(nb.auto if nb else None),
            "nbgrader_manual": _fmt(nb.manual if nb else None),
            "nbgrader_max": _fmt(nb.max_score if nb else nbgrader_max),
            "nbgrader_ungraded": str(nb.ungraded) if nb else "",
            "combined_total": _fmt(sum(p for p in parts if p is not None)),
            "combined_max": _fmt(sum(m for m in maxima if m is not None)),
            "missing": "; ".join(missing),
        })
    return rows


def _assignment_max(root: Path, assignment: str) -> float | None:
    from nbgrader.api import MissingEntry

    with open_gradebook(root) as gb:
        try:
            return float(gb.find_assignment(assignment).max_score)
        except MissingEntry:
            return None


# ---------------------------------------------------------------------------------------------
# The whole run
# ---------------------------------------------------------------------------------------------
def make_gradebook(grades_dir: Path, root: Path = DEFAULT_ROOT, week: str = "1", fast: bool = False,
                   force: bool = False, sample: bool | None = None) -> Path:
    """Autograde the collected notebooks, export, merge; return the combined CSV's path.

    sample: None creates a sample collection only in the default root and only when nothing is
    collected; True creates it when nothing is collected; False never does.
    """
    assignment = resolve_week(week)
    root = root.resolve()
    grades_dir = grades_dir.resolve()
    print(f"nbgrader course root: {root}", flush=True)
    students = collected(root, assignment)
    if not students:
        where = root / "submitted" / "<student>" / assignment / "<notebook>.ipynb"
        print(f"No collected notebooks: nothing matches {where}.", flush=True)
        if sample is None:
            sample = root == DEFAULT_ROOT.resolve()
        if not sample:
            raise GradebookError("nothing to grade: collect the notebooks into "
                                 f"{root / 'submitted'} (nbgrader collect or zip_collect), "
                                 "or pass --sample for a sample collection")
    root.mkdir(parents=True, exist_ok=True)
    config_changed = write_course_config(root, assignment)
    if prepare_source(root, assignment) or config_changed:
        nbgrader(root, "generate_assignment", assignment, "--force")
    else:
        print("the master notebook is unchanged since the last generate_assignment", flush=True)
    if not students:
        made = create_sample_collection(root, assignment)
        print(f"Created a SAMPLE collection to show the pipeline: {', '.join(made)} "
              f"(see {root / SAMPLE_MARKER}).", flush=True)
        students = collected(root, assignment)
    elif (root / SAMPLE_MARKER).is_file():
        print(f"Note: {root / SAMPLE_MARKER} says these are sample submissions.", flush=True)

    mode = "fast" if fast else "full"
    new = [s for s in students if force or not (root / "autograded" / s / assignment).is_dir()]
    if new:
        print(f"autograding {len(new)} collected submission(s) of {assignment} ({mode} mode): "
              f"{', '.join(new)}", flush=True)
        # nbgrader itself skips the submissions already autograded, unless --force. When one
        # submission breaks nbgrader, the others are graded all the same: report, and go on.
        try:
            nbgrader(root, "autograde", assignment, *(["--force"] if force else []), fast=fast)
        except GradebookError as error:
            print(f"warning: {error}\nthe grades recorded so far are merged", file=sys.stderr,
                  flush=True)
    else:
        print(f"all {len(students)} collected submission(s) already autograded (--force to redo)",
              flush=True)

    notebooks = read_nbgrader_grades(root, assignment)
    export_dir = autograder_csv_path(grades_dir, assignment).parent
    export_dir.mkdir(parents=True, exist_ok=True)
    exported = export_nbgrader_csv(root, assignment, export_dir / "nbgrader_grades.csv")
    for student, row in notebooks.items():
        raw = exported.get((student, assignment))
        if raw is None or not math.isclose(raw, row.auto + (row.manual or 0.0), abs_tol=1e-9):
            raise GradebookError(f"nbgrader export gives {raw} for {student}, the database "
                                 f"{row.auto} + {row.manual}: the two readings disagree")

    autograder_csv = autograder_csv_path(grades_dir, assignment)
    autograder, autograder_max = read_autograder(autograder_csv)
    if not autograder:
        print(f"No autograder gradebook at {autograder_csv} (run `make grade` first): its columns "
              "stay blank.", flush=True)
    rows = merge(autograder, autograder_max, notebooks, assignment, _assignment_max(root, assignment))
    out = autograder_csv.parent / "combined_gradebook.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", newline="", encoding="utf-8", dir=out.parent,
                                     delete=False, suffix=".tmp") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(handle.name, out)
    print_table(rows)
    print(f"wrote {out} ({len(rows)} students) and {export_dir / 'nbgrader_grades.csv'}", flush=True)
    return out


def print_table(rows: list[dict[str, str]]) -> None:
    shown = ["student_id", "autograder_score", "autograder_max", "nbgrader_auto", "nbgrader_manual",
             "nbgrader_max", "combined_total", "combined_max", "missing"]
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) if rows else len(c) for c in shown}
    print("  ".join(c.ljust(widths[c]) for c in shown))
    for row in rows:
        print("  ".join(row[c].ljust(widths[c]) for c in shown))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gradebook",
                                     description="Merge the autograder's and nbgrader's grades.")
    parser.add_argument("--grades", type=Path, required=True,
                        help="the autograder's output folder (DIR/<week>/gradebook.csv or "
                             "DIR/gradebook.csv); the combined CSV goes next to that file")
    parser.add_argument("--nbgrader-root", type=Path, default=DEFAULT_ROOT,
                        help="nbgrader course root (default: build/nbgrader)")
    parser.add_argument("--week", default="1", help="1 to 4 or the week folder name (default: 1)")
    parser.add_argument("--fast", action="store_true",
                        help="run the notebooks in their quick mode (DGM_FAST=1)")
    parser.add_argument("--force", action="store_true",
                        help="autograde again the notebooks already autograded")
    sample = parser.add_mutually_exclusive_group()
    sample.add_argument("--sample", dest="sample", action="store_true", default=None,
                        help="when nothing is collected, create a sample collection (any root)")
    sample.add_argument("--no-sample", dest="sample", action="store_false",
                        help="when nothing is collected, stop with an error")
    args = parser.parse_args(argv)
    try:
        make_gradebook(args.grades, args.nbgrader_root, args.week, fast=args.fast, force=args.force,
                       sample=args.sample)
    except (GradebookError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
