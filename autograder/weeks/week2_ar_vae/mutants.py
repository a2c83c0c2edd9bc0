"""Week 2 mutants: realistic student mistakes, each an edit of the reference solution.

`python -m autograder mutants 2` builds every mutant (the reference with one `find` → `replace` edit,
`find` occurring exactly once in `solutions/week2_ar_vae/<file>`), grades it on the hidden tests of
the functions it changes, and fails when one keeps full marks.

Function names: `made.MADE` is the model itself (`__init__` and `forward`), `made.MADE.log_prob` and
`made.MADE.sample` its other methods; likewise `pixelcnn.PixelCNN` and `vae.VAE` (`__init__`, `encode`,
`decode`).
"""
from autograder.mutants import mutants_of


_m = mutants_of("made.py")
_p = mutants_of("pixelcnn.py")
_v = mutants_of("vae.py")


LOG_SIGMOID_MADE = ("        return (x * torch.log(torch.sigmoid(logits))\n"
                    "                + (1 - x) * torch.log(1 - torch.sigmoid(logits))).sum(-1)")

MUTANTS = [
    # ---------------------------------------------------------------- made.MaskedLinear
    _m("masked_linear_ignores_mask", "MaskedLinear",
       "        return F.linear(x, self.weight * self.mask, self.bias)",
       "        return F.linear(x, self.weight, self.bias)",
       "forward uses the raw weight: the mask is stored but never applied"),
    _m("masked_linear_plain_attribute", "MaskedLinear",
       '        self.register_buffer("mask", torch.ones_like(self.weight))',
       "        self.mask = torch.ones_like(self.weight)",
       "the mask is a plain attribute, not a buffer: it is not in the state dict and does not follow .to()"),
    _m("masked_linear_starts_at_zero", "MaskedLinear",
       '        self.register_buffer("mask", torch.ones_like(self.weight))',
       '        self.register_buffer("mask", torch.zeros_like(self.weight))',
       "the mask starts at zeros instead of ones: an unmasked layer outputs only its bias"),

    # ---------------------------------------------------------------- made.made_masks
    _m("masks_hidden_strict", "made_masks",
       "        masks.append((degrees_below.unsqueeze(0) <= degrees.unsqueeze(1)).float())  # (H, in)",
       "        masks.append((degrees_below.unsqueeze(0) < degrees.unsqueeze(1)).float())  # (H, in)",
       "strict < between hidden layers: degree-0 units lose every input, and paths are cut"),
    _m("masks_output_sees_itself", "made_masks",
       "    masks.append((degrees_below.unsqueeze(0) < order.unsqueeze(1)).float())        # (D, in)",
       "    masks.append((degrees_below.unsqueeze(0) <= order.unsqueeze(1)).float())        # (D, in)",
       "<= in the output layer: each output sees its own input"),
    _m("masks_cyclic_degrees", "made_masks",
       "        degrees = torch.arange(H) * (D - 1) // H                       # (H,) in 0 .. D-2",
       "        degrees = torch.arange(H) % (D - 1)                            # (H,) in 0 .. D-2",
       "cyclic hidden degrees k mod (D - 1) instead of the contract's floor(k (D - 1) / H)"),
    _m("masks_inputs_ignore_ordering", "made_masks",
       "    degrees_below = order                                              # (D,) input degrees",
       "    degrees_below = torch.arange(D)                                    # (D,) input degrees",
       "the input degrees ignore the ordering (only the outputs use it)"),
    _m("masks_bool", "made_masks",
       "        masks.append((degrees_below.unsqueeze(0) <= degrees.unsqueeze(1)).float())  # (H, in)",
       "        masks.append(degrees_below.unsqueeze(0) <= degrees.unsqueeze(1))  # (H, in)",
       "returns the hidden masks as bool tensors where the contract says float32 0/1"),
    _m("masks_accept_any_ordering", "made_masks",
       "        if order.is_floating_point() or order.shape != (D,) \\\n"
       "                or not torch.equal(order.sort().values.long(), torch.arange(D)):\n",
       "        if order.is_floating_point() or order.shape != (D,):\n",
       "an ordering with repeated or missing positions is accepted"),

    # ---------------------------------------------------------------- made.MADE (__init__, forward)
    _m("made_relu_on_logits", "MADE",
       "            if i > 0:\n                layers.append(nn.ReLU())\n            layers.append(layer)",
       "            layers.append(layer)\n            layers.append(nn.ReLU())",
       "a ReLU after the output layer too: the logits cannot go below 0, so no pixel is likely off"),
    _m("made_masks_without_ordering", "MADE",
       "        masks = made_masks(input_dim, hidden_sizes, ordering)",
       "        masks = made_masks(input_dim, hidden_sizes)",
       "the masks are built for the identity ordering, whatever the ordering given"),
    _m("made_masks_never_set", "MADE",
       "            layer.set_mask(mask)\n",
       "",
       "the masks are built but never set: a plain MLP that sees every input"),

    # ---------------------------------------------------------------- made.MADE.log_prob
    _m("made_log_prob_log_sigmoid", "MADE.log_prob",
       '        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)',
       LOG_SIGMOID_MADE,
       "log(sigmoid) in probability space: -inf (or NaN) for large logits"),
    _m("made_log_prob_mean", "MADE.log_prob",
       '        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)',
       '        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(-1)',
       "the mean over dimensions instead of the sum: not a log-probability"),
    _m("made_log_prob_nll", "MADE.log_prob",
       '        return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)',
       '        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)',
       "returns the negative log-likelihood (the loss) instead of the log-likelihood"),

    # ---------------------------------------------------------------- made.MADE.sample
    _m("made_sample_raster_order", "MADE.sample",
       "        for i in torch.argsort(self.ordering).tolist():",
       "        for i in range(self.input_dim):",
       "fills the dimensions in raster order, ignoring a permuted ordering"),
    _m("made_sample_ordering_not_argsort", "MADE.sample",
       "        for i in torch.argsort(self.ordering).tolist():",
       "        for i in self.ordering.tolist():",
       "iterates over ordering instead of argsort(ordering): the two differ unless the permutation is an involution"),
    _m("made_sample_one_pass", "MADE.sample",
       "        for i in torch.argsort(self.ordering).tolist():\n"
       "            logits = self.forward(x)                                   # (S, D)\n"
       "            x[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))",
       "        logits = self.forward(x)                                       # (S, D)\n"
       "        x = torch.bernoulli(torch.sigmoid(logits))",
       "one forward pass for all dimensions: every dimension is drawn given zeros"),
    _m("made_sample_threshold", "MADE.sample",
       "            x[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))",
       "            x[:, i] = (logits[:, i] > 0).to(x.dtype)",
       "greedy decoding: thresholds the probability at 1/2 instead of drawing"),
    _m("made_sample_per_example", "MADE.sample",
       "        for i in torch.argsort(self.ordering).tolist():\n"
       "            logits = self.forward(x)                                   # (S, D)\n"
       "            x[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))",
       "        for s in range(num_samples):\n"
       "            for i in torch.argsort(self.ordering).tolist():\n"
       "                logits = self.forward(x[s:s + 1])                      # (1, D)\n"
       "                x[s, i] = torch.bernoulli(torch.sigmoid(logits[0, i]))",
       "loops over the samples too: S * D forward passes instead of D"),
    _m("made_sample_default_dtype", "MADE.sample",
       "        x = torch.zeros(num_samples, self.input_dim, dtype=weight.dtype, device=weight.device)",
       "        x = torch.zeros(num_samples, self.input_dim, device=weight.device)",
       "samples in the default dtype, whatever the model's"),

    # ---------------------------------------------------------------- pixelcnn.MaskedConv2d
    _p("conv_type_a_sees_centre", "MaskedConv2d",
       '        mask[:, :, centre, centre + (mask_type == "B"):] = 0           # centre row, from the centre (A) or after it (B)',
       "        mask[:, :, centre, centre + 1:] = 0",
       "type A keeps the centre: every pixel sees itself"),
    _p("conv_type_b_hides_centre", "MaskedConv2d",
       '        mask[:, :, centre, centre + (mask_type == "B"):] = 0           # centre row, from the centre (A) or after it (B)',
       "        mask[:, :, centre, centre:] = 0",
       "type B hides the centre too: every layer is type A, and the receptive field shrinks"),
    _p("conv_rows_below_kept", "MaskedConv2d",
       "        mask[:, :, centre + 1:, :] = 0                                 # all rows below\n",
       "",
       "forgets to hide the rows below the centre"),
    _p("conv_whole_centre_row_hidden", "MaskedConv2d",
       '        mask[:, :, centre, centre + (mask_type == "B"):] = 0           # centre row, from the centre (A) or after it (B)',
       '        mask[:, :, centre, :] = 0',
       "hides the whole centre row, the pixels to the left included"),
    _p("conv_forward_unmasked", "MaskedConv2d",
       "        return self._conv_forward(x, self.weight * self.mask, self.bias)",
       "        return super().forward(x)",
       "forward runs the plain convolution: the mask is built but never applied"),
    _p("conv_accepts_even_kernel", "MaskedConv2d",
       "        if kernel_size < 1 or kernel_size % 2 == 0:",
       "        if kernel_size < 1:",
       "an even kernel (no centre pixel) is accepted"),

    # ---------------------------------------------------------------- pixelcnn.PixelCNN (__init__, forward)
    _p("pixelcnn_first_layer_b", "PixelCNN",
       '        layers: List[nn.Module] = [MaskedConv2d("A", 1, hidden_channels, kernel_size), nn.ReLU()]',
       '        layers: List[nn.Module] = [MaskedConv2d("B", 1, hidden_channels, kernel_size), nn.ReLU()]',
       "a type-B first layer: each pixel sees itself"),
    _p("pixelcnn_all_layers_a", "PixelCNN",
       '            layers += [MaskedConv2d("B", hidden_channels, hidden_channels, kernel_size), nn.ReLU()]',
       '            layers += [MaskedConv2d("A", hidden_channels, hidden_channels, kernel_size), nn.ReLU()]',
       "every layer type A: the pixel to the left (and more) drops out of the receptive field"),
    _p("pixelcnn_forward_probabilities", "PixelCNN",
       "        return self.net(x)",
       "        return torch.sigmoid(self.net(x))",
       "forward returns probabilities where logits belong: every pixel ends up between 1/2 and 0.73"),

    # ---------------------------------------------------------------- pixelcnn.PixelCNN.log_prob
    _p("pixelcnn_log_prob_log_sigmoid", "PixelCNN.log_prob",
       '        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
       "        nll = -(x * torch.log(torch.sigmoid(logits)) + (1 - x) * torch.log(1 - torch.sigmoid(logits)))",
       "log(sigmoid) in probability space: -inf (or NaN) for large logits"),
    _p("pixelcnn_log_prob_mean", "PixelCNN.log_prob",
       "        return -nll.flatten(1).sum(-1)                                 # (B, H*W) -> (B,)",
       "        return -nll.flatten(1).mean(-1)                                # (B, H*W) -> (B,)",
       "the mean over pixels instead of the sum"),
    _p("pixelcnn_log_prob_last_dim", "PixelCNN.log_prob",
       "        return -nll.flatten(1).sum(-1)                                 # (B, H*W) -> (B,)",
       "        return -nll.sum(-1).squeeze(1)                                 # (B, H)",
       "sums over the last dimension only, like a MADE's (B, D)"),

    # ---------------------------------------------------------------- pixelcnn.PixelCNN.sample
    _p("pixelcnn_sample_column_order", "PixelCNN.sample",
       "        for i in range(height):\n            for j in range(width):",
       "        for j in range(width):\n            for i in range(height):",
       "samples column by column instead of in raster order"),
    _p("pixelcnn_sample_one_pass", "PixelCNN.sample",
       "        for i in range(height):\n"
       "            for j in range(width):\n"
       "                logits = self.forward(x)                               # (S, 1, H, W)\n"
       "                x[:, 0, i, j] = torch.bernoulli(torch.sigmoid(logits[:, 0, i, j]))",
       "        logits = self.forward(x)                                       # (S, 1, H, W)\n"
       "        x = torch.bernoulli(torch.sigmoid(logits))",
       "one forward pass for the whole image: every pixel drawn given zeros"),
    _p("pixelcnn_sample_no_write_back", "PixelCNN.sample",
       "        x = torch.zeros(num_samples, 1, height, width, dtype=weight.dtype, device=weight.device)\n"
       "        for i in range(height):\n"
       "            for j in range(width):\n"
       "                logits = self.forward(x)                               # (S, 1, H, W)\n"
       "                x[:, 0, i, j] = torch.bernoulli(torch.sigmoid(logits[:, 0, i, j]))\n"
       "        return x",
       "        x = torch.zeros(num_samples, 1, height, width, dtype=weight.dtype, device=weight.device)\n"
       "        out = torch.zeros_like(x)\n"
       "        for i in range(height):\n"
       "            for j in range(width):\n"
       "                logits = self.forward(x)                               # (S, 1, H, W)\n"
       "                out[:, 0, i, j] = torch.bernoulli(torch.sigmoid(logits[:, 0, i, j]))\n"
       "        return out",
       "draws each pixel into a separate tensor: the network always conditions on zeros"),
    _p("pixelcnn_sample_two_passes", "PixelCNN.sample",
       "                x[:, 0, i, j] = torch.bernoulli(torch.sigmoid(logits[:, 0, i, j]))",
       "                probs = torch.sigmoid(self.forward(x))[:, 0, i, j]\n"
       "                x[:, 0, i, j] = torch.bernoulli(probs)",
       "runs the network a second time per pixel to get the probabilities"),
    _p("pixelcnn_sample_default_dtype", "PixelCNN.sample",
       "        x = torch.zeros(num_samples, 1, height, width, dtype=weight.dtype, device=weight.device)",
       "        x = torch.zeros(num_samples, 1, height, width, device=weight.device)",
       "samples in the default dtype, whatever the model's"),

    # ---------------------------------------------------------------- vae.reparameterize
    _v("reparam_torch_normal", "reparameterize",
       "    eps = torch.randn_like(mu)\n    return mu + torch.exp(0.5 * logvar) * eps",
       "    return torch.normal(mu, torch.exp(0.5 * logvar))",
       "torch.normal(mu, sigma): the right distribution, but zero gradients to mu and logvar"),
    _v("reparam_std_is_exp_logvar", "reparameterize",
       "    return mu + torch.exp(0.5 * logvar) * eps",
       "    return mu + torch.exp(logvar) * eps",
       "sigma = exp(logvar) instead of exp(logvar / 2)"),
    _v("reparam_detached", "reparameterize",
       "    return mu + torch.exp(0.5 * logvar) * eps",
       "    return (mu + torch.exp(0.5 * logvar) * eps).detach()",
       "detaches z: no gradient reaches the encoder"),
    _v("reparam_returns_eps", "reparameterize",
       "    return mu + torch.exp(0.5 * logvar) * eps",
       "    return mu + torch.exp(0.5 * logvar) * eps, eps",
       "returns (z, eps) where the contract asks for z alone"),
    _v("reparam_shared_noise", "reparameterize",
       "    eps = torch.randn_like(mu)",
       "    eps = torch.randn_like(mu[:, :1])",
       "one noise draw shared by all latent coordinates of an example"),

    # ---------------------------------------------------------------- vae.kl_standard_normal
    _v("kl_wrong_sign", "kl_standard_normal",
       "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
       "    return -0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
       "the KL with the wrong sign"),
    _v("kl_no_half", "kl_standard_normal",
       "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
       "    return (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
       "forgets the factor 1/2"),
    _v("kl_sigma_as_variance", "kl_standard_normal",
       "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
       "    return 0.5 * (mu.pow(2) + logvar.exp().pow(2) - 1.0 - logvar).sum(-1)",
       "squares exp(logvar) as if it were the standard deviation"),
    _v("kl_mean_over_latents", "kl_standard_normal",
       "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)",
       "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).mean(-1)",
       "the mean over latent dimensions instead of the sum"),

    # ---------------------------------------------------------------- vae.bernoulli_log_likelihood
    _v("bernoulli_log_sigmoid", "bernoulli_log_likelihood",
       '    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
       "    log_px = x * torch.log(torch.sigmoid(logits)) + (1 - x) * torch.log(1 - torch.sigmoid(logits))",
       "log(sigmoid) in probability space: -inf (or NaN) for logits of +-1e4"),
    _v("bernoulli_last_dim_only", "bernoulli_log_likelihood",
       "    return log_px.reshape(log_px.shape[0], -1).sum(-1)                 # (B, prod(...)) -> (B,)",
       "    return log_px.sum(-1)",
       "sums over the last dimension only: images (B, 1, H, W) give (B, 1, H)"),
    _v("bernoulli_mean", "bernoulli_log_likelihood",
       "    return log_px.reshape(log_px.shape[0], -1).sum(-1)                 # (B, prod(...)) -> (B,)",
       "    return log_px.reshape(log_px.shape[0], -1).mean(-1)",
       "the mean over pixels instead of the sum"),
    _v("bernoulli_arguments_swapped", "bernoulli_log_likelihood",
       '    log_px = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")',
       '    log_px = -F.binary_cross_entropy_with_logits(x, torch.sigmoid(logits), reduction="none")',
       "passes the data as the logits and the probabilities as the targets"),

    # ---------------------------------------------------------------- vae.VAE (__init__, encode, decode)
    _v("vae_encode_chunk_batch", "VAE",
       "        mu, logvar = self.encoder(x).chunk(2, dim=-1)                  # (B, 2L) -> 2 x (B, L)",
       "        mu, logvar = self.encoder(x).chunk(2, dim=0)",
       "splits the encoder's output along the batch instead of the features"),
    _v("vae_decoder_sigmoid", "VAE",
       "            nn.Linear(hidden_dim, input_dim))",
       "            nn.Linear(hidden_dim, input_dim), nn.Sigmoid())",
       "the decoder ends in a sigmoid, and its probabilities are then used as logits"),
    _v("vae_latent_dim_hard_coded", "VAE",
       "            nn.Linear(hidden_dim, 2 * latent_dim))",
       "            nn.Linear(hidden_dim, 2 * 16))",
       "the encoder hard-codes 16 latent dimensions"),

    # ---------------------------------------------------------------- vae.VAE.elbo
    _v("elbo_plus_kl", "VAE.elbo",
       "        return recon - kl, recon, kl",
       "        return recon + kl, recon, kl",
       "the KL with the wrong sign in the ELBO"),
    _v("elbo_z_is_mean", "VAE.elbo",
       "        z = reparameterize(mu, logvar)                                 # (B, L)",
       "        z = mu                                                         # (B, L)",
       "decodes the posterior mean instead of a sample"),
    _v("elbo_torch_normal", "VAE.elbo",
       "        z = reparameterize(mu, logvar)                                 # (B, L)",
       "        z = torch.normal(mu, torch.exp(0.5 * logvar))                  # (B, L)",
       "samples z with torch.normal: the reconstruction term sends no gradient to the encoder"),
    _v("elbo_detached_z", "VAE.elbo",
       "        z = reparameterize(mu, logvar)                                 # (B, L)",
       "        z = reparameterize(mu, logvar).detach()                        # (B, L)",
       "detaches z before decoding"),
    _v("elbo_monte_carlo_kl", "VAE.elbo",
       "        kl = kl_standard_normal(mu, logvar)                            # (B,)",
       "        kl = (0.5 * (z.pow(2) - (z - mu).pow(2) / logvar.exp() - logvar)).sum(-1)",
       "a one-sample Monte-Carlo KL where the contract asks for the closed form"),

    # ---------------------------------------------------------------- vae.VAE.iwae_bound
    _v("iwae_outside_log_space", "VAE.iwae_bound",
       "        return torch.logsumexp(log_w, dim=0) - math.log(K)",
       "        return torch.log(torch.exp(log_w).mean(dim=0))",
       "averages the importance weights outside log space: exp(-500) underflows to 0"),
    _v("iwae_one_z_reused", "VAE.iwae_bound",
       "        eps = torch.randn((K,) + mu.shape, dtype=mu.dtype, device=mu.device)  # (K, B, L)",
       "        eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device).expand((K,) + mu.shape)",
       "one z reused for all K samples: the bound stays the ELBO's"),
    _v("iwae_mean_log_weights", "VAE.iwae_bound",
       "        return torch.logsumexp(log_w, dim=0) - math.log(K)",
       "        return log_w.mean(dim=0)",
       "the mean of the log-weights (the ELBO again) instead of the log of their mean"),
    _v("iwae_no_log_k", "VAE.iwae_bound",
       "        return torch.logsumexp(log_w, dim=0) - math.log(K)",
       "        return torch.logsumexp(log_w, dim=0)",
       "forgets - log K: the bound grows by log K"),
    _v("iwae_likelihood_only", "VAE.iwae_bound",
       "        log_w = log_px_z + log_pz - log_qz                             # (K, B)",
       "        log_w = log_px_z                                               # (K, B)",
       "log-mean-exp of the likelihoods alone: forgets the prior and the proposal"),
    _v("iwae_accepts_zero_samples", "VAE.iwae_bound",
       '        if num_samples < 1:\n            raise ValueError(f"num_samples must be at least 1, got {num_samples}")\n'
       "        K = num_samples",
       "        K = num_samples",
       "no ValueError for num_samples < 1"),

    # ---------------------------------------------------------------- vae.VAE.sample
    _v("vae_sample_uniform_prior", "VAE.sample",
       "        z = torch.randn(num_samples, self.latent_dim, dtype=weight.dtype, device=weight.device)",
       "        z = torch.rand(num_samples, self.latent_dim, dtype=weight.dtype, device=weight.device)",
       "z ~ U(0, 1) (torch.rand) instead of N(0, I)"),
    _v("vae_sample_probabilities", "VAE.sample",
       "        return torch.bernoulli(torch.sigmoid(self.decode(z)))",
       "        return torch.sigmoid(self.decode(z))",
       "returns the decoder's probabilities instead of Bernoulli draws"),
    _v("vae_sample_threshold", "VAE.sample",
       "        return torch.bernoulli(torch.sigmoid(self.decode(z)))",
       "        return (self.decode(z) > 0).to(z.dtype)",
       "thresholds the probabilities at 1/2 instead of drawing"),
    _v("vae_sample_default_dtype", "VAE.sample",
       "        z = torch.randn(num_samples, self.latent_dim, dtype=weight.dtype, device=weight.device)",
       "        z = torch.randn(num_samples, self.latent_dim, device=weight.device).to(weight.dtype)\n"
       "        return torch.bernoulli(torch.sigmoid(self.decode(z))).float()",
       "returns float32 samples whatever the model's dtype"),
]


