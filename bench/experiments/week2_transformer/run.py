"""Week 2's character transformer on the census names: test bits per character next to unigram and bigram models.

    .venv/bin/python bench/experiments/week2_transformer/run.py [--seeds 0 1 2] [--steps N] [--jobs J] [--record FILE]

Trains the reference `solutions/week2_ar_vae/transformer.py` on windows of the training stream of
`data/names.py` (one thread), once per seed, and evaluates every model on the same targets: for each test name,
its letters and the newline that ends it, each predicted from the name's beginning (the context starts with
the newline before the name). The unigram and bigram models are count tables of the training stream with
add-alpha smoothing, alpha chosen on the validation names. The transformer's number is given as mean ± sd over
the seeds (sd with n - 1); the count models do not depend on the seed. `--jobs` trains that many seeds at once,
in separate processes of one thread each. `--record` writes the table (markdown).
"""
from __future__ import annotations

import argparse
import multiprocessing
import math
import platform
import resource
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "solutions" / "week2_ar_vae"))

from data.names import VOCAB_SIZE, encode, load_names, names_stream  # noqa: E402
from transformer import CharTransformer  # noqa: E402

LOG2 = math.log(2)
ALPHAS = (0.001, 0.01, 0.1, 0.3, 1.0)  # add-alpha smoothing of the count models, chosen on validation


@dataclass
class Config:
    context_length: int = 16   # the longest name (13 letters) with its newlines fits: 15 tokens
    embed_dim: int = 64        # C
    num_heads: int = 4         # H (head_dim 16)
    num_layers: int = 2        # blocks
    batch_size: int = 64       # windows per step
    steps: int = 2500          # Adam steps
    lr: float = 3e-3           # peak learning rate, cosine decay to 0 after a linear warm-up
    warmup: int = 200          # warm-up steps
    grad_clip: float = 1.0     # maximum global gradient norm


def padded_items(items: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, L) tokens "\\n" + item + "\\n" right-padded with 0, and (N, L - 1) bool: which targets are real."""
    length = max(len(item) for item in items) + 2
    tokens = torch.zeros(len(items), length, dtype=torch.int64)
    mask = torch.zeros(len(items), length - 1, dtype=torch.bool)
    for row, item in enumerate(items):
        tokens[row, 1:len(item) + 1] = encode(item)
        mask[row, :len(item) + 1] = True  # the letters and the final newline
    return tokens, mask


def count_model_bits(train: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor, order: int, alpha: float) -> float:
    """Bits per character of an add-alpha count model (order 1: unigram, 2: bigram) on the masked targets."""
    V = VOCAB_SIZE
    if order == 1:
        counts = torch.bincount(train[1:], minlength=V).double() + alpha                     # (V,)
        log_p = (counts / counts.sum()).log()
        nll = -log_p[tokens[:, 1:]]                                                          # (N, L-1)
    else:
        counts = torch.full((V, V), alpha, dtype=torch.float64)
        counts.index_put_((train[:-1], train[1:]), torch.ones(train.numel() - 1, dtype=torch.float64), accumulate=True)
        log_p = (counts / counts.sum(1, keepdim=True)).log()                                 # (V, V)
        nll = -log_p[tokens[:, :-1], tokens[:, 1:]]                                          # (N, L-1)
    return float(nll[mask].mean()) / LOG2


def model_bits(model: CharTransformer, tokens: torch.Tensor, mask: torch.Tensor) -> float:
    """Bits per character of the model on the masked targets (causal: the padding after a name changes nothing)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, tokens.shape[0], 2048):
            batch, keep = tokens[start:start + 2048], mask[start:start + 2048]
            log_p = torch.log_softmax(model(batch[:, :-1]).double(), dim=-1)                  # (b, L-1, V)
            nll = -log_p.gather(-1, batch[:, 1:, None]).squeeze(-1)                          # (b, L-1)
            total += float(nll[keep].sum())
            count += int(keep.sum())
    return total / count / LOG2


def train_model(config: Config, stream: torch.Tensor, val: tuple, seed: int) -> tuple[CharTransformer, list]:
    torch.manual_seed(seed)
    model = CharTransformer(VOCAB_SIZE, config.context_length, config.embed_dim, config.num_heads, config.num_layers)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / config.warmup)
                                                 * 0.5 * (1 + math.cos(math.pi * min(s, config.steps) / config.steps)))
    offsets = torch.arange(config.context_length + 1)
    curve = []
    for step in range(config.steps):
        model.train()
        starts = torch.randint(0, stream.numel() - config.context_length, (config.batch_size,))
        loss = model.loss(stream[starts[:, None] + offsets])                                # windows (B, T+1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        schedule.step()
        if (step + 1) % 1000 == 0 or step + 1 == config.steps:
            curve.append((step + 1, model_bits(model, *val)))
    return model, curve


