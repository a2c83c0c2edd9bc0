"""Attacks aimed at the fork server (namespace mode, root): the children it forks must find nothing of it.

Each attack is a submission run in a real Sandbox forked by the server: it looks for the server's descriptors,
memory and environment, ptraces and signals it, and leaves state in the inherited interpreter for the next
submission to find. The grader side then checks that the server is alive, single-threaded, and still serves.
"""
from __future__ import annotations

import json
import os
import secrets
import time

import pytest
import redteam_lib as rt

from autograder import sandbox as sandbox_mod
from autograder.runtime import protocol
from autograder.sandbox import Sandbox, isolation_mode

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the fork server is used as root (namespace mode)")


@pytest.fixture
def forked(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_ISOLATION", "namespace")
    isolation_mode.cache_clear()
    if isolation_mode() != "namespace":
        pytest.skip("no mount namespaces here")
    token = "DGM" + "SECRET-" + secrets.token_hex(12)
    monkeypatch.setenv("DGM_GRADER_SECRET", token)  # a secret in the grader's environment and memory
    (tmp_path / "attack.py").write_text(rt.attack_text("forkserver/attack.py"))
    boxes = []

    def make():
        box = Sandbox({"attack.py": tmp_path / "attack.py"}, ["attack"])
        boxes.append(box)
        return box

    yield make, token
    for box in boxes:
        box.close()
    isolation_mode.cache_clear()


def call(box, target, *args):
    arrays = []
    message = {"op": "call", "target": f"attack.{target}", "args": protocol.encode(list(args), arrays),
               "kwargs": protocol.encode({}, arrays)}
    reply, reply_arrays = box.request(message, arrays, 120)
    assert reply["ok"], reply
    return protocol.decode(reply["value"], reply_arrays)


def server_pid() -> int:
    server = sandbox_mod.fork_server()
    assert server is not None, "namespace mode as root should use the fork server"
    return server.proc.pid


def test_a_child_finds_no_descriptor_process_or_file_of_the_server(forked):
    make, _ = forked
    box = make()
    fds = dict(call(box, "descriptors"))
    assert isinstance(box.proc, sandbox_mod.ForkedProcess)
    # stdin (/dev/null), stdout and stderr (the output pipe), the request and reply pipes: nothing else.
    assert sorted(fds) == [0, 1, 2, 3, 4], fds
    assert all(v.startswith("pipe:") for k, v in fds.items() if k > 0), fds
    pids, ppid = call(box, "processes")
    assert pids == [1] and ppid == 0, (pids, ppid)  # alone in its PID namespace
    pid = server_pid()
    files = call(box, "server_files", pid)
    assert all(v in ("FileNotFoundError", "ProcessLookupError") for v in files.values()), files


def test_the_inherited_memory_and_environment_hold_no_grader_secret(forked):
    make, token = forked
    box = make()
    hits, environ_hex, env_names = call(box, "memory_after", "DGM", "SECRET-")
    rest = token.removeprefix("DGMSECRET-").encode().hex()
    assert not any(h.startswith(rest) for h in hits), "the grader's secret is in the child's memory"
    assert token.encode().hex() not in environ_hex and "DGM_GRADER_SECRET" not in env_names
    # The scan is not blind: once the token is in the child's memory (sent as an argument), it finds it.
    control = make()
    call(control, "leave_state", token)
    hits, _, _ = call(control, "memory_after", "DGM", "SECRET-")
    assert any(h.startswith(rest) for h in hits), "the memory scan should find a token the child holds"


def test_ptrace_and_signals_cannot_reach_the_server(forked):
    make, _ = forked
    box = make()
    pid = server_pid()
    for target, result, err in call(box, "trace", pid):
        assert result == -1 and err != 0, (target, result, err)
    call(box, "signal_server", pid)
    time.sleep(0.5)
    server = sandbox_mod.fork_server()
    assert server.proc.pid == pid and server.proc.poll() is None, "the server died"
    assert len(os.listdir(f"/proc/{pid}/task")) == 1, "the server must be single-threaded when it forks"
    assert call(make(), "find_state") == []  # and it still serves


def test_state_left_in_the_interpreter_does_not_reach_the_next_submission(forked):
    make, token = forked
    first = make()
    assert call(first, "leave_state", token) is True
    second = make()  # a new submission: a new fork of the untouched template
    assert call(second, "find_state") == []
    first.close()
    assert call(make(), "find_state") == []
    os.kill(server_pid(), 0)  # alive


def test_killing_a_child_kills_its_namespace_not_the_server(forked):
    make, _ = forked
    box = make()
    call(box, "descriptors")
    jailer = box.proc.pid
    box.close()
    assert not os.path.exists(f"/proc/{jailer}") or open(f"/proc/{jailer}/stat").read().split()[2] == "Z"
    os.kill(server_pid(), 0)
    assert call(make(), "find_state") == []


def test_fork_server_off_falls_back_to_a_fresh_python(forked, monkeypatch):
    make, _ = forked
    monkeypatch.setenv("AUTOGRADER_FORKSERVER", "0")
    box = make()
    assert call(box, "find_state") == []
    assert not isinstance(box.proc, sandbox_mod.ForkedProcess)
    box.close()


def test_forked_workers_share_one_server_each_answered_with_its_own_child(forked):
    """The batch workers (forked from the grader once it started the server) send their requests on one
    socket at the same time: each gets its own jailed child, with its own uid, and the server serves on."""
    make, _ = forked
    pid = server_pid()
    workers = []
    for _ in range(3):
        r, w = os.pipe()
        child = os.fork()
        if child == 0:  # a worker: three children each, requested while the other workers request theirs
            os.close(r)
            try:
                boxes = [make() for _ in range(3)]
                out = {"server": sandbox_mod.fork_server().pid, "uids": [], "state": []}
                for box in boxes:
                    uid, child_pid = call(box, "whoami")
                    out["uids"].append([uid, box.uid, child_pid])
                    out["state"].append(call(box, "find_state"))
                    call(box, "leave_state", "worker")
                for box in boxes:
                    box.close()
                os.write(w, json.dumps(out).encode())
            finally:
                os._exit(0)
        os.close(w)
        workers.append((child, r))
    seen = []
    for child, r in workers:
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        os.waitpid(child, 0)
        out = json.loads(data)
        assert out["server"] == pid, "a worker started a server of its own"
        for uid, expected, child_pid in out["uids"]:
            assert uid == expected == sandbox_mod.UID_BASE + child, (uid, expected, child)
            assert child_pid == 1  # alone in its PID namespace
        assert out["state"] == [[], [], []]
        seen.append(child)
    assert len(seen) == 3
    assert sandbox_mod.fork_server().pid == pid and sandbox_mod.fork_server().alive()
    assert call(make(), "find_state") == []
