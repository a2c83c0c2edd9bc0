"""A small digit classifier whose penultimate layer serves image metrics.

`digit_features(images)` gives the features for a Fréchet distance and `digit_probs(images)` the
class probabilities for an Inception-style score, on 28x28 MNIST-like images or on 8x8
scikit-learn-like digits (one classifier for each size, chosen from the images' shape).

Training (`python -m data build`, through `build_classifier`): a two-layer CNN, trained on the
train split only by Adam with a cosine-annealed learning rate, with one thread,
`torch.use_deterministic_algorithms(True)` and a private generator seeded from the config
(weights, shuffling and augmentation; torch's global generator is never touched). For MNIST, half
of the batches, drawn at random, are Bernoulli-binarized, so that the features also make sense on
samples of binary models. The state_dict is saved to data/files/<name>.pt and the test accuracies
to data/files/<name>.json.

Bitwise reproducibility of training across machines is not guaranteed (BLAS kernels and CPU
instruction sets differ), so the checksum of the .pt file is recorded *after* training, and the
build never retrains while a verified file exists. Every machine thus uses the same committed
weights, and metrics computed with them are comparable.
"""

from __future__ import annotations

import functools
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from data.store import files_dir, load_checksums, verified_path


@dataclass(frozen=True)
class ClassifierConfig:
    name: str  # file stem in data/files/
    image_size: int  # 28 for MNIST-5k, 8 for scikit-learn's digits
    num_epochs: int  # passes over the train split
    num_features: int = 64  # width of the penultimate layer (the features)
    channels: tuple[int, int] = (16, 32)  # output channels of the two 5x5 convolutions
    batch_size: int = 64
    lr: float = 2e-3  # Adam's initial learning rate, cosine-annealed to 0 over the run
    binarize_prob: float = 0.5  # probability that a training batch is Bernoulli-binarized
    seed: int = 0


CONFIGS = {
    28: ClassifierConfig(name="digit_classifier", image_size=28, num_epochs=10),
    # The 8x8 digits have 17 grey levels and no binary models use them: no binarized batches.
    8: ClassifierConfig(name="digits8_classifier", image_size=8, num_epochs=40, binarize_prob=0.0),
}


