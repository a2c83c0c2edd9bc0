"""Shared material of the red-team suite: attack submissions, their builders, and the host-side probes.

Every attack is a real submission (a folder or a zip) built from the week's stubs, with attack code
appended to the graded files (a later `def` replaces the stub's), so that any point it earns is a
point the stub does not earn. The code of each attack is in `attacks/<name>/`, one file per graded
file it attacks (see `attack_code`), each opening with what it tries and what the grader must show;
`attacks/prelude.py` goes before every attack's code. Placeholders `@NAME@`, each inside a string
literal so that the files are Python as they stand, are filled in by `Context.fill` (the repository,
the output folder, the other submissions, tokens): the attacker is given everything an attacker could
possibly know about the grader's machine.

Two tokens keep the evidence unambiguous:
  * `WTOKEN` is written into every file an attack tries to create or overwrite, and never printed:
    finding it in any file on the host means a write escaped the sandbox;
  * `PTOKEN` is the name (`/proc/<pid>/comm`) of every process an attack starts: finding it after
    grading means a process outlived its submission.
"""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import html
import io
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

from tools import markers
from tools.weeks import GRADED_FILES

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
MINI_HIDDEN = HERE / "mini_hidden"
RUNNER = HERE / "runner.py"
PYTHON = sys.executable
WEEK_FOLDER = "week1_mle_sampling"
GRADED = GRADED_FILES[WEEK_FOLDER]
SOLUTION_DIR = REPO / "solutions" / WEEK_FOLDER
ASSIGNMENT_DIR = REPO / "assignments" / WEEK_FOLDER
HIDDEN_DIR = REPO / "autograder" / "weeks" / WEEK_FOLDER
NOBODY = 65534
SANDBOX_UID_MIN = 1_000_000  # the engine may give each grader process its own uid above this (UID_BASE + pid)


def is_sandbox_uid(uid: int) -> bool:
    """A uid that only sandboxed children use: nobody, or a per-grader uid far above the system's."""
    return uid == NOBODY or uid >= SANDBOX_UID_MIN
MIN_SECRET_LINE = 25  # a line of hidden material this long found in the feedback counts as a leak


# ---------------------------------------------------------------------------------------------
# Stubs
# ---------------------------------------------------------------------------------------------
def stub_sources() -> dict[str, str]:
    """The generated stubs of assignments/ when they exist, else the reference turned into stubs."""
    if all((ASSIGNMENT_DIR / f).is_file() for f in GRADED):
        return {f: (ASSIGNMENT_DIR / f).read_text() for f in GRADED}
    return {f: markers.stub_source((SOLUTION_DIR / f).read_text(), str(SOLUTION_DIR / f)) for f in GRADED}


def reference_sources() -> dict[str, str]:
    return {f: (SOLUTION_DIR / f).read_text() for f in GRADED}


# ---------------------------------------------------------------------------------------------
# Hidden material, for the leak checks
# ---------------------------------------------------------------------------------------------
def reference_region_lines() -> set[str]:
    """The stripped lines inside the solution regions of the reference's graded files."""
    lines = set()
    for f in GRADED:
        text = (SOLUTION_DIR / f).read_text()
        lines |= {line.strip() for line in markers.region_body_lines(text, markers.find_regions(text, str(f)))}
    return lines


def hidden_test_lines(test_dirs: list[Path]) -> set[str]:
    lines = set()
    for d in test_dirs:
        for path in sorted(Path(d).glob("test_*.py")):
            lines |= {line.strip() for line in path.read_text().splitlines()}
    return lines


def secret_lines(test_dirs: list[Path], published: set[str]) -> set[str]:
    """Lines of >= 25 characters of the hidden tests and of the reference's solution regions.

    `published` holds what the grader shows on purpose (test names: the first docstring line of each
    test); lines of the public material (stubs, public tests) are not secret either.
    """
    public = set()
    for f in stub_sources().values():
        public |= {line.strip() for line in f.splitlines()}
    for path in list(ASSIGNMENT_DIR.glob("tests/*.py")) + list((SOLUTION_DIR / "tests").glob("*.py")):
        public |= {line.strip() for line in path.read_text().splitlines()}
    candidates = hidden_test_lines(test_dirs) | reference_region_lines()
    names = {n.strip().strip('"').strip() for n in published}
    out = set()
    for line in candidates:
        bare = line.strip('"').strip()
        if len(line) >= MIN_SECRET_LINE and line not in public and bare not in names \
                and not line.startswith("#") and not line.startswith(("import ", "from ")):
            out.add(line)
    return out


