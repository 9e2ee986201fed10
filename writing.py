"""The user's own handwriting in, a line of handwriting out: the numpy/PIL half of "write in my style".

`prepare_style_image` turns a photo or scan of ONE handwritten character into a 28x28 image
framed the way EMNIST frames its characters (white ink on black, upright, floats in 0..1), so
that an encoder trained on EMNIST or MNIST can read its style. `compose_text` lays out one
28x28 glyph per character into a line (or lines) of handwriting; `text_characters` and
`unknown_characters` tell the caller which glyphs a text needs and which it cannot have.

Left to others: the model (encoding the style image, decoding a glyph per class), mapping the
user's text to the model's classes (upper case for EMNIST letters), and the figures
(figures.py). Nothing here imports TensorFlow, so the command line checks a --style-from
image before TensorFlow loads.
"""

import contextlib
import dataclasses
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

import attributes
from files import UserError

SIZE = 28  # the model's images are SIZE x SIZE
BORDER = 2  # EMNIST: the ink's box ends BORDER px from the frame's edge at SIZE x SIZE
FRAME = 128  # EMNIST blurs (sigma 1 px) at this resolution before downsampling to SIZE
WORK = 1024  # larger photos are shrunk to this longer side before the ink is found
# The default framing widens strokes to this fraction of the ink box's side (~3 px at 28x28, as MNIST).
STROKE = 0.12
# The edges tried to match the data's softness, sharpest first: (blur sigma in px at FRAME, contrast about
# half the maximum, which sharpens the edge without moving it, for a letter already soft when it came in).
EDGES = (
    (0.0, 4.0),
    (0.0, 3.0),
    (0.0, 2.5),
    (0.0, 2.0),
    (0.0, 1.75),
    (0.0, 1.5),
    (0.0, 1.25),
    (0.0, 1.0),
    (0.5, 1.0),
    (1.0, 1.0),
    (1.5, 1.0),
    (2.0, 1.0),
    (2.5, 1.0),
    (3.0, 1.0),
    (4.0, 1.0),
)
EMNIST_EDGE = (1.0, 1.0)  # EMNIST's blur, sigma 1 px at FRAME
SAMPLE = 2000  # images a framing is measured on (a random sample of larger sets: ~0.5 s)

LETTER_GAP = 2  # px between the ink of two letters of a word
WORD_GAP = 10  # px of blank for a space
LINE_GAP = 6  # px between two lines of text
MARGIN = 4  # px of blank around the composed text
BLANK_WIDTH = 6  # px a glyph with no ink takes up
INK = 0.1  # a column holds ink when some pixel exceeds this


# ----------------------------------------------------------------------------
# The user's letter in


