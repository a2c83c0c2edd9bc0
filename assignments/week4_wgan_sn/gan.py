"""Week 4: Wasserstein GANs with a Lipschitz critic, by gradient penalty or spectral normalization.

This file implements a GAN whose critic is kept (roughly) 1-Lipschitz, and the tools to measure mode
collapse. By Kantorovich-Rubinstein duality, W1(P_r, P_g) = sup over 1-Lipschitz f of
E_{P_r}[f] - E_{P_g}[f]: the score gap of any 1-Lipschitz critic is a lower bound on W1, and the
Wasserstein loss trains the critic to raise that bound (it reaches W1 only at the best critic). With
the hinge loss the gap means something else: the critic's best hinge loss is 2 - d_BL(P_r, P_g), where
d_BL = sup{E_{P_r}[f] - E_{P_g}[f] : f 1-Lipschitz, |f| <= 1} is the bounded-Lipschitz distance, at most
min(W1, 2 TV); without the Lipschitz constraint it is 2 - 2 TV(P_r, P_g) (Lim & Ye, 2017, "Geometric
GAN"). A critic whose Lipschitz constant is not bounded gives no distance at all: its gap grows with
the scale of its weights. The file holds:

- the power iteration that estimates the largest singular value of a weight matrix, and spectral
  normalization as a ``torch.nn.utils.parametrize`` parametrization (Miyato, Kataoka, Koyama &
  Yoshida, 2018, "Spectral normalization for generative adversarial networks"), with the same
  updates as ``torch.nn.utils.parametrizations.spectral_norm``;
- the Wasserstein losses (Arjovsky, Chintala & Bottou, 2017, "Wasserstein GAN") and the hinge loss
  of SN-GAN (Miyato et al., 2018, eq. 16-17);
- the gradient penalty of WGAN-GP (Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, 2017,
  "Improved training of Wasserstein GANs", Algorithm 1);
- a generator and a critic for 2-D data, and the alternating training loop (Algorithm 1 of
  Gulrajani et al.: n_critic critic updates per generator update, Adam with beta1 = 0);
- the mode-coverage metrics of VEEGAN (Srivastava, Valkov, Russell, Gutmann & Sutton, 2017,
  "VEEGAN: Reducing mode collapse in GANs using implicit variational learning", Section 5.1: modes
  covered and the high-quality fraction), and the "reverse KL" of PacGAN's Table 1 (Lin, Khetan,
  Fanti & Oh, 2018, "PacGAN: The power of two samples in generative adversarial networks"): the KL
  divergence from the samples' histogram over the modes to the uniform distribution.

Every function takes its device and dtype from its inputs and works in float32 and float64.

Write the functions in this order:
  1. power_iteration          2. SpectralNorm (a parametrization)
  3. spectral_norm            4. wgan_critic_loss, wgan_generator_loss
  5. hinge_critic_loss, hinge_generator_loss
  6. gradient_penalty         7. Generator, Critic
  8. mode_coverage            9. train_wgan
"""
import math
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

EPS = 1e-12  # F.normalize's eps, as in torch's spectral_norm


