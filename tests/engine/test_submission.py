"""Loading submissions: folders, zips, nesting, and every malformed case, never a crash."""
import os
import zipfile

import pytest

from autograder import submission
from autograder.weeks import get_week

WEEK = get_week(1)
GOOD = "def f():\n    return 1\n"


def make_zip(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return path


def test_folder_with_all_files(tmp_path):
    for f in WEEK.graded_files:
        (tmp_path / "sub" / f).parent.mkdir(exist_ok=True)
        (tmp_path / "sub" / f).write_text(GOOD)
    (tmp_path / "sub" / "notes.txt").write_text("ignored")
    sub = submission.load(tmp_path / "sub", WEEK, tmp_path / "out")
    assert sorted(sub.files) == sorted(WEEK.graded_files) and not sub.missing and not sub.messages


def test_zip_with_single_top_folder_and_missing_file(tmp_path):
    archive = make_zip(tmp_path / "alice.zip", {"hw1/density.py": GOOD, "hw1/sampling.py": GOOD,
                                                "__MACOSX/hw1/._density.py": "junk"})
    sub = submission.load(archive, WEEK, tmp_path / "out")
    assert sub.name == "alice" and sorted(sub.files) == ["density.py", "sampling.py"]
    assert sub.missing == ["metrics.py"] and any("metrics.py is missing" in m for m in sub.messages)


def test_zip_slip_entries_are_written_under_their_base_name_only(tmp_path):
    archive = make_zip(tmp_path / "slip.zip", {"../../density.py": GOOD, "/abs/sampling.py": GOOD})
    out = tmp_path / "deep" / "out"
    sub = submission.load(archive, WEEK, out)
    assert set(os.listdir(out)) <= set(WEEK.graded_files)
    assert not (tmp_path / "density.py").exists() and not (tmp_path / "deep" / "density.py").exists()
    assert all(p.parent == out for p in sub.files.values())


def test_zip_bomb_is_capped(tmp_path):
    archive = make_zip(tmp_path / "bomb.zip", {"density.py": "#" * (50 << 20)})
    sub = submission.load(archive, WEEK, tmp_path / "out")
    assert "density.py" not in sub.files and any("larger than" in m for m in sub.messages)


def test_symlinks_are_not_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    os.symlink(WEEK.solution_dir / "density.py", tmp_path / "sub" / "density.py")
    sub = submission.load(tmp_path / "sub", WEEK, tmp_path / "out")
    assert "density.py" not in sub.files and any("not a regular file" in m for m in sub.messages)


def test_garbage_and_missing_paths_give_messages(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04 not really a zip")
    for path in [tmp_path / "x.zip", tmp_path / "nope"]:
        sub = submission.load(path, WEEK, tmp_path / f"out-{path.name}")
        assert not sub.files and sub.messages


@pytest.mark.parametrize("raw,expected", [("alice smith.zip", "alice_smith"), ("../..", "submission"),
                                          ("élève", "élève")])
def test_safe_names(tmp_path, raw, expected):
    assert submission.safe_name(tmp_path / raw) == expected


def test_non_utf8_file_name(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9"
    os.mkdir(name)
    with open(name + b"/density.py", "w") as f:
        f.write(GOOD)
    sub = submission.load(type(tmp_path)(os.fsdecode(name)), WEEK, tmp_path / "out")
    assert sub.name.startswith("caf") and "density.py" in sub.files
