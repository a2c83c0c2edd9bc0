"""Week 4 mutants: realistic student mistakes, each an edit of the reference solution.

`python -m autograder mutants 4` builds every mutant (the reference with one `find` → `replace`
edit, `find` occurring exactly once in `solutions/week4_wgan_sn/gan.py`), grades it on the hidden
tests of the functions it changes, and fails when one keeps full marks.
"""
from autograder.mutants import mutants_of


_g = mutants_of("gan.py")


MUTANTS = [
    # ---------------------------------------------------------------- gan.power_iteration
    _g("power_iteration_no_normalize", "power_iteration",
       "        u = F.normalize(weight @ v, dim=0, eps=EPS)    # (out,)\n"
       "        v = F.normalize(weight.T @ u, dim=0, eps=EPS)  # (in,)",
       "        u = weight @ v    # (out,)\n"
       "        v = weight.T @ u  # (in,)",
       "power iteration without normalization: u and v blow up, and so does σ"),
    _g("power_iteration_sigma_norm", "power_iteration",
       "    sigma = torch.dot(u, weight @ v)  # ()",
       "    sigma = (weight @ v).norm()  # ()",
       "σ = ‖W v‖ from the last v instead of uᵀ W v (equal only at convergence)"),
    _g("power_iteration_off_by_one", "power_iteration",
       "    for _ in range(num_iters):\n        u = F.normalize(weight @ v",
       "    u = F.normalize(weight @ v, dim=0, eps=EPS)\n"
       "    for _ in range(num_iters - 1):\n        u = F.normalize(weight @ v",
       "one update too few (an off-by-one in the loop)"),
    _g("power_iteration_in_place", "power_iteration",
       "        v = F.normalize(weight.T @ u, dim=0, eps=EPS)  # (in,)",
       "        v = v.copy_(F.normalize(weight.T @ u, dim=0, eps=EPS))  # (in,)",
       "updates the caller's v in place"),

    _g("power_iteration_no_check", "power_iteration",
       "    if num_iters < 1:\n        raise ValueError(f\"num_iters must be at least 1, got {num_iters}\")\n"
       "    for _ in range(num_iters):",
       "    for _ in range(num_iters):",
       "no check of num_iters: 0 iterations end in an UnboundLocalError instead of a ValueError"),

    # ---------------------------------------------------------------- gan.SpectralNorm
    _g("spectral_sigma_grad_through_u", "SpectralNorm",
       "            with torch.no_grad():\n"
       "                _, u, v = power_iteration(weight_mat, self.v, num_iters=self.num_iters)\n"
       "                self.u.copy_(u)\n"
       "                self.v.copy_(v)\n"
       "        u, v = self.u.clone(), self.v.clone()\n",
       "            _, u, v = power_iteration(weight_mat, self.v, num_iters=self.num_iters)\n"
       "            self.u.copy_(u.detach())\n"
       "            self.v.copy_(v.detach())\n"
       "        else:\n"
       "            u, v = self.u.clone(), self.v.clone()\n",
       "σ computed in training mode from u and v that carry gradient (no torch.no_grad): the output is "
       "right, its gradient is not"),
    _g("spectral_module_no_check", "SpectralNorm",
       "        if num_iters < 1:\n            raise ValueError(f\"num_iters must be at least 1, got {num_iters}\")\n"
       "        self.num_iters = num_iters",
       "        self.num_iters = num_iters",
       "SpectralNorm accepts num_iters = 0 (and then never updates u and v)"),
    _g("spectral_conv_not_reshaped", "SpectralNorm",
       "        weight_mat = weight.reshape(weight.shape[0], -1)  # (out, in)\n        if self.training:",
       "        weight_mat = weight  # (out, in)\n        if self.training:",
       "the weight is used as a matrix without reshaping (fine for Linear, wrong for a conv)"),
    _g("spectral_iterate_in_eval", "SpectralNorm",
       "        if self.training:\n            with torch.no_grad():\n                _, u, v = power_iteration",
       "        if True:\n            with torch.no_grad():\n                _, u, v = power_iteration",
       "runs the power iteration (and moves the buffers) in eval mode too"),
    _g("spectral_buffers_not_stored", "SpectralNorm",
       "                self.u.copy_(u)\n                self.v.copy_(v)",
       "                pass",
       "never stores the new u and v: every step restarts from the construction's vectors"),
    _g("spectral_no_warmup", "SpectralNorm",
       "            _, u, v = power_iteration(weight_mat, v, num_iters=15)",
       "            _, u, v = power_iteration(weight_mat, v, num_iters=1)",
       "one warm-up iteration instead of 15"),

    # ---------------------------------------------------------------- gan.spectral_norm
    _g("spectral_norm_ignores_num_iters", "spectral_norm",
       '    parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, num_iters))',
       '    parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight))',
       "forgets to pass num_iters, so every layer does one iteration"),
    _g("spectral_norm_torch_builtin", "spectral_norm",
       '    parametrize.register_parametrization(module, "weight", SpectralNorm(module.weight, num_iters))',
       "    torch.nn.utils.spectral_norm(module, n_power_iterations=num_iters)",
       "uses torch's old hook-based spectral_norm instead of this file's parametrization"),

    # ---------------------------------------------------------------- losses
    _g("wgan_critic_sign", "wgan_critic_loss",
       "    return fake_scores.mean() - real_scores.mean()",
       "    return real_scores.mean() - fake_scores.mean()",
       "the critic loss sign flipped: the critic learns to prefer the fakes"),
    _g("wgan_critic_sum", "wgan_critic_loss",
       "    return fake_scores.mean() - real_scores.mean()",
       "    return fake_scores.sum() - real_scores.sum()",
       "sums instead of means"),
    _g("wgan_generator_sign", "wgan_generator_loss",
       "    \"\"\"\n    # TODO: the generator raises the critic's scores of its samples.\n    ### BEGIN SOLUTION\n"
       "    return -fake_scores.mean()",
       "    \"\"\"\n    # TODO: the generator raises the critic's scores of its samples.\n    ### BEGIN SOLUTION\n"
       "    return fake_scores.mean()",
       "the generator minimizes the critic's score of its samples", scope="wgan_generator_loss"),
    _g("wgan_generator_saturating", "wgan_generator_loss",
       "    \"\"\"\n    # TODO: the generator raises the critic's scores of its samples.\n    ### BEGIN SOLUTION\n"
       "    return -fake_scores.mean()",
       "    \"\"\"\n    # TODO: the generator raises the critic's scores of its samples.\n    ### BEGIN SOLUTION\n"
       "    return -F.logsigmoid(fake_scores).mean()",
       "the non-saturating GAN loss where the Wasserstein loss belongs", scope="wgan_generator_loss"),
    _g("hinge_critic_no_relu", "hinge_critic_loss",
       "    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()",
       "    return (1.0 - real_scores).mean() + (1.0 + fake_scores).mean()",
       "forgets the relu: the hinge loss becomes the Wasserstein loss plus 2"),
    _g("hinge_critic_swapped", "hinge_critic_loss",
       "    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()",
       "    return F.relu(1.0 + real_scores).mean() + F.relu(1.0 - fake_scores).mean()",
       "real and fake margins swapped"),
    _g("hinge_critic_joint_mean", "hinge_critic_loss",
       "    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()",
       "    return torch.cat([F.relu(1.0 - real_scores), F.relu(1.0 + fake_scores)]).mean()",
       "one mean over the concatenated batch: half the loss when the batches have equal sizes"),
    _g("hinge_generator_hinged", "hinge_generator_loss",
       "    # TODO: the same as the Wasserstein generator loss.\n    ### BEGIN SOLUTION\n"
       "    return -fake_scores.mean()",
       "    # TODO: the same as the Wasserstein generator loss.\n    ### BEGIN SOLUTION\n"
       "    return F.relu(1.0 - fake_scores).mean()",
       "a hinge on the generator's side too", scope="hinge_generator_loss"),
    _g("hinge_generator_sign", "hinge_generator_loss",
       "    # TODO: the same as the Wasserstein generator loss.\n    ### BEGIN SOLUTION\n"
       "    return -fake_scores.mean()",
       "    # TODO: the same as the Wasserstein generator loss.\n    ### BEGIN SOLUTION\n"
       "    return fake_scores.mean()",
       "the generator loss sign flipped", scope="hinge_generator_loss"),

    # ---------------------------------------------------------------- gan.gradient_penalty
    _g("penalty_no_create_graph", "gradient_penalty",
       "        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)  # (B, ...)",
       "        (grad,) = torch.autograd.grad(scores.sum(), x_hat)  # (B, ...)",
       "no create_graph: the penalty has no gradient with respect to the critic"),
    _g("penalty_norm_squared", "gradient_penalty",
       "    return weight * ((g - 1) ** 2).mean()",
       "    return weight * (g ** 2).mean()",
       "penalizes ‖∇f‖² instead of (‖∇f‖ - 1)²"),
    _g("penalty_one_eps", "gradient_penalty",
       "    eps = torch.rand(batch, *([1] * (real.dim() - 1)), dtype=real.dtype, device=real.device)",
       "    eps = torch.rand((), dtype=real.dtype, device=real.device)",
       "one ε for the whole batch instead of one per example"),
    _g("penalty_eps_per_element", "gradient_penalty",
       "    eps = torch.rand(batch, *([1] * (real.dim() - 1)), dtype=real.dtype, device=real.device)",
       "    eps = torch.rand_like(real)",
       "one ε per coordinate instead of one per example: x̂ leaves the segment between real and fake"),
    _g("penalty_global_norm", "gradient_penalty",
       "    g = grad.reshape(batch, -1).norm(dim=1)  # (B,)",
       "    g = grad.norm()  # ()",
       "one norm over the whole batch's gradient instead of one per example"),
    _g("penalty_normal_eps", "gradient_penalty",
       "    eps = torch.rand(batch, *([1] * (real.dim() - 1)), dtype=real.dtype, device=real.device)",
       "    eps = torch.randn(batch, *([1] * (real.dim() - 1)), dtype=real.dtype, device=real.device)",
       "ε ~ N(0, 1) instead of U(0, 1): points off the segment between real and fake"),
    _g("penalty_no_weight", "gradient_penalty",
       "    return weight * ((g - 1) ** 2).mean()",
       "    return ((g - 1) ** 2).mean()",
       "forgets the penalty weight λ"),

    # ---------------------------------------------------------------- gan.Generator, gan.Critic
    _g("generator_tanh_output", "Generator",
       "            nn.Linear(hidden_dim, 2),\n        )",
       "            nn.Linear(hidden_dim, 2), nn.Tanh(),\n        )",
       "a tanh output (copied from an image GAN): samples stuck in [-1, 1]², off the ring of radius 2"),
    _g("generator_no_latent_dim", "Generator",
       "        self.latent_dim = latent_dim\n        self.net",
       "        self.latent_dim = 2\n        self.net",
       "keeps a hard-coded latent size instead of the argument"),
    _g("critic_never_spectral", "Critic",
       "        wrap = spectral_norm if spectral else (lambda module: module)",
       "        wrap = lambda module: module  # noqa: E731",
       "ignores spectral=True"),
    _g("critic_last_layer_plain", "Critic",
       "            wrap(nn.Linear(hidden_dim, 1)),\n        )",
       "            nn.Linear(hidden_dim, 1),\n        )",
       "no spectral normalization on the output layer"),
    _g("critic_torch_spectral_norm", "Critic",
       "        wrap = spectral_norm if spectral else (lambda module: module)",
       "        wrap = nn.utils.parametrizations.spectral_norm if spectral else (lambda module: module)",
       "torch's spectral_norm instead of this file's"),

    # ---------------------------------------------------------------- gan.mode_coverage
    _g("mode_coverage_tensor_count", "mode_coverage",
       "    num_covered = int((counts > 0).sum())",
       "    num_covered = (counts > 0).sum()",
       "returns the number of modes as a 0-dim tensor instead of an int"),
    _g("mode_coverage_not_strict", "mode_coverage",
       "    high_quality = nearest_distance < 3 * std  # (N,)",
       "    high_quality = nearest_distance <= 3 * std  # (N,)",
       "≤ 3·std where the definition says strictly less"),
    _g("mode_coverage_two_std", "mode_coverage",
       "    high_quality = nearest_distance < 3 * std  # (N,)",
       "    high_quality = nearest_distance < 2 * std  # (N,)",
       "a 2·std radius instead of 3·std"),
    _g("mode_coverage_any_sample", "mode_coverage",
       "    num_covered = int((counts > 0).sum())",
       "    num_covered = int(torch.unique(nearest).numel())",
       "a mode counts as covered when it is the nearest centre of any sample, high quality or not"),
    _g("mode_coverage_kl_reversed", "mode_coverage",
       "    p = p[p > 0]\n    mode_kl = float((p * torch.log(num_modes * p)).sum())",
       "    p = p.clamp_min(1e-12)\n    mode_kl = float((torch.log(1 / (num_modes * p)) / num_modes).sum())",
       "KL(uniform ‖ p) instead of KL(p ‖ uniform)"),
    _g("mode_coverage_empty_zero", "mode_coverage",
       "        return num_covered, hq_fraction, math.log(num_modes)",
       "        return num_covered, hq_fraction, 0.0",
       "mode_kl 0 instead of log K when no sample is of high quality"),

    # ---------------------------------------------------------------- gan.train_wgan
    _g("train_no_critic_steps_check", "train_wgan",
       '    for name, value in (("num_steps", num_steps), ("critic_steps", critic_steps),\n'
       '                        ("batch_size", batch_size)):',
       '    for name, value in (("num_steps", num_steps), ("batch_size", batch_size)):',
       "critic_steps = 0 is accepted (and the history then fails) instead of raising ValueError"),
    _g("train_generator_every_critic_step", "train_wgan",
       "                opt_c.step()\n            # Algorithm 1, lines 10-11: one generator update.\n"
       "            generator_loss = generator_loss_fn(critic(generator(draw_z())))\n"
       "            opt_g.zero_grad(set_to_none=True)\n"
       "            generator_loss.backward()\n"
       "            opt_g.step()",
       "                opt_c.step()\n"
       "                generator_loss = generator_loss_fn(critic(generator(draw_z())))\n"
       "                opt_g.zero_grad(set_to_none=True)\n"
       "                generator_loss.backward()\n"
       "                opt_g.step()",
       "the generator updates as often as the critic"),
    _g("train_generator_default_betas", "train_wgan",
       "    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas)",
       "    opt_g = torch.optim.Adam(generator.parameters(), lr=lr)",
       "the generator's Adam keeps the default betas (0.9, 0.999)"),
    _g("train_ignores_hinge", "train_wgan",
       '    critic_loss_fn = wgan_critic_loss if loss == "wgan" else hinge_critic_loss',
       "    critic_loss_fn = wgan_critic_loss",
       "accepts loss='hinge' but trains the critic with the Wasserstein loss"),
    _g("train_ignores_penalty", "train_wgan",
       "                if gp_weight > 0:\n                    critic_loss = critic_loss + gradient_penalty",
       "                if gp_weight < 0:\n                    critic_loss = critic_loss + gradient_penalty",
       "accepts gp_weight but never adds the penalty"),
    _g("train_records_after_step", "train_wgan",
       '            history["critic_loss"].append(float(critic_loss.detach()))',
       '            history["critic_loss"].append(float(critic_loss_fn(critic(real), critic(fake)).detach()))',
       "records the critic loss after the optimizer step (and without the penalty)"),
    _g("train_no_zero_grad_critic", "train_wgan",
       "                opt_c.zero_grad(set_to_none=True)\n",
       "",
       "never zeroes the critic's gradients: they accumulate, the generator's step's included"),
]


