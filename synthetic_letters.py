"""Handwriting-like synthetic letters drawn with a pen: an offline stand-in for EMNIST letters.

Every image is a letter written as pen strokes. The strokes come from the Hershey single-stroke
vector fonts (digitised by Dr. A. V. Hershey at the U.S. National Bureau of Standards; read
through the PyPI package Hershey-Fonts, MIT licence): the plain sans `futural` for capitals and
lower case, and the cursive `scripts` for the lower-case letters whose script form is one a
person would print (see _SCRIPT_LOWER), plus an I with bars and a J with a bar on top (_BARRED).
Upper and lower case share one class, as in EMNIST letters, in a share that follows how common
the lower-case letter is in English text (most E are e, most J are J; see _FREQUENCY).

Each sample is written by a different hand: strokes that meet end to end are one pen path; each
path over- or undershoots its ends, shifts a little on its own (so junctions do not meet exactly)
and trembles; the whole letter is slanted, rotated, stretched and bent by a smooth random
displacement field; then it is drawn with a round pen of random width (which sets the letter's
size relative to the pen) on a 128x128 binary canvas, like the NIST forms. Finally it is
converted the way EMNIST was (Cohen et al. 2017, Fig. 1): Gaussian blur (sigma 1), crop to the
ink, centre in a square frame keeping the aspect ratio with a border of 2 px or a little more,
bicubic resize to 28x28 and scale to 0..255. The pen width, the border and the case mix are set so
that the ink and the size of the letters match real EMNIST letters as distributions
(bench/stroke_stats.py, data/README.md); the slant and the bending are set so that a model
trained on digits this generator draws comes closest to real MNIST digits (bench/digits_proxy.py).

The TrueType renderer this module used before (matplotlib's fonts) is gone: it gave printed
type with strokes about 1.6 times as wide as these pen strokes and 1.5 times MNIST's (see
bench/stroke_stats.py), and keeping a share of it would only pull the set back towards print;
the Hershey forms and the distortions give the variety.

Everything is drawn from per-letter random streams, so a letter's images do not depend on which
other letters are requested, and a large set (see _PARALLEL_FROM) is drawn by one process per core.

make_hand draws the letters of one fixed hand instead: a person's letters, for bench/user_hand.py;
make_hands those of many hands, for --hands.
"""

import concurrent.futures
import contextlib
import functools
import itertools
import multiprocessing
import os
import string

import numpy as np
from HersheyFonts import HersheyFonts
from PIL import Image, ImageDraw
from scipy import ndimage
from tqdm import tqdm

CACHE_NAME = "hershey-letters-v3-seed{seed}.npz"  # the caller formats it with the seed