def find_leaks(text: str, secrets_: set[str]) -> list[str]:
    text = html.unescape(text)
    return sorted(s for s in secrets_ if s in text)


# ---------------------------------------------------------------------------------------------
# Host-side probes: processes, files
# ---------------------------------------------------------------------------------------------
def process_table() -> dict[int, dict]:
    """pid -> {ppid, uid, state, comm} for every process on the machine."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        try:
            table[int(entry)] = {"ppid": int(fields["PPid"]), "uid": int(fields["Uid"].split()[0]),
                                 "state": fields["State"].split()[0], "comm": fields["Name"].strip()}
        except (KeyError, ValueError, IndexError):
            continue
    return table


def descendants(table: dict[int, dict], root: int) -> set[int]:
    out, frontier = set(), [root]
    while frontier:
        parent = frontier.pop()
        for pid, info in table.items():
            if info["ppid"] == parent and pid not in out:
                out.add(pid)
                frontier.append(pid)
    return out


def leftover_processes(before: set[int], ptoken: str, me: int | None = None) -> list[str]:
    """Live processes that outlived grading: new descendants of this process (a child subreaper, so
    escaped orphans come back to it), new sandbox-uid processes re-parented to init, and any process
    named with the attack token, anywhere. Zombies are dead and do not count (see reap_zombies)."""
    me = os.getpid() if me is None else me
    table = process_table()
    mine = descendants(table, me)
    bad = []
    for pid, info in table.items():
        if info["state"] == "Z":
            continue
        new = pid not in before
        if info["comm"].startswith(ptoken) or (new and pid in mine) or \
                (new and is_sandbox_uid(info["uid"]) and info["ppid"] in (0, 1)):
            bad.append(f"pid {pid} {info}")
    return bad


def reap_zombies() -> list[dict]:
    """Reap the dead children of this process (orphans re-parented to it as a subreaper)."""
    reaped = []
    for pid, info in process_table().items():
        if info["ppid"] == os.getpid() and info["state"] == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
                reaped.append(dict(info, pid=pid))
            except ChildProcessError:
                pass
    return reaped


def become_subreaper() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [REPO / os.fsdecode(p) for p in out.split(b"\0") if p]


def hash_files(paths) -> dict[str, str]:
    digests = {}
    for p in paths:
        try:
            digests[str(p)] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
        except OSError:
            digests[str(p)] = "<unreadable>"
    return digests


def hash_tree(root: Path) -> dict[str, str]:
    return hash_files(sorted(p for p in Path(root).rglob("*") if p.is_file() and not p.is_symlink()))


def submission_file_digests(root: Path) -> set[str]:
    """SHA-256 of every file the submissions hold: the plain files under root and the members of its zips."""
    digests = set()
    for p in sorted(Path(root).rglob("*")):
        if not p.is_file() or p.is_symlink():
            continue
        data = p.read_bytes()
        digests.add(hashlib.sha256(data).hexdigest())
        if zipfile.is_zipfile(p):
            try:
                with zipfile.ZipFile(p) as z:
                    for info in z.infolist():
                        if not info.is_dir() and info.file_size < 10_000_000:
                            digests.add(hashlib.sha256(z.read(info)).hexdigest())
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, zlib.error):
                pass  # a malformed zip is an attack of its own; its members are not copied
    return digests


def is_verbatim_code_copy(path: Path, out: Path, digests: set[str]) -> bool:
    """path is <out>/<name>/code/<file>, a plain file whose bytes are a submission's file."""
    try:
        rel = path.relative_to(out)
    except ValueError:
        return False
    if len(rel.parts) != 3 or rel.parts[1] != "code" or not path.is_file() or path.is_symlink():
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() in digests