# =================================================================================================================
# transformer.py (added 2026-12-06): its own block, appended to MUTANTS below.
# =================================================================================================================
_t = mutants_of("transformer.py")


_SCORES = "        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)         # (B, H, T, T)"
_FUTURE = '        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)  # (T, T): s > t'
_MASK_SOFTMAX = ('        scores = scores.masked_fill(future, float("-inf"))\n'
                 "        weights = torch.softmax(scores, dim=-1)                             # (B, H, T, T)")
_FILTER_TOP_K = ("    if top_k is not None and top_k < logits.shape[-1]:\n"
                 "        kth_largest = torch.topk(logits, top_k, dim=-1).values[..., -1:]   # (B, 1)\n"
                 '        logits = logits.masked_fill(logits < kth_largest, float("-inf"))\n')
_FILTER_TOP_P = ("    if top_p is not None and top_p < 1:\n"
                 "        sorted_probs, order = torch.sort(torch.softmax(logits, dim=-1), dim=-1, descending=True)\n"
                 "        mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs    # (B, V), exclusive\n"
                 "        remove = torch.zeros_like(mass_before, dtype=torch.bool).scatter(-1, order, mass_before >= top_p)\n"
                 '        logits = logits.masked_fill(remove, float("-inf"))\n')
_STEP = ("            logits = self.forward(context)[:, -1, :] / temperature          # (B, V)\n"
         "            logits = filter_logits(logits, top_k, top_p)")

