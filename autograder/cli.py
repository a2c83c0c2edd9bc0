"""`python -m autograder …`: one command group, one subcommand per job."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.weeks import available_weeks, get_week

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("grade", help="grade submissions (folders or zips) into a gradebook")
    p.add_argument("week", help="1..4 or the week's folder name")
    p.add_argument("submissions", nargs="+", type=Path)
    p.add_argument("--out", type=Path, default=Path("grades"))
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", nargs="+", metavar="GLOB", help="run only the tests whose id matches, e.g. 'density.*'")

    p = sub.add_parser("examples", help="grade the bundled example submissions of every week")
    p.add_argument("--out", type=Path, default=Path("grades"))
    p.add_argument("--workers", type=int, default=1)

    p = sub.add_parser("gradescope", help="build a Gradescope autograder zip for one week")
    p.add_argument("week")
    p.add_argument("--out", type=Path, required=True)

    p = sub.add_parser("mutants", help="grade every mutant of a week (or all); fail if one keeps full marks")
    p.add_argument("week", help="1..4, a folder name, or 'all'")
    p.add_argument("--only", nargs="*", help="mutant ids to run")

    p = sub.add_parser("clauses", help="clause coverage of the hidden tests (weeks/<week>/CLAUSES.md); fail if short")
    p.add_argument("week", nargs="?", default="all", help="1..4, a folder name, or 'all' (the default)")
    p.add_argument("--write", action="store_true", help="regenerate the tests column of CLAUSES.md from the tests")
    p.add_argument("--verbose", "-v", action="store_true", help="list every clause with its tests")

    p = sub.add_parser("seeds", help="grade the reference under many seeds; fail if it loses a point")
    p.add_argument("week", help="1..4, a folder name, or 'all'")
    p.add_argument("--num-seeds", type=int, default=20)
    p.add_argument("--record", type=Path, help="write the result (with the date) to this Markdown file")
    p.add_argument("--reference-only", action="store_true", help="skip the alternative implementation")
    p.add_argument("--alternative", action="store_true", help="also sweep the alternative (the default)")

    p = sub.add_parser("training-seeds", help="per-run failure rates of the training tests over many seeds "
                       "(resumable; bench/training_tests.md)")
    p.add_argument("--num-seeds", type=int, default=200, help="seeds 0..N-1 of each implementation (default 200)")
    p.add_argument("--tests", nargs="+", metavar="GLOB", help="only these training tests (id or function name)")
    p.add_argument("--implementations", nargs="+", default=["reference", "alternative"])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max-minutes", type=float, help="start no run after this many minutes (rerun to go on)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "training_tests",
                   help="OUT.json (merged) and OUT.md are written")
    p.add_argument("--smoke", action="store_true", help="one seed of the reference, into build/ (CI)")
    p.add_argument("--descending", action="store_true",
                   help="missing seeds from the last down (a second sweep beside one that goes up)")

    p = sub.add_parser("reference-cpu", help="record the reference's CPU seconds per test "
                       "(weeks/<week>/reference_cpu.json), from which each test's CPU limit is derived")
    p.add_argument("week", help="1..4, a folder name, or 'all'")
    p.add_argument("--runs", type=int, default=3)

    p = sub.add_parser("bench", help="timings and reference results into a folder")
    p.add_argument("--out", type=Path, default=Path("bench"))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--weeks", nargs="+", metavar="WEEK", help="only these weeks (the others keep their last row)")

    p = sub.add_parser("report", help="class report of a graded folder: report.html and report.csv")
    p.add_argument("folder", type=Path, help="a folder graded by `grade`, e.g. grades/week1_mle_sampling")

    p = sub.add_parser("similarity", help="pairs of submissions ranked by code similarity: similarity.html")
    p.add_argument("paths", nargs="+", type=Path, help="a graded folder (grades/<week>), or submissions")
    p.add_argument("--week", help="1..4 or the folder name (needed with a list of submissions)")
    p.add_argument("--out", type=Path, help="default: <graded folder>/similarity.html, else ./similarity.html")

    args = parser.parse_args(argv)
    if args.command == "grade":
        return cmd_grade(args)
    if args.command == "examples":
        return cmd_examples(args)
    if args.command == "gradescope":
        from autograder import gradescope

        gradescope.build(get_week(args.week), args.out)
        print(f"wrote {args.out}")
        return 0
    if args.command == "mutants":
        from autograder import mutants

        return mutants.main(_weeks(args.week), only=args.only)
    if args.command == "clauses":
        from autograder import clauses

        return clauses.main(_weeks(args.week), write=args.write, verbose=args.verbose)
    if args.command == "seeds":
        from autograder import mutants

        return mutants.seeds_main(_weeks(args.week), args.num_seeds, args.record, not args.reference_only)
    if args.command == "training-seeds":
        from autograder import training_seeds

        if args.smoke:
            out = args.out if args.out != ROOT / "bench" / "training_tests" else ROOT / "build" / "training_tests_smoke"
            return training_seeds.main(1, args.tests, ["reference"], 1, args.max_minutes, out, smoke=True)
        return training_seeds.main(args.num_seeds, args.tests, args.implementations, args.workers,
                                   args.max_minutes, args.out, descending=args.descending)
    if args.command == "report":
        from autograder import classreport

        return classreport.main(args.folder)
    if args.command == "similarity":
        from autograder import similarity

        return similarity.main(args.paths, args.week, args.out)
    if args.command == "reference-cpu":
        from autograder import timing

        return timing.main(_weeks(args.week), args.runs)
    if args.command == "bench":
        from autograder import bench

        return bench.main(args.out, args.repeats, [get_week(w) for w in args.weeks] if args.weeks else None)
    return 2


def _weeks(key: str):
    return available_weeks() if key == "all" else [get_week(key)]


def cmd_grade(args) -> int:
    try:
        week = get_week(args.week)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    from autograder.sandbox import start_fork_server

    start_fork_server()  # before torch's import here: the server imports it at the same time, on another core
    from autograder import batch, report

    batch.grade_many(week, args.submissions, args.out, workers=args.workers, force=args.force, seed=args.seed,
                     only=args.only)
    print(report.table(args.out))
    print(f"\ngradebook: {args.out / 'gradebook.csv'}   feedback: {args.out}/<submission>/feedback.html")
    return 0


def cmd_examples(args) -> int:
    from autograder.sandbox import start_fork_server

    start_fork_server()  # as in cmd_grade: its imports beside ours
    from autograder import batch, examples, report

    weeks = available_weeks()
    if not weeks:
        print("no week has both solutions/ and hidden tests yet", file=sys.stderr)
        return 1
    for week in weeks:
        folders = examples.build(week, ROOT / "build" / "examples" / week.folder)
        out = args.out / week.folder
        batch.grade_many(week, folders, out, workers=args.workers, force=True)
        print(f"\n{week.folder}\n{report.table(out)}")
        print(f"gradebook: {out / 'gradebook.csv'}   histogram: {out / 'scores.png'}   "
              f"feedback: {out}/<submission>/feedback.html\n")
    return 0
