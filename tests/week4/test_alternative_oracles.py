"""Oracle checks of the week-4 alternative implementation (autograder/weeks/week4_wgan_sn/alternative).

The alternative is a second correct implementation that every hidden test must accept, so it is
itself checked here against references that need no course code: torch's own spectral norm and
matrix 2-norm, closed forms of the losses and of the penalty of a linear critic, autograd
Jacobians, brute-force nearest centres, and counts of what the training loop calls.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.spatial.distance
import torch
from torch import nn

from tests.weeks.helpers import alternative_modules

torch.set_num_threads(1)

gan = alternative_modules(4).gan


# ---------------------------------------------------------------- power iteration, spectral norm


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_power_iteration_converges_to_the_matrix_two_norm(dtype, tol):
    # tol: float64 rounding; float32 eps (1.2e-7) times sigma ~ 5, with margin for the cast-back
    g = torch.Generator().manual_seed(0)
    w = torch.randn(7, 5, generator=g, dtype=torch.float64).to(dtype)
    v = torch.randn(5, generator=g, dtype=torch.float64).to(dtype)
    v_before = v.clone()
    sigma, u, v_out = gan.power_iteration(w, v, num_iters=500)
    assert sigma.shape == () and u.shape == (7,) and v_out.shape == (5,)
    assert sigma.dtype == u.dtype == v_out.dtype == dtype
    assert torch.equal(v, v_before), "v must not be modified in place"
    expected = torch.linalg.matrix_norm(w.to(torch.float64), 2).item()
    assert abs(sigma.item() - expected) < tol * expected
    # the singular vectors: W v = sigma u (up to rounding)
    assert (w.to(torch.float64) @ v_out.to(torch.float64) - expected * u.to(torch.float64)).abs().max() < 1e3 * tol


def test_power_iteration_one_step_by_hand():
    g = torch.Generator().manual_seed(1)
    w = torch.randn(4, 6, generator=g, dtype=torch.float64)
    v = torch.randn(6, generator=g, dtype=torch.float64)
    u1 = w @ v / torch.linalg.vector_norm(w @ v)
    v1 = w.T @ u1 / torch.linalg.vector_norm(w.T @ u1)
    sigma, u, v_out = gan.power_iteration(w, v, num_iters=1)
    # float64 on both sides; 1e-12 covers summation order
    assert (u - u1).abs().max() < 1e-12 and (v_out - v1).abs().max() < 1e-12
    assert abs(sigma.item() - (u1 @ w @ v1).item()) < 1e-12


def test_power_iteration_rejects_bad_num_iters():
    for bad in (0, -1):
        with pytest.raises(ValueError, match="num_iters"):
            gan.power_iteration(torch.randn(3, 2), torch.randn(2), bad)
        with pytest.raises(ValueError, match="num_iters"):
            gan.SpectralNorm(torch.randn(3, 2), bad)


def _pair(make):
    """Two copies of a module: one with the alternative's spectral norm, one with torch's, same u and v."""
    torch.manual_seed(2)
    ours, theirs = make(), make()
    theirs.load_state_dict(ours.state_dict())
    gan.spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    sn_ours, sn_theirs = ours.parametrizations.weight[0], theirs.parametrizations.weight[0]
    assert sn_ours.u.shape == sn_theirs._u.shape and sn_ours.v.shape == sn_theirs._v.shape
    u = torch.nn.functional.normalize(torch.randn(sn_ours.u.shape, dtype=sn_ours.u.dtype), dim=0)
    v = torch.nn.functional.normalize(torch.randn(sn_ours.v.shape, dtype=sn_ours.v.dtype), dim=0)
    with torch.no_grad():
        sn_ours.u.copy_(u), sn_ours.v.copy_(v), sn_theirs._u.copy_(u), sn_theirs._v.copy_(v)
    return ours, theirs


MODULES = {
    "linear": (lambda: nn.Linear(5, 7), (11, 5)),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3), (2, 3, 6, 6)),
}


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name", list(MODULES))
def test_spectral_norm_matches_torch_outputs_and_gradients(name, training):
    make, shape = MODULES[name]
    ours, theirs = _pair(make)
    ours.train(training), theirs.train(training)
    x = torch.randn(shape)
    for _ in range(3):  # three forwards: in training mode u and v move, and must move alike
        y_ours, y_theirs = ours(x), theirs(x)
    # float32 both sides; the alternative's float64 sigma differs by a few ulps. With a fresh random u and v
    # in eval mode sigma = uᵀ W v can be small and the outputs large, hence relative to the largest output.
    assert (y_ours - y_theirs).abs().max().item() < 1e-5 * max(1.0, y_theirs.abs().max().item())
    y_ours.square().sum().backward()
    y_theirs.square().sum().backward()
    g_ours = ours.parametrizations.weight.original.grad
    g_theirs = theirs.parametrizations.weight.original.grad
    assert (g_ours - g_theirs).abs().max().item() < 1e-4 * max(1.0, g_theirs.abs().max().item())
    sn_ours, sn_theirs = ours.parametrizations.weight[0], theirs.parametrizations.weight[0]
    assert (sn_ours.u - sn_theirs._u).abs().max() < 1e-5 and (sn_ours.v - sn_theirs._v).abs().max() < 1e-5


@pytest.mark.parametrize("name", list(MODULES))
def test_spectral_norm_of_the_normalized_weight_is_one(name):
    make, _ = MODULES[name]
    torch.manual_seed(3)
    module = gan.spectral_norm(make().double(), num_iters=200)
    module.train()
    w = module.weight  # one forward of the parametrization: 200 more iterations
    sigma = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), 2).item()  # (out, in) view of a conv weight
    assert abs(sigma - 1.0) < 1e-8  # float64, converged power iteration


def test_spectral_norm_buffers_and_no_gradient_through_u():
    torch.manual_seed(4)
    module = gan.spectral_norm(nn.Linear(4, 3))
    sn = module.parametrizations.weight[0]
    assert sn.u.shape == (3,) and sn.v.shape == (4,)
    assert abs(torch.linalg.vector_norm(sn.v).item() - 1) < 1e-6  # float32 unit vector
    module.eval()
    w0 = module.parametrizations.weight.original.detach().clone().requires_grad_(True)
    # Oracle: sigma = uᵀ W v with u, v constants; gradient of sum(W / sigma) by autograd on that formula.
    expected = w0 / (sn.u @ w0 @ sn.v)
    (grad_expected,) = torch.autograd.grad(expected.sum(), w0)
    module.weight.sum().backward()
    assert (module.parametrizations.weight.original.grad - grad_expected).abs().max() < 1e-5  # float32


# ---------------------------------------------------------------- losses


def test_losses_on_crafted_scores():
    real = torch.tensor([2.0, 0.5, -1.0, 0.0], dtype=torch.float64)
    fake = torch.tensor([-3.0, 0.25, 1.5], dtype=torch.float64)
    assert gan.wgan_critic_loss(real, fake).item() == pytest.approx((-1.25 / 3) - 0.375, abs=1e-15)
    assert gan.wgan_generator_loss(fake).item() == pytest.approx(1.25 / 3, abs=1e-15)
    assert gan.hinge_generator_loss(fake).item() == pytest.approx(1.25 / 3, abs=1e-15)
    # relu(1 - real) = [0, 0.5, 2, 1] -> 0.875; relu(1 + fake) = [0, 1.25, 2.5] -> 1.25
    assert gan.hinge_critic_loss(real, fake).item() == pytest.approx(0.875 + 1.25, abs=1e-15)
    assert gan.hinge_critic_loss(real.float(), fake.float()).dtype == torch.float32


# ---------------------------------------------------------------- gradient penalty


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_gradient_penalty_of_a_linear_critic(dtype):
    torch.manual_seed(5)
    critic = nn.Linear(3, 1).to(dtype)
    real, fake = torch.randn(97, 3, dtype=dtype), torch.randn(97, 3, dtype=dtype)
    penalty = gan.gradient_penalty(lambda x: critic(x).squeeze(-1), real, fake, weight=7.0)
    w = critic.weight.detach().to(torch.float64)
    expected = 7.0 * (torch.linalg.vector_norm(w) - 1.0) ** 2  # the gradient is w at every point
    assert penalty.shape == () and penalty.dtype == dtype
    assert abs(penalty.item() - expected.item()) < (1e-12 if dtype == torch.float64 else 1e-5)  # rounding
    penalty.backward()
    # d/dw 7 (|w| - 1)^2 = 14 (|w| - 1) w / |w|
    grad = 14.0 * (torch.linalg.vector_norm(w) - 1.0) * w / torch.linalg.vector_norm(w)
    assert (critic.weight.grad.to(torch.float64) - grad).abs().max() < 1e-4  # float32 rounding, with margin


def test_gradient_penalty_on_images_with_real_equal_fake():
    # With real == fake, x̂ = real whatever ε, so the penalty is deterministic; g from an autograd Jacobian.
    torch.manual_seed(6)
    conv = nn.Conv2d(2, 3, 3, padding=1).double()

    def critic(x):  # (B, 2, 5, 5) -> (B,)
        return torch.tanh(conv(x)).flatten(1).sum(1)

    x = torch.randn(5, 2, 5, 5, dtype=torch.float64)
    penalty = gan.gradient_penalty(critic, x, x.clone(), weight=3.0)
    norms = [
        torch.linalg.vector_norm(torch.autograd.functional.jacobian(lambda xi: critic(xi[None])[0], x[i]))
        for i in range(5)
    ]
    expected = 3.0 * torch.stack([(n - 1) ** 2 for n in norms]).mean()
    assert abs(penalty.item() - expected.item()) < 1e-10  # float64 rounding
    penalty.backward()
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


def test_gradient_penalty_draws_one_epsilon_per_example():
    # f(x) = sum(x^2)/2 has gradient x̂, so g_i = |eps_i r_i + (1 - eps_i) f_i|: with r = e1, f = -e1,
    # g_i = |2 eps_i - 1|. One ε for the whole batch would make every g_i equal.
    torch.manual_seed(7)
    real = torch.zeros(64, 2, dtype=torch.float64)
    real[:, 0] = 1.0
    spy = {}

    def critic(x):
        spy["x"] = x.detach().clone()
        return 0.5 * (x**2).sum(1)

    gan.gradient_penalty(critic, real, -real, weight=1.0)
    eps = (spy["x"][:, 0] + 1) / 2  # x̂_0 = 2 ε - 1
    assert ((eps >= 0) & (eps <= 1)).all() and spy["x"][:, 1].abs().max() == 0
    # 64 iid U(0,1) values all within 1e-9 of each other: probability < 64 * (2e-9)^63, never by chance
    assert eps.max() - eps.min() > 1e-9


# ---------------------------------------------------------------- networks, training


def test_networks_shapes_and_spectral_layers():
    torch.manual_seed(8)
    generator, critic = gan.Generator(latent_dim=3, hidden_dim=16), gan.Critic(hidden_dim=16, spectral=True)
    assert generator.latent_dim == 3
    assert generator(torch.randn(97, 3)).shape == (97, 2)
    assert critic(torch.randn(97, 2)).shape == (97,)
    linears = [m for m in critic.modules() if isinstance(m, nn.Linear)]
    assert linears and all(parametrize_is_sn(m) for m in linears)
    plain = gan.Critic(hidden_dim=16, spectral=False)
    assert not any(parametrize_is_sn(m) for m in plain.modules() if isinstance(m, nn.Linear))
    assert critic.double()(torch.randn(5, 2, dtype=torch.float64)).dtype == torch.float64


def parametrize_is_sn(module: nn.Module) -> bool:
    return hasattr(module, "parametrizations") and isinstance(module.parametrizations.weight[0], gan.SpectralNorm)


def test_train_wgan_calls_and_history():
    torch.manual_seed(9)
    calls = {"real": [], "gen": 0}
    centres = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])

    def sample_real(n):
        calls["real"].append(n)
        return centres[torch.randint(0, 2, (n,))]

    generator = gan.Generator(hidden_dim=8)
    generator.register_forward_hook(lambda *args: calls.__setitem__("gen", calls["gen"] + 1))
    history = gan.train_wgan(generator, gan.Critic(hidden_dim=8), sample_real, num_steps=4, critic_steps=3,
                             loss="hinge", gp_weight=1.0, batch_size=13)
    assert set(history) == {"critic_loss", "generator_loss"}
    assert len(history["critic_loss"]) == len(history["generator_loss"]) == 4
    assert all(isinstance(v, float) and math.isfinite(v) for v in history["critic_loss"] + history["generator_loss"])
    assert calls["real"] == [13] * 12  # a fresh real batch for each of the 4 x 3 critic updates
    assert calls["gen"] == 4 * (3 + 1)  # fresh fakes for every critic update and every generator update


def test_train_wgan_records_the_last_critic_loss_before_its_step():
    # lr = 0: nothing moves, so the recorded critic loss is the loss at the fixed parameters. A constant
    # generator (zero last layer) and a two-point real set make the WGAN loss a known number.
    torch.manual_seed(10)
    generator = gan.Generator(hidden_dim=8)
    last = [m for m in generator.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_(), last.bias.copy_(torch.tensor([0.3, -0.2]))
    critic = gan.Critic(hidden_dim=8, spectral=False)
    real = torch.tensor([[1.0, 0.0]])
    history = gan.train_wgan(generator, critic, lambda n: real.expand(n, 2), num_steps=2, critic_steps=2, lr=0.0,
                             batch_size=5)
    with torch.no_grad():
        expected = (critic(torch.tensor([[0.3, -0.2]])) - critic(real)).item()
    assert history["critic_loss"] == pytest.approx([expected] * 2, abs=1e-6)  # float32 means of equal values
    assert history["generator_loss"] == pytest.approx([-critic(torch.tensor([[0.3, -0.2]])).item()] * 2, abs=1e-6)


def test_train_wgan_rejects_bad_arguments():
    g, c = gan.Generator(hidden_dim=4), gan.Critic(hidden_dim=4)

    def sample(n):
        return torch.zeros(n, 2)

    for kwargs, name in [({"num_steps": 0}, "num_steps"), ({"critic_steps": 0}, "critic_steps"),
                         ({"batch_size": 0}, "batch_size"), ({"loss": "kl"}, "loss")]:
        args = {"num_steps": 1, **kwargs}
        with pytest.raises(ValueError, match=name):
            gan.train_wgan(g, c, sample, **args)


# ---------------------------------------------------------------- mode coverage


def _brute_force_coverage(samples: np.ndarray, centres: np.ndarray, std: float):
    d = scipy.spatial.distance.cdist(samples, centres)  # (N, K)
    nearest, dist = d.argmin(1), d.min(1)
    hq = dist < 3 * std
    counts = np.bincount(nearest[hq], minlength=len(centres))
    if hq.sum() == 0:
        return 0, 0.0, math.log(len(centres))
    p = counts / counts.sum()
    kl = float(sum(pk * math.log(len(centres) * pk) for pk in p if pk > 0))
    return int((counts > 0).sum()), float(hq.mean()), kl


def test_mode_coverage_on_constructed_samples():
    centres = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]], dtype=torch.float64)
    std = 0.1
    samples = torch.tensor([[0.0, 0.29], [0.0, 0.31], [2.05, 0.0], [2.0, 1.95], [1.0, 1.0], [0.1, 0.0]])
    modes, hq, kl = gan.mode_coverage(samples, centres, std)
    # high quality: 0.29 < 0.3 yes, 0.31 no, 0.05 yes, 0.05 yes, 1.41 no, 0.1 yes -> 4 of 6
    # modes hit: 0 (twice), 1, 3 -> 3 modes; p = (1/2, 1/4, 0, 1/4)
    assert (modes, hq) == (3, pytest.approx(4 / 6))
    assert kl == pytest.approx(0.5 * math.log(2) + 2 * 0.25 * math.log(1), abs=1e-12)
    assert isinstance(modes, int) and isinstance(hq, float) and isinstance(kl, float)


def test_mode_coverage_matches_brute_force_and_edge_cases():
    g = torch.Generator().manual_seed(11)
    centres = torch.cartesian_prod(torch.arange(-4.0, 5.0, 2.0), torch.arange(-4.0, 5.0, 2.0))  # (25, 2)
    samples = centres[torch.randint(0, 25, (501,), generator=g)] + 0.08 * torch.randn(501, 2, generator=g)
    got = gan.mode_coverage(samples, centres, 0.05)
    want = _brute_force_coverage(samples.double().numpy(), centres.double().numpy(), 0.05)
    assert got[0] == want[0] and got[1] == pytest.approx(want[1], abs=1e-12) and got[2] == pytest.approx(want[2])
    assert gan.mode_coverage(torch.full((3, 2), 100.0), centres, 0.05) == (0, 0.0, pytest.approx(math.log(25)))
    uniform = centres.repeat(2, 1)  # every mode twice: p uniform, KL 0
    assert gan.mode_coverage(uniform, centres, 0.05) == (25, 1.0, pytest.approx(0.0, abs=1e-12))
    with pytest.raises(ValueError, match="samples"):
        gan.mode_coverage(torch.zeros(0, 2), centres, 0.05)
    with pytest.raises(ValueError, match="std"):
        gan.mode_coverage(samples, centres, 0.0)
