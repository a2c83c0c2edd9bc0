"""The red-team batch: twenty-odd attack submissions graded in one batch next to the reference.

Each attack is graded by the real batch path (`batch.grade_many`, two worker processes) on the small
hidden suite of `mini_hidden/`, and must
  * gain nothing: no test scores more than it does for the stub (the stubs score 0 on every test);
  * leak nothing: no line (>= 25 characters) of the hidden tests or of the reference's solution
    regions appears in its results.json or feedback.html;
  * touch nothing: no file on the host holds the token that every attempted write carries, the
    grader's files, the other submissions and the output folder are unchanged;
  * leave nothing: no process it started is alive after the batch;
while the reference, graded in the same batch, keeps full marks and the batch itself completes.
The attacks themselves are in `attacks/`, built by `redteam_lib.py`; the numbers in the names follow
the red-team brief.
"""
from __future__ import annotations

import html
import json
import os
import re

import pytest
import redteam_lib as rt

pytestmark = pytest.mark.slow
_no_root = pytest.mark.skipif(os.geteuid() != 0, reason="the namespace sandbox (separate user, no network, "
                              "hidden filesystem, process limit) needs root")


def requires_root(func):
    return pytest.mark.root(_no_root(func))


def _all_text(batch, attack: str) -> str:
    return json.dumps(batch.result(attack)) + "\n" + batch.feedback[attack]


def _payload(batch, attack: str, tag: str) -> dict:
    """The JSON an attack reported from inside the sandbox in an exception message `TAG {...}`.

    A background thread of an attack may shift replies between tests, so every test is searched."""
    for t in batch.result(attack)["tests"]:
        match = re.search(re.escape(tag) + r" (\{.*?\})(?:\n|$)", t["output"])
        if match:
            return json.loads(match.group(1))
    raise AssertionError(f"{attack}: no '{tag}' report in any test output (did the attack run?)")


# --- the batch as a whole ---------------------------------------------------------------------------
def test_batch_completes_and_grades_every_submission(mini_batch):
    assert mini_batch.returncode == 0, f"the batch crashed:\n{mini_batch.stderr}"
    missing = sorted(set(mini_batch.paths) - set(mini_batch.results))
    assert not missing, f"no results.json for {missing}"
    gradebook = (mini_batch.ctx.out / "gradebook.csv").read_text().splitlines()
    assert len(gradebook) == 1 + len(mini_batch.paths), "one gradebook row per submission"


def test_reference_in_the_same_batch_keeps_full_marks(mini_batch):
    for attack in rt.FROM_REFERENCE:  # the reference folder, and the reference zipped two folders down
        result = mini_batch.result(attack)
        failed = {t["number"]: t["output"][:200] for t in result["tests"] if t["score"] < t["max_score"]}
        assert not failed, f"{attack} lost points next to the attacks: {failed}"
        assert result["score"] == sum(t["max_score"] for t in result["tests"]) > 0


def test_stub_scores_zero_on_the_mini_suite(mini_batch):
    # The baseline of every "gains nothing" check below; the mini tests call only stubbed functions.
    assert all(t["score"] == 0 for t in mini_batch.result("stub")["tests"])


@pytest.mark.parametrize("attack", rt.GAIN_NOTHING)
def test_attack_gains_nothing_over_the_stub(mini_batch, attack):
    gains = rt.gains_over(mini_batch.result(attack), mini_batch.result("stub"))
    assert not gains, f"{attack} scored more than the stub on: {gains}"
    for t in mini_batch.result(attack)["tests"]:
        assert t["output"].strip() and t["output"] != "passed", f"{attack}: {t['number']} has no failure message"


@pytest.mark.parametrize("attack", rt.IMPORTABLE)
def test_attack_code_imports_so_the_checks_are_not_vacuous(mini_batch, attack):
    assert "could not be imported" not in mini_batch.result(attack)["output"], mini_batch.result(attack)["output"]


@pytest.mark.parametrize("attack", rt.GAIN_NOTHING)
def test_attack_leaks_no_hidden_material(mini_batch, attack):
    assert mini_batch.secrets, "the leak check needs the hidden material's lines"
    leaks = rt.find_leaks(_all_text(mini_batch, attack), mini_batch.secrets)
    assert not leaks, f"{attack}: hidden lines in its feedback: {leaks[:5]}"


