"""Which submissions look copied: pairs ranked by winnowing similarity, shown side by side.

    python -m autograder similarity grades/week1_mle_sampling              (the graded copies in <name>/code/)
    python -m autograder similarity --week 1 alice.zip bob/ carol.zip ...  (submissions, folders or zips)

Fingerprints come from `copydetect` (winnowing, as MOSS does; tokens from Pygments, with every name
replaced by a placeholder, so renaming variables changes nothing, and comments and layout ignored).
Each graded file is compared with the same file of the other submission; the week's stubs
(`assignments/<week>/<file>`) are boilerplate, so their fingerprints never count. A pair's similarity,
seen from submission A, is the number of A's fingerprinted tokens that also occur in B over all of A's
fingerprinted tokens, summed over the graded files; pairs are ranked by the smaller of the two
directions (a short submission copied into a long one is found from both sides), then by the larger.

Similarity is evidence to look at, not proof: two correct solutions of a short function can share most
tokens. The report shows the code to judge by.
"""
from __future__ import annotations

import dataclasses
import html
import io
import itertools
import os
import tempfile
from pathlib import Path

import numpy as np

NOISE_TOKENS = 25  # k: matches shorter than this many filtered characters are noise (copydetect's default)
GUARANTEE_TOKENS = 30  # matches at least this long are always found: window = GUARANTEE - NOISE + 1
SHOWN_PAIRS = 20


@dataclasses.dataclass
class Pair:
    a: str
    b: str
    sim_a: float  # share of a's fingerprinted tokens found in b
    sim_b: float
    overlap: int  # overlapping filtered tokens, seen from a
    slices: dict[str, tuple[np.ndarray, np.ndarray]]  # graded file -> (slices in a, slices in b)

    @property
    def key(self) -> tuple[float, float]:
        return (min(self.sim_a, self.sim_b), max(self.sim_a, self.sim_b))


def _fingerprint(text: str, name: str, boilerplate):
    from copydetect import CodeFingerprint

    return CodeFingerprint(name, NOISE_TOKENS, GUARANTEE_TOKENS - NOISE_TOKENS + 1, boilerplate,
                           language="python", fp=io.StringIO(text))


def boilerplate_hashes(week) -> dict[str, list[int]]:
    """The fingerprints of the week's stubs, per graded file: code every student starts from."""
    from copydetect import CodeFingerprint

    found = {}
    for f in week.graded_files:
        stub = week.assignment_dir / f
        if stub.exists():
            found[f] = list(CodeFingerprint(str(stub), NOISE_TOKENS, 1, language="python").hashes)
    return found


def compare(sources: dict[str, dict[str, str]], week) -> list[Pair]:
    """sources: submission name -> {graded file -> text}. Every pair, most similar first."""
    from copydetect import compare_files

    boiler = boilerplate_hashes(week)
    prints = {name: {f: _fingerprint(text, f, boiler.get(f, [])) for f, text in files.items()}
              for name, files in sources.items()}
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        over_a = over_b = cover_a = cover_b = 0
        slices = {}
        for f in week.graded_files:
            fa, fb = prints[a].get(f), prints[b].get(f)
            cover_a += fa.token_coverage if fa else 0
            cover_b += fb.token_coverage if fb else 0
            if fa is None or fb is None or not fa.hashes or not fb.hashes:
                continue
            overlap, (share_a, share_b), (sa, sb) = compare_files(fa, fb)
            if overlap:  # filtered tokens of each side covered by shared fingerprints
                over_a += float(share_a) * fa.token_coverage
                over_b += float(share_b) * fb.token_coverage
                slices[f] = (sa, sb)
        sim_a = float(over_a / cover_a) if cover_a else 0.0
        sim_b = float(over_b / cover_b) if cover_b else 0.0
        pairs.append(Pair(a, b, sim_a, sim_b, round(over_a), slices))
    pairs.sort(key=lambda p: p.key, reverse=True)
    return pairs


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
def from_grades(folder: Path, week) -> dict[str, dict[str, str]]:
    """The graded copies that `grade` keeps in <folder>/<submission>/code/."""
    found = {}
    for code in sorted(Path(folder).glob("*/code")):
        if code.parent.name.startswith("."):
            continue
        found[code.parent.name] = {f: (code / f).read_text(encoding="utf-8", errors="replace")
                                   for f in week.graded_files if (code / f).is_file()}
    return found