@dataclasses.dataclass(frozen=True)
class Framing:
    """How a training set frames its characters at SIZE x SIZE: what prepare_style_image frames a
    user's letter to, so that the model sees it as it saw its training data.

    Measured on the ink as attributes measures it (the pixels at or above half the image's
    brightest). The default is EMNIST's framing as this module assumed before it measured the
    data (the ink's box 24 px: BORDER; strokes at least STROKE of it; EMNIST's blur; the box
    centred): for a model saved without its framing. Framing.from_images measures a data set.
    """

    box: float = float(SIZE - 2 * BORDER)  # mean longer side of the ink's box, px
    # 5th, 50th and 95th percentile of the pen's width (attributes.stroke_width), px; None: not known
    stroke: tuple = (round(STROKE * (SIZE - 2 * BORDER), 2), None, None)
    soft: float = (
        None  # mean share of an image's ink (> 0.1 of its max) that is partial (< 0.9); None: EMNIST's blur
    )
    centre: str = (
        "box"  # what the data centres: the ink's box ("box", EMNIST) or its centre of mass ("mass", MNIST)
    )
    at: tuple = ((SIZE - 1) / 2, (SIZE - 1) / 2)  # where that centre sits on average: (row, column), px

    @classmethod
    def from_images(cls, images, sample=SAMPLE):
        """The framing of images (n, SIZE, SIZE) or (n, SIZE, SIZE, 1), ink bright on black, uint8
        or float; measured on a random sample of `sample` of them (fixed seed), blank ones left out."""
        images = np.asarray(images, np.float32).reshape(-1, SIZE, SIZE)
        images = images[images.reshape(len(images), -1).max(axis=1) > 0]
        if not len(images):
            raise ValueError("no image holds ink: nothing to measure the framing on")
        if len(images) > sample:
            images = images[np.sort(np.random.default_rng(0).choice(len(images), sample, replace=False))]
        widths = attributes.stroke_width(images)
        centres = {"box": _box_centres(images), "mass": _mass_centres(images)}
        # The data centres the one that sits nearer the frame's middle (root mean square distance).
        middle = (SIZE - 1) / 2
        centre = min(centres, key=lambda name: np.sqrt(((centres[name] - middle) ** 2).sum(axis=1).mean()))
        return cls(
            box=round(float(attributes.ink_box(images).max(axis=1).mean()), 2),
            stroke=tuple(round(float(width), 2) for width in np.percentile(widths, (5, 50, 95))),
            soft=round(float(softness(images).mean()), 3),
            centre=centre,
            at=tuple(round(float(value), 2) for value in centres[centre].mean(axis=0)),
        )

    def to_dict(self):
        """As plain JSON values (metrics.json's "framing")."""
        return {**dataclasses.asdict(self), "stroke": list(self.stroke), "at": list(self.at)}

    @classmethod
    def from_dict(cls, saved):
        """The framing to_dict wrote. Raises ValueError, KeyError or TypeError when it is not one."""
        low, median, high = (None if value is None else float(value) for value in saved["stroke"])
        framing = cls(
            box=float(saved["box"]),
            stroke=(low, median, high),
            soft=None if saved.get("soft") is None else float(saved["soft"]),
            centre=str(saved["centre"]),
            at=tuple(float(value) for value in saved["at"]),
        )
        if framing.centre not in ("box", "mass") or len(framing.at) != 2 or not 0 < framing.box <= SIZE:
            raise ValueError(f"not a framing: {saved!r}")
        return framing


def read_framing(model_path, default=Framing()):
    """The Framing of the data a saved model learned from: metrics.json's "framing" beside the
    model file (model.keras); `default` (EMNIST's) for a model saved before runs stored it.
    Raises UserError when metrics.json is missing or unreadable, or its framing is damaged."""
    path = Path(model_path).parent / "metrics.json"
    try:
        saved = json.loads(path.read_text()).get("framing")
        return default if saved is None else Framing.from_dict(saved)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise UserError(
            f"{path}: missing or unreadable; the framing of the model's letters is read from "
            "the metrics.json its run wrote beside it"
        ) from None


def softness(images):
    """Per image, the share of its ink (pixels above 0.1 of its brightest) that is partial (below 0.9):
    how soft the edges are, from blur and anti-aliasing."""
    images = np.asarray(images, np.float32).reshape(-1, SIZE, SIZE)
    level = images / np.maximum(images.reshape(len(images), -1).max(axis=1), 1e-6)[:, None, None]
    inked = (level > 0.1).sum(axis=(1, 2))
    return ((level > 0.1) & (level < 0.9)).sum(axis=(1, 2)) / np.maximum(inked, 1)


def _box_centres(images):
    """(n, 2): the middle of each image's ink box (attributes.ink_bounds), (row, column) in px; the
    frame's middle for an image without ink."""
    top, bottom, left, right = attributes.ink_bounds(images).T
    return np.nan_to_num(np.column_stack([(top + bottom) / 2, (left + right) / 2]), nan=(SIZE - 1) / 2)


def _mass_centres(images):
    """(n, 2): each image's centre of mass (brightness-weighted), (row, column) in px."""
    images = np.asarray(images, np.float64).reshape(-1, SIZE, SIZE)
    weights = images / np.maximum(images.sum(axis=(1, 2), keepdims=True), 1e-12)
    index = np.arange(SIZE)
    return np.column_stack(
        [(weights.sum(axis=2) * index).sum(axis=1), (weights.sum(axis=1) * index).sum(axis=1)]
    )