TRANSFORMER_MUTANTS = [
    # ---------------------------------------------------------------- transformer.CausalSelfAttention
    _t("attn_no_scaling", "CausalSelfAttention", _SCORES,
       "        scores = q @ k.transpose(-2, -1)                                   # (B, H, T, T)",
       "forgets the 1/sqrt(head_dim) scaling of the scores"),
    _t("attn_scaled_by_embed_dim", "CausalSelfAttention", _SCORES,
       "        scores = q @ k.transpose(-2, -1) / math.sqrt(C)                    # (B, H, T, T)",
       "scales by sqrt(embed_dim) instead of sqrt(head_dim)"),
    _t("attn_no_mask", "CausalSelfAttention", _MASK_SOFTMAX,
       "        weights = torch.softmax(scores, dim=-1)                             # (B, H, T, T)",
       "no causal mask: every position sees the future"),
    _t("attn_mask_hides_diagonal", "CausalSelfAttention", _FUTURE,
       '        future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(0)  # (T, T): s > t',
       "triu(0) instead of triu(1): a position cannot attend to itself (the first row is all -inf: NaN)"),
    _t("attn_mask_hides_past", "CausalSelfAttention", _FUTURE,
       '        future = torch.ones(T, T, dtype=torch.bool, device=x.device).tril(-1)  # (T, T): s > t',
       "tril instead of triu: the mask hides the past and shows the future"),
    _t("attn_softmax_over_queries", "CausalSelfAttention", _MASK_SOFTMAX,
       '        scores = scores.masked_fill(future, float("-inf"))\n'
       "        weights = torch.softmax(scores, dim=-2).nan_to_num()                # (B, H, T, T)",
       "softmax over the queries (dim=-2) instead of the keys"),
    _t("attn_mask_after_softmax", "CausalSelfAttention", _MASK_SOFTMAX,
       "        weights = torch.softmax(scores, dim=-1).masked_fill(future, 0.0)    # (B, H, T, T)",
       "zeroes the future weights after the softmax: the rows no longer sum to 1"),
    _t("attn_mask_after_softmax_renormalized", "CausalSelfAttention", _MASK_SOFTMAX,
       "        weights = torch.softmax(scores, dim=-1).masked_fill(future, 0.0)    # (B, H, T, T)\n"
       "        weights = weights / weights.sum(dim=-1, keepdim=True)",
       "masks after a softmax over all keys, then renormalizes: equal in exact arithmetic, but a huge future "
       "score takes all the mass first (0/0)"),
    _t("attn_heads_not_transposed_back", "CausalSelfAttention",
       "        y = y.transpose(1, 2).reshape(B, T, C)                              # (B, T, C), heads in order",
       "        y = y.reshape(B, T, C)                                              # (B, T, C), heads in order",
       "reshapes (B, H, T, hd) to (B, T, C) without moving the heads back: positions and heads get mixed"),
    _t("attn_heads_split_wrong", "CausalSelfAttention",
       "        q = q.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)     # (B, H, T, hd)\n"
       "        k = k.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)     # (B, H, T, hd)\n"
       "        v = v.view(B, T, self.num_heads, self.head_dim).transpose(1, 2)     # (B, H, T, hd)",
       "        q = q.view(B, T, self.head_dim, self.num_heads).transpose(1, 3).transpose(2, 3)  # (B, H, T, hd)\n"
       "        k = k.view(B, T, self.head_dim, self.num_heads).transpose(1, 3).transpose(2, 3)  # (B, H, T, hd)\n"
       "        v = v.view(B, T, self.head_dim, self.num_heads).transpose(1, 3).transpose(2, 3)  # (B, H, T, hd)",
       "splits C as (head_dim, num_heads) instead of (num_heads, head_dim): heads take strided channels"),
    _t("attn_k_q_swapped", "CausalSelfAttention",
       "        q, k, v = self.qkv(x).split(C, dim=-1)                              # 3 x (B, T, C)",
       "        k, q, v = self.qkv(x).split(C, dim=-1)                              # 3 x (B, T, C)",
       "takes the first slice of qkv as the keys and the second as the queries"),
    _t("attn_no_output_projection", "CausalSelfAttention", "        return self.proj(y)\n",
       "        return y\n", "forgets the output projection proj"),
    _t("attn_uses_sdpa", "CausalSelfAttention", _SCORES + "\n" + _FUTURE + "\n" + _MASK_SOFTMAX + "\n"
       "        y = weights @ v                                                     # (B, H, T, hd)",
       "        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)        # (B, H, T, hd)",
       "calls torch's scaled_dot_product_attention, which the contract disables in grading"),

    # ---------------------------------------------------------------- transformer.Block
    _t("block_post_norm", "Block",
       "        x = x + self.attn(self.ln1(x))\n        x = x + self.mlp(self.ln2(x))\n",
       "        x = self.ln1(x + self.attn(x))\n        x = self.ln2(x + self.mlp(x))\n",
       "post-norm (the 2017 block) instead of the contract's pre-norm"),
    _t("block_relu", "Block", "4 * embed_dim), nn.GELU(),", "4 * embed_dim), nn.ReLU(),",
       "ReLU instead of GELU in the MLP"),
    _t("block_tanh_gelu", "Block", "4 * embed_dim), nn.GELU(),", '4 * embed_dim), nn.GELU(approximate="tanh"),',
       "the tanh approximation of GELU instead of the exact (erf) one"),
    _t("block_mlp_without_residual", "Block", "        x = x + self.mlp(self.ln2(x))\n",
       "        x = self.mlp(self.ln2(x))\n", "forgets the residual connection around the MLP"),
    _t("block_one_norm_twice", "Block", "        x = x + self.mlp(self.ln2(x))\n",
       "        x = x + self.mlp(self.ln1(x))\n", "normalizes the MLP's input with ln1 (ln2 left unused)"),

    # ---------------------------------------------------------------- transformer.CharTransformer
    _t("model_no_positions", "CharTransformer",
       "        x = self.tok_emb(idx) + self.pos_emb(positions)                     # (B, T, C)",
       "        x = self.tok_emb(idx)                                               # (B, T, C)",
       "forgets the position embeddings"),
    _t("model_no_final_norm", "CharTransformer", "        return self.head(self.ln_f(x))",
       "        return self.head(x)", "forgets the final LayerNorm ln_f"),
    _t("model_first_block_only", "CharTransformer",
       "        for block in self.blocks:\n            x = block(x)                                                    # (B, T, C)\n",
       "        x = self.blocks[0](x)                                               # (B, T, C)\n",
       "applies only the first block"),
    _t("model_tied_head", "CharTransformer", "        self.head = nn.Linear(embed_dim, vocab_size)\n",
       "        self.head = nn.Linear(embed_dim, vocab_size)\n        self.head.weight = self.tok_emb.weight\n",
       "ties the head to the token embedding (GPT-2 does; the contract does not)"),
    _t("model_dropout", "CharTransformer",
       "        x = self.tok_emb(idx) + self.pos_emb(positions)                     # (B, T, C)",
       "        x = F.dropout(self.tok_emb(idx) + self.pos_emb(positions), 0.1, self.training)  # (B, T, C)",
       "adds dropout on the embeddings (the contract has none): the output is random in train mode"),
    _t("model_accepts_long_input", "CharTransformer",
       "        if not 1 <= T <= self.context_length:\n", "        if T < 1:\n",
       "no ValueError for T > context_length (the position embedding then fails with an IndexError)"),

    # ---------------------------------------------------------------- transformer.CharTransformer.loss
    _t("loss_targets_not_shifted", "CharTransformer.loss", "                               idx[:, 1:].reshape(-1))",
       "                               idx[:, :-1].reshape(-1))",
       "compares each position's logits with its own token instead of the next one"),
    _t("loss_sum", "CharTransformer.loss", "                               idx[:, 1:].reshape(-1))",
       '                               idx[:, 1:].reshape(-1), reduction="sum")',
       "a sum over the B*T predictions instead of the mean"),
    _t("loss_in_bits", "CharTransformer.loss", "                               idx[:, 1:].reshape(-1))",
       "                               idx[:, 1:].reshape(-1)) / math.log(2)",
       "the loss in bits instead of nats"),
    _t("loss_sum_over_time", "CharTransformer.loss",
       "        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]),        # (B*T, V)\n"
       "                               idx[:, 1:].reshape(-1))                      # (B*T,)",
       "        return F.cross_entropy(logits.transpose(1, 2), idx[:, 1:], reduction=\"none\").sum(1).mean()",
       "sums over the positions and averages over the batch only (nats per sequence, not per token)"),

    # ---------------------------------------------------------------- transformer.CharTransformer.generate
    _t("gen_ignores_temperature", "CharTransformer.generate", _STEP,
       "            logits = self.forward(context)[:, -1, :]                        # (B, V)\n"
       "            logits = filter_logits(logits, top_k, top_p)",
       "never divides by the temperature"),
    _t("gen_multiplies_temperature", "CharTransformer.generate", _STEP,
       "            logits = self.forward(context)[:, -1, :] * temperature          # (B, V)\n"
       "            logits = filter_logits(logits, top_k, top_p)",
       "multiplies the logits by the temperature instead of dividing"),
    _t("gen_filter_before_temperature", "CharTransformer.generate", _STEP,
       "            logits = self.forward(context)[:, -1, :]                        # (B, V)\n"
       "            logits = filter_logits(logits, top_k, top_p) / temperature",
       "filters (top-k, top-p) before dividing by the temperature"),
    _t("gen_greedy", "CharTransformer.generate",
       "            next_token = torch.multinomial(torch.softmax(logits, dim=-1), 1)  # (B, 1)",
       "            next_token = logits.argmax(dim=-1, keepdim=True)                # (B, 1)",
       "takes the most probable token instead of sampling"),
    _t("gen_first_position", "CharTransformer.generate", _STEP,
       "            logits = self.forward(context)[:, 0, :] / temperature           # (B, V)\n"
       "            logits = filter_logits(logits, top_k, top_p)",
       "samples from the first position's logits instead of the last"),
    _t("gen_no_crop", "CharTransformer.generate",
       "            context = idx[:, -self.context_length:]                         # (B, <= T_max)",
       "            context = idx                                                   # (B, <= T_max)",
       "never crops the context: fails once the sequence is longer than context_length"),
    _t("gen_crops_the_start", "CharTransformer.generate",
       "            context = idx[:, -self.context_length:]                         # (B, <= T_max)",
       "            context = idx[:, :self.context_length]                          # (B, <= T_max)",
       "keeps the first context_length tokens instead of the last"),
    _t("gen_does_not_condition_on_draws", "CharTransformer.generate",
       "        for _ in range(num_new_tokens):\n            context = idx[:, -self.context_length:]",
       "        prompt = idx\n        for _ in range(num_new_tokens):\n            context = prompt[:, -self.context_length:]",
       "every step conditions on the prompt only, not on the tokens drawn so far"),

    # ---------------------------------------------------------------- transformer.filter_logits (through generate)
    _t("filter_top_p_before_top_k", ("CharTransformer.generate",), _FILTER_TOP_K + _FILTER_TOP_P,
       _FILTER_TOP_P + _FILTER_TOP_K, "applies top-p before top-k (the nucleus of the unfiltered distribution)"),
    _t("filter_top_k_drops_kth", ("CharTransformer.generate",),
       '        logits = logits.masked_fill(logits < kth_largest, float("-inf"))',
       '        logits = logits.masked_fill(logits <= kth_largest, float("-inf"))',
       "<= instead of <: keeps k - 1 tokens"),
    _t("filter_top_p_inclusive_mass", ("CharTransformer.generate",),
       "        mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs    # (B, V), exclusive",
       "        mass_before = torch.cumsum(sorted_probs, dim=-1)                   # (B, V), exclusive",
       "removes the token that crosses p (inclusive cumulative sum): the kept mass falls short of p"),
]
MUTANTS += TRANSFORMER_MUTANTS