def files_containing(roots: list[Path], token: str, skip=(".git", ".venv", "__pycache__")) -> list[str]:
    """Files under roots (and the roots themselves, if files) that contain token or are owned by
    a sandbox's uid, without following links."""
    needle = token.encode()
    found = []
    for root in roots:
        root = Path(root)
        if not root.exists():
            continue
        walk = [(str(root.parent), [], [root.name])] if root.is_file() else os.walk(root)
        for dirpath, dirnames, filenames in walk:
            dirnames[:] = [d for d in dirnames if d not in skip]
            for name in list(filenames) + list(dirnames):
                path = os.path.join(dirpath, name)
                try:
                    info = os.lstat(path)
                    if is_sandbox_uid(info.st_uid):
                        found.append(f"{path} (owned by the sandbox's uid {info.st_uid})")
                    if os.path.isfile(path) and not os.path.islink(path) and info.st_size < (64 << 20):
                        with open(path, "rb") as f:
                            if needle in f.read():
                                found.append(path)
                except OSError:
                    continue
    return found


# ---------------------------------------------------------------------------------------------
# Attack code: the files of attacks/
# ---------------------------------------------------------------------------------------------
ATTACKS = HERE / "attacks"


def attack_text(relative: str) -> str:
    """The text of one attack file, `attacks/<relative>`, placeholders unfilled."""
    return (ATTACKS / relative).read_text()


def attack_code(name: str) -> dict[str, str]:
    """The code attack `name` appends to each graded file it attacks, placeholders unfilled.

    `attacks/<name>/<graded file>` is that file's own code; `attacks/<name>/common.py`, when there, goes
    before each file's own code, or into every graded file when the folder holds none of them."""
    folder = ATTACKS / name
    if not folder.is_dir():
        raise FileNotFoundError(f"no attack {name!r}: {folder} is not a folder")
    common = "\n" + (folder / "common.py").read_text() if (folder / "common.py").is_file() else ""
    own = {f: "\n" + (folder / f).read_text() for f in GRADED if (folder / f).is_file()}
    if not own and not common:
        raise FileNotFoundError(f"attack {name!r}: {folder} holds neither common.py nor a graded file")
    return {f: common + own.get(f, "") for f in (own or GRADED)}


PRELUDE = "\n" + attack_text("prelude.py")


def training_attack(*names: str, **placeholders: str) -> str:
    """The files `attacks/training/<name>.py`, in order, as code to append to a week's reference (see
    test_redteam_training.py), with each placeholder `@KEY@` replaced by its value."""
    text = "".join("\n\n" + attack_text(f"training/{name}.py") for name in names)
    for key, value in placeholders.items():
        text = text.replace(f"@{key}@", value)
    return text


# ---------------------------------------------------------------------------------------------
# Building submissions
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Context:
    repo: Path
    out: Path
    subs_root: Path
    wtoken: str
    ptoken: str
    port: int = 9
    abstract: str = ""
    pickle_flag: Path = Path("/nonexistent")

    @classmethod
    def new(cls, base: Path, **kwargs) -> "Context":
        token = secrets.token_hex(6)
        return cls(repo=REPO, out=base / "out", subs_root=base / "subs", wtoken=f"RTW{token}",
                   ptoken=f"rt{token[:10]}", abstract=f"rt-abstract-{token}",
                   pickle_flag=base / f"pickle-ran-{token}", **kwargs)

    def fill(self, code: str, subs: list[Path] = ()) -> str:
        """Attack code with its placeholders filled in: @WTOKEN@ @PTOKEN@ @REPO@ @OUT@ @PORT@ @ABSTRACT@
        @PICKLE_FLAG@ as text, @SUBS@ (the folders `subs`) as a JSON list for `json.loads(r'@SUBS@')`."""
        folders = json.dumps([str(s) for s in subs]).replace("'", "\\u0027")  # safe in r'...'
        return (code.replace("@WTOKEN@", self.wtoken).replace("@PTOKEN@", self.ptoken)
                .replace("@REPO@", str(self.repo)).replace("@OUT@", str(self.out))
                .replace("@SUBS@", folders)
                .replace("@PORT@", str(self.port)).replace("@ABSTRACT@", self.abstract)
                .replace("@PICKLE_FLAG@", str(self.pickle_flag)))


