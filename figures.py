"""Figures for the VAE scripts: samples, reconstructions, the latent space, training curves.

Every function takes numpy arrays (and, where it draws new images, a `decode(z)` function
that returns them) and writes one PNG (or GIF) atomically, so a reader never sees half a
file. It knows nothing of Keras or the model: run_figures.py decides what to draw
(run_figures.choose_figures). The class colours are loaders.PALETTE, shared with report.html.
Images are floats in 0..1 stored as white ink on black; they are all shown with the "gray_r"
colormap, i.e. as dark ink on white paper. `classes` is a string whose i-th character names class i, and
`title` names the run ("letters · synthetic · dense, latent 2"); it goes under each figure's heading.
"""

import os
from itertools import combinations
from pathlib import Path

import matplotlib

# Files only, no display (before pyplot loads); but in a notebook's kernel, which names its
# inline backend in MPLBACKEND, keep that one, so the notebook's own plots still show.
if "inline" not in os.environ.get("MPLBACKEND", ""):
    matplotlib.use("Agg")

import imageio.v3 as iio
import matplotlib.patheffects as patheffects
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from PIL import Image, ImageOps
from scipy.stats import norm
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE

from files import atomic_write
from loaders import PALETTE  # one colour per class, shared with report.html

CMAP = "gray_r"
# Pairs that make telling interpolations (similar shapes); those whose classes exist are used.
DEFAULT_PAIRS = [("A", "E"), ("O", "U"), ("M", "W"), ("1", "7"), ("3", "8"), ("4", "9")]
# "tight" trims the slack that fixed-aspect image axes leave, and never cuts off a title.
plt.rcParams.update(
    {
        "font.size": 11,
        "axes.titlesize": 12,
        "figure.titlesize": 13,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "savefig.dpi": 120,
        "savefig.facecolor": "white",
        "savefig.bbox": "tight",
    }
)


# ----------------------------------------------------------------------------
# Helpers


def save_figure(fig, path):
    """Save fig to path atomically, then close it (figures hold memory until closed)."""
    try:
        atomic_write(path, fig.savefig)
    finally:
        plt.close(fig)


def _images(x):
    """(n, 28, 28) floats in 0..1, from (n, 28, 28), (n, 28, 28, 1) or (n, 784)."""
    x = np.asarray(x, dtype=np.float32)
    return np.clip(x.reshape(len(x), 28, 28), 0.0, 1.0)


def _decode(decode, z):
    return _images(decode(np.asarray(z, dtype=np.float32)))


def _tile(images, rows, cols):
    """Tile images row by row into one (rows*28, cols*28) array; missing tiles stay blank."""
    tiled = np.zeros((rows, cols, 28, 28), dtype=np.float32)
    tiled.reshape(-1, 28, 28)[: len(images)] = images
    return tiled.transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