# =============================================================================================
# Clause mutants (issue 18, helper clauses18): one or more per clause test added for CLAUSES.md.
# Each breaks one clause that no test checked before: an ignored constructor argument, a kept
# reference where the contract copies, a sampler that reseeds (or restores) the global generator.
# =============================================================================================
MUTANTS += [
    _m("masked_linear_ignores_bias_argument", "MaskedLinear",
       "        super().__init__(in_features, out_features, bias)",
       "        super().__init__(in_features, out_features)",
       "the bias argument is silently dropped: bias=False still gives a bias"),
    _m("masked_linear_set_mask_aliases", "MaskedLinear",
       "        self.mask.copy_(mask.to(dtype=self.mask.dtype, device=self.mask.device))",
       "        self.mask = mask.to(dtype=self.mask.dtype, device=self.mask.device)",
       "keeps the caller's tensor (`.to` returns it unchanged when the dtype matches): a later edit of it changes the layer"),
    _m("masks_accept_empty_layer", "made_masks",
       "        if H < 1:",
       "        if H < 0:",
       "a hidden width of 0 is accepted (it cuts every path)"),
    _m("made_ignores_hidden_sizes", "MADE",
       "        masks = made_masks(input_dim, hidden_sizes, ordering)",
       "        masks = made_masks(input_dim, [64, 64], ordering)",
       "hidden_sizes is silently ignored: a fixed architecture"),
    _m("made_no_relu", "MADE",
       "            if i > 0:\n                layers.append(nn.ReLU())\n",
       "",
       "no ReLU between the layers: the masked MLP is linear"),
    _m("made_default_ordering_reversed", "MADE",
       "        masks = made_masks(input_dim, hidden_sizes, ordering)",
       "        if ordering is None:\n            ordering = list(range(input_dim))[::-1]\n"
       "        masks = made_masks(input_dim, hidden_sizes, ordering)",
       "the default ordering is D-1, ..., 0 instead of arange(D)"),
    _m("made_swallows_bad_ordering", "MADE",
       "        masks = made_masks(input_dim, hidden_sizes, ordering)",
       "        try:\n            masks = made_masks(input_dim, hidden_sizes, ordering)\n"
       "        except ValueError:\n            masks = made_masks(max(input_dim, 2), hidden_sizes)",
       "catches made_masks' ValueError and falls back to the identity ordering"),
    _m("made_sample_reseeds", "MADE.sample",
       "        weight = self.net[0].weight\n        x = torch.zeros(num_samples, self.input_dim,",
       "        torch.manual_seed(0)\n        weight = self.net[0].weight\n        x = torch.zeros(num_samples, self.input_dim,",
       "reseeds the global generator: every call returns the same draws"),
    _m("made_sample_forks_rng", "MADE.sample",
       "        for i in torch.argsort(self.ordering).tolist():\n"
       "            logits = self.forward(x)                                   # (S, D)\n"
       "            x[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))",
       "        with torch.random.fork_rng():\n"
       "            for i in torch.argsort(self.ordering).tolist():\n"
       "                logits = self.forward(x)                               # (S, D)\n"
       "                x[:, i] = torch.bernoulli(torch.sigmoid(logits[:, i]))",
       "draws inside fork_rng: the global generator is restored, so every call repeats the same draws"),
    _p("pixelcnn_ignores_num_layers", "PixelCNN",
       "        for _ in range(num_layers - 1):",
       "        for _ in range(6):",
       "num_layers is silently ignored: always 7 masked convolutions"),
    _p("pixelcnn_ignores_kernel_size", "PixelCNN",
       '            layers += [MaskedConv2d("B", hidden_channels, hidden_channels, kernel_size), nn.ReLU()]',
       '            layers += [MaskedConv2d("B", hidden_channels, hidden_channels, 3), nn.ReLU()]',
       "the type-B layers ignore kernel_size"),
    _p("pixelcnn_default_five_layers", "PixelCNN",
       "    def __init__(self, hidden_channels: int = 64, num_layers: int = 7, kernel_size: int = 7):\n        super().__init__()",
       "    def __init__(self, hidden_channels: int = 64, num_layers: int = 5, kernel_size: int = 7):\n        super().__init__()",
       "a default num_layers other than the contract's 7"),
    _p("pixelcnn_sample_reseeds", "PixelCNN.sample",
       "        weight = self.net[0].weight\n        x = torch.zeros(num_samples, 1, height, width,",
       "        torch.manual_seed(1234)\n        weight = self.net[0].weight\n        x = torch.zeros(num_samples, 1, height, width,",
       "reseeds the global generator: every call returns the same images"),
    _v("reparam_reseeds", "reparameterize",
       "    eps = torch.randn_like(mu)",
       "    torch.manual_seed(0)\n    eps = torch.randn_like(mu)",
       "reseeds the global generator: the same eps at every call"),
    _v("reparam_numpy_noise", "reparameterize",
       "    eps = torch.randn_like(mu)",
       "    eps = torch.as_tensor(__import__('numpy').random.standard_normal(tuple(mu.shape))).to(mu)",
       "draws eps with numpy: torch.manual_seed does not reproduce it"),
    _v("reparam_private_generator", "reparameterize",
       "    eps = torch.randn_like(mu)",
       "    eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(7)).to(mu)",
       "a private generator seeded at each call: the same eps every time, the global generator untouched"),
    _v("elbo_reseeds", "VAE.elbo",
       "        z = reparameterize(mu, logvar)                                 # (B, L)",
       "        torch.manual_seed(0)\n        z = reparameterize(mu, logvar)                                 # (B, L)",
       "reseeds before drawing z: every call uses the same z"),
    _v("iwae_reseeds", "VAE.iwae_bound",
       "        eps = torch.randn((K,) + mu.shape, dtype=mu.dtype, device=mu.device)  # (K, B, L)",
       "        torch.manual_seed(0)\n        eps = torch.randn((K,) + mu.shape, dtype=mu.dtype, device=mu.device)  # (K, B, L)",
       "reseeds before drawing eps: every call uses the same noise"),
    _v("vae_sample_reseeds_after", "VAE.sample",
       "        return torch.bernoulli(torch.sigmoid(self.decode(z)))",
       "        x = torch.bernoulli(torch.sigmoid(self.decode(z)))\n        torch.manual_seed(0)\n        return x",
       "reseeds the global generator after drawing: the next call's draws no longer depend on the seed"),
    _v("vae_sample_reseeds", "VAE.sample",
       "        weight = self.decoder[0].weight\n        z = torch.randn(num_samples",
       "        torch.manual_seed(0)\n        weight = self.decoder[0].weight\n        z = torch.randn(num_samples",
       "reseeds the global generator: every call returns the same samples"),
    _v("vae_ignores_hidden_dim", "VAE",
       "            nn.Linear(input_dim, hidden_dim), nn.ReLU(),\n"
       "            nn.Linear(hidden_dim, hidden_dim), nn.ReLU(),\n"
       "            nn.Linear(hidden_dim, 2 * latent_dim))",
       "            nn.Linear(input_dim, 256), nn.ReLU(),\n"
       "            nn.Linear(256, 256), nn.ReLU(),\n"
       "            nn.Linear(256, 2 * latent_dim))",
       "the encoder ignores hidden_dim: a fixed width of 256"),
]

