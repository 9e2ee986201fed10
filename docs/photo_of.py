"""A stand-in photo of a handwritten character, for the README's "your own hand" figures.

This project has no camera, so a script "photographs" a real handwritten character instead: a
test image of the digits data (real MNIST once `python download.py --only mnist` fetched it into
data/), drawn large in blue-black ink on shaded, slightly tilted paper and saved as a JPEG.
`--style-from` then has to undo all of that, as it would for a real photo.

    python docs/photo_of.py --data data --index 0 docs/figures/digits/my_digit.jpg
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import loaders  # noqa: E402  (the project's own loaders, NumPy only)

PAPER, INK = np.array([236, 229, 212], np.float32), np.array([28, 38, 112], np.float32)


def photograph(image, size=480, angle=-7.0, seed=0):
    """A (28, 28) image, ink 1 on 0, as an RGB 'photo': ink on shaded paper, tilted, blurred, noisy."""
    rng = np.random.default_rng(seed)
    glyph = Image.fromarray(np.uint8(255 * np.clip(image, 0, 1))).resize((size * 5 // 8,) * 2, Image.BICUBIC)
    ink = np.zeros((size, size), np.float32)
    corner = (size - glyph.width) // 2
    ink[corner : corner + glyph.height, corner : corner + glyph.width] = np.asarray(glyph, np.float32) / 255
    ink = np.asarray(Image.fromarray(np.uint8(255 * ink)).rotate(angle, Image.BICUBIC), np.float32) / 255
    rows, cols = np.mgrid[0:size, 0:size] / size
    shade = 1.0 - 0.25 * (rows + cols) / 2 + rng.normal(0, 0.015, (size, size))  # light from the top left
    paper = PAPER * shade[..., None]
    photo = paper * (1 - ink[..., None]) + INK * ink[..., None]
    return Image.fromarray(np.uint8(np.clip(photo, 0, 255))).filter(ImageFilter.GaussianBlur(1.2))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="the JPEG to write")
    parser.add_argument(
        "--data", type=Path, default=Path("data"), help="folder of the digits data (default: data/)"
    )
    parser.add_argument("--index", type=int, default=0, help="which test image (default: 0)")
    args = parser.parse_args()
    data = loaders.load_digits(args.data)
    photograph(data.x_test[args.index, ..., 0]).save(args.out, quality=85)
    print(
        f"{args.out}: test image {args.index} of {data.about.name}, a {data.classes[data.y_test[args.index]]}"
    )


if __name__ == "__main__":
    main()
