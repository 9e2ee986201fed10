"""Stroke width and ink of 28x28 character images: are the synthetic letters drawn like MNIST's pen strokes?

    python bench/stroke_stats.py                                   # new letters (200 per letter) vs MNIST
    python bench/stroke_stats.py --module /tmp/old_synthetic_letters.py   # also another generator,
                                                                   # e.g. git show REV:synthetic_letters.py
    python bench/stroke_stats.py data/some-cache.npz  t10k-images-idx3-ubyte.gz   # also any saved set
    python bench/stroke_stats.py --emnist ~/emnist --means means.png   # against real EMNIST letters

For each set it prints the median stroke width (px, at 28x28) and the mean ink per image (mean pixel
intensity, 0..1). Then, for the generated letters (and .npz sets with y_train), the figures of real
EMNIST letters that the offline letters should match (REAL_LETTERS: ink and its spread, size of the
ink's box, per class), measured on A-M as the real ones were. All images must be upright, white ink
on black.
"""

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import loaders  # noqa: E402  (the project's IDX reader; NumPy only)
from loaders import DEVELOPERS_MNIST as MNIST  # noqa: E402
from loaders import LETTERS  # noqa: E402

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


# Real EMNIST letters (2,000 official test images of A-M, upright, measured outside this machine
# with letter_stats; the project does not ship them): what the offline letters should match.
REAL_LETTERS = {
    "ink": 0.165,
    "ink_std": 0.054,
    "box": 22.1,
    "class_ink": {"I": 0.108, "J": 0.139, "F": 0.149, "L": 0.105, "A": 0.201, "E": 0.219, "C": 0.170},
    "class_box": {"I": 20.7, "F": 22.8, "J": 22.8, "M": 22.8},
}


def ink_box(image):
    """The longer side of the box around the ink (pixels over half of 255), px."""
    rows, cols = np.nonzero(image > 127)
    return max(np.ptp(rows), np.ptp(cols)) + 1 if len(rows) else 0


def letter_stats(images, labels, chars=LETTERS):
    """The figures of REAL_LETTERS for uint8 images (n, 28, 28) with labels 0..len(chars)-1, plus
    the standard deviation of the ink box between images."""
    images, labels = np.asarray(images), np.asarray(labels)
    ink = images.mean((1, 2)) / 255
    box = np.array([ink_box(image) for image in images])
    present = [c for c in chars if (labels == chars.index(c)).any()]
    return {
        "ink": float(ink.mean()),
        "ink_std": float(ink.std()),
        "box": float(box.mean()),
        "box_std": float(box.std()),
        "class_ink": {c: float(ink[labels == chars.index(c)].mean()) for c in present},
        "class_box": {c: float(box[labels == chars.index(c)].mean()) for c in present},
    }


def print_letter_stats(named_stats, real=REAL_LETTERS):
    """A markdown table: the real EMNIST letters' figures, then one column per (name, letter_stats)."""

    def extremes(stats):
        lo, hi = (f(stats["class_box"], key=stats["class_box"].get) for f in (min, max))
        return f"{stats['class_box'][lo]:.1f} ({lo}), {stats['class_box'][hi]:.1f} ({hi})"

    rows = [
        ("mean ink (pixel mean)", f"{real['ink']:.3f}", lambda s: f"{s['ink']:.3f}"),
        ("per-image ink, standard deviation", f"{real['ink_std']:.3f}", lambda s: f"{s['ink_std']:.3f}"),
        (
            "longer side of the ink's box (> 0.5), mean (sd between images)",
            f"{real['box']}",
            lambda s: f"{s['box']:.1f} ({s['box_std']:.1f})",
        ),
        (
            "... mean per class: " + ", ".join(real["class_box"]),
            ", ".join(map(str, real["class_box"].values())),
            lambda s: ", ".join(f"{s['class_box'][c]:.1f}" for c in real["class_box"]),
        ),
        ("... smallest and largest class mean", "20.7 (I), 22.8 (F, J, M)", extremes),
    ]
    rows += [
        (f"ink of {c}", f"{value:.3f}", lambda s, c=c: f"{s['class_ink'][c]:.3f}")
        for c, value in real["class_ink"].items()
    ]
    print(
        "| statistic (28x28, pixels in [0, 1], upright; A-M) | real EMNIST | "
        + " | ".join(n for n, _ in named_stats)
        + " |"
    )
    print("|---|---:|" + "---:|" * len(named_stats))
    for label, value, cell in rows:
        print(f"| {label} | {value} | " + " | ".join(cell(stats) for _, stats in named_stats) + " |")


# ------------------------------------------------------------------------------------------
# Image sets
# ------------------------------------------------------------------------------------------


