"""The style code of a conditional model: the style adversary, the three numbers (fidelity,
leakage, legibility) and several letters of the user's hand (the end-to-end runs: test_conditional.py)."""

import json

import keras
import numpy as np
import pytest
from PIL import Image, ImageDraw

import common
import evaluation
import loaders
import training
import vae_letters
from common import ops, tf
from test_scripts import run_script

TOY = loaders.DataSource("toy", "toy bars", "bars whose row is the class, drawn by the test")


def bars(labels, seed=0, rows=(4, 12, 20)):
    """Toy characters: class c is a bar at row rows[c]; its length (4..19 px), the 'style', is random."""
    rng = np.random.default_rng(seed)
    x = rng.random((len(labels), 28, 28, 1)).astype(np.float32) * 0.1
    for image, label, length in zip(x, labels, rng.integers(4, 20, len(labels))):
        image[rows[label] : rows[label] + 3, 4 : 4 + length] = 1.0
    return x


def toy_vae(style_adversary, num_classes=4, latent_dim=3, style_mmd=0.0):
    keras.utils.set_random_seed(0)
    config = common.ModelConfig(
        latent_dim=latent_dim,
        hidden=32,
        num_classes=num_classes,
        style_adversary=style_adversary,
        style_mmd=style_mmd,
    )
    return common.build_vae(config, seed=0)


# ----------------------------------------------------------------------------
# The style adversary


def test_the_encoder_gets_the_adversarys_gradient_reversed_and_scaled_by_w():
    w = 2.5
    vae = toy_vae(w)
    labels = np.arange(8) % 4
    x = bars(labels % 3)
    plain_labels = ops.convert_to_tensor(labels)
    with tf.GradientTape(persistent=True) as tape:
        z_mean = vae.encode(x, labels)[0]
        adversary_term = ops.mean(vae.adversary_loss(z_mean, labels)[0])
        # The same cross-entropy without the reversal: what the classifier itself descends.
        plain = ops.mean(
            keras.losses.sparse_categorical_crossentropy(
                plain_labels, vae.adversary(z_mean), from_logits=True
            )
        )
    assert float(adversary_term) == pytest.approx(float(plain), rel=1e-6)  # the forward value is unchanged
    encoder_side = tape.gradient(adversary_term, vae.encoder.trainable_weights)
    encoder_plain = tape.gradient(plain, vae.encoder.trainable_weights)
    # z_mean's layers get a real gradient (z_log_var's none: the adversary reads z_mean alone).
    reached = [(a, b) for a, b in zip(encoder_side, encoder_plain) if b is not None]
    assert len(reached) >= 4 and max(float(np.abs(b).max()) for _, b in reached) > 1e-4
    for reversed_, plain_ in reached:
        np.testing.assert_allclose(reversed_, -w * np.asarray(plain_), rtol=1e-4, atol=1e-7)
    for own, plain_ in zip(
        tape.gradient(adversary_term, vae.adversary.trainable_weights),
        tape.gradient(plain, vae.adversary.trainable_weights),
    ):
        np.testing.assert_allclose(own, plain_, rtol=1e-5, atol=1e-8)  # the classifier learns normally


def one_step(vae, x, labels):
    training.compile_vae(vae)  # the scripts' own path (XLA for the dense model)
    vae.fit(training.make_dataset(x, labels, len(x)), epochs=1, verbose=0, shuffle=False)
    return {
        name: [np.array(w) for w in model.weights]
        for name, model in (("encoder", vae.encoder), ("decoder", vae.decoder))
    }


