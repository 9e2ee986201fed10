"""Your own letters: --images DIR (a folder per class) and --fine-tune MODEL, end to end, and every
mistake a user can make with them: one line, exit status 2, nothing written."""

import json
import re
import subprocess
import sys

import pytest
from PIL import Image

import vae_letters
from conftest import REPO
from test_scripts import run_script

QUICK = ["--iwae-k", "4", "--iwae-images", "0", "--no-gif", "--quiet"]


def write_folder(folder, chars, per_class, seed=0):
    """A folder of the user's letters: the offline generator's letters of `chars`, saved as dark ink
    on light paper at 3x size, one subfolder per class, as a phone or a scanner would give them."""
    from synthetic_letters import make_synthetic_letters

    x, y, _, _ = make_synthetic_letters(chars, per_class, 1, seed=seed)
    for i, (image, label) in enumerate(zip(x, y)):
        (folder / chars[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(255 - image).resize((84, 84)).save(folder / chars[label] / f"{i:03d}.png")
    return folder


def run_letters(*argv, cwd=REPO):
    return subprocess.run(
        [sys.executable, str(REPO / "vae_letters.py"), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


# ----------------------------------------------------------------------------
# Mistakes: each is one line and exit status 2, in a fresh process, and nothing is written


def mistakes(tmp_path):
    """(name, options, the words the one line must hold) for every mistake with a folder or a model."""
    good = write_folder(tmp_path / "good", "AB", 3)
    (tmp_path / "empty").mkdir()
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "A.png").write_bytes((good / "A" / "000.png").read_bytes())
    bad_name = write_folder(tmp_path / "bad-name", "AB", 3)
    (bad_name / "AB").mkdir()
    (bad_name / "AB" / "x.png").write_bytes((good / "A" / "000.png").read_bytes())
    single = write_folder(tmp_path / "single", "A", 3)
    few = write_folder(tmp_path / "few", "AB", 3)
    for path in list((few / "B").iterdir())[1:]:
        path.unlink()
    broken = write_folder(tmp_path / "broken", "AB", 3)
    (broken / "B" / "torn.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    digits = write_folder(tmp_path / "digits-in-letters", "AB", 3)
    (digits / "7").mkdir()
    return [
        ("missing", ["--images", tmp_path / "nowhere"], "--images: ", "no such folder"),
        ("empty", ["--images", tmp_path / "empty"], "--images: ", "holds no class subfolders"),
        ("no subfolders", ["--images", tmp_path / "loose"], "--images: ", "holds no class subfolders"),
        (
            "a name that is no character",
            ["--images", bad_name],
            "--images: ",
            "name each subfolder by the one character",
        ),
        (
            "a character of another alphabet",
            ["--images", digits],
            "--images: ",
            "one of ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ),
        ("one class", ["--images", single], "--images: ", "needs at least two classes"),
        ("too few to split", ["--images", few], "class B has 1 image, needs at least 2", "one to train on"),
        ("an image that cannot be decoded", ["--images", broken], "torn.png", "cannot read the image"),
        (
            "a model that is not there",
            ["--images", good, "--fine-tune", tmp_path / "none.keras"],
            "--fine-tune: ",
            "no such model file",
        ),
        (
            "a model without its run",
            ["--images", good, "--fine-tune", good / "A" / "000.png"],
            "--fine-tune: ",
            "metrics.json",
        ),
    ]


@pytest.mark.slow
def test_every_mistake_with_a_folder_or_a_model_is_one_line_status_2_and_nothing_written(tmp_path):
    for name, options, *words in mistakes(tmp_path):
        out, data = tmp_path / f"out-{name}", tmp_path / f"data-{name}"  # --data: where the cache would go
        data.mkdir()
        result = run_letters(*options, "--out", out, "--data", data, *QUICK)
        assert result.returncode == 2, (name, result.stdout[-500:], result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, (
            name,
            result.stderr,
        )
        assert all(word in result.stderr for word in words), (name, result.stderr)
        assert not out.exists() and not any(data.iterdir()), name  # no figures, no model, no cache


# ----------------------------------------------------------------------------
# Training on a folder, then fine-tuning on another hand's folder


@pytest.mark.slow
def test_train_on_a_folder_then_fine_tune_on_a_few_letters_of_another(tmp_path, capsys):
    many, few = write_folder(tmp_path / "many", "ABC", 12), write_folder(tmp_path / "few", "AC", 5, seed=1)
    (few / "notes.txt").write_text("not an image")
    (few / ".DS_Store").write_bytes(b"\0")
    base, tuned = tmp_path / "base", tmp_path / "tuned"
    assert (
        run_script(
            vae_letters,
            [
                "--images",
                many,
                "--conditional",
                "--epochs",
                "2",
                "--data",
                tmp_path / "data",
                "--out",
                base,
                *QUICK,
            ],
        )
        == 0
    )
    metrics = json.loads((base / "metrics.json").read_text())
    assert (
        metrics["classes"] == "ABC"
        and metrics["source"] == str(many)
        and metrics["n_train"] + metrics["n_test"] == 36
    )
    assert metrics["data"]["description"] == f"your images from {many}: 12 per class"
    assert list((tmp_path / "data").glob("images-*.npz"))  # prepared once, cached

    assert (
        run_script(
            vae_letters,
            [
                "--images",
                few,
                "--fine-tune",
                base / "model.keras",
                "--epochs",
                "3",
                "--data",
                tmp_path / "data",
                "--out",
                tuned,
                *QUICK,
            ],
        )
        == 0
    )
    console = capsys.readouterr().out
    assert "skipped 2 files that are not images" in console
    metrics = json.loads((tuned / "metrics.json").read_text())
    # A conditional model stays conditional and keeps its classes: the alphabet draws all three in the
    # new hand.
    assert (
        metrics["conditional"]
        and metrics["classes"] == "ABC"
        and metrics["fine_tuned_from"] == str(base / "model.keras")
    )
    assert metrics["data"]["description"] == f"your images from {few}: 5 per class"
    # The few letters were framed as the base model's data, and the tuned model keeps that framing.
    assert metrics["framing"] == json.loads((base / "metrics.json").read_text())["framing"]
    assert (metrics["n_train"], metrics["n_test"]) == (8, 2) and 1 <= metrics["epochs_run"] <= 3
    assert "fine-tuned from" in (tuned / "report.html").read_text(encoding="utf-8")
    for name in ("model.keras", "alphabet.png", "reconstructions.png", "latent_grid.png", "history.png"):
        assert (tuned / name).is_file(), name
    # The starting model counts as the first "best": what fine-tuning keeps is never worse on the
    # held-out letters.
    before = float(re.search(r"validation loss ([\d.]+) nats before training", console).group(1))
    assert metrics["test"]["loss"] <= before + 1.0  # the one-draw ELBO's noise on 2 test images

    # A class the model does not know: one line, status 2.
    other = write_folder(tmp_path / "other", "AZ", 3)
    assert (
        run_script(
            vae_letters,
            [
                "--images",
                other,
                "--fine-tune",
                base / "model.keras",
                "--data",
                tmp_path / "data",
                "--out",
                tmp_path / "z",
                *QUICK,
            ],
        )
        == 2
    )
    assert "--fine-tune: the model knows ABC, not Z of the data" in capsys.readouterr().err


def test_fine_tune_keeps_the_models_options_and_its_folder(tmp_path):
    from files import UserError
    from loaders import check_files
    from settings import Settings

    def saved_model(name, conditional):
        model = tmp_path / name / "model.keras"
        model.parent.mkdir()
        model.write_bytes(b"PK")
        (model.parent / "metrics.json").write_text(
            json.dumps({"variant": "letters", "classes": "ABC", "conditional": conditional})
        )
        return model

    model = saved_model("run", True)
    settings = Settings(fine_tune=model, write="CAB")  # the model's run is not read yet: --write waits for it
    assert not settings.conditional and settings.fine_tune_classes is None
    check_files(settings)  # reads it: a conditional model stays conditional
    assert (
        settings.conditional
        and settings.fine_tune_classes == "ABC"
        and (settings.lr, settings.epochs) == (0.001, 200)
    )
    assert settings.out.name == "letters-fine-tuned"
    # The data's classes become the model's: --write may use every class the model knows.
    settings = Settings(fine_tune=model, chars="AC", write="CAB")
    check_files(settings)
    assert settings.write == "CAB"
    plain = saved_model("plain", False)
    for options, message in [
        (dict(conditional=True), f"--conditional: the model {plain} is not conditional"),
        (dict(write="AB"), "--write needs a conditional model"),
    ]:
        with pytest.raises(UserError, match=re.escape(message)):
            check_files(Settings(fine_tune=plain, **options))
    for options, message in [
        (dict(arch="conv"), "--arch: not with --fine-tune"),
        (dict(out=model.parent), "--out: "),
        (dict(load=""), "--fine-tune: not with --load"),
    ]:
        with pytest.raises(UserError, match=message):
            Settings(fine_tune=model, **options)
