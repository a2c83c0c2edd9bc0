"""Shared pieces of the week-3 experiments: the notebook's network, training loop and metrics.

Run every script from the repository root with one thread, e.g.
    OMP_NUM_THREADS=1 nice .venv/bin/python bench/experiments/week3/ring.py --seed 0
The scripts import the reference solution (`solutions/week3_flows_diffusion/`).
"""
from __future__ import annotations

import math
import resource
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "solutions" / "week3_flows_diffusion"))
torch.set_num_threads(1)


class TimeMLP(nn.Module):
    """The notebook's MLP on (x, sin/cos features of time): (B, D), (B,) -> (B, D)."""

    def __init__(self, dim, hidden_dim=128, num_layers=3, time_scale=1.0, num_freqs=16, max_freq=1000.0):
        super().__init__()
        self.time_scale = time_scale
        self.register_buffer("freqs", torch.exp(torch.linspace(0.0, math.log(max_freq), num_freqs)))
        layers, width = [], dim + 2 * num_freqs
        for _ in range(num_layers):
            layers += [nn.Linear(width, hidden_dim), nn.SiLU()]
            width = hidden_dim
        self.net = nn.Sequential(*layers, nn.Linear(width, dim))

    def forward(self, x, t):
        u = (t.to(x.dtype) * self.time_scale)[:, None] * self.freqs.to(x.dtype)   # (B, F)
        return self.net(torch.cat([x, u.sin(), u.cos()], 1))                      # (B, D + 2F) -> (B, D)


def fit(loss_fn, params, num_steps, lr):
    """The notebook's loop: Adam, the rate cosine-annealed to 0; returns the losses."""
    params = list(params)
    optimizer = torch.optim.Adam(params, lr=lr)
    annealing = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_steps)
    losses = []
    for _ in range(num_steps):
        loss = loss_fn()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        annealing.step()
        losses.append(loss.item())
    return losses


def batch_of(data, size):
    return data[torch.randint(0, data.shape[0], (size,))]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Clock:
    """Wall and CPU seconds since creation."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), cpu_seconds()

    def __call__(self):
        return time.perf_counter() - self.wall, cpu_seconds() - self.cpu