def prepare_style_image(path, framing=None):
    """A photo or scan of one handwritten character (a file, or a PIL image in memory such as
    the demo's drawing) as a (28, 28) float32 image in 0..1, white ink on black, framed as the
    model's training data is: `framing`, a Framing (None: EMNIST's, Framing()).

    Dark ink on light paper and light ink on dark both work (the background is told from the
    border pixels); PNG, JPEG or anything Pillow reads, any size, with or without transparency,
    8 or 16 bits, EXIF rotation applied. Steps: grey; ink bright on dark; the paper's level
    and uneven lighting removed (a morphological opening as wide as a third of the image
    estimates the paper everywhere, Otsu's threshold splits ink from paper); contrast
    stretched so solid ink is 1; specks far smaller than the letter dropped; then framed as
    EMNIST frames (Cohen et al. 2017: the ink cropped into a square frame keeping its aspect
    ratio, resized to 128x128, blurred, bicubic down to 28x28, the brightest ink 1), to the
    framing's numbers, each measured on the 28x28 result and corrected: the ink box's longer
    side to the data's mean; the ink's box (EMNIST) or centre of mass (MNIST) where the data
    has it; the pen kept as it is, a hand's width being part of its style, unless it comes
    out thinner than the data's thin pens (5th percentile: widened to it, or a ballpoint on a
    phone photo would be a faint hairline at 28x28) or thicker than its thick ones (95th:
    thinned to it); the blur whose softness is nearest the data's.

    Raises UserError naming the file when it is not a readable image, is empty, is a
    single colour, or holds no ink that stands out from the paper.
    """
    grey = _read_grey(path)
    if grey.size == 0:
        raise UserError(f"{path}: the image is empty (0 pixels)")
    if grey.max() - grey.min() < 2 / 255:
        raise UserError(f"{path}: the image is a single colour, there is no letter on it")
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    light = np.median(border) > (grey.min() + grey.max()) / 2  # light paper, dark ink
    ink, mask = _find_ink(1 - grey if light else grey, light, path)  # ink bright, paper dark
    return _fit(ink, mask, Framing() if framing is None else framing)


def style_letters(paths, chars, classes):
    """The (image path, character) pairs of --style-from and --style-char.

    paths: image files, one character each in `chars`; or one folder, whose files are each
    named by the character they show ("A.png", "b.jpg"; hidden files are skipped) and no chars.
    Characters are upper-cased and must be among `classes`. Raises UserError naming the
    option or file that is wrong."""
    paths, chars = list(paths), [char.upper() for char in chars or []]
    if len(paths) == 1 and paths[0].is_dir():
        folder = paths[0]
        if chars:
            raise UserError(f"--style-char: not with a folder ({folder}): its file names say the characters")
        paths = sorted(path for path in folder.iterdir() if not path.name.startswith("."))
        if not paths:
            raise UserError(f"--style-from: {folder}: the folder holds no images")
        bad = [path.name for path in paths if len(path.stem) != 1 or not path.is_file()]
        if bad:
            raise UserError(
                f"--style-from: {folder / bad[0]}: name each file by the one character it shows, e.g. A.png"
            )
        chars = [path.stem.upper() for path in paths]
    elif len(chars) != len(paths):
        raise UserError(
            f"--style-char: give one character per --style-from image "
            f"({len(paths)} image{'s' if len(paths) > 1 else ''}, "
            f"{len(chars)} character{'s' if len(chars) != 1 else ''})"
        )
    for path, char in zip(paths, chars):
        if len(char) != 1 or char not in classes:
            raise UserError(f"--style-char: {char!r} (for {path.name}) is not one of the classes {classes}")
    return list(zip(paths, chars))


