"""One whole experiment, from its settings to its results, read top to bottom.

    results = experiment.run(Settings(variant="letters", epochs=5, limit=2000))
    results.metrics["test"]["loss"], results.model, results.paths, results.history

    settings → data → model (built, or loaded with --load) → training (with the latent grid's
    frame after every epoch) → evaluation → figures (which ones, and what they show) →
    report.html with its latent explorer, metrics.json, history.csv, model.keras → summary

The scripts reach it through cli.py, which parses the options into a Settings (settings.py)
and maps errors to exit statuses; a notebook calls run() itself. The loaders are in
loaders.py, the model in common.py, training in training.py, the metrics in evaluation.py,
the pictures in figures.py and the page in report.py. Importing this module loads TensorFlow.
"""

import copy
import dataclasses
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

import common  # TensorFlow, quietly (unless KERAS_BACKEND names another backend)
import evaluation
import figures
import loaders
import report as report_page
import style
import training
import writing
from files import UserError, atomic_write, write_json
from settings import VARIANTS, Settings, check_text  # noqa: F401  (Settings: experiment.Settings for callers)


@dataclasses.dataclass
class Results:
    """What run() returns."""

    metrics: dict  # what metrics.json holds (None when a second Ctrl-C stopped training at once)
    model: common.VAE  # the trained (or loaded) model
    paths: list  # every file written into settings.out
    history: pd.DataFrame  # the loss per epoch (history.csv); None after --load without one
    data: loaders.Data  # the images it was trained and tested on
    status: int = 0  # the scripts' exit status: 0, or 130 when Ctrl-C ended training early


# ----------------------------------------------------------------------------
# The run


def run(settings, data=None):
    """Run the experiment `settings` describe and return its Results. data: the loaded data
    set, when the caller has it already (else it is loaded as the settings say)."""
    settings = copy.copy(settings)  # a worker's scratch folder below must not change the caller's
    strategy = training.make_strategy(settings.strategy)  # first: multi-worker set-up must precede other TensorFlow work
    common.keras.utils.set_random_seed(settings.seed)
    scratch = None
    if not training.is_chief(strategy):
        settings.out = scratch = Path(tempfile.mkdtemp(prefix=f"vae-{settings.variant}-worker-"))
    try:
        if data is None:
            data = load_data(settings)
        if settings.fine_tune is not None:
            data = with_model_classes(data, settings)
        prepare_out(settings.out)
        print(f"{settings.variant}: {len(data.x_train):,} training and {len(data.x_test):,} test images of "
              f"{len(data.classes)} classes ({data.classes}): {data.about.name}", flush=True)
        if settings.load is not None:
            return load_and_report(settings, data, strategy)
        return train_and_report(settings, data, strategy)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def load_data(settings):
    """The variant's data set from settings.data (fetched first with settings.download)."""
    if settings.download:
        from download import download_data

        download_data(settings.data, what=("mnist",) if settings.variant == "digits" else ("emnist",))
    if settings.images is not None:
        print(f"Loading your images from {settings.images} ...", flush=True)
        # Fine-tuning: the images are framed as the base model's training data was.
        framing = writing.read_framing(settings.fine_tune) if settings.fine_tune is not None else None
        return loaders.load_image_folder(settings.images, VARIANTS[settings.variant], settings.chars, settings.limit,
                                         seed=settings.seed, cache_dir=settings.data, framing=framing)
    print(f"Loading the {settings.variant} from {settings.data} ...", flush=True)
    return loaders.load_variant(settings.variant, settings.data, settings.chars, settings.limit)


