"""Train a variational autoencoder on handwritten letters A–Z (EMNIST letters).

Upper and lower case share a class, as in EMNIST. Reads the real EMNIST files from
data/ (Kaggle CSV or official IDX) and falls back to a synthetic set of pen-stroke letters.

    python vae_letters.py                 # everything into outputs/letters/
    python vae_letters.py --chars AEIOU   # any subset of letters
"""

import sys

import common


def main(argv=None):
    parser = common.make_parser(__doc__, "letters", chars=common.LETTERS)
    return common.run("letters", parser, lambda args: common.load_letters(args.data, args.chars, args.limit), argv)


if __name__ == "__main__":
    sys.exit(main())
