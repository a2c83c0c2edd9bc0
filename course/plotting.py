"""Matplotlib helpers for the notebooks. Each draws into `ax` (a new figure when None) and returns
the Figure. They take torch tensors or numpy arrays and work headless (the Agg backend).

    image_grid(samples)                       a tiled grid of images
    density_heatmap(log_prob, xlim, ylim)     a 2-D density exp(log_prob) with contours
    scatter_2d(data, samples, labels=[...])   2-D point clouds
    pmf_vs_histogram(pmf, x)                  a 1-D model pmf over the data's frequencies
    loss_curves({"train": history})           loss against step
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _axes(ax: Axes | None, figsize=(4, 4)) -> Axes:
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def tile_images(images, nrow: int | None = None, pad: int = 1) -> np.ndarray:
    """images: (N, H, W), (N, 1, H, W) or (N, D) with D a square. Returns the (rows·(H+pad)+pad,
    cols·(W+pad)+pad) mosaic, row by row, with padding value 0.5; nrow defaults to ceil(sqrt(N))."""
    x = _numpy(images).astype(np.float64)
    if x.ndim == 2:
        side = math.isqrt(x.shape[1])
        if side * side != x.shape[1]:
            raise ValueError(f"images of shape {x.shape} are not square when flattened")
        x = x.reshape(-1, side, side)  # (N, H, W)
    elif x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]  # (N, H, W)
    if x.ndim != 3:
        raise ValueError(f"images must be (N, H, W), (N, 1, H, W) or (N, H*W), got {x.shape}")
    n, h, w = x.shape
    cols = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    mosaic = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), 0.5)
    for i in range(n):
        top, left = pad + (i // cols) * (h + pad), pad + (i % cols) * (w + pad)
        mosaic[top : top + h, left : left + w] = x[i]
    return mosaic


def image_grid(images, nrow: int | None = None, title: str | None = None, ax: Axes | None = None,
               vmin: float = 0.0, vmax: float = 1.0) -> Figure:  # fmt: skip
    """One axes showing `images` (values in [vmin, vmax], grey) tiled `nrow` per row."""
    ax = _axes(ax)
    ax.imshow(tile_images(images, nrow), cmap="gray", vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax.figure


@torch.no_grad()
def density_grid(log_prob: Callable, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0), resolution: int = 200):
    """log_prob: (M, 2) float32 -> (M,). Returns (xs (R,), ys (R,), density (R, R)), where
    density[i, j] = exp(log_prob([xs[j], ys[i]]))."""
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(xs, ys)  # (R, R) each; rows follow y
    points = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], axis=1)).float()  # (R*R, 2)
    density = _numpy(log_prob(points)).astype(np.float64).reshape(resolution, resolution)
    return xs, ys, np.exp(density)  # (R, R)


def density_heatmap(log_prob: Callable, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0), resolution: int = 200,
                    contours: bool = True, colorbar: bool = True, title: str | None = None,
                    ax: Axes | None = None) -> Figure:  # fmt: skip
    """Heat map of exp(log_prob) on a grid over xlim × ylim, with density contours and a colour
    bar (which adds a second axes to the figure)."""
    ax = _axes(ax)
    xs, ys, density = density_grid(log_prob, xlim, ylim, resolution)
    image = ax.imshow(density, origin="lower", extent=(*xlim, *ylim), aspect="auto", cmap="viridis")
    if contours and density.max() > density.min():
        ax.contour(xs, ys, density, levels=6, colors="white", linewidths=0.6)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="density")
    if title:
        ax.set_title(title)
    return ax.figure


def scatter_2d(*sample_sets, labels: list[str] | None = None, title: str | None = None,
               ax: Axes | None = None, size: float = 2.0, alpha: float = 0.5) -> Figure:
    """Each (N, 2) set of points as one scatter, with a legend when labels are given."""
    ax = _axes(ax)
    for i, samples in enumerate(sample_sets):
        points = _numpy(samples)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"sample set {i} must be (N, 2), got {points.shape}")
        label = labels[i] if labels else None
        ax.scatter(points[:, 0], points[:, 1], s=size, alpha=alpha, label=label)
    if labels:
        ax.legend(markerscale=4)
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    return ax.figure


def pmf_vs_histogram(pmf, data, title: str | None = None, ax: Axes | None = None) -> Figure:
    """pmf: (K,) model probabilities; data: (N,) int64 in [0, K). Bars of the data's relative
    frequencies, and the pmf as a line with markers."""
    ax = _axes(ax, figsize=(6, 3))
    p, x = _numpy(pmf).astype(np.float64), _numpy(data).astype(np.int64)
    if x.min() < 0 or x.max() >= len(p):
        raise ValueError(f"data must lie in [0, {len(p)}), got values {x.min()} to {x.max()}")
    frequencies = np.bincount(x, minlength=len(p)) / len(x)
    values = np.arange(len(p))
    ax.bar(values, frequencies, width=1.0, alpha=0.4, label="data frequency")
    ax.plot(values, p, "o-", markersize=2, color="C3", label="model pmf")
    ax.set_xlabel("x")
    ax.set_ylabel("probability")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax.figure


def loss_curves(histories: dict[str, list[float]], logy: bool = False, title: str | None = None,
                ax: Axes | None = None) -> Figure:  # fmt: skip
    """One line per named loss history, against the step."""
    ax = _axes(ax, figsize=(6, 3))
    for name, history in histories.items():
        ax.plot(np.arange(1, len(history) + 1), history, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if logy:
        ax.set_yscale("log")
    ax.legend()
    if title:
        ax.set_title(title)
    return ax.figure
