"""Handwriting-like synthetic letters drawn with a pen: an offline stand-in for EMNIST letters.

Every image is a letter written as pen strokes. The strokes come from the Hershey single-stroke
vector fonts (digitised by Dr. A. V. Hershey at the U.S. National Bureau of Standards; read
through the PyPI package Hershey-Fonts, MIT licence): the plain sans `futural` for capitals and
lower case, and the cursive `scripts` for the lower-case letters whose script form is one a
person would print (see _SCRIPT_LOWER). Upper and lower case share one class, about half each,
as in EMNIST letters.

Each sample is written by a different hand: strokes that meet end to end are one pen path; each
path over- or undershoots its ends, shifts a little on its own (so junctions do not meet exactly)
and trembles; the whole letter is slanted, rotated, stretched and bent by a smooth random
displacement field; then it is drawn with a round pen of random width (which sets the letter's
size relative to the pen) on a 128x128 binary canvas, like the NIST forms. Finally it is
converted the way EMNIST was (Cohen et al. 2017, Fig. 1): Gaussian blur (sigma 1), crop to the
ink, centre in a square frame keeping the aspect ratio with a 2 px border, bicubic resize to
28x28 and scale to 0..255.

The TrueType renderer this module used before (matplotlib's fonts) is gone: it gave printed
type with strokes about 1.6 times as wide as these pen strokes and 1.5 times MNIST's (see
bench/stroke_stats.py), and keeping a share of it would only pull the set back towards print;
the Hershey forms and the distortions give the variety.

Everything is drawn from per-letter random streams, so a letter's images do not depend on which
other letters are requested.
"""
import functools
import string

import numpy as np
from HersheyFonts import HersheyFonts
from PIL import Image, ImageDraw
from scipy import ndimage
from tqdm import tqdm

CACHE_NAME = "hershey-letters-v1-seed{seed}.npz"  # the caller formats it with the seed

_SIZE = 28               # output side, as EMNIST
_CANVAS = 128            # binary drawing canvas, as the NIST forms' character boxes
_SIDE = 96               # a letter's larger side on the canvas, px (leaves room for the pen)
_PEN = (2.0, 3.0)        # pen width at 28x28, px: MNIST's 2-3 px
_BOX = _SIZE - 2 * 2     # the letter's larger side at 28x28: a 2 px border (see _emnist_frame)
_LOWER_SHARE = 0.5       # share of lower-case forms in each class
_SCRIPT_SHARE = 0.4      # share of script forms among the lower case, where one is kept
# Script lower case kept: these look like hand printing. Left out: those with a lead-in stroke
# from the baseline (i j m n p r s u v w x y z) and those with a looped ascender (b f h k l),
# which a pen of EMNIST's width fills into a blob; all script capitals are copperplate
# flourishes and are left out too.
_SCRIPT_LOWER = "acdegoqt"


# ------------------------------------------------------------------------------------------
# Glyphs: Hershey strokes joined into pen paths
# ------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _font(name):
    font = HersheyFonts()
    font.load_default_font(name)
    return font


def _join(strokes):
    """Chain strokes that meet end to end into one pen path each, so that a distortion moves
    them together (an M is one path, not four lines that could come apart)."""
    todo = [np.asarray(s, float) for s in strokes]
    paths = []
    while todo:
        path = todo.pop(0)
        grown = True
        while grown:
            grown = False
            for i, s in enumerate(todo):
                if (s[0] == path[-1]).all():
                    path = np.vstack([path, s[1:]])
                elif (s[-1] == path[-1]).all():
                    path = np.vstack([path, s[-2::-1]])
                elif (s[-1] == path[0]).all():
                    path = np.vstack([s[:-1], path])
                elif (s[0] == path[0]).all():
                    path = np.vstack([s[:0:-1], path])
                else:
                    continue
                del todo[i]
                grown = True
                break
        paths.append(path)
    return paths


@functools.lru_cache(maxsize=None)
def _forms(letter):
    """The pen paths of each form of `letter` (upper, lower, maybe script lower) in units of the
    cap height, y down, and each form's probability."""
    forms = [("futural", letter.upper(), 1 - _LOWER_SHARE)]
    lower = letter.lower()
    if lower in _SCRIPT_LOWER:
        forms += [("futural", lower, _LOWER_SHARE * (1 - _SCRIPT_SHARE)),
                  ("scripts", lower, _LOWER_SHARE * _SCRIPT_SHARE)]
    else:
        forms += [("futural", lower, _LOWER_SHARE)]
    paths, probs = [], []
    for name, ch, p in forms:
        glyph = _font(name).all_glyphs[ch]
        cap = glyph.base_line - glyph.cap_line
        paths.append([path / cap for path in _join(glyph.strokes)])
        probs.append(p)
    return paths, np.array(probs)


