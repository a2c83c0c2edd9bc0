"""Week 2, part 3: the variational autoencoder and the importance-weighted bound.

Kingma & Welling, 2014, "Auto-encoding variational Bayes"; Burda, Grosse & Salakhutdinov,
2016, "Importance weighted autoencoders". A latent z ~ N(0, I) is decoded into Bernoulli
logits over x; an encoder q(z | x) = N(mu(x), diag exp logvar(x)) makes the evidence lower bound

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || N(0, I))  <=  log p(x)

tractable by the reparameterization z = mu + exp(logvar / 2) * eps, eps ~ N(0, I). The IWAE
bound with K samples,

    L_K(x) = E[ log (1/K) sum_k p(x, z_k) / q(z_k | x) ],   z_k ~ q(z | x) independently,

satisfies L_K <= L_{K+1} <= log p(x) (Burda et al., 2016, Theorem 1). L_1 is the ELBO itself, and
the one-sample estimate iwae_bound(x, 1) has the mean of elbo(x), though not its distribution: elbo
uses the closed-form KL. L_K -> log p(x) as K -> infinity needs a condition on the importance
weights w = p(x, z) / q(z | x): Burda et al.'s theorem assumes them bounded; a finite L_1 also
suffices (the strong law of large numbers, with Fatou's lemma applied to
log mean_k w_k - mean_k log w_k >= 0).

Log-likelihoods are in nats. Every function takes its device and dtype from its inputs (or the
model's parameters) and works in float32 and float64.

Write the functions in this order:
  1. reparameterize           2. kl_standard_normal
  3. bernoulli_log_likelihood
  4. VAE.__init__   5. VAE.encode   6. VAE.decode
  7. VAE.elbo       8. VAE.iwae_bound   9. VAE.sample
"""
import math
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------------------------------
# 1. The pieces of the ELBO
# ---------------------------------------------------------------------------------------
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """A sample of N(mu, diag exp logvar), differentiable in mu and logvar.

    Args:
        mu: (B, L) float.
        logvar: (B, L) float, the log-variances.

    Returns:
        (B, L) float, z = mu + exp(logvar / 2) * eps with eps ~ N(0, I).
    """
    # TODO:
    # - draw eps with torch.randn_like(mu); never torch.normal(mu, std), which gives no
    #   gradient to mu and logvar;
    # - must hold: dz/dmu = 1 and dz/dlogvar = (z - mu) / 2.
    raise NotImplementedError


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp logvar) || N(0, I)) in closed form.

    Args:
        mu, logvar: (B, L) float.

    Returns:
        (B,) float, in nats, summed over the L latent dimensions.
    """
    # TODO: KL = 1/2 sum_l (mu_l^2 + exp(logvar_l) - 1 - logvar_l)  (Kingma & Welling, App. B);
    #       it is >= 0, and 0 exactly when mu = 0 and logvar = 0.
    raise NotImplementedError


def bernoulli_log_likelihood(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log p(x | logits) of independent Bernoulli variables, summed over non-batch dimensions.

    Args:
        x: (B, ...) float in {0, 1}.
        logits: (B, ...) float, the same shape.

    Returns:
        (B,) float, in nats.
    """
    # TODO: -binary_cross_entropy_with_logits, elementwise, then summed over every dimension
    #       but the first. Never log(sigmoid(.)): finite for logits of +-1e4.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 2. The model
# ---------------------------------------------------------------------------------------
class VAE(nn.Module):
    """A VAE with a Gaussian encoder, a Bernoulli decoder and a N(0, I) prior.

    Args:
        input_dim: D, the length of a flattened binary image.
        latent_dim: L.
        hidden_dim: the width of the MLP hidden layers.
    """

    def __init__(self, input_dim: int = 784, latent_dim: int = 16, hidden_dim: int = 256):
        super().__init__()
        # TODO:
        # - encoder: an MLP D -> hidden -> hidden -> 2L (ReLU between), whose output splits
        #   into mu and logvar;
        # - decoder: an MLP L -> hidden -> hidden -> D logits.
        raise NotImplementedError

    def encode(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x: (B, D) float -> (mu, logvar), each (B, L) float: the parameters of q(z | x)."""
        # TODO: run the encoder and split its output in two halves.
        raise NotImplementedError

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, L) float -> logits: (B, D) float of p(x | z)."""
        # TODO: run the decoder.
        raise NotImplementedError

    def elbo(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The evidence lower bound, with one reparameterized sample.

        Args:
            x: (B, D) float in {0, 1}.

        Returns:
            elbo, recon, kl: each (B,) float, with recon = log p(x | z) at one
            z ~ q(z | x), kl = kl_standard_normal(mu, logvar), and elbo = recon - kl.
        """
        # TODO: encode, reparameterize, decode, then the two terms. The ELBO is a lower bound:
        #       its mean is at most log p(x) (and its negative is the training loss).
        raise NotImplementedError

    def iwae_bound(self, x: torch.Tensor, num_samples: int) -> torch.Tensor:
        """The importance-weighted bound L_K (Burda et al., 2016, Eq. 8), K = num_samples.

        Args:
            x: (B, D) float in {0, 1}.
            num_samples: K >= 1, independent samples z_k ~ q(z | x) per example.

        Returns:
            (B,) float: logsumexp_k [log p(x, z_k) - log q(z_k | x)] - log K.

        Raises:
            ValueError: if num_samples < 1.
        """
        # TODO:
        # - draw K independent reparameterized samples per example (not one z reused K times);
        # - log w_k = log p(x | z_k) + log N(z_k; 0, I) - log N(z_k; mu, diag exp logvar);
        # - combine with torch.logsumexp over k, minus log K: averaging exp(log w_k) overflows
        #   or underflows (log w is of order -100 nats for MNIST), and the mean of log w_k is
        #   only the ELBO again.
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, num_samples: int) -> torch.Tensor:
        """Draw x ~ Bernoulli(sigmoid(decode(z))) with z ~ N(0, I).

        Args:
            num_samples: S >= 1.

        Returns:
            (S, D) float in the model's dtype, values in {0, 1}.

        Raises:
            ValueError: if num_samples < 1.
        """
        # TODO: z = torch.randn in the dtype and on the device of the parameters, decode,
        #       then one Bernoulli draw per pixel.
        raise NotImplementedError
