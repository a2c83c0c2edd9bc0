"""The class report of a graded batch: which tests the class failed, why, and which tests discriminate.

    python -m autograder report grades/week1_mle_sampling      (make report WEEK=1)

Reads every `<submission>/results.json` under the folder and writes `report.html` (tables, flags and
two embedded plots) and `report.csv` (the per-test figures) beside them.

- Per test: the pass rate (score = max score), the mean score, the most common failure messages with
  their counts, and the item discrimination: the point-biserial correlation, over submissions, of
  passing the test (0/1) with the rest of the score (the total minus this test's score). It is the
  Pearson correlation of a binary with a continuous variable (undefined, shown as "-", when either is
  constant). A negative value means that the submissions that pass the test score lower elsewhere.
- Per graded function: the share of submissions that pass every test exercising it, and the mean pass
  rate of those tests (the functions come from the week's test registry).
- Flags: tests nobody passes, tests everybody passes, tests with negative discrimination.

Failure messages are the grader's own words only: results.json keeps them per test in
`extra_data.message` (engine.TestResult.message), which holds no text the student's code controls
(its exception messages, tracebacks, prints, the name of an exception class it defined). A batch
graded before that field existed shows "(regrade to see messages)" instead of reading `output`, which
may quote the student's code. Numbers in messages become "#" so that the same failure groups together.
"""
from __future__ import annotations

import base64
import csv
import dataclasses
import html
import io
import math
import os
import re
from collections import Counter
from pathlib import Path

from autograder import report

TOP_MESSAGES = 3
NO_MESSAGE = "(regrade to see messages)"
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w])")


@dataclasses.dataclass
class TestStats:
    id: str
    name: str
    max_score: float
    functions: tuple[str, ...]
    scores: list[float]  # one per submission, in the batch's order
    passed: list[bool]
    messages: Counter  # normalized grader message -> count, over failed submissions
    discrimination: float  # point-biserial r with the rest of the score; nan when undefined

    @property
    def pass_rate(self) -> float:
        return sum(self.passed) / len(self.passed) if self.passed else math.nan

    @property
    def mean_score(self) -> float:
        return sum(self.scores) / len(self.scores) if self.scores else math.nan

    @property
    def flags(self) -> list[str]:
        flags = []
        if self.passed and not any(self.passed):
            flags.append("nobody passes")
        if self.passed and all(self.passed):
            flags.append("everybody passes")
        if self.discrimination < 0:
            flags.append("negative discrimination")
        return flags


@dataclasses.dataclass
class ClassReport:
    folder: str
    submissions: list[str]
    totals: list[float]
    max_total: float
    tests: list[TestStats]
    functions: dict[str, tuple[float, float, int]]  # function -> (all-pass rate, mean test pass rate, tests)


def normalize(message: str) -> str:
    """One line of the grader's message with every number replaced by '#', so equal failures group."""
    line = (message or "").strip().splitlines()[0] if (message or "").strip() else "(no message)"
    return _NUMBER.sub("#", line)[:300]


def point_biserial(binary: list[bool], other: list[float]) -> float:
    """Pearson's r between a 0/1 variable and a continuous one (nan when either is constant)."""
    n = len(binary)
    if n < 2:
        return math.nan
    x = [1.0 if b else 0.0 for b in binary]
    mx, my = sum(x) / n, sum(other) / n
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in other)
    if sxx == 0 or syy <= 1e-12 * max(1.0, sum(b * b for b in other)):
        return math.nan
    return sum((a - mx) * (b - my) for a, b in zip(x, other)) / math.sqrt(sxx * syy)


def _week_functions(folder: Path) -> dict[str, tuple[str, ...]]:
    """test id -> the graded functions it exercises, from the week's registry (empty if unknown)."""
    try:
        from autograder import engine
        from autograder.weeks import get_week

        return {t.id: tuple(t.functions) for t in engine.week_tests(get_week(folder.name))}
    except (KeyError, ImportError, OSError):
        return {}


