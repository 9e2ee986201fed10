"""figures.py on fixed arrays: the latent plane and grid, and every figure of a run written as a PNG
or GIF."""

import imageio.v3 as iio
import numpy as np
import pandas as pd
import pytest

import figures

CLASSES = "ABCDE"


def decode(z):
    """A dot whose column follows z[:, 0] and whose row follows −z[:, 1] (up = +z[1])."""
    z = np.asarray(z, np.float32)
    images = np.zeros((len(z), 28, 28, 1), np.float32)
    rows = np.clip(np.round(13.5 - 4 * z[:, 1]), 0, 27).astype(int) if z.shape[1] > 1 else np.full(len(z), 13)
    cols = np.clip(np.round(13.5 + 4 * z[:, 0]), 0, 27).astype(int)
    images[np.arange(len(z)), rows, cols, 0] = 1
    return images


def dot(tile):
    return np.unravel_index(tile.argmax(), tile.shape)


def test_the_grid_walks_the_latent_plane_with_up_as_the_second_axis():
    plane = figures.latent_plane(np.random.default_rng(0).normal(size=(50, 2)))
    np.testing.assert_array_equal(plane[1], np.eye(2))  # 2-D: the plane is the latent plane, whatever z
    grid = figures.render_latent_grid(decode, plane, n=5)
    assert grid.shape == (5 * 28, 5 * 28)
    top_left, bottom_right = grid[:28, :28], grid[-28:, -28:]
    assert dot(top_left)[0] < dot(bottom_right)[0] and dot(top_left)[1] < dot(bottom_right)[1]


def test_beyond_two_dimensions_the_plane_is_the_principal_one_with_a_fixed_sign():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(500, 4)) * [0.1, 3.0, 0.1, 1.0]
    center, axes, spread = figures.latent_plane(z)
    assert abs(axes[0][1]) > 0.99 and abs(axes[1][3]) > 0.99 and spread[0] > spread[1]
    np.testing.assert_allclose(figures.latent_plane(-z)[1], axes, atol=1e-6)  # no flip between GIF frames


def test_every_figure_of_a_run_is_written(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.arange(15) % len(CLASSES)  # few images: each is an axes of its own in two figures
    images = rng.random((15, 28, 28, 1)).astype(np.float32)
    z = rng.normal(size=(15, 2))
    history = pd.DataFrame(
        {
            "epoch": range(3),
            "loss": [200.0, 190, 185],
            "reconstruction": [190.0, 182, 178],
            "kl": [10.0, 8, 7],
            "val_loss": [201.0, 192, 188],
            "val_reconstruction": [191.0, 184, 181],
            "val_kl": [10.0, 8, 7],
        }
    )
    figures.plot_samples(images, labels, CLASSES, tmp_path / "samples.png", "t")
    figures.plot_reconstructions(images, images, labels, CLASSES, tmp_path / "reconstructions.png", "t")
    figures.plot_latent_grid(decode, z, tmp_path / "latent_grid.png", "t")
    figures.plot_latent_scatter(z, labels, CLASSES, tmp_path / "latent_scatter.png", "t")
    figures.plot_interpolations(decode, z, labels, CLASSES, tmp_path / "interpolation.png", "t")
    figures.plot_traversals(decode, 3, tmp_path / "traversals.png", "t")
    figures.plot_generated(decode, 2, 9, tmp_path / "generated.png", "t")
    figures.plot_history(history, tmp_path / "history.png", "t")
    frames = [
        figures.render_gif_frame(
            figures.render_latent_grid(decode, figures.latent_plane(z), 5), "t", f"epoch {i}"
        )
        for i in (1, 2)
    ]
    assert frames[0].shape == frames[1].shape and frames[0].dtype == np.uint8
    assert not np.array_equal(frames[0], frames[1])  # the caption changed
    figures.write_gif(frames, tmp_path / "latent_grid.gif")
    assert len(iio.imread(tmp_path / "latent_grid.gif", index=None)) == 2
    names = [
        "samples",
        "reconstructions",
        "latent_grid",
        "latent_scatter",
        "interpolation",
        "traversals",
        "generated",
        "history",
    ]
    for name in names:
        picture = iio.imread(tmp_path / f"{name}.png")
        assert picture.ndim == 3 and picture.shape[0] > 100 and picture.min() < 100, name  # drawn, with ink
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted([f"{name}.png" for name in names] + ["latent_grid.gif"])  # nothing half-written


def test_interpolations_need_two_classes(tmp_path):
    with pytest.raises(ValueError, match="two classes"):
        figures.plot_interpolations(
            decode, np.zeros((4, 2)), np.zeros(4, int), CLASSES, tmp_path / "x.png", "t"
        )
