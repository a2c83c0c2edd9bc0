"""Week 3, 8x8 digits: NCSN in the notebook's FAST mode (400 training steps, 200 samples), seeds 0-5, with the
Fréchet distance of 200 pure-noise samples; it sets the FAST limit of the notebook's NCSN test (test_ncsn).
    cd <repo> && OMP_NUM_THREADS=1 .venv/bin/python bench/experiments/week3/ncsn_fast_check.py
Measured 2026-12-07 (the shared 2-CPU course machine, torch 2.13.0+cpu, one thread), seed: NCSN, noise:
0: 97.0, 173.4; 1: 93.1, 160.8; 2: 97.9, 163.3; 3: 101.2, 150.1; 4: 85.4, 165.3; 5: 103.9, 164.7
(ratio 0.52 to 0.67, mean 0.59, sd 0.05).
"""
import sys

import torch
sys.path[:0] = ["bench/experiments/week3", "solutions/week3_flows_diffusion"]
torch.set_num_threads(1)
import ncsn_digits as m
from course.datasets import digit_features, load_digits8
from course.metrics import feature_frechet_distance
train, _ = load_digits8("train", flatten=True, levels=True)
data = train.float() / 8 - 1
real = digit_features(train.reshape(-1, 8, 8).float() / 16)
fd = lambda x: float(feature_frechet_distance(digit_features(m.to_levels(x)), real))
sig = m.geometric_sigmas(12.0, 0.01, 10)
for seed in range(6):
    torch.manual_seed(seed)
    net = m.ScoreNet(64, 256, sig)
    m.fit(lambda: m.dsm_loss(net, m.batch_of(data, 128), sig), net.parameters(), 400, lr=1e-3)
    print(seed, "ncsn", round(fd(m.ncsn_sample(net, sig, (200, 64))), 2), "noise", round(fd(torch.randn(200, 64)), 2), flush=True)