def build(folder: Path, functions: dict[str, tuple[str, ...]] | None = None) -> ClassReport:
    folder = Path(folder)
    results = report.read_results(folder)
    if not results:
        raise FileNotFoundError(f"no graded submission (…/results.json) under {folder}")
    functions = _week_functions(folder) if functions is None else functions
    names = list(results)
    order: list[str] = []
    info: dict[str, dict] = {}
    for res in results.values():
        for t in res["tests"]:
            if t["number"] not in info:
                order.append(t["number"])
                name = t.get("name", "")
                info[t["number"]] = {"name": name.split(": ", 1)[1] if ": " in name else name,
                                     "max": float(t["max_score"])}
    totals = [float(res["score"]) for res in results.values()]
    max_total = max((sum(float(t["max_score"]) for t in res["tests"]) for res in results.values()), default=0.0)
    tests = []
    for tid in order:
        scores, passed, messages = [], [], Counter()
        for res in results.values():
            test = next((t for t in res["tests"] if t["number"] == tid), None)
            score = float(test["score"]) if test else 0.0
            ok = bool(test) and score >= float(test["max_score"])
            scores.append(score)
            passed.append(ok)
            if not ok:
                extra = test.get("extra_data") if test else None
                message = extra.get("message") if isinstance(extra, dict) else None
                messages[normalize(message) if message is not None else
                         ("not graded for this submission" if test is None else NO_MESSAGE)] += 1
        rest = [total - s for total, s in zip(totals, scores)]
        tests.append(TestStats(tid, info[tid]["name"], info[tid]["max"], functions.get(tid, ()), scores, passed,
                               messages, point_biserial(passed, rest)))
    by_function: dict[str, list[TestStats]] = {}
    for t in tests:
        for f in t.functions:
            by_function.setdefault(f, []).append(t)
    function_stats = {}
    for f, ts in sorted(by_function.items()):
        all_pass = sum(all(t.passed[i] for t in ts) for i in range(len(names))) / len(names)
        function_stats[f] = (all_pass, sum(t.pass_rate for t in ts) / len(ts), len(ts))
    return ClassReport(folder.name, names, totals, max_total, tests, function_stats)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _fmt(x: float, digits: int = 2) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def write_csv(rep: ClassReport, path: Path) -> Path:
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["test", "name", "functions", "max_score", "submissions", "passed", "pass_rate",
                         "mean_score", "discrimination", "flags", "top_failure_messages"])
        for t in rep.tests:
            top = "; ".join(f"{n}x {m}" for m, n in t.messages.most_common(TOP_MESSAGES))
            writer.writerow([t.id, t.name, " ".join(t.functions), f"{t.max_score:g}", len(t.passed), sum(t.passed),
                             _fmt(t.pass_rate, 4), _fmt(t.mean_score, 4), _fmt(t.discrimination, 4),
                             "; ".join(t.flags), top])
    os.replace(tmp, path)
    return path


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def plots(rep: ClassReport) -> tuple[str, str]:
    """(score histogram, pass rate by test) as base64 PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    pct = [100 * s / (rep.max_total or 1) for s in rep.totals]
    fig, ax = plt.subplots(figsize=(6, 3), dpi=100)
    ax.hist(pct, bins=list(range(0, 105, 5)), color="#4c72b0", edgecolor="white")
    ax.set_xlabel("total score (% of maximum)")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(f"{rep.folder}: {len(pct)} submissions")
    fig.tight_layout()
    histogram = _png(fig)
    plt.close(fig)

    height = max(3.0, 0.18 * len(rep.tests) + 1.0)
    fig, ax = plt.subplots(figsize=(7, height), dpi=100)
    rates = [100 * t.pass_rate for t in rep.tests]
    colors = ["#c44e52" if "nobody passes" in t.flags or "negative discrimination" in t.flags
              else "#8c8c8c" if "everybody passes" in t.flags else "#4c72b0" for t in rep.tests]
    ax.barh(range(len(rates)), rates, color=colors)
    ax.set_yticks(range(len(rates)), [t.id for t in rep.tests], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("pass rate (% of submissions)")
    ax.set_title("pass rate by test (red: nobody passes or negative discrimination; grey: everybody passes)",
                 fontsize=8)
    fig.tight_layout()
    bars = _png(fig)
    plt.close(fig)
    return histogram, bars


def write_html(rep: ClassReport, path: Path) -> Path:
    e = html.escape
    histogram, bars = plots(rep)
    flagged = [(t, f) for t in rep.tests for f in t.flags]
    flag_items = "".join(f"<li><code>{e(t.id)}</code>: {e(f)}"
                         + (f" (r = {_fmt(t.discrimination)})" if f == "negative discrimination" else "") + "</li>"
                         for t, f in flagged) or "<li>none</li>"
    rows = []
    for t in rep.tests:
        msgs = "".join(f"<li>{n}× {e(m)}</li>" for m, n in t.messages.most_common(TOP_MESSAGES))
        cls = "bad" if ("nobody passes" in t.flags or "negative discrimination" in t.flags) else (
            "easy" if t.flags else "")
        rows.append(f'<tr class="{cls}"><td><code>{e(t.id)}</code><br><small>{e(t.name)}</small></td>'
                    f"<td>{t.max_score:g}</td><td>{sum(t.passed)}/{len(t.passed)} ({100 * t.pass_rate:.0f}%)</td>"
                    f"<td>{_fmt(t.mean_score)}</td><td>{_fmt(t.discrimination)}</td>"
                    f"<td>{e('; '.join(t.flags))}</td><td><ul>{msgs}</ul></td></tr>")
    frows = "".join(f"<tr><td><code>{e(f)}</code></td><td>{n}</td><td>{100 * a:.0f}%</td><td>{100 * m:.0f}%</td></tr>"
                    for f, (a, m, n) in rep.functions.items())
    mean_total = sum(rep.totals) / len(rep.totals)
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>class report: {e(rep.folder)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 80em; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 2em; }}
td, th {{ border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }}
tr.bad td {{ background: #fce8e6; }} tr.easy td {{ background: #f1f3f4; }}
ul {{ margin: 0; padding-left: 1.2em; }} img {{ max-width: 100%; }}
</style></head><body>
<h1>Class report: {e(rep.folder)}</h1>
<p>{len(rep.submissions)} submissions, mean total {mean_total:.2f} / {rep.max_total:g},
{len(rep.tests)} tests.</p>
<h2>Flags</h2><ul>{flag_items}</ul>
<h2>Scores</h2>
<img alt="score histogram" src="data:image/png;base64,{histogram}">
<img alt="pass rate by test" src="data:image/png;base64,{bars}">
<h2>Per graded function</h2>
<table><tr><th>function</th><th>tests</th><th>submissions passing all its tests</th><th>mean pass rate of its tests</th></tr>
{frows}</table>
<h2>Per test</h2>
<p>Discrimination: the point-biserial correlation of passing the test with the rest of the score
(the total minus this test); "-" when either is constant. Failure messages are the grader's own words
(numbers shown as #), never text from the submissions' code.</p>
<table><tr><th>test</th><th>points</th><th>passed</th><th>mean score</th><th>discrimination</th><th>flags</th>
<th>most common failure messages</th></tr>
{"".join(rows)}
</table></body></html>
"""
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def main(folder: Path) -> int:
    folder = Path(folder)
    try:
        rep = build(folder)
    except FileNotFoundError as exc:
        print(f"error: {exc}")
        return 1
    csv_path = write_csv(rep, folder / "report.csv")
    html_path = write_html(rep, folder / "report.html")
    flags = [f"{t.id}: {f}" for t in rep.tests for f in t.flags]
    print(f"{rep.folder}: {len(rep.submissions)} submissions, {len(rep.tests)} tests, {len(flags)} flags")
    for line in flags:
        print(f"  {line}")
    print(f"report: {html_path}   figures: {csv_path}")
    return 0
