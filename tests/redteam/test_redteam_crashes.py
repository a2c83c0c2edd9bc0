"""Attacks on the grader process itself: a submission that makes the batch crash, or steals a row.

The contract: "A hang, a crash, `os._exit`, a fork, a memory bomb or a flood of output costs that
submission those tests, and nothing more. The next submission is graded normally", and the exit
status is 0 whenever grading completed. Each test below grades a small batch in this process
(`batch.grade_many` with one worker, the engine pointed at one cheap test of `mini_hidden/`) and
asserts that the batch completes with a results.json for every submission.

Each of the first five reproduces a crash this suite found (the docstring says how it failed); they
are regression tests of the fixes.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import redteam_lib as rt

pytestmark = pytest.mark.slow
ONE_TEST = ["mini.categorical_nll_matches_reference"]


@pytest.fixture
def mini_engine(monkeypatch):
    """The engine with the mini hidden tests; the week object of week 1."""
    from autograder import engine, registry
    from autograder.weeks import get_week

    rt.become_subreaper()
    tests = tuple(registry.discover(rt.MINI_HIDDEN))
    monkeypatch.setattr(engine, "week_tests", lambda week: tests)
    return get_week(1)


def _grade(week, paths, out: Path) -> dict[str, dict]:
    from autograder import batch

    batch.grade_many(week, list(paths), out, workers=1, progress=False, only=ONE_TEST)
    return rt.read_results(out)


def _stub_with_density(tmp_path: Path, name: str, code: str) -> Path:
    files = rt.stub_sources()
    files["density.py"] += code
    return rt.write_submission(tmp_path / "subs" / name, files)


def test_lone_surrogate_in_a_message_does_not_crash_the_batch(mini_engine, tmp_path):
    """An exception message holding a lone surrogate (`raise ValueError('\\ud800')`).

    Found by this suite: it survived the JSON round trip and made writing feedback.html raise
    UnicodeEncodeError, which stopped the whole batch, on every rerun."""
    bad = _stub_with_density(tmp_path, "surrogate", rt.attack_code("surrogate")["density.py"])
    stub = rt.write_submission(tmp_path / "subs" / "stub", rt.stub_sources())
    results = _grade(mini_engine, [bad, stub], tmp_path / "out")
    assert set(results) == {"surrogate", "stub"}


def test_non_dict_error_reply_at_import_does_not_crash_the_batch(mini_engine, tmp_path):
    """A child that writes its own reply frame `{"ok": false, "error": "x"}` to --fd-out at import time.

    Found by this suite: engine._import_modules called `error.get(...)` on the string: AttributeError
    out of engine.grade stopped the batch."""
    bad = rt.write_submission(tmp_path / "subs" / "nondict", {"density.py": rt.attack_text("nondict_error/density.py")})
    results = _grade(mini_engine, [bad], tmp_path / "out")
    assert "nondict" in results and results["nondict"]["score"] == 0


def test_deeply_nested_reply_at_import_does_not_crash_the_batch(mini_engine, tmp_path):
    """A reply frame whose JSON is nested 200,000 deep, written at import time.

    Found by this suite: json.loads raised RecursionError, which was not a ProtocolError, and nothing
    caught it around the import request: the batch stopped."""
    bad = rt.write_submission(tmp_path / "subs" / "deepjson", {"density.py": rt.attack_text("deep_json/density.py")})
    results = _grade(mini_engine, [bad], tmp_path / "out")
    assert "deepjson" in results and results["deepjson"]["score"] == 0


@pytest.mark.parametrize("name", ["gradebook.csv", "scores.png"])
def test_submission_named_like_a_batch_file_does_not_crash_the_batch(mini_engine, tmp_path, name):
    """A submission called `gradebook.csv` (or `scores.png`, or a zip of that name).

    Found by this suite: its result folder DIR/gradebook.csv/ then blocked writing the gradebook (or
    the histogram): IsADirectoryError stopped the batch."""
    # Folders without graded files: no sandbox starts, the failure is in the reports alone.
    alice = (tmp_path / "subs" / "alice")
    alice.mkdir(parents=True)
    evil = tmp_path / "subs" / name
    evil.mkdir()
    results = _grade(mini_engine, [alice, evil], tmp_path / "out")
    assert len(results) == 2
    assert (tmp_path / "out" / "gradebook.csv").is_file()


def test_distinct_submissions_get_distinct_result_folders(mini_engine, tmp_path):
    """Submissions `a/alice`, `b/alice` and `c/alice-2`.

    Found by this suite: they were named alice, alice-2, alice-2, so the third overwrote the second's
    results: naming a submission `<classmate>-2` replaced the classmate's grade."""
    paths = []
    for parent, name in (("a", "alice"), ("b", "alice"), ("c", "alice-2")):
        folder = tmp_path / "subs" / parent / name
        folder.mkdir(parents=True)
        paths.append(folder)
    results = _grade(mini_engine, paths, tmp_path / "out")
    assert len(results) == 3, f"3 submissions, {len(results)} result folders: {sorted(results)}"


def test_unsafe_characters_in_names_stay_inside_the_output_folder(mini_engine, tmp_path):
    # Names that try to climb out of DIR, or start with a dot (which read_results would hide).
    paths = []
    for name in ("..", ".hidden", "-rf", "a b;rm -rf ~", "x" * 250, "ünï"):
        folder = tmp_path / "subs" / f"p{len(paths)}" / name
        if name == "..":
            folder = tmp_path / "subs" / "dotdot" / "x" / ".."
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(folder)
    out = tmp_path / "out"
    results = _grade(mini_engine, paths, out)
    assert len(results) == len(paths)
    for name in results:
        assert (out / name).resolve().parent == out.resolve() and not name.startswith(".")
    assert sorted(os.listdir(tmp_path)) == ["out", "subs"], "nothing written next to the output folder"