def test_no_grader_file_submission_or_result_is_modified(mini_batch):
    # Every write an attack attempts carries its token (or creates a file owned by a sandbox uid): the scan of
    # the repository, the output folder and the usual forgery targets finds none. (A plain hash
    # comparison of the whole repository would also flag the edits of people working next to CI.)
    assert not mini_batch.token_files, f"files written by the attacks: {mini_batch.token_files}"
    assert not rt.grader_files_changed(mini_batch), rt.grader_files_changed(mini_batch)
    assert mini_batch.out_after == mini_batch.out_later, "the output folder changed after the batch ended"
    for attack, name in mini_batch.names.items():
        entries = set(os.listdir(mini_batch.ctx.out / name))  # stdout.txt: the staff's copy of the output
        assert {"feedback.html", "results.json"} <= entries <= {"feedback.html", "results.json", "stdout.txt", "code"}, \
            f"{attack}: unexpected files {entries}"
        code = mini_batch.ctx.out / name / "code"  # the graded files, verbatim, for the similarity check
        if code.exists():
            assert code.is_dir() and not code.is_symlink(), f"{attack}: code/ is not a folder"
            digests = rt.submission_file_digests(mini_batch.ctx.subs_root)
            for p in code.iterdir():
                assert rt.is_verbatim_code_copy(p, mini_batch.ctx.out, digests), f"{attack}: {p} is not a submission's file"
    top = {e for e in os.listdir(mini_batch.ctx.out) if not e.startswith(".")}
    assert top == set(mini_batch.names.values()) | {"gradebook.csv", "scores.png"}


def test_no_process_outlives_the_batch(mini_batch):
    assert not mini_batch.leftovers, f"processes left behind: {mini_batch.leftovers}"


# --- 1-2. forged results and monkeypatched comparisons --------------------------------------------------
def test_forger_ran_and_its_forgeries_stayed_in_the_sandbox(mini_batch):
    # Its import-time forgeries ran before these functions, which returned values of the right type that
    # are wrong on every input: the grader's own comparisons caught each one. (The forged files: see
    # test_no_grader_file_submission_or_result_is_modified.)
    assert mini_batch.result("forger")["score"] == 0
    for t in mini_batch.result("forger")["tests"]:
        assert "differs from the reference" in t["output"] or "outside" in t["output"], t


# --- 3. rigged objects ----------------------------------------------------------------------------------
def test_rigged_objects_arrive_as_plain_data_or_are_refused(mini_batch):
    out = {t["number"].split(".")[-1]: t["output"] for t in mini_batch.result("rigged")["tests"]}
    assert "differs from the reference" in out["categorical_nll_matches_reference"]  # a Tensor subclass: plain data
    assert "got ndarray" in out["gaussian_log_prob_matches_reference"]  # an ndarray subclass: a plain array
    assert "student object" in out["gaussian_mle_pair"]  # an object with every dunder rigged: a handle
    assert "dtype" in out["sample_categorical_chi_square"]  # a tensor lying about its dtype
    assert "should be a number" in out["frechet_distance_number"]  # a float subclass equal to everything
    assert "should be a number" in out["mmd_rbf_value_and_error"]


# --- 4. frame and gc inspection -----------------------------------------------------------------------
def test_inspection_finds_no_grader_state_in_the_child(mini_batch):
    census = _payload(mini_batch, "inspector", "INSPECT")
    assert census["modules"] == [], f"grader modules imported in the child: {census['modules']}"
    assert census["wanted_locals"] == [], f"reference-like names in the child's frames: {census['wanted_locals']}"
    assert "handle_request" in census["frames"], "the census should see the runtime's own frames"


# --- 5. exits -------------------------------------------------------------------------------------------
def test_exits_cost_only_their_own_tests(mini_batch):
    imports = mini_batch.result("exit_import")
    assert "SystemExit" in imports["output"] and "KeyboardInterrupt" in imports["output"]
    exits = {t["number"].split(".")[-1]: t["output"] for t in mini_batch.result("exit_call")["tests"]}
    assert "exited (exit code 0)" in exits["categorical_nll_matches_reference"]  # os._exit(0)
    assert "SystemExit" in exits["gaussian_log_prob_matches_reference"]
    assert "KeyboardInterrupt" in exits["gaussian_mle_pair"]
    assert "exited (signal" in exits["frechet_distance_number"]  # abort()
    assert "exited (signal SIGSEGV" in exits["mmd_rbf_value_and_error"]  # a segmentation fault


