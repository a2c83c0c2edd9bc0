"""course.plotting, headless: each helper returns a figure with the expected axes and draws exactly
the data it was given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course.plotting import (
    density_grid, density_heatmap, image_grid, loss_curves, pmf_vs_histogram, scatter_2d,
    tile_images,
)  # fmt: skip


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_tiles_every_image_in_place():
    images = torch.rand(7, 5, 6)
    figure = image_grid(images, nrow=3, title="samples")
    assert len(figure.axes) == 1
    mosaic = figure.axes[0].images[0].get_array()
    assert mosaic.shape == (3 * 6 + 1, 3 * 7 + 1)  # 3 rows of (5 + pad), 3 columns of (6 + pad)
    for i in range(7):
        top, left = 1 + (i // 3) * 6, 1 + (i % 3) * 7
        tile = mosaic[top : top + 5, left : left + 6]
        np.testing.assert_array_equal(tile, images[i].double().numpy())
    # Flat (N, 784) and channel (N, 1, H, W) inputs give the same mosaic.
    digits = torch.rand(4, 28, 28)
    np.testing.assert_array_equal(tile_images(digits.reshape(4, 784)), tile_images(digits[:, None]))
    with pytest.raises(ValueError, match="square"):
        tile_images(torch.rand(3, 10))


def test_density_heatmap_draws_the_density():
    normal = torch.distributions.MultivariateNormal(torch.zeros(2), torch.eye(2))
    figure = density_heatmap(normal.log_prob, xlim=(-3, 3), ylim=(-2, 2), resolution=41)
    assert len(figure.axes) == 2  # the heat map and its colour bar
    assert len(density_heatmap(normal.log_prob, colorbar=False).axes) == 1
    xs, ys, density = density_grid(normal.log_prob, (-3, 3), (-2, 2), 41)
    # density[i, j] is p(xs[j], ys[i]); float32 log_prob, exponentiated: 1e-6 relative.
    expected = np.exp(-0.5 * (xs[None, :] ** 2 + ys[:, None] ** 2)) / (2 * np.pi)
    np.testing.assert_allclose(density, expected, rtol=1e-6)
    np.testing.assert_allclose(figure.axes[0].images[0].get_array(), density)


def test_scatter_2d_draws_each_set():
    a, b = torch.randn(50, 2), np.random.default_rng(0).normal(size=(30, 2))
    figure = scatter_2d(a, b, labels=["data", "model"])
    axes = figure.axes
    assert len(axes) == 1 and len(axes[0].collections) == 2
    np.testing.assert_allclose(axes[0].collections[0].get_offsets(), a.numpy())
    np.testing.assert_allclose(axes[0].collections[1].get_offsets(), b)
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["data", "model"]
    with pytest.raises(ValueError, match="sample set 0"):
        scatter_2d(torch.randn(5, 3))


def test_pmf_vs_histogram_heights():
    data = torch.tensor([0, 1, 1, 3, 3, 3, 5])
    pmf = torch.softmax(torch.arange(6.0), dim=0)
    figure = pmf_vs_histogram(pmf, data)
    ax = figure.axes[0]
    assert len(figure.axes) == 1
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, np.bincount(data.numpy(), minlength=6) / 7)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), pmf.numpy())
    with pytest.raises(ValueError, match="data"):
        pmf_vs_histogram(pmf, torch.tensor([6]))


def test_loss_curves():
    figure = loss_curves({"train": [3.0, 2.0, 1.5], "test": [3.5, 2.5]}, logy=True)
    ax = figure.axes[0]
    assert len(figure.axes) == 1 and len(ax.lines) == 2 and ax.get_yscale() == "log"
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), [3.5, 2.5])


def test_draws_into_a_given_axes():
    figure, axes = plt.subplots(1, 3)
    assert image_grid(torch.rand(4, 8, 8), ax=axes[0]) is figure
    assert scatter_2d(torch.randn(10, 2), ax=axes[1]) is figure
    assert pmf_vs_histogram(torch.ones(3) / 3, torch.tensor([0, 2]), ax=axes[2]) is figure
    assert len(figure.axes) == 3
