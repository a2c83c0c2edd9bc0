"""A small, generic training loop for the notebooks.

    config = TrainConfig(num_epochs=5, lr=1e-3)
    history = train(model, lambda x: model.nll(x).mean(), tensor_loader(x_train, seed=0), config)

`loss_fn` receives each batch (a tuple or list from a DataLoader is unpacked into arguments), or
nothing when `data` is None, and returns a () loss. Adam minimizes it; `train` returns the loss of
every step. Randomness: the loop draws none itself; `tensor_loader` shuffles with its own seeded
generator, so torch's global generator is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm


@dataclass
class TrainConfig:
    num_epochs: int = 1  # passes over `data` (ignored when data is None)
    num_steps: int | None = None  # stop after this many steps; required when data is None
    lr: float = 1e-3  # Adam learning rate
    weight_decay: float = 0.0  # Adam's L2 penalty
    grad_clip: float | None = None  # maximum global gradient norm; None: no clipping
    progress: bool = True  # show a tqdm progress bar
    desc: str = "train"  # label of the progress bar


def tensor_loader(
    *tensors: torch.Tensor, batch_size: int = 128, shuffle: bool = True, seed: int = 0
) -> DataLoader:
    """DataLoader over tensors sharing their first dimension, shuffled by a generator seeded with
    `seed` (reproducible, and torch's global generator is not used). Batches are tuples."""
    generator = torch.Generator().manual_seed(seed)
    dataset = TensorDataset(*tensors)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def _batches(data: Iterable | None, config: TrainConfig):
    if data is None:
        while True:
            yield ()
    for _ in range(config.num_epochs):
        for batch in data:
            yield tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)


def _total_steps(data: Iterable | None, config: TrainConfig) -> int | None:
    per_epoch = len(data) * config.num_epochs if hasattr(data, "__len__") else None
    if config.num_steps is None:
        return per_epoch
    return config.num_steps if per_epoch is None else min(config.num_steps, per_epoch)


def train(
    params: nn.Module | Iterable[torch.Tensor],
    loss_fn: Callable[..., torch.Tensor],
    data: Iterable | None = None,
    config: TrainConfig | None = None,
    callback: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Minimize loss_fn with Adam over the parameters `params` (a module or tensors).

    data: a DataLoader (or any iterable of batches), or None to call loss_fn() every step.
    callback(step, loss) runs after each step (step counts from 1). Returns the per-step losses.
    Raises FloatingPointError at the first non-finite loss, naming the step.
    """
    config = config or TrainConfig()
    if data is None and config.num_steps is None:
        raise ValueError("config.num_steps must be set when data is None")
    parameters = list(params.parameters() if isinstance(params, nn.Module) else params)
    optimizer = torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    total = _total_steps(data, config)
    history: list[float] = []
    bar = tqdm(total=total, desc=config.desc, disable=not config.progress)
    for step, batch in enumerate(_batches(data, config), start=1):
        loss = loss_fn(*batch)
        if not torch.isfinite(loss):
            bar.close()
            raise FloatingPointError(f"loss is {loss.item()} at step {step}")
        optimizer.zero_grad()
        loss.backward()
        if config.grad_clip is not None:
            nn.utils.clip_grad_norm_(parameters, config.grad_clip)
        optimizer.step()
        history.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{history[-1]:.4g}", refresh=False)
        if callback is not None:
            callback(step, history[-1])
        if total is not None and step >= total:
            break
    bar.close()
    return history


def moving_average(history: list[float], window: int = 50) -> list[float]:
    """Trailing mean of the last `window` values, for smoother loss curves."""
    window = max(1, min(window, len(history)))
    cumsum = [0.0]
    for value in history:
        cumsum.append(cumsum[-1] + value)
    return [(cumsum[i] - cumsum[max(0, i - window)]) / min(i, window)
            for i in range(1, len(cumsum))]

