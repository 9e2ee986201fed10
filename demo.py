"""Draw a letter, see your hand: a Gradio app in the browser for a model these scripts saved.

    python demo.py [MODEL] [--data DIR] [--save-to DIR] [--host 127.0.0.1] [--port 7860] [--share]

MODEL defaults to outputs/demo/model.keras (`make demo` trains it first when it is missing:
`make demo-model`). The run's metrics.json beside the model names its classes; the test images
come from --data, loaded the way the scripts load them.

- Your hand: draw one letter and say which it is. The page shows what the model sees (the
  28x28 image --style-from would make of it, framed as the model's training data:
  writing.prepare_style_image with writing.read_framing), the letter as the model writes it in
  your hand, and, for a conditional model, your text and the alphabet written in that hand. A
  button keeps the letter and clears the box for another: the hand's style comes from every
  letter kept in this session and the one in the box (style.infer_style), and the page shows
  how many, and the slant and stroke width of your letters beside those of the letters it
  wrote. "Start over" forgets them. A model without classes says instead which class your
  letter falls among: the votes of its 5 nearest test images in latent space.
- Explore: the test images' latent means on the latent plane (PCA for more than two
  dimensions), your hand's style marked on it. Click the plane or move the sliders to see what
  the decoder draws there (for a conditional model, as the letter you pick).
- With --save-to DIR, a button saves your letter as drawn into DIR/<letter>/0001.png, 0002.png, ...
  (the layout the scripts' --images DIR reads), and the page shows how many of each letter are
  there and the command that fine-tunes the model on them.

Offline: Gradio's analytics and version check are off, the theme uses the system's fonts, and
there is no share link unless --share. Nothing is fetched from the web.
"""

import io
import os
import shlex
import signal
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

import attributes
import cli
import writing
from files import REPO_DIR, UserError, missing, read_saved_run
from settings import option_field

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry and no version check (read at gr.Blocks())
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
# Gradio answers each event for one visitor at a time unless told otherwise, so a visitor's drawing waits
# for every other's: answer up to 4 at once (read at gr.Blocks(); set in the environment, that value wins).
os.environ.setdefault("GRADIO_DEFAULT_CONCURRENCY_LIMIT", "4")

DEFAULT_MODEL = REPO_DIR / "outputs" / "demo" / "model.keras"  # the Makefile's DEMO_MODEL
TEST_IMAGES = "test_images.npz"  # beside a Space's model (space.py): its test images, no data folder needed
CANVAS = 280  # px side of the sketchpad
ZOOM = 6  # a 28x28 image is shown at 168x168
HAND_ZOOM = 3  # the hand's letters are shown at 84x84 each
TEXT_ZOOM = 2  # written text is shown at twice its 28 px line height
WRAP = 440  # px of a line of handwriting (at 28 px glyphs) before a word wraps
MAX_TEXT = 300  # characters of text written at most
DOT = 0.08  # a drawing whose ink spans less than this of the canvas is a dot, not a letter
PLANE = 420  # px side of the Explore plane
SHOWN = 2000  # test images drawn on the plane (drawn in proportion to every class)


# ----------------------------------------------------------------------------
# The model and the test images' latent means


def read_classes(model_path):
    """(variant, classes) from the metrics.json the model's run wrote beside it (no TensorFlow needed)."""
    saved = read_saved_run(model_path)
    return saved["variant"], saved["classes"]