# =============================================================================================
# transformer.py clause mutants (issue 18, helper clausesT): one or more per clause test of the transformer
# (attention_rejects_bad_num_heads, block_constructor_arguments, model_constructor_arguments,
# model_default_arguments, model_rejects_bad_constructor_arguments, model_same_in_train_and_eval,
# generate_default_arguments, generate_one_pass_per_token, generate_twice), and one for the mask-buffer clause.
# =============================================================================================
MUTANTS += [
    _t("attn_accepts_nonpositive_heads", "CausalSelfAttention",
       "        if num_heads < 1 or embed_dim % num_heads != 0:",
       "        if embed_dim % num_heads != 0:",
       "checks divisibility only: num_heads = 0 raises ZeroDivisionError and num_heads = -2 is accepted"),
    _t("attn_persistent_mask", "CausalSelfAttention",
       "        self.proj = nn.Linear(embed_dim, embed_dim)\n",
       "        self.proj = nn.Linear(embed_dim, embed_dim)\n"
       '        self.register_buffer("mask", torch.ones(64, 64).tril())\n',
       "keeps a persistent mask buffer: the state dict gains a key the contract does not have"),
    _t("block_ignores_num_heads", "Block",
       "        self.attn = CausalSelfAttention(embed_dim, num_heads)",
       "        self.attn = CausalSelfAttention(embed_dim, 4)",
       "num_heads is silently ignored: every block's attention has 4 heads"),
    _t("model_ignores_num_layers", "CharTransformer",
       "        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(num_layers)])",
       "        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(2)])",
       "num_layers is silently ignored: always 2 blocks"),
    _t("model_ignores_num_heads", "CharTransformer",
       "        self.blocks = nn.ModuleList([Block(embed_dim, num_heads) for _ in range(num_layers)])",
       "        self.blocks = nn.ModuleList([Block(embed_dim, 4) for _ in range(num_layers)])",
       "num_heads is silently ignored: every block has 4 heads"),
    _t("model_default_eight_heads", "CharTransformer",
       "                 num_heads: int = 4, num_layers: int = 2):",
       "                 num_heads: int = 8, num_layers: int = 2):",
       "a default num_heads other than the contract's 4 (the same shapes, other values)"),
    _t("model_default_one_layer", "CharTransformer",
       "                 num_heads: int = 4, num_layers: int = 2):",
       "                 num_heads: int = 4, num_layers: int = 1):",
       "a default num_layers other than the contract's 2"),
    _t("model_accepts_empty_vocabulary", "CharTransformer",
       '        for name, value in (("vocab_size", vocab_size), ("context_length", context_length),\n'
       '                            ("num_layers", num_layers)):',
       '        for name, value in (("num_layers", num_layers),):',
       "checks num_layers only: vocab_size = 0 or context_length = 0 builds an empty embedding"),
    _t("model_dropout_in_eval_mode", "CharTransformer",
       "        x = self.tok_emb(idx) + self.pos_emb(positions)                     # (B, T, C)",
       "        x = F.dropout(self.tok_emb(idx) + self.pos_emb(positions), 0.1)     # (B, T, C)",
       "F.dropout without training=self.training (its default is True): random logits in eval mode too"),
    _t("gen_default_temperature", "CharTransformer.generate",
       "num_new_tokens: int, temperature: float = 1.0,",
       "num_new_tokens: int, temperature: float = 0.8,",
       "a default temperature other than the contract's 1.0"),
    _t("gen_default_top_p", "CharTransformer.generate",
       "                 top_k: Optional[int] = None, top_p: Optional[float] = None) -> torch.Tensor:",
       "                 top_k: Optional[int] = None, top_p: Optional[float] = 0.9) -> torch.Tensor:",
       "nucleus sampling by default (top_p = 0.9) instead of no filter"),
    _t("gen_row_by_row", "CharTransformer.generate", _STEP,
       "            logits = torch.cat([self.forward(context[b:b + 1])[:, -1, :]\n"
       "                                for b in range(context.shape[0])]) / temperature  # (B, V)\n"
       "            logits = filter_logits(logits, top_k, top_p)",
       "one forward pass per row and token instead of one per token for the whole batch"),
    _t("gen_reseeds", "CharTransformer.generate",
       "        for _ in range(num_new_tokens):\n            context = idx[:, -self.context_length:]",
       "        torch.manual_seed(0)\n"
       "        for _ in range(num_new_tokens):\n            context = idx[:, -self.context_length:]",
       "reseeds the global generator: every call returns the same tokens"),
    _t("gen_forks_rng", "CharTransformer.generate",
       "            next_token = torch.multinomial(torch.softmax(logits, dim=-1), 1)  # (B, 1)",
       "            with torch.random.fork_rng():\n"
       "                next_token = torch.multinomial(torch.softmax(logits, dim=-1), 1)  # (B, 1)",
       "draws inside fork_rng: the global generator is restored, so every call repeats the same draws"),
]
