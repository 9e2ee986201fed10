"""Train a variational autoencoder on handwritten letters A–Z (EMNIST letters).

Upper and lower case share a class, as in EMNIST. Reads the real EMNIST files from
data/ (Kaggle CSV or official IDX) and falls back to a synthetic set drawn from pen strokes.

    python vae_letters.py                 # everything into outputs/letters/
    python vae_letters.py --chars AEIOU   # any subset of letters
    python vae_letters.py --conditional --write "hello world"
"""

import cli


def main(argv=None):
    return cli.main("letters", __doc__, argv)


if __name__ == "__main__":
    cli.exit_now(main())