class Demo:
    """The model, its classes and the test images' latent means: what both pages compute with.

    The methods take and return plain values (numpy images as uint8 ink on paper, strings),
    so the tests call them directly, as Gradio does."""

    def __init__(self, vae, classes, x_test, y_test, framing=None):
        import evaluation
        import figures

        self.vae, self.classes, self.conditional = vae, classes, vae.conditional
        self.framing = (
            framing  # how the model's training data frames its letters (writing.Framing; None: EMNIST's)
        )
        self.decode = evaluation.decoder_fn(vae)
        self.z_test = evaluation.encode_all(vae, x_test, y_test)
        self.y_test = y_test
        self.knn = None
        if not self.conditional:  # which class a drawing falls among: its 5 nearest test images
            from sklearn.neighbors import KNeighborsClassifier

            self.knn = KNeighborsClassifier(n_neighbors=5).fit(self.z_test, self.y_test)
        # The plane: latent_grid.png's, reaching as far as the test points do (but for 1 in 200)
        # and at least over the grid's ±1.645 spread, with a little room around.
        self.plane = figures.latent_plane(self.z_test)
        points = self.to_plane(self.z_test)
        lo = np.minimum(np.percentile(points, 0.5, axis=0), -1.645 * self.plane[2])
        hi = np.maximum(np.percentile(points, 99.5, axis=0), 1.645 * self.plane[2])
        self.lo, self.hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo) + 1e-3
        shown = evaluation.stratified_subset(self.y_test, SHOWN)
        self.scatter = self._scatter(points[shown], self.y_test[shown])
        self.encode(x_test[0, ..., 0], 0)  # the first call traces the model: now, not on the first drawing

    # -- the maths

    def to_plane(self, z):
        center, axes, _ = self.plane
        return (np.asarray(z, np.float64) - center) @ axes.T

    def from_plane(self, x, y):
        center, axes, _ = self.plane
        return (center + x * axes[0] + y * axes[1])[None].astype(np.float32)

    def encode(self, image, label=None):
        """z_mean of one (28, 28) image (given its class, which a model without classes ignores)."""
        import evaluation

        labels = None if label is None else np.array([label])
        return evaluation.encode_all(self.vae, image[None, :, :, None].astype(np.float32), labels)[0]

    def glyphs(self, z, chars):
        """{char: (28, 28) image} of chars, each decoded in the style z (a conditional model)."""
        return writing.decode_glyphs(self.decode, z, chars, self.classes)

    def model_text(self, text):
        """text as the model's classes spell it (upper case for letters), as writing.unknown_characters
        maps it."""
        return "".join(c if c in self.classes or len(c.upper()) != 1 else c.upper() for c in text)

    # -- Your hand: the letters drawn in this session

    def prepare(self, image):
        """What the model sees of a drawing: the 28x28 image in 0..1, white ink on black, framed as
        the model's training data frames its letters."""
        return writing.prepare_style_image(image, self.framing)

    def read(self, drawing, letter=None):
        """(problem, seen): what the model sees of a drawing (a PIL image, or the sketchpad's value,
        a dict with a 'composite' image) of `letter`, or why it cannot be read (seen None)."""
        image = drawing.get("composite") if isinstance(drawing, dict) else drawing
        problem = drawing_problem(image)
        if problem:
            return problem, None
        if self.conditional and (not letter or letter not in self.classes):
            return f"Pick the letter you drew (one of {self.classes}).", None
        try:
            return None, self.prepare(image)
        except UserError as error:  # its message starts with the 'file name', an image object here
            return "Your drawing: " + str(error).split(": ", 1)[-1] + ".", None

    def keep(self, drawing, letter, kept):
        """(problem, kept): the letters kept so far with this drawing of `letter` added (a new list
        of (seen, class index) pairs), or why it cannot be added and the letters as they were."""
        problem, seen = self.read(drawing, letter)
        if problem:
            return problem, kept
        return None, [*kept, (seen, self.classes.index(letter))]

    def start_over(self):
        """ "Start over": no letters kept, and the page's Answer with none (and the box empty)."""
        return [], self.your_letter(None)

    def hand_style(self, letters):
        """The style.Style of [(seen, class index), ...] together (a product of their posteriors and
        the prior: each letter narrows it), or None without letters."""
        import style

        if not letters:
            return None
        images, labels = zip(*letters)
        return style.infer_style(self.vae, np.stack(images), np.array(labels))

    def your_letter(self, drawing, letter=None, text="", kept=()):
        """The Your-hand page for a drawing of `letter` and the letters kept before it (kept: [(seen,
        class index), ...], from keep). Returns an Answer; its images are None where there is nothing
        to show: no letter in the box, and for a conditional model no letter kept either."""
        started = time.perf_counter()
        problem, seen = self.read(drawing, letter)
        if not self.conditional:
            return self.nearest_class(seen, started) if seen is not None else Answer(problem)
        letters = [*kept] + ([] if seen is None else [(seen, self.classes.index(letter))])
        if not letters:
            return Answer(problem, hand=NO_LETTERS)
        found = self.hand_style(letters)
        # the alphabet in the hand: the text's glyphs, and what is measured
        glyphs = self.glyphs(found.mean, self.classes)
        yours = np.stack([image for image, _ in letters])
        hand = (
            f"**Your hand: {plural(len(letters), 'letter')}** "
            f"({' '.join(self.classes[k] for _, k in letters)}) · "
            + carried_over(yours, np.stack(list(glyphs.values())))
        )
        answer = Answer(
            None,
            None if seen is None else ink_on_paper(seen, ZOOM),
            None if seen is None else ink_on_paper(glyphs[letter], ZOOM),
            None,
            self.alphabet(glyphs),
            ink_on_paper(side_by_side(yours), HAND_ZOOM),
            None,
            found.mean,
            hand,
        )
        text = (text or "")[:MAX_TEXT]
        unknown = writing.unknown_characters(text, self.classes)
        if unknown:
            message = (
                f"The model cannot write {', '.join(map(repr, unknown))}: "
                f"it knows {self.classes} (and spaces, new lines)."
            )
            return answer._replace(message=message)
        text = self.model_text(text)
        written = ink_on_paper(writing.compose_text(glyphs, text, rng=0, max_width=WRAP), TEXT_ZOOM)
        if seen is None:  # the box is empty (or unreadable): the hand kept so far
            message = (
                problem
                if problem != EMPTY
                else (
                    f"Your text in the hand of the {plural(len(kept), 'letter')} you kept: "
                    "draw another to add it."
                )
            )
        else:
            what = (
                f"Your '{letter}', and your text in its hand"
                if len(letters) == 1
                else (
                    f"Your '{letter}' and the {plural(len(kept), 'letter')} you kept, "
                    "and your text in their hand"
                )
            )
            message = f"{what} ({1000 * (time.perf_counter() - started):.0f} ms)."
        return answer._replace(message=message, written=written)

    def nearest_class(self, seen, started):
        """The Answer for a model without classes: the drawing, its reconstruction, and the 5-NN votes."""
        z = self.encode(seen)
        reconstruction = self.decode(z[None])[0, ..., 0]
        votes = self.knn.predict_proba(z[None])[0]
        nearest = {self.classes[k]: float(votes[i]) for i, k in enumerate(self.knn.classes_)}
        message = (
            f"Your letter; its 5 nearest test images are mostly '{max(nearest, key=nearest.get)}' "
            f"({1000 * (time.perf_counter() - started):.0f} ms)."
        )
        return Answer(
            message, ink_on_paper(seen, ZOOM), ink_on_paper(reconstruction, ZOOM), nearest=nearest, z=z
        )

    def alphabet(self, glyphs):
        """Every class written with glyphs (the hand's: {class: (28, 28) image}), as shown."""
        half = (len(self.classes) + 1) // 2  # two lines for the 26 letters
        text = self.classes if len(self.classes) <= 13 else self.classes[:half] + "\n" + self.classes[half:]
        return ink_on_paper(writing.compose_text(glyphs, text, rng=0), TEXT_ZOOM)

    # -- Explore

    def explore(self, x, y, letter=None, z_mine=None):
        """(decoded, plane): the character the decoder draws at (x, y) of the plane (as `letter`
        for a conditional model), and the plane with that point and z_mine (your hand's style) marked."""
        z = self.from_plane(float(x), float(y))
        labels = [
            self.classes.index(letter if letter and letter in self.classes else self.classes[0])
        ]  # ignored without classes
        decoded = ink_on_paper(self.decode(z, labels)[0, ..., 0], ZOOM)
        plane = self.scatter.copy()
        draw = ImageDraw.Draw(plane)
        px, py = self.to_pixel(x, y)
        draw.line([(px - 10, py), (px + 10, py)], fill=(220, 0, 0), width=2)
        draw.line([(px, py - 10), (px, py + 10)], fill=(220, 0, 0), width=2)
        if z_mine is not None:
            mx, my = self.to_pixel(*self.to_plane(np.asarray(z_mine)[None])[0])
            draw.ellipse([mx - 8, my - 8, mx + 8, my + 8], outline=(0, 0, 0), width=3)
            draw.text((mx + 10, my - 18), "your hand" if self.conditional else "your letter", fill=(0, 0, 0))
        return decoded, np.asarray(plane)

    def to_pixel(self, x, y):
        (x0, y0), (x1, y1) = self.lo, self.hi
        return (PLANE - 1) * (x - x0) / (x1 - x0), (PLANE - 1) * (y1 - y) / (y1 - y0)  # up = +y

    def to_point(self, px, py):
        """The plane coordinates of a pixel of the plane image (a click), within the sliders' range."""
        (x0, y0), (x1, y1) = self.lo, self.hi
        x, y = x0 + px / (PLANE - 1) * (x1 - x0), y1 - py / (PLANE - 1) * (y1 - y0)
        return round(float(np.clip(x, x0, x1)), 2), round(float(np.clip(y, y0, y1)), 2)

    def _scatter(self, points, labels):
        """The test images' points coloured by class, on white (drawn once; markers go on a copy)."""
        from matplotlib import colormaps

        colours = colormaps["tab20" if len(self.classes) > 10 else "tab10"].resampled(len(self.classes))
        image = Image.new("RGB", (PLANE, PLANE), "white")
        draw = ImageDraw.Draw(image)
        cx, cy = self.to_pixel(0, 0)
        draw.line([(0, cy), (PLANE, cy)], fill=(210, 210, 210))
        draw.line([(cx, 0), (cx, PLANE)], fill=(210, 210, 210))
        for (x, y), label in zip(points, labels):
            px, py = self.to_pixel(x, y)
            colour = tuple(int(255 * c) for c in colours(int(label))[:3])
            draw.ellipse([px - 2, py - 2, px + 2, py + 2], fill=colour)
        if not self.conditional:  # each class's character at its centre, as in latent_scatter.png
            for k, char in enumerate(self.classes):
                if (labels == k).any():
                    px, py = self.to_pixel(*np.median(points[labels == k], axis=0))
                    draw.text((px, py), char, fill=(0, 0, 0), anchor="mm", font_size=16)
        return image


