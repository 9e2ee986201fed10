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

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

from files import UserError

SIZE = 28            # the model's images are SIZE x SIZE
BORDER = 2           # EMNIST: the ink's box ends BORDER px from the frame's edge at SIZE x SIZE
FRAME = 128          # EMNIST blurs (sigma 1 px) at this resolution before downsampling to SIZE
WORK = 1024          # larger photos are shrunk to this longer side before the ink is found
STROKE = 0.12        # thinner strokes are widened to this fraction of the ink box's side (~3 px at 28x28, as MNIST)

LETTER_GAP = 2       # px between the ink of two letters of a word
WORD_GAP = 10        # px of blank for a space
LINE_GAP = 6         # px between two lines of text
MARGIN = 4           # px of blank around the composed text
BLANK_WIDTH = 6      # px a glyph with no ink takes up
INK = 0.1            # a column holds ink when some pixel exceeds this


# ----------------------------------------------------------------------------
# The user's letter in


def prepare_style_image(path):
    """A photo or scan of one handwritten character (a file, or a PIL image in memory such as
    the demo's drawing) as a (28, 28) float32 image in 0..1, white ink on black, framed the
    EMNIST way (Cohen et al. 2017).

    Dark ink on light paper and light ink on dark both work (the background is told from the
    border pixels); PNG, JPEG or anything Pillow reads, any size, with or without transparency,
    8 or 16 bits, EXIF rotation applied. Steps: grey; ink bright on dark; the paper's level
    and uneven lighting removed (a morphological opening as wide as a third of the image
    estimates the paper everywhere, Otsu's threshold splits ink from paper); contrast
    stretched so solid ink is 1; specks far smaller than the letter dropped; strokes thinner
    than STROKE of the letter's size thickened (a ballpoint on a phone photo would otherwise
    be a faint hairline at 28x28); the ink's bounding box centred in a square frame keeping
    its aspect ratio, with a margin that becomes BORDER px at 28x28; resized to 128x128,
    Gaussian blur sigma 1 px, bicubic down to 28x28; scaled so the brightest ink is 1.
    EMNIST centres the bounding box, MNIST the centre of mass: an "L" sits lower-left of the
    middle by its centre of mass, as in EMNIST.

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
    ink, mask = _thicken(ink, mask)
    return _frame(ink, mask)


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
            raise UserError(f"--style-from: {folder / bad[0]}: name each file by the one character it shows, e.g. A.png")
        chars = [path.stem.upper() for path in paths]
    elif len(chars) != len(paths):
        raise UserError(f"--style-char: give one character per --style-from image "
                        f"({len(paths)} image{'s' if len(paths) > 1 else ''}, {len(chars)} character{'s' if len(chars) != 1 else ''})")
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
        reason = ("not an image Pillow can read" if isinstance(error, Image.UnidentifiedImageError)
                  else error.strerror.lower() if isinstance(error, OSError) and error.strerror else error)
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
    paper = ndimage.gaussian_filter(paper, size / 32, mode="nearest")  # a little: wide blurs sink at the edges
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


def _thicken(ink, mask):
    """Strokes thinner than STROKE of the ink box's longer side, widened to it (soft-edged)."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    side = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    edge = mask & ~ndimage.binary_erosion(mask)
    width = 2 * mask.sum() / max(edge.sum(), 1)  # area / half the perimeter ~ stroke width
    grow = (STROKE * side - width) / 2
    if grow <= 0.5:
        return ink, mask
    distance = ndimage.distance_transform_edt(~mask)
    return np.maximum(ink, np.clip(grow + 0.5 - distance, 0, 1)), distance <= grow


def _frame(ink, mask):
    """The ink's box centred in a square frame (BORDER/SIZE margin), blurred at FRAME px, SIZE x SIZE."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    side = max(bottom - top, right - left)
    frame_side = max(1, round(side * SIZE / (SIZE - 2 * BORDER)))
    # Take the frame straight from the (zero-padded) image, so soft edges just outside the box stay.
    pad = frame_side
    padded = np.pad(ink, pad)
    y0 = pad + (top + bottom - frame_side) // 2
    x0 = pad + (left + right - frame_side) // 2
    frame = padded[y0:y0 + frame_side, x0:x0 + frame_side]
    big = Image.fromarray(np.ascontiguousarray(frame, np.float32)).resize((FRAME, FRAME), Image.Resampling.BICUBIC)
    blurred = ndimage.gaussian_filter(np.asarray(big, np.float32), 1.0)
    small = np.asarray(Image.fromarray(blurred).resize((SIZE, SIZE), Image.Resampling.BICUBIC), np.float32)
    small = np.clip(small, 0, None)
    return (small / max(float(small.max()), 1e-6)).astype(np.float32)


# ----------------------------------------------------------------------------
# A line of handwriting out


def text_characters(text):
    """The set of characters of text that need a glyph (all but spaces and newlines)."""
    return set(text) - {" ", "\n"}


def decode_glyphs(decode, style, chars, classes):
    """{char: (28, 28) image} for each of chars, drawn by decode(z, labels) in the one style z:
    the glyphs compose_text lays out."""
    chars = sorted(set(chars))
    images = decode(np.repeat(np.asarray(style, np.float32)[None], len(chars), 0), np.array([classes.index(c) for c in chars]))
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
        trims[char] = (glyph, inked[0], inked[-1] + 1 - inked[0]) if inked.size else \
            (glyph, (SIZE - BLANK_WIDTH) // 2, BLANK_WIDTH)

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
    canvas = np.zeros((2 * MARGIN + lines * SIZE + (lines - 1) * LINE_GAP,
                       2 * MARGIN + max(widths)), np.float32)
    for line, x, char in placed:
        glyph, first, _ = trims[char]
        y, left = MARGIN + line * (SIZE + LINE_GAP), MARGIN + x - first
        lo, hi = max(0, left), min(canvas.shape[1], left + SIZE)  # the whole tile, cut at the canvas edge
        region = canvas[y:y + SIZE, lo:hi]
        np.maximum(region, glyph[:, lo - left:hi - left], out=region)
    return canvas