def write_submission(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def stub_with(extra: dict[str, str], prelude: bool = True) -> dict[str, str]:
    """The stubs with attack code appended to some files (the prelude goes in every file)."""
    stubs = stub_sources()
    return {f: stubs[f] + (PRELUDE if prelude else "") + extra.get(f, "") for f in GRADED}


def all_valueerror_sources() -> dict[str, str]:
    """Week 1's always-raise submission: every public function raises ValueError, and so does building its one
    class, the named tuple GMMResult (see always_valueerror_week_sources)."""
    from autograder.weeks import get_week

    return always_valueerror_week_sources(get_week(WEEK_FOLDER))


# The always-raise submission's definitions: attacks/always_raise/definitions.py, one template for each
# kind of public name, copied and renamed by always_valueerror_week_sources.
def _always_raise_templates() -> dict[str, str]:
    """{name: source} of the top-level definitions in attacks/always_raise/definitions.py, and of the
    methods of its classes as "<class>.<method>" (indented as in the class, docstrings left out)."""
    text = attack_text("always_raise/definitions.py")
    out = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            out[node.name] = ast.get_source_segment(text, node)
        elif isinstance(node, ast.ClassDef):
            bases = f"({ast.unparse(node.bases[0])})" if node.bases else ""
            out[node.name] = f"class {node.name}{bases}:\n"
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    out[f"{node.name}.{item.name}"] = "    " + ast.get_source_segment(text, item, padded=False)
    return out


def week_stub_sources(week) -> dict[str, str]:
    """The stubs of any week (an `autograder.weeks.Week`): assignments/ when generated, else the reference stubbed."""
    if all((week.assignment_dir / f).is_file() for f in week.graded_files):
        return {f: (week.assignment_dir / f).read_text() for f in week.graded_files}
    return {f: markers.stub_source((week.solution_dir / f).read_text(), str(week.solution_dir / f))
            for f in week.graded_files}


def _raising_class(node: ast.ClassDef, classes: str, templates: dict[str, str]) -> str:
    """The always-raise class for the stub's class `node` (see attacks/always_raise/definitions.py)."""
    name = node.name
    if classes == "constructor":
        parts = [templates["CONSTRUCTOR"], templates["CONSTRUCTOR.__init__"]]
        return "\n" + "\n".join(parts).replace("CONSTRUCTOR", name) + "\n"
    is_module = any(ast.unparse(b).startswith(("nn.", "torch.nn.")) for b in node.bases)
    kind = "MODULE" if is_module else "OBJECT"
    methods = {m.name for m in node.body if isinstance(m, ast.FunctionDef) and not m.name.startswith("_")}
    methods |= {"forward"} if is_module else {"forward", "__call__"}
    parts = [templates[kind].replace(kind, name), templates[f"{kind}.__init__"]]
    parts += [templates[f"{kind}.METHOD"].replace(f"{kind}.METHOD", f"{name}.{m}").replace("METHOD", m)
              for m in sorted(methods)]
    return "\n" + "\n".join(parts) + "\n"


def always_valueerror_week_sources(week, classes: str = "constructor") -> dict[str, str]:
    """A submission of `week` whose every public function and class of the graded files raises ValueError.

    The stubs with, appended, a `def` for each public function that raises ValueError whatever its
    arguments, and a class for each public class (`classes` is "constructor" or "methods"; the
    definitions are those of attacks/always_raise/definitions.py). Module constants and private helpers
    stay as the stub has them."""
    if classes not in ("constructor", "methods"):
        raise ValueError(f"classes must be 'constructor' or 'methods', got {classes!r}")
    templates = _always_raise_templates()
    out = {}
    for f, text in week_stub_sources(week).items():
        tree = ast.parse(text)
        extra = "\nimport torch.nn as _rt_nn\n"
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
                extra += "\n" + templates["FUNCTION"].replace("FUNCTION", node.name) + "\n"
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                extra += _raising_class(node, classes, templates)
        out[f] = text + extra
    return out


def zip_bytes(entries: list[tuple[str | bytes, bytes]], symlinks: set[str] = frozenset()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name if isinstance(name, str) else name.decode("latin-1"))
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (0o120777 << 16)  # a symbolic link entry
            z.writestr(info, data)
    return buffer.getvalue()


def lying_zip(name: str, content: bytes, declared: int) -> bytes:
    """A zip whose one entry declares `declared` bytes but inflates to len(content)."""
    raw = bytearray(zip_bytes([(name, content)]))
    local = raw.find(b"PK\x03\x04")
    central = raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, local + 22, declared)    # local header: uncompressed size
    struct.pack_into("<I", raw, central + 24, declared)  # central directory: uncompressed size
    return bytes(raw)


