"""Week 2 experiments on binarized MNIST-5k: MADE, PixelCNN and the VAE with the reference solution.

    OMP_NUM_THREADS=1 nice .venv/bin/python bench/experiments/week2/run.py made --seed 0 [--key value ...]
    ... run.py pixelcnn --seed 0 --epochs 8 --lr 3e-3
    ... run.py vae --seed 0 --epochs 60 --objective iwae --k-train 5

One model, one seed, one thread; it prints one JSON line (the configuration, the test NLL in nats per
image, the CPU seconds (user + sys of this process) and the wall seconds) and appends it to
bench/experiments/week2/results.jsonl. Training follows the notebook's `fit` (Adam on a mean NLL, the
training set reshuffled every epoch by its own generator), with an optional cosine decay of the
learning rate to 0 over the run.

MADE: `--orderings K` trains one set of weights shared by K MADEs that differ only in their ordering
(order-agnostic training: every minibatch uses one ordering drawn at random; Germain et al., 2015,
Section 4.2 and Uria et al., 2014), and evaluates the ensemble, the uniform mixture of the K
autoregressive models: log p(x) = logsumexp_k log p_k(x) - log K, an exact, normalized likelihood.
`--independent` trains K separate MADEs instead (their ensemble is the same mixture). `--orderings 1
--raster` is the single raster-order MADE.
"""
from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "solutions" / "week2_ar_vae"))

from made import MADE  # noqa: E402
from pixelcnn import PixelCNN  # noqa: E402
from vae import VAE  # noqa: E402
from course.datasets import load_mnist5k  # noqa: E402

D = 784


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def mean_nll(log_prob, x, batch_size=250) -> float:
    total = 0.0
    with torch.no_grad():
        for batch in x.split(batch_size):
            total -= log_prob(batch).double().sum().item()
    return total / len(x)


