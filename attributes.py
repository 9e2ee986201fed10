"""What a handwritten character looks like, in numbers a person would name: slant, stroke width,
the ink's box and the amount of ink. NumPy and SciPy only.

The likeness benchmark (bench/likeness.py) compares them between a hand's letters and the
letters a model draws in its style, the framing (writing.py) matches a user's letter to the
training data's, and the demo shows what carried over. Every measure takes images (n, 28, 28)
or one (28, 28), ink bright on black, in 0..1 or 0..255, and returns one number per image.
The ink is the pixels at or above half the image's brightest (blur and anti-aliasing make the
edge soft; half the maximum is where a stroke's edge is on any of them).
"""

import numpy as np
from scipy import ndimage

NAMES = ("slant", "stroke", "height", "width", "ink")  # the columns of measure()


def _batch(images):
    images = np.asarray(images, np.float32)
    return images[None] if images.ndim == 2 else images.reshape(-1, *images.shape[-2:])


def ink_masks(images):
    """(n, h, w) bool: the pixels at or above half of each image's brightest."""
    images = _batch(images)
    top = images.reshape(len(images), -1).max(axis=1)
    return (images >= 0.5 * np.maximum(top, 1e-6)[:, None, None]) & (top[:, None, None] > 0)


def slant(images):
    """How far the ink moves right per pixel it goes up (the x–y covariance over the y variance of
    the ink's pixels, weighted by brightness): 0 upright, > 0 a forward lean, as italics."""
    images = _batch(images)
    rows, cols = np.mgrid[: images.shape[1], : images.shape[2]]
    up = -rows.astype(np.float64)  # y grows upwards
    weight = images / np.maximum(images.sum(axis=(1, 2), keepdims=True), 1e-6)
    mean_x = (weight * cols).sum(axis=(1, 2))
    mean_y = (weight * up).sum(axis=(1, 2))
    dx, dy = cols[None] - mean_x[:, None, None], up[None] - mean_y[:, None, None]
    return (weight * dx * dy).sum(axis=(1, 2)) / np.maximum((weight * dy * dy).sum(axis=(1, 2)), 1e-6)


def stroke_width(images):
    """The pen's width in px: the ink's area over half its boundary (a stroke of width w and length
    L has area w·L and about 2·L boundary pixels)."""
    widths = []
    for mask in ink_masks(images):
        edge = mask & ~ndimage.binary_erosion(mask)
        widths.append(2.0 * mask.sum() / max(edge.sum(), 1))
    return np.array(widths)


def ink_bounds(images):
    """(n, 4): the first and last row, then the first and last column, of the ink's bounding box
    (inclusive, px); NaN for an image without ink."""
    bounds = []
    for mask in ink_masks(images):
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        bounds.append((rows[0], rows[-1], cols[0], cols[-1]) if len(rows) else (np.nan,) * 4)
    return np.array(bounds, np.float64).reshape(-1, 4)


def ink_box(images):
    """(height, width) of the ink's bounding box in px, (n, 2); 0 for an image without ink."""
    top, bottom, left, right = ink_bounds(images).T
    return np.nan_to_num(np.column_stack([bottom - top + 1, right - left + 1]))


def ink(images):
    """The mean brightness, 0..1 (ink over the whole frame; the pen's width and the letter's size both
    set it)."""
    images = _batch(images)
    top = 255.0 if images.max(initial=0) > 1 else 1.0
    return images.reshape(len(images), -1).mean(axis=1) / top


def measure(images):
    """(n, 5): slant, stroke width, ink-box height and width, ink (the columns NAMES names)."""
    box = ink_box(images)
    return np.column_stack([slant(images), stroke_width(images), box[:, 0], box[:, 1], ink(images)])
