"""The command line: the options, parsed into a Settings, the run, and its exit status.

    options (argparse) → Settings (settings.py: the checks, before TensorFlow loads, so --help
    and a mistake answer at once) → experiment.run (experiment.py: data → model → training →
    evaluation → figures, report.html, metrics.json, model.keras → summary) → exit status

The scripts (vae_letters.py, vae_digits.py, vae_vowels.py) only name their variant. Every
option's default is the Settings field's of the same name; from Python or a notebook, make a
Settings and call experiment.run yourself.
"""

import argparse
import atexit
import dataclasses
import math
import os
import sys
from pathlib import Path

from files import TrainingFailed, UserError
from settings import (CHOICES, DEFAULT_PSEUDO_INPUTS, DEFAULT_STYLE_ADVERSARY, FULL_IWAE, VARIANTS, Settings)


# ----------------------------------------------------------------------------
# Options


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line and exit status 2, without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """--help keeps the script's docstring as written and shows the defaults there are."""

    def _get_help_string(self, action):
        if action.default in (None, argparse.SUPPRESS) or action.default is False or "default" in action.help:
            return action.help
        return action.help + " (default: %(default)s)"


def whole_number(minimum):
    """An argparse type: a whole number ≥ minimum."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


positive_int, non_negative_int = whole_number(1), whole_number(0)


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text}")
    return value


def positive_float(text):
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be above 0, got 0")
    return value


def make_parser(description, variant):
    default = {field.name: field.default for field in dataclasses.fields(Settings)}  # one place for the defaults
    parser = ArgumentParser(description=description, formatter_class=HelpFormatter)

    group = parser.add_argument_group("data and output")
    group.add_argument("--data", type=Path, default=default["data"], metavar="DIR",
                       help="folder with the real data files (default: data/ beside the scripts)")
    group.add_argument("--out", type=Path, metavar="DIR",
                       help=f"folder for figures, metrics, page and model (default: outputs/{variant}/)")
    if variant != "digits":
        group.add_argument("--chars", type=str.upper, metavar="LETTERS",
                           help=f"letters to keep, case-insensitive (default: those of {VARIANTS[variant]} in the data)")
    group.add_argument("--limit", type=positive_int, metavar="N", help="use only the first N training images, for quick tries")
    group.add_argument("--download", action="store_true", help="first fetch the real data into --data (needs the internet)")

    group = parser.add_argument_group("model")
    group.add_argument("--arch", choices=CHOICES["arch"], default=default["arch"],
                       help="encoder/decoder architecture; 'ladder': two stochastic layers, a top z over a 7x7x4 "
                            "spatial one, with top-down inference (common.LadderVAE)")
    group.add_argument("--latent-dim", type=positive_int, default=default["latent_dim"], metavar="N",
                       help="size of the latent space")
    group.add_argument("--conditional", action="store_true",
                       help="give encoder and decoder the class too, so z holds the style alone")
    group.add_argument("--beta", type=non_negative_float, default=default["beta"], metavar="B", help="weight of the KL term")
    group.add_argument("--prior", choices=CHOICES["prior"], default=default["prior"],
                       help="p(z): N(0, I), or the VampPrior, a mixture over learned pseudo-inputs (Tomczak & Welling 2018)")
    group.add_argument("--pseudo-inputs", type=positive_int, metavar="K",
                       help=f"--prior vamp: the number of learned pseudo-inputs (default: {DEFAULT_PSEUDO_INPUTS})")
    group.add_argument("--style-adversary", type=non_negative_float, metavar="W",
                       help="conditional: a classifier tries to read the class from z and the encoder learns, "
                            f"W times as strongly, to defeat it (default: {DEFAULT_STYLE_ADVERSARY:g}; 0 = none)")
    group.add_argument("--style-mmd", type=non_negative_float, default=default["style_mmd"], metavar="M",
                       help="conditional: add M times how differently each class's z spread from all z (an MMD "
                            "penalty, Louizos et al. 2016) to the loss; 30 helps a code of 8 or more dimensions; 0 = off")

    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=default["epochs"], metavar="N",
                       help="most epochs (early stopping may end sooner)")
    group.add_argument("--batch-size", type=positive_int, default=default["batch_size"], metavar="N",
                       help="images per training step, over all replicas")
    group.add_argument("--lr", type=non_negative_float, default=default["lr"], metavar="X", help="Adam learning rate")
    group.add_argument("--patience", type=positive_int, default=default["patience"], metavar="N",
                       help="early stopping: epochs without a better validation loss")
    group.add_argument("--time-limit", type=positive_float, metavar="MINUTES",
                       help="train for at most this many minutes: no epoch starts that would end past them; the "
                            "best epoch is kept and evaluated as usual (default: no limit)")
    group.add_argument("--kl-warmup", type=non_negative_int, default=default["kl_warmup"], metavar="E",
                       help="raise the KL weight from 0 to beta over the first E epochs")
    group.add_argument("--train-k", type=positive_int, default=default["train_k"], metavar="K",
                       help="importance samples per image: train on the IWAE bound (Burda et al. 2016); 1 = the ELBO")
    group.add_argument("--free-bits", type=non_negative_float, default=default["free_bits"], metavar="λ",
                       help="free bits (Kingma et al. 2016): each stochastic layer's KL counts as at least λ nats "
                            "per latent dimension of that layer, on the minibatch's mean, in the training loss; 0 = off")
    group.add_argument("--binarize", action="store_true",
                       help="dynamic binarization of the pixels (the setting of published likelihoods)")
    group.add_argument("--resume", action="store_true", help="continue the interrupted run whose checkpoint is in --out")
    group.add_argument("--strategy", choices=CHOICES["strategy"], default=default["strategy"],
                       help="tf.distribute: 'mirrored' trains on all local GPUs (or CPUs), 'multiworker' on the "
                            "machines named by the TF_CONFIG environment variable (both TensorFlow only; with "
                            "KERAS_BACKEND=jax, 'default' uses every local device)")

    group = parser.add_argument_group("evaluation")
    group.add_argument("--iwae-k", type=positive_int, default=default["iwae_k"], metavar="K",
                       help="importance samples per image for the IWAE bound")
    group.add_argument("--iwae-images", type=non_negative_int, default=default["iwae_images"], metavar="N",
                       help="test images for the IWAE bound, drawn in proportion to every class (0 = all)")
    group.add_argument("--iwae-full", action="store_true",
                       help=f"the published setting: k = {FULL_IWAE[0]} on every test image (slow)")

    group = parser.add_argument_group("figures")
    group.add_argument("--tsne", action="store_true", help="latent scatter by t-SNE instead of PCA (latent dim > 2)")
    group.add_argument("--sample", type=positive_int, metavar="N", help="also write generated.png with N images from the prior")
    group.add_argument("--no-gif", action="store_true", help="skip latent_grid.gif, the latent grid after every epoch")
    group.add_argument("--no-report", action="store_true", help="skip report.html, the page that tells the whole run")
    group.add_argument("--grid-char", type=str.upper, metavar="C",
                       help="conditional: the character drawn over the plane of styles (default: the first class)")
    group.add_argument("--write", metavar="TEXT", help="conditional: write TEXT in one style into written.png ('\\n' = new line)")
    group.add_argument("--style", type=int, metavar="N", help="conditional: the style drawn from the prior with seed N (default: --seed)")
    group.add_argument("--style-from", type=Path, nargs="+", metavar="IMAGE",
                       help="conditional: photos or scans of letters you wrote (PNG or JPEG), one letter each, or a "
                            "folder of them named by their character (A.png, b.jpg): the style to write in, averaged")
    group.add_argument("--style-char", type=str.upper, nargs="+", metavar="C",
                       help="the character in each --style-from image, in the same order")

    group = parser.add_argument_group("running")
    group.add_argument("--load", nargs="?", const="", metavar="PATH",
                       help="skip training: load --out/model.keras (or PATH) and redraw every figure and metric")
    group.add_argument("--seed", type=int, default=default["seed"], metavar="N",
                       help="random seed: the same seed gives the same metrics")
    group.add_argument("--quiet", action="store_true", help="one line per epoch instead of progress bars")
    return parser


# ----------------------------------------------------------------------------
# The run


def main(variant, description, argv=None):
    """Everything a script does. Returns the exit status."""
    parser = make_parser(description, variant)
    args = parser.parse_args(argv)
    try:
        settings = Settings(variant=variant, **vars(args))
        print("Loading TensorFlow ...", flush=True)
        import experiment  # TensorFlow loads here, after every quick check

        return experiment.run(settings).status
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except UserError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except TrainingFailed as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # download.DownloadError, or a disk that fills up mid-run
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1


def exit_now(status):
    """End a script with `status` once everything is written: run the exit handlers, then leave
    without the interpreter's teardown, which with TensorFlow loaded took 2 s on an idle machine
    and 5-6 s on a loaded one (bench/README.md) and has nothing left to clean up."""
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(status)
