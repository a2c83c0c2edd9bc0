"""Week 3, 8x8 digits: NCSN (score.py) next to DDPM on the same network budget (issue 13).

For one seed: DDPM's ε-network and an NCSN score network, both the notebook's TimeMLP(64, hidden_dim=256),
3,000 Adam steps at lr 1e-3 (cosine-annealed), batch 128 of the training digits in [-1, 1]. Sampling, 1,000
network calls each: DDPM-1000 (ancestral), DDIM-50 (50 calls), NCSN's annealed Langevin (10 levels x 100
steps, α_i/σ_i² = 0.2), and DDPM's own network through eps_to_score with the same annealed sampler. Quality:
the Fréchet distance of the course's digit-classifier features, 1,000 samples against the 1,437 training digits.
Prints one JSON line; run the seeds in separate processes and combine (mean ± sd) with --combine.

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/experiments/week3/ncsn_digits.py --seed 0 > /tmp/ncsn0.json
    .venv/bin/python bench/experiments/week3/ncsn_digits.py --combine /tmp/ncsn0.json /tmp/ncsn1.json /tmp/ncsn2.json
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import statistics

import torch
from torch import nn

from common import Clock, TimeMLP, batch_of, fit
from course.datasets import digit_features, load_digits8
from course.metrics import feature_frechet_distance
from diffusion import DiffusionSchedule, ddim_sample, diffusion_loss, linear_beta_schedule, p_sample_loop
from score import annealed_langevin, dsm_loss, eps_to_score, geometric_sigmas

T, STEPS, N_GEN, ALPHA_OVER_SIGMA2, STEPS_PER_LEVEL = 1000, 3000, 1000, 0.2, 100


def to_levels(x):
    """(B, 64) in [-1, 1] -> (B, 8, 8) on the 17 grey levels in [0, 1], as the notebook."""
    return (((x.clamp(-1, 1) + 1) * 8).round() / 16).reshape(-1, 8, 8)


class ScoreNet(nn.Module):
    """s(x, σ) = TimeMLP(x, u(σ)) / σ, u = (log σ − log σ_L)/(log σ_1 − log σ_L) in [0, 1]."""

    def __init__(self, dim, hidden_dim, sigmas):
        super().__init__()
        self.net = TimeMLP(dim, hidden_dim=hidden_dim, time_scale=1.0)
        self.log_lo, self.log_hi = math.log(float(sigmas[-1])), math.log(float(sigmas[0]))

    def forward(self, x, sigma):
        u = (torch.log(sigma) - self.log_lo) / (self.log_hi - self.log_lo)  # (B,)
        return self.net(x, u) / sigma[:, None]                               # (B, D)


def ddpm_as_score(eps_model, sched):
    """DDPM's ε-network as an NCSN score: x̃ = x_t/√ᾱ_t at the t whose σ_t = √((1 − ᾱ_t)/ᾱ_t) is nearest
    above σ, and s(x̃, σ) = √ᾱ_t · ∇ log q(√ᾱ_t x̃)."""
    sigma_t = ((1 - sched.alpha_bars) / sched.alpha_bars).sqrt()            # (T,) float64, increasing

    def score(x, sigma):
        t = torch.searchsorted(sigma_t, sigma.double()).clamp(max=len(sigma_t) - 1)  # (B,) int64
        root = sched.alpha_bars[t].sqrt().to(x.dtype)[:, None]             # (B, 1)
        with torch.no_grad():
            return root * eps_to_score(eps_model(root * x, t), sched, t)

    return score


def ncsn_sample(score, sigmas, shape):
    eps = ALPHA_OVER_SIGMA2 * float(sigmas[-1]) ** 2
    return annealed_langevin(score, float(sigmas[0]) * torch.randn(shape), sigmas, STEPS_PER_LEVEL, eps)


def run(seed: int) -> dict:
    torch.manual_seed(seed)
    train, _ = load_digits8("train", flatten=True, levels=True)             # (1437, 64) int64
    data = train.float() / 8 - 1                                             # (1437, 64) in [-1, 1]
    real = digit_features(train.reshape(-1, 8, 8).float() / 16)

    def fd(samples):
        return float(feature_frechet_distance(digit_features(to_levels(samples)), real))

    out = {"seed": seed}
    sched = DiffusionSchedule(linear_beta_schedule(T))
    eps_net = TimeMLP(64, hidden_dim=256, time_scale=1 / T)
    clock = Clock()
    fit(lambda: diffusion_loss(eps_net, sched, batch_of(data, 128)), eps_net.parameters(), STEPS, lr=1e-3)
    out["ddpm_train_s"] = clock()[0]
    sigmas = geometric_sigmas(12.0, 0.01, 10)
    score_net = ScoreNet(64, 256, sigmas)
    clock = Clock()
    fit(lambda: dsm_loss(score_net, batch_of(data, 128), sigmas), score_net.parameters(), STEPS, lr=1e-3)
    out["ncsn_train_s"] = clock()[0]
    samplers = {
        "DDPM-1000": lambda: p_sample_loop(eps_net, sched, (N_GEN, 64)),
        "DDIM-50": lambda: ddim_sample(eps_net, sched, (N_GEN, 64), 50),
        "NCSN annealed (1000 calls)": lambda: ncsn_sample(score_net, sigmas, (N_GEN, 64)),
        "DDPM net, annealed Langevin": lambda: ncsn_sample(ddpm_as_score(eps_net, sched), sigmas, (N_GEN, 64)),
    }
    for name, sampler in samplers.items():
        clock = Clock()
        with torch.no_grad():
            x = sampler()
        out[name] = {"fd": fd(x), "seconds": clock()[0]}
    out["noise_fd"] = fd(torch.randn(N_GEN, 64))
    out["machine"] = f"{platform.machine()}, torch {torch.__version__}, one thread"
    return out


def combine(paths):
    runs = [json.loads(open(p).read().strip().splitlines()[-1]) for p in paths]
    print(f"{len(runs)} seeds ({', '.join(str(r['seed']) for r in runs)}); {runs[0]['machine']}")
    for name in ("DDPM-1000", "DDIM-50", "NCSN annealed (1000 calls)", "DDPM net, annealed Langevin"):
        fds = [r[name]["fd"] for r in runs]
        secs = [r[name]["seconds"] for r in runs]
        print(f"| {name} | {statistics.mean(fds):.2f} ± {statistics.stdev(fds):.2f} | "
              f"{statistics.mean(secs):.1f} s per {N_GEN} samples |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--combine", nargs="+")
    args = parser.parse_args()
    if args.combine:
        combine(args.combine)
    else:
        print(json.dumps(run(args.seed)))
