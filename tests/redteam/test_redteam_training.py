"""Submissions that want a training test's points without the work (issue 17): models that ignore their weights.

Each is the reference of its week with an attack appended to one graded file (a later definition
replaces the reference's), graded by the real engine (sandboxed child) on the one training test it
attacks (the attacks are the files of attacks/training/). Each must lose that test's points:
  * a MADE.sample that emits bars and stripes itself (from the start, or only once the model has been
    trained, so that the check before training passes);
  * a Generator whose forward emits the 8 modes of the ring whatever its parameters;
  * a train_wgan that loads weights fitted beforehand (here by regression onto the usual ring, in this
    test) instead of training, and returns a made-up, decreasing history.
"""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import redteam_lib as rt
import torch

from autograder import engine
from autograder.weeks import get_week

MADE_TEST = "made.made_learns_bars_and_stripes"
RING_TEST = "gan.train_wgan_covers_the_ring"


def _submission(tmp_path: Path, week_key: int, file: str, attack: str, name: str) -> Path:
    week = get_week(week_key)
    folder = tmp_path / name
    folder.mkdir()
    for f in week.graded_files:
        shutil.copyfile(week.solution_dir / f, folder / f)
    with open(folder / file, "a") as handle:
        handle.write("\n\nimport math\nimport torch\n" + attack)
    return folder


def _grade_one(week_key: int, folder: Path, test_id: str):
    result = engine.grade(get_week(week_key), folder, only=[test_id])
    (test,) = result.tests
    return test


def test_made_sample_that_emits_bars_and_stripes_loses_the_points(tmp_path):
    attack = rt.training_attack("bars_and_stripes", "made_sample_emits")
    folder = _submission(tmp_path, 2, "made.py", attack, "made_always")
    result = _grade_one(2, folder, MADE_TEST)
    assert result.score == 0, result.output
    assert "before any training" in result.output


def test_made_sample_that_emits_bars_and_stripes_once_trained_loses_the_points(tmp_path):
    attack = rt.training_attack("bars_and_stripes", "made_sample_emits_once_trained")
    folder = _submission(tmp_path, 2, "made.py", attack, "made_after_training")
    result = _grade_one(2, folder, MADE_TEST)
    assert result.score == 0, result.output
    assert "noise to every parameter" in result.output


def test_generator_that_emits_the_ring_modes_loses_the_points(tmp_path):
    attack = rt.training_attack("generator_emits_modes")
    folder = _submission(tmp_path, 4, "gan.py", attack, "generator_emits_modes")
    result = _grade_one(4, folder, RING_TEST)
    assert result.score == 0, result.output
    assert "before any training" in result.output


def _fitted_generator_state() -> dict:
    """The reference Generator fitted by regression to send z to the ring mode of its angle's sector: what a
    student could fit once at home and paste into gan.py (here in a few seconds, seeded)."""
    sys_path = str(get_week(4).solution_dir)
    import importlib.util

    spec = importlib.util.spec_from_file_location("_redteam_gan", Path(sys_path) / "gan.py")
    gan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gan)
    torch.manual_seed(0)
    generator = gan.Generator(latent_dim=2, hidden_dim=64)
    ring = torch.tensor([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)])
    optimizer = torch.optim.Adam(generator.parameters(), lr=3e-3)
    for _ in range(1500):
        z = torch.randn(512, 2)
        sector = ((torch.atan2(z[:, 1], z[:, 0]) + math.pi / 8) % (2 * math.pi) // (math.pi / 4)).long() % 8
        loss = (generator(z) - ring[sector]).abs().sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        samples = generator(torch.randn(20_000, 2)).double()
    distance, nearest = torch.cdist(samples, ring.double()).min(dim=1)
    good = distance < 3 * 0.02
    modes = int((torch.bincount(nearest[good], minlength=8) > 0).sum())
    # The threat is real: on the usual ring these fixed weights meet the test's criteria.
    assert modes >= 7 and float(good.double().mean()) > 0.2, (modes, float(good.double().mean()))
    return {k: v.tolist() for k, v in generator.state_dict().items()}


def test_train_wgan_that_loads_fixed_weights_loses_the_points(tmp_path):
    attack = rt.training_attack("train_loads_weights", FIXED=json.dumps(_fitted_generator_state()))
    folder = _submission(tmp_path, 4, "gan.py", attack, "train_loads_weights")
    result = _grade_one(4, folder, RING_TEST)
    assert result.score == 0, result.output
    assert "modes" in result.output


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