# --- 6, 9. hangs ----------------------------------------------------------------------------------------
def test_hangs_are_cut_at_the_test_timeout(mini_batch):
    result = mini_batch.result("hang")
    hung = ("categorical_nll_matches_reference", "gaussian_log_prob_matches_reference",
            "sample_categorical_chi_square", "categorical_nll_hidden_input")
    for t in result["tests"]:
        if t["number"].split(".")[-1] in hung:
            assert "time limit" in t["output"], t
    # A 10**6 s sleep, a busy loop, a self-SIGSTOP and a loop with every signal ignored: the
    # submission's time is bounded by the sum of its tests' timeouts (10 s each), plus sandbox
    # restarts and imports (generous 60 s for a loaded 2-core machine).
    tests = {t.id: t for t in rt_registry_tests()}
    bound = sum(tests[t["number"]].timeout for t in result["tests"]) + 60
    assert result["execution_time"] <= bound, f"hang took {result['execution_time']} s > {bound} s"


def rt_registry_tests():
    from autograder import registry

    return registry.discover(rt.MINI_HIDDEN)


# --- 7. memory bombs ------------------------------------------------------------------------------------
def test_memory_bombs_hit_the_address_space_limit(mini_batch):
    for t in mini_batch.result("memory")["tests"]:
        if "NotImplementedError" in t["output"]:
            continue
        assert re.search(r"MemoryError|allocate memory|Cannot allocate", t["output"]), t


# --- 8. output floods -----------------------------------------------------------------------------------
def test_output_flood_is_capped(mini_batch):
    folder = mini_batch.ctx.out / mini_batch.names["flood"]
    # 200 MB on stdout, 100 MB on stderr, a 10 MB message, a million lines: the feedback keeps 64 KiB of
    # output at most and each message at most a few KB; 200 KB bounds the whole feedback with room.
    assert (folder / "results.json").stat().st_size < 200_000
    assert (folder / "feedback.html").stat().st_size < 200_000
    if "<h2>What your code printed</h2>" in mini_batch.feedback["flood"]:  # the output shown to the student
        printed = html.unescape(mini_batch.feedback["flood"].split("<h2>What your code printed</h2><pre>")[1])
        assert len(printed.split("</pre>")[0]) <= 4000, "at most 4000 characters of the output are shown"
    if (folder / "stdout.txt").exists():  # the staff's copy: the 64 KiB capture and a note
        assert (folder / "stdout.txt").stat().st_size < 70_000
    out = {t["number"].split(".")[-1]: t["output"] for t in mini_batch.result("flood")["tests"]}
    big_json = out["gaussian_log_prob_matches_reference"]  # 3 million floats: refused, or over the JSON limit
    assert "malformed" in big_json or "got list" in big_json
    assert "shape" in out["gaussian_mle_pair"]  # 64 MB of arrays arrive, and are refused by shape


# --- 10, 15. daemons, threads, fork bomb ----------------------------------------------------------------
@requires_root
def test_fork_bomb_is_capped_and_daemons_started(mini_batch):
    text = "\n".join(t["output"] for t in mini_batch.result("procs")["tests"])
    spawned = [int(n) for n in re.findall(r"FORKBOMB spawned=(\d+)", text)]
    assert spawned, "the fork bomb did not report"
    assert max(spawned) < 64, f"{max(spawned)} processes forked; the per-uid limit is 64"
    status = _payload(mini_batch, "procs", "PROCS")
    # The daemon, the exec'd process in a new session and the thread really started, so the
    # "no process left" and "results unchanged" checks above are not vacuous.
    assert status == {"daemon": "started", "popen": "started", "thread": "started"}, status


# --- 11-12. reading hidden material, writing grader files ---------------------------------------------
@requires_root
def test_snoop_sees_no_secret_path_and_writes_nowhere(mini_batch):
    report = _payload(mini_batch, "snoop", "SNOOP")
    assert report["hits"] == [], f"secret paths visible to the child: {report['hits']}"
    # Writes that "succeed" land in the jail's own /tmp and working folder; the host-side token scan of
    # test_no_grader_file_submission_or_result_is_modified is the proof. None may reach the repository.
    assert not [w for w in report["wrote"] if w.startswith(str(rt.REPO))], report["wrote"]
    allowed_env = {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                   "OPENBLAS_NUM_THREADS", "MPLBACKEND", "PYTHONHASHSEED", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                   "PWD",  # set by the jail's /bin/sh wrapper
                   "TORCHINDUCTOR_CACHE_DIR"}  # set by torch itself when the child imports torch._dynamo at start-up
    assert set(report["env"]) <= allowed_env, f"environment not scrubbed: {set(report['env']) - allowed_env}"
    found = _payload(mini_batch, "snoop", "FOUND")
    assert found["files"] == [] and found["seen"] > 0, f"grading material in the jail: {found['files']}"


