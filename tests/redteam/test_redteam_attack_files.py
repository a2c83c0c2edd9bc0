"""The attack files of `attacks/`: each is Python as it stands and once filled in, and says what it tries.

Cheap (no grading): the batches of the other files are what show that the attacks fail.
"""
from __future__ import annotations

import ast
import re

import pytest
import redteam_lib as rt

FILES = sorted(p.relative_to(rt.ATTACKS).as_posix() for p in rt.ATTACKS.rglob("*.py"))
NAMES = sorted(p.name for p in rt.ATTACKS.iterdir() if p.is_dir())


@pytest.mark.parametrize("relative", FILES)
def test_attack_file_opens_with_a_one_line_statement_and_parses(relative):
    text = rt.attack_text(relative)
    tree = ast.parse(text, relative)  # valid Python before filling: placeholders sit in string literals
    doc = ast.get_docstring(tree)
    assert doc and "\n" not in doc.strip() and text.startswith('"""'), f"{relative}: no one-line docstring"
    outside = re.sub(r'"[^"\n]*"|\'[^\'\n]*\'', "", text)  # one-line string literals removed
    assert "@" not in outside.replace("@classmethod", ""), f"{relative}: a placeholder outside a string literal"


CRASH_TESTS = ("surrogate", "nondict_error", "deep_json")  # built by test_redteam_crashes.py itself
# Not appended to a stub as they stand: always_raise's definitions are copied once per public name
# (redteam_lib.always_valueerror_week_sources), training's files are appended to the reference
# (test_redteam_training.py), zipslip's one file is the content of escaping zip entries, shared_limits is
# the whole module that test_redteam_sandbox.py imports in a bare Sandbox, and forkserver the one that
# test_redteam_forkserver.py imports.
NOT_STUB_ATTACKS = ("always_raise", "training", "zipslip", "shared_limits", "forkserver")


def test_every_attack_folder_is_built(tmp_path, monkeypatch):
    read = set(CRASH_TESTS) | {"training", "shared_limits", "forkserver"}
    code, text = rt.attack_code, rt.attack_text
    monkeypatch.setattr(rt, "attack_code", lambda name: read.add(name) or code(name))
    monkeypatch.setattr(rt, "attack_text", lambda relative: read.add(relative.split("/")[0]) or text(relative))
    for builder in (rt.build_mini_submissions, rt.build_cli_submissions, rt.build_isolation_submissions):
        builder(rt.Context.new(tmp_path / builder.__name__))
    assert set(NAMES) <= read, f"attack folders no builder uses: {sorted(set(NAMES) - read)}"
    crashes = (rt.HERE / "test_redteam_crashes.py").read_text()
    assert all(f'"{name}' in crashes for name in CRASH_TESTS)
    training = (rt.HERE / "test_redteam_training.py").read_text()
    assert all(f'"{p.stem}"' in training for p in (rt.ATTACKS / "training").glob("*.py"))
    assert '"shared_limits/density.py"' in (rt.HERE / "test_redteam_sandbox.py").read_text()
    assert '"forkserver/attack.py"' in (rt.HERE / "test_redteam_forkserver.py").read_text()


def test_filled_submissions_compile(tmp_path):
    ctx = rt.Context.new(tmp_path)
    ctx.port = 4242
    folders = [tmp_path / "it's a folder", tmp_path / "plain"]  # a quote in a path survives @SUBS@
    for name in NAMES:
        if name in NOT_STUB_ATTACKS:
            continue
        for f, code in rt.stub_with(rt.attack_code(name)).items():
            filled = ctx.fill(code, folders)
            assert not re.search(r"@[A-Z_]+@", filled), f"{name}/{f}: a placeholder left unfilled"
            compile(filled, f"{name}/{f}", "exec")
    prelude = ctx.fill(rt.PRELUDE, folders)
    namespace: dict = {}
    exec(compile(prelude.split("def _rt_name")[0], "prelude", "exec"), namespace)
    assert namespace["_RT_SUBS"] == [str(p) for p in folders]


@pytest.mark.parametrize("week", [1, 2, 3, 4])
def test_always_raise_submissions_compile(week):
    from autograder.weeks import get_week

    for classes in ("constructor", "methods"):
        for f, code in rt.always_valueerror_week_sources(get_week(week), classes).items():
            compile(code, f"always_raise/{classes}/{f}", "exec")


def test_training_attacks_compile_appended_to_the_reference():
    from autograder.weeks import get_week

    for week, graded, names in ((2, "made.py", ["bars_and_stripes", "made_sample_emits",
                                               "made_sample_emits_once_trained"]),
                                (4, "gan.py", ["generator_emits_modes", "train_loads_weights"])):
        code = (get_week(week).solution_dir / graded).read_text() + rt.training_attack(*names, FIXED="{}")
        assert not re.search(r"@[A-Z_]+@", code)
        compile(code, f"training/{graded}", "exec")
