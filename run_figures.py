"""The figures of a run: which ones it draws, and what each shows, from its model and data.

    drawings = run_figures.choose_figures(settings, data, vae, history, x_test, z_test, title)
    for name, draw in drawings.items(): draw(out / name)

figures.py draws each picture (NumPy in, PNG out, no Keras); this module decides, from the
settings and the model (conditional or not, its latent size, its prior, the ladder), which of
them a run draws, decodes what they show, and writes their captions for the page. It also
gathers the page's latent explorer (report.py draws it). experiment.py calls it after evaluation.
"""

import numpy as np

import common
import evaluation
import figures
import style
import writing

CAPTIONS = {  # one sentence per file, for the page (the README says the same)
    "samples.png": "Training images with their characters: what the model has to learn.",
    "reconstructions.png": "Test images of every class above what the VAE rebuilds from their latent code.",
    "latent_grid.png": (
        "The decoder over a regular grid of the latent plane (beyond 2 latent dimensions, the plane of the "
        "test codes' first two principal components): neighbours look alike."
    ),
    "latent_grid.gif": (
        "The same grid after every epoch, with the validation loss: watch the characters organise."
    ),
    "latent_scatter.png": (
        "The test images' latent means coloured by class, each character at its class centre."
    ),
    "interpolation.png": (
        "Straight lines in latent space between test characters of two classes: "
        "the decoder morphs one into the other."
    ),
    "traversals.png": "One latent coordinate varied at a time from −3 to +3, the others at 0.",
    "generated.png": "New characters decoded from random draws of the model's prior.",
    "alphabet.png": (
        "Every class in one hand per row: styles taken from test images and drawn from the prior."
    ),
    "analogies.png": "Real test images, each redrawn as every other class with its own style code.",
    "style_input.png": (
        "Your letters, the 28×28 images the model saw, framed as its training data, "
        "and what it redraws from their style code."
    ),
    "written.png": "Text written in one style, one decoded character at a time.",
    "history.png": "Total, reconstruction and KL loss per epoch, training and validation, in nats per image.",
}


# The ladder's figures walk the top latent z2; the lower one must be somewhere, and its
# conditional prior mean is the one point that depends on z2 alone.
LADDER_NOTE = " The lower latent z1 sits at its conditional prior mean given the top z2 that is shown."
LADDER_FIGURES = (
    "latent_grid.png",
    "latent_grid.gif",
    "interpolation.png",
    "traversals.png",
    "generated.png",
    "alphabet.png",
    "analogies.png",
    "written.png",
)


def figure_captions(vae):
    """CAPTIONS, with a note on the lower latent for the ladder's figures that decode a top z."""
    if vae.arch != "ladder":
        return CAPTIONS
    return {
        name: caption + (LADDER_NOTE if name in LADDER_FIGURES else "") for name, caption in CAPTIONS.items()
    }


def class_decoder(vae, char_index):
    """decode(z) of one class: what a conditional model draws as that character."""
    decode = evaluation.decoder_fn(vae)
    return lambda z: decode(z, np.full(len(z), char_index))


def grid_decoder(vae, data, settings):
    """decode(z) for the latent grid: as --grid-char's class (default: the first), which a model
    without classes ignores."""
    return class_decoder(vae, data.classes.index(settings.grid_char) if settings.grid_char else 0)