def _show(ax, image, separators=None):
    """Draw an image as ink on paper; separators=(rows, cols) draws faint lines between tiles."""
    ax.imshow(image, cmap=CMAP, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set(visible=True, color="0.75", linewidth=0.8)
    if separators:  # minor ticks between the tiles carry the faint lines
        ax.set_yticks(np.arange(1, separators[0]) * 28 - 0.5, minor=True)
        ax.set_xticks(np.arange(1, separators[1]) * 28 - 0.5, minor=True)
        ax.tick_params(which="minor", length=0)
        ax.grid(which="minor", color="0.85", linewidth=0.6)


def _centres(count):
    """Pixel positions of the centres of `count` consecutive 28-pixel tiles."""
    return np.arange(count) * 28 + 13.5


# ----------------------------------------------------------------------------
# Data and reconstructions


def _tiles_figure(rows, captions=None, row_labels=None, space_above=None, gap=4):
    """A figure of rows of 28×28 images (None: a blank) drawn as one picture, about an inch per
    tile, each tile framed, with a caption over each tile of a row (captions[r], or None) and a
    label left of each row. Returns (fig, ax) for the title.

    One image axes for the whole figure: a figure of 52 small axes took seconds to lay out."""
    captions = captions or [None] * len(rows)
    space_above = space_above or [0] * len(rows)
    tops, y = [], 0
    for r in range(len(rows)):
        y += space_above[r] + (12 if captions[r] else 0)  # room for the captions' letters
        tops.append(y)
        y += 28 + gap
    canvas = np.zeros((y - gap, max(len(row) for row in rows) * (28 + gap) - gap), np.float32)
    inches_per_pixel = 1.0 / 32
    fig, ax = plt.subplots(
        figsize=(canvas.shape[1] * inches_per_pixel + 0.3, canvas.shape[0] * inches_per_pixel + 0.8)
    )
    frames = []
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            if image is None:
                continue
            left = c * (28 + gap)
            canvas[tops[r] : tops[r] + 28, left : left + 28] = image
            frames.append(Rectangle((left - 0.5, tops[r] - 0.5), 28, 28))
            if captions[r] is not None:
                ax.text(
                    left + 13.5,
                    tops[r] - 2,
                    captions[r][c],
                    ha="center",
                    va="bottom",
                    fontsize=12,
                    fontweight="bold",
                )
        if row_labels is not None and row_labels[r]:
            ax.text(-4, tops[r] + 13.5, row_labels[r], ha="right", va="center", fontsize=10)
    ax.imshow(canvas, cmap=CMAP, vmin=0, vmax=1, interpolation="nearest")
    ax.add_collection(PatchCollection(frames, facecolor="none", edgecolor="0.75", linewidth=0.8))
    ax.axis("off")
    return fig, ax


def plot_samples(images, labels, classes, path, title, n=40):
    """A grid of training images, each captioned with its character, every class shown."""
    images, labels = _images(images), np.asarray(labels)
    # Take images round-robin over the classes, so rare or late classes still appear.
    per_class = [list(np.flatnonzero(labels == c)) for c in range(len(classes))]
    chosen = []
    while len(chosen) < min(n, len(images)):
        chosen += [ids.pop(0) for ids in per_class if ids][: n - len(chosen)]
    chosen = sorted(chosen, key=lambda i: (labels[i], i))
    cols = min(10, len(chosen))
    rows = [chosen[start : start + cols] for start in range(0, len(chosen), cols)]
    fig, ax = _tiles_figure(
        [[images[i] for i in row] for row in rows],
        captions=[[classes[labels[i]] for i in row] for row in rows],
    )
    ax.set_title(f"Training images\n{title}", fontsize=13)
    save_figure(fig, path)


def plot_reconstructions(originals, reconstructions, labels, classes, path, title, n=26):
    """Test images (captioned with their character) above their reconstructions, 12 to a block."""
    originals, reconstructions = _images(originals)[:n], _images(reconstructions)[:n]
    n = len(originals)
    cols = min(12, n)
    rows, captions, labels_, space = [], [], [], []
    for start in range(0, n, cols):  # a block: the originals over their reconstructions
        block = range(start, min(start + cols, n))
        rows += [[originals[i] for i in block], [reconstructions[i] for i in block]]
        captions += [[classes[labels[i]] for i in block], None]
        labels_ += ["original", "reconstruction"]
        space += [10 if start else 0, 0]  # blocks stand apart from each other
    fig, ax = _tiles_figure(rows, captions=captions, row_labels=labels_, space_above=space)
    ax.set_title(f"Test images and their reconstructions (from z_mean)\n{title}", fontsize=13)
    save_figure(fig, path)


# ----------------------------------------------------------------------------
# The latent space


def latent_plane(z):
    """(center, axes, spread) of the 2-D plane to walk: the latent plane itself for
    latent_dim 2, else the first two principal components of z, other coordinates at
    their mean. spread[k] is the standard deviation along axes[k] (1 = the prior's)."""
    z = np.asarray(z, dtype=np.float64)
    if z.shape[1] == 1:  # a line, not a plane: the second axis has no length (the grid is one row)
        return np.zeros(1), np.array([[1.0], [0.0]]), np.array([1.0, 0.0])
    if z.shape[1] == 2:
        return np.zeros(2), np.eye(2), np.ones(2)
    pca = PCA(n_components=2).fit(z)
    # Fix each component's sign (largest entry positive) so the GIF does not flip between epochs.
    axes = (
        pca.components_ * np.sign(pca.components_[np.arange(2), np.abs(pca.components_).argmax(1)])[:, None]
    )
    return pca.mean_, axes, np.sqrt(pca.explained_variance_)


def plane_coordinates(plane, n, prior=None):
    """Coordinates along each plane axis: Gaussian quantiles 5%..95% scaled by the spread,
    so with latent_dim 2 they cover the prior N(0, I) and with PCA the data's spread.

    prior: samples (m, latent_dim) of a learned prior (priors.py), whose mass need not sit
    around 0: then the 5%..95% quantiles of their projections on each axis, so the grid covers
    where that prior puts its mass."""
    if prior is None:
        quantiles = norm.ppf(np.linspace(0.05, 0.95, n))
        return plane[2][0] * quantiles, plane[2][1] * quantiles
    center, axes, _ = plane
    points = (np.asarray(prior, dtype=np.float64) - center) @ axes.T
    levels = np.linspace(0.05, 0.95, n)
    return np.quantile(points[:, 0], levels), np.quantile(points[:, 1], levels)


def render_latent_grid(decode, plane, n=20, coordinates=None):
    """Decode an n×n grid over the plane; returns the tiled (n*28, n*28) image, up = +axis 2.
    coordinates: (xs, ys) along the plane's axes, instead of plane_coordinates(plane, n)."""
    center, axes, spread = plane
    xs, ys = coordinates if coordinates is not None else plane_coordinates(plane, n)
    if spread[1] == 0:  # a 1-D latent space: one row
        ys = ys[:1]
    gx, gy = np.meshgrid(xs, ys[::-1])  # image row 0 is the top, i.e. the largest y
    z = center + gx.reshape(-1, 1) * axes[0] + gy.reshape(-1, 1) * axes[1]
    return _tile(_decode(decode, z), len(ys), len(xs))


def plot_latent_grid(decode, z, path, title, n=20, subject=None, prior=None):
    """What the decoder draws across the latent plane (or the test data's PCA plane).
    subject: the one character a conditional model draws there, in many hands.
    prior: samples of a learned prior, to space the grid by their quantiles (plane_coordinates)."""
    z = np.asarray(z, dtype=np.float32)
    plane = latent_plane(z)
    xs, ys = plane_coordinates(plane, n, prior)
    line = z.shape[1] == 1
    fig, ax = plt.subplots(figsize=(7.6, 1.9 if line else 8.1), layout="constrained")
    ax.imshow(render_latent_grid(decode, plane, n, coordinates=(xs, ys)), cmap=CMAP, vmin=0, vmax=1)
    ticks = np.unique(np.linspace(0, n - 1, min(n, 7)).round().astype(int))
    ax.set_xticks(_centres(n)[ticks], [f"{x:.1f}" for x in xs[ticks]])
    ax.set_yticks([] if line else _centres(n)[ticks], [] if line else [f"{y:.1f}" for y in ys[::-1][ticks]])
    names = {1: ("z[0]", ""), 2: ("z[0]", "z[1]")}.get(z.shape[1], ("PC1", "PC2"))
    ax.set(xlabel=names[0], ylabel=names[1])
    what = {1: "latent line", 2: "latent plane"}.get(z.shape[1], "test data's first two principal components")
    heading = (
        f"'{subject}' in many hands: the decoder over the {what} of styles"
        if subject
        else f"Decoder output over the {what}"
    )
    if prior is not None:
        heading += ", spaced by the learned prior's quantiles"
    fig.suptitle(f"{heading}\n{title}")
    save_figure(fig, path)


def plot_latent_scatter(z, labels, classes, path, title, method="pca", markers=None, marker_name=None):
    """Test z_means coloured by class, each class's character written at its centre.
    markers: points (K, latent_dim) named marker_name, a learned prior's components' means, drawn
    as black crosses (in 1-D and with t-SNE, which has no projection for new points, they are left out)."""
    z, labels = np.asarray(z, dtype=np.float32), np.asarray(labels)
    project = None  # latent points → the figure's plane, where there is such a map
    if z.shape[1] == 1:  # one latent coordinate: spread the classes out vertically instead
        jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(z))
        xy, names, how = np.column_stack([z[:, 0], labels + jitter]), ("z[0]", "class"), ""
    elif z.shape[1] == 2:
        xy, names, how = z, ("z[0]", "z[1]"), ""
        project = lambda points: points
    elif method == "tsne":
        # t-SNE is slow and quadratic-ish: a fixed subsample keeps it to a minute or so.
        keep = np.sort(np.random.default_rng(0).permutation(len(z))[:5000])
        z, labels = z[keep], labels[keep]
        perplexity = min(30.0, (len(z) - 1) / 3)
        xy = TSNE(2, perplexity=perplexity, init="pca", random_state=0).fit_transform(z)
        names, how = ("t-SNE 1", "t-SNE 2"), ", t-SNE"
    else:
        center, axes, _ = latent_plane(z)  # the grid's plane, so both figures face the same way
        project = lambda points: (points - center) @ axes.T
        xy, names, how = project(z), ("PC1", "PC2"), ", PCA"
    colors = np.array(PALETTE * (len(classes) // len(PALETTE) + 1))
    fig, ax = plt.subplots(figsize=(9, 7.5), layout="constrained")
    size = np.clip(20000 / len(xy), 4, 16)  # small points when there are many, so clusters show
    ax.scatter(xy[:, 0], xy[:, 1], c=colors[labels], s=size, alpha=0.45, linewidths=0, rasterized=True)
    outline = [patheffects.withStroke(linewidth=4, foreground="white")]
    present = [c for c in range(len(classes)) if np.any(labels == c)]
    for c in present:
        # The median sits inside the cluster even when a few points stray far away.
        cx, cy = np.median(xy[labels == c], axis=0)
        ax.text(
            cx,
            cy,
            classes[c],
            color=colors[c],
            fontsize=20,
            fontweight="bold",
            ha="center",
            va="center",
            path_effects=outline,
        )
    handles = [
        Line2D([], [], linestyle="", marker="o", markersize=7, color=colors[c], label=classes[c])
        for c in present
    ]
    if markers is not None and project is not None:
        marks = project(np.asarray(markers, dtype=np.float32))
        ax.scatter(marks[:, 0], marks[:, 1], marker="x", c="black", s=28, linewidths=1.2, zorder=3)
        handles.append(
            Line2D([], [], linestyle="", marker="x", markersize=7, color="black", label=marker_name)
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
        ncols=1 if len(present) <= 13 else 2,
        columnspacing=0.8,
        handletextpad=0.2,
    )
    ax.set(xlabel=names[0], ylabel=names[1])
    fig.suptitle(f"Latent space: test z_mean by class{how}\n{title}")
    save_figure(fig, path)


# ----------------------------------------------------------------------------
# Training curves


def plot_history(history, path, title):
    """Total loss, reconstruction and KL per epoch, training and validation (and the style
    adversary's accuracy, for a model that has one)."""
    epochs = history["epoch"] + 1
    # A train_k column: the loss is the negative IWAE bound with that many samples (VAE.compute_losses).
    total = (
        f"total loss: −IWAE bound, k = {history['train_k'].iloc[-1]:g}"
        if "train_k" in history
        else "total loss"
    )
    panels = [("loss", total), ("reconstruction", "reconstruction  −log p(x|z)"), ("kl", "KL divergence")]
    if "adversary_accuracy" in history:
        panels.append(("adversary_accuracy", "style adversary: class named from z"))
    fig, axes = plt.subplots(1, len(panels), figsize=(14 / 3 * len(panels), 4.4), layout="constrained")
    for ax, (key, name) in zip(axes, panels):
        ax.plot(epochs, history[key], "o-", markersize=4, label="training")
        if f"val_{key}" in history and history[f"val_{key}"].notna().any():
            ax.plot(epochs, history[f"val_{key}"], "s--", markersize=4, label="validation")
        if "kl_weight" in history and (history["kl_weight"] < history["kl_weight"].max()).any():
            # Warm-up epochs: the training loss used a smaller KL weight than validation does.
            warm = epochs[history["kl_weight"] < history["kl_weight"].max()]
            ax.axvspan(
                warm.min() - 0.5,
                warm.max() + 0.5,
                color="0.92",
                zorder=0,
                label="KL warm-up (training loss weighted)" if key == "loss" else None,
            )
        ax.set(
            title=name, xlabel="epoch", ylabel="accuracy" if key == "adversary_accuracy" else "nats per image"
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_xlim(0.5, epochs.max() + 0.5)
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(f"Training history (mean per image)\n{title}")
    save_figure(fig, path)


# ----------------------------------------------------------------------------
# Decoding chosen points


def plot_traversals(decode, latent_dim, path, title, n_dims=10, steps=11):
    """Row i: vary latent dimension i from −3 to +3 with the others at 0."""
    dims, values = min(n_dims, latent_dim), np.linspace(-3, 3, steps)
    z = np.zeros((dims, steps, latent_dim), dtype=np.float32)
    z[np.arange(dims), :, np.arange(dims)] = values
    fig, ax = plt.subplots(figsize=(0.75 * steps + 1.2, 0.8 * dims + 1.2), layout="constrained")
    _show(ax, _tile(_decode(decode, z.reshape(-1, latent_dim)), dims, steps), separators=(dims, steps))
    ax.set_xticks(_centres(steps), [f"{v:+.1f}" if v else "0" for v in values])
    ax.set_yticks(_centres(dims), [f"z[{i}]" for i in range(dims)])
    ax.tick_params(length=0)
    ax.set_xlabel("value of the varied coordinate (others at 0)")
    fig.suptitle(f"Latent traversals: one coordinate at a time\n{title}")
    save_figure(fig, path)


def _interpolation_pairs(present, pairs):
    """The requested (or default) pairs whose classes are both present; the default (or an
    empty result) is topped up to 3 rows."""
    wanted = pairs if pairs is not None else DEFAULT_PAIRS
    keep = list(dict.fromkeys((a, b) for a, b in wanted if a in present and b in present and a != b))
    if pairs is None or not keep:  # top up: consecutive classes first, then any other pair
        keep = list(dict.fromkeys(keep + list(zip(present, present[1:])) + list(combinations(present, 2))))[
            :3
        ]
    return keep


def plot_interpolations(decode, z, labels, classes, path, title, pairs=None, steps=10, seed=0):
    """Decode the straight line between the z_means of two test examples (a random one of each
    class, drawn with `seed`), one row per pair."""
    z, labels = np.asarray(z, dtype=np.float32), np.asarray(labels)
    present = [classes[c] for c in range(len(classes)) if np.any(labels == c)]
    pairs = _interpolation_pairs(present, pairs)
    if not pairs:
        raise ValueError("interpolations need test examples of at least two classes")
    rng = np.random.default_rng(seed)
    chosen = {ch: z[rng.choice(np.flatnonzero(labels == classes.index(ch)))] for ch in present}
    t = np.linspace(0, 1, steps)[:, None]
    line = np.concatenate([(1 - t) * chosen[a] + t * chosen[b] for a, b in pairs])
    fig, ax = plt.subplots(figsize=(0.8 * steps + 1.4, 0.82 * len(pairs) + 1.2), layout="constrained")
    _show(ax, _tile(_decode(decode, line), len(pairs), steps), separators=(len(pairs), steps))
    ax.set_yticks(_centres(len(pairs)), [a for a, _ in pairs], fontsize=16, fontweight="bold")
    right = ax.secondary_yaxis("right")
    right.set_yticks(_centres(len(pairs)), [b for _, b in pairs], fontsize=16, fontweight="bold")
    right.tick_params(length=0)
    right.spines["right"].set_visible(False)
    ax.tick_params(length=0)
    ax.set_xlabel("straight line in latent space between the z_means of two test images")
    fig.suptitle(f"Interpolations between classes\n{title}")
    save_figure(fig, path)


def plot_generated(decode, latent_dim, n, path, title, seed=0, z=None, prior="N(0, I)"):
    """n new images decoded from z ~ N(0, I), the prior, or from z, draws of the named prior."""
    if z is None:
        z = np.random.default_rng(seed).standard_normal((n, latent_dim))
    z = np.asarray(z, dtype=np.float32)
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    fig, ax = plt.subplots(figsize=(max(4.5, 0.7 * cols + 0.6), 0.7 * rows + 1.1), layout="constrained")
    _show(ax, _tile(_decode(decode, z), rows, cols), separators=(rows, cols))
    fig.suptitle(f"New images decoded from z ~ {prior}\n{title}")
    save_figure(fig, path)


# ----------------------------------------------------------------------------
# A conditional model: one hand across every class
#
# decode(z, labels) takes z (n, d) and class indices (n,) and returns images (n, 28, 28, 1).

TEXT_IN_HEADING = 50  # characters of the written text quoted in plot_written's heading


def _decode_classes(decode, z, n_classes):
    """Decode every z (k, d) as every class: (k * n_classes, 28, 28), z-major (row = one z)."""
    z = np.asarray(z, dtype=np.float32).reshape(len(z), -1)
    labels = np.tile(np.arange(n_classes), len(z))
    return _images(decode(np.repeat(z, n_classes, axis=0), labels))


def _class_headers(ax, classes):
    """The classes' characters above the columns of a tiled image."""
    ax.xaxis.tick_top()
    ax.set_xticks(_centres(len(classes)), list(classes), fontsize=13, fontweight="bold")
    ax.tick_params(length=0)


def plot_alphabet(decode, styles, style_names, classes, path, title):
    """Every class in each style: row i decodes styles[i] (one z) with each class label, so a
    row is the whole alphabet (or all digits) in one hand; rows are named by style_names
    ("from test 'G'", "prior #1", "your 'a'")."""
    styles = np.asarray(styles, dtype=np.float32).reshape(len(styles), -1)
    if len(styles) != len(style_names):
        raise ValueError(f"{len(styles)} styles but {len(style_names)} names")
    rows, cols = len(styles), len(classes)
    fig, ax = plt.subplots(figsize=(0.42 * cols + 2.2, 0.46 * rows + 1.4), layout="constrained")
    _show(ax, _tile(_decode_classes(decode, styles, cols), rows, cols), separators=(rows, cols))
    _class_headers(ax, classes)
    ax.set_yticks(_centres(rows), style_names, fontsize=10)
    fig.suptitle(f"Every character in one hand per row: the row's z, each class's label\n{title}")
    save_figure(fig, path)


def plot_analogies(decode, z, labels, images, classes, path, title):
    """Test images (first column, apart from the rest) redrawn as every class with their own z:
    the style is carried over, the class is swapped (Kingma et al. 2014, "Semi-supervised
    learning with deep generative models", fig. 5). images (n, 28, 28) with their z (n, d)
    and labels (n,), which caption the inputs."""
    images, labels = _images(images), np.asarray(labels)
    z = np.asarray(z, dtype=np.float32).reshape(len(images), -1)
    rows, cols = len(images), len(classes)
    fig, (left, right) = plt.subplots(
        1,
        2,
        width_ratios=[1, cols],
        layout="constrained",
        figsize=(0.42 * (cols + 1) + 1.4, 0.46 * rows + 1.6),
    )
    fig.get_layout_engine().set(wspace=0.03)  # a visible gap between the inputs and the redrawings
    _show(left, _tile(images, rows, 1), separators=(rows, 1))
    left.xaxis.tick_top()
    left.set_xticks([13.5], ["input"], fontsize=10)
    left.set_yticks(_centres(rows), [classes[c] for c in labels], fontsize=12, fontweight="bold")
    left.tick_params(length=0)
    _show(right, _tile(_decode_classes(decode, z, cols), rows, cols), separators=(rows, cols))
    _class_headers(right, classes)
    right.set_xlabel("decoded from the input's z with each class label", fontsize=10)
    fig.suptitle(f"Analogies: each test image's style, drawn as every class\n{title}")
    save_figure(fig, path)


def plot_written(canvas, text, path, title, style_name):
    """A composed text (writing.compose_text: white ink on black) as dark ink on white paper."""
    canvas = np.clip(np.asarray(canvas, dtype=np.float32), 0, 1)
    height, width = canvas.shape
    inch = min(0.75 / 28, 16 / width)  # a 28 px letter is 0.75 in, as in the other figures, up to 16 in wide
    one_line = " / ".join(text.split("\n"))
    if len(one_line) > TEXT_IN_HEADING:
        one_line = one_line[: TEXT_IN_HEADING - 1] + "…"
    fig, ax = plt.subplots(figsize=(max(width * inch, 4.5) + 0.4, height * inch + 1.5), layout="constrained")
    _show(ax, canvas)
    fig.suptitle(f'Written in one style: "{one_line}"\nstyle: {style_name}\n{title}')
    save_figure(fig, path)


def _thumbnail(path, size=400):
    """The user's file as an RGB (or grey) array for display: upright, transparency on white."""
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((size, size))
        if image.mode.startswith("I") or image.mode == "F":  # 16-bit or float grey: scale to 0..1
            grey = np.asarray(image, dtype=np.float32)
            return grey / max(float(grey.max()), 1e-6), "gray"
        rgba = image.convert("RGBA")
        return np.asarray(
            Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
        ), None


def plot_style_input(original_paths, prepared, redrawn, path, title, most=8):
    """One row per letter of the user's (up to `most`): the photo (a thumbnail), the 28x28 image
    prepared from it (writing.prepare_style_image), what the model saw, and the same character
    redrawn from the style code (all the letters combined: style.infer_style): whether the code kept the
    hand."""
    rows = min(len(prepared), most)
    fig, axes = plt.subplots(rows, 3, figsize=(9, 3.1 * rows + 1.3), layout="constrained", squeeze=False)
    for (left, middle, right), original, image, again in zip(axes, original_paths, prepared, redrawn):
        name = Path(original).name
        try:
            photo, cmap = _thumbnail(original)
            with Image.open(original) as opened:
                size = f"{opened.width}×{opened.height} px"
        except (OSError, ValueError, SyntaxError):
            left.text(0.5, 0.5, "(cannot show this file)", ha="center", va="center", transform=left.transAxes)
            left.axis("off")
            size = "unreadable"
        else:
            left.imshow(photo, **({"cmap": cmap, "vmin": 0, "vmax": 1} if cmap else {}))
            left.set_xticks([])
            left.set_yticks([])
            for spine in left.spines.values():  # a thin frame all round, as _show draws
                spine.set(visible=True, color="0.75", linewidth=0.8)
        left.set_title(f"your image: {name}\n{size}", fontsize=11)
        _show(middle, _images(np.asarray(image)[None])[0])
        middle.set_title("what the model sees\n28×28", fontsize=11)
        _show(right, _images(np.asarray(again)[None])[0])
        right.set_title(
            "redrawn from your style code"
            + (f"\n(combined from {len(prepared)} letters)" if len(prepared) > 1 else ""),
            fontsize=11,
        )
    axes[-1][1].set_xlabel(
        "grey, ink found and cropped, centred,\nframed as the training data frames its letters", fontsize=9
    )
    more = f" (the first {most} of {len(prepared)})" if len(prepared) > most else ""
    fig.suptitle(f"Your handwriting, as the model sees it and redraws it{more}\n{title}")
    save_figure(fig, path)


# ----------------------------------------------------------------------------
# An animated latent grid


def render_gif_frame(grid, title, caption):
    """One frame of latent_grid.gif: the tiled grid under the run's title and a caption."""
    # Fixed figure size and axes position, so every frame has the same pixels and layout.
    fig = plt.figure(figsize=(5, 5.4), dpi=80)
    try:
        ax = fig.add_axes((0.03, 0.02, 0.94, 0.94 * 5 / 5.4))
        _show(ax, grid)
        fig.text(0.5, 0.975, title, ha="center", va="top", fontsize=10, color="0.3")
        fig.text(0.5, 0.935, caption, ha="center", va="top", fontsize=13, fontweight="bold")
        fig.canvas.draw()
        rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        # Everything is grey: one channel at 32 levels keeps the GIF about 4 times smaller.
        return (np.round(rgb.mean(-1) / 255 * 31) * (255 / 31)).astype(np.uint8)
    finally:
        plt.close(fig)


def write_gif(frames, path):
    """An animated GIF with imageio, ~2 frames/s, the last frame held longer."""
    durations = [500] * (len(frames) - 1) + [2500]  # milliseconds
    if len(durations) == 1:
        durations = durations[0]  # Pillow wants a number, not a list, for a single frame
    atomic_write(
        path, lambda tmp: iio.imwrite(tmp, np.stack(frames), extension=".gif", duration=durations, loop=0)
    )
