"""Attacks on what sandboxes share: the machine's memory and the sandbox user's process count.

Memory and process limits that are rlimits bound one process (`resource.setrlimit`) or one user, not
one submission. Each test drives `autograder.sandbox.Sandbox` directly (the engine's own child
runtime) with a tiny module of attack functions (attacks/shared_limits/density.py); "another worker" is a second grader process, as with
`--workers 2`.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import pytest
import redteam_lib as rt

pytestmark = [pytest.mark.slow, pytest.mark.root,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs the namespace sandbox (root): a sandbox user, "
                                 "RLIMIT_NPROC and PID namespaces")]


@pytest.fixture
def attack_module(tmp_path) -> dict[str, Path]:
    path = tmp_path / "density.py"
    path.write_text(rt.attack_text("shared_limits/density.py"))
    rt.become_subreaper()
    return {"density.py": path}


def _call(sandbox, function: str, *args):
    reply, _ = sandbox.request({"op": "call", "target": f"density.{function}", "args": list(args),
                                "kwargs": {"__dict__": []}}, [], 120)
    assert reply["ok"], reply
    return reply["value"]


VICTIM = """
import sys
from pathlib import Path
from autograder.sandbox import Sandbox
with Sandbox({"density.py": Path(sys.argv[1])}, ["density"]) as sandbox:
    reply, _ = sandbox.request({"op": "call", "target": "density.start_a_thread", "args": [],
                                "kwargs": {"__dict__": []}}, [], 120)
    print(reply["value"])
"""


def _victim_in_another_grader(module: Path) -> str:
    """What `start_a_thread` returns in a sandbox of another grader process (another --workers slot)."""
    proc = subprocess.run([rt.PYTHON, "-c", VICTIM, str(module)], cwd=rt.REPO, env=rt.grader_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def test_a_fork_bomb_does_not_starve_another_worker(attack_module):
    """A sandbox that forks until refused, while another grader process starts a sandbox of its own.

    Found by this suite: every sandbox ran as uid 65534, whose RLIMIT_NPROC counts every process of
    that user, so with --workers 2 one submission's fork bomb stopped the other worker's submission
    from starting any thread. Each grader process now has its own sandbox uid (and a pids cgroup)."""
    from autograder.sandbox import Sandbox

    assert _victim_in_another_grader(attack_module["density.py"]) == "started"
    with Sandbox(attack_module, ["density"]) as bomb:
        forked = _call(bomb, "fork_until_refused", 500)
        assert forked < 64, "the fork bomb itself is capped"
        # The bomb's children sleep until it is closed; meanwhile another worker grades a submission.
        assert _victim_in_another_grader(attack_module["density.py"]) == "started", \
            "the other worker's sandbox could not start a thread"


def test_memory_limit_bounds_the_whole_submission(attack_module):
    """Three children that each touch 700 MB, under a 1.5 GiB limit.

    Found by this suite: RLIMIT_AS bounds one process, so a submission could hold processes x limit
    (64 x 6 GiB). The sandbox's cgroup now bounds them together, where root has cgroups."""
    from autograder.sandbox import Limits, Sandbox, SandboxError

    limit = 3 << 29  # 1.5 GiB: the child runtime with torch needs about 0.6 GiB of address space
    fields = {f.name for f in dataclasses.fields(Limits)}
    limits = Limits(memory_bytes=limit, **{k: limit for k in ("group_memory_bytes",) if k in fields})
    with Sandbox(attack_module, ["density"], limits) as sandbox:
        try:  # three children, each touching 700 MB (under the per-process limit): 2.1 GB and more in all
            resident = _call(sandbox, "children_holding_memory", 3, 700_000_000)
        except SandboxError:
            resident = 0  # the whole sandbox was stopped: bounded
    assert resident <= limit, f"the submission held {resident / 2**30:.2f} GiB with a {limit / 2**30:.2f} GiB limit"


def test_closing_a_sandbox_kills_its_fork_bomb(attack_module):
    from autograder.sandbox import Sandbox

    before = set(rt.process_table())
    sandbox = Sandbox(attack_module, ["density"])
    forked = _call(sandbox, "fork_until_refused", 500)
    assert 0 < forked < 64
    sandbox.close()
    # PID-namespace teardown is asynchronous: give the kernel a moment, then nothing may be alive.
    rt.wait_until(lambda: not rt.leftover_processes(before, "no-token"), timeout=10)
    assert not rt.leftover_processes(before, "no-token")
    rt.reap_zombies()
