"""The command line: the options, their checks, the run from data to figures, and the summary.

    options → checks (before TensorFlow loads, so --help and a mistake answer at once)
    → data → model → training → evaluation → figures, report.html, metrics.json, model.keras
    → summary

The scripts (vae_letters.py, vae_digits.py, vae_vowels.py) only name their variant. The data
loaders and the model are in common.py, training in training.py, the metrics in
evaluation.py, the pictures in figures.py, the page in report.py.
"""

import argparse
import math
import shutil
import string
import sys
import tempfile
import time
from pathlib import Path

from files import TrainingFailed, UserError, atomic_write, write_json

REPO_DIR = Path(__file__).resolve().parent
# The classes each variant trains on by default.
VARIANTS = {"letters": string.ascii_uppercase, "vowels": "AEIOU", "digits": "0123456789"}
FULL_IWAE = (1000, 0)  # --iwae-full: k = 1000 on every test image, the published setting
CONDITIONAL_OPTIONS = ("write", "style_from", "grid_char")  # only a conditional model can take these
DEFAULT_PSEUDO_INPUTS = 100  # the paper's 500 cost 5x a minibatch of encoder work per step on a CPU
# --style-adversary's W when --conditional is given without it (README, "Style apart from letter").
DEFAULT_STYLE_ADVERSARY = 10.0


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


