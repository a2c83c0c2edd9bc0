"""Oracle checks of the week-2 alternative implementation (autograder/weeks/week2_ar_vae/alternative).

The alternative is a second correct implementation that every hidden test must accept, so it is
itself checked here against references that need no course code: enumeration of every binary
outcome, autograd Jacobians, breadth-first reachability, closed forms and torch.distributions.
Statistical checks state their false-failure probability (at most 1e-6) and where their threshold
comes from.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from tests.weeks.helpers import alternative_modules

torch.set_num_threads(1)

_alternative = alternative_modules(2)
made, pixelcnn, vae = _alternative.made, _alternative.pixelcnn, _alternative.vae

ORDERING = [2, 0, 4, 1, 5, 3]  # not its own inverse: argsort is [1, 3, 0, 5, 2, 4]


def _all_binary(num_bits: int, dtype=torch.float64) -> torch.Tensor:
    """Every binary vector of length num_bits, (2^num_bits, num_bits), the first bit most significant."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=num_bits)), dtype=dtype)


def _jacobian_support(fn, x: torch.Tensor) -> torch.Tensor:
    """Boolean (out, in) matrix: where d fn(x)_o / d x_i is non-zero, for a single flattened input."""
    jac = torch.autograd.functional.jacobian(lambda v: fn(v.reshape(x.shape)).reshape(-1), x.reshape(-1))
    return jac.abs() > 0


def _chi_square_against(counts: np.ndarray, probs: np.ndarray, p_fail: float = 1e-6) -> tuple[float, float]:
    """Pearson statistic of counts against exact probabilities, cells with expected count < 20 pooled.

    Returns (statistic, threshold); the threshold is the chi-square quantile at 1 - p_fail with
    (cells - 1) degrees of freedom, accurate because every (pooled) expected count is >= 20.
    """
    n = counts.sum()
    expected = n * probs
    small = expected < 20
    obs = list(counts[~small]) + ([counts[small].sum()] if small.any() else [])
    exp = list(expected[~small]) + ([expected[small].sum()] if small.any() else [])
    obs, exp = np.array(obs, dtype=float), np.array(exp)
    stat = float(((obs - exp) ** 2 / exp).sum())
    return stat, float(scipy.stats.chi2.isf(p_fail, df=len(obs) - 1))