def _read_grey(path):
    """The image as floats in 0..1 (luminance; transparency flattened onto the paper), EXIF-upright
    and shrunk to at most WORK px on its longer side."""
    try:
        # An image in memory is the caller's: used as it is, and not closed.
        with contextlib.nullcontext(path) if isinstance(path, Image.Image) else Image.open(path) as image:
            if image.format == "JPEG":
                image.draft("L", (WORK, WORK))  # decode big JPEGs at a fraction of their size
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.width == 0 or image.height == 0:
                return np.zeros((0, 0), np.float32)
            grey = _to_grey(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        # PIL's UnidentifiedImageError is an OSError; damaged files raise any of these.
        reason = (
            "not an image Pillow can read"
            if isinstance(error, Image.UnidentifiedImageError)
            else error.strerror.lower()
            if isinstance(error, OSError) and error.strerror
            else error
        )
        raise UserError(f"{path}: cannot read the image ({reason})") from None
    scale = WORK / max(grey.shape)
    if scale < 1:
        size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
        grey = np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.BOX), np.float32)
    return grey


def _to_grey(image):
    """A PIL image as a float32 luminance array in 0..1."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):  # 16-bit and float greys
        grey = np.asarray(image, np.float32)
        top = grey.max(initial=0)
        return grey / (65535 if top > 255 else 255 if top > 1 or image.mode != "F" else 1)
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba, np.float32)[..., 3]
        seen = np.asarray(rgba.convert("L"), np.float32)[alpha > 127]
        # Flatten onto white paper, unless what is drawn is light (light ink on nothing): then black.
        paper = "black" if seen.size and np.median(seen) > 127 else "white"
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, paper), rgba)
    return np.asarray(image.convert("L"), np.float32) / 255


def _otsu(values):
    """Otsu's threshold of values in 0..1 (256 bins)."""
    counts, edges = np.histogram(values, bins=256, range=(0, max(float(values.max()), 1e-6)))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres)
    mean0 = m0 / np.maximum(w0, 1)
    mean1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mean0 - mean1) ** 2
    return float(edges[1:][np.argmax(between)])


