"""Screen DCGAN recipes on MNIST-5k for week 4 (reference gan.py: spectral_norm, train_wgan), one thread.

    python bench/experiments/week4/mnist_dcgan.py --steps 3000 --eval-every 500 --betas 0.5,0.999 \
        --width 32 --gen-bn --seed 0 [--png out.png]

Prints one JSON line: the Fréchet distance of the digit classifier's features (1,000 generated digits
against the 1,000 test digits, `course.metrics.feature_frechet_distance`, as in the notebook) every
`--eval-every` generator steps, with the CPU seconds spent so far, and the floor (1,000 training digits
against the test digits).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import torch
import torch.optim.optimizer as torch_optimizer
from torch import nn

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "solutions" / "week4_wgan_sn"))
sys.path.insert(0, str(ROOT))
import gan  # noqa: E402  (the reference)
from course.datasets import digit_features, load_mnist5k  # noqa: E402
from course.metrics import feature_frechet_distance  # noqa: E402


class DCGenerator(nn.Module):
    """z: (B, latent_dim) -> images (B, 1, 28, 28) in (0, 1)."""

    def __init__(self, latent_dim=64, width=32, bn=True):
        super().__init__()
        self.latent_dim, self.width = latent_dim, width
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        self.fc = nn.Linear(latent_dim, 4 * width * 7 * 7)
        self.up = nn.Sequential(
            norm(4 * width), nn.ReLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, stride=2, padding=1), norm(2 * width), nn.ReLU(),  # 14
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), norm(width), nn.ReLU(),  # 28
            nn.Conv2d(width, 1, 3, padding=1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 4 * self.width, 7, 7))  # (B, 4w, 7, 7) -> (B, 1, 28, 28)


class DCCritic(nn.Module):
    """images (B, 1, 28, 28) in [0, 1] -> scores (B,); every layer spectrally normalized."""

    def __init__(self, width=32, centre=True, slope=0.1):
        super().__init__()
        self.centre = centre
        sn = gan.spectral_norm
        self.net = nn.Sequential(
            sn(nn.Conv2d(1, width, 3, padding=1)), nn.LeakyReLU(slope),
            sn(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)), nn.LeakyReLU(slope),  # 14
            sn(nn.Conv2d(2 * width, 2 * width, 3, padding=1)), nn.LeakyReLU(slope),
            sn(nn.Conv2d(2 * width, 4 * width, 4, stride=2, padding=1)), nn.LeakyReLU(slope),  # 7
            nn.Flatten(),
            sn(nn.Linear(4 * width * 7 * 7, 1)),
        )

    def forward(self, x):
        if self.centre:
            x = 2 * x - 1  # [0, 1] -> [-1, 1]
        return self.net(x).squeeze(-1)


class SmallGenerator(nn.Module):
    """The committed notebook's generator (bn=False), optionally with batch norm before each ReLU."""

    def __init__(self, latent_dim=32, width=32, bn=False):
        super().__init__()
        self.latent_dim, self.width = latent_dim, width
        norm = (lambda c: nn.BatchNorm2d(c)) if bn else (lambda c: nn.Identity())
        self.fc = nn.Linear(latent_dim, 2 * width * 7 * 7)
        self.up = nn.Sequential(
            norm(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), norm(width), nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Sigmoid(),
        )

    def forward(self, z):
        return self.up(self.fc(z).view(-1, 2 * self.width, 7, 7))


