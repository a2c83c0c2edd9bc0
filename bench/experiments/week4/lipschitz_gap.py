"""The notebook's section 2 (cell `cell-16`) outside the notebook: the signed score gap of a WGAN critic
trained on the ring with and without spectral normalization (no penalty), seed as `--seed` (the notebook: seed 0
in the kernel, 1 and 2 in its instructor cell `instructor-seeds-lipschitz`; it ran seed 1 alone before).

    python bench/experiments/week4/lipschitz_gap.py --seed 1
"""
import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "solutions" / "week4_wgan_sn"))
import gan  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(1)
    angles = 2 * math.pi * torch.arange(8) / 8
    centres = 2.0 * torch.stack([angles.cos(), angles.sin()], 1)  # (8, 2)

    def sample_ring(n):
        k = torch.randint(8, (n,))
        return centres[k] + 0.02 * torch.randn(n, 2)  # (n, 2)

    for spectral in (True, False):
        torch.manual_seed(a.seed)
        generator, critic = gan.Generator(), gan.Critic(spectral=spectral)
        gaps = []
        for _ in range(12):
            history = gan.train_wgan(generator, critic, sample_ring, 25, critic_steps=5, lr=1e-4, loss="wgan")
            gaps += [-c for c in history["critic_loss"]]
        g = np.array(gaps)
        print(json.dumps({"seed": a.seed, "spectral": spectral, "min": float(g.min()), "max": float(g.max()),
                          "last": float(g[-1]), "negative_share": float((g < 0).mean()),
                          "sign_changes": int((np.diff(np.sign(g)) != 0).sum())}), flush=True)


if __name__ == "__main__":
    main()