class Answer(NamedTuple):
    """What the Your-hand page shows for a drawing, in the order of build_app's outputs."""

    message: str
    seen: np.ndarray = None  # the letter in the box as the model sees it (ink on paper, zoomed)
    reconstruction: np.ndarray = (
        None  # that letter as the model writes it in the hand (or rebuilds it, without classes)
    )
    written: np.ndarray = None  # the text in the hand
    alphabet: np.ndarray = None  # every class in the hand
    letters: np.ndarray = None  # the hand's letters as the model saw them, side by side
    nearest: dict = None  # 5-NN votes per class (a model without classes)
    z: np.ndarray = None  # the hand's style (the letter's code, without classes): what Explore rings
    hand: str = ""  # how many letters the style comes from, and what carried over


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def carried_over(yours, written):
    """'slant: yours 0.21, written 0.18 · stroke: yours 2.6 px, written 2.4 px': the mean slant and
    stroke width (attributes.py) of the visitor's letters and of the letters the model wrote in their
    hand."""
    return (
        f"slant: yours {attributes.slant(yours).mean():.2f}, "
        f"written {attributes.slant(written).mean():.2f} · "
        f"stroke: yours {attributes.stroke_width(yours).mean():.1f} px, "
        f"written {attributes.stroke_width(written).mean():.1f} px"
    )