def raw_name_zip(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A zip whose entry names are raw bytes (not UTF-8, the UTF-8 flag unset), written by hand."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data in entries:
        crc = zlib.crc32(data)
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0))
        out.write(name + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0, crc, len(data), len(data),
                                  len(name), 0, 0, 0, 0, 0o100644 << 16, offset))
        central.write(name)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), start, 0))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Running a batch in a child process (the engine pointed at a hidden-test folder of our choice)
# ---------------------------------------------------------------------------------------------
def grader_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""))
    env.update(extra)
    return env


def run_batch(paths: list[Path], out: Path, hidden: Path | None, workers: int, timeout: float,
              isolation: str | None = None) -> subprocess.CompletedProcess:
    """Grade `paths` into `out` with batch.grade_many in a fresh process (and its worker pool)."""
    extra = {"REDTEAM_HIDDEN_DIR": str(hidden)} if hidden else {}
    if isolation:
        extra["AUTOGRADER_ISOLATION"] = isolation
    argv = [PYTHON, str(RUNNER), "--out", str(out), "--workers", str(workers), *map(os.fsdecode, paths)]
    return subprocess.run(argv, cwd=REPO, env=grader_env(**extra), capture_output=True, timeout=timeout)


def read_results(out: Path) -> dict[str, dict]:
    found = {}
    for path in sorted(Path(out).glob("*/results.json")):
        if not path.parent.name.startswith("."):
            found[path.parent.name] = json.loads(path.read_text())
    return found


def scores_by_test(result: dict) -> dict[str, float]:
    return {t["number"]: t["score"] for t in result["tests"]}


def outputs(result: dict) -> str:
    return "\n".join([result.get("output", "")] + [t["output"] for t in result["tests"]])


def output_of(result: dict, test_id: str) -> str:
    for t in result["tests"]:
        if t["number"] == test_id:
            return t["output"]
    raise KeyError(test_id)


def gains_over(result: dict, baseline: dict) -> dict[str, tuple[float, float]]:
    """Tests where `result` scored more than `baseline` (the stub): id -> (score, baseline score)."""
    base = scores_by_test(baseline)
    return {k: (v, base.get(k, 0.0)) for k, v in scores_by_test(result).items() if v > base.get(k, 0.0)}


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The batches
# ---------------------------------------------------------------------------------------------
# Attacks whose every point must stay at or below the stub's, test by test.
GAIN_NOTHING = ("forger", "rigged", "inspector", "snoop", "exit_import", "exit_call", "hang", "memory", "flood",
                "procs", "network", "raw_protocol", "wrong_types", "always_valueerror", "echo_hidden", "disk_fill",
                "copycat", "multinomial", "symlink", "zipslip", "zipbomb_lie", "zipbomb_big", "nonutf8_dir",
                "nonutf8_zip")
# Attacks whose graded files all import (so that "gains nothing" is not vacuous).
IMPORTABLE = ("forger", "rigged", "inspector", "snoop", "exit_call", "hang", "memory", "flood", "procs", "network",
              "raw_protocol", "wrong_types", "always_valueerror", "echo_hidden", "multinomial", "disk_fill",
              "copycat", "nonutf8_dir", "nonutf8_zip")
# Submissions built from the reference: they may earn points and may show reference code.
FROM_REFERENCE = ("reference", "nested_zip")


