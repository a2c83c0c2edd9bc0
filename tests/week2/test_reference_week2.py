"""Oracle checks of the Week 2 reference solution (project tests, not shipped to students).

Each check compares the reference in solutions/week2_ar_vae/ with something that does not depend on
it: the degree rule written out entry by entry, autograd Jacobians, enumeration of every binary
outcome, torch.distributions, and numerical integration of a 1-D latent. The helpers that the hidden
training tests use to score samples are checked here too.
"""
import itertools
import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from tests.weeks.helpers import hidden_module, reference_modules

_reference = reference_modules(2)
made, pixelcnn, vae = _reference.made, _reference.pixelcnn, _reference.vae
F64 = torch.float64
pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def _all_binary(d: int, dtype=F64) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=d)), dtype=dtype)  # (2^d, d)


def _jacobian_pattern(f, x: torch.Tensor) -> torch.Tensor:
    """(O, I) bool: which inputs each output depends on, by autograd.functional.jacobian over rows of x."""
    dep = None
    for row in x:
        jac = torch.autograd.functional.jacobian(lambda v: f(v[None]).reshape(-1), row).reshape(-1, row.numel())
        dep = (jac != 0) if dep is None else dep | (jac != 0)
    return dep


def _chi_square_p_value(counts: np.ndarray, probs: np.ndarray) -> float:
    keep = probs * counts.sum() >= 5
    c = np.append(counts[keep], counts[~keep].sum())
    p = np.append(probs[keep], probs[~keep].sum())
    if p[-1] * counts.sum() < 5:
        c, p = c[:-1], p[:-1]
        p = p / p.sum()
    return float(scipy.stats.chisquare(c, p * c.sum()).pvalue)


# ---------------------------------------------------------------------------------------
# made.py
# ---------------------------------------------------------------------------------------
def test_masked_linear_mask_is_a_copied_buffer():
    layer = made.MaskedLinear(4, 3)
    assert torch.equal(layer.mask, torch.ones(3, 4)) and "mask" in layer.state_dict()
    mask = (torch.rand(3, 4) < 0.5).float()
    mask[0, 0] = 0.0
    original = mask.clone()
    layer.set_mask(mask)
    mask.fill_(1.0)  # the layer kept its own copy
    assert torch.equal(layer.mask, original)
    x = torch.randn(97, 4, dtype=torch.float32)
    assert torch.allclose(layer(x), x @ (layer.weight * layer.mask).T + layer.bias, atol=1e-6)
    assert layer.double().mask.dtype == F64


@pytest.mark.parametrize("d, hidden, ordering", [(6, [12, 8], [1, 2, 0, 4, 5, 3]), (10, [3, 7], None),
                                                 (5, [], [4, 2, 0, 1, 3])])
def test_made_masks_follow_the_degree_rule_entry_by_entry(d, hidden, ordering):
    masks = made.made_masks(d, hidden, ordering)
    order = list(range(d)) if ordering is None else ordering
    below = list(order)
    for layer, h in enumerate(hidden):
        degrees = [math.floor(k * (d - 1) / h) for k in range(h)]
        want = [[1.0 if below[j] <= degrees[k] else 0.0 for j in range(len(below))] for k in range(h)]
        assert torch.equal(masks[layer], torch.tensor(want)), layer
        below = degrees
    want = [[1.0 if below[j] < order[i] else 0.0 for j in range(len(below))] for i in range(d)]
    assert torch.equal(masks[-1], torch.tensor(want))
    assert all(m.dtype == torch.float32 for m in masks)


def test_made_masks_reject_bad_arguments():
    for args in ((1, [4]), (3, [4], [0, 0, 1]), (3, [4], [0, 1, 3]), (3, [4], [0, 1])):
        with pytest.raises(ValueError):
            made.made_masks(*args)


def test_made_depends_exactly_on_earlier_dimensions():
    ordering = [3, 0, 6, 1, 5, 2, 4]  # not its own inverse
    model = made.MADE(7, [60, 60], ordering).double()
    order = torch.tensor(ordering)
    for x in (torch.randn(32, 7, dtype=F64), torch.bernoulli(torch.full((32, 7), 0.5, dtype=F64))):
        assert torch.equal(_jacobian_pattern(model, x), order[None, :] < order[:, None])


def test_made_normalizes_and_is_stable():
    for hidden in ([10], [3, 4]):
        model = made.MADE(6, hidden, [1, 2, 0, 4, 5, 3]).double()
        assert abs(torch.logsumexp(model.log_prob(_all_binary(6)), 0).item()) < 1e-12
    model = made.MADE(3, [4])
    with torch.no_grad():
        model.net[-1].bias.copy_(torch.tensor([1e4, -1e4, 1e4]))
        model.net[-1].weight.zero_()
    log_p = model.log_prob(torch.tensor([[1.0, 0.0, 0.0]]))
    assert torch.allclose(log_p, torch.tensor([-1e4]))  # the third bit is wrong by 1e4 nats