# ---------------------------------------------------------------------------------------
# The ring test's high-quality threshold (issue 17; kept apart from the other blocks)
# ---------------------------------------------------------------------------------------
MUTANTS += [
    _g("gan_smeared_output", "Generator",
       "        ### BEGIN SOLUTION\n        return self.net(z)\n",
       "        ### BEGIN SOLUTION\n        return self.net(z) + torch.randn(z.shape[0], 2, dtype=z.dtype, device=z.device)\n",
       "adds N(0, I) noise to the generator's output (instance noise put on G instead of on the critic's "
       "inputs): 20,000 samples still reach every mode, but the median distance to the nearest mode is at "
       "least 0.78 wherever G puts its points (Monte Carlo), above RING_MAX_MEDIAN_DISTANCE = 0.7; the old "
       "high-quality threshold, 0.2%, let it pass (0.315% measured in one run, at most 0.312% plus sampling noise)"),
]

# =============================================================================================
# Clause mutants (issue 18, helper clauses18): one or more per clause test added for CLAUSES.md:
# wrong defaults, ignored constructor arguments, an unchecked argument, a penalty that reseeds the
# global generator, and a training loop that ignores batch_size.
# =============================================================================================
MUTANTS += [
    _g("power_iteration_default_two", "power_iteration",
       "                    num_iters: int = 1) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:",
       "                    num_iters: int = 2) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:",
       "a default of two iterations instead of the contract's one"),
    _g("spectral_module_default_three", "SpectralNorm",
       "    def __init__(self, weight: torch.Tensor, num_iters: int = 1):",
       "    def __init__(self, weight: torch.Tensor, num_iters: int = 3):",
       "SpectralNorm defaults to three power iterations per forward"),
    _g("spectral_norm_drops_num_iters_default", "spectral_norm",
       "def spectral_norm(module: nn.Module, num_iters: int = 1) -> nn.Module:",
       "def spectral_norm(module: nn.Module, num_iters: int = 2) -> nn.Module:",
       "spectral_norm defaults to two power iterations"),
    _g("penalty_default_weight_one", "gradient_penalty",
       "                     fake: torch.Tensor, weight: float = 10.0) -> torch.Tensor:",
       "                     fake: torch.Tensor, weight: float = 1.0) -> torch.Tensor:",
       "a default penalty weight of 1 instead of WGAN-GP's 10"),
    _g("penalty_no_shape_check", "gradient_penalty",
       "    if real.shape != fake.shape:\n        raise ValueError(f\"real and fake must have the same shape, got {tuple(real.shape)} \"\n"
       "                         f\"and {tuple(fake.shape)}\")\n",
       "",
       "no ValueError when real and fake differ in shape (broadcasting may hide the mistake)"),
    _g("penalty_reseeds", "gradient_penalty",
       "    eps = torch.rand(batch, *([1] * (real.dim() - 1)), dtype=real.dtype, device=real.device)",
       "    torch.manual_seed(0)\n    eps = torch.rand(batch, *([1] * (real.dim() - 1)), dtype=real.dtype, device=real.device)",
       "reseeds the global generator: every call interpolates with the same ε"),
    _g("generator_ignores_hidden_dim", "Generator",
       "            nn.Linear(latent_dim, hidden_dim), nn.ReLU(),\n            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),\n"
       "            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),\n            nn.Linear(hidden_dim, 2),",
       "            nn.Linear(latent_dim, 128), nn.ReLU(),\n            nn.Linear(128, 128), nn.ReLU(),\n"
       "            nn.Linear(128, 128), nn.ReLU(),\n            nn.Linear(128, 2),",
       "hidden_dim is silently ignored: the generator is always 128 wide"),
    _g("critic_ignores_hidden_dim", "Critic",
       "            wrap(nn.Linear(2, hidden_dim)), nn.LeakyReLU(0.2),\n"
       "            wrap(nn.Linear(hidden_dim, hidden_dim)), nn.LeakyReLU(0.2),\n"
       "            wrap(nn.Linear(hidden_dim, hidden_dim)), nn.LeakyReLU(0.2),\n            wrap(nn.Linear(hidden_dim, 1)),",
       "            wrap(nn.Linear(2, 128)), nn.LeakyReLU(0.2),\n"
       "            wrap(nn.Linear(128, 128)), nn.LeakyReLU(0.2),\n"
       "            wrap(nn.Linear(128, 128)), nn.LeakyReLU(0.2),\n            wrap(nn.Linear(128, 1)),",
       "hidden_dim is silently ignored: the critic is always 128 wide"),
    _g("critic_default_not_spectral", "Critic",
       "    def __init__(self, hidden_dim: int = 128, spectral: bool = True):",
       "    def __init__(self, hidden_dim: int = 128, spectral: bool = False):",
       "the critic is not spectrally normalized by default"),
    _g("train_ignores_batch_size", "train_wgan",
       "                real = sample_real(batch_size).to(dtype=dtype, device=device)  # (B, 2)",
       "                real = sample_real(256).to(dtype=dtype, device=device)  # (B, 2)",
       "the real batches ignore batch_size (always 256)"),
]