class SmallCritic(nn.Module):
    """The committed notebook's critic (centre=False, extra=False); extra adds a 3x3 conv at 7x7."""

    def __init__(self, width=32, centre=False, extra=False, scale=1.0):
        super().__init__()
        self.centre, self.scale = centre, scale
        sn = gan.spectral_norm
        layers = [sn(nn.Conv2d(1, width, 4, stride=2, padding=1)), nn.LeakyReLU(0.1),
                  sn(nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)), nn.LeakyReLU(0.1)]
        if extra:
            layers += [sn(nn.Conv2d(2 * width, 2 * width, 3, padding=1)), nn.LeakyReLU(0.1)]
        self.net = nn.Sequential(*layers, nn.Flatten(), sn(nn.Linear(2 * width * 7 * 7, 1)))

    def forward(self, x):
        if self.centre:
            x = 2 * x - 1
        return self.net(self.scale * x).squeeze(-1)


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--betas", default="0.5,0.999")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--critic-steps", type=int, default=1)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--latent", type=int, default=64)
    p.add_argument("--arch", default="dc", choices=["dc", "small"])
    p.add_argument("--gen-bn", action="store_true")
    p.add_argument("--critic-extra", action="store_true")
    p.add_argument("--no-centre", action="store_true")
    p.add_argument("--loss", default="hinge")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", default="")
    p.add_argument("--ema", type=float, default=0.0,
                   help="also score an exponential moving average of the generator's weights (this decay per step)")
    p.add_argument("--lr-phases", default="", help="steps:lr,...: a fresh train_wgan call per phase (overrides --lr)")
    p.add_argument("--critic-scale", type=float, default=1.0, help="small critic: input times this (Lipschitz bound)")
    p.add_argument("--score-train", action="store_true", help="also score with batch statistics (train mode)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    x_train, _ = load_mnist5k("train")  # (4000, 28, 28) in [0, 1]
    x_test, _ = load_mnist5k("test")
    features_test = digit_features(x_test)  # (1000, 64)
    floor = feature_frechet_distance(digit_features(x_train[:1000]), features_test)
    torch.manual_seed(a.seed)
    if a.arch == "dc":
        g = DCGenerator(a.latent, a.width, bn=a.gen_bn)
        c = DCCritic(a.width, centre=not a.no_centre)
    else:
        g = SmallGenerator(a.latent, a.width, bn=a.gen_bn)
        c = SmallCritic(a.width, centre=not a.no_centre, extra=a.critic_extra, scale=a.critic_scale)
    sample = lambda n: x_train[torch.randint(len(x_train), (n,))][:, None]  # (n, 1, 28, 28)
    betas = tuple(float(b) for b in a.betas.split(","))

    def fd(train_mode=False):
        """FD of 1,000 samples; train_mode: batch norm with the batch's statistics (on a copy, so that the
        running statistics are not updated by the evaluation batch)."""
        net = copy.deepcopy(g) if train_mode else g
        net.train(train_mode)
        with torch.no_grad():
            images = net(torch.randn(1000, a.latent))  # (1000, 1, 28, 28)
        g.train()
        return feature_frechet_distance(digit_features(images), features_test)

    g_ema = copy.deepcopy(g) if a.ema else None
    if a.ema:
        g_params = {id(q) for q in g.parameters()}

        def ema_hook(optimizer, args, kwargs):
            """After each generator step: ema <- d ema + (1 - d) g (parameters and batch-norm buffers)."""
            if id(optimizer.param_groups[0]["params"][0]) not in g_params:
                return
            with torch.no_grad():
                for pe, pg in zip(g_ema.state_dict().values(), g.state_dict().values()):
                    if pe.dtype.is_floating_point:
                        pe.lerp_(pg, 1 - a.ema)
                    else:
                        pe.copy_(pg)

        torch_optimizer.register_optimizer_step_post_hook(ema_hook)

    def fd_of(net):
        net.eval()
        with torch.no_grad():
            images = net(torch.randn(1000, a.latent))  # (1000, 1, 28, 28)
        return feature_frechet_distance(digit_features(images), features_test)

    phases = ([(int(s.split(":")[0]), float(s.split(":")[1])) for s in a.lr_phases.split(",")] if a.lr_phases
              else [(a.steps, a.lr)])
    bounds, total = [], 0
    for n, lr in phases:
        total += n
        bounds.append((total, lr))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    curve, steps = [], 0
    while steps < total:
        end, lr = next((b, lr) for b, lr in bounds if b > steps)
        n = min(a.eval_every, end - steps)
        gan.train_wgan(g, c, sample, n, critic_steps=a.critic_steps, lr=lr, betas=betas, loss=a.loss,
                       batch_size=a.batch)
        steps += n
        curve.append({"steps": steps, "fd": round(fd(), 2), "cpu": round(time.process_time() - cpu0, 1)})
        if g_ema is not None:
            curve[-1]["fd_ema"] = round(fd_of(g_ema), 2)
        if a.score_train:
            curve[-1]["fd_train_mode"] = round(fd(train_mode=True), 2)
        print(json.dumps(curve[-1]), file=sys.stderr, flush=True)
    if a.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        g.eval()
        with torch.no_grad():
            imgs = g(torch.randn(64, a.latent))[:, 0]  # (64, 28, 28)
        grid = imgs.reshape(8, 8, 28, 28).permute(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
        plt.imsave(a.png, grid.numpy(), cmap="gray")
    print(json.dumps({"args": vars(a), "floor": round(floor, 2), "curve": curve,
                      "cpu": round(time.process_time() - cpu0, 1), "wall": round(time.perf_counter() - wall0, 1)}),
          flush=True)


if __name__ == "__main__":
    main()