def _dependent_probs() -> torch.Tensor:
    probs = torch.full((16,), 0.1 / 12, dtype=F64)
    for code, p in ((0, 0.3), (15, 0.3), (5, 0.15), (10, 0.15)):  # 0000, 1111, 0101, 1010
        probs[code] = p
    return probs


def _fit(model, data, steps=300, lr=2e-2):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x = data[torch.randint(0, len(data), (256,))]
        loss = -model.log_prob(x).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_made_sampler_matches_its_exact_probabilities():
    model = made.MADE(4, [32, 32], [2, 0, 3, 1]).double()
    _fit(model, _all_binary(4)[torch.multinomial(_dependent_probs(), 4000, replacement=True)])
    probs = model.log_prob(_all_binary(4)).detach().exp().numpy()
    assert abs(probs.sum() - 1) < 1e-12
    x = model.sample(20_000)
    assert x.dtype == F64
    counts = np.bincount((x.long() * torch.tensor([8, 4, 2, 1])).sum(1).numpy(), minlength=16)
    assert _chi_square_p_value(counts, probs) > 1e-6  # false-failure probability 1e-6


# ---------------------------------------------------------------------------------------
# pixelcnn.py
# ---------------------------------------------------------------------------------------
def test_masked_conv_masks_are_the_papers():
    a = pixelcnn.MaskedConv2d("A", 1, 1, 3).mask[0, 0]
    b = pixelcnn.MaskedConv2d("B", 1, 1, 3).mask[0, 0]
    assert torch.equal(a, torch.tensor([[1.0, 1, 1], [1, 0, 0], [0, 0, 0]]))
    assert torch.equal(b, torch.tensor([[1.0, 1, 1], [1, 1, 0], [0, 0, 0]]))
    for args in (("C", 1, 1, 3), ("A", 1, 1, 4)):
        with pytest.raises(ValueError):
            pixelcnn.MaskedConv2d(*args)


def test_pixelcnn_is_autoregressive_in_raster_order():
    model = pixelcnn.PixelCNN(16, 3, 3).double()
    h = w = 5
    f = lambda v: model(v.view(-1, 1, h, w))
    dep = _jacobian_pattern(f, torch.randn(8, h * w, dtype=F64))
    assert not dep.triu().any()  # nothing on or after the diagonal: no pixel sees itself or later ones
    for out in range(h * w):
        i, j = divmod(out, w)
        for a, b in ((i, j - 1), (i - 1, j - 1), (i - 1, j), (i - 1, j + 1)):
            if 0 <= a < h and 0 <= b < w:
                assert dep[out, a * w + b], (i, j, a, b)


def test_pixelcnn_normalizes_over_all_3x3_images():
    model = pixelcnn.PixelCNN(8, 3, 3).double()
    x = _all_binary(9).view(512, 1, 3, 3)
    assert abs(torch.logsumexp(model.log_prob(x), 0).item()) < 1e-12


def test_pixelcnn_sampler_matches_its_exact_probabilities():
    model = pixelcnn.PixelCNN(16, 2, 3)
    data = _all_binary(4, torch.float32)[torch.multinomial(_dependent_probs(), 4000, replacement=True)]
    _fit(model, data.view(-1, 1, 2, 2), steps=150, lr=3e-2)
    probs = model.log_prob(_all_binary(4, torch.float32).view(16, 1, 2, 2)).detach().double().exp().numpy()
    x = model.sample(20_000, 2, 2)
    counts = np.bincount((x.view(-1, 4).long() * torch.tensor([8, 4, 2, 1])).sum(1).numpy(), minlength=16)
    assert _chi_square_p_value(counts, probs / probs.sum()) > 1e-6  # false-failure probability 1e-6