def build_mini_submissions(ctx: Context) -> dict[str, Path]:
    """Every submission of the red-team batch, by attack name -> folder or zip."""
    root = ctx.subs_root
    root.mkdir(parents=True, exist_ok=True)
    folders = [root / n for n in ("reference", "stub", "forger", "snoop")]  # write targets of the attacks
    fill = lambda code: ctx.fill(code, folders)  # noqa: E731
    stubs = stub_sources()
    made: dict[str, Path] = {}

    def attack(name, prelude=True):
        made[name] = write_submission(root / name, {f: fill(t) for f, t in
                                                    stub_with(attack_code(name), prelude).items()})

    made["reference"] = write_submission(root / "reference", reference_sources())
    made["stub"] = write_submission(root / "stub", stubs)
    for name in ("forger", "rigged", "inspector", "snoop"):
        attack(name)
    attack("exit_import", prelude=False)
    for name in ("exit_call", "hang", "memory", "flood", "procs", "network", "raw_protocol", "wrong_types"):
        attack(name)  # procs: root only, where the process limit bounds its fork bomb
    made["always_valueerror"] = write_submission(root / "always_valueerror", all_valueerror_sources())
    for name in ("echo_hidden", "multinomial", "disk_fill", "copycat"):
        attack(name)

    # 16. Links to the reference, as files and as a folder.
    link = root / "symlink"
    link.mkdir()
    (link / "density.py").symlink_to(SOLUTION_DIR / "density.py")
    (link / "sampling.py").symlink_to(SOLUTION_DIR / "sampling.py")
    (link / "metrics.py").symlink_to(SOLUTION_DIR)
    (link / "hw").symlink_to(SOLUTION_DIR, target_is_directory=True)
    made["symlink"] = link

    # 13. Zip-slip: paths that climb out, absolute paths, a link entry, backslashes.
    evil = fill(attack_text("zipslip/escape.py")).encode()
    made["zipslip"] = root / "zipslip.zip"
    made["zipslip"].write_bytes(zip_bytes([
        (f"../../evil-{ctx.wtoken}.py", evil), (f"/tmp/evil-{ctx.wtoken}.py", evil),
        (f"../../../../../../tmp/evil2-{ctx.wtoken}.py", evil), (f"..\\..\\evil3-{ctx.wtoken}.py", evil),
        ("../../density.py", stubs["density.py"].encode()), ("/sampling.py", stubs["sampling.py"].encode()),
        ("metrics.py", str(SOLUTION_DIR / "metrics.py").encode()),
    ], symlinks={"metrics.py"}))
    # 13. Zip bombs: an entry that lies about its size, an honest oversized entry, too many entries.
    lie = b"".join([b"# padding " * 100 + b"\n"] * 50_000)  # about 50 MB of comments, deflates to ~100 KB
    made["zipbomb_lie"] = root / "zipbomb_lie.zip"
    made["zipbomb_lie"].write_bytes(lying_zip("density.py", stubs["density.py"].encode() + lie, declared=1000))
    made["zipbomb_big"] = root / "zipbomb_big.zip"
    made["zipbomb_big"].write_bytes(zip_bytes(
        [("sampling.py", stubs["sampling.py"].encode() + b"#" * (2 << 20))] +
        [(f"junk/{i}.txt", b"") for i in range(10_050)]))
    # 13. Names that are not UTF-8: a folder, a file in it, and zip entries.
    bad_dir = Path(os.fsdecode(bytes(root) + b"/nonutf8-\xff\xfe"))
    write_submission(bad_dir, stubs)
    (Path(os.fsdecode(bytes(bad_dir) + b"/extra-\xff.py"))).write_text("x = 1\n")
    made["nonutf8_dir"] = bad_dir
    made["nonutf8_zip"] = root / "nonutf8_zip.zip"
    made["nonutf8_zip"].write_bytes(raw_name_zip(
        [(b"w\xff\xfek1/" + f.encode(), stubs[f].encode()) for f in GRADED] + [(b"\xff\xfe.py", b"x = 1\n")]))
    # 13. A zip with the graded files two folders down, next to a nested zip: must grade normally.
    inner = zip_bytes([(f, stubs[f].encode()) for f in GRADED])
    made["nested_zip"] = root / "nested_zip.zip"
    made["nested_zip"].write_bytes(zip_bytes(
        [(f"student/week1/{f}", (SOLUTION_DIR / f).read_bytes()) for f in GRADED] +
        [("student/week1/stubs.zip", inner), ("student/README.txt", b"hello")]))
    return made


