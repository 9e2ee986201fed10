"""Train a variational autoencoder on the handwritten vowels A, E, I, O, U (EMNIST letters).

The same data as vae_letters.py, keeping five classes: a smaller, clearer latent space.

    python vae_vowels.py                  # everything into outputs/vowels/
"""

import sys

import common


def main(argv=None):
    parser = common.make_parser(__doc__, "vowels", chars="AEIOU")
    return common.run("vowels", parser, lambda args: common.load_letters(args.data, args.chars, args.limit), argv)


if __name__ == "__main__":
    sys.exit(main())
