"""The weaker isolation modes: `privdrop` (root without mount namespaces) and `process` (not root).

Both are documented fallbacks: the child is not jailed, so it can read what its user can read. These
tests grade a small batch in each mode (forced with AUTOGRADER_ISOLATION) and check what must still
hold there (daemons are killed, the reference keeps full marks, results.json says the isolation was
weaker), and record, as strict xfails, what does not (the reference can be read and run; the network
is reachable). The attacks used here write no file: without the jail a write would land on the host.
"""
from __future__ import annotations

import os

import pytest
import redteam_lib as rt


pytestmark = pytest.mark.slow


def _batch(tmp_path_factory, mode: str):
    base = tmp_path_factory.mktemp(f"redteam-{mode}")
    return rt.run_attack_batch(base, rt.build_isolation_submissions, rt.MINI_HIDDEN, [rt.MINI_HIDDEN],
                               isolation=mode)


@pytest.fixture(scope="module")
def privdrop_batch(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("privdrop isolation needs root (setpriv to uid 65534)")
    return _batch(tmp_path_factory, "privdrop")


@pytest.fixture(scope="module")
def process_batch(tmp_path_factory):
    return _batch(tmp_path_factory, "process")


@pytest.mark.parametrize("mode", ["privdrop", "process"])
def test_weaker_modes_grade_the_reference_and_kill_every_daemon(request, mode):
    batch = request.getfixturevalue(f"{mode}_batch")
    assert batch.returncode == 0, batch.stderr
    reference = batch.result("reference")
    assert all(t["score"] == t["max_score"] for t in reference["tests"]), reference
    status = next(t["output"] for t in batch.result("daemons")["tests"] if "PROCS" in t["output"])
    # (In privdrop mode nobody may be unable to exec the interpreter again: the popen daemon is optional.)
    assert '"daemon": "started"' in status and '"thread": "started"' in status, status
    assert not batch.leftovers, f"{mode}: processes left behind: {batch.leftovers}"
    assert batch.out_after == batch.out_later
    assert not rt.gains_over(batch.result("daemons"), batch.result("stub"))


def test_process_mode_says_so_in_the_results(process_batch):
    for attack, result in process_batch.results.items():
        assert "(graded with process isolation only)" in result["output"], attack


@pytest.mark.xfail(strict=True, reason=(
    "WEAKNESS (privdrop): the child runs as nobody but sees the whole filesystem; a checkout with the usual "
    "umask 022 leaves solutions/ and the hidden tests world-readable, so a submission can exec the reference "
    "and earn full marks. Fix: in privdrop mode refuse to grade (or chmod o-rwx) while the solution and hidden "
    "folders, or any folder above them, are readable by others; Gradescope's setup.sh already does this"))
def test_privdrop_child_cannot_run_the_reference(privdrop_batch):
    gains = rt.gains_over(privdrop_batch.result("steal_reference"), privdrop_batch.result("stub"))
    assert not gains, f"the reference thief scored: {gains}"


@pytest.mark.xfail(strict=True, reason=(
    "WEAKNESS (privdrop): no network namespace: the child reaches the grader's loopback services (and the "
    "internet where there is one). Fix: `unshare --net` works without mount namespaces in most containers; "
    "else document it next to the privdrop warning"))
def test_privdrop_child_has_no_network(privdrop_batch):
    assert privdrop_batch.tcp_connections == 0, "the child connected to the host's 127.0.0.1 listener"


@pytest.mark.xfail(strict=True, reason=(
    "KNOWN LIMITATION (process): without root the child can read everything the grader's user can, e.g. "
    "/proc/<grader pid>/cwd/solutions/, and run the reference. The contract accepts this for laptops; an "
    "unprivileged user namespace (`unshare --user --map-root-user --mount --net --pid`) would close it"))
def test_process_child_cannot_run_the_reference(process_batch):
    gains = rt.gains_over(process_batch.result("steal_reference"), process_batch.result("stub"))
    assert not gains, f"the reference thief scored: {gains}"