def _find_ink(image, light, path):
    """(ink, mask): ink in 0..1 with the paper at 0, and the pixels that are surely ink.

    image has the ink bright and the paper dark (light: it was inverted from light paper)."""
    long = max(image.shape)
    image = ndimage.gaussian_filter(image, float(np.clip(long / 512, 0.5, 2)))  # sensor and JPEG noise
    # The paper's level everywhere: an opening (min then max filter) wider than any stroke
    # leaves only the paper, and follows a lighting gradient exactly.
    size = max(3, long // 3)
    # (Padded first: scipy pads the erosion's result again before dilating, which would sink
    # the estimate along edges the paper brightens towards.)
    pad = size // 2 + 1
    paper = ndimage.grey_opening(np.pad(image, pad, mode="edge"), size=(size, size))[pad:-pad, pad:-pad]
    paper = ndimage.gaussian_filter(
        paper, size / 32, mode="nearest"
    )  # a little: wide blurs sink at the edges
    residual = np.clip(image - paper, 0, None)
    if light:  # paper reflects the light it gets: ink's darkness is relative to the paper's brightness
        residual /= np.maximum(1 - paper, 0.1)
    threshold = _otsu(residual)
    above = residual > threshold
    if not above.any():
        raise UserError(f"{path}: no ink found: the letter must be darker (or lighter) than the paper")
    level = np.median(residual)
    noise = 1.4826 * np.median(np.abs(residual - level))
    floor = min(level + 3 * noise, threshold)
    solid = np.percentile(residual[above], 90)
    if solid - level < max(0.05, 4 * noise):
        raise UserError(f"{path}: no ink found: nothing stands out from the paper")
    ink = np.clip((residual - floor) / max(solid - floor, 1e-6), 0, 1)
    # Keep the letter, drop specks (dust, paper grain): components under 2% of the largest.
    labels, count = ndimage.label(ink > 0.5, structure=np.ones((3, 3)))
    if count == 0:
        raise UserError(f"{path}: no ink found: nothing stands out from the paper")
    areas = np.bincount(labels.ravel())[1:]
    mask = np.isin(labels, 1 + np.flatnonzero(areas >= 0.02 * areas.max()))
    near = ndimage.binary_dilation(mask, iterations=2)  # keep the soft edges of the kept strokes
    return ink * near, mask


def _fit(ink, mask, framing):
    """The ink framed to `framing` at SIZE x SIZE: placed by its mask's box, then framed, measured
    at SIZE (the pen at FRAME) and corrected: box and centre after every change, the pen up to
    twice, the edge's softness once. Scaling moves the half-maximum edge by a fraction of a pixel
    that depends on the blur, so the mask's box alone would not give the data's box."""
    edge = EMNIST_EDGE  # until the softness is matched
    place = _first_place(ink, mask, framing)
    for _ in range(2):
        place = _corrected(_frame(ink, place, edge), place, framing)
    low, _, high = framing.stroke
    for _ in range(2):  # a second look: widening a hairline at the photo's resolution falls short
        width = _pen(_window(ink, place), edge[0])
        wanted = max(width, low) if low is not None else width
        wanted = min(wanted, high) if high is not None else wanted
        if abs(wanted - width) < 0.1:
            break
        ink, mask = _restroke(ink, mask, (wanted - width) / 2 / place[0])
        place = _corrected(_frame(ink, place, edge), place, framing)
    if framing.soft is not None:
        edge = _edge_for(_window(ink, place), framing.soft)
    place = _corrected(_frame(ink, place, edge), place, framing)
    return _frame(ink, place, edge)


def _edge_for(big, soft):
    """The one of EDGES whose softness, for the window big, is nearest soft."""
    best, gap = EDGES[0], np.inf
    for edge in EDGES:  # sharpest first: the softness only grows, so stop once it passed soft
        off = float(softness(_shrink(big, edge))[0]) - soft
        if abs(off) < gap:
            best, gap = edge, abs(off)
        if off > 0:
            break
    return best


def _pen(big, sigma):
    """The pen's width at SIZE x SIZE (attributes.stroke_width) of a FRAME x FRAME window blurred by
    sigma: measured at FRAME, since at SIZE a stroke thinner than 2 px still reads 2 (it is all edge)."""
    blurred = ndimage.gaussian_filter(big, sigma) if sigma else big
    return float(attributes.stroke_width(blurred)[0]) * SIZE / FRAME


def _first_place(ink, mask, framing):
    """(scale: px at SIZE per px of ink, row, column of the frame's top left corner on the ink):
    the mask's box scaled to the data's box, its middle (or the ink's centre of mass) where the
    data has it."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    scale = framing.box / max(rows[-1] + 1 - rows[0], cols[-1] + 1 - cols[0])
    if framing.centre == "mass":
        y, x = np.array(ndimage.center_of_mass(ink)) + 0.5  # pixel i covers [i, i + 1)
    else:
        y, x = (rows[0] + rows[-1] + 1) / 2, (cols[0] + cols[-1] + 1) / 2
    return scale, y - (framing.at[0] + 0.5) / scale, x - (framing.at[1] + 0.5) / scale


def _corrected(small, place, framing):
    """place corrected by what the framed image `small` measures: moved so that its centre lands
    on the data's, then scaled about it by the data's box over its box."""
    scale, top, left = place
    (y0, y1), (x0, x1) = _span(small.max(axis=1)), _span(small.max(axis=0))
    centre = _mass_centres(small)[0] if framing.centre == "mass" else ((y0 + y1) / 2, (x0 + x1) / 2)
    y, x = top + (centre[0] + 0.5) / scale, left + (centre[1] + 0.5) / scale  # the ink's centre
    scale *= framing.box / max(y1 - y0, x1 - x0, 1.0)
    return scale, y - (framing.at[0] + 0.5) / scale, x - (framing.at[1] + 0.5) / scale


def _span(profile):
    """(start, end) px where a row's or column's profile (its brightest, the maximum 1) crosses half,
    to a fraction of a pixel: whole pixels would move the letter by up to half a pixel at each try.
    On average as attributes.ink_box counts: end - start is the box's side, their mean its middle."""
    inked = np.flatnonzero(profile >= 0.5)
    first, last = inked[0], inked[-1]

    def crossing(inside, outside):  # where the profile falls to 0.5 between two neighbours, from inside
        return (profile[inside] - 0.5) / max(profile[inside] - profile[outside], 1e-6)

    start = first - (crossing(first, first - 1) if first > 0 else 0.5)
    end = last + (crossing(last, last + 1) if last < len(profile) - 1 else 0.5)
    return start, end


def _restroke(ink, mask, grow):
    """Every stroke widened by `grow` px on each side (thinned, below 0), soft-edged."""
    if grow > 0:
        distance = ndimage.distance_transform_edt(~mask)
        return np.maximum(ink, np.clip(grow + 0.5 - distance, 0, 1)), distance <= grow
    inside = ndimage.distance_transform_edt(mask)
    thinned = inside > -grow
    if thinned.sum() < 0.2 * mask.sum():  # thinning would all but erase the letter: leave it
        return ink, mask
    return np.minimum(ink, np.clip(inside + grow + 0.5, 0, 1)), thinned


def _frame(ink, place, edge):
    """ink placed by place (_first_place) in a SIZE x SIZE frame, with the edge of _shrink."""
    return _shrink(_window(ink, place), edge)


def _window(ink, place):
    """The square of ink that place puts in the frame, at FRAME x FRAME (zero beyond the image)."""
    scale, top, left = place
    side = SIZE / scale
    # Cut a little more than the square (zero-padded where it leaves the image), then let PIL
    # resize the exact square: its corners fall between pixels.
    y0, x0 = int(np.floor(top)) - 2, int(np.floor(left)) - 2
    n = int(np.ceil(side)) + 5
    cut = np.zeros((n, n), np.float32)
    ys, ye = max(y0, 0), min(y0 + n, ink.shape[0])
    xs, xe = max(x0, 0), min(x0 + n, ink.shape[1])
    if ys < ye and xs < xe:
        cut[ys - y0 : ye - y0, xs - x0 : xe - x0] = ink[ys:ye, xs:xe]
    box = (left - x0, top - y0, left - x0 + side, top - y0 + side)
    return np.asarray(
        Image.fromarray(cut).resize((FRAME, FRAME), Image.Resampling.BICUBIC, box=box), np.float32
    )


def _shrink(big, edge):
    """A FRAME x FRAME window blurred, bicubic down to SIZE x SIZE, its brightest 1, its contrast
    raised about half the maximum: edge = (blur sigma in px at FRAME, contrast; 1: as it is)."""
    sigma, contrast = edge
    blurred = ndimage.gaussian_filter(big, sigma) if sigma else big
    small = np.asarray(Image.fromarray(blurred).resize((SIZE, SIZE), Image.Resampling.BICUBIC), np.float32)
    small = np.clip(small, 0, None) / max(float(small.max()), 1e-6)
    if contrast != 1:  # the pixels at or above half the maximum stay so: the ink's box and strokes keep
        small = np.clip(0.5 + (small - 0.5) * contrast, 0, 1)
    return small.astype(np.float32)


# ----------------------------------------------------------------------------
# A line of handwriting out


def text_characters(text):
    """The set of characters of text that need a glyph (all but spaces and newlines)."""
    return set(text) - {" ", "\n"}


def decode_glyphs(decode, style, chars, classes):
    """{char: (28, 28) image} for each of chars, drawn by decode(z, labels) in the one style z:
    the glyphs compose_text lays out."""
    chars = sorted(set(chars))
    images = decode(
        np.repeat(np.asarray(style, np.float32)[None], len(chars), 0),
        np.array([classes.index(c) for c in chars]),
    )
    return dict(zip(chars, np.asarray(images)[..., 0]))


def unknown_characters(text, classes):
    """Characters of text the model cannot draw, in code-point order (sorted()), without repeats.

    classes is a string naming the model's classes ("ABC...Z", "0123456789"). Letters are
    upper-cased unless classes holds them as they are; spaces and newlines are always allowed.
    unknown_characters("Hi, 7!", ascii_uppercase) == ["!", ",", "7"].
    """
    mapped = {c if c in classes or len(c.upper()) != 1 else c.upper() for c in text_characters(text)}
    return sorted(mapped - set(classes))


def compose_text(glyphs, text, rng=None, max_width=None):
    """Lay out text as handwriting: a (height, width) float32 image in 0..1, white ink on black.

    glyphs maps each character of text (but spaces and newlines) to a (28, 28) image, white
    ink on black. Each glyph is trimmed to its ink columns (> INK) and set LETTER_GAP px after
    the previous one (plus a random -1, 0 or +1 px when rng, a seed or a numpy Generator,
    is given: the same seed gives the same canvas); a space is WORD_GAP px of blank, "\\n"
    starts a new line LINE_GAP px lower, left aligned; with max_width (px), a word that would
    end past it starts a new line too (a longer word stays whole). Glyphs keep their 28 px
    tile height (EMNIST centres them), so every line has one baseline. A glyph with no ink is
    BLANK_WIDTH px wide. The faint ink just outside a glyph's trimmed columns is kept,
    overlapping its neighbours. MARGIN px of blank surround the text: height = 2*MARGIN +
    lines*28 + (lines-1)*LINE_GAP. An empty text gives a blank canvas one line high.
    """
    missing = sorted(text_characters(text) - set(glyphs))
    if missing:
        raise ValueError(f"no glyph for {', '.join(map(repr, missing))}")
    rng = None if rng is None else np.random.default_rng(rng)
    trims = {}
    for char in text_characters(text):
        glyph = np.clip(np.asarray(glyphs[char], np.float32).reshape(SIZE, SIZE), 0, 1)
        inked = np.flatnonzero(glyph.max(0) > INK)
        # (glyph, first ink column, width); a blank glyph keeps a few px in the middle.
        trims[char] = (
            (glyph, inked[0], inked[-1] + 1 - inked[0])
            if inked.size
            else (glyph, (SIZE - BLANK_WIDTH) // 2, BLANK_WIDTH)
        )

    # Where each glyph goes: (line, x of its first ink column, char), and each line's width.
    placed, widths = [], []
    line, x = -1, 0
    for text_line in text.split("\n"):
        line, x, widths = line + 1, 0, widths + [0]
        for i, word in enumerate(text_line.split(" ")):
            start = x + (WORD_GAP if i else 0)  # one gap per space: "A  B" has two
            width = sum(trims[c][2] for c in word) + (LETTER_GAP + 1) * max(len(word) - 1, 0)
            if max_width and word and widths[line] and start + width > max_width:
                line, start, widths = line + 1, 0, widths + [0]
            x = start
            for j, char in enumerate(word):
                if j:
                    x += LETTER_GAP + (int(rng.integers(-1, 2)) if rng is not None else 0)
                placed.append((line, x, char))
                x += trims[char][2]
            widths[line] = x
    lines = len(widths)
    canvas = np.zeros(
        (2 * MARGIN + lines * SIZE + (lines - 1) * LINE_GAP, 2 * MARGIN + max(widths)), np.float32
    )
    for line, x, char in placed:
        glyph, first, _ = trims[char]
        y, left = MARGIN + line * (SIZE + LINE_GAP), MARGIN + x - first
        lo, hi = max(0, left), min(canvas.shape[1], left + SIZE)  # the whole tile, cut at the canvas edge
        region = canvas[y : y + SIZE, lo:hi]
        np.maximum(region, glyph[:, lo - left : hi - left], out=region)
    return canvas


def write_text(decode, style, text, classes, seed=0):
    """`text` in one style (a latent code): each character decoded (decode: evaluation.decoder_fn's),
    then laid out like handwriting (compose_text, its gaps drawn with seed)."""
    glyphs = decode_glyphs(decode, style, text_characters(text.upper()), classes)
    return compose_text(glyphs, text.upper(), rng=seed)
