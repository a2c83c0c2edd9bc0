"""The sandbox: calls as data, restarts after crashes and timeouts, limits, isolation modes."""
import os
import subprocess
import time

import pytest
import torch

from autograder.runtime import protocol
from autograder.sandbox import Limits, Sandbox, SandboxCrash, SandboxTimeout, isolation_mode, sandbox_uid

STUDENT = '''
import os, sys, time, torch
def double(x):
    print("doubling")
    return x * 2
def crash():
    os._exit(3)
def hang():
    time.sleep(1000)
def grab(n):
    return bytearray(n)
def categorical(p, n):
    return torch.multinomial(p, n, replacement=True)
def where():
    return [os.getuid(), os.getcwd(), os.listdir("/")]
'''


def call(sandbox, target, *args, timeout=30):
    arrays = []
    message = {"op": "call", "target": target, "args": protocol.encode(list(args), arrays),
               "kwargs": protocol.encode({}, arrays)}
    reply, reply_arrays = sandbox.request(message, arrays, timeout)
    return reply, (protocol.decode(reply["value"], reply_arrays) if reply["ok"] else None)


def force_mode(monkeypatch, mode):
    """Run a test under one isolation mode ('auto' keeps what this machine gives)."""
    if mode != "auto":
        monkeypatch.setenv("AUTOGRADER_ISOLATION", mode)
    isolation_mode.cache_clear()


@pytest.fixture(params=["auto", "userns", "process"])
def sandbox(request, tmp_path, monkeypatch):
    if request.param == "userns" and not USERNS:
        pytest.skip("unprivileged user namespaces are not available here")
    force_mode(monkeypatch, request.param)
    (tmp_path / "student.py").write_text(STUDENT)
    box = Sandbox({"student.py": tmp_path / "student.py"}, ["student"],
                  Limits(memory_bytes=3 << 30, output_bytes=1000))
    yield box
    box.close()
    isolation_mode.cache_clear()


USERNS = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True).returncode == 0


def test_round_trip_and_output_capture(sandbox):
    reply, value = call(sandbox, "student.double", torch.arange(3.0))
    assert reply["ok"] and torch.equal(value, torch.tensor([0.0, 2.0, 4.0]))
    time.sleep(0.1)
    assert "doubling" in sandbox.output()


def test_crash_then_restart(sandbox):
    with pytest.raises(SandboxCrash, match="exit code 3"):
        call(sandbox, "student.crash")
    reply, value = call(sandbox, "student.double", 2)
    assert value == 4 and sandbox.starts == 2


def test_timeout_kills_then_restart(sandbox):
    started = time.monotonic()
    with pytest.raises(SandboxTimeout):
        call(sandbox, "student.hang", timeout=3)
    assert time.monotonic() - started < 10
    assert call(sandbox, "student.double", 1)[1] == 2


def test_memory_limit_is_an_error_not_a_dead_machine(sandbox):
    reply, _ = call(sandbox, "student.grab", 8 << 30)
    assert not reply["ok"] and reply["error"]["type"] == "MemoryError"


def test_disabled_functions_raise_only_during_the_call(sandbox):
    p = torch.tensor([0.5, 0.5])
    no = {"op": "call", "target": "student.categorical", "disable": ["torch.multinomial", "torch.distributions"]}
    arrays = []
    no["args"], no["kwargs"] = protocol.encode([p, 3], arrays), protocol.encode({}, arrays)
    reply, _ = sandbox.request(no, arrays, 30)
    assert not reply["ok"] and "not allowed" in reply["error"]["message"]
    reply, value = call(sandbox, "student.categorical", p, 3)
    assert reply["ok"] and value.shape == (3,)


def test_only_graded_modules_and_public_names(sandbox):
    for target in ("os.system", "student._private", "student.__class__"):
        reply, _ = call(sandbox, target)
        assert not reply["ok"]


@pytest.mark.parametrize("mode", ["namespace", "userns"])
def test_jail_hides_the_repository(tmp_path, monkeypatch, mode):
    if mode == "namespace" and (os.geteuid() != 0 or isolation_mode() != "namespace"):
        pytest.skip("the namespace jail needs root and mount namespaces")
    if mode == "userns" and not USERNS:
        pytest.skip("unprivileged user namespaces are not available here")
    force_mode(monkeypatch, mode)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    secrets = [os.path.join(repo, "solutions"), os.path.join(repo, "autograder", "weeks"), str(tmp_path), "/root"]
    assert all(os.path.exists(p) for p in secrets[:3])
    (tmp_path / "student.py").write_text(STUDENT + "\ndef exists(paths):\n    return [os.path.exists(p) for p in paths]\n")
    with Sandbox({"student.py": tmp_path / "student.py"}, ["student"]) as box:
        _, (uid, cwd, _) = call(box, "student.where")
        _, seen = call(box, "student.exists", secrets)
    isolation_mode.cache_clear()
    # As root the child gets a uid of its own; in a user namespace it is the namespace's root (the
    # grader's own uid outside), with every capability dropped.
    assert uid == (sandbox_uid() if mode == "namespace" else 0) and cwd == "/sandbox"
    assert seen[:3] == [False, False, False]