# ---------------------------------------------------------------------------------------
# 1. Spectral normalization (Miyato et al., 2018, Algorithm 1)
# ---------------------------------------------------------------------------------------
def power_iteration(weight: torch.Tensor, v: torch.Tensor,
                    num_iters: int = 1) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Estimate the largest singular value of ``weight`` by power iteration.

    Args:
        weight: (out, in) float, the matrix W.
        v: (in,) float, the starting right singular vector (not modified).
        num_iters: the number of (u, v) updates, at least 1.

    Returns:
        (sigma, u, v): sigma () float = uᵀ W v, u (out,) float, v (in,) float, from the last update.

    Raises:
        ValueError: if num_iters < 1.
    """
    # TODO: repeat num_iters times, in this order (torch's spectral_norm does the same):
    #     u = normalize(W v),   v = normalize(Wᵀ u)      with F.normalize(..., dim=0, eps=1e-12)
    # then sigma = uᵀ W v. Do not modify the caller's v in place.
    # For a W with distinct top singular value, sigma -> ‖W‖₂ as num_iters grows.
    raise NotImplementedError


class SpectralNorm(nn.Module):
    """A parametrization W -> W / σ(W), with σ estimated by one power iteration per training step.

    Register it with ``torch.nn.utils.parametrize.register_parametrization(module, "weight", sn)``.
    A weight of shape (out, ...) (a Conv2d weight is (out, in, kh, kw)) is seen as the matrix
    (out, in·kh·kw).

    Buffers:
        u: (out,) float, the current left singular vector estimate.
        v: (in,) float, the current right singular vector estimate (in = product of the other dims).
    """

    def __init__(self, weight: torch.Tensor, num_iters: int = 1):
        """Args:
            weight: (out, ...) float, the weight to be normalized (its shape, dtype and device).
            num_iters: power iterations per forward pass in training mode, at least 1.

        Raises:
            ValueError: if num_iters < 1.
        """
        super().__init__()
        # TODO:
        # - check num_iters; keep it as self.num_iters;
        # - v starts as a normalized N(0, I) draw of size in, in the weight's dtype and device;
        # - warm u and v up with 15 power iterations (without gradient), as torch does;
        # - register them as buffers named "u" (out,) and "v" (in,).
        raise NotImplementedError

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        """Args:
            weight: (out, ...) float, the unconstrained weight.

        Returns:
            (out, ...) float, weight / (uᵀ W v).
        """
        # TODO:
        # - in training mode only: num_iters power iterations under torch.no_grad(), from the
        #   stored v; store the new u and v in the buffers (copy_ keeps them buffers);
        # - in both modes: sigma = uᵀ W v with clones of u and v, so that the gradient flows
        #   through W alone (Miyato et al., Appendix A.1; torch clones them too);
        # - return weight / sigma, with weight's shape.
        raise NotImplementedError


def spectral_norm(module: nn.Module, num_iters: int = 1) -> nn.Module:
    """Register ``SpectralNorm`` on ``module.weight`` and return the module.

    Args:
        module: a module with a ``weight`` parameter (nn.Linear, nn.Conv2d, ...).
        num_iters: power iterations per training forward pass.

    Returns:
        The same module, whose ``weight`` is now ``W / σ(W)``.
    """
    # TODO: torch.nn.utils.parametrize.register_parametrization(module, "weight", SpectralNorm(...)).
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 2. Losses (Arjovsky et al., 2017; Miyato et al., 2018, eq. 16-17)
# ---------------------------------------------------------------------------------------
def wgan_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's Wasserstein loss: minus the estimate of W(p_data, p_g).

    Args:
        real_scores: (B,) float, critic scores of real data.
        fake_scores: (M,) float, critic scores of generated data.

    Returns:
        () float, mean(fake) - mean(real).
    """
    # TODO: the critic maximizes mean(real) - mean(fake), so it minimizes the negative.
    raise NotImplementedError


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's Wasserstein loss.

    Args:
        fake_scores: (M,) float, critic scores of generated data.

    Returns:
        () float, -mean(fake).
    """
    # TODO: the generator raises the critic's scores of its samples.
    raise NotImplementedError


def hinge_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """The critic's hinge loss (Miyato et al., 2018, eq. 16).

    Args:
        real_scores: (B,) float.
        fake_scores: (M,) float.

    Returns:
        () float, mean(relu(1 - real)) + mean(relu(1 + fake)).
    """
    # TODO: zero once real scores are >= 1 and fake scores are <= -1.
    raise NotImplementedError


def hinge_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """The generator's loss with a hinge critic (Miyato et al., 2018, eq. 17).

    Args:
        fake_scores: (M,) float.

    Returns:
        () float, -mean(fake) (no hinge on the generator's side).
    """
    # TODO: the same as the Wasserstein generator loss.
    raise NotImplementedError


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """The WGAN-GP penalty (Gulrajani et al., 2017, Algorithm 1, lines 6-7).

    Args:
        critic: maps (B, ...) float to (B,) float.
        real: (B, ...) float, a real batch.
        fake: (B, ...) float, a generated batch of the same shape.
        weight: λ, the penalty weight.

    Returns:
        () float, λ · mean_b (‖∇ critic(x̂_b)‖₂ - 1)², differentiable in the critic's parameters,
        where x̂ = ε·real + (1 - ε)·fake with one ε ~ U(0, 1) per example.

    Raises:
        ValueError: if real and fake differ in shape.
    """
    # TODO:
    # - one ε per example, broadcast over the non-batch dimensions: shape (B, 1, ..., 1);
    # - x̂ must require grad; take the gradient of critic(x̂).sum() with respect to x̂ with
    #   torch.autograd.grad(..., create_graph=True), so that the penalty itself can be
    #   back-propagated into the critic's parameters;
    # - the norm g is over all non-batch dimensions: (B,); penalize (g - 1)², not g².
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 3. Networks for 2-D data
# ---------------------------------------------------------------------------------------
class Generator(nn.Module):
    """An MLP from latent noise z ~ N(0, I) to the plane: three hidden layers of ``hidden_dim`` ReLU units.

    The layers: Linear(latent_dim, hidden_dim), ReLU, Linear(hidden_dim, hidden_dim), ReLU,
    Linear(hidden_dim, hidden_dim), ReLU, Linear(hidden_dim, 2). The grader trains this network (see
    the README): keep this depth.
    """

    def __init__(self, latent_dim: int = 2, hidden_dim: int = 128):
        """Args:
            latent_dim: the size of z (kept as ``self.latent_dim``: train_wgan reads it).
            hidden_dim: the width of the hidden layers.
        """
        super().__init__()
        # TODO: keep latent_dim; the layers of the class docstring, ending in Linear(hidden_dim, 2)
        # (no output activation: the data is unbounded).
        raise NotImplementedError

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) float -> (B, 2) float."""
        raise NotImplementedError


class Critic(nn.Module):
    """An MLP from the plane to a real score, spectrally normalized on every layer if asked.

    Three hidden layers of ``hidden_dim`` units with LeakyReLU(0.2): Linear(2, hidden_dim), LeakyReLU,
    Linear(hidden_dim, hidden_dim), LeakyReLU, Linear(hidden_dim, hidden_dim), LeakyReLU,
    Linear(hidden_dim, 1). The grader trains this network (see the README): keep this depth.
    """

    def __init__(self, hidden_dim: int = 128, spectral: bool = True):
        """Args:
            hidden_dim: the width of the hidden layers.
            spectral: apply this file's ``spectral_norm`` to every Linear layer.
        """
        super().__init__()
        # TODO: the layers of the class docstring, ending in Linear(hidden_dim, 1); wrap every Linear
        # in spectral_norm when spectral is True.
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 2) float -> (B,) float."""
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 4. Mode coverage (Srivastava et al., 2017, Section 5.1; Lin et al., 2018, Table 1)
# ---------------------------------------------------------------------------------------
def mode_coverage(samples: torch.Tensor, centers: torch.Tensor,
                  std: float) -> Tuple[int, float, float]:
    """Modes covered, fraction of high-quality samples and KL(mode histogram ‖ uniform).

    A sample is of high quality when its distance to the nearest centre is strictly less than
    3·std; a mode is covered when it is the nearest centre of at least one high-quality sample.

    Args:
        samples: (N, D) float, generated samples.
        centers: (K, D) float, the modes of the data.
        std: the standard deviation of each mode.

    Returns:
        (num_modes_covered int, high_quality_fraction float, mode_kl float), where
        mode_kl = Σ_k p_k log(K p_k), p the histogram of high-quality samples over the K modes,
        with 0·log 0 = 0; it is log K when there is no high-quality sample.

    Raises:
        ValueError: if there are no samples or std <= 0.
    """
    # TODO:
    # - nearest centre and its distance for each sample (torch.cdist, then min over K);
    # - high quality: distance < 3·std (strict);
    # - the histogram of the high-quality samples' nearest centres over K bins (minlength=K);
    # - mode_kl = Σ_k p_k log(K p_k) over the bins with p_k > 0; log K with no high-quality sample.
    raise NotImplementedError


# ---------------------------------------------------------------------------------------
# 5. Training (Gulrajani et al., 2017, Algorithm 1)
# ---------------------------------------------------------------------------------------
def train_wgan(generator: nn.Module, critic: nn.Module, sample_real: Callable[[int], torch.Tensor],
               num_steps: int, critic_steps: int = 5, lr: float = 1e-4,
               betas: Tuple[float, float] = (0.0, 0.9), loss: str = "wgan", gp_weight: float = 0.0,
               batch_size: int = 256) -> Dict[str, List[float]]:
    """Alternate ``critic_steps`` critic updates and one generator update, ``num_steps`` times.

    Args:
        generator: maps (B, generator.latent_dim) float noise to (B, 2) float samples.
        critic: maps (B, 2) float to (B,) float scores.
        sample_real: n -> (n, 2) float, a fresh batch of real data at each call.
        num_steps: the number of generator updates.
        critic_steps: critic updates before each generator update (n_critic).
        lr, betas: the settings of both Adam optimizers (one per network).
        loss: "wgan" or "hinge".
        gp_weight: if > 0, add gradient_penalty(critic, real, fake, weight=gp_weight) to the
            critic's loss.
        batch_size: the size of every real and every generated batch.

    Returns:
        {"critic_loss": [...], "generator_loss": [...]}, num_steps floats each: the loss of the
        step's last critic update (penalty included, before its optimizer step) and the
        generator's loss.

    Raises:
        ValueError: if loss is unknown, or num_steps, critic_steps or batch_size is < 1.
    """
    # TODO:
    # - validate the arguments; one Adam per network, both with lr and betas;
    # - each critic update: a fresh real batch and fresh z ~ N(0, I) of size latent_dim (in the
    #   generator's dtype and device); detach the fakes so that only the critic learns; loss
    #   (+ penalty); zero the critic's gradients, backward, step;
    # - each generator update: fresh z; loss on the critic's scores of generator(z); zero the
    #   generator's gradients, backward, step (the critic's gradients are not used);
    # - record float losses once per generator step.
    raise NotImplementedError
