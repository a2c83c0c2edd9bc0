"""Loading a submission: a directory or a zip → the week's graded files, copied into a private folder.

Only the graded files are taken, as regular files of at most MAX_FILE_BYTES each; everything else is
ignored. Symbolic links are never followed (a link to the reference must not smuggle it into the
sandbox). Zip archives are read entry by entry with a cap on decompressed bytes (zip bombs) and are
never extracted by path (zip-slip): each graded file is written under its own base name.
"""
from __future__ import annotations

import dataclasses
import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from autograder.weeks import Week

MAX_FILE_BYTES = 1 << 20  # a graded source file larger than 1 MiB is refused
MAX_ZIP_ENTRIES = 10_000


@dataclasses.dataclass
class Submission:
    name: str  # safe for a file name and a gradebook row
    files: dict[str, Path]  # graded file name -> private copy
    messages: list[str]  # problems found while loading, for the feedback
    missing: list[str]


def safe_name(path: Path) -> str:
    raw = os.fsdecode(path.name)
    raw = raw.removesuffix(".zip") if raw.lower().endswith(".zip") else raw
    cleaned = re.sub(r"[^\w.-]+", "_", raw.encode("utf-8", "replace").decode("utf-8", "replace"))
    cleaned = cleaned.strip("._") or "submission"
    return cleaned[:100]


def load(path: Path, week: Week, dest: Path) -> Submission:
    """Copy the graded files of `path` (directory or zip) into `dest` (an empty private folder)."""
    path = Path(path)
    dest.mkdir(parents=True, exist_ok=True)
    messages: list[str] = []
    try:
        if path.is_dir():
            found = _from_directory(path, week, messages)
        elif zipfile.is_zipfile(path):
            found = _from_zip(path, week, messages)
        elif path.exists():
            messages.append(f"{os.fsdecode(path.name)} is neither a folder nor a zip archive")
            found = {}
        else:
            messages.append("the submission does not exist")
            found = {}
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        messages.append(f"could not read the submission: {type(exc).__name__}: {exc}"[:300])
        found = {}
    files = {}
    for name, content in found.items():
        target = dest / name
        target.write_bytes(content)
        files[name] = target
    missing = [f for f in week.graded_files if f not in files]
    for name in missing:
        messages.append(f"{name} is missing from the submission: the tests that need it get 0 points")
    return Submission(safe_name(path), files, messages, missing)


def _choose_folder(candidates: dict[str, list[str]], week: Week) -> str | None:
    """The folder holding the most graded files, the shallowest on ties."""
    best = None
    for folder, names in candidates.items():
        score = (len(set(names) & set(week.graded_files)), -folder.count("/"))
        if score[0] and (best is None or score > best[0]):
            best = (score, folder)
    return best[1] if best else None


def _from_directory(root: Path, week: Week, messages: list[str]) -> dict[str, bytes]:
    candidates: dict[str, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        depth = Path(dirpath).relative_to(root).parts
        if len(depth) >= 4:
            dirnames[:] = []
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        rel = "/".join(depth)
        hits = [f for f in filenames if f in week.graded_files]
        if hits:
            candidates[rel] = hits
    folder = _choose_folder(candidates, week)
    found = {}
    if folder is None:
        return found
    for name in candidates[folder]:
        path = root / folder / name
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            messages.append(f"{name} is not a regular file (a link?) and was ignored")
        elif info.st_size > MAX_FILE_BYTES:
            messages.append(f"{name} is larger than {MAX_FILE_BYTES >> 10} KiB and was ignored")
        else:
            with open(path, "rb") as f:
                found[name] = f.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES]
    return found


def _from_zip(path: Path, week: Week, messages: list[str]) -> dict[str, bytes]:
    found = {}
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            messages.append(f"the archive has more than {MAX_ZIP_ENTRIES} entries; only the first were read")
            infos = infos[:MAX_ZIP_ENTRIES]
        candidates: dict[str, list[str]] = {}
        by_key = {}
        for info in infos:
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if info.is_dir() or not parts or "__MACOSX" in parts:
                continue
            folder, name = "/".join(p for p in parts[:-1] if p not in ("", "/", "..")), parts[-1]
            if name in week.graded_files:
                candidates.setdefault(folder, []).append(name)
                by_key[(folder, name)] = info
        folder = _choose_folder(candidates, week)
        if folder is None:
            return found
        for name in candidates[folder]:
            info = by_key[(folder, name)]
            if info.file_size > MAX_FILE_BYTES:
                messages.append(f"{name} is larger than {MAX_FILE_BYTES >> 10} KiB and was ignored")
                continue
            with archive.open(info) as stream:  # capped read: the declared size may lie
                content = stream.read(MAX_FILE_BYTES + 1)
            if len(content) > MAX_FILE_BYTES:
                messages.append(f"{name} is larger than {MAX_FILE_BYTES >> 10} KiB and was ignored")
                continue
            found[name] = content
    return found