def make_parser(description, variant):
    parser = ArgumentParser(description=description, formatter_class=HelpFormatter)

    group = parser.add_argument_group("data and output")
    group.add_argument("--data", type=Path, default=REPO_DIR / "data", metavar="DIR",
                       help="folder with the real data files (default: data/ beside the scripts)")
    group.add_argument("--out", type=Path, default=REPO_DIR / "outputs" / variant, metavar="DIR",
                       help=f"folder for figures, metrics, page and model (default: outputs/{variant}/)")
    if variant != "digits":
        group.add_argument("--chars", type=str.upper, metavar="LETTERS",
                           help=f"letters to keep, case-insensitive (default: those of {VARIANTS[variant]} in the data)")
    group.add_argument("--limit", type=positive_int, metavar="N", help="use only the first N training images, for quick tries")
    group.add_argument("--download", action="store_true", help="first fetch the real data into --data (needs the internet)")

    group = parser.add_argument_group("model")
    group.add_argument("--arch", choices=["dense", "conv"], default="dense", help="encoder/decoder architecture")
    group.add_argument("--latent-dim", type=positive_int, default=2, metavar="N", help="size of the latent space")
    group.add_argument("--conditional", action="store_true",
                       help="give encoder and decoder the class too, so z holds the style alone")
    group.add_argument("--beta", type=non_negative_float, default=1.0, metavar="B", help="weight of the KL term")
    group.add_argument("--prior", choices=["normal", "vamp"], default="normal",
                       help="p(z): N(0, I), or the VampPrior, a mixture over learned pseudo-inputs (Tomczak & Welling 2018)")
    group.add_argument("--pseudo-inputs", type=positive_int, metavar="K",
                       help=f"--prior vamp: the number of learned pseudo-inputs (default: {DEFAULT_PSEUDO_INPUTS})")
    group.add_argument("--style-adversary", type=non_negative_float, metavar="W",
                       help="conditional: a classifier tries to read the class from z and the encoder learns, "
                            f"W times as strongly, to defeat it (default: {DEFAULT_STYLE_ADVERSARY:g}; 0 = none)")

    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=30, metavar="N", help="most epochs (early stopping may end sooner)")
    group.add_argument("--batch-size", type=positive_int, default=128, metavar="N",
                       help="images per training step, over all replicas")
    group.add_argument("--lr", type=non_negative_float, default=3e-3, metavar="X", help="Adam learning rate")
    group.add_argument("--patience", type=positive_int, default=4, metavar="N",
                       help="early stopping: epochs without a better validation loss")
    group.add_argument("--kl-warmup", type=non_negative_int, default=0, metavar="E",
                       help="raise the KL weight from 0 to beta over the first E epochs")
    group.add_argument("--train-k", type=positive_int, default=1, metavar="K",
                       help="importance samples per image: train on the IWAE bound (Burda et al. 2016); 1 = the ELBO")
    group.add_argument("--binarize", action="store_true",
                       help="dynamic binarization of the pixels (the setting of published likelihoods)")
    group.add_argument("--resume", action="store_true", help="continue the interrupted run whose checkpoint is in --out")
    group.add_argument("--strategy", choices=["default", "mirrored", "multiworker"], default="default",
                       help="tf.distribute: 'mirrored' trains on all local GPUs (or CPUs), 'multiworker' on the "
                            "machines named by the TF_CONFIG environment variable")

    group = parser.add_argument_group("evaluation")
    group.add_argument("--iwae-k", type=positive_int, default=100, metavar="K",
                       help="importance samples per image for the IWAE bound")
    group.add_argument("--iwae-images", type=non_negative_int, default=1000, metavar="N",
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
    group.add_argument("--seed", type=int, default=0, metavar="N", help="random seed: the same seed gives the same metrics")
    group.add_argument("--quiet", action="store_true", help="one line per epoch instead of progress bars")
    return parser


def check_args(args, variant):
    """Every check that needs no data and no TensorFlow, so a mistake answers at once."""
    classes = VARIANTS[variant]
    if getattr(args, "chars", None) is not None:
        bad = sorted({char for char in args.chars if char not in string.ascii_uppercase})
        if bad or not args.chars:
            raise UserError(f"--chars: {''.join(bad)!r} are not letters A-Z" if bad else "--chars: empty")
        args.chars = classes = "".join(dict.fromkeys(args.chars))  # drop repeats, keep order
    if args.iwae_full:
        args.iwae_k, args.iwae_images = FULL_IWAE
    if args.data.exists() and not args.data.is_dir():
        raise UserError(f"--data: {args.data} is not a folder")
    if args.data != REPO_DIR / "data" and not args.data.is_dir() and not args.download:
        raise UserError(f"--data: folder {args.data} does not exist")
    if args.resume and not (args.out / "checkpoint" / "backup").is_dir():
        raise UserError(f"--resume: no checkpoint in {args.out / 'checkpoint'} to resume from")
    if args.pseudo_inputs is not None and args.prior != "vamp":
        raise UserError("--pseudo-inputs: only with --prior vamp")
    args.pseudo_inputs = args.pseudo_inputs or DEFAULT_PSEUDO_INPUTS
    if args.prior == "vamp" and args.conditional:
        raise UserError("--prior vamp: not with --conditional (a pseudo-input would need a class too); use the normal prior")
    if args.conditional and args.strategy == "multiworker":
        raise UserError("--conditional: not with --strategy multiworker (Keras 3.15 cannot distribute (image, class) pairs over workers)")
    if args.style_adversary is not None and args.load is not None:
        raise UserError("--style-adversary: not with --load (a saved model keeps the adversary it was trained with)")
    if args.style_adversary is not None and not args.conditional:
        raise UserError("--style-adversary needs a conditional model (--conditional)")
    if args.load is None and not args.conditional and conditional_option(args):
        raise UserError(f"{conditional_option(args)} needs a conditional model (--conditional)")
    if args.write is not None:
        args.write = args.write.replace("\\n", "\n")  # a typed \n is a new line too
        check_text(args.write, classes)
    if args.grid_char is not None and (len(args.grid_char) != 1 or args.grid_char not in classes):
        raise UserError(f"--grid-char: {args.grid_char!r} is not one of the classes {classes}")
    if args.style_from is not None:
        from writing import prepare_style_image, style_letters

        if args.style_char is None and not (len(args.style_from) == 1 and args.style_from[0].is_dir()):
            raise UserError(f"--style-char: give the character of {classes} that each --style-from image shows")
        letters = style_letters(args.style_from, args.style_char, classes)
        args.style_from, args.style_char = [path for path, _ in letters], "".join(char for _, char in letters)
        args.style_images = [prepare_style_image(path) for path in args.style_from]  # a clear error now, not after training


def conditional_option(args):
    """The first option given that only a conditional model can take, as typed, or None."""
    given = [option for option in CONDITIONAL_OPTIONS if getattr(args, option) is not None]
    return f"--{given[0].replace('_', '-')}" if given else None


def check_text(text, classes):
    from writing import unknown_characters

    unknown = unknown_characters(text, classes)
    if unknown:
        raise UserError(f"--write: no class for {', '.join(map(repr, unknown))} (the model knows {classes})")


def prepare_out(out_dir):
    """Create the output folder and prove it is writable before any training starts."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise UserError(f"--out: cannot write to {out_dir} ({error.strerror or error})") from None


# ----------------------------------------------------------------------------
# The run


def main(variant, description, argv=None):
    """Everything a script does. Returns the exit status."""
    parser = make_parser(description, variant)
    args = parser.parse_args(argv)
    args.style_images = None
    scratch = None
    try:
        check_args(args, variant)
        print("Loading TensorFlow ...", flush=True)
        import common  # TensorFlow loads here, after every quick check
        import training

        strategy = training.make_strategy(args.strategy)  # first: multi-worker set-up must precede other TensorFlow work
        common.keras.utils.set_random_seed(args.seed)
        if not training.is_chief(strategy):
            args.out = scratch = Path(tempfile.mkdtemp(prefix=f"vae-{variant}-worker-"))
        if args.download:
            from download import download_data

            download_data(args.data, what=("mnist",) if variant == "digits" else ("emnist",))
        print(f"Loading the {variant} from {args.data} ...", flush=True)
        if variant == "digits":
            data = common.load_digits(args.data, args.limit)
        else:
            data = common.load_letters(args.data, args.chars, args.limit, default_chars=VARIANTS[variant])
        prepare_out(args.out)
        return train_and_report(variant, args, data, strategy)
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
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def train_and_report(variant, args, data, strategy):
    import numpy as np

    import common
    import evaluation
    import figures
    import report as report_page
    import training

    print(f"{variant}: {len(data.x_train):,} training and {len(data.x_test):,} test images of "
          f"{len(data.classes)} classes ({data.classes}): {data.about.name}", flush=True)
    if args.load is not None:
        with strategy.scope():
            vae = common.load_vae(args.load or args.out / "model.keras")
        check_against_data(vae, data, args)
        history_csv = args.out / "history.csv"
        history = common.pd.read_csv(history_csv) if history_csv.exists() else None
        return report(variant, args, data, vae, history, train_seconds=None, epochs_trained=0, interrupted=False)

    check_against_data(None, data, args)
    checkpoint_dir = args.out / "checkpoint"
    if not args.resume:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)  # a fresh run starts from scratch
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    config = common.ModelConfig(arch=args.arch, latent_dim=args.latent_dim, beta=args.beta,
                                num_classes=len(data.classes) if args.conditional else 0,
                                prior=args.prior, pseudo_inputs=args.pseudo_inputs, train_k=args.train_k,
                                style_adversary=style_adversary(args))
    with strategy.scope():  # the model's variables are mirrored over the replicas
        vae = common.build_vae(config, seed=args.seed)
        if vae.prior == "vamp":  # random training images (--resume then restores the learned ones)
            rng = np.random.default_rng(args.seed)
            start = rng.choice(len(data.x_train), vae.num_pseudo_inputs, replace=vae.num_pseudo_inputs > len(data.x_train))
            vae.set_pseudo_inputs(data.x_train[start])
    callbacks = []
    gif = None
    if not args.no_gif:
        # Each epoch's frame walks the plane of that epoch's test z_means (PCA for latent > 2),
        # fitted to test images of every class in proportion.
        subset = evaluation.stratified_subset(data.y_test, 2000, seed=args.seed)
        images, labels = training.evaluation_images(data.x_test[subset], args), data.y_test[subset]
        title = report_page.run_title({"variant": variant, "data": data.described(), "arch": vae.arch,
                                       "latent_dim": vae.latent_dim, "conditional": vae.conditional,
                                       "prior": vae.prior, "train_k": vae.train_k})
        decode = grid_decoder(vae, data, args)

        def render(caption):
            # Up to 2 dimensions the plane is the latent plane itself: no need to encode the test images.
            z = evaluation.encode_all(vae, images, labels) if vae.latent_dim > 2 else np.zeros((1, vae.latent_dim))
            plane = figures.latent_plane(z)
            coordinates = figures.plane_coordinates(plane, 15, evaluation.learned_prior_samples(vae, seed=args.seed))
            return figures.render_gif_frame(figures.render_latent_grid(decode, plane, 15, coordinates), title, caption)

        gif = training.LatentGridFrames(render)
        callbacks.append(gif)
    ctrl_c = training.StopOnCtrlC()
    callbacks.append(ctrl_c)
    epochs_before = len(common.pd.read_csv(checkpoint_dir / "history.csv")) if args.resume else 0
    train_started = time.time()
    try:
        with strategy.scope():
            history = training.train(vae, data, args, checkpoint_dir, callbacks)
    except KeyboardInterrupt:  # the second Ctrl-C, in the middle of a step or a checkpoint
        print("\nInterrupted at once: run again with --resume to go on from the last checkpoint.", flush=True)
        return 130
    train_seconds = time.time() - train_started
    interrupted = ctrl_c.interrupted
    if interrupted:
        print("Interrupted: keeping the best model so far; run again with --resume to go on.", flush=True)
    status = report(variant, args, data, vae, history, train_seconds, len(history) - epochs_before, interrupted,
                    gif_frames=gif.frames if gif else None)
    if not interrupted:
        shutil.rmtree(checkpoint_dir)  # finished: model.keras and history.csv hold everything
    return status


def style_adversary(args):
    """--style-adversary's W, or the default for a conditional model (none for a plain one)."""
    if not args.conditional:
        return 0.0
    return DEFAULT_STYLE_ADVERSARY if args.style_adversary is None else args.style_adversary


def check_against_data(vae, data, args):
    """The checks that need the classes in the data and, after --load, the model (None before
    training: a mistake is caught before the training it would waste)."""
    if vae is not None and not vae.conditional and conditional_option(args):
        raise UserError(f"{conditional_option(args)}: the loaded model is not conditional")
    if vae is not None and vae.conditional and vae.num_classes != len(data.classes):
        raise UserError(f"--load: the model knows {vae.num_classes} classes, the data has {len(data.classes)} ({data.classes})")
    if args.write is not None:
        check_text(args.write, data.classes)
    for option in ("grid_char", "style_char"):
        for char in getattr(args, option) or "":
            if char not in data.classes:
                raise UserError(f"--{option.replace('_', '-')}: {char!r} is not in the data ({data.classes})")


def class_decoder(vae, char_index):
    """decode(z) of one class: what a conditional model draws as that character."""
    import evaluation
    import numpy as np

    decode = evaluation.decoder_fn(vae)
    return lambda z: decode(z, np.full(len(z), char_index))


def grid_decoder(vae, data, args):
    """decode(z) for the latent grid: the model's own, or one character's for a conditional model."""
    import evaluation

    if not vae.conditional:
        return evaluation.decoder_fn(vae)
    return class_decoder(vae, data.classes.index(args.grid_char) if args.grid_char else 0)


# ----------------------------------------------------------------------------
# Figures, files and the summary


CAPTIONS = {  # one sentence per file, for the page (the README says the same)
    "samples.png": "Training images with their characters: what the model has to learn.",
    "reconstructions.png": "Test images of every class above what the VAE rebuilds from their latent code.",
    "latent_grid.png": "The decoder over a regular grid of the latent plane (beyond 2 latent dimensions, the plane of the "
                       "test codes' first two principal components): neighbours look alike.",
    "latent_grid.gif": "The same grid after every epoch, with the validation loss: watch the characters organise.",
    "latent_scatter.png": "The test images' latent means coloured by class, each character at its class centre.",
    "interpolation.png": "Straight lines in latent space between test characters of two classes: the decoder morphs one into the other.",
    "traversals.png": "One latent coordinate varied at a time from −3 to +3, the others at 0.",
    "generated.png": "New characters decoded from random draws of the model's prior.",
    "alphabet.png": "Every class in one hand per row: styles taken from test images and drawn from the prior.",
    "analogies.png": "Real test images, each redrawn as every other class with its own style code.",
    "style_input.png": "Your letters, the 28×28 images the model saw after the EMNIST-style conversion, and what it redraws from their style code.",
    "written.png": "Text written in one style, one decoded character at a time.",
    "history.png": "Total, reconstruction and KL loss per epoch, training and validation, in nats per image.",
}


def report(variant, args, data, vae, history, train_seconds, epochs_trained, interrupted, gif_frames=None):
    """Evaluate, draw every figure, save model, history, metrics and page; print the summary."""
    import numpy as np
    from tqdm import tqdm

    import common
    import evaluation
    import figures
    import report as report_page

    print("Evaluating ...", flush=True)
    evaluation_started = time.time()
    model_dir = Path(args.load).parent if args.load else args.out  # the legibility classifier is cached beside the model
    classifier_paths = list(dict.fromkeys([model_dir / "classifier.keras", args.out / "classifier.keras"]))
    train_metrics, test, x_test, z_test = evaluation.evaluate(vae, data, args, classifier_paths)
    evaluation_seconds = time.time() - evaluation_started
    metrics = {
        "variant": variant,
        "source": data.source,
        "data": data.described(),  # what the images are: the console, the page and the titles read it
        "n_train": len(data.x_train),
        "n_test": len(data.x_test),
        "classes": data.classes,
        "arch": vae.arch,
        "latent_dim": vae.latent_dim,
        "conditional": vae.conditional,
        "beta": vae.beta,
        "prior": vae.prior,
        "pseudo_inputs": vae.num_pseudo_inputs if vae.prior == "vamp" else None,
        "kl_estimate": KL_ESTIMATE[vae.prior],
        "train_k": vae.train_k,
        "training_loss": training_loss_name(vae),
        "style_adversary": vae.adversary_weight,
        "kl_warmup": args.kl_warmup,
        "binarized": args.binarize,
        "strategy": args.strategy,
        "replicas": vae.distribute_strategy.num_replicas_in_sync,
        "epochs_run": len(history) if history is not None else 0,
        "epochs_this_run": epochs_trained,
        "interrupted": interrupted,
        "loaded_from": str(args.load or args.out / "model.keras") if args.load is not None else None,
        "train": {**train_metrics, "images": len(data.x_train)},
        "test": {**test, "images": len(x_test)},
        "train_seconds": round(train_seconds, 2) if train_seconds else None,
        # This run's epochs only: a resumed run does not count the epochs before it.
        "images_per_second": round(len(data.x_train) * epochs_trained / train_seconds, 1) if train_seconds else None,
        "evaluation_seconds": round(evaluation_seconds, 2),
        "seed": args.seed,
    }

    out, title, y_test, classes = args.out, report_page.run_title(metrics), data.y_test, data.classes
    decode, decode_grid = evaluation.decoder_fn(vae), grid_decoder(vae, data, args)
    prior = evaluation.learned_prior_samples(vae, seed=args.seed)  # None for N(0, I)
    pseudo_means = common.ops.convert_to_numpy(vae.prior_components()[0]) if vae.prior == "vamp" else None
    # Every class (up to 26), not "the first 12": the official EMNIST test split is sorted by class.
    shown = evaluation.one_per_class(y_test, min(max(12, len(classes)), 26), seed=args.seed)
    inputs = (x_test[shown], y_test[shown]) if vae.conditional else x_test[shown]
    grid_char = classes[classes.index(args.grid_char) if args.grid_char else 0] if vae.conditional else None
    drawings = {
        "samples.png": lambda path: figures.plot_samples(data.x_train, data.y_train, classes, path, title),
        "reconstructions.png": lambda path: figures.plot_reconstructions(
            x_test[shown], common.ops.convert_to_numpy(vae(inputs)), y_test[shown], classes, path, title),
        "latent_grid.png": lambda path: figures.plot_latent_grid(decode_grid, z_test, path, title, subject=grid_char,
                                                                 prior=prior),
        "latent_scatter.png": lambda path: figures.plot_latent_scatter(
            z_test, y_test, classes, path, title, method="tsne" if args.tsne else "pca", markers=pseudo_means),
    }
    if len(classes) > 1 and not vae.conditional:
        drawings["interpolation.png"] = lambda path: figures.plot_interpolations(
            decode, z_test, y_test, classes, path, title, seed=args.seed)
    if vae.latent_dim > 2:
        drawings["traversals.png"] = lambda path: figures.plot_traversals(decode_grid, vae.latent_dim, path, title)
    if args.sample:
        cycle = (lambda z: decode(z, np.arange(len(z)) % len(classes))) if vae.conditional else decode
        drawings["generated.png"] = lambda path: figures.plot_generated(
            cycle, vae.latent_dim, args.sample, path, title, args.seed,
            z=evaluation.prior_samples(vae, args.sample, args.seed), prior=PRIOR_NAME[vae.prior])
    if vae.conditional:
        drawings.update(conditional_drawings(vae, data, args, x_test, z_test, title))
    if history is not None:
        drawings["history.png"] = lambda path: figures.plot_history(history, path, title)
    if gif_frames:
        drawings["latent_grid.gif"] = lambda path: figures.write_gif(gif_frames, path)

    print(f"Evaluated in {evaluation_seconds:.1f} s. Drawing {len(drawings)} figures into {out}/ ...", flush=True)
    for name, draw in tqdm(drawings.items(), unit="figure", file=sys.stdout, disable=args.quiet):
        draw(out / name)
    written = list(drawings)
    if args.load is None:
        atomic_write(out / "history.csv", lambda tmp: history.to_csv(tmp, index=False))
        atomic_write(out / "model.keras", vae.save)
        written += ["history.csv", "model.keras"]
    if not args.no_report:
        print(f"Writing {out / 'report.html'} and its latent explorer ...", flush=True)
        figure_list = [(name, CAPTIONS[name]) for name in CAPTIONS if name in written or (out / name).exists()]
        report_page.write_report(out, metrics, figure_list, explorer_data(vae, data, args, x_test, z_test))
        written.append("report.html")
    write_json(out / "metrics.json", metrics)
    print_summary(metrics, out, written + ["metrics.json"])
    return 130 if interrupted else 0


PRIOR_NAME = {"normal": "N(0, I)", "vamp": "the VampPrior"}
KL_ESTIMATE = {"normal": "closed form, KL(q(z|x) ‖ N(0, I))",
               "vamp": "one-sample Monte Carlo estimate, log q(z|x) − log p(z) with z ~ q(z|x)"}


def training_loss_name(vae):
    """Which bound the training and validation loss columns of history.csv are."""
    if vae.train_k == 1:
        return "negative ELBO (reconstruction + β·KL)"
    return f"negative IWAE bound with k = {vae.train_k} importance samples (Burda et al. 2016)"


def conditional_drawings(vae, data, args, x_test, z_test, title):
    """The figures only a conditional model can draw: one hand across every class."""
    import numpy as np

    import evaluation
    import figures
    import writing

    decode, classes, y_test = evaluation.decoder_fn(vae), data.classes, data.y_test
    styles, names = [], []
    if args.style_images is not None:
        # One letter is a noisy sample of a hand: the style is the mean of the letters' codes.
        drawn = np.array([classes.index(char) for char in args.style_char])
        styles.append(evaluation.encode_all(vae, np.array(args.style_images)[..., None], drawn).mean(axis=0))
        names.append(f"your '{args.style_char}'" if len(drawn) == 1 else f"your {len(drawn)} letters")
        redrawn = decode(np.repeat(styles[0][None], len(drawn), 0), drawn)[..., 0]
    for i in evaluation.one_per_class(y_test, 4, seed=args.seed + 1):
        styles.append(z_test[i])
        names.append(f"test '{classes[y_test[i]]}'")
    prior = evaluation.prior_samples(vae, 3, args.seed)
    styles += list(prior)
    names += [f"prior #{i + 1}" for i in range(len(prior))]
    shown = evaluation.one_per_class(y_test, min(8, len(classes)), seed=args.seed + 2)
    drawings = {
        "alphabet.png": lambda path: figures.plot_alphabet(decode, np.array(styles), names, classes, path, title),
        "analogies.png": lambda path: figures.plot_analogies(
            decode, z_test[shown], y_test[shown], x_test[shown, ..., 0], classes, path, title),
    }
    if args.style_images is not None:
        drawings["style_input.png"] = lambda path: figures.plot_style_input(
            args.style_from, args.style_images, redrawn, path, title)
    if args.write is not None:
        if args.style_images is not None:
            style, style_name = styles[0], names[0]
        else:
            seed = args.seed if args.style is None else args.style
            style, style_name = evaluation.prior_samples(vae, 1, seed)[0], f"style {seed} from the prior"
        text = args.write
        glyphs = writing.decode_glyphs(decode, style, writing.text_characters(text.upper()), classes)
        canvas = writing.compose_text(glyphs, text.upper(), rng=np.random.default_rng(args.seed))
        drawings["written.png"] = lambda path: figures.plot_written(canvas, text, path, title, style_name)
    return drawings


def explorer_data(vae, data, args, x_test, z_test):
    """What report.html's latent explorer shows: sprites of the decoded plane and test points.

    The plane is latent_grid.png's, but the sprites reach as far as the test points do (their
    1st to 99th percentile, and at least the grid's ±1.64 spread), so every dot has a character."""
    import numpy as np

    import evaluation
    import figures

    plane = figures.latent_plane(z_test)
    center, axes, spread = plane
    points = (z_test - center) @ axes.T
    n = 32 if vae.conditional else 64  # a sprite per class for a conditional model: keep each small
    reach = np.maximum(np.percentile(np.abs(points), 99, axis=0), 1.645 * spread)
    prior = evaluation.learned_prior_samples(vae, seed=args.seed)
    if prior is not None:  # as far as latent_grid.png reaches over a learned prior's mass
        reach = np.maximum(reach, np.abs(figures.plane_coordinates(plane, 2, prior)).max(axis=1))
    xs, ys = np.linspace(-reach[0], reach[0], n), np.linspace(-reach[1], reach[1], n if vae.latent_dim > 1 else 1)
    draw = lambda decode: figures.render_latent_grid(decode, plane, n, coordinates=(xs, ys))
    if vae.conditional:
        sprites = {char: draw(class_decoder(vae, i)) for i, char in enumerate(data.classes)}
    else:
        sprites = {"": draw(evaluation.decoder_fn(vae))}
    shown = evaluation.stratified_subset(data.y_test, 1000, seed=args.seed)
    names = {1: ("z[0]", ""), 2: ("z[0]", "z[1]")}.get(vae.latent_dim, ("PC1", "PC2"))
    return {"axis_names": names, "xs": xs, "ys": ys, "sprites": sprites, "points": points[shown],
            "labels": data.y_test[shown], "images": x_test[shown, ..., 0], "classes": data.classes}


def print_summary(metrics, out, files):
    test = metrics["test"]
    if metrics["loaded_from"]:
        training = f"none: loaded {metrics['loaded_from']}"
    else:
        training = (f"{metrics['epochs_this_run']} epochs in {metrics['train_seconds']:.1f} s "
                    f"({metrics['images_per_second']:,.0f} images/s)" + (" (interrupted)" if metrics["interrupted"] else ""))
    what = "−log p(x | class) bound" if metrics["conditional"] else "negative ELBO"
    prior = ""
    if metrics["prior"] == "vamp":
        prior, what = f", VampPrior with {metrics['pseudo_inputs']} pseudo-inputs", what + "; KL: one-sample estimate"
    if metrics["train_k"] > 1:
        prior += f", trained on the IWAE bound (k = {metrics['train_k']})"
    knn = "5-NN accuracy of the class from z (style only: near chance is good)" if metrics["conditional"] else "5-NN accuracy"
    print(f"""
Summary ({metrics['variant']})
  data         {metrics['data']['description']}{(': ' + metrics['data']['files']) if metrics['data']['files'] else ''}
               {metrics['n_train']:,} train / {metrics['n_test']:,} test images, classes {metrics['classes']}
  model        {'conditional ' if metrics['conditional'] else ''}{metrics['arch']}, latent dim {metrics['latent_dim']}{prior}
  training     {training}
  test loss    {test['loss']:.2f} nats/image ({what}) = reconstruction {test['reconstruction']:.2f} + KL {test['kl']:.2f}
  test IWAE    {test['iwae_nll']:.2f} ± {test['iwae_stderr']:.2f} nats/image (k={test['iwae_k']}, {test['iwae_images']:,} images, {test['iwae_subset']})
  latent space {knn} {test['knn_accuracy']:.1%}, active units {test['active_units']}/{metrics['latent_dim']}{style_summary(metrics)}
  files        {out}/: {', '.join(sorted(files))}""", flush=True)


def style_summary(metrics):
    """The summary's lines on a conditional model's style code: leakage and legibility."""
    test = metrics["test"]
    if "legibility" not in test:
        return ""
    adversary = f", style adversary W = {metrics['style_adversary']:g}" if metrics.get("style_adversary") else ""
    return f"""
  leakage      the class read from z by a logistic probe {test['probe_accuracy']:.1%}, chance {test['chance_accuracy']:.1%}{adversary}
  legibility   {test['legibility']:.1%} of {test['legibility_images']:,} test styles drawn as every class are read as that class
               (by a conv classifier that reads {test['classifier_accuracy']:.1%} of the test images right)"""
