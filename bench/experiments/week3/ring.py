"""Week 3, 2-D ring (8 Gaussians, sd 0.2, radius 2): DDPM (linear, cosine) and flow matching.

Reports, for one seed and one network recipe, the share of 2,000 samples more than 3 sd = 0.6 from
every centre and the gap (data's mean log p minus the samples') in nats, as the notebook measures them.

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/experiments/week3/ring.py --seed 0 --hidden 256 --layers 4 --steps 12000
"""
from __future__ import annotations

import argparse
import json
import math

import torch

from common import Clock, TimeMLP, batch_of, fit
from course.datasets import toy_2d, toy_2d_log_prob
from diffusion import DiffusionSchedule, cosine_beta_schedule, euler_sample, flow_matching_loss, diffusion_loss, \
    linear_beta_schedule, p_sample_loop

CENTRES = 2.0 * torch.stack([torch.cos(torch.arange(8) * math.pi / 4), torch.sin(torch.arange(8) * math.pi / 4)], 1)


def ring_quality(x):
    """(mean true log-density, share over 0.6 from every centre, points per mode) of (N, 2) points."""
    d = torch.cdist(x, CENTRES)                                             # (N, 8)
    far = d.min(1).values > 0.6
    counts = torch.bincount(d.argmin(1)[~far], minlength=8)
    return float(toy_2d_log_prob("eight_gaussians", x).mean()), float(far.float().mean()), counts.tolist()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--models", default="linear,cosine,fm")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--steps", type=int, default=12000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--max-freq", type=float, default=1000.0)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--euler", default="50,100")
    a = p.parse_args()
    torch.manual_seed(a.seed)
    ring_train = toy_2d("eight_gaussians", 8000, seed=0)
    T = 1000
    data_ll = ring_quality(toy_2d("eight_gaussians", a.n, seed=1))[0]
    out = {"args": vars(a), "data_logp": data_ll}
    for name in a.models.split(","):
        clock = Clock()
        if name == "fm":
            net = TimeMLP(2, a.hidden, a.layers, time_scale=1.0, max_freq=a.max_freq)
            losses = fit(lambda: flow_matching_loss(net, batch_of(ring_train, a.batch)), net.parameters(), a.steps, a.lr)
            train = clock()
            for k in map(int, a.euler.split(",")):
                ll, far, counts = ring_quality(euler_sample(net, (a.n, 2), k))
                out[f"fm_euler{k}"] = {"off_mode": far, "logp_gap": data_ll - ll, "counts": counts}
        else:
            sched = DiffusionSchedule(linear_beta_schedule(T) if name == "linear" else cosine_beta_schedule(T))
            net = TimeMLP(2, a.hidden, a.layers, time_scale=1 / T, max_freq=a.max_freq)
            losses = fit(lambda: diffusion_loss(net, sched, batch_of(ring_train, a.batch)), net.parameters(), a.steps, a.lr)
            train = clock()
            ll, far, counts = ring_quality(p_sample_loop(net, sched, (a.n, 2)))
            out[name] = {"off_mode": far, "logp_gap": data_ll - ll, "counts": counts}
        total = clock()
        out[f"{name}_seconds"] = {"train_wall": train[0], "train_cpu": train[1], "total_wall": total[0],
                                  "total_cpu": total[1], "last_loss": sum(losses[-200:]) / 200}
        print(json.dumps({k: v for k, v in out.items() if k.startswith(name)}), flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