_SIZE = 28  # output side, as EMNIST
_CANVAS = 128  # binary drawing canvas, as the NIST forms' character boxes
_SIDE = 96  # a letter's larger side on the canvas, px (leaves room for the pen)
# Pen width at 28x28, px: log-normal (median, spread of the log), clipped. Tuned so that the ink
# per image matches real EMNIST letters (mean 0.165, standard deviation 0.054 between images;
# data/README.md). (A pen of one width in form units, which gives lower-case letters, smaller on
# the form, wider strokes after framing, fits the real inks of E, A and C worse.)
_PEN = (3.0, 0.22)
_PEN_RANGE = (1.6, 5.0)
# The ink's larger side at 28x28, blur included, px: up to 24 (a 2 px border, see _emnist_frame),
# less by a random amount, since real letters do not all fill the frame (mean 22.1 px above half
# the maximum).
_BOX = 24.0
_SHRINK = 0.8  # mean of the exponential amount taken off _BOX, px
# Share of lower-case forms in a class: f / (f + _UPPER_WEIGHT), f the letter's frequency in English
# text (%). A hypothesis, fitted to the real inks: real E is as heavy as a lower-case e (0.219),
# J and F nearly as their capitals; this rule, with _UPPER_WEIGHT = 3.2, gives E 80 % lower case,
# A 72 %, L 56 %, F 41 %, J 4 %, and brings the inks of E, A, L and J within 7 % of the real ones.
_FREQUENCY = dict(
    zip(
        "etaoinshrdlcumwfgypbvkjxqz",
        [
            12.7,
            9.1,
            8.2,
            7.5,
            7.0,
            6.7,
            6.3,
            6.1,
            6.0,
            4.3,
            4.0,
            2.8,
            2.8,
            2.4,
            2.4,
            2.2,
            2.0,
            2.0,
            1.9,
            1.5,
            1.0,
            0.8,
            0.15,
            0.15,
            0.1,
            0.07,
        ],
    )
)
_UPPER_WEIGHT = 3.2
_PARALLEL_FROM = 10_000  # images from which drawing is shared among processes (they take time to start)
_SCRIPT_SHARE = 0.4  # share of script forms among the lower case, where one is kept
# Script lower case kept: these look like hand printing. Left out: those with a lead-in stroke
# from the baseline (i j m n p r s u v w x y z) and those with a looped ascender (b f h k l),
# which a pen of EMNIST's width fills into a blob; all script capitals are copperplate
# flourishes and are left out too.
_SCRIPT_LOWER = "acdegoqt"
_CAP = 21  # cap height in Hershey units (base line 9 - cap line -12), in both fonts
# Hand-printed capitals the Hershey sans lacks, in Hershey units (cap line y = -12, base line 9):
# the I with bars and the J with a bar on top. Without them the thin letters carry far less ink
# than real ones (I 0.067 against 0.108).
_BARRED = {
    "I": [[(-4, -12), (4, -12)], [(0, -12), (0, 9)], [(-4, 9), (4, 9)]],
    "J": [
        [(-1, -12), (9, -12)],
        [(4, -12), (4, 4), (3, 7), (2, 8), (0, 9), (-2, 9), (-4, 8), (-5, 7), (-6, 4), (-6, 2)],
    ],
}
_BARRED_SHARE = 0.8  # share of the barred form among a letter's capitals


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
    """The pen paths of each form of `letter` (capital, maybe barred, lower case, maybe script) in
    units of the cap height, y down, and each form's probability. A digit has one form."""
    lower = letter.lower()
    lower_share = _FREQUENCY[lower] / (_FREQUENCY[lower] + _UPPER_WEIGHT) if letter.isalpha() else 0.0
    upper = 1 - lower_share
    forms = [(_font("futural").all_glyphs[letter].strokes, upper)]
    if letter in _BARRED:
        forms = [(forms[0][0], upper * (1 - _BARRED_SHARE)), (_BARRED[letter], upper * _BARRED_SHARE)]
    if lower in _SCRIPT_LOWER:
        forms += [
            (_font("futural").all_glyphs[lower].strokes, lower_share * (1 - _SCRIPT_SHARE)),
            (_font("scripts").all_glyphs[lower].strokes, lower_share * _SCRIPT_SHARE),
        ]
    elif letter.isalpha():
        forms += [(_font("futural").all_glyphs[lower].strokes, lower_share)]
    paths = [[path / _CAP for path in _join(strokes)] for strokes, _ in forms]
    return paths, np.array([p for _, p in forms])


# ------------------------------------------------------------------------------------------
# One hand: distortions of the pen paths (all lengths in cap heights)
# ------------------------------------------------------------------------------------------

_STEP = 0.012  # resampling step: about 1 canvas pixel
_LONG = 0.3  # paths shorter than this (the dots on i and j, small loops) keep their ends as they are