def build_cli_submissions(ctx: Context) -> dict[str, Path]:
    """The submissions graded with the week's real hidden tests, through `python -m autograder grade 1`."""
    root = ctx.subs_root
    folders = [root / "reference", root / "stub"]
    made = {"reference": write_submission(root / "reference", reference_sources()),
            "stub": write_submission(root / "stub", stub_sources())}
    forger = stub_with(attack_code("forger"))
    made["forger"] = write_submission(root / "forger", {f: ctx.fill(t, folders) for f, t in forger.items()})
    made["always_valueerror"] = write_submission(root / "always_valueerror", all_valueerror_sources())
    multinomial = stub_with(attack_code("multinomial"))
    made["multinomial"] = write_submission(root / "multinomial",
                                           {f: ctx.fill(t, folders) for f, t in multinomial.items()})
    return made


def build_isolation_submissions(ctx: Context) -> dict[str, Path]:
    """For the weaker isolation modes: the reference, a reference thief, daemons, a network probe, a snoop."""
    root = ctx.subs_root
    folders = [root / "reference"]
    # The copycat comes first: grading starts it before its classmates, whose folders are then untouched.
    made = {"copycat": write_submission(root / "copycat", {f: ctx.fill(t, folders) for f, t in
                                                           stub_with(attack_code("copycat")).items()}),
            "reference": write_submission(root / "reference", reference_sources()),
            "stub": write_submission(root / "stub", stub_sources())}
    thief = {f: ctx.fill(t, folders) for f, t in stub_with(attack_code("steal_reference")).items()}
    made["steal_reference"] = write_submission(root / "steal_reference", thief)
    # Without the jail the child can write what the grader's user can: these daemons write no file
    # (daemons/density.py, which disables the forgery, goes before the daemons of procs/common.py).
    daemons = {"density.py": attack_code("daemons")["density.py"] + "\n" + attack_text("procs/common.py")}
    made["daemons"] = write_submission(root / "daemons", {f: ctx.fill(t, folders) for f, t in
                                                         stub_with(daemons).items()})
    made["network"] = write_submission(root / "network", {f: ctx.fill(t, folders) for f, t in
                                                         stub_with(attack_code("network")).items()})
    return made


# ---------------------------------------------------------------------------------------------
# One batch with every check's evidence
# ---------------------------------------------------------------------------------------------
BATCH_TIMEOUT_S = 900  # far above the ~90 s a batch takes on 2 idle cores: only a hung grader reaches it


@dataclasses.dataclass
class Batch:
    ctx: Context
    paths: dict[str, Path]  # attack -> submission
    names: dict[str, str]  # attack -> the name the batch gave it
    results: dict[str, dict]  # attack -> results.json
    feedback: dict[str, str]  # attack -> feedback.html
    returncode: int
    stderr: str
    wall_s: float
    tracked_before: dict[str, str]
    tracked_after: dict[str, str]
    out_after: dict[str, str]  # hashes of the output folder right after the batch ...
    out_later: dict[str, str]  # ... and a few seconds later
    leftovers: list[str]  # processes that outlived the batch
    token_files: list[str]  # files on the host holding the write token
    tcp_connections: int  # connections the host's loopback listener accepted
    abstract_connections: int
    secrets: set[str]  # lines of hidden material

    def result(self, attack: str) -> dict:
        return self.results[attack]


def _listeners(ctx):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(16)
    tcp.setblocking(False)
    ctx.port = tcp.getsockname()[1]
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind("\0" + ctx.abstract)
    unix.listen(16)
    unix.setblocking(False)
    return tcp, unix


def _accepted(sock) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except (BlockingIOError, OSError):
            return count
        conn.close()
        count += 1


