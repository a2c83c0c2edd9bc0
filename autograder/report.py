"""Reports: Gradescope's results.json, a readable feedback.html, the gradebook (CSV, table, histogram)."""
from __future__ import annotations

import base64
import csv
import html
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

from autograder.engine import SubmissionResult


def results_json(result: SubmissionResult) -> dict:
    """Gradescope's autograder schema: score, execution_time, output, tests[]."""
    notes = list(result.messages)
    if result.isolation != "namespace":
        notes.append("(graded with process isolation only)")
    return {
        "score": round(result.score, 4),
        "execution_time": round(result.duration, 2),
        "output": "\n".join(notes) if notes else f"{result.week}: {result.score:g} / {result.max_score:g}",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [
            {"name": f"{t.id}: {t.name}", "number": t.id, "score": round(t.score, 4), "max_score": t.max_score,
             "visibility": t.visibility, "status": "passed" if t.passed else "failed",
             # Gradescope shows a test's output only as its visibility allows.
             "output": f"{t.output}\n{t.detail}".strip(),
             # The grader's own words only (no text of the student's code): the class report groups by it.
             "extra_data": {"message": t.message}}
            for t in result.tests
        ],
    }


def feedback_html(result: SubmissionResult) -> str:
    """The student-facing report. Text the student's code controls (exception messages, printed
    output) could echo a hidden test's inputs, so it appears only for tests marked visible; the
    printed output goes to stdout.txt, for the course staff."""
    rows = []
    for t in result.tests:
        shown = f"{t.output}\n{t.detail}".strip() if t.visibility == "visible" else t.output
        status = "pass" if t.passed else "fail"
        figs = "".join(
            f'<figure><img alt="{html.escape(c)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            f"<figcaption>{html.escape(c)}</figcaption></figure>" for c, png in t.figures)
        rows.append(
            f'<tr class="{status}"><td><code>{html.escape(t.id)}</code><br>{html.escape(t.name)}</td>'
            f"<td>{t.score:g} / {t.max_score:g}</td><td>{html.escape(t.visibility)}</td>"
            f"<td><pre>{html.escape(shown)}</pre>{figs}</td></tr>")
    notes = "".join(f"<li>{html.escape(m)}</li>" for m in result.messages)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(result.name)}: {html.escape(result.week)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ border: 1px solid #ccc; padding: .4em; vertical-align: top; text-align: left; }}
tr.pass td:nth-child(2) {{ background: #e6f4ea; }} tr.fail td:nth-child(2) {{ background: #fce8e6; }}
pre {{ white-space: pre-wrap; margin: 0; }} img {{ max-width: 28em; }}
</style></head><body>
<h1>{html.escape(result.week)}: {html.escape(result.name)}</h1>
<p><strong>Score: {result.score:g} / {result.max_score:g}</strong>
({sum(t.passed for t in result.tests)} of {len(result.tests)} tests passed, graded in {result.duration:.1f} s)</p>
{f"<ul>{notes}</ul>" if notes else ""}
<table><tr><th>test</th><th>points</th><th>visibility</th><th>result</th></tr>
{"".join(rows)}
</table>
<p>Hidden tests show the check that failed, not your code's own messages. Run the public tests
(<code>make test-week</code>) to see your code's output and tracebacks.</p>
</body></html>
"""


def write_submission(out_dir: Path, result: SubmissionResult, code: dict[str, bytes] | None = None) -> Path:
    """Write DIR/<name>/{results.json, feedback.html} atomically (a rename of a finished folder), and the
    graded files in DIR/<name>/code/ (staff only: `python -m autograder similarity` reads them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / result.name
    staging = Path(tempfile.mkdtemp(prefix=f".{result.name}.", dir=out_dir))
    (staging / "results.json").write_text(json.dumps(results_json(result), indent=2) + "\n")
    (staging / "feedback.html").write_text(feedback_html(result), encoding="utf-8", errors="replace")
    (staging / "stdout.txt").write_text(result.stdout, encoding="utf-8", errors="replace")  # staff only
    if code:
        (staging / "code").mkdir()
        for name, content in code.items():
            (staging / "code" / Path(name).name).write_bytes(content)
    os.chmod(staging, 0o755)
    if final.exists():
        trash = Path(tempfile.mkdtemp(prefix=f".{result.name}.old.", dir=out_dir))
        os.replace(final, trash / "old")
        os.replace(staging, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, final)
    return final


def read_results(out_dir: Path) -> dict[str, dict]:
    """Every finished submission under out_dir: name -> results.json."""
    found = {}
    for path in sorted(Path(out_dir).glob("*/results.json")):
        if not path.parent.name.startswith("."):
            try:
                found[path.parent.name] = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
    return found


def write_gradebook(out_dir: Path) -> Path:
    """DIR/gradebook.csv: one row per submission, one column per test id, then total and max_total."""
    results = read_results(out_dir)
    columns: list[str] = []
    for res in results.values():
        for test in res["tests"]:
            if test["number"] not in columns:
                columns.append(test["number"])
    path = Path(out_dir) / "gradebook.csv"
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *columns, "total", "max_total"])
        for name, res in results.items():
            scores = {t["number"]: t["score"] for t in res["tests"]}
            writer.writerow([name, *[_fmt(scores.get(c, "")) for c in columns], _fmt(res["score"]),
                             _fmt(sum(t["max_score"] for t in res["tests"]))])
    os.replace(tmp, path)
    return path


def _fmt(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


def table(out_dir: Path) -> str:
    """The gradebook as a terminal table: submission, tests passed, score, and a bar."""
    results = read_results(out_dir)
    if not results:
        return "(no graded submissions)"
    width = max(len(n) for n in results) + 2
    lines = [f"{'submission':<{width}} {'passed':>9} {'score':>15}  ", "-" * (width + 48)]
    for name, res in results.items():
        passed = sum(t["score"] >= t["max_score"] for t in res["tests"])
        total = sum(t["max_score"] for t in res["tests"]) or 1
        bar = "█" * round(20 * res["score"] / total)
        lines.append(f"{name:<{width}} {passed:>4}/{len(res['tests']):<4} {res['score']:>7g} / {total:<6g} {bar}")
    return "\n".join(lines)


def _import_plotting() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import matplotlib.ticker  # noqa: F401


def import_plotting_in_background() -> None:
    """Import matplotlib for `histogram` in a thread, while the submissions are graded: the import is a
    quarter of a second of one core that the end of a batch would otherwise wait for. The thread runs while
    this process waits (for its workers, or for the sandboxed child, a wait that releases the interpreter's
    lock); if it is still importing when `histogram` starts, the same imports there wait for it to finish.
    Call it only after any fork of this process: forking a process with a thread running is not safe."""
    threading.Thread(target=_import_plotting, name="import-matplotlib", daemon=True).start()


def histogram(out_dir: Path) -> Path | None:
    """DIR/scores.png: the distribution of total scores (as a percentage of the maximum)."""
    results = read_results(out_dir)
    if not results:
        return None
    _import_plotting()
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    pct = [100 * r["score"] / (sum(t["max_score"] for t in r["tests"]) or 1) for r in results.values()]
    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    ax.hist(pct, bins=list(range(0, 105, 5)), color="#4c72b0", edgecolor="white")
    ax.set_xlabel("total score (% of maximum)")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title(f"{len(pct)} submissions")
    fig.tight_layout()
    path = Path(out_dir) / "scores.png"
    fig.savefig(path)
    plt.close(fig)
    return path