def run_seed(config: Config, seed: int) -> dict:
    """Train one model (one thread) and score it: its test bits per character, validation curve and times."""
    torch.set_num_threads(1)
    stream = names_stream("train")
    val, test = padded_items(load_names("val")), padded_items(load_names("test"))
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    model, curve = train_model(config, stream, val, seed)
    bits = model_bits(model, *test)
    return dict(seed=seed, test_bits=bits, val_curve=curve, cpu_s=cpu_seconds() - cpu0,
                wall_s=time.perf_counter() - wall0)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=Config.steps)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    config = Config(steps=args.steps)
    stream = names_stream("train")
    val, test = padded_items(load_names("val")), padded_items(load_names("test"))

    rows = {}
    for order, name in ((1, "unigram"), (2, "bigram")):
        alpha = min(ALPHAS, key=lambda a: count_model_bits(stream, *val, order, a))
        rows[name] = (count_model_bits(stream, *test, order, alpha), alpha)
        print(f"{name}: alpha {alpha} (validation), test {rows[name][0]:.4f} bits/char", flush=True)

    jobs = [(config, seed) for seed in args.seeds]
    if args.jobs > 1:
        with multiprocessing.get_context("spawn").Pool(min(args.jobs, len(jobs))) as pool:
            results = pool.starmap(run_seed, jobs)
    else:
        results = [run_seed(*job) for job in jobs]
    for r in results:
        print(f"seed {r['seed']}: test {r['test_bits']:.4f} bits/char, validation "
              f"{[f'{s}: {b:.3f}' for s, b in r['val_curve']]}, {r['cpu_s']:.0f} s CPU, {r['wall_s']:.0f} s wall")
    bits = np.array([r["test_bits"] for r in results])
    sd = bits.std(ddof=1) if len(bits) > 1 else float("nan")
    print(f"transformer: {bits.mean():.4f} ± {sd:.4f} bits/char over seeds {args.seeds}")
    if args.record:
        args.record.write_text(report(config, rows, results, bits, sd))
        print(f"recorded in {args.record}")
    return 0


def _span(values: list[float]) -> str:
    low, high = f"{min(values):.0f}", f"{max(values):.0f}"
    return low if low == high else f"{low} to {high}"


def report(config: Config, rows: dict, results: list, bits: np.ndarray, sd: float) -> str:
    params = sum(p.numel() for p in CharTransformer(VOCAB_SIZE, config.context_length, config.embed_dim,
                                                    config.num_heads, config.num_layers).parameters())
    cpu = [r["cpu_s"] for r in results]
    wall = [r["wall_s"] for r in results]
    lines = [
        "# Week 2: the character transformer on the census names",
        "",
        "Command: `.venv/bin/python bench/experiments/week2_transformer/run.py " + " ".join(sys.argv[1:]) + "`.",
        "",
        f"Written by `bench/experiments/week2_transformer/run.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{platform.machine()} CPU, torch {torch.__version__} with 1 thread per seed (`--jobs` runs seeds side by "
        f"side). Training and scoring one seed took {_span(cpu)} s of CPU time ({_span(wall)} s of wall time on a "
        "shared machine: the wall time is inflated by the load).",
        "",
        f"Data: `data/names.py`, {len(load_names('train')):,} training names (the stream of their letters and "
        f"newlines), {len(load_names('test')):,} test names. Each test name's letters and its final newline are "
        "predicted from the name's beginning; the three rows below score exactly the same "
        f"{int(padded_items(load_names('test'))[1].sum()):,} characters.",
        "",
        f"Model: the reference `CharTransformer` ({params:,} parameters), " + ", ".join(
            f"{k} {v}" for k, v in asdict(config).items()) + "; AdamW (weight decay 0.01) on random windows of "
        "the training stream, linear warm-up then cosine decay.",
        "",
        "| model | test bits per character | |",
        "|---|---|---|",
        f"| unigram counts (add-{rows['unigram'][1]}) | {rows['unigram'][0]:.4f} | no seed |",
        f"| bigram counts (add-{rows['bigram'][1]}) | {rows['bigram'][0]:.4f} | no seed |",
        f"| transformer | {bits.mean():.4f} ± {sd:.4f} | mean ± sd over seeds "
        f"{', '.join(str(r['seed']) for r in results)} |",
        "",
        "Per seed: " + "; ".join(f"seed {r['seed']}: test {r['test_bits']:.4f}, validation by step "
                                 + ", ".join(f"{s}: {b:.3f}" for s, b in r["val_curve"]) for r in results) + ".",
        "",
        "Smoothing: alpha picked from " + ", ".join(map(str, ALPHAS)) + " on the validation names.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