class DigitClassifier(nn.Module):
    """conv5-relu-maxpool, conv5-relu-maxpool, linear (the features), relu, linear (10 logits).

    The features are taken before the ReLU: after it, about 40% of the units are zero on every
    digit, which leaves a Fréchet distance with a singular covariance.
    """

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        c1, c2 = config.channels
        self.conv1 = nn.Conv2d(1, c1, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, kernel_size=5, padding=2)
        self.fc = nn.Linear(c2 * (config.image_size // 4) ** 2, config.num_features)
        self.head = nn.Linear(config.num_features, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, S, S) float in [0, 1]. Returns (B, F) penultimate pre-activations."""
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, c1, S/2, S/2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # (B, c2, S/4, S/4)
        return self.fc(h.flatten(1))  # (B, c2 * S/4 * S/4) -> (B, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, S, S). Returns (B, 10) logits."""
        return self.head(F.relu(self.features(x)))


def _init_parameters(model: nn.Module, g: torch.Generator) -> None:
    """PyTorch's default initialization, drawn from the private generator g."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=g)
            bound = 1 / math.sqrt(module.weight[0].numel())  # 1 / sqrt(fan_in)
            nn.init.uniform_(module.bias, -bound, bound, generator=g)


def train_classifier(
    config: ClassifierConfig, x: torch.Tensor, y: torch.Tensor, log=print
) -> DigitClassifier:
    """Train on x: (N, S, S) float in [0, 1], y: (N,) int64, deterministically (see module doc)."""
    previous = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        g = torch.Generator().manual_seed(config.seed)
        model = DigitClassifier(config)
        _init_parameters(model, g)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        num_steps = config.num_epochs * math.ceil(len(x) / config.batch_size)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_steps)
        x = x.to(torch.float32)[:, None]  # (N, 1, S, S)
        for epoch in range(config.num_epochs):
            order = torch.randperm(len(x), generator=g)
            total = 0.0
            for start in range(0, len(x), config.batch_size):
                idx = order[start : start + config.batch_size]
                xb = x[idx]
                if torch.rand((), generator=g) < config.binarize_prob:
                    xb = torch.bernoulli(xb, generator=g)
                loss = F.cross_entropy(model(xb), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                total += loss.item() * len(idx)
            log(f"  {config.name} epoch {epoch + 1}/{config.num_epochs}: loss {total / len(x):.4f}")
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1])
    return model.eval()


@torch.no_grad()
def accuracy(model: DigitClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of x: (N, S, S) whose argmax class equals y: (N,)."""
    return (model(x.to(torch.float32)[:, None]).argmax(dim=1) == y).double().mean().item()


def build_classifier(config: ClassifierConfig, splits: dict, log=print) -> dict:
    """Train, save <name>.pt (state_dict) and <name>.json (accuracies); returns the record.

    splits maps 'train' and each evaluation set name to (x (N, S, S) float, y (N,) int64).
    The record holds no timing, so that a rebuild on the same machine gives the same bytes.
    """
    start = time.process_time()
    model = train_classifier(config, *splits["train"], log=log)
    log(f"  {config.name}: trained in {time.process_time() - start:.1f} CPU s")
    record = {
        "config": asdict(config),
        "torch": torch.__version__,
        "accuracy": {key: accuracy(model, *xy) for key, xy in splits.items()},
    }
    directory = files_dir()
    directory.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), directory / f"{config.name}.pt")
    (directory / f"{config.name}.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


@functools.lru_cache(maxsize=4)
def _load(path: str, digest: str, image_size: int) -> DigitClassifier:
    model = DigitClassifier(CONFIGS[image_size])
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval().requires_grad_(False)


def load_digit_classifier(image_size: int = 28) -> DigitClassifier:
    """The trained classifier for 28x28 (MNIST) or 8x8 (scikit-learn) digits, in eval mode.

    Raises DataError (run `make data`) when its file is missing or corrupt.
    """
    if image_size not in CONFIGS:
        raise ValueError(f"image_size must be one of {sorted(CONFIGS)}, got {image_size!r}")
    name = f"{CONFIGS[image_size].name}.pt"
    path = verified_path(name)  # the digest in the cache key reloads the file when it changes
    return _load(str(path), load_checksums()["files"][name], image_size)


def _as_batch(images: torch.Tensor) -> tuple[torch.Tensor, int]:
    """(N, S, S), (N, 1, S, S) or (N, S*S) with S in {28, 8} -> ((N, 1, S, S) float32, S)."""
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a torch.Tensor, got {type(images).__name__}")
    n = images.shape[0] if images.dim() > 0 else 0
    for size in CONFIGS:
        if tuple(images.shape[1:]) in ((size, size), (1, size, size), (size * size,)):
            if images.dtype == torch.uint8:  # raw intensities 0..255
                images = images.to(torch.float32) / 255.0
            elif not images.is_floating_point():
                raise ValueError(f"images must be float in [0, 1] or uint8, got {images.dtype}")
            return images.to(torch.float32).reshape(n, 1, size, size), size  # (N, 1, S, S)
    raise ValueError(
        f"images must have shape (N, 28, 28), (N, 1, 28, 28), (N, 784) or the same for 8x8, "
        f"got {tuple(images.shape)}"
    )


def _apply(images: torch.Tensor, fn, batch_size: int = 1000) -> torch.Tensor:
    x, size = _as_batch(images)
    model = load_digit_classifier(size).to(x.device)
    with torch.no_grad():  # not inference_mode: callers may update the outputs in place
        return torch.cat([fn(model, chunk) for chunk in x.split(batch_size)])


def digit_features(images: torch.Tensor) -> torch.Tensor:
    """Penultimate-layer features of the digit classifier (before its ReLU).

    images: (N, 28, 28), (N, 1, 28, 28) or (N, 784) float in [0, 1] (uint8 is read as 0..255),
    or the same shapes for 8x8 digits. Returns (N, 64) float32 on the images' device.
    """
    return _apply(images, lambda model, x: model.features(x))


def digit_probs(images: torch.Tensor) -> torch.Tensor:
    """Class probabilities p(y | x) of the digit classifier, for an Inception-style score.

    images: as for `digit_features`. Returns (N, 10) float32, rows summing to 1.
    """
    return _apply(images, lambda model, x: model(x).softmax(dim=1))


def classifier_record(image_size: int = 28) -> dict:
    """The recorded config and test accuracies (<name>.json) of a classifier."""
    return json.loads(Path(verified_path(f"{CONFIGS[image_size].name}.json")).read_text())