def prepare_out(out_dir):
    """Create the output folder and prove it is writable before any training starts."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise UserError(f"--out: cannot write to {out_dir} ({error.strerror or error})") from None


def load_and_report(settings, data, strategy):
    """--load: the saved model, evaluated and drawn again."""
    with strategy.scope():
        vae = common.load_vae(settings.load or settings.out / "model.keras")
    check_against_data(vae, data, settings)
    history_csv = settings.out / "history.csv"
    history = pd.read_csv(history_csv) if history_csv.exists() else None
    return report(settings, data, vae, history, train_seconds=None, epochs_trained=0, interrupted=False)


def train_and_report(settings, data, strategy):
    check_against_data(None, data, settings)
    checkpoint_dir = settings.out / "checkpoint"
    if not settings.resume:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)  # a fresh run starts from scratch
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    with strategy.scope():  # the model's variables are mirrored over the replicas
        if settings.fine_tune is not None:
            vae = common.load_vae(settings.fine_tune, "--fine-tune")  # its weights are where training starts
            check_against_data(vae, data, settings)  # the model and the metrics.json beside it agree
        else:
            vae = common.build_vae(settings.model_config(len(data.classes)), seed=settings.seed)
            vae.prior.start(vae, data.x_train, settings.seed)  # (--resume then restores the learned prior)
    callbacks = []
    gif = None
    if not settings.no_gif:
        gif = latent_grid_frames(settings, data, vae)
        callbacks.append(gif)
    ctrl_c = training.StopOnCtrlC()
    callbacks.append(ctrl_c)
    time_limit = training.StopAtTimeLimit(settings.time_limit)
    callbacks.append(time_limit)
    epochs_before = len(pd.read_csv(checkpoint_dir / "history.csv")) if settings.resume else 0
    # --hands: simulated hands' letters, each decoded from another of its hand, so z learns the hand.
    hands = loaders.simulated_hands(settings.data, data.classes, settings.hands) if settings.hands else None
    train_started = time.time()
    try:
        with strategy.scope():
            history = training.train(vae, data, settings, checkpoint_dir, callbacks, hands=hands)
    except KeyboardInterrupt:  # the second Ctrl-C, in the middle of a step or a checkpoint
        print("\nInterrupted at once: run again with --resume to go on from the last checkpoint.", flush=True)
        return Results(None, vae, [], None, data, status=130)
    train_seconds = time.time() - train_started
    interrupted = ctrl_c.interrupted
    if interrupted:
        print("Interrupted: keeping the best model so far; run again with --resume to go on.", flush=True)
    if time_limit.stopped:
        print(f"Stopped by --time-limit {settings.time_limit:g} (minutes): keeping the best model so far.", flush=True)
    results = report(settings, data, vae, history, train_seconds, len(history) - epochs_before, interrupted,
                     gif_frames=gif.frames if gif else None, time_limited=time_limit.stopped)
    if not interrupted:
        shutil.rmtree(checkpoint_dir)  # finished: model.keras and history.csv hold everything
    return results


def latent_grid_frames(settings, data, vae):
    """The callback that draws latent_grid.gif's frame after every epoch.

    Each epoch's frame walks the plane of that epoch's test z_means (PCA for latent > 2),
    fitted to test images of every class in proportion."""
    subset = evaluation.stratified_subset(data.y_test, 2000, seed=settings.seed)
    images, labels = training.evaluation_images(data.x_test[subset], settings), data.y_test[subset]
    title = report_page.run_title({"variant": settings.variant, "data": data.described(), "model": vae.describe()})
    decode = grid_decoder(vae, data, settings)

    def render(caption):
        # Up to 2 dimensions the plane is the latent plane itself: no need to encode the test images.
        z = evaluation.encode_all(vae, images, labels) if vae.latent_dim > 2 else np.zeros((1, vae.latent_dim))
        plane = figures.latent_plane(z)
        coordinates = figures.plane_coordinates(plane, 15, evaluation.learned_prior_samples(vae, seed=settings.seed))
        return figures.render_gif_frame(figures.render_latent_grid(decode, plane, 15, coordinates), title, caption)

    return training.LatentGridFrames(render)


def with_model_classes(data, settings):
    """--fine-tune of a conditional model: the data's classes must be among the model's, and its
    labels become the model's class indices, so its classes are the data's now (the figures draw
    every one of them)."""
    if not settings.conditional:  # a model without classes learns any letters
        return data
    model_classes = settings.fine_tune_classes
    missing = [char for char in data.classes if char not in model_classes]
    if missing:
        raise UserError(f"--fine-tune: the model knows {model_classes}, not {', '.join(missing)} of the data")
    index = np.array([model_classes.index(char) for char in data.classes])
    return dataclasses.replace(data, y_train=index[data.y_train], y_test=index[data.y_test], classes=model_classes)


def check_against_data(vae, data, settings):
    """The checks that need the classes in the data and, after --load, the model (None before
    training: a mistake is caught before the training it would waste)."""
    if vae is not None and not vae.conditional and settings.conditional_option():
        raise UserError(f"{settings.conditional_option()}: the loaded model is not conditional")
    if vae is not None and vae.conditional and vae.num_classes != len(data.classes):
        raise UserError(f"--load: the model knows {vae.num_classes} classes, the data has {len(data.classes)} ({data.classes})")
    if settings.write is not None:
        check_text(settings.write, data.classes)
    for option in ("grid_char", "style_char"):
        for char in getattr(settings, option) or "":
            if char not in data.classes:
                raise UserError(f"--{option.replace('_', '-')}: {char!r} is not in the data ({data.classes})")


# ----------------------------------------------------------------------------
# Evaluation, figures, files and the summary


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
    "style_input.png": "Your letters, the 28×28 images the model saw, framed as its training data, and what it redraws from their style code.",
    "written.png": "Text written in one style, one decoded character at a time.",
    "history.png": "Total, reconstruction and KL loss per epoch, training and validation, in nats per image.",
}

def report(settings, data, vae, history, train_seconds, epochs_trained, interrupted, gif_frames=None, time_limited=False):
    """Evaluate, draw every figure, save model, history, metrics and page; print the summary."""
    print("Evaluating ...", flush=True)
    evaluation_started = time.time()
    out = settings.out
    model_dir = Path(settings.load).parent if settings.load else out  # the legibility classifier is cached beside the model
    classifier_paths = list(dict.fromkeys([model_dir / "classifier.keras", out / "classifier.keras"]))
    train_metrics, test, x_test, z_test = evaluation.evaluate(vae, data, settings, classifier_paths)
    evaluation_seconds = time.time() - evaluation_started
    framing = data_framing(settings, data)
    metrics = {
        "variant": settings.variant,
        "source": data.source,
        "data": data.described(),  # what the images are: the console, the page and the titles read it
        "n_train": len(data.x_train),
        "n_test": len(data.x_test),
        "classes": data.classes,
        "model": vae.describe(),  # the one description: the console, the page and the results table print it
        "arch": vae.arch,
        "latent_dim": vae.latent_dim,
        "conditional": vae.conditional,
        "beta": vae.beta,
        "prior": vae.prior.name,
        **vae.prior.get_config(),  # the prior's own options (--pseudo-inputs, --prior-components)
        "kl_estimate": vae.kl_estimate(),
        "train_k": vae.train_k,
        "training_loss": vae.training_loss_name(),
        "style_adversary": vae.adversary_weight,
        "free_bits": vae.free_bits,
        "style_mmd": vae.style_mmd,
        "kl_warmup": settings.kl_warmup,
        "hands": settings.hands,  # simulated hands trained on beside the data (--hands), each letter decoding another
        "binarized": settings.binarize,
        "strategy": settings.strategy,
        "replicas": training.replicas(vae),
        "epochs_run": len(history) if history is not None else 0,
        "epochs_this_run": epochs_trained,
        "interrupted": interrupted,
        "time_limit_minutes": settings.time_limit,
        "stopped_by_time_limit": time_limited,  # not interrupted: the run finished, with fewer epochs
        "loaded_from": str(settings.load or out / "model.keras") if settings.load is not None else None,
        "fine_tuned_from": str(settings.fine_tune) if settings.fine_tune is not None else None,
        "train": {**train_metrics, "images": len(data.x_train)},
        "test": {**test, "images": len(x_test)},
        "train_seconds": round(train_seconds, 2) if train_seconds else None,
        # This run's epochs only: a resumed run does not count the epochs before it. An epoch holds --hands' letters too.
        "images_per_second": round((len(data.x_train) + settings.hands * 2 * len(data.classes)) * epochs_trained
                                   / train_seconds, 1) if train_seconds else None,
        "evaluation_seconds": round(evaluation_seconds, 2),
        "seed": settings.seed,
        "framing": framing.to_dict(),  # how the training data frames its letters: a user's letter is framed so too
    }

    drawings = choose_figures(settings, data, vae, history, x_test, z_test, report_page.run_title(metrics), gif_frames,
                              framing)
    print(f"Evaluated in {evaluation_seconds:.1f} s. Drawing {len(drawings)} figures into {out}/ ...", flush=True)
    for name, draw in tqdm(drawings.items(), unit="figure", file=sys.stdout, disable=settings.quiet):
        draw(out / name)
    written = list(drawings)
    if settings.load is None:
        atomic_write(out / "history.csv", lambda tmp: history.to_csv(tmp, index=False))
        atomic_write(out / "model.keras", vae.save)
        written += ["history.csv", "model.keras"]
    if not settings.no_report:
        print(f"Writing {out / 'report.html'} and its latent explorer ...", flush=True)
        captions = figure_captions(vae)
        figure_list = [(name, captions[name]) for name in captions if name in written or (out / name).exists()]
        report_page.write_report(out, metrics, figure_list, explorer_data(vae, data, settings, x_test, z_test))
        written.append("report.html")
    write_json(out / "metrics.json", metrics)
    written.append("metrics.json")
    print_summary(metrics, out, written)
    return Results(metrics, vae, [out / name for name in written], history, data, status=130 if interrupted else 0)


# The ladder's figures walk the top latent z2; the lower one must be somewhere, and its
# conditional prior mean is the one point that depends on z2 alone.
LADDER_NOTE = " The lower latent z1 sits at its conditional prior mean given the top z2 that is shown."
LADDER_FIGURES = ("latent_grid.png", "latent_grid.gif", "interpolation.png", "traversals.png", "generated.png",
                  "alphabet.png", "analogies.png", "written.png")


def figure_captions(vae):
    """CAPTIONS, with a note on the lower latent for the ladder's figures that decode a top z."""
    if vae.arch != "ladder":
        return CAPTIONS
    return {name: caption + (LADDER_NOTE if name in LADDER_FIGURES else "") for name, caption in CAPTIONS.items()}