# ---------------------------------------------------------------------------------------
# vae.py
# ---------------------------------------------------------------------------------------
def test_kl_and_bernoulli_match_torch_distributions():
    mu, logvar = 2 * torch.randn(97, 5, dtype=F64), 2 * torch.randn(97, 5, dtype=F64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    assert torch.allclose(vae.kl_standard_normal(mu, logvar), torch.distributions.kl_divergence(q, p).sum(-1))
    x = torch.bernoulli(torch.full((97, 1, 3, 5), 0.4, dtype=F64))
    logits = 3 * torch.randn(97, 1, 3, 5, dtype=F64)
    want = torch.distributions.Bernoulli(logits=logits).log_prob(x).flatten(1).sum(-1)
    assert torch.allclose(vae.bernoulli_log_likelihood(x, logits), want)
    huge = torch.tensor([[1e4, -1e4]])
    assert torch.allclose(vae.bernoulli_log_likelihood(torch.tensor([[0.0, 0.0]]), huge), torch.tensor([-1e4]))


def test_reparameterize_gradients_and_distribution():
    mu = torch.randn(20_000, 2, dtype=F64, requires_grad=True)
    logvar = torch.randn(20_000, 2, dtype=F64, requires_grad=True)
    z = vae.reparameterize(mu, logvar)
    z.sum().backward()
    assert torch.equal(mu.grad, torch.ones_like(mu))
    assert torch.allclose(logvar.grad, (z - mu).detach() / 2)
    eps = ((z - mu) / (0.5 * logvar).exp()).detach()
    assert scipy.stats.kstest(eps[:, 0].numpy(), "norm").pvalue > 1e-6  # false-failure probability 1e-6


def _exact_log_px(model, x: torch.Tensor) -> torch.Tensor:
    """log p(x) of a VAE with a 1-D latent by the trapezoid rule on [-10, 10] (20,001 nodes), in float64."""
    z = torch.linspace(-10, 10, 20_001, dtype=F64)[:, None]  # (G, 1)
    with torch.no_grad():
        logits = model.decode(z)  # (G, D)
    log_joint = (-F.binary_cross_entropy_with_logits(logits[:, None, :].expand(-1, len(x), -1),
                                                     x[None].expand(len(z), -1, -1), reduction="none").sum(-1)
                 - 0.5 * (z.pow(2) + math.log(2 * math.pi)))  # (G, B)
    dz = float(z[1] - z[0])
    return torch.logsumexp(log_joint, 0) + math.log(dz)  # (B,)


def test_iwae_bounds_the_exact_likelihood_and_tightens_with_k():
    model = vae.VAE(8, 1, 16).double()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.bernoulli(torch.full((3, 8), 0.5, dtype=F64))
    log_px = _exact_log_px(model, x)
    means = {}
    r = 2000
    with torch.no_grad():
        for k in (1, 10, 100, 1000):
            values = model.iwae_bound(x.repeat_interleave(r if k < 100 else 100, 0), k)
            means[k] = values.view(3, -1).mean(1)
        elbo = model.elbo(x.repeat_interleave(r, 0))[0].view(3, r)
    # E[IWAE_K] <= log p(x), increasing in K, and IWAE_1000 is within 0.05 nats of log p(x) here.
    assert (means[1] <= log_px + 0.1).all() and (means[1000] <= log_px + 0.01).all()
    assert (means[10] > means[1]).all() and (means[100] > means[10]).all()
    assert ((log_px - means[1000]).abs() < 0.05).all(), (log_px, means[1000])
    # E[IWAE_1] = E[ELBO]: the two means agree within 5 standard errors.
    assert ((means[1] - elbo.mean(1)).abs() < 5 * elbo.std(1) / math.sqrt(r) * 2).all()


def test_elbo_is_recon_minus_closed_form_kl():
    model = vae.VAE(20, 3, 16).double()
    x = torch.bernoulli(torch.full((97, 20), 0.5, dtype=F64))
    elbo, recon, kl = model.elbo(x)
    mu, logvar = model.encode(x)
    assert torch.allclose(kl, vae.kl_standard_normal(mu, logvar)) and torch.allclose(elbo, recon - kl)
    assert (recon <= 0).all() and (kl >= 0).all()


# ---------------------------------------------------------------------------------------
# The scoring helpers of the hidden training tests
# ---------------------------------------------------------------------------------------
def test_bars_and_stripes_scores_exact_samples_as_perfect():
    for name in ("test_made", "test_pixelcnn"):
        module = hidden_module(2, name)
        x = module.bars_and_stripes(20_000)
        valid, tv = module.bars_and_stripes_score(x)
        assert valid == 1.0
        assert tv < 0.05  # 30 cells, 20,000 draws: E[TV] ~ 0.02
        noise = torch.bernoulli(torch.full((2000, 16), 0.5))
        assert module.bars_and_stripes_score(noise)[0] < 0.01  # 30 valid images out of 65,536


def test_prototype_target_is_normalized():
    module = hidden_module(2, "test_vae")
    log_p = module.prototype_log_prob(_all_binary(16, torch.float32))
    assert abs(torch.logsumexp(log_p, 0).item()) < 1e-9
    x = module.prototype_data(50_000)
    entropy = -module.prototype_log_prob(x).mean().item()
    assert 5.0 < entropy < 5.5  # H = log 8 + 16 h(0.05) = 5.25 nats (the prototypes are far apart)
