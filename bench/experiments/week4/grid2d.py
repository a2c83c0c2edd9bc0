"""Screen 2-D recipes (ring / grid) for week 4 with the reference gan.py, one torch thread.

    python bench/experiments/week4/grid2d.py --data grid --loss hinge --hidden 256 \
        --phases 3000:1e-3,3000:3e-4,3000:1e-4 --batch 512 --seed 0 [--pack 2] [--gp 10]

Prints one JSON line: the metrics of `mode_coverage` after every phase (NUM_EVAL = 2500 samples),
and the CPU and wall seconds of the run. The data and the metric are the notebook's (ring: 8
Gaussians of sd 0.02 on r = 2; grid: 25 Gaussians of sd 0.05 at {-4..4}^2).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import copy

import torch
import torch.optim.optimizer as torch_optimizer
from torch import nn

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "solutions" / "week4_wgan_sn"))
import gan  # noqa: E402  (the reference)

NUM_EVAL = 2500


def datasets():
    angles = 2 * math.pi * torch.arange(8) / 8
    ring = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)  # (8, 2)
    levels = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    grid = torch.cartesian_prod(levels, levels)  # (25, 2)
    return {"ring": (ring, 0.02), "grid": (grid, 0.05)}


def mixture_sampler(centres, sd):
    def sample_real(n):
        k = torch.randint(len(centres), (n,))  # (n,)
        return centres[k] + sd * torch.randn(n, 2)  # (n, 2)
    return sample_real


class PackedCritic(nn.Module):
    """PacGAN (Lin et al., 2018): the critic scores `pack` samples at once.

    x: (B, 2) with B divisible by pack -> (B / pack,) scores of the packs (consecutive rows).
    """

    def __init__(self, pack: int, hidden_dim: int, spectral: bool):
        super().__init__()
        self.pack = pack
        wrap = gan.spectral_norm if spectral else (lambda m: m)
        self.net = nn.Sequential(
            wrap(nn.Linear(2 * pack, hidden_dim)), nn.LeakyReLU(0.2),
            wrap(nn.Linear(hidden_dim, hidden_dim)), nn.LeakyReLU(0.2),
            wrap(nn.Linear(hidden_dim, hidden_dim)), nn.LeakyReLU(0.2),
            wrap(nn.Linear(hidden_dim, 1)),
        )

    def forward(self, x):
        return self.net(x.reshape(-1, 2 * self.pack)).squeeze(-1)  # (B, 2) -> (B / pack, 2 pack) -> (B / pack,)


class Scale(nn.Module):
    """x -> scale * x (a fixed input scaling of the critic)."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return self.scale * x


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="grid")
    p.add_argument("--loss", default="hinge")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--critic-hidden", type=int, default=0)
    p.add_argument("--latent", type=int, default=2)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--critic-steps", type=int, default=1)
    p.add_argument("--phases", default="1500:1e-3,1000:3e-4,1000:1e-4")
    p.add_argument("--betas", default="0.0,0.9")
    p.add_argument("--gp", type=float, default=0.0)
    p.add_argument("--no-sn", action="store_true")
    p.add_argument("--pack", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tag", default="")
    p.add_argument("--ema", type=float, default=0.0, help="also score an EMA of the generator (this decay per step)")
    p.add_argument("--critic-scale", type=float, default=1.0,
                   help="the critic sees scale * x: a Lipschitz bound of scale with SN (default 1)")
    p.add_argument("--gen-hidden", type=int, default=0, help="the generator's width (default: --hidden)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    centres, sd = datasets()[a.data]
    sample_real = mixture_sampler(centres, sd)
    torch.manual_seed(a.seed)
    generator = gan.Generator(latent_dim=a.latent, hidden_dim=a.gen_hidden or a.hidden)
    g_ema = copy.deepcopy(generator) if a.ema else None
    if a.ema:
        g_params = {id(q) for q in generator.parameters()}

        def ema_hook(optimizer, args, kwargs):
            """After each generator step: ema <- d ema + (1 - d) g."""
            if id(optimizer.param_groups[0]["params"][0]) in g_params:
                with torch.no_grad():
                    for pe, pg in zip(g_ema.parameters(), generator.parameters()):
                        pe.lerp_(pg, 1 - a.ema)

        torch_optimizer.register_optimizer_step_post_hook(ema_hook)
    ch = a.critic_hidden or a.hidden
    if a.pack > 1:
        critic = PackedCritic(a.pack, ch, spectral=not a.no_sn)
    else:
        critic = gan.Critic(hidden_dim=ch, spectral=not a.no_sn)
    if a.critic_scale != 1.0:
        critic = nn.Sequential(Scale(a.critic_scale), critic)
    betas = tuple(float(b) for b in a.betas.split(","))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out, steps = [], 0
    for phase in a.phases.split(","):
        n, lr = phase.split(":")
        gan.train_wgan(generator, critic, sample_real, int(n), critic_steps=a.critic_steps, lr=float(lr),
                       betas=betas, loss=a.loss, gp_weight=a.gp, batch_size=a.batch)
        steps += int(n)
        with torch.no_grad():
            x = generator(torch.randn(NUM_EVAL, a.latent))  # (NUM_EVAL, 2)
        m, hq, kl = gan.mode_coverage(x, centres, sd)
        out.append({"steps": steps, "modes": m, "hq": round(hq, 4), "kl": round(kl, 4),
                    "cpu": round(time.process_time() - cpu0, 1)})
        if g_ema is not None:
            with torch.no_grad():
                x = g_ema(torch.randn(NUM_EVAL, a.latent))  # (NUM_EVAL, 2)
            m, hq, kl = gan.mode_coverage(x, centres, sd)
            out[-1].update(ema_modes=m, ema_hq=round(hq, 4), ema_kl=round(kl, 4))
        print(json.dumps(out[-1]), file=sys.stderr, flush=True)  # progress, in case the run is stopped
    print(json.dumps({"args": vars(a), "phases": out, "cpu": round(time.process_time() - cpu0, 1),
                      "wall": round(time.perf_counter() - wall0, 1)}), flush=True)


if __name__ == "__main__":
    main()