def _fit_exact(model, x_all: torch.Tensor, target_log_p: torch.Tensor, steps: int) -> None:
    """Minimizes KL(target || model) over the enumerated outcomes x_all, so the model becomes dependent."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    weights = target_log_p.exp()
    for _ in range(steps):
        optimizer.zero_grad()
        loss = -(weights * model.log_prob(x_all)).sum()
        loss.backward()
        optimizer.step()


# ---------------------------------------------------------------- made.py


def test_made_masks_compose_to_the_strict_order():
    d, hidden = 6, [7, 5, 9]
    masks = made.made_masks(d, hidden, ORDERING)
    assert len(masks) == len(hidden) + 1
    assert [tuple(m.shape) for m in masks] == [(7, 6), (5, 7), (9, 5), (6, 9)]
    assert all(m.dtype == torch.float32 and set(m.unique().tolist()) <= {0.0, 1.0} for m in masks)
    # path counts from input j to output i: positive exactly when ordering[j] < ordering[i]
    # (every hidden width >= D - 1 uses every degree 0..D-2)
    paths = masks[0]
    for m in masks[1:]:
        paths = m @ paths  # (out, D)
    order = torch.tensor(ORDERING)
    assert torch.equal(paths > 0, order[None, :] < order[:, None])
    # degrees from the contract, recomputed independently: floor(k (D-1)/H)
    deg_h1 = torch.div(torch.arange(7) * (d - 1), 7, rounding_mode="floor")
    assert torch.equal(masks[0], (deg_h1[:, None] >= order[None, :]).float())


def test_made_masks_narrow_layers_and_errors():
    masks = made.made_masks(784, [500])  # the paper's MNIST width, narrower than D - 1
    deg = torch.div(torch.arange(500) * 783, 500, rounding_mode="floor")
    assert torch.equal(masks[0], (deg[:, None] >= torch.arange(784)[None, :]).float())
    assert torch.equal(masks[1], (torch.arange(784)[:, None] > deg[None, :]).float())
    with pytest.raises(ValueError, match="input_dim"):
        made.made_masks(1, [4])
    with pytest.raises(ValueError, match="ordering"):
        made.made_masks(3, [4], [0, 0, 1])
    with pytest.raises(ValueError, match="ordering"):
        made.made_masks(3, [4], [0, 1, 3])


def test_masked_linear_copies_its_mask():
    layer = made.MaskedLinear(3, 2)
    assert torch.equal(layer.mask, torch.ones(2, 3))
    mask = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    layer.set_mask(mask)
    mask.zero_()  # the layer must hold a copy
    x = torch.randn(5, 3)
    expected = x @ (layer.weight * torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])).T + layer.bias
    assert torch.allclose(layer(x), expected, atol=1e-6)  # float32 rounding of 3-term sums


@pytest.mark.parametrize("hidden", [[8, 8], [3]], ids=["wide", "narrow"])
def test_made_is_autoregressive_by_jacobian(hidden):
    torch.manual_seed(1)
    model = made.MADE(6, hidden, ORDERING).double()
    order = torch.tensor(ORDERING)
    allowed = order[None, :] < order[:, None]  # (out i, in j)
    for x in (torch.randn(6, dtype=torch.float64), torch.bernoulli(torch.full((6,), 0.5, dtype=torch.float64))):
        support = _jacobian_support(lambda v: model(v[None]), x)
        assert not (support & ~allowed).any(), "an output depends on an input that is not before it"
        if hidden == [8, 8]:
            # the direct connection alone reaches every allowed pair, so the dependence is exact
            assert torch.equal(support, allowed)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_made_normalizes_by_enumeration(dtype):
    torch.manual_seed(2)
    model = made.MADE(6, [10, 10], ORDERING).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # sharper conditionals than at initialization
    log_p = model.log_prob(_all_binary(6, dtype))
    assert log_p.shape == (64,) and log_p.dtype == dtype
    total = torch.logsumexp(log_p.double(), 0).item()
    # float64: rounding only; float32: eps 1.2e-7 times 64 log-probs of size ~10, with margin
    assert abs(total) < (1e-10 if dtype == torch.float64 else 1e-4)


def test_made_log_prob_is_stable_on_extreme_logits():
    model = made.MADE(3, [4])
    with torch.no_grad():
        for layer in model.layers:
            layer.weight.zero_()
        model.direct.weight.zero_()
        model.layers[-1].bias.copy_(torch.tensor([1e4, -1e4, 1e4]))
    log_p = model.log_prob(torch.tensor([[1.0, 0.0, 0.0]]))
    # exact: log sigmoid(1e4) + log sigmoid(1e4) + log sigmoid(-1e4) = -1e4 (up to e^-1e4)
    assert torch.isfinite(log_p).all() and abs(log_p.item() + 1e4) < 1e-2  # float32 spacing at 1e4 ~1e-3


def test_made_sampler_matches_enumerated_probabilities():
    torch.manual_seed(3)
    d, order = 4, [2, 0, 3, 1]
    x_all = _all_binary(d)
    # target: first variable in the order fair, each later one copies the previous with prob 0.95
    seq = x_all[:, torch.argsort(torch.tensor(order))]  # (16, 4) in autoregressive order
    flips = (seq[:, 1:] != seq[:, :-1]).sum(1).double()
    target = math.log(0.5) + flips * math.log(0.05) + (d - 1 - flips) * math.log(0.95)
    model = made.MADE(d, [16, 16], order).double()
    _fit_exact(model, x_all, target, steps=300)
    with torch.no_grad():
        probs = model.log_prob(x_all).exp().numpy()
    samples = model.sample(60_000)
    assert samples.shape == (60_000, d) and samples.dtype == torch.float64
    assert set(samples.unique().tolist()) <= {0.0, 1.0}
    index = (samples * torch.tensor([8.0, 4.0, 2.0, 1.0], dtype=torch.float64)).sum(1).long()
    counts = np.bincount(index.numpy(), minlength=16)
    stat, threshold = _chi_square_against(counts, probs)  # false-failure probability 1e-6
    assert stat < threshold, f"chi-square {stat:.1f} above {threshold:.1f}"
    # power: the fitted model is strongly dependent (a raster-order sampler would be far off)
    assert probs.max() > 0.3


def test_made_sample_errors_and_dtype():
    model = made.MADE(5, [6])
    with pytest.raises(ValueError, match="num_samples"):
        model.sample(0)
    x = model.sample(7)
    assert x.shape == (7, 5) and x.dtype == torch.float32


# ---------------------------------------------------------------- pixelcnn.py


def test_masked_conv_masks_and_errors():
    a = pixelcnn.MaskedConv2d("A", 2, 3, 5)
    b = pixelcnn.MaskedConv2d("B", 2, 3, 5)
    assert a.padding == (2, 2)
    raster = torch.arange(25).reshape(5, 5)  # raster index of each kernel tap; the centre is 12
    assert torch.equal(a.mask[1, 0], (raster < 12).float())
    assert torch.equal(b.mask[2, 1], (raster <= 12).float())
    for args, name in ((("C", 1, 1, 3), "mask_type"), (("A", 1, 1, 4), "kernel_size")):
        with pytest.raises(ValueError, match=name):
            pixelcnn.MaskedConv2d(*args)


def _reachable(height: int, width: int, kernel: int, num_layers: int) -> torch.Tensor:
    """Boolean (H W, H W): output pixel o can see input pixel p through a stack of one type-A and
    num_layers - 1 type-B masked convolutions (breadth-first over kernel offsets)."""
    c = kernel // 2
    a_steps = [(dr, dc) for dr in range(-c, 1) for dc in range(-c, c + 1) if dr < 0 or dc < 0]
    b_steps = a_steps + [(0, 0)]
    reach = torch.zeros(height * width, height * width, dtype=torch.bool)
    for i, j in itertools.product(range(height), range(width)):
        frontier = {(i, j)}  # the 1x1 head keeps the position
        for _ in range(num_layers - 1):  # back through the type-B layers
            frontier |= {(r + dr, q + dc) for r, q in frontier for dr, dc in b_steps}
            frontier = {(r, q) for r, q in frontier if 0 <= r < height and 0 <= q < width}
        inputs = {(r + dr, q + dc) for r, q in frontier for dr, dc in a_steps}
        for r, q in inputs:
            if 0 <= r < height and 0 <= q < width:
                reach[i * width + j, r * width + q] = True
    return reach


@pytest.mark.parametrize("num_layers,kernel", [(3, 3), (2, 5), (1, 3)])
def test_pixelcnn_dependence_is_exactly_the_reachable_past(num_layers, kernel):
    torch.manual_seed(4)
    model = pixelcnn.PixelCNN(hidden_channels=8, num_layers=num_layers, kernel_size=kernel).double()
    expected = _reachable(6, 6, kernel, num_layers)
    raster = torch.arange(36)
    assert not (expected & (raster[None, :] >= raster[:, None])).any()  # the oracle itself is causal
    for x in (torch.randn(1, 1, 6, 6, dtype=torch.float64),
              torch.bernoulli(torch.full((1, 1, 6, 6), 0.5, dtype=torch.float64))):
        support = _jacobian_support(model, x)
        assert torch.equal(support, expected)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_pixelcnn_normalizes_over_all_3x3_images(dtype):
    torch.manual_seed(5)
    model = pixelcnn.PixelCNN(hidden_channels=8, num_layers=3, kernel_size=3).to(dtype)
    x = _all_binary(9, dtype).reshape(512, 1, 3, 3)  # (512, 1, 3, 3)
    log_p = model.log_prob(x)
    assert log_p.shape == (512,) and log_p.dtype == dtype
    # float64: rounding only; float32: eps 1.2e-7 times 512 terms of size ~6, with margin
    assert abs(torch.logsumexp(log_p.double(), 0).item()) < (1e-10 if dtype == torch.float64 else 1e-4)


def test_pixelcnn_sampler_matches_enumerated_probabilities():
    torch.manual_seed(6)
    x_all = _all_binary(4)
    images = x_all.reshape(16, 1, 2, 2)  # raster order = the bit order of x_all
    flips = (x_all[:, 1:] != x_all[:, :-1]).sum(1).double()
    target = math.log(0.5) + flips * math.log(0.05) + (3 - flips) * math.log(0.95)
    model = pixelcnn.PixelCNN(hidden_channels=16, num_layers=2, kernel_size=3).double()
    _fit_exact(model, images, target, steps=300)
    with torch.no_grad():
        probs = model.log_prob(images).exp().numpy()
    samples = model.sample(40_000, 2, 2)
    assert samples.shape == (40_000, 1, 2, 2) and samples.dtype == torch.float64
    index = (samples.reshape(-1, 4) * torch.tensor([8.0, 4.0, 2.0, 1.0], dtype=torch.float64)).sum(1).long()
    counts = np.bincount(index.numpy(), minlength=16)
    stat, threshold = _chi_square_against(counts, probs)  # false-failure probability 1e-6
    assert stat < threshold, f"chi-square {stat:.1f} above {threshold:.1f}"
    assert probs.max() > 0.3  # the fitted model is strongly dependent, so the test has power


def test_pixelcnn_sample_errors():
    model = pixelcnn.PixelCNN(hidden_channels=4, num_layers=2, kernel_size=3)
    for args, name in (((0, 2, 2), "num_samples"), ((1, 0, 2), "height"), ((1, 2, 0), "width")):
        with pytest.raises(ValueError, match=name):
            model.sample(*args)
    x = model.sample(3, 2, 3)
    assert x.shape == (3, 1, 2, 3) and x.dtype == torch.float32 and set(x.unique().tolist()) <= {0.0, 1.0}


# ---------------------------------------------------------------- vae.py


def test_kl_matches_torch_distributions_and_monte_carlo():
    g = torch.Generator().manual_seed(7)
    mu = torch.randn(97, 5, generator=g, dtype=torch.float64)
    logvar = torch.randn(97, 5, generator=g, dtype=torch.float64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    expected = torch.distributions.kl_divergence(q, p).sum(-1)
    got = vae.kl_standard_normal(mu, logvar)
    assert got.shape == (97,) and got.dtype == torch.float64
    assert (got - expected).abs().max().item() < 1e-10  # float64 rounding
    assert vae.kl_standard_normal(mu.float(), logvar.float()).dtype == torch.float32
    # Monte-Carlo on one row: the mean of log q - log p over n draws has standard deviation sd/sqrt(n);
    # |z| < 4.9 fails with probability 1e-6 (the CLT holds well at n = 2e5 for these light tails).
    torch.manual_seed(8)
    n = 200_000
    q0 = torch.distributions.Normal(mu[0], (0.5 * logvar[0]).exp())  # row 0 only
    z = q0.sample((n,))  # (n, 5)
    log_ratio = q0.log_prob(z).sum(-1) - torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)  # (n,)
    se = log_ratio.std().item() / math.sqrt(n)
    assert abs(log_ratio.mean().item() - got[0].item()) < 4.9 * se


def test_bernoulli_log_likelihood_is_stable_and_sums_all_dims():
    g = torch.Generator().manual_seed(9)
    logits = 4 * torch.randn(7, 1, 3, 3, generator=g, dtype=torch.float64)
    x = torch.bernoulli(torch.full((7, 1, 3, 3), 0.5, dtype=torch.float64), generator=g)
    expected = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3))
    got = vae.bernoulli_log_likelihood(x, logits)
    assert got.shape == (7,) and (got - expected).abs().max().item() < 1e-12  # float64 rounding
    extreme = vae.bernoulli_log_likelihood(torch.tensor([[1.0, 0.0, 1.0]]), torch.tensor([[1e4, 1e4, -1e4]]))
    # exact: log sigmoid(1e4) + log sigmoid(-1e4) + log sigmoid(-1e4) = -2e4 (up to e^-1e4)
    assert torch.isfinite(extreme).all() and abs(extreme.item() + 2e4) < 1e-2  # float32 spacing ~2e-3


def test_reparameterize_gradients_are_exact():
    torch.manual_seed(10)
    mu = torch.randn(97, 3, dtype=torch.float64, requires_grad=True)
    logvar = torch.randn(97, 3, dtype=torch.float64, requires_grad=True)
    z = vae.reparameterize(mu, logvar)
    assert z.shape == (97, 3) and z.dtype == torch.float64
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))  # dz/dmu = 1
    # dz/dlogvar = exp(logvar/2) eps / 2 = (z - mu) / 2; float64 rounding
    assert (logvar.grad - (z - mu).detach() / 2).abs().max().item() < 1e-12
    # z - mu = exp(logvar/2) eps: the standardized noise is N(0, 1); sum of squares of 291 values is
    # chi2(291), two-sided at 0.5e-6 per tail: false-failure probability 1e-6
    eps = ((z - mu) / (0.5 * logvar).exp()).detach()
    stat = float((eps**2).sum())
    assert scipy.stats.chi2.ppf(0.5e-6, 291) < stat < scipy.stats.chi2.isf(0.5e-6, 291)


def _small_vae(dtype=torch.float64):
    torch.manual_seed(11)
    model = vae.VAE(input_dim=12, latent_dim=3, hidden_dim=16).to(dtype)
    x = torch.bernoulli(torch.full((1, 12), 0.5, dtype=dtype))
    return model, x


def test_elbo_identity_and_iwae_k1_mean():
    model, x = _small_vae()
    n = 20_000
    batch = x.expand(n, 12)
    with torch.no_grad():
        elbo, recon, kl = model.elbo(batch)
        iwae1 = model.iwae_bound(batch, 1)
    assert elbo.shape == recon.shape == kl.shape == iwae1.shape == (n,)
    assert (elbo - (recon - kl)).abs().max().item() < 1e-12  # the definition, float64
    mu, logvar = model.encode(x)
    assert (kl - vae.kl_standard_normal(mu, logvar).detach()).abs().max().item() < 1e-12  # closed form
    # E[IWAE_1] = E[recon] - KL = E[ELBO]: two independent means of n draws, difference over its
    # standard error is ~N(0, 1); |z| < 4.9 fails with probability 1e-6.
    se = math.sqrt(elbo.var().item() / n + iwae1.var().item() / n)
    assert abs(elbo.mean().item() - iwae1.mean().item()) < 4.9 * se


def test_iwae_mean_increases_with_k():
    model, x = _small_vae()
    n = 4000
    batch = x.expand(n, 12)
    with torch.no_grad():
        means = []
        for k in (1, 10, 100):
            bound = model.iwae_bound(batch, k)
            means.append((bound.mean().item(), bound.var().item() / n))
    for (m_lo, v_lo), (m_hi, v_hi) in zip(means, means[1:]):
        # one-sided z-test that the mean does not decrease; at initialization q differs from the
        # posterior, so the true gap is positive and z > -4.8 fails with probability < 1e-6
        assert (m_hi - m_lo) / math.sqrt(v_lo + v_hi) > -4.8
    assert means[2][0] > means[0][0]  # the k = 1 -> 100 gap is several nats here, far above the noise


def test_iwae_is_stable_and_differentiable():
    model, x = _small_vae(torch.float32)
    with torch.no_grad():
        model.decoder[-1].bias.fill_(3e3)  # extreme logits: probabilities e^-3000 outside log space
    x = torch.zeros(5, 12)
    bound = model.iwae_bound(x, 7)
    assert bound.shape == (5,) and bound.dtype == torch.float32 and torch.isfinite(bound).all()
    bound.sum().backward()
    assert model.to_mu.weight.grad is not None and model.to_logvar.weight.grad.abs().sum() > 0


def test_vae_sample_and_errors():
    model, _ = _small_vae(torch.float32)
    x = model.sample(9)
    assert x.shape == (9, 12) and x.dtype == torch.float32 and set(x.unique().tolist()) <= {0.0, 1.0}
    for call in (lambda: model.sample(0), lambda: model.iwae_bound(torch.zeros(2, 12), 0)):
        with pytest.raises(ValueError, match="num_samples"):
            call()