@functools.lru_cache(maxsize=4096)
def _arc(key, shape):
    """What _resample needs of a path that depends on the path alone, worked out once per path (a form's
    paths are drawn thousands of times): the path without repeated points, the arc length at each point,
    and the direction at each end. key: the path's bytes (float64), shape: its shape."""
    path = np.frombuffer(key).reshape(shape)
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    keep = np.r_[True, seg > 0]
    path, s = path[keep], np.r_[0, np.cumsum(seg[seg > 0])]
    if s[-1] == 0:
        return path, s, None
    ends = [
        (path[end], inside / np.linalg.norm(inside))
        for end, inside in ((0, path[1] - path[0]), (-1, path[-1] - path[-2]))
    ]
    return path, s, ends


def _resample(path, rng):
    """Dense points along `path`, each end overshot (extended along its tangent) or undershot
    (cut short) by a random amount."""
    path = np.ascontiguousarray(path, float)
    path, s, ends = _arc(path.tobytes(), path.shape)
    length = s[-1]
    if length == 0:
        return path[:1]
    start, stop = 0.0, length
    if length > _LONG:
        start, stop = -rng.uniform(-0.05, 0.06, 2) * [1, -1] + [0, length]
    t = np.linspace(start, stop, max(2, int((stop - start) / _STEP) + 1))
    pts = np.stack([np.interp(t, s, path[:, 0]), np.interp(t, s, path[:, 1])], 1)
    # np.interp clamps beyond the ends: carry on straight along each end's direction instead.
    if start < 0:
        beyond = t < 0
        pts[beyond] = ends[0][0] + t[beyond][:, None] * ends[0][1]
    if stop > length:
        beyond = t > length
        pts[beyond] = ends[1][0] + (t[beyond] - length)[:, None] * ends[1][1]
    return pts


@functools.lru_cache(maxsize=None)
def _gaussian(sigma):
    """The weights scipy's gaussian_filter1d(x, sigma) correlates with (4 sigma either side), computed once:
    scipy works them out again on every call, about a tenth of the drawing."""
    impulse = np.zeros(8 * sigma + 1)
    impulse[4 * sigma] = 1
    return ndimage.gaussian_filter1d(impulse, sigma, mode="constant")[::-1].copy()


def _tremor(pts, rng, amp=0.004):
    """A small smooth wobble along a stroke, as from an unsteady hand."""
    if len(pts) < 8:
        return pts
    noise = ndimage.correlate1d(rng.normal(size=pts.shape), _gaussian(10), axis=0, mode="nearest")
    return pts + amp * noise / max(noise.std(), 1e-9)


def _field_params(rng, amp=0.12, modes=4):
    """The waves of one smooth displacement field: (freq, phase, weight). Drawn apart from _field so
    that one hand (make_hand) can bend all its letters by the same field.
    The amount (amp, in cap heights) is the one that brought synthetic digits closest to real MNIST
    (bench/digits_proxy.py: 0.08 and 3 waves, v2, left models 12-19 nats further off; data/README.md)."""
    freq = rng.normal(0, 0.5, (modes, 2, 2))  # cycles per cap height, (mode, out, in)
    phase = rng.uniform(0, 2 * np.pi, (modes, 2))
    weight = rng.normal(0, amp / np.sqrt(modes), (modes, 2))
    return freq, phase, weight


def _field(pts, rng, params=None):
    """A smooth random displacement field over the whole letter: a few long sine waves, those of
    `params` (from _field_params) or, when None, freshly drawn from rng."""
    freq, phase, weight = _field_params(rng) if params is None else params
    waves = np.sin(2 * np.pi * np.einsum("moi,ni->nmo", freq, pts) + phase)
    return pts + (weight * waves).sum(1)


_SLANT = (0.1, 0.25)  # mean and spread of the slant (x shift per unit of height), about MNIST's digits'
_ASPECT = 0.15  # spread of the log of the width-to-height stretch


