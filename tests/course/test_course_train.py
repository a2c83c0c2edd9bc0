"""course.train: the loop equals a hand-written Adam loop, and its edges behave."""

import numpy as np
import pytest
import torch
from torch import nn

from course.train import TrainConfig, moving_average, tensor_loader, train


def _regression(n=97):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.1 * torch.randn(n, generator=g)
    return x, y


def _model():
    torch.manual_seed(0)
    return nn.Linear(3, 1)


def test_matches_a_hand_written_adam_loop_over_a_data_loader():
    x, y = _regression()
    config = TrainConfig(num_epochs=3, lr=0.05, grad_clip=0.5, progress=False)
    model = _model()
    mse = lambda xb, yb: ((model(xb)[:, 0] - yb) ** 2).mean()
    history = train(model, mse, tensor_loader(x, y, batch_size=16, seed=1), config)

    oracle = _model()
    optimizer = torch.optim.Adam(oracle.parameters(), lr=0.05)
    expected = []
    loader = tensor_loader(x, y, batch_size=16, seed=1)  # one generator: a new order each epoch
    for _ in range(3):
        for xb, yb in loader:  # 7 batches, the last of 1
            loss = ((oracle(xb)[:, 0] - yb) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(oracle.parameters(), 0.5)
            optimizer.step()
            expected.append(loss.item())
    # Same operations in the same order: bitwise equal.
    assert history == expected and len(history) == 3 * 7
    for p, q in zip(model.parameters(), oracle.parameters()):
        assert torch.equal(p, q)


def test_callable_loss_reaches_the_minimum_of_a_quadratic():
    theta = torch.zeros(4, requires_grad=True)
    target = torch.tensor([1.0, -1.0, 0.5, 2.0])
    steps = []
    config = TrainConfig(num_steps=1500, lr=0.02, progress=False)
    history = train([theta], lambda: ((theta - target) ** 2).sum(), None, config,
                    callback=lambda step, loss: steps.append(step))  # fmt: skip
    assert len(history) == 1500 and steps == list(range(1, 1501))
    assert history[-1] < history[0]
    # Adam moves each coordinate by at most about lr per step (Kingma & Ba, 2015, §2.1), so at
    # the minimum it can only oscillate within a few lr of it: 10 lr = 0.2 is a safe bound.
    assert (theta.detach() - target).abs().max() < 10 * config.lr


def test_num_steps_stops_early_and_loader_is_reproducible():
    x, y = _regression()
    model = _model()
    config = TrainConfig(num_epochs=5, num_steps=4, progress=False)
    mse = lambda xb, yb: ((model(xb)[:, 0] - yb) ** 2).mean()
    history = train(model, mse, tensor_loader(x, y), config)
    assert len(history) == 4
    state = torch.get_rng_state()
    first = [b[0] for b in tensor_loader(x, batch_size=10, seed=5)]
    assert all(torch.equal(a[0], b) for a, b in zip(tensor_loader(x, batch_size=10, seed=5), first))
    assert torch.equal(state, torch.get_rng_state()), "tensor_loader must not use the global RNG"


def test_non_finite_loss_and_missing_steps_raise():
    theta = torch.ones(1, requires_grad=True)
    with pytest.raises(FloatingPointError, match="step 1"):
        config = TrainConfig(num_steps=3, progress=False)
        train([theta], lambda: theta.sum() * float("nan"), None, config)
    with pytest.raises(ValueError, match="num_steps"):
        train([theta], lambda: theta.sum(), None, TrainConfig(progress=False))


def test_moving_average_against_numpy():
    values = np.random.default_rng(0).normal(size=23)
    window = 5
    expected = [values[max(0, i - window + 1) : i + 1].mean() for i in range(len(values))]
    np.testing.assert_allclose(moving_average(list(values), window), expected, rtol=1e-12)
