"""Public tests of toy.py."""
import pytest
import torch

import helpers
import toy


def test_square_of_three():
    assert toy.square(3.0) == 9.0


def test_mean_of_squares_of_one_and_three():
    # (1 + 9) / 2 = 5, exact in floating point.
    assert toy.mean_of_squares([1.0, 3.0]) == 5.0


def test_mean_of_squares_rejects_empty():
    with pytest.raises(ValueError, match="values"):
        toy.mean_of_squares([])


def test_counter_add_twice():
    counter = toy.Counter()
    counter.add()
    assert counter.add(2) == 3


def test_clamp_is_given():
    assert helpers.clamp(5.0, 0.0, 1.0) == 1.0


def test_plugin_seeds_and_limits_threads():
    # course.testing sets one thread and seeds torch's global generator with 0 before each test,
    # so the first global draw equals the first draw of a private generator seeded with 0.
    expected = torch.rand(3, generator=torch.Generator().manual_seed(0))
    assert torch.get_num_threads() == 1
    assert torch.equal(torch.rand(3), expected)