def fit(params, loss_fn, data, epochs, batch_size, lr, seed, cosine, eval_fn=None, wd=0.0):
    """Adam (AdamW if wd > 0) on loss_fn(batch); cosine decay of lr to 0 over all steps if cosine.
    Returns per-epoch curves."""
    params = list(params)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=wd) if wd > 0 else torch.optim.Adam(params, lr=lr)
    steps = epochs * math.ceil(len(data) / batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, (lambda s: 0.5 * (1 + math.cos(math.pi * s / steps))) if cosine else (lambda s: 1.0))
    shuffle = torch.Generator().manual_seed(seed)
    curves = {"train": [], "test": []}
    for _ in range(epochs):
        order, total = torch.randperm(len(data), generator=shuffle), 0.0
        for start in range(0, len(data), batch_size):
            batch = data[order[start:start + batch_size]]
            loss = loss_fn(batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
        curves["train"].append(round(total / len(data), 2))
        if eval_fn is not None:
            curves["test"].append(round(eval_fn(), 2))
    return curves


def share_parameters(models):
    """Make every model use the first one's parameter tensors (same class, same sizes, other buffers)."""
    master = models[0]
    for model in models[1:]:
        for name, param in master.named_parameters():
            prefix, _, leaf = name.rpartition(".")
            setattr(model.get_submodule(prefix) if prefix else model, leaf, param)
    return master


def run_made(args, x_train, x_test):
    flat_train, flat_test = x_train.reshape(-1, D), x_test.reshape(-1, D)        # (N, 784)
    if args.raster:
        orderings = [None]
    else:
        gen = torch.Generator().manual_seed(1000 + args.seed)
        orderings = [torch.randperm(D, generator=gen) for _ in range(args.orderings)]
    models = [MADE(D, [args.hidden] * args.layers, o) for o in orderings]
    pick = torch.Generator().manual_seed(2000 + args.seed)
    if args.independent:                       # K separate MADEs, trained side by side on the same batches
        params = [p for m in models for p in m.parameters()]

        def loss_fn(batch):
            return sum(-m.log_prob(batch).mean() for m in models)
    else:                                       # one set of weights shared by the K orderings
        params = share_parameters(models).parameters()

        def loss_fn(batch):
            k = int(torch.randint(len(models), (1,), generator=pick))
            return -models[k].log_prob(batch).mean()

    def ens_log_prob(batch):
        log_probs = torch.stack([m.log_prob(batch) for m in models])            # (K, b)
        return torch.logsumexp(log_probs, 0) - math.log(len(models))

    curves = fit(params, loss_fn, flat_train, args.epochs, args.batch, args.lr, args.seed,
                 args.cosine, eval_fn=(lambda: mean_nll(ens_log_prob, flat_test)) if args.curves else None, wd=args.wd)
    single = [mean_nll(m.log_prob, flat_test) for m in models[:4]]
    return {"nll": mean_nll(ens_log_prob, flat_test), "single_order_nll": single,
            "train_nll": mean_nll(ens_log_prob, flat_train[:1000]), "curves": curves}


def run_pixelcnn(args, x_train, x_test):
    img_train, img_test = x_train[:, None], x_test[:, None]                     # (N, 1, 28, 28)
    model = PixelCNN(args.channels, args.layers, args.kernel)
    curves = fit(model.parameters(), lambda x: -model.log_prob(x).mean(), img_train, args.epochs, args.batch,
                 args.lr, args.seed, args.cosine,
                 eval_fn=(lambda: mean_nll(model.log_prob, img_test)) if args.curves else None)
    out = {"nll": mean_nll(model.log_prob, img_test), "curves": curves}
    if args.samples:
        start = cpu_seconds()
        samples = model.sample(16, 28, 28)                                       # (16, 1, 28, 28)
        out["sample_cpu_s"] = round(cpu_seconds() - start, 1)
        path = Path(__file__).with_name(f"pixelcnn_samples_seed{args.seed}.pt")
        torch.save(samples.to(torch.uint8), path)
    return out


def run_vae(args, x_train, x_test):
    flat_train, flat_test = x_train.reshape(-1, D), x_test.reshape(-1, D)
    model = VAE(D, args.latent, args.hidden)
    if args.objective == "elbo":
        loss_fn = lambda x: -model.elbo(x)[0].mean()                            # noqa: E731
    else:
        loss_fn = lambda x: -model.iwae_bound(x, args.k_train).mean()           # noqa: E731
    if args.dynamic:                            # a fresh binarization of the grey images in every batch
        flat_train = load_mnist5k("train", variant="grey")[0].reshape(-1, D)    # (4000, 784) in [0, 1]
        static_loss = loss_fn
        loss_fn = lambda x: static_loss(torch.bernoulli(x))                     # noqa: E731
    curves = fit(model.parameters(), loss_fn, flat_train, args.epochs, args.batch, args.lr, args.seed,
                 args.cosine, eval_fn=(lambda: mean_nll(lambda b: model.elbo(b)[0], flat_test)) if args.curves else None,
                 wd=args.wd)
    model.eval()
    out = {"elbo_nll": mean_nll(lambda b: model.elbo(b)[0], flat_test)}
    k = args.k_eval
    chunk = max(1, 20_000 // k)
    out[f"iwae{k}_nll"] = mean_nll(lambda b: model.iwae_bound(b, k), flat_test, batch_size=chunk)
    out["nll"] = out[f"iwae{k}_nll"]
    out["curves"] = curves
    return out


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("model", choices=["made", "pixelcnn", "vae"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--cosine", action="store_true")
    p.add_argument("--wd", type=float, default=0.0, help="AdamW weight decay (0: Adam)")
    p.add_argument("--curves", action="store_true", help="evaluate the test NLL after every epoch")
    p.add_argument("--tag", default="")
    # MADE
    p.add_argument("--orderings", type=int, default=1)
    p.add_argument("--raster", action="store_true")
    p.add_argument("--independent", action="store_true", help="MADE: K separate models, not shared weights")
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--layers", type=int, default=None,
                   help="MADE: hidden layers (default 1); PixelCNN: masked layers (default 5, the notebook's)")
    # PixelCNN
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--kernel", type=int, default=5)
    p.add_argument("--samples", action="store_true")
    # VAE
    p.add_argument("--latent", type=int, default=16)
    p.add_argument("--objective", choices=["elbo", "iwae"], default="elbo")
    p.add_argument("--k-train", type=int, default=5)
    p.add_argument("--k-eval", type=int, default=1000)
    p.add_argument("--dynamic", action="store_true", help="VAE: train on fresh binarizations of the grey images")
    args = p.parse_args(argv)
    if args.layers is None:   # the default used to be 1 for both models: the PixelCNN runs before 2026-12-07 had 1 layer
        args.layers = 5 if args.model == "pixelcnn" else 1

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    x_train, _ = load_mnist5k("train", variant="binarized")                     # (4000, 28, 28)
    x_test, _ = load_mnist5k("test", variant="binarized")                       # (1000, 28, 28)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    out = {"made": run_made, "pixelcnn": run_pixelcnn, "vae": run_vae}[args.model](args, x_train, x_test)
    record = {"model": args.model, "config": {k: v for k, v in vars(args).items() if k != "model"},
              **out, "cpu_s": round(cpu_seconds() - cpu0, 1), "wall_s": round(time.perf_counter() - wall0, 1)}
    line = json.dumps(record)
    print(line, flush=True)
    with open(Path(__file__).with_name("results.jsonl"), "a") as f:
        f.write(line + "\n")


if __name__ == "__main__":
    main()
