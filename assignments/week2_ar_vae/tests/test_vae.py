"""Public tests of vae.py: shapes, dtypes and closed forms.

Passing them does not mean your values are right: the grader checks the KL against Monte Carlo,
the IWAE bound's distribution and its growth in K, and a short training run as well.
"""
import math

import pytest
import torch

from vae import VAE, bernoulli_log_likelihood, kl_standard_normal, reparameterize


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_reparameterize_shape_and_gradients(dtype):
    mu = torch.randn(97, 3, dtype=dtype, requires_grad=True)
    logvar = torch.randn(97, 3, dtype=dtype, requires_grad=True)
    z = reparameterize(mu, logvar)
    assert z.shape == (97, 3) and z.dtype == dtype
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None, "z must be differentiable in mu and logvar"
    # z = mu + exp(logvar / 2) eps: dz/dmu = 1 and dz/dlogvar = (z - mu) / 2.
    torch.testing.assert_close(mu.grad, torch.ones_like(mu), rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(logvar.grad, (z - mu).detach() / 2, rtol=1e-5, atol=1e-5)


def test_kl_standard_normal_closed_forms():
    zeros = torch.zeros(4, 3)
    kl = kl_standard_normal(zeros, zeros)
    assert kl.shape == (4,)
    torch.testing.assert_close(kl, torch.zeros(4), rtol=1e-5, atol=1e-8)
    # KL(N(1, e) || N(0, 1)) in one dimension = (1 + e - 1 - 1) / 2.
    kl = kl_standard_normal(torch.ones(1, 1), torch.ones(1, 1))
    assert abs(kl.item() - (math.e - 1) / 2) < 1e-6
    assert (kl_standard_normal(torch.randn(97, 5), torch.randn(97, 5)) >= 0).all()


def test_bernoulli_log_likelihood_shapes_and_extremes():
    x = torch.bernoulli(torch.full((5, 1, 3, 4), 0.5))
    assert bernoulli_log_likelihood(x, torch.zeros_like(x)).shape == (5,)
    # Zero logits: every pixel has probability 1/2.
    torch.testing.assert_close(bernoulli_log_likelihood(x, torch.zeros_like(x)), torch.full((5,), -12 * math.log(2)),
                               rtol=1e-5, atol=1e-8)
    # Logits of +-1e4: finite (no log(sigmoid(.))), 0 when right and -1e4 when wrong.
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    logits = torch.tensor([[1e4, -1e4], [-1e4, -1e4]])
    log_p = bernoulli_log_likelihood(x, logits)
    assert torch.isfinite(log_p).all(), "compute it from logits: F.binary_cross_entropy_with_logits"
    torch.testing.assert_close(log_p, torch.tensor([0.0, -1e4]), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_vae_shapes(dtype):
    model = VAE(input_dim=20, latent_dim=3, hidden_dim=16).to(dtype)
    x = torch.bernoulli(torch.full((97, 20), 0.5, dtype=dtype))
    mu, logvar = model.encode(x)
    assert mu.shape == (97, 3) and logvar.shape == (97, 3) and mu.dtype == dtype
    assert model.decode(mu).shape == (97, 20)
    elbo, recon, kl = model.elbo(x)
    for t in (elbo, recon, kl):
        assert t.shape == (97,) and t.dtype == dtype and torch.isfinite(t).all()
    torch.testing.assert_close(elbo, recon - kl, rtol=1e-5, atol=1e-8)
    assert (kl >= 0).all() and (recon <= 0).all()
    iwae = model.iwae_bound(x, 5)
    assert iwae.shape == (97,) and iwae.dtype == dtype and torch.isfinite(iwae).all()


def test_vae_iwae_and_sample_check_their_arguments():
    model = VAE(input_dim=6, latent_dim=2, hidden_dim=8)
    with pytest.raises(ValueError):
        model.iwae_bound(torch.zeros(3, 6), 0)
    with pytest.raises(ValueError):
        model.sample(0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_vae_sample_shape_dtype_and_values(dtype):
    model = VAE(input_dim=6, latent_dim=2, hidden_dim=8).to(dtype)
    x = model.sample(11)
    assert x.shape == (11, 6) and x.dtype == dtype
    assert set(x.unique().tolist()) <= {0.0, 1.0}