def class_decoder(vae, char_index):
    """decode(z) of one class: what a conditional model draws as that character."""
    decode = evaluation.decoder_fn(vae)
    return lambda z: decode(z, np.full(len(z), char_index))


def grid_decoder(vae, data, settings):
    """decode(z) for the latent grid: the model's own, or one character's for a conditional model."""
    if not vae.conditional:
        return evaluation.decoder_fn(vae)
    return class_decoder(vae, data.classes.index(settings.grid_char) if settings.grid_char else 0)


def data_framing(settings, data):
    """How the model's training data frames its letters (writing.Framing), stored in metrics.json: a
    model fine-tuned on --images keeps its base model's (its images were framed to it), a --load-ed
    model the one saved with it; otherwise, or for a model saved before framings were, measured on
    the training images."""
    if settings.fine_tune is not None and settings.images is not None:
        return writing.read_framing(settings.fine_tune)
    if settings.load is not None:
        saved = writing.read_framing(settings.load or settings.out / "model.keras", default=None)
        if saved is not None:
            return saved
    return writing.Framing.from_images(data.x_train)


def choose_figures(settings, data, vae, history, x_test, z_test, title, gif_frames=None, framing=None):
    """{file name: draw(path)}: every figure this run draws, in the order they are drawn; a user's
    letters (--style-from) framed as `framing` (a writing.Framing; None: EMNIST's)."""
    y_test, classes = data.y_test, data.classes
    decode, decode_grid = evaluation.decoder_fn(vae), grid_decoder(vae, data, settings)
    prior = evaluation.learned_prior_samples(vae, seed=settings.seed)  # None for N(0, I)
    markers, marker_name = vae.prior.markers(vae)  # a learned prior's components, if it has any
    # Every class (up to 26), not "the first 12": the official EMNIST test split is sorted by class.
    shown = evaluation.one_per_class(y_test, min(max(12, len(classes)), 26), seed=settings.seed)
    inputs = (x_test[shown], y_test[shown]) if vae.conditional else x_test[shown]
    grid_char = classes[classes.index(settings.grid_char) if settings.grid_char else 0] if vae.conditional else None
    drawings = {
        "samples.png": lambda path: figures.plot_samples(data.x_train, data.y_train, classes, path, title),
        "reconstructions.png": lambda path: figures.plot_reconstructions(
            x_test[shown], common.ops.convert_to_numpy(vae(inputs)), y_test[shown], classes, path, title),
        "latent_grid.png": lambda path: figures.plot_latent_grid(decode_grid, z_test, path, title, subject=grid_char,
                                                                 prior=prior),
        "latent_scatter.png": lambda path: figures.plot_latent_scatter(
            z_test, y_test, classes, path, title, method="tsne" if settings.tsne else "pca", markers=markers,
            marker_name=marker_name),
    }
    if len(classes) > 1 and not vae.conditional:
        drawings["interpolation.png"] = lambda path: figures.plot_interpolations(
            decode, z_test, y_test, classes, path, title, seed=settings.seed)
    if vae.latent_dim > 2:
        drawings["traversals.png"] = lambda path: figures.plot_traversals(decode_grid, vae.latent_dim, path, title)
    if settings.sample:
        cycle = (lambda z: decode(z, np.arange(len(z)) % len(classes))) if vae.conditional else decode
        drawings["generated.png"] = lambda path: figures.plot_generated(
            cycle, vae.latent_dim, settings.sample, path, title, settings.seed,
            z=evaluation.prior_samples(vae, settings.sample, settings.seed), prior=vae.prior.describe())
    if vae.conditional:
        drawings.update(conditional_figures(vae, data, settings, x_test, z_test, title, framing))
    if history is not None:
        drawings["history.png"] = lambda path: figures.plot_history(history, path, title)
    if gif_frames:
        drawings["latent_grid.gif"] = lambda path: figures.write_gif(gif_frames, path)
    return drawings