def choose_figures(settings, data, vae, history, x_test, z_test, title, gif_frames=None, framing=None):
    """{file name: draw(path)}: every figure this run draws, in the order they are drawn; a user's
    letters (--style-from) framed as `framing` (a writing.Framing; None: EMNIST's)."""
    y_test, classes = data.y_test, data.classes
    decode, decode_grid = evaluation.decoder_fn(vae), grid_decoder(vae, data, settings)
    prior = evaluation.learned_prior_samples(vae, seed=settings.seed)  # None for N(0, I)
    markers, marker_name = vae.prior.markers(vae)  # a learned prior's components, if it has any
    # Every class (up to 26), not "the first 12": the official EMNIST test split is sorted by class.
    shown = evaluation.one_per_class(y_test, min(max(12, len(classes)), 26), seed=settings.seed)
    grid_char = (
        classes[classes.index(settings.grid_char) if settings.grid_char else 0] if vae.conditional else None
    )
    drawings = {
        "samples.png": lambda path: figures.plot_samples(data.x_train, data.y_train, classes, path, title),
        "reconstructions.png": lambda path: figures.plot_reconstructions(
            x_test[shown],
            common.ops.convert_to_numpy(vae((x_test[shown], y_test[shown]))),
            y_test[shown],
            classes,
            path,
            title,
        ),
        "latent_grid.png": lambda path: figures.plot_latent_grid(
            decode_grid, z_test, path, title, subject=grid_char, prior=prior
        ),
        "latent_scatter.png": lambda path: figures.plot_latent_scatter(
            z_test,
            y_test,
            classes,
            path,
            title,
            method="tsne" if settings.tsne else "pca",
            markers=markers,
            marker_name=marker_name,
        ),
    }
    if len(classes) > 1 and not vae.conditional:
        drawings["interpolation.png"] = lambda path: figures.plot_interpolations(
            decode, z_test, y_test, classes, path, title, seed=settings.seed
        )
    if vae.latent_dim > 2:
        drawings["traversals.png"] = lambda path: figures.plot_traversals(
            decode_grid, vae.latent_dim, path, title
        )
    if settings.sample:
        every_class = lambda z: decode(z, np.arange(len(z)) % len(classes))  # ignored without classes
        drawings["generated.png"] = lambda path: figures.plot_generated(
            every_class,
            vae.latent_dim,
            settings.sample,
            path,
            title,
            settings.seed,
            z=evaluation.prior_samples(vae, settings.sample, settings.seed),
            prior=vae.prior.describe(),
        )
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
        "alphabet.png": lambda path: figures.plot_alphabet(
            decode, np.array(styles), names, classes, path, title
        ),
        "analogies.png": lambda path: figures.plot_analogies(
            decode, z_test[shown], y_test[shown], x_test[shown, ..., 0], classes, path, title
        ),
    }
    if style_images is not None:
        drawings["style_input.png"] = lambda path: figures.plot_style_input(
            settings.style_from, style_images, redrawn, path, title
        )
    if settings.write is not None:
        if style_images is not None:
            code, style_name = styles[0], names[0]
        else:
            seed = settings.seed if settings.style is None else settings.style
            code, style_name = evaluation.prior_samples(vae, 1, seed)[0], f"style {seed} from the prior"
        canvas, text = (
            writing.write_text(decode, code, settings.write, classes, settings.seed),
            settings.write,
        )
        drawings["written.png"] = lambda path: figures.plot_written(canvas, text, path, title, style_name)
    return drawings


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
    xs, ys = (
        np.linspace(-reach[0], reach[0], n),
        np.linspace(-reach[1], reach[1], n if vae.latent_dim > 1 else 1),
    )
    draw = lambda decode: figures.render_latent_grid(decode, plane, n, coordinates=(xs, ys))
    if vae.conditional:
        sprites = {char: draw(class_decoder(vae, i)) for i, char in enumerate(data.classes)}
    else:
        sprites = {"": draw(evaluation.decoder_fn(vae))}
    shown = evaluation.stratified_subset(data.y_test, 1000, seed=settings.seed)
    names = {1: ("z[0]", ""), 2: ("z[0]", "z[1]")}.get(vae.latent_dim, ("PC1", "PC2"))
    return {
        "axis_names": names,
        "xs": xs,
        "ys": ys,
        "sprites": sprites,
        "points": points[shown],
        "labels": data.y_test[shown],
        "images": x_test[shown, ..., 0],
        "classes": data.classes,
    }