def _affine(rng):
    """Slant, rotation and aspect of one hand, as a 2x2 matrix acting on (x, y), y down. Size is
    left out: the EMNIST framing scales every letter to the same box, so the only size that
    matters is the letter's relative to the pen, which the random pen width sets."""
    slant = np.clip(rng.normal(*_SLANT), -0.4, 0.7)  # x moves right as y goes up: a forward lean
    angle = rng.uniform(-0.12, 0.12)
    aspect = np.exp(np.clip(rng.normal(0, _ASPECT), -0.5, 0.5))
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, -sin], [sin, cos]]) @ np.array([[aspect, -slant], [0, 1 / aspect]])


def _write(paths, rng, hand=None):
    """Pen paths of one handwritten sample, in canvas pixels, the larger side _SIDE px. hand: a
    fixed hand's "field" and "affine" (see _hand); None draws both from rng, after the paths' own
    draws, in that order (the offline set's streams depend on it)."""
    pts = [_tremor(_resample(p, rng), rng) + rng.normal(0, 0.012, 2) for p in paths]
    sizes = np.cumsum([len(p) for p in pts])[:-1]
    if hand is None:
        allpts = _field(np.concatenate(pts), rng) @ _affine(rng).T
    else:
        allpts = _field(np.concatenate(pts), rng, hand["field"]) @ hand["affine"].T
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


def _emnist_frame(canvas, box=_BOX):
    """Cohen et al. 2017, Fig. 1: blur (sigma 1), crop to the ink, centre in a square keeping
    the aspect ratio, 2 px border, bicubic resize to 28x28, scale to 0..255.

    The paper pads by 2 px before downsampling from 128x128, which leaves only about 0.4 px at
    28x28. Real EMNIST letters do not fill the frame that much (their ink's box is 22.1 px on
    average, above half the maximum), so here the ink's larger side is `box` px of the 28x28
    result: 24 (a 2 px border) or less."""
    # Blur only the ink's neighbourhood (4 sigma around it): the same result, several times faster.
    top, bottom, left, right = _bbox(canvas > 0)
    canvas = canvas[max(0, top - 4) : bottom + 4, max(0, left - 4) : right + 4]
    # ndimage.gaussian_filter(canvas, 1.0, mode="constant"), one axis at a time, with the weights worked
    # out once.
    blurred = ndimage.correlate1d(canvas, _gaussian(1), axis=0, mode="constant")
    ndimage.correlate1d(blurred, _gaussian(1), axis=1, output=blurred, mode="constant")
    top, bottom, left, right = _bbox(blurred > 0.05 * blurred.max())
    roi = blurred[top:bottom, left:right]
    side = round(max(roi.shape) * _SIZE / box)
    frame = np.zeros((side, side), np.float32)
    y, x = (side - roi.shape[0]) // 2, (side - roi.shape[1]) // 2
    frame[y : y + roi.shape[0], x : x + roi.shape[1]] = roi
    out = np.asarray(Image.fromarray(frame).resize((_SIZE, _SIZE), Image.BICUBIC))
    out = np.clip(out, 0, None)
    return np.round(255 * out / out.max()).astype(np.uint8)


def _pens(rng, n):
    """n random pens: (width on the canvas in px, ink's larger side at 28x28 in px)."""
    # Pen width on the canvas for a random width at 28x28: the framing scales the letter's larger
    # side, plus the pen and about 4 px of blur halo, to `box` px.
    pen = np.clip(np.exp(rng.normal(np.log(_PEN[0]), _PEN[1], size=n)), *_PEN_RANGE)
    box = _BOX - rng.exponential(_SHRINK, size=n)
    return np.round(pen * (_SIDE + 4) / (box - pen)).astype(int), box


def _make_letter(letter, n, seed, split, frame=None):
    """n 28x28 uint8 images of one letter, mixed forms, from the letter's own random stream."""
    rng = np.random.default_rng([seed, ord(letter), split])
    paths, probs = _forms(letter)
    form = rng.choice(len(paths), size=n, p=probs)
    width, box = _pens(rng, n)
    out = np.zeros((n, _SIZE, _SIZE), np.uint8)
    for i in range(n):
        canvas = _draw(_write(paths[form[i]], rng), width[i])
        out[i] = frame(canvas) if frame else _emnist_frame(canvas, box[i])
    return out


