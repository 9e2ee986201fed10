"""Figures for a conditional VAE, whose decoder draws a chosen class in the style of a latent z.

To be merged into figures.py; kept apart for now. Every function writes one PNG atomically
(figures.save_figure) in figures.py's style: images are floats in 0..1 stored as white ink on
black and shown with the "gray_r" colormap, i.e. as dark ink on white paper; `classes` is a
string whose i-th character names class i; `title` names the run and goes under each heading.

`decode(z, labels)` takes z (n, d) float32 and labels (n,) int class indices and returns
images (n, 28, 28, 1) (or (n, 28, 28), or (n, 784)) in 0..1.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageOps

# The shared helpers and rcParams (importing figures also selects the Agg backend).
from figures import _centres, _images, _show, _tile, save_figure

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
    fig, (left, right) = plt.subplots(1, 2, width_ratios=[1, cols], layout="constrained",
                                      figsize=(0.42 * (cols + 1) + 1.4, 0.46 * rows + 1.6))
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
        return np.asarray(Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")), None


def plot_style_input(original_path, prepared, path, title):
    """The user's photo (a thumbnail) beside the 28x28 image prepared from it
    (writing.prepare_style_image): what the model was shown."""
    prepared = _images(np.asarray(prepared)[None])[0]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4.6), layout="constrained")
    name = Path(original_path).name
    try:
        photo, cmap = _thumbnail(original_path)
        with Image.open(original_path) as image:
            size = f"{image.width}×{image.height} px"
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
    _show(right, prepared)
    right.set_title("what the model sees\n28×28", fontsize=11)
    right.set_xlabel("grey, ink found and cropped, centred,\nblurred and shrunk as EMNIST", fontsize=9)
    fig.suptitle(f"Your handwriting, as the model sees it\n{title}")
    save_figure(fig, path)
