"""A red-team batch through the real command line, with the week's real hidden tests.

`python -m autograder grade 1 reference stub forger always_valueerror multinomial --workers 2`, as an
instructor runs it. The forger writes forged results everywhere, monkeypatches every comparison in its
process and returns values of the right type that are wrong on every input; it must score no more
than the stub on any test, and nothing it writes may reach the host.
"""
from __future__ import annotations

import os

import pytest
import redteam_lib as rt

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not list(rt.HIDDEN_DIR.glob("test_*.py")),
                                                   reason="the week's hidden tests are not written yet")]


@pytest.fixture(scope="module")
def cli_batch(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("without root the child is not jailed: the forger would really write the grader's files")
    base = tmp_path_factory.mktemp("redteam-cli")
    return rt.run_attack_batch(base, rt.build_cli_submissions, None, [rt.HIDDEN_DIR], cli=True)


def test_cli_batch_completes_with_exit_status_zero(cli_batch):
    assert cli_batch.returncode == 0, cli_batch.stderr
    assert set(cli_batch.results) == set(cli_batch.paths)


def test_cli_reference_keeps_full_marks(cli_batch):
    result = cli_batch.result("reference")
    failed = {t["number"]: t["output"][:300] for t in result["tests"] if t["score"] < t["max_score"]}
    assert not failed, f"the reference lost points next to the attacks: {failed}"


def test_cli_attacks_import(cli_batch):
    for attack in ("forger", "always_valueerror", "multinomial"):
        assert "could not be imported" not in cli_batch.result(attack)["output"], cli_batch.result(attack)["output"]


def test_cli_forger_gains_nothing_and_leaks_nothing(cli_batch):
    gains = rt.gains_over(cli_batch.result("forger"), cli_batch.result("stub"))
    assert not gains, f"the forger scored more than the stub on: {gains}"
    for attack in ("forger", "stub", "always_valueerror", "multinomial"):
        text = rt.json.dumps(cli_batch.result(attack)) + cli_batch.feedback[attack]
        leaks = rt.find_leaks(text, cli_batch.secrets)
        assert not leaks, f"{attack}: hidden lines in its feedback: {leaks[:5]}"


def test_cli_nothing_written_and_nothing_left_running(cli_batch):
    assert not rt.grader_files_changed(cli_batch), rt.grader_files_changed(cli_batch)
    assert not cli_batch.token_files, cli_batch.token_files
    assert cli_batch.out_after == cli_batch.out_later
    assert not cli_batch.leftovers, cli_batch.leftovers


def test_cli_always_valueerror_gains_nothing(cli_batch):
    """A submission whose every function raises ValueError.

    Found by this suite: the hidden tests that only required `check.raises(ValueError, ...)` gave it
    their points (4 of 94); each now first requires a valid call to return a value."""
    gains = rt.gains_over(cli_batch.result("always_valueerror"), cli_batch.result("stub"))
    assert not gains, f"a submission that only raises ValueError scored: {gains}"


def test_cli_multinomial_bypass_gains_nothing(cli_batch):
    """`from torch import multinomial` at import time, against the real sample_categorical tests.

    Found by this suite: the saved alias escaped `sub.without('torch.multinomial')` and earned 4 points."""
    gains = rt.gains_over(cli_batch.result("multinomial"), cli_batch.result("stub"))
    assert not gains, f"the multinomial bypass scored: {gains}"