def make_synthetic_letters(
    chars: str, n_train_per_class: int = 1000, n_test_per_class: int = 200, seed: int = 0, frame=None
):
    """Return x_train, y_train, x_test, y_test.

    x_*: uint8 arrays (N, 28, 28), 0..255, ink bright (255) on black (0) like EMNIST, upright (not
    transposed).
    y_*: int64 arrays of class indices into `chars` (uppercase letters, e.g. "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    or digits, drawn the same way: bench/digits_proxy.py compares them with real MNIST digits).
    Each class mixes upper- and lower-case forms, as EMNIST letters does (in the shares of _forms).
    Samples are interleaved class by class (sample i of class k sits at i * len(chars) + k), so any
    prefix or suffix is class-balanced. Each letter and split has its own random stream seeded from
    (seed, letter, split): a letter's images do not depend on the other letters in `chars`.
    frame: a module-level function from the 128x128 binary canvas (float32, ink 1) to a 28x28 uint8
    image, instead of EMNIST's framing (bench/digits_proxy.py frames digits as MNIST's).
    A progress bar goes to stderr. From _PARALLEL_FROM images on, worker processes draw the letters;
    they import the calling script afresh ("spawn"), so a script must call this under
    `if __name__ == "__main__":`, as every script here does.
    """
    if (
        not chars
        or not all(c in string.ascii_uppercase + string.digits for c in chars)
        or len(set(chars)) != len(chars)
    ):
        raise ValueError(f"chars must be distinct uppercase letters A-Z or digits, got {chars!r}")
    splits = (n_train_per_class, n_test_per_class)
    tasks = [(c, n, seed, split, frame) for split, n in enumerate(splits) for c in chars]
    # Letters are independent: draw them on every core, unless there are too few to repay the start of
    # the worker processes ("spawn": the caller may have started TensorFlow's threads, which fork would copy).
    workers = min(os.cpu_count() or 1, len(tasks)) if len(chars) * sum(splits) >= _PARALLEL_FROM else 1
    pool = (
        concurrent.futures.ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"))
        if workers > 1
        else None
    )
    with (
        tqdm(total=len(chars) * sum(splits), desc="Hershey letters", unit="img", leave=False) as bar,
        pool or contextlib.nullcontext(),
    ):
        images = []
        for x in pool.map(_make_letter, *zip(*tasks)) if pool else itertools.starmap(_make_letter, tasks):
            images.append(x)
            bar.update(len(x))
    result = []
    for split, n in enumerate(splits):
        per_class = images[split * len(chars) : (split + 1) * len(chars)]
        result += [
            np.stack(per_class, 1).reshape(-1, _SIZE, _SIZE),
            np.tile(np.arange(len(chars), dtype=np.int64), n),
        ]
    return tuple(result)


# ------------------------------------------------------------------------------------------
# One fixed hand: a person's letters (bench/user_hand.py)
# ------------------------------------------------------------------------------------------

# A seed word of the hand's streams alone: they never meet make_synthetic_letters' (seed, letter, split).
_HAND_STREAM = 37


def _hand(hand_seed):
    """What one hand keeps for every letter it writes: the slant, rotation and aspect (one _affine
    draw), the smooth field that bends its letters (one _field_params draw), the pen's width and the
    size of its letters in the frame (one _pens draw). From the hand's own stream, so it does not
    depend on the letters or the samples asked for."""
    rng = np.random.default_rng([hand_seed, _HAND_STREAM])
    width, box = _pens(rng, 1)
    return {"affine": _affine(rng), "field": _field_params(rng), "width": int(width[0]), "box": float(box[0])}