def side_by_side(images, gap=2):
    """(n, 28, 28) images in a row, gap px of black between them."""
    row = []
    for image in images:
        row += [image, np.zeros((image.shape[0], gap), np.float32)]
    return np.hstack(row[:-1])


EMPTY = "Draw one letter in the box."
NO_LETTERS = "Your hand: no letters yet."


def drawing_problem(image):
    """Why a drawing cannot be read as a letter (empty, or a dot), or None when it can."""
    if image is None:
        return EMPTY
    rgba = np.asarray(image.convert("RGBA"), np.float32) / 255
    alpha = rgba[..., 3]
    grey = rgba[..., :3].mean(-1) * alpha + (1 - alpha)  # on white paper
    rows, cols = np.flatnonzero((grey < 0.5).any(1)), np.flatnonzero((grey < 0.5).any(0))
    if rows.size == 0:
        return EMPTY
    if max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 < DOT * min(grey.shape):
        return "That is only a dot: draw a whole letter, as large as the box."
    return None


# ----------------------------------------------------------------------------
# Your letters saved for fine-tuning (--save-to)


def save_folder(path):
    """--save-to's folder, created when missing."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"--save-to: {path}: not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a parent is a file, or no permission
        raise UserError(f"--save-to: {path}: cannot create the folder ({error.strerror or error})") from None
    return path


def save_letter(folder, drawing, letter, classes):
    """Save the drawing (the sketchpad's value, or a PIL image) as drawn, as the next free
    folder/<letter>/NNNN.png. Returns the message to show: where it went, or why it was not saved."""
    image = drawing.get("composite") if isinstance(drawing, dict) else drawing
    problem = drawing_problem(image)
    if problem:
        return problem
    if not letter or letter not in classes:
        return f"Pick the letter you drew (one of {classes})."
    png = io.BytesIO()
    image.save(png, format="PNG")  # encoded first, then written in one go
    (Path(folder) / letter).mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = Path(folder) / letter / f"{number:04d}.png"
        try:
            with open(path, "xb") as f:  # created only when no file has the name: two quick saves take two
                f.write(png.getvalue())
            return f"Saved your '{letter}' as `{path}`."
        except FileExistsError:
            number += 1


def saved_counts(folder, classes):
    """'Saved in `folder`: A 3 · B 1', counted in the folder as --images reads it (image files only,
    a/ is A's too), so images added by hand count too."""
    from loaders import IMAGE_SUFFIXES

    counts, char_of = dict.fromkeys(classes, 0), {char.upper(): char for char in classes}
    for here in Path(folder).iterdir() if Path(folder).is_dir() else []:
        if here.is_dir() and here.name.upper() in char_of:
            counts[char_of[here.name.upper()]] += sum(
                1
                for path in here.iterdir()
                if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in IMAGE_SUFFIXES
            )
    saved = " · ".join(f"{char} {n}" for char, n in counts.items() if n)
    return f"Saved in `{folder}`: {saved or 'nothing yet'}"


def fine_tune_command(folder, model, variant):
    """The command that fine-tunes the model on the letters saved in folder."""
    script = {"digits": "vae_digits.py", "vowels": "vae_vowels.py"}.get(variant, "vae_letters.py")
    return f"python {script} --images {shlex.quote(str(folder))} --fine-tune {shlex.quote(str(model))}"


def ink_on_paper(image, zoom):
    """A (h, w) image of white ink on black in 0..1 as uint8 dark ink on white, each pixel zoom x zoom."""
    image = np.clip(np.asarray(image, np.float32), 0, 1)
    return np.kron(np.round(255 * (1 - image)).astype(np.uint8), np.ones((zoom, zoom), np.uint8))


def load(model_path, data_dir):
    """The Demo for a saved model: its classes and framing, the model (TensorFlow loads here), its test
    images."""
    variant, classes = read_classes(model_path)
    framing = writing.read_framing(model_path)  # EMNIST's for a model saved before runs stored theirs
    import common

    try:
        vae = common.load_vae(model_path)
    except UserError as error:
        raise UserError(str(error).removeprefix("--load: ")) from None
    if vae.conditional and vae.num_classes != len(classes):
        raise UserError(
            f"{model_path}: the model has {vae.num_classes} classes, its metrics.json names {classes}"
        )
    return Demo(vae, classes, *load_test_images(model_path, variant, classes, data_dir), framing)


def load_test_images(model_path, variant, classes, data_dir):
    """(x_test, y_test): the test images (float32 (n, 28, 28, 1) in 0..1) and their classes. From the
    TEST_IMAGES file beside the model when there is one (a Space's folder: space.py), else the test
    split loaded from data_dir the way the scripts load it."""
    saved = Path(model_path).parent / TEST_IMAGES
    if saved.is_file():
        with np.load(saved) as images:
            return (images["x_test"].astype(np.float32) / 255)[..., None], images["y_test"]
    import loaders

    data = loaders.load_variant(variant, Path(data_dir), chars=None if variant == "digits" else classes)
    return data.x_test, data.y_test


# ----------------------------------------------------------------------------
# The pages


def build_app(demo, save_to=None, fine_tune=None):
    """The Gradio Blocks of the two pages, wired to the Demo's methods. With save_to (a folder),
    a button saves the drawn letter there, and the page shows the counts and fine_tune (a command)."""
    import gradio as gr

    conditional, classes = demo.conditional, demo.classes

    def collection():
        return f"{saved_counts(save_to, classes)}\n\nFine-tune the model on them:\n```\n{fine_tune}\n```"

    def save(drawing, letter):
        return save_letter(save_to, drawing, letter, classes), collection()

    with gr.Blocks(title="Draw a letter, see your hand", analytics_enabled=False) as app:
        gr.Markdown(
            f"## Draw a letter, see your hand\nA VAE of {len(classes)} classes ({classes})"
            f"{'' if conditional else ', without classes'}: {demo.vae.describe()}."
        )
        z_mine = gr.State(None)
        kept = gr.State(
            []
        )  # the letters kept in this session: [(28x28 image as the model saw it, class index), ...]
        with gr.Tab("Your hand" if conditional else "Your letter"):
            with gr.Row():
                with gr.Column():
                    sketch = gr.Sketchpad(
                        type="pil",
                        image_mode="RGBA",
                        canvas_size=(CANVAS, CANVAS),
                        fixed_canvas=True,
                        layers=False,
                        brush=gr.Brush(default_size=10, colors=["#000000"], color_mode="fixed"),
                        label="Draw one letter",
                        elem_id="sketch",
                        height=CANVAS + 120,
                    )
                    with gr.Row(visible=conditional):  # under the box: what a hand does with the letter in it
                        keep_button = gr.Button("Keep this letter, draw another", elem_id="keep")
                        start_over_button = gr.Button("Start over (forget my letters)", elem_id="start-over")
                with gr.Column():
                    # A saved letter goes in its letter's folder, for a model without classes too.
                    letter = gr.Radio(
                        list(classes),
                        value=classes[0],
                        label="Which letter is it?",
                        elem_id="letter",
                        visible=conditional or save_to is not None,
                    )
                    text = gr.Textbox(
                        "The quick brown fox jumps over the lazy dog",
                        label="Text to write",
                        lines=2,
                        max_length=MAX_TEXT,
                        elem_id="text",
                        visible=conditional,
                    )
                    message = gr.Markdown(EMPTY, elem_id="message")
                    hand = gr.Markdown(NO_LETTERS, elem_id="hand", visible=conditional)
                    letters = image_box(
                        "Your letters as the model saw them",
                        "letters",
                        visible=conditional,
                        height=28 * HAND_ZOOM + 50,
                    )
                    if save_to is not None:
                        save_button = gr.Button("Save this letter", elem_id="save")
                        saved = gr.Markdown(collection(), elem_id="saved")
            with gr.Row():
                seen = image_box("What the model sees (28×28)", "seen", height=28 * ZOOM + 50)
                reconstruction = image_box(
                    "The model's, in your hand" if conditional else "Its reconstruction",
                    "reconstruction",
                    height=28 * ZOOM + 50,
                )
                nearest = gr.Label(
                    label="Nearest class (5-NN among the test images)",
                    num_top_classes=3,
                    elem_id="nearest",
                    visible=not conditional,
                )
            written = image_box("Your text in your hand", "written", visible=conditional)
            alphabet = image_box("The alphabet in your hand", "alphabet", visible=conditional)
        with gr.Tab("Explore"):
            gr.Markdown(
                "The test images' latent means (one colour per class); "
                f"the black ring is your {'hand' if conditional else 'letter'}. "
                "Click the plane, or move the sliders, to see what the decoder draws there."
            )
            with gr.Row():
                plane = gr.Image(
                    label="The latent plane",
                    type="numpy",
                    format="png",
                    interactive=False,
                    elem_id="plane",
                    buttons=[],
                    height=PLANE + 40,
                    width=PLANE + 20,
                )
                with gr.Column():
                    explore_letter = gr.Radio(
                        list(classes),
                        value=classes[0],
                        label="Draw it as the letter",
                        elem_id="explore-letter",
                        visible=conditional,
                    )
                    names = ("z[0]", "z[1]") if demo.vae.latent_dim == 2 else ("PC1", "PC2")
                    x = gr.Slider(
                        float(demo.lo[0]), float(demo.hi[0]), value=0, step=0.01, label=names[0], elem_id="x"
                    )
                    y = gr.Slider(
                        float(demo.lo[1]), float(demo.hi[1]), value=0, step=0.01, label=names[1], elem_id="y"
                    )
                    decoded = image_box("The decoder there", "decoded", height=28 * ZOOM + 50)

        def click(event: gr.SelectData):
            return demo.to_point(*event.index[:2])

        def keep(drawing, letter, letters):
            problem, letters = demo.keep(drawing, letter, letters)
            if problem:  # said in a pop-up; the box is left as it is
                raise gr.Error(problem, title="Not kept", print_exception=False)
            return letters

        def forget():
            letters, answer = demo.start_over()
            return letters, *answer

        explore_inputs, explore_outputs = [x, y, explore_letter, z_mine], [decoded, plane]
        answer_inputs = [sketch, letter, text, kept]
        answer_outputs = [
            message,
            seen,
            reconstruction,
            written,
            alphabet,
            letters,
            nearest,
            z_mine,
            hand,
        ]  # Answer's order
        for trigger in (sketch.change, letter.change, text.change):
            trigger(
                demo.your_letter,
                answer_inputs,
                answer_outputs,
                show_progress="hidden",
                trigger_mode="always_last",
            ).then(demo.explore, explore_inputs, explore_outputs, show_progress="hidden")
        # Both empty the box with the sketchpad's own button (a None sent to it clears it only once),
        # whose change answers anew with the letters kept.
        keep_button.click(keep, [sketch, letter, kept], kept, show_progress="hidden").success(
            None, js=CLEAR_BOX
        )
        start_over_button.click(forget, None, [kept, *answer_outputs], show_progress="hidden").then(
            demo.explore, explore_inputs, explore_outputs, show_progress="hidden"
        ).then(None, js=CLEAR_BOX)
        for trigger in (x.change, y.change, explore_letter.change):
            trigger(
                demo.explore,
                explore_inputs,
                explore_outputs,
                show_progress="hidden",
                trigger_mode="always_last",
            )
        plane.select(click, None, [x, y], show_progress="hidden")
        if save_to is not None:
            # "multiple": every click saves, even one made while the last save is still running.
            save_button.click(
                save, [sketch, letter], [message, saved], show_progress="hidden", trigger_mode="multiple"
            )
            app.load(collection, None, saved)  # a reload counts the files added since
        app.load(demo.explore, explore_inputs, explore_outputs)
        app.load(None, js=PICK_BRUSH)
    return app


# Gradio's sketchpad starts with no tool chosen ("select the draw tool to start"): choose the
# brush, once its button is there (it is highlighted when chosen), trying for up to 10 s.
PICK_BRUSH = """() => {
  let tries = 0;
  const pick = () => {
    const brush = document.querySelector('#sketch button[aria-label="Brush"]');
    if (brush && !brush.classList.contains('highlight')) brush.click();
    if ((!brush || !brush.classList.contains('highlight')) && tries++ < 100) setTimeout(pick, 100);
  };
  pick();
}"""


# Empty the sketchpad with its own "Clear canvas" button. That puts the brush down a moment later:
# wait for it (up to 1 s), then pick it again.
CLEAR_BOX = (
    """() => {
  const brush = () => document.querySelector('#sketch button[aria-label="Brush"]');
  document.querySelector('#sketch button[aria-label="Clear canvas"]')?.click();
  let tries = 0;
  const still_up = () => brush()?.classList.contains('highlight') && tries++ < 20;
  const pick_when_down = () => still_up() ? setTimeout(pick_when_down, 50) : (%s)();
  pick_when_down();
}"""
    % PICK_BRUSH
)


def image_box(label, elem_id, visible=True, height=None):
    import gradio as gr

    return gr.Image(
        label=label,
        type="numpy",
        format="png",
        interactive=False,
        elem_id=elem_id,
        buttons=[],
        visible=visible,
        height=height,
    )


def theme():
    """Gradio's default look with the system's fonts: no font files fetched from anywhere."""
    import gradio as gr

    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


def launch(app, host="127.0.0.1", port=7860, share=False):
    """Start the server in the background and return its address."""
    app.launch(
        server_name=host,
        server_port=port,
        share=share,
        prevent_thread_lock=True,
        quiet=True,
        ssr_mode=False,
        theme=theme(),
        footer_links=[],
    )
    return app.share_url if share and app.share_url else app.local_url


# ----------------------------------------------------------------------------
# The command line


def add_model_argument(parser):
    """MODEL, the model.keras to show: the demo's first argument, and space.py's and the benchmarks'."""
    parser.add_argument(
        "model",
        nargs="?",
        type=Path,
        default=DEFAULT_MODEL,
        metavar="MODEL",
        help="a model.keras saved by the scripts (default: outputs/demo/model.keras)",
    )


def main(argv=None):
    parser = cli.ArgumentParser(description=__doc__, formatter_class=cli.HelpFormatter)
    add_model_argument(parser)
    cli.add_option(parser, option_field("data"))  # the scripts' --data: the test images come from there
    parser.add_argument(
        "--save-to",
        type=Path,
        metavar="DIR",
        help="show a button that saves your letters into DIR/<letter>/0001.png, ... (created when "
        "missing), to fine-tune the model on with --images DIR (default: off, no button)",
    )
    # Gradio's own variables set the defaults, as a Hugging Face Space sets them.
    parser.add_argument(
        "--host",
        default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        help="address to serve on (0.0.0.0: every network interface)",
    )
    parser.add_argument(
        "--port",
        type=cli.positive_int,
        default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)),
        help="port to serve on",
    )
    parser.add_argument(
        "--share", action="store_true", help="also make a public link through Gradio's servers"
    )
    args = parser.parse_args(argv)
    if problem := missing("gradio", "the demo"):  # at once, before TensorFlow loads
        print(f"{parser.prog}: error: {problem}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        variant, _ = read_classes(args.model)  # at once, before TensorFlow loads
        save_to = save_folder(args.save_to) if args.save_to else None
        demo = load(args.model, args.data)
    except UserError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    fine_tune = fine_tune_command(save_to, args.model, variant) if save_to else None
    app = build_app(demo, save_to, fine_tune)
    try:
        url = launch(app, args.host, args.port, args.share)
    except OSError as error:  # the port is taken
        print(f"{parser.prog}: error: --port {args.port}: {error}", file=sys.stderr)
        return 2
    print(
        f"Ready in {time.perf_counter() - started:.1f} s: open {url} in a browser (Ctrl-C stops it)",
        flush=True,
    )
    signal.signal(signal.SIGTERM, stop)  # `kill` stops it as cleanly as Ctrl-C
    # Ctrl-C too when started as a background job (`python demo.py &`): a shell starts those with
    # SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        # Closed in a thread with a deadline: on a loaded machine Gradio's close could outlast any
        # patience, and nothing is left to save.
        closing = threading.Thread(target=app.close, kwargs={"verbose": False}, daemon=True)
        closing.start()
        closing.join(timeout=10)
        print("\nStopped.", flush=True)
    return 0


def stop(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    cli.exit_now(main())  # without the interpreter's teardown, which waits for every worker thread