def conditional_figures(vae, data, settings, x_test, z_test, title, framing=None):
    """The figures only a conditional model can draw: one hand across every class; the user's
    letters (--style-from) framed as `framing` (None: as settings prepared them, EMNIST's way)."""
    decode, classes, y_test = evaluation.decoder_fn(vae), data.classes, data.y_test
    styles, names = [], []
    style_images = settings.style_images
    if style_images is not None and framing is not None:
        # Settings prepared them EMNIST's way, to fail before training; now framed as the data is.
        style_images = [writing.prepare_style_image(path, framing) for path in settings.style_from]
    if style_images is not None:
        # Each letter is a noisy sample of a hand: their posteriors are combined (style.infer_style).
        drawn = np.array([classes.index(char) for char in settings.style_char])
        styles.append(style.infer_style(vae, np.array(style_images), drawn).mean)
        names.append(f"your '{settings.style_char}'" if len(drawn) == 1 else f"your {len(drawn)} letters")
        redrawn = decode(np.repeat(styles[0][None], len(drawn), 0), drawn)[..., 0]
    for i in evaluation.one_per_class(y_test, 4, seed=settings.seed + 1):
        styles.append(z_test[i])
        names.append(f"test '{classes[y_test[i]]}'")
    prior = evaluation.prior_samples(vae, 3, settings.seed)
    styles += list(prior)
    names += [f"prior #{i + 1}" for i in range(len(prior))]
    shown = evaluation.one_per_class(y_test, min(8, len(classes)), seed=settings.seed + 2)
    drawings = {
        "alphabet.png": lambda path: figures.plot_alphabet(decode, np.array(styles), names, classes, path, title),
        "analogies.png": lambda path: figures.plot_analogies(
            decode, z_test[shown], y_test[shown], x_test[shown, ..., 0], classes, path, title),
    }
    if style_images is not None:
        drawings["style_input.png"] = lambda path: figures.plot_style_input(
            settings.style_from, style_images, redrawn, path, title)
    if settings.write is not None:
        if style_images is not None:
            code, style_name = styles[0], names[0]
        else:
            seed = settings.seed if settings.style is None else settings.style
            code, style_name = evaluation.prior_samples(vae, 1, seed)[0], f"style {seed} from the prior"
        canvas, text = written_text(decode, code, settings.write, classes, settings.seed), settings.write
        drawings["written.png"] = lambda path: figures.plot_written(canvas, text, path, title, style_name)
    return drawings