def read_images(path):
    """(x_train (or the first array), y_train or None) of an .npz, or (the images, None) of an IDX file."""
    if str(path).endswith(".npz"):
        with np.load(path) as saved:
            if "x_train" in saved:
                return saved["x_train"], saved["y_train"] if "y_train" in saved else None
            return saved[saved.files[0]], None
    return loaders.read_idx(path, 3), None


def emnist_letters_test(folder):
    """(images upright, labels 0..25) of the official EMNIST letters test IDX files in `folder`."""
    names = [f"emnist-letters-test-{kind}-ubyte" for kind in ("images-idx3", "labels-idx1")]
    files = loaders._find_all(Path(folder), names, "the EMNIST letters test set")
    if not files:
        sys.exit(f"--emnist: no {' and '.join(names)} (.gz or not) in {folder}")
    images, labels = loaders.read_idx_pair(*files)
    return images.transpose(0, 2, 1), labels - 1


def class_means(images, labels, classes=26):
    """The mean image of each class, (classes, 28, 28), 0..1."""
    return np.stack([images[labels == k].mean(0) / 255 for k in range(classes)])


def load_module(path):
    """The Python file at `path` as a module, imported by name so that worker processes find it too."""
    sys.path.insert(0, str(Path(path).resolve().parent))
    module = importlib.import_module(Path(path).stem)
    if Path(module.__file__).resolve() != Path(path).resolve():
        sys.exit(
            f"{path}: another module of that name is loaded ({module.__file__}); "
            "copy the file under a name of its own"
        )
    return module


def generated(module_path, per_letter, seed):
    """(images, labels) of the training set make_synthetic_letters of the given file draws,
    per_letter of each letter."""
    return load_module(module_path).make_synthetic_letters(LETTERS, per_letter, 0, seed=seed)[:2]


def mnist_test_images(folder=MNIST):
    """The 10,000 MNIST test images from `folder`, or None if they are not there."""
    path = loaders._find(Path(folder), "t10k-images-idx3-ubyte")
    return loaders.read_idx(path, 3) if path else None


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("files", nargs="*", help="more image sets: .npz (x_train) or IDX (.gz or not) files")
    parser.add_argument("--per-letter", type=int, default=200, help="images generated per letter")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated letters")
    parser.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="PY",
        help="also measure the make_synthetic_letters of this file (repeatable)",
    )
    parser.add_argument(
        "--mnist", type=Path, default=MNIST, help="folder with MNIST's t10k-images-idx3-ubyte(.gz)"
    )
    parser.add_argument(
        "--emnist",
        type=Path,
        metavar="DIR",
        help="also real EMNIST letters: the official emnist-letters-test-*-ubyte(.gz) files in DIR "
        "(their column in the table, and each set's class-mean images correlated with theirs)",
    )
    parser.add_argument(
        "--means", type=Path, metavar="PNG", help="write the class-mean images of every labelled set here"
    )
    args = parser.parse_args(argv)

    sets = [
        (
            "hershey letters (synthetic_letters.py)",
            lambda: generated(REPO / "synthetic_letters.py", args.per_letter, args.seed),
        )
    ]
    sets += [
        (f"make_synthetic_letters of {m}", lambda m=m: generated(m, args.per_letter, args.seed))
        for m in args.module
    ]
    sets += [(str(f), lambda f=f: read_images(f)) for f in args.files]
    if args.emnist:
        sets.append((f"real EMNIST letters ({args.emnist})", lambda: emnist_letters_test(args.emnist)))
    rows, letters, means = [], [], []
    for name, load in sets:
        images, labels = load()
        rows.append((name, len(images), *stroke_stats(images)))
        if labels is not None:
            a_to_m = labels < 13
            letters.append((name, letter_stats(images[a_to_m], labels[a_to_m])))
            means.append((name, class_means(images, labels)))
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
    if letters:
        print()
        print_letter_stats(letters)
    if args.emnist:
        real = means[-1][1]
        print("\ncorrelation of the class-mean images with real EMNIST letters'")
        for name, mean in means[:-1]:
            r = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(mean, real)]
            print(f"{name}: " + " ".join(f"{c} {v:.2f}" for c, v in zip(LETTERS, r)))
    if args.means and means:
        from PIL import Image

        grid = np.vstack([np.hstack(list(mean)) for _, mean in means])  # one row of 26 letters per set
        Image.fromarray(np.round(255 * grid / grid.max()).astype(np.uint8)).save(args.means)
        print(f"\nclass means, one row per set ({', '.join(name for name, _ in means)}): {args.means}")


if __name__ == "__main__":
    main()
