"""Stroke width and ink of 28x28 character images: are the synthetic letters drawn like MNIST's pen strokes?

    python bench/stroke_stats.py                                   # new letters (200 per letter) vs MNIST
    python bench/stroke_stats.py --module /tmp/old_synthetic_letters.py   # also another generator, e.g. an
                                                                   # old version: git show REV:synthetic_letters.py
    python bench/stroke_stats.py data/some-cache.npz  t10k-images-idx3-ubyte.gz   # also any saved set

For each set it prints the median stroke width (px, at 28x28) and the mean ink per image (mean pixel
intensity, 0..1). All images must be upright, white ink on black.
"""

import argparse
import gzip
import importlib.util
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parent.parent
MNIST = REPO.parent / "shared" / "data" / "mnist"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# ------------------------------------------------------------------------------------------
# The statistics
# ------------------------------------------------------------------------------------------

def _ridge(dist, axis):
    """Pixels where the distance map peaks across `axis` (strictly on at least one side, so a flat
    run along a stroke's edge does not count)."""
    before, after = np.roll(dist, 1, axis), np.roll(dist, -1, axis)
    return (dist >= before) & (dist >= after) & ((dist > before) | (dist > after))


def stroke_width(image):
    """Stroke width of one image, px: twice the mean distance-to-background on the ink's ridge.

    Ink is what reaches half the image's maximum. Inside a stroke the Euclidean distance transform
    rises from the edges to the middle line, where it is half the stroke's width. Instead of a
    skeletonisation (skimage is not a dependency) the middle line is taken as the pixels where the
    distance peaks across a row or a column: a stroke in any direction crosses rows or columns.
    On the pixel grid a line k px wide reads k (k even) or k + 1 (k odd): fine for comparing sets.
    """
    ink = image >= 0.5 * image.max()
    dist = ndimage.distance_transform_edt(np.pad(ink, 1))[1:-1, 1:-1]
    ridge = ink & (_ridge(dist, 0) | _ridge(dist, 1))
    return 2 * dist[ridge].mean() if ridge.any() else 0.0


def stroke_stats(images):
    """(median stroke width over images in px, mean ink per image 0..1) of uint8 images (n, 28, 28)."""
    images = np.asarray(images)
    widths = [stroke_width(image) for image in images]
    return float(np.median(widths)), float(images.mean() / 255)


# ------------------------------------------------------------------------------------------
# Image sets
# ------------------------------------------------------------------------------------------

def read_idx_images(path):
    """Images (n, rows, cols) from an IDX file of unsigned bytes, gzipped or not."""
    raw = (gzip.open if str(path).endswith(".gz") else open)(path, "rb").read()
    n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, np.uint8, n * rows * cols, 16).reshape(n, rows, cols)


def read_images(path):
    """x_train (or the first array) of an .npz, or the images of an IDX file."""
    if str(path).endswith(".npz"):
        with np.load(path) as saved:
            return saved["x_train"] if "x_train" in saved else saved[saved.files[0]]
    return read_idx_images(path)


def generated(module_path, per_letter, seed):
    """The training images make_synthetic_letters of the given file draws, per_letter of each letter."""
    spec = importlib.util.spec_from_file_location(Path(module_path).stem, module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_synthetic_letters(LETTERS, per_letter, 0, seed=seed)[0]


def mnist_test_images(folder=MNIST):
    """The 10,000 MNIST test images from `folder`, or None if they are not there."""
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        if (Path(folder) / name).is_file():
            return read_idx_images(Path(folder) / name)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("files", nargs="*", help="more image sets: .npz (x_train) or IDX (.gz or not) files")
    parser.add_argument("--per-letter", type=int, default=200, help="images generated per letter")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated letters")
    parser.add_argument("--module", action="append", default=[], metavar="PY",
                        help="also measure the make_synthetic_letters of this file (repeatable)")
    parser.add_argument("--mnist", type=Path, default=MNIST, help="folder with MNIST's t10k-images-idx3-ubyte(.gz)")
    args = parser.parse_args(argv)

    sets = [("hershey letters (synthetic_letters.py)", lambda: generated(REPO / "synthetic_letters.py", args.per_letter, args.seed))]
    sets += [(f"make_synthetic_letters of {m}", lambda m=m: generated(m, args.per_letter, args.seed)) for m in args.module]
    sets += [(str(f), lambda f=f: read_images(f)) for f in args.files]
    rows = []
    for name, load in sets:
        images = load()
        rows.append((name, len(images), *stroke_stats(images)))
    mnist = mnist_test_images(args.mnist)
    if mnist is None:
        print(f"no MNIST in {args.mnist}: skipped", file=sys.stderr)
    else:
        rows.append(("MNIST test digits", len(mnist), *stroke_stats(mnist)))

    print("| images | n | median stroke width (px) | mean ink (0..1) | vs MNIST (width, ink) |")
    print("|---|---:|---:|---:|---:|")
    for name, n, width, ink in rows:
        ratio = f"{width / rows[-1][2]:.2f}x, {ink / rows[-1][3]:.2f}x" if mnist is not None else "-"
        print(f"| {name} | {n:,} | {width:.2f} | {ink:.3f} | {ratio} |")

if __name__ == "__main__":
    main()
