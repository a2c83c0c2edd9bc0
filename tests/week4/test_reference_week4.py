"""Oracle checks of the Week 4 reference solution (project tests, not shipped to students).

Each check compares solutions/week4_wgan_sn/gan.py with something that does not depend on it: the
SVD, torch's own `parametrizations.spectral_norm` from the same u and v, closed forms of the losses
and of a linear critic's penalty, brute-force nearest centres, and a short training run on the ring.
"""
import math

import pytest
import torch
from torch import nn

from tests.weeks.helpers import reference_modules

F64 = torch.float64

gan = reference_modules(4).gan
pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def test_power_iteration_converges_to_the_largest_singular_value():
    W = torch.randn(29, 13, dtype=F64)
    sigma, u, v = gan.power_iteration(W, torch.randn(13, dtype=F64), num_iters=2000)
    U, S, Vh = torch.linalg.svd(W)
    assert abs(sigma.item() - S[0].item()) < 1e-10
    assert abs(abs(u @ U[:, 0]).item() - 1) < 1e-8 and abs(abs(v @ Vh[0]).item() - 1) < 1e-8


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("num_iters", [1, 3])
def test_spectral_norm_matches_torch(kind, training, num_iters):
    make = (lambda: nn.Linear(5, 7)) if kind == "linear" else (lambda: nn.Conv2d(3, 4, 3))
    ours, theirs = make().double(), make().double()
    theirs.load_state_dict(ours.state_dict())
    gan.spectral_norm(ours, num_iters=num_iters)
    nn.utils.parametrizations.spectral_norm(theirs, n_power_iterations=num_iters)
    u = nn.functional.normalize(torch.randn(ours.parametrizations.weight[0].u.shape, dtype=F64), dim=0)
    v = nn.functional.normalize(torch.randn(ours.parametrizations.weight[0].v.shape, dtype=F64), dim=0)
    with torch.no_grad():
        ours.parametrizations.weight[0].u.copy_(u)
        ours.parametrizations.weight[0].v.copy_(v)
        theirs.parametrizations.weight[0]._u.copy_(u)
        theirs.parametrizations.weight[0]._v.copy_(v)
    ours.train(training)
    theirs.train(training)
    for _ in range(2):
        x = torch.randn(3, 5, dtype=F64) if kind == "linear" else torch.randn(2, 3, 6, 6, dtype=F64)
        y_ours, y_theirs = ours(x), theirs(x)
        torch.testing.assert_close(y_ours, y_theirs, atol=1e-12, rtol=1e-12)
        g = torch.randn_like(y_ours)
        grad_ours = torch.autograd.grad(y_ours, ours.parametrizations.weight.original, g)[0]
        grad_theirs = torch.autograd.grad(y_theirs, theirs.parametrizations.weight.original, g)[0]
        torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-12, rtol=1e-12)
        torch.testing.assert_close(ours.parametrizations.weight[0].u, theirs.parametrizations.weight[0]._u)
        torch.testing.assert_close(ours.parametrizations.weight[0].v, theirs.parametrizations.weight[0]._v)


def test_losses_closed_forms():
    real, fake = torch.tensor([2.0, 0.5, -1.0], dtype=F64), torch.tensor([-2.0, 0.0], dtype=F64)
    assert gan.wgan_critic_loss(real, fake).item() == pytest.approx(-1.0 - 0.5)
    assert gan.wgan_generator_loss(fake).item() == pytest.approx(1.0)
    # relu(1 - real) = (0, 0.5, 2) -> 2.5/3; relu(1 + fake) = (0, 1) -> 0.5.
    assert gan.hinge_critic_loss(real, fake).item() == pytest.approx(2.5 / 3 + 0.5)
    assert gan.hinge_generator_loss(fake).item() == pytest.approx(1.0)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([1.2, -1.6], dtype=F64, requires_grad=True)  # ‖w‖ = 2
    penalty = gan.gradient_penalty(lambda x: x @ w, torch.randn(97, 2, dtype=F64), torch.randn(97, 2, dtype=F64),
                                   weight=10.0)
    assert penalty.item() == pytest.approx(10.0 * (2 - 1) ** 2, abs=1e-12)
    (grad,) = torch.autograd.grad(penalty, w)
    torch.testing.assert_close(grad, 2 * 10.0 * (2 - 1) * w.detach() / 2)


def test_mode_coverage_against_brute_force():
    centers = torch.tensor([[x, y] for x in (-4.0, -2.0, 0.0, 2.0, 4.0) for y in (-4.0, -2.0, 0.0, 2.0, 4.0)],
                           dtype=F64)
    samples = centers[torch.randint(0, 25, (997,))] + 0.1 * torch.randn(997, 2, dtype=F64)
    counts = [0] * 25
    good = 0
    for s in samples.tolist():
        distances = [math.dist(s, c) for c in centers.tolist()]
        k = min(range(25), key=distances.__getitem__)
        if distances[k] < 3 * 0.05:
            counts[k] += 1
            good += 1
    want_kl = sum(c / good * math.log(25 * c / good) for c in counts if c)
    modes, hq, kl = gan.mode_coverage(samples, centers, 0.05)
    assert modes == sum(c > 0 for c in counts) and hq == pytest.approx(good / 997) and kl == pytest.approx(want_kl)


def test_train_wgan_counts_its_updates():
    """critic_steps critic updates and one generator update per step, each on fresh data."""
    calls = []

    def sample_real(n):
        calls.append(n)
        return torch.randn(n, 2)

    generator, critic = gan.Generator(hidden_dim=8), gan.Critic(hidden_dim=8)
    history = gan.train_wgan(generator, critic, sample_real, num_steps=3, critic_steps=4, batch_size=7)
    assert calls == [7] * 12
    assert len(history["critic_loss"]) == 3 and len(history["generator_loss"]) == 3
