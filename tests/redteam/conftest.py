"""Fixtures of the red-team suite: one batch of attack submissions graded once per session.

The batch runs in a child process (`runner.py`, the real `batch.grade_many` with two workers) with the
engine pointed at `mini_hidden/`, a few cheap hidden tests, so that twenty-odd attacks grade in about a
minute. `test_redteam_cli.py` also grades a few of them with the real week's hidden tests through
`python -m autograder grade 1`. The pytest process becomes a child subreaper first, so that any
process that escapes a sandbox is re-parented to it and found.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
import socket
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
collect_ignore = ["mini_hidden", "runner.py", "redteam_lib.py"]


def _load_lib():
    if "redteam_lib" not in sys.modules:
        spec = importlib.util.spec_from_file_location("redteam_lib", HERE / "redteam_lib.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["redteam_lib"] = module
        spec.loader.exec_module(module)
    return sys.modules["redteam_lib"]


rt = _load_lib()
IS_ROOT = os.geteuid() == 0
BATCH_TIMEOUT_S = 900  # far above the ~90 s the batch takes on 2 idle cores; a hang of the grader fails


@dataclasses.dataclass
class Batch:
    ctx: "rt.Context"
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


def run_attack_batch(base: Path, paths_builder, hidden: Path | None, test_dirs: list[Path], workers: int = 2,
                     isolation: str | None = None, cli: bool = False) -> Batch:
    """Build the submissions, snapshot the host, grade them in one batch, and collect the evidence."""
    from autograder import batch as batch_mod, registry

    rt.become_subreaper()
    ctx = rt.Context.new(base)
    tcp, unix = _listeners(ctx)
    paths = paths_builder(ctx)
    names = dict(zip(paths, batch_mod.assign_names(list(paths.values()))))
    published = set()
    for d in test_dirs:
        published |= {t.name for t in registry.discover(d)}
    secrets_ = rt.secret_lines(test_dirs, published)
    tracked = rt.tracked_files()
    tracked_before = rt.hash_files(tracked)
    subs_before = rt.hash_tree(ctx.subs_root)
    pids_before = set(rt.process_table())
    started = time.monotonic()
    if cli:
        import subprocess

        argv = [rt.PYTHON, "-m", "autograder", "grade", "1", *map(str, paths.values()), "--out", str(ctx.out),
                "--workers", str(workers)]
        proc = subprocess.run(argv, cwd=rt.REPO, env=rt.grader_env(), capture_output=True, timeout=BATCH_TIMEOUT_S)
    else:
        proc = rt.run_batch(list(paths.values()), ctx.out, hidden, workers, BATCH_TIMEOUT_S, isolation)
    wall = time.monotonic() - started
    out_after = rt.hash_tree(ctx.out)
    time.sleep(3.0)  # long enough for a surviving daemon (it acts every 0.5 s) to rewrite something
    out_later = rt.hash_tree(ctx.out)
    leftovers = rt.leftover_processes(pids_before, ctx.ptoken)
    rt.reap_zombies()
    # The submissions' own sources hold the token (it is in the attack code): they are compared by hash.
    scan = [rt.REPO, ctx.out, Path("/tmp/results.json"), Path(os.path.expanduser("~/results.json")),
            Path("/autograder"), Path("/results.json"), ctx.pickle_flag]
    token_files = rt.files_containing(scan, ctx.wtoken, skip=(".git", ".venv", "__pycache__"))
    subs_after = rt.hash_tree(ctx.subs_root)
    token_files += [f"{p} (a submission's file changed)" for p in set(subs_before) | set(subs_after)
                    if subs_before.get(p) != subs_after.get(p)]
    token_files += [str(p) for p in (ctx.pickle_flag,) if p.exists()]
    token_files += [str(p) for p in Path("/tmp").glob(f"evil*{ctx.wtoken}*")]
    token_files += [str(p) for p in base.rglob(f"evil*{ctx.wtoken}*")]
    tcp_n, unix_n = _accepted(tcp), _accepted(unix)
    tcp.close()
    unix.close()
    results, feedback = {}, {}
    for attack, name in names.items():
        folder = ctx.out / name
        if (folder / "results.json").exists():
            results[attack] = rt.json.loads((folder / "results.json").read_text())
            feedback[attack] = (folder / "feedback.html").read_text(errors="replace")
    return Batch(ctx, paths, names, results, feedback, proc.returncode,
                 proc.stderr.decode(errors="replace")[-20000:], wall, tracked_before, rt.hash_files(tracked),
                 out_after, out_later, leftovers, token_files, tcp_n, unix_n, secrets_)


@pytest.fixture(scope="session")
def mini_batch(tmp_path_factory) -> Batch:
    base = tmp_path_factory.mktemp("redteam-mini")
    return run_attack_batch(base, lambda ctx: rt.build_mini_submissions(ctx, with_processes=IS_ROOT),
                            rt.MINI_HIDDEN, [rt.MINI_HIDDEN])
