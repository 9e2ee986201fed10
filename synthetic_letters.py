"""Handwriting-like synthetic letters: an offline stand-in for EMNIST letters.

Each letter is rendered in upper and lower case from the TrueType fonts that ship
with matplotlib, then randomly thickened, rotated, sheared, stretched and
elastically distorted, and finally framed the way EMNIST is (Gaussian blur, crop
to the ink, centre in a square keeping the aspect ratio, 2 px padding, 28x28).
Everything is drawn from per-letter random streams, so a letter's images do not
depend on which other letters are requested.
"""
import functools
import os
import string

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

_FONT_DIR = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf")
_FONT_FILES = [
    "DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-Bold.ttf",
    "STIXGeneral.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBol.ttf",
    "cmr10.ttf", "cmss10.ttf", "cmti10.ttf", "cmtt10.ttf",
]
_CANVAS = 64            # working resolution: render and distort here, downsample at the end
_GLYPH = 32             # larger side of a glyph on the canvas; leaves room for rotation and shear
_WIDTHS = (0, 1, 2, 3)  # extra stroke (px per side) cached for every glyph
_SIZE = 28


def _render(font, ch, stroke=0):
    """Draw one character centred (by its ink box) on a blank canvas, as floats in 0..1."""
    left, top, right, bottom = font.getbbox(ch)
    im = Image.new("L", (_CANVAS, _CANVAS))
    xy = ((_CANVAS - left - right) / 2, (_CANVAS - top - bottom) / 2)
    ImageDraw.Draw(im).text(xy, ch, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    return np.asarray(im, np.float32) / 255


@functools.lru_cache(maxsize=None)
def _fonts():
    """Paths of the fonts that draw all 52 ASCII letters as non-blank, distinct glyphs."""
    kept = []
    for name in _FONT_FILES:
        try:
            font = ImageFont.truetype(os.path.join(_FONT_DIR, name), 40)
        except OSError:
            continue
        masks = [_render(font, c) > 0.5 for c in string.ascii_letters]
        # A missing glyph shows up as blank or as the same fallback box for many letters.
        if all(m.any() for m in masks) and len({m.tobytes() for m in masks}) == len(masks):
            kept.append(os.path.join(_FONT_DIR, name))
    return tuple(kept)


@functools.lru_cache(maxsize=None)
def _glyphs(letter):
    """Renders of one letter for every (font, case, extra stroke), and their stroke thickness."""
    imgs, thick = [], []
    for path in _fonts():
        for ch in (letter.upper(), letter.lower()):
            # Pick the point size that makes the glyph's larger side _GLYPH px, whatever the case.
            left, top, right, bottom = ImageFont.truetype(path, 100).getbbox(ch)
            font = ImageFont.truetype(path, round(100 * _GLYPH / max(right - left, bottom - top)))
            for w in _WIDTHS:
                im = _render(font, ch, w)
                ink = im > 0.5
                edge = ink & ~ndimage.binary_erosion(ink)
                imgs.append(im)
                thick.append(2 * ink.sum() / max(edge.sum(), 1))  # area / half-perimeter ~ stroke width
    return np.stack(imgs), np.array(thick)


def _resample_matrix(centre, scale, shift, n_out=_SIZE, n_in=_CANVAS):
    """Per-sample (n, n_out, n_in) weights: output pixel i reads input around centre + (i - mid - shift) * scale,
    through a tent filter as wide as the scale so that downsampling does not alias."""
    pos = centre[:, None] + (np.arange(n_out) - (n_out - 1) / 2 - shift[:, None]) * scale[:, None]
    width = np.maximum(scale, 1)[:, None, None]
    w = np.maximum(0, 1 - np.abs(np.arange(n_in) - pos[:, :, None]) / width)
    return w / np.maximum(w.sum(2, keepdims=True), 1e-8)


def _make_letter(letter, n, rng):
    """n augmented 28x28 uint8 images of one letter (mixed fonts and cases)."""
    if n == 0:
        return np.zeros((0, _SIZE, _SIZE), np.uint8)
    glyphs, thick = _glyphs(letter)
    nw = len(_WIDTHS)
    # Random font and case; then the cached extra stroke that best matches a random thickness,
    # so thin fonts get fattened and bold ones are left alone (pen strokes are ~2-4 px at 28x28).
    base = (rng.integers(len(_fonts()), size=n) * 2 + (rng.random(n) < 0.5)) * nw
    target = rng.uniform(5.0, 8.5, n)
    w = np.abs(thick[base[:, None] + np.arange(nw)] - target[:, None]).argmin(1)
    img = glyphs[base + w]

    # Inverse map (output -> source) about the canvas centre: rotation, slant, aspect change.
    ang = np.radians(rng.uniform(-12, 12, n))
    shear = rng.uniform(-0.3, 0.3, n)
    sy, sx = np.exp(rng.uniform(-0.2, 0.2, (2, n)))
    cos, sin, zero, one = np.cos(ang), np.sin(ang), np.zeros(n), np.ones(n)
    rot = np.stack([cos, -sin, sin, cos], 1).reshape(n, 2, 2)
    shr = np.stack([one, zero, shear, one], 1).reshape(n, 2, 2)
    mat = rot @ shr @ (np.eye(2) * np.stack([sy, sx], 1)[:, None, :])
    mid = (_CANVAS - 1) / 2
    grid = np.mgrid[:_CANVAS, :_CANVAS].reshape(2, -1) - mid
    src = (mat @ grid).reshape(n, 2, _CANVAS, _CANVAS) + mid

    # Elastic wobble: a coarse 4x4 random displacement field, smoothly upsampled (cheap, no big blur).
    p = np.linspace(0, 3, _CANVAS)
    up = np.exp(-0.5 * ((p[:, None] - np.arange(4)) / 0.8) ** 2)
    up /= np.sqrt((up ** 2).sum(1, keepdims=True))
    src += np.einsum("ia,nkab,jb->nkij", up, rng.normal(0, 1.8, (n, 2, 4, 4)), up)
    img = np.stack([ndimage.map_coordinates(im, c, order=1) for im, c in zip(img, src)])

    # EMNIST framing: blur, crop to the ink, centre in a square keeping the aspect ratio, then
    # downsample to 28x28. EMNIST's 2 px margin is jittered to 2-4 px, plus a +-1 px shift,
    # so that size and position vary a little.
    img = ndimage.gaussian_filter(img, (0, 1.0, 1.0))
    ink = img > 0.1 * img.max((1, 2), keepdims=True)
    rows, cols = ink.any(2), ink.any(1)
    top, bottom = rows.argmax(1), _CANVAS - 1 - rows[:, ::-1].argmax(1)
    left, right = cols.argmax(1), _CANVAS - 1 - cols[:, ::-1].argmax(1)
    box = _SIZE - 2 * rng.uniform(2, 4, n)
    scale = (np.maximum(bottom - top, right - left) + 1) / box
    shift_y, shift_x = rng.uniform(-1, 1, (2, n))
    ry = _resample_matrix((top + bottom) / 2, scale, shift_y)
    rx = _resample_matrix((left + right) / 2, scale, shift_x)
    out = ry @ img @ rx.transpose(0, 2, 1)

    # Strokes saturate like a pen on paper; the blur keeps the edges soft.
    out = np.clip(1.3 * out / out.max((1, 2), keepdims=True), 0, 1)
    return np.round(255 * out).astype(np.uint8)


def make_synthetic_letters(chars: str, n_train_per_class: int = 1000, n_test_per_class: int = 200, seed: int = 0):
    """Return x_train, y_train, x_test, y_test.

    x_*: uint8 arrays (N, 28, 28), 0..255, ink bright (255) on black (0) like EMNIST, upright (not transposed).
    y_*: int64 arrays of class indices into `chars` (uppercase letters, e.g. "ABCDEFGHIJKLMNOPQRSTUVWXYZ").
    Each class mixes upper- and lower-case glyphs (about half each), as EMNIST letters does.
    Samples are interleaved class by class (sample i of class k sits at i * len(chars) + k), so any
    prefix or suffix is class-balanced. Each letter and split has its own random stream seeded from
    (seed, letter, split): a letter's images do not depend on the other letters in `chars`.
    """
    if not chars or not all(c in string.ascii_uppercase for c in chars) or len(set(chars)) != len(chars):
        raise ValueError(f"chars must be distinct uppercase letters A-Z, got {chars!r}")
    result = []
    for split, n in enumerate((n_train_per_class, n_test_per_class)):
        per_class = [_make_letter(c, n, np.random.default_rng([seed, ord(c), split])) for c in chars]
        x = np.stack(per_class, 1).reshape(-1, _SIZE, _SIZE)
        y = np.tile(np.arange(len(chars), dtype=np.int64), n)
        result += [x, y]
    return tuple(result)
