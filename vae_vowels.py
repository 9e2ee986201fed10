"""Train a variational autoencoder on the handwritten vowels A, E, I, O, U (EMNIST letters).

The same data as vae_letters.py, keeping five classes: a smaller, clearer latent space.

    python vae_vowels.py                  # everything into outputs/vowels/
"""

import cli


def main(argv=None):
    return cli.main("vowels", __doc__, argv)


if __name__ == "__main__":
    cli.exit_now(main())