def _hand_form(letter, hand_seed):
    """The form (index into _forms) `hand_seed` writes `letter` in, chosen once in _forms' shares: one
    hand writes a as a, another as A, but each always the same way."""
    paths, probs = _forms(letter)
    return int(np.random.default_rng([hand_seed, ord(letter), _HAND_STREAM]).choice(len(paths), p=probs))


def make_hand(chars: str, n_per_class: int, hand_seed: int = 0, sample_seed: int = 0):
    """Return x, y: n_per_class images of each of `chars` written by one fixed hand.

    x: uint8 (n_per_class * len(chars), 28, 28), ink bright on black as make_synthetic_letters';
    y: int64 class indices into `chars`, interleaved class by class as there.
    The hand (hand_seed) fixes the slant, rotation, aspect, the bending field, the pen, the size
    and each letter's form; only a sample's own strokes vary: each path's over- and undershoot,
    tremor and small shift. Samples come from the stream (hand_seed, sample_seed, letter): another
    sample_seed gives other letters of the same hand, and the first n of n + m are the n.
    """
    if (
        not chars
        or not all(c in string.ascii_uppercase + string.digits for c in chars)
        or len(set(chars)) != len(chars)
    ):
        raise ValueError(f"chars must be distinct uppercase letters A-Z or digits, got {chars!r}")
    hand = _hand(hand_seed)
    out = np.zeros((n_per_class, len(chars), _SIZE, _SIZE), np.uint8)
    for k, letter in enumerate(chars):
        paths = _forms(letter)[0][_hand_form(letter, hand_seed)]
        rng = np.random.default_rng([hand_seed, sample_seed, ord(letter), _HAND_STREAM])
        for i in range(n_per_class):
            out[i, k] = _emnist_frame(_draw(_write(paths, rng, hand), hand["width"]), hand["box"])
    return out.reshape(-1, _SIZE, _SIZE), np.tile(np.arange(len(chars), dtype=np.int64), n_per_class)


# ------------------------------------------------------------------------------------------
# Many fixed hands: --hands N, training the style code to hold the hand (issue 45)
# ------------------------------------------------------------------------------------------

HANDS_CACHE_NAME = "hershey-hands-v1-{chars}-{n}.npz"  # the caller formats it with the classes and the count
# --hands' hand seeds start here: far from the benchmarks' held-out hands (seeds below 100,000).
HAND_SEEDS_FROM = 1_000_000


def make_hands(chars: str, hand_seeds, n_per_class: int = 2):
    """Return x, y: make_hand(chars, n_per_class, hand_seed) for each of hand_seeds, one after another.

    Hand i's images are x[i * n_per_class * len(chars):(i + 1) * n_per_class * len(chars)], interleaved
    class by class as make_hand's. From _PARALLEL_FROM images on, worker processes draw the hands, so a
    script must call this under `if __name__ == "__main__":`, as for make_synthetic_letters."""
    hand_seeds = list(hand_seeds)
    tasks = [(chars, n_per_class, seed) for seed in hand_seeds]
    workers = (
        min(os.cpu_count() or 1, len(tasks)) if len(tasks) * n_per_class * len(chars) >= _PARALLEL_FROM else 1
    )
    pool = (
        concurrent.futures.ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"))
        if workers > 1
        else None
    )
    with (
        tqdm(total=len(tasks), desc="Hershey hands", unit="hand", leave=False) as bar,
        pool or contextlib.nullcontext(),
    ):
        hands = []
        # A hand of 2 x 26 letters takes ~0.13 s: 16 hands per trip to a worker repay its cost.
        for x, _ in (
            pool.map(make_hand, *zip(*tasks), chunksize=16) if pool else itertools.starmap(make_hand, tasks)
        ):
            hands.append(x)
            bar.update()
    y = np.tile(np.arange(len(chars), dtype=np.int64), n_per_class * len(hand_seeds))
    return np.concatenate(hands), y
