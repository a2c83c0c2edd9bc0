"""`python -m autograder similarity`: a disguised copy ranks first among independent submissions.

The independent submissions of week 1 are built function by function: each public function of each graded
file comes from the reference, the alternative implementation, or the reference with one of that
function's mutants, drawn with a fixed seed, and the functions are shuffled. One of them ("honest") is then
disguised: its local variables and arguments renamed, its functions in reverse order, its comments and
layout rewritten by `ast.unparse`. Another one is copied unchanged, and two untouched stubs are added.
"""
import ast
import random
import subprocess
import sys

import pytest

from autograder import similarity
from autograder.mutants import load_mutants
from autograder.weeks import ROOT, get_week

WEEK = get_week(1)
ALTERNATIVE = WEEK.hidden_dir / "alternative"
NUM_INDEPENDENT = 20


def _split(text: str) -> tuple[str, dict[str, str]]:
    """(the module's header: everything before its first def or class, {name: source of each def})."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    first = min((n.decorator_list[0].lineno if n.decorator_list else n.lineno) for n in defs)
    blocks = {}
    for node in defs:
        start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
        blocks[node.name] = "".join(lines[start - 1: node.end_lineno]) + "\n"
    return "".join(lines[:first - 1]), blocks


def independent_submissions(seed: int = 0) -> list[dict[str, str]]:
    rng = random.Random(seed)
    mutants = load_mutants(WEEK)
    made = []
    for _ in range(NUM_INDEPENDENT):
        files = {}
        for f in WEEK.graded_files:
            ref_text = (WEEK.solution_dir / f).read_text()
            ref_head, ref_defs = _split(ref_text)
            alt_head, alt_defs = _split((ALTERNATIVE / f).read_text())
            chosen, use_alt = [], False
            for name, block in ref_defs.items():
                options = [("ref", block)]
                if name in alt_defs:
                    options.append(("alt", alt_defs[name]))
                options += [("mutant", block.replace(m.find, m.replace)) for m in mutants
                            if m.file == f and m.functions == (f"{f[:-3]}.{name}",) and block.count(m.find) == 1]
                kind, text = rng.choice(options)
                use_alt |= kind == "alt"
                chosen.append(text)
            if use_alt:  # the alternative's private helpers come with its functions
                chosen += [b for n, b in alt_defs.items() if n.startswith("_") and n not in ref_defs]
            rng.shuffle(chosen)
            files[f] = (alt_head if use_alt and rng.random() < 0.5 else ref_head) + "\n\n".join(chosen)
        made.append(files)
    return made


class _Rename(ast.NodeTransformer):
    """Renames the arguments and local variables of every function (v0, v1, ...), consistently within it."""

    def visit_FunctionDef(self, node):
        local = {a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs}
        local |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        mapping = {name: f"renamed_{i}" for i, name in enumerate(sorted(local))}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in mapping:
                sub.id = mapping[sub.id]
            elif isinstance(sub, ast.arg) and sub.arg in mapping:
                sub.arg = mapping[sub.arg]
        return node


def disguise(text: str) -> str:
    tree = _Rename().visit(ast.parse(text))
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    rest = [n for n in tree.body if n not in defs]
    tree.body = rest + defs[::-1]
    return ast.unparse(tree) + "\n"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("similarity")
    subs = {f"student{i:02d}": files for i, files in enumerate(independent_submissions())}
    subs["disguised"] = {f: disguise(text) for f, text in subs["student00"].items()}
    subs["copy"] = dict(subs["student01"])
    for name in ("stub_a", "stub_b"):
        subs[name] = {f: (WEEK.assignment_dir / f).read_text() for f in WEEK.graded_files}
    folders = []
    for name, files in subs.items():
        (tmp / name).mkdir()
        for f, text in files.items():
            (tmp / name / f).write_text(text)
        folders.append(tmp / name)
    return tmp, subs, folders


def test_disguised_copy_ranks_first_after_the_identical_pair(batch):
    tmp, subs, folders = batch
    assert subs["disguised"]["density.py"] != subs["student00"]["density.py"]
    assert "renamed_0" in subs["disguised"]["sampling.py"]
    pairs = similarity.compare(similarity.from_submissions(folders, WEEK), WEEK)
    ranked = [(p.a, p.b) for p in pairs]
    assert ranked[0] == ("copy", "student01") and pairs[0].key == (1.0, 1.0)
    assert ranked[1] == ("disguised", "student00"), [(r, p.key) for r, p in zip(ranked[:5], pairs)]
    independent = [p for p in pairs if p.a.startswith("student") and p.b.startswith("student")]
    assert len(independent) >= 190
    # The margin, for the record: the disguised pair against the most similar independent pair.
    print(f"identical {pairs[0].key}, disguised {pairs[1].key}, best independent {independent[0].key}")
    # The stubs are boilerplate: two untouched stubs share nothing that counts.
    stubs = next(p for p in pairs if (p.a, p.b) == ("stub_a", "stub_b"))
    assert stubs.key == (0.0, 0.0)


def test_command_writes_a_side_by_side_report(batch, tmp_path):
    tmp, subs, folders = batch
    out = tmp_path / "similarity.html"
    done = subprocess.run([sys.executable, "-m", "autograder", "similarity", "--week", "1",
                           *[str(tmp / n) for n in ("student00", "student01", "disguised", "copy", "stub_a")],
                           "--out", str(out)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    html = out.read_text()
    assert "<mark>" in html and "disguised" in html and "class='side'" in html
    assert done.stdout.splitlines()[0].strip().startswith("100.0%")


def test_reads_the_graded_copies_of_a_graded_folder(tmp_path):
    """`grade` keeps each submission's graded files in <name>/code/; the folder form reads them there."""
    folder = tmp_path / WEEK.folder
    for name in ("a", "b"):
        (folder / name / "code").mkdir(parents=True)
        for f in WEEK.graded_files:
            (folder / name / "code" / f).write_text((WEEK.solution_dir / f).read_text())
    assert similarity.main([folder], None, None) == 0
    assert "a — b" in (folder / "similarity.html").read_text()