# ------------------------------------------------------------------------------------------
# One hand: distortions of the pen paths (all lengths in cap heights)
# ------------------------------------------------------------------------------------------

_STEP = 0.012   # resampling step: about 1 canvas pixel
_LONG = 0.3     # paths shorter than this (the dots on i and j, small loops) keep their ends as they are


def _resample(path, rng):
    """Dense points along `path`, each end overshot (extended along its tangent) or undershot
    (cut short) by a random amount."""
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    keep = np.r_[True, seg > 0]
    path, s = path[keep], np.r_[0, np.cumsum(seg[seg > 0])]
    length = s[-1]
    if length == 0:
        return path[:1]
    start, stop = 0.0, length
    if length > _LONG:
        start, stop = -rng.uniform(-0.05, 0.06, 2) * [1, -1] + [0, length]
    t = np.linspace(start, stop, max(2, int((stop - start) / _STEP) + 1))
    pts = np.stack([np.interp(t, s, path[:, 0]), np.interp(t, s, path[:, 1])], 1)
    # np.interp clamps beyond the ends: carry on straight along each end's direction instead.
    for end, inside, beyond in ((0, path[1] - path[0], t < 0), (-1, path[-1] - path[-2], t > length)):
        direction = inside / np.linalg.norm(inside)
        overshoot = np.where(t < 0, t, t - length)[beyond]
        pts[beyond] = path[end] + overshoot[:, None] * direction
    return pts


def _tremor(pts, rng, amp=0.004):
    """A small smooth wobble along a stroke, as from an unsteady hand."""
    if len(pts) < 8:
        return pts
    noise = ndimage.gaussian_filter1d(rng.normal(size=pts.shape), 10, axis=0, mode="nearest")
    return pts + amp * noise / max(noise.std(), 1e-9)


def _field(pts, rng, amp=0.05, modes=3):
    """A smooth random displacement field over the whole letter: a few long sine waves."""
    freq = rng.normal(0, 0.5, (modes, 2, 2))           # cycles per cap height, (mode, out, in)
    phase = rng.uniform(0, 2 * np.pi, (modes, 2))
    weight = rng.normal(0, amp / np.sqrt(modes), (modes, 2))
    waves = np.sin(2 * np.pi * np.einsum("moi,ni->nmo", freq, pts) + phase)
    return pts + (weight * waves).sum(1)


def _affine(rng):
    """Slant, rotation and aspect of one hand, as a 2x2 matrix acting on (x, y), y down. Size is
    left out: the EMNIST framing scales every letter to the same box, so the only size that
    matters is the letter's relative to the pen, which the random pen width sets."""
    slant = rng.uniform(-0.15, 0.35)                  # x moves right as y goes up: a forward lean
    angle = rng.uniform(-0.12, 0.12)
    aspect = np.exp(rng.uniform(-0.2, 0.2))
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -slant], [0, 1 / aspect]])


def _write(paths, rng):
    """Pen paths of one handwritten sample, in canvas pixels, the larger side _SIDE px."""
    pts = [_tremor(_resample(p, rng), rng) + rng.normal(0, 0.012, 2) for p in paths]
    sizes = np.cumsum([len(p) for p in pts])[:-1]
    allpts = _field(np.concatenate(pts), rng) @ _affine(rng).T
    lo, hi = allpts.min(0), allpts.max(0)
    allpts = (allpts - (lo + hi) / 2) * (_SIDE / (hi - lo).max()) + _CANVAS / 2
    return np.split(allpts, sizes)


# ------------------------------------------------------------------------------------------
# Drawing and EMNIST framing
# ------------------------------------------------------------------------------------------