def written_text(decode, style, text, classes, seed=0):
    """`text` in one style (a latent code): each character decoded, then laid out like handwriting."""
    glyphs = writing.decode_glyphs(decode, style, writing.text_characters(text.upper()), classes)
    return writing.compose_text(glyphs, text.upper(), rng=np.random.default_rng(seed))


def explorer_data(vae, data, settings, x_test, z_test):
    """What report.html's latent explorer shows: sprites of the decoded plane and test points.

    The plane is latent_grid.png's, but the sprites reach as far as the test points do (their
    1st to 99th percentile, and at least the grid's ±1.64 spread), so every dot has a character."""
    plane = figures.latent_plane(z_test)
    center, axes, spread = plane
    points = (z_test - center) @ axes.T
    n = 32 if vae.conditional else 64  # a sprite per class for a conditional model: keep each small
    reach = np.maximum(np.percentile(np.abs(points), 99, axis=0), 1.645 * spread)
    prior = evaluation.learned_prior_samples(vae, seed=settings.seed)
    if prior is not None:  # as far as latent_grid.png reaches over a learned prior's mass
        reach = np.maximum(reach, np.abs(figures.plane_coordinates(plane, 2, prior)).max(axis=1))
    xs, ys = np.linspace(-reach[0], reach[0], n), np.linspace(-reach[1], reach[1], n if vae.latent_dim > 1 else 1)
    draw = lambda decode: figures.render_latent_grid(decode, plane, n, coordinates=(xs, ys))
    if vae.conditional:
        sprites = {char: draw(class_decoder(vae, i)) for i, char in enumerate(data.classes)}
    else:
        sprites = {"": draw(evaluation.decoder_fn(vae))}
    shown = evaluation.stratified_subset(data.y_test, 1000, seed=settings.seed)
    names = {1: ("z[0]", ""), 2: ("z[0]", "z[1]")}.get(vae.latent_dim, ("PC1", "PC2"))
    return {"axis_names": names, "xs": xs, "ys": ys, "sprites": sprites, "points": points[shown],
            "labels": data.y_test[shown], "images": x_test[shown, ..., 0], "classes": data.classes}