def grader_files_changed(batch: "Batch") -> list[str]:
    """Tracked files deleted during the batch, and tracked grader files (autograder/) changed.

    Every write an attack attempts carries its token, and the token scan is the main proof; a hash
    comparison of the whole repository would also flag the edits of people working next to the run."""
    gone = [p for p in batch.tracked_before if not os.path.exists(p)]
    engine = [p for p, h in batch.tracked_before.items() if "/autograder/" in p and batch.tracked_after.get(p) != h]
    return gone + engine


def run_attack_batch(base: Path, paths_builder, hidden: Path | None, test_dirs: list[Path], workers: int = 2,
                     isolation: str | None = None, cli: bool = False) -> Batch:
    """Build the submissions, snapshot the host, grade them in one batch, and collect the evidence."""
    from autograder import batch as batch_mod, registry

    become_subreaper()
    ctx = Context.new(base)
    tcp, unix = _listeners(ctx)
    paths = paths_builder(ctx)
    names = dict(zip(paths, batch_mod.assign_names(list(paths.values()))))
    published = set()
    for d in test_dirs:
        published |= {t.name for t in registry.discover(d)}
    secrets_ = secret_lines(test_dirs, published)
    tracked = tracked_files()
    tracked_before = hash_files(tracked)
    subs_before = hash_tree(ctx.subs_root)
    pids_before = set(process_table())
    started = time.monotonic()
    if cli:
        import subprocess

        argv = [PYTHON, "-m", "autograder", "grade", "1", *map(str, paths.values()), "--out", str(ctx.out),
                "--workers", str(workers)]
        proc = subprocess.run(argv, cwd=REPO, env=grader_env(), capture_output=True, timeout=BATCH_TIMEOUT_S)
    else:
        proc = run_batch(list(paths.values()), ctx.out, hidden, workers, BATCH_TIMEOUT_S, isolation)
    wall = time.monotonic() - started
    out_after = hash_tree(ctx.out)
    time.sleep(3.0)  # long enough for a surviving daemon (it acts every 0.5 s) to rewrite something
    out_later = hash_tree(ctx.out)
    leftovers = leftover_processes(pids_before, ctx.ptoken)
    reap_zombies()
    # The submissions' own sources hold the token (it is in the attack code): they are compared by hash.
    scan = [REPO, ctx.out, Path("/tmp/results.json"), Path(os.path.expanduser("~/results.json")),
            Path("/autograder"), Path("/results.json"), ctx.pickle_flag]
    token_files = files_containing(scan, ctx.wtoken, skip=(".git", ".venv", "__pycache__"))
    # The grader keeps a verbatim copy of each graded file in <out>/<name>/code/ (for the similarity check):
    # it holds the token because the attack's source does. A copy identical to a file the submissions hold
    # is the grader's; any other file there still counts.
    verbatim = submission_file_digests(ctx.subs_root)
    token_files = [f for f in token_files if not is_verbatim_code_copy(Path(f), ctx.out, verbatim)]
    subs_after = hash_tree(ctx.subs_root)
    token_files += [f"{p} (a submission's file changed)" for p in set(subs_before) | set(subs_after)
                    if subs_before.get(p) != subs_after.get(p)]
    token_files += [str(p) for p in (ctx.pickle_flag,) if p.exists()]
    token_files += [str(p) for p in Path("/tmp").glob(f"evil*{ctx.wtoken}*")]
    token_files += [str(p) for p in REPO.glob("*pwned*")]
    token_files += [str(p) for root in (REPO / "autograder", REPO / "solutions", REPO / "tests", ctx.out)
                    for p in root.rglob("*pwned*")]
    token_files += [str(p) for p in base.rglob(f"evil*{ctx.wtoken}*")]
    tcp_n, unix_n = _accepted(tcp), _accepted(unix)
    tcp.close()
    unix.close()
    results, feedback = {}, {}
    for attack, name in names.items():
        folder = ctx.out / name
        if (folder / "results.json").exists():
            results[attack] = json.loads((folder / "results.json").read_text())
            feedback[attack] = (folder / "feedback.html").read_text(errors="replace")
    return Batch(ctx, paths, names, results, feedback, proc.returncode,
                 proc.stderr.decode(errors="replace")[-20000:], wall, tracked_before, hash_files(tracked),
                 out_after, out_later, leftovers, token_files, tcp_n, unix_n, secrets_)