def _draw(paths, width):
    """A binary canvas with the paths drawn by a round pen `width` px wide."""
    im = Image.new("L", (_CANVAS, _CANVAS))
    draw = ImageDraw.Draw(im)
    r = width / 2
    for p in paths:
        if len(p) > 1:
            draw.line(p.ravel().tolist(), fill=1, width=width)
        # The points are about a pixel apart, so gentle bends need no joint; round off the ends and
        # the corners (PIL's joint="curve" would do it at every point, ten times slower).
        d = np.diff(p, axis=0)
        turn = (d[1:] * d[:-1]).sum(1) < np.cos(0.3) * np.hypot(*d[1:].T) * np.hypot(*d[:-1].T)
        for x, y in p[np.r_[True, turn, True] if len(p) > 1 else [0]]:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=1)
    return np.asarray(im, np.float32)


def _bbox(mask):
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _emnist_frame(canvas):
    """Cohen et al. 2017, Fig. 1: blur (sigma 1), crop to the ink, centre in a square keeping
    the aspect ratio, 2 px border, bicubic resize to 28x28, scale to 0..255.

    The paper pads by 2 px before downsampling from 128x128, which leaves only about 0.4 px at
    28x28: its letters fill the frame, with about a third more ink than MNIST's 20x20 box. The
    border here is 2 px of the 28x28 result (as this module always had), which keeps the stroke
    width and the ink per image both within 20 % of MNIST (bench/stroke_stats.py)."""
    # Blur only the ink's neighbourhood (4 sigma around it): the same result, several times faster.
    top, bottom, left, right = _bbox(canvas > 0)
    canvas = canvas[max(0, top - 4):bottom + 4, max(0, left - 4):right + 4]
    blurred = ndimage.gaussian_filter(canvas, 1.0, mode="constant")
    top, bottom, left, right = _bbox(blurred > 0.05 * blurred.max())
    roi = blurred[top:bottom, left:right]
    side = round(max(roi.shape) * _SIZE / _BOX)
    frame = np.zeros((side, side), np.float32)
    y, x = (side - roi.shape[0]) // 2, (side - roi.shape[1]) // 2
    frame[y:y + roi.shape[0], x:x + roi.shape[1]] = roi
    out = np.asarray(Image.fromarray(frame).resize((_SIZE, _SIZE), Image.BICUBIC))
    out = np.clip(out, 0, None)
    return np.round(255 * out / out.max()).astype(np.uint8)


def _make_letter(letter, n, rng):
    """n 28x28 uint8 images of one letter, mixed forms."""
    paths, probs = _forms(letter)
    form = rng.choice(len(paths), size=n, p=probs)
    # Pen width on the canvas for a random width at 28x28: the framing scales the letter's larger
    # side, plus the pen and about 4 px of blur halo, to _BOX px.
    pen = rng.uniform(*_PEN, size=n)
    width = np.round(pen * (_SIDE + 4) / (_BOX - pen)).astype(int)
    out = np.zeros((n, _SIZE, _SIZE), np.uint8)
    for i in range(n):
        out[i] = _emnist_frame(_draw(_write(paths[form[i]], rng), width[i]))
    return out


def make_synthetic_letters(chars: str, n_train_per_class: int = 1000, n_test_per_class: int = 200, seed: int = 0):
    """Return x_train, y_train, x_test, y_test.

    x_*: uint8 arrays (N, 28, 28), 0..255, ink bright (255) on black (0) like EMNIST, upright (not transposed).
    y_*: int64 arrays of class indices into `chars` (uppercase letters, e.g. "ABCDEFGHIJKLMNOPQRSTUVWXYZ").
    Each class mixes upper- and lower-case forms (about half each), as EMNIST letters does.
    Samples are interleaved class by class (sample i of class k sits at i * len(chars) + k), so any
    prefix or suffix is class-balanced. Each letter and split has its own random stream seeded from
    (seed, letter, split): a letter's images do not depend on the other letters in `chars`.
    A progress bar goes to stderr.
    """
    if not chars or not all(c in string.ascii_uppercase for c in chars) or len(set(chars)) != len(chars):
        raise ValueError(f"chars must be distinct uppercase letters A-Z, got {chars!r}")
    result = []
    with tqdm(total=len(chars) * (n_train_per_class + n_test_per_class), desc="Hershey letters",
              unit="img", leave=False) as bar:
        for split, n in enumerate((n_train_per_class, n_test_per_class)):
            per_class = []
            for c in chars:
                per_class.append(_make_letter(c, n, np.random.default_rng([seed, ord(c), split])))
                bar.update(n)
            x = np.stack(per_class, 1).reshape(-1, _SIZE, _SIZE)
            y = np.tile(np.arange(len(chars), dtype=np.int64), n)
            result += [x, y]
    return tuple(result)