def from_submissions(paths: list[Path], week) -> dict[str, dict[str, str]]:
    """Folders or zips, loaded as the grader loads them (only the graded files)."""
    from autograder import batch, submission

    found = {}
    with tempfile.TemporaryDirectory(prefix="dgm-similarity-") as tmp:
        for i, (path, name) in enumerate(zip(paths, batch.assign_names(paths))):
            sub = submission.load(Path(path), week, Path(tmp) / str(i))
            found[name] = {f: p.read_text(encoding="utf-8", errors="replace") for f, p in sub.files.items()}
    return found


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def _highlighted(text: str, slices: np.ndarray | None) -> str:
    from copydetect.utils import highlight_overlap

    if slices is None or slices.shape[-1] == 0:
        return html.escape(text)
    marked, _ = highlight_overlap(text, slices, "<mark>", "</mark>", escape_html=True)
    return marked


def write_html(pairs: list[Pair], sources: dict[str, dict[str, str]], week, path: Path,
               shown: int = SHOWN_PAIRS) -> Path:
    e = html.escape
    rows = "".join(
        f'<tr><td>{i}</td><td><a href="#pair{i}">{e(p.a)} — {e(p.b)}</a></td><td>{100 * min(p.sim_a, p.sim_b):.0f}%</td>'
        f"<td>{100 * p.sim_a:.0f}%</td><td>{100 * p.sim_b:.0f}%</td><td>{p.overlap}</td></tr>"
        for i, p in enumerate(pairs, start=1))
    details = []
    for i, p in enumerate(pairs[:shown], start=1):
        files = []
        for f in week.graded_files:
            sa, sb = p.slices.get(f, (None, None))
            left = _highlighted(sources[p.a].get(f, ""), sa)
            right = _highlighted(sources[p.b].get(f, ""), sb)
            files.append(f"<h4>{e(f)}</h4><div class='side'><pre>{left}</pre><pre>{right}</pre></div>")
        details.append(f'<section id="pair{i}"><h3>{i}. {e(p.a)} ({100 * p.sim_a:.0f}% of it found in the other) — '
                       f"{e(p.b)} ({100 * p.sim_b:.0f}%)</h3>{''.join(files)}</section>")
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>similarity: {e(week.folder)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .2em .5em; text-align: left; }}
.side {{ display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }}
pre {{ font-size: 11px; background: #fafafa; border: 1px solid #ddd; padding: .5em; overflow-x: auto;
       max-height: 40em; overflow-y: auto; }}
mark {{ background: #ffd54f; }}
</style></head><body>
<h1>Similarity: {e(week.folder)}</h1>
<p>{len(sources)} submissions, {len(pairs)} pairs. Winnowing fingerprints (copydetect; k = {NOISE_TOKENS} filtered
characters, every match of {GUARANTEE_TOKENS} or more found), names replaced by placeholders, comments and layout
ignored, the week's stubs excluded as boilerplate. Similarity from one side: the share of its fingerprinted
code also found in the other; pairs ranked by the smaller side. High similarity is a reason to read the code,
not proof of copying: highlighted code is shared.</p>
<table><tr><th>rank</th><th>pair</th><th>similarity</th><th>first in second</th><th>second in first</th>
<th>shared tokens</th></tr>{rows}</table>
<h2>The {min(shown, len(pairs))} most similar pairs</h2>
{''.join(details)}
</body></html>
"""
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def main(paths: list[Path], week_key: str | None, out: Path | None) -> int:
    from autograder.weeks import get_week

    try:
        if len(paths) == 1 and paths[0].is_dir() and any(paths[0].glob("*/code")):
            week = get_week(week_key or paths[0].name)
            sources = from_grades(paths[0], week)
            out = out or paths[0] / "similarity.html"
        else:
            if not week_key:
                print("error: --week is needed with a list of submissions")
                return 2
            week = get_week(week_key)
            sources = from_submissions(paths, week)
            out = out or Path("similarity.html")
    except KeyError as exc:
        print(f"error: {exc.args[0]} (name the week with --week)")
        return 2
    if len(sources) < 2:
        print(f"error: {len(sources)} submission(s) found; similarity needs two (grade them first, or list them)")
        return 1
    pairs = compare(sources, week)
    write_html(pairs, sources, week, out)
    for p in pairs[:10]:
        print(f"{100 * min(p.sim_a, p.sim_b):5.1f}%  {p.a} — {p.b}")
    print(f"similarity: {out}")
    return 0
