"""One whole experiment, from its settings to its results, read top to bottom.

    results = experiment.run(Settings(variant="letters", epochs=5, limit=2000))
    results.metrics["test"]["loss"], results.model, results.paths, results.history

    settings → data → model (built, or loaded with --load) → training (with the latent grid's
    frame after every epoch) → evaluation → figures → report.html with its latent explorer,
    metrics.json, history.csv, model.keras → summary

The scripts reach it through cli.py, which parses the options into a Settings (settings.py)
and maps errors to exit statuses; a notebook calls run() itself. The loaders are in
loaders.py, the model in common.py, training in training.py, the metrics in evaluation.py,
which figures a run draws in run_figures.py (each drawn by figures.py), the page and the
console's summary in report.py. Importing this module loads TensorFlow.
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
import run_figures
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
    loaders.check_files(settings)  # from Python; cli.py has checked them already, before TensorFlow loaded
    strategy = training.make_strategy(
        settings.strategy
    )  # first: multi-worker set-up must precede other TensorFlow work
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
        print(
            f"{settings.variant}: {len(data.x_train):,} training and {len(data.x_test):,} test images of "
            f"{len(data.classes)} classes ({data.classes}): {data.about.name}",
            flush=True,
        )
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
        return loaders.load_image_folder(
            settings.images,
            VARIANTS[settings.variant],
            settings.chars,
            settings.limit,
            seed=settings.seed,
            cache_dir=settings.data,
            framing=framing,
        )
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
        print(
            f"Stopped by --time-limit {settings.time_limit:g} (minutes): keeping the best model so far.",
            flush=True,
        )
    results = report(
        settings,
        data,
        vae,
        history,
        train_seconds,
        len(history) - epochs_before,
        interrupted,
        gif_frames=gif.frames if gif else None,
        time_limited=time_limit.stopped,
    )
    if not interrupted:
        shutil.rmtree(checkpoint_dir)  # finished: model.keras and history.csv hold everything
    return results


def latent_grid_frames(settings, data, vae):
    """The callback that draws latent_grid.gif's frame after every epoch.

    Each epoch's frame walks the plane of that epoch's test z_means (PCA for latent > 2),
    fitted to test images of every class in proportion."""
    subset = evaluation.stratified_subset(data.y_test, 2000, seed=settings.seed)
    images, labels = training.evaluation_images(data.x_test[subset], settings), data.y_test[subset]
    title = report_page.run_title(
        {"variant": settings.variant, "data": data.described(), "model": vae.describe()}
    )
    decode = run_figures.grid_decoder(vae, data, settings)

    def render(caption):
        # Up to 2 dimensions the plane is the latent plane itself: no need to encode the test images.
        z = (
            evaluation.encode_all(vae, images, labels)
            if vae.latent_dim > 2
            else np.zeros((1, vae.latent_dim))
        )
        plane = figures.latent_plane(z)
        coordinates = figures.plane_coordinates(
            plane, 15, evaluation.learned_prior_samples(vae, seed=settings.seed)
        )
        return figures.render_gif_frame(
            figures.render_latent_grid(decode, plane, 15, coordinates), title, caption
        )

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
    return dataclasses.replace(
        data, y_train=index[data.y_train], y_test=index[data.y_test], classes=model_classes
    )


def check_against_data(vae, data, settings):
    """The checks that need the classes in the data and, after --load, the model (None before
    training: a mistake is caught before the training it would waste)."""
    if vae is not None and not vae.conditional and settings.conditional_option():
        raise UserError(f"{settings.conditional_option()}: the loaded model is not conditional")
    if vae is not None and vae.conditional and vae.num_classes != len(data.classes):
        raise UserError(
            f"--load: the model knows {vae.num_classes} classes, "
            f"the data has {len(data.classes)} ({data.classes})"
        )
    if settings.write is not None:
        check_text(settings.write, data.classes)
    for option in ("grid_char", "style_char"):
        for char in getattr(settings, option) or "":
            if char not in data.classes:
                raise UserError(f"--{option.replace('_', '-')}: {char!r} is not in the data ({data.classes})")


# ----------------------------------------------------------------------------
# Evaluation, figures, files and the summary


def report(
    settings,
    data,
    vae,
    history,
    train_seconds,
    epochs_trained,
    interrupted,
    gif_frames=None,
    time_limited=False,
):
    """Evaluate, draw every figure, save model, history, metrics and page; print the summary."""
    print("Evaluating ...", flush=True)
    evaluation_started = time.time()
    out = settings.out
    model_dir = (
        Path(settings.load).parent if settings.load else out
    )  # the legibility classifier is cached beside the model
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
        **vae.prior.get_config(),  # the prior's own options, by their option names
        "kl_estimate": vae.kl_estimate(),
        "train_k": vae.train_k,
        "training_loss": vae.training_loss_name(),
        "style_adversary": vae.adversary_weight,
        "free_bits": vae.free_bits,
        "style_mmd": vae.style_mmd,
        "kl_warmup": settings.kl_warmup,
        # simulated hands trained on beside the data (--hands), each letter decoding another
        "hands": settings.hands,
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
        # This run's epochs only: a resumed run does not count the epochs before it. An epoch holds
        # --hands' letters too.
        "images_per_second": round(
            (len(data.x_train) + settings.hands * 2 * len(data.classes)) * epochs_trained / train_seconds, 1
        )
        if train_seconds
        else None,
        "evaluation_seconds": round(evaluation_seconds, 2),
        "seed": settings.seed,
        # how the training data frames its letters: a user's letter is framed so too
        "framing": framing.to_dict(),
    }

    drawings = run_figures.choose_figures(
        settings, data, vae, history, x_test, z_test, report_page.run_title(metrics), gif_frames, framing
    )
    print(
        f"Evaluated in {evaluation_seconds:.1f} s. Drawing {len(drawings)} figures into {out}/ ...",
        flush=True,
    )
    for name, draw in tqdm(drawings.items(), unit="figure", file=sys.stdout, disable=settings.quiet):
        draw(out / name)
    written = list(drawings)
    if settings.load is None:
        atomic_write(out / "history.csv", lambda tmp: history.to_csv(tmp, index=False))
        atomic_write(out / "model.keras", vae.save)
        written += ["history.csv", "model.keras"]
    if not settings.no_report:
        print(f"Writing {out / 'report.html'} and its latent explorer ...", flush=True)
        captions = run_figures.figure_captions(vae)
        figure_list = [
            (name, captions[name]) for name in captions if name in written or (out / name).exists()
        ]
        report_page.write_report(
            out, metrics, figure_list, run_figures.explorer_data(vae, data, settings, x_test, z_test)
        )
        written.append("report.html")
    write_json(out / "metrics.json", metrics)
    written.append("metrics.json")
    report_page.print_summary(metrics, out, written)
    return Results(
        metrics, vae, [out / name for name in written], history, data, status=130 if interrupted else 0
    )


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