def print_summary(metrics, out, files):
    test = metrics["test"]
    if metrics["loaded_from"]:
        training = f"none: loaded {metrics['loaded_from']}"
    else:
        training = (f"{metrics['epochs_this_run']} epochs in {metrics['train_seconds']:.1f} s "
                    f"({metrics['images_per_second']:,.0f} images/s)" + (" (interrupted)" if metrics["interrupted"] else "")
                    + (" (stopped by --time-limit)" if metrics.get("stopped_by_time_limit") else "")
                    + (f", fine-tuned from {metrics['fine_tuned_from']}" if metrics.get("fine_tuned_from") else ""))
    what = "−log p(x | class) bound" if metrics["conditional"] else "negative ELBO"
    knn = "5-NN accuracy of the class from z (style only: near chance is good)" if metrics["conditional"] else "5-NN accuracy"
    print(f"""
Summary ({metrics['variant']})
  data         {metrics['data']['description']}{(': ' + metrics['data']['files']) if metrics['data']['files'] else ''}
               {metrics['n_train']:,} train / {metrics['n_test']:,} test images, classes {metrics['classes']}
  model        {report_page.model_description(metrics)}
  training     {training}
  test loss    {test['loss']:.2f} nats/image ({what}) = reconstruction {test['reconstruction']:.2f} + KL {test['kl']:.2f}
  test IWAE    {test['iwae_nll']:.2f} ± {test['iwae_stderr']:.2f} nats/image (k={test['iwae_k']}, {test['iwae_images']:,} images, {test['iwae_subset']})
  latent space {knn} {test['knn_accuracy']:.1%}, active units {test['active_units']}/{metrics['latent_dim']}{layers_summary(metrics)}{style_summary(metrics)}
  files        {out}/: {', '.join(sorted(files))}""", flush=True)


def layers_summary(metrics):
    """The summary's line on each stochastic layer of a hierarchical model (the ladder)."""
    layers = metrics["test"].get("layers", [])
    if len(layers) < 2:
        return ""
    return "\n  layers       " + "; ".join(f"{layer['name']}: KL {layer['kl']:.2f}, active units "
                                         f"{layer['active_units']}/{layer['dims']}" for layer in layers)


def style_summary(metrics):
    """The summary's lines on a conditional model's style code: leakage and legibility."""
    test = metrics["test"]
    if "legibility" not in test:
        return ""
    return f"""
  leakage      the class read from z by a logistic probe {test['probe_accuracy']:.1%}, chance {test['chance_accuracy']:.1%}
  legibility   {test['legibility']:.1%} of {test['legibility_images']:,} test styles drawn as every class are read as that class
               (by a conv classifier that reads {test['classifier_accuracy']:.1%} of the test images right)"""