@pytest.mark.slow
def test_w_0_trains_exactly_as_the_plain_model_and_w_gt_0_changes_only_the_encoder():
    labels = np.arange(16) % 4
    x = bars(labels % 3)
    keras.utils.set_random_seed(0)
    today = common.build_vae(
        common.ModelConfig(latent_dim=3, hidden=32, num_classes=4, style_adversary=0.0), seed=0
    )
    plain, zero, adversarial = (
        one_step(today, x, labels),
        one_step(toy_vae(0.0), x, labels),
        one_step(toy_vae(3.0), x, labels),
    )
    assert toy_vae(0.0).adversary is None and "adversary_accuracy" not in [
        m.name for m in toy_vae(0.0).metrics
    ]
    for part in ("encoder", "decoder"):
        for a, b in zip(plain[part], zero[part]):
            np.testing.assert_array_equal(a, b)
    # The adversary does not touch the decoder, and it does move the encoder.
    for a, b in zip(plain["decoder"], adversarial["decoder"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert any(not np.allclose(a, b) for a, b in zip(plain["encoder"], adversarial["encoder"]))


@pytest.mark.slow
def test_an_adversarial_model_logs_its_accuracy_and_reloads_in_a_fresh_process(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    vae = toy_vae(1.5, style_mmd=2.5)
    labels = np.arange(32) % 4
    x = bars(labels % 3)
    training.compile_vae(vae)
    history = vae.fit(
        training.training_dataset(x, labels, 8, steps_per_chunk=2),
        validation_data=training.make_dataset(x, labels, 8),
        epochs=2,
        verbose=0,
    ).history
    assert all(0 <= a <= 1 for a in history["adversary_accuracy"] + history["val_adversary_accuracy"])
    vae.save(tmp_path / "model.keras")
    z = ops.convert_to_numpy(vae.encode(x, labels)[0])
    np.save(tmp_path / "x.npy", x)
    script = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import common, keras\n"
        "model = keras.models.load_model(sys.argv[2])  # safe mode\n"
        "x = np.load(sys.argv[3]); labels = np.arange(32) % 4\n"
        "print(model.adversary_weight, model.style_mmd, model.adversary.count_params(), "
        "keras.ops.convert_to_numpy(model.encode(x, labels)[0]).tolist())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(REPO), str(tmp_path / "model.keras"), str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    weight, mmd, params, z_again = result.stdout.split(" ", 3)
    assert float(weight) == 1.5 and float(mmd) == 2.5 and int(params) == vae.adversary.count_params()
    np.testing.assert_allclose(np.array(eval(z_again)), z, rtol=1e-5, atol=1e-6)


def probe_after_training(style_adversary, style_mmd, y, x, y_test, x_test, epochs):
    vae = toy_vae(style_adversary, num_classes=int(y.max()) + 1, latent_dim=8, style_mmd=style_mmd)
    training.compile_vae(vae)
    vae.fit(training.training_dataset(x, y, 64, steps_per_chunk=16), epochs=epochs, verbose=0)
    z, z_test = evaluation.encode_all(vae, x, y), evaluation.encode_all(vae, x_test, y_test)
    return evaluation.logistic_probe_accuracy(z, y, z_test, y_test)


@pytest.mark.slow
def test_the_adversary_and_the_mmd_penalty_hide_a_class_that_is_plain_in_z_without_them():
    """Toy bars whose row is one of two classes: a logistic probe reads it from z without the
    adversary and the MMD penalty; with both (W = 10, the default, and M = 30) it falls toward chance.
    (The adversary alone does not pass this: it fools its own classifier while a fresh probe
    still reads the class at 100 %, README "Style apart from letter".)"""
    from settings import model_defaults

    rows = (4, 20)
    y, y_test = np.arange(2048) % 2, np.arange(512) % 2
    x, x_test = bars(y, rows=rows), bars(y_test, seed=1, rows=rows)
    without = probe_after_training(0.0, 0.0, y, x, y_test, x_test, epochs=15)
    with_them = probe_after_training(
        model_defaults("dense", 8, True)["style_adversary"], 30.0, y, x, y_test, x_test, epochs=15
    )
    assert without > 0.9
    assert with_them < 0.5 + 0.25, (without, with_them)


def test_class_mmd_against_a_hand_computation():
    rng = np.random.default_rng(0)
    z, labels = rng.normal(size=(12, 3)).astype(np.float32), np.array([0, 1, 1, 2] * 3)
    standard = (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-4)
    distances = ((standard[:, None] - standard[None]) ** 2).sum(-1)
    kernel = sum(c / (c + distances) for c in (2.0 * 3 * s for s in common.MMD_SCALES))
    expected = 0.0
    for c in range(4):  # class 3 is absent from the minibatch and counts nothing
        mine = labels == c
        if mine.any():
            mmd = kernel[mine][:, mine].mean() - 2 * kernel[mine].mean() + kernel.mean()
            expected += mine.mean() * mmd
    value = float(ops.convert_to_numpy(common.class_mmd(z, labels, 4)))
    assert value == pytest.approx(expected, rel=1e-4) and value > 0.01
    # The same codes in every class: nothing to tell them apart. Scaled codes: the same penalty.
    twice = np.concatenate([z, z]), np.array([0] * 12 + [1] * 12)
    assert float(ops.convert_to_numpy(common.class_mmd(*twice, 2))) == pytest.approx(0.0, abs=1e-5)
    assert float(ops.convert_to_numpy(common.class_mmd(5 * z, labels, 4))) == pytest.approx(value, rel=1e-3)


# ----------------------------------------------------------------------------
# Legibility: the judge and the number


@pytest.fixture(scope="module")
def judge(tmp_path_factory):
    """A classifier trained on noisy toy bars of three classes (with a few mislabelled), cached."""
    folder = tmp_path_factory.mktemp("judge")
    y_train, y_test = np.arange(600) % 3, np.arange(300) % 3
    data = loaders.Data(bars(y_train), y_train, bars(y_test, seed=1), y_test, "ABC", "toy", TOY)
    paths = [folder / "classifier.keras"]
    return data, paths, evaluation.classifier_for(data, paths)


def test_the_classifier_is_cached_and_retrained_for_other_classes(judge, capsys):
    data, paths, classifier = judge
    assert paths[0].exists() and json.loads(paths[0].with_suffix(".json").read_text())["classes"] == "ABC"
    again = evaluation.classifier_for(data, paths)
    assert "Training the legibility classifier" not in capsys.readouterr().out
    np.testing.assert_allclose(
        again.predict(data.x_test[:5], verbose=0), classifier.predict(data.x_test[:5], verbose=0)
    )
    two = loaders.Data(
        data.x_train[data.y_train < 2],
        data.y_train[data.y_train < 2],
        data.x_test,
        data.y_test,
        "AB",
        "toy",
        TOY,
    )
    assert evaluation.classifier_for(two, paths).output_shape[-1] == 2  # other classes: trained anew
    assert "Training the legibility classifier" in capsys.readouterr().out


def test_legibility_is_chance_when_the_class_is_ignored_and_the_classifiers_accuracy_when_drawn(judge):
    data, _, classifier = judge
    classify = evaluation.classify_fn(classifier)
    accuracy = np.mean(classify(data.x_test) == data.y_test)
    assert accuracy > 0.9
    rng = np.random.default_rng(0)
    pool = [data.x_test[data.y_test == c] for c in range(3)]
    z = rng.random((60, 2))  # a style code: z[0] picks the image, z[1] a class the style "came from"

    def perfect(z, labels):  # draws the class it is asked for, in some style
        return np.stack([pool[c][int(s[0] * 99)] for s, c in zip(z, labels)])

    def ignores(z, labels):  # draws the style's own class, whatever it is asked for
        return np.stack([pool[int(s[1] * 3)][int(s[0] * 99)] for s in z])

    assert evaluation.legibility(perfect, classify, z, 3, batch=7) == pytest.approx(accuracy, abs=0.05)
    assert evaluation.legibility(ignores, classify, z, 3) == pytest.approx(1 / 3, abs=0.05)


def test_probes_and_chance():
    rng = np.random.default_rng(0)
    y = np.arange(400) % 4
    hidden = rng.standard_normal((400, 3))
    visible = hidden + 5 * np.eye(4)[y][:, :3]  # the class shifts z: a linear probe reads it
    assert evaluation.logistic_probe_accuracy(visible[:300], y[:300], visible[300:], y[300:]) > 0.9
    assert evaluation.logistic_probe_accuracy(hidden[:300], y[:300], hidden[300:], y[300:]) < 0.45
    assert evaluation.chance_accuracy(y[:300], y[300:]) == 0.25
    assert (
        evaluation.chance_accuracy(np.array([0, 1, 1]), np.array([1, 1, 0, 2])) == 0.5
    )  # the majority's share


# ----------------------------------------------------------------------------
# The command line


def letter(path, x=100):
    image = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(image).line([(x, 30), (x, 170)], fill=0, width=14)
    image.save(path)
    return path


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--style-adversary", "5"], "--style-adversary needs a conditional model"),
        (["--conditional", "--style-adversary", "-1"], "--style-adversary"),
        (["--conditional", "--style-adversary", "2", "--load"], "--style-adversary: not with --load"),
        (["--style-mmd", "5"], "--style-mmd needs a conditional model"),
        (["--conditional", "--style-mmd", "-1"], "--style-mmd"),
        (["--conditional", "--style-mmd", "2", "--load"], "--style-mmd: not with --load"),
        (
            ["--conditional", "--style-from", "{a}", "{b}", "--style-char", "i"],
            "one character per --style-from image (2 images, 1 character)",
        ),
        (["--conditional", "--style-from", "{a}", "--style-char", "i", "l"], "(1 image, 2 characters)"),
        (["--conditional", "--style-from", "{a}", "{b}"], "--style-char"),
        (
            ["--conditional", "--style-from", "{folder}"],
            "two.png: name each file by the one character it shows",
        ),
        (
            ["--conditional", "--style-from", "{folder}", "--style-char", "i"],
            "--style-char: not with a folder",
        ),
        (["--conditional", "--style-from", "{empty}"], "holds no images"),
    ],
)
def test_style_mistakes_are_one_line_status_2_and_nothing_written(tmp_path, capsys, extra, message):
    files = {
        "a": letter(tmp_path / "a.png"),
        "b": letter(tmp_path / "b.png", 60),
        "folder": tmp_path / "mine",
        "empty": tmp_path / "empty",
    }
    files["folder"].mkdir()
    files["empty"].mkdir()
    letter(files["folder"] / "I.png")
    letter(files["folder"] / "two.png")
    out = tmp_path / "out"
    argv = ["--data", tmp_path, "--out", out, *[arg.format(**files) for arg in extra]]
    assert run_script(vae_letters, argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err, err
    assert not out.exists()


def test_the_page_and_the_summary_show_leakage_and_legibility(tmp_path):
    import report
    from test_report import FIGURES, make_explorer, make_metrics, write_figures

    metrics = make_metrics(conditional=True)
    metrics["style_adversary"], metrics["style_mmd"] = 10.0, 30.0
    metrics["test"].update(
        probe_accuracy=0.123,
        chance_accuracy=0.038,
        legibility=0.877,
        legibility_images=1000,
        classifier_accuracy=0.968,
    )
    write_figures(tmp_path)
    report.write_report(tmp_path, metrics, FIGURES, make_explorer(conditional=True))
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    summary = report.style_summary(metrics)
    for text in (page, summary):
        assert all(number in text for number in ("12.3%", "3.8%", "87.7%", "96.8%")), text[-600:]
    # The penalties are part of the model's one description, which the page and the summary's model
    # line print.
    assert "style adversary W = 10" in report.model_description(metrics) and "style adversary W = 10" in page
    assert "MMD penalty M = 30" in report.model_description(metrics) and "MMD penalty M = 30" in page
    del metrics["test"]["legibility"]  # a model saved before these numbers: nothing to show, no error
    assert report.style_summary(metrics) == ""