# --- 14. network ----------------------------------------------------------------------------------------
@requires_root
def test_network_is_unreachable(mini_batch):
    outcomes = _payload(mini_batch, "network", "NET")
    assert len(outcomes) >= 6
    connected = [k for k, v in outcomes.items() if v == "CONNECTED"]
    assert not connected, f"the child reached: {connected}"
    assert mini_batch.tcp_connections == 0, "the host's loopback listener accepted a connection"
    assert mini_batch.abstract_connections == 0, "the host's abstract unix socket accepted a connection"


# --- raw protocol -----------------------------------------------------------------------------------------
def test_forged_reply_frames_are_data_only(mini_batch):
    # An object array in a reply would run `open(flag, "w")` in the grader if it were ever unpickled.
    assert not mini_batch.ctx.pickle_flag.exists(), "the grader unpickled data sent by the child"
    assert mini_batch.result("raw_protocol")["score"] == 0


# --- 13, 16. archives, names and links --------------------------------------------------------------------
def test_links_to_the_reference_are_not_followed(mini_batch):
    output = mini_batch.result("symlink")["output"]
    assert "density.py is not a regular file" in output and "sampling.py is not a regular file" in output
    assert all("missing" in t["output"] for t in mini_batch.result("symlink")["tests"])


def test_archives_are_capped_and_never_extracted_by_path(mini_batch):
    lie = mini_batch.result("zipbomb_lie")["output"]  # reading stops at the declared size: the CRC fails
    assert "Bad CRC" in lie or "larger than" in lie
    big = mini_batch.result("zipbomb_big")["output"]
    assert "more than 10000 entries" in big and "sampling.py is larger than" in big
    slip = mini_batch.result("zipslip")
    assert "metrics.py could not be imported" in slip["output"]  # the link entry became a file of text
    assert not [p for p in mini_batch.token_files if "evil" in p]


def test_names_that_are_not_utf8_are_graded(mini_batch):
    for attack in ("nonutf8_dir", "nonutf8_zip"):
        name = mini_batch.names[attack]
        assert name.isprintable() and "/" not in name and name.encode("utf-8")
        assert not rt.gains_over(mini_batch.result(attack), mini_batch.result("stub"))
        assert "missing" not in mini_batch.result(attack)["output"], "the stubs in it should be found"


# --- 17. wrong types ----------------------------------------------------------------------------------
def test_wrong_types_get_clear_messages(mini_batch):
    out = {t["number"].split(".")[-1]: t["output"] for t in mini_batch.result("wrong_types")["tests"]}
    assert "raised TypeError" in out["categorical_nll_matches_reference"]
    assert "non-finite" in out["gaussian_log_prob_matches_reference"]
    assert "tuple of 2" in out["gaussian_mle_pair"]
    assert "should be a torch.Tensor, got list" in out["sample_categorical_chi_square"]
    assert "finite number" in out["frechet_distance_number"]
    assert "should be a number, got NoneType" in out["mmd_rbf_value_and_error"]
    assert "could not be checked" not in json.dumps(out), "a type error should have its own message"


# --- weaknesses found by this suite, fixed in the engine: regression tests ------------------------------
def test_multinomial_saved_at_import_is_still_disabled(mini_batch):  # also in GAIN_NOTHING, named here
    """`from torch import multinomial` at import time, called while the runtime disables torch.multinomial.

    Found by this suite: rebinding the name alone let the saved alias earn the sampler's points; the
    runtime now also refuses the operator at the dispatcher."""
    gains = rt.gains_over(mini_batch.result("multinomial"), mini_batch.result("stub"))
    assert not gains, f"multinomial bypass scored: {gains}"


def test_hidden_inputs_do_not_reach_the_feedback(mini_batch):
    """A submission that prints its arguments and puts them in its exception messages.

    Found by this suite: feedback.html showed every test's output and the student's printed output,
    whatever the test's visibility, so a hidden test's inputs reached the student."""
    from importlib import util

    spec = util.spec_from_file_location("_mini_for_secret", rt.MINI_HIDDEN / "test_mini.py")
    mini = util.module_from_spec(spec)
    spec.loader.exec_module(mini)
    assert str(mini.SECRET_LOGIT) not in mini_batch.feedback["echo_hidden"]


def test_working_folder_space_is_capped(mini_batch):
    """Five files of 63 MiB (each under the file-size limit) written into the working folder.

    Found by this suite: the working folder was a bind mount of the host's disk with no size cap.
    256 MiB: the largest tmpfs the sandbox mounts."""
    text = "\n".join(t["output"] for t in mini_batch.result("disk_fill")["tests"])
    written = int(re.search(r"DISK wrote=(\d+)", text).group(1))
    assert written <= 256 << 20, f"the child wrote {written >> 20} MiB into its working folder"
