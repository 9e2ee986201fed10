"""The sampling layer, the loss against hand-computed values, the IWAE bound, safe reload."""

import math
import os

import keras
import numpy as np
import pytest

import common
import evaluation
import priors
import training
from conftest import run_python


def test_reconstruction_loss_is_binary_cross_entropy_summed_over_pixels():
    x = np.zeros((2, 28, 28, 1), np.float32)
    logits = np.zeros((2, 28, 28, 1), np.float32)
    x[0, 0, 0], logits[0, 0, 0] = 1.0, 2.0  # −log σ(2) for this pixel
    x[1, 5, 5], logits[1, 5, 5] = 0.25, -3.0  # −[¼ log σ(−3) + ¾ log σ(3)]
    sigmoid = lambda v: 1.0 / (1.0 + math.exp(-v))
    other_pixels = 783 * math.log(2.0)  # every other pixel: x = 0, logit 0 → log 2
    expected = [
        -math.log(sigmoid(2.0)) + other_pixels,
        -(0.25 * math.log(sigmoid(-3.0)) + 0.75 * math.log(sigmoid(3.0))) + other_pixels,
    ]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(common.reconstruction_loss(x, logits)), expected, rtol=1e-5
    )


def test_reconstruction_loss_is_finite_for_extreme_logits():
    x = np.ones((1, 28, 28, 1), np.float32)
    logits = np.full((1, 28, 28, 1), -200.0, np.float32)  # σ(−200) underflows to 0 in float32
    value = float(common.reconstruction_loss(x, logits)[0])
    assert value == pytest.approx(784 * 200.0, rel=1e-5)


def test_kl_divergence_against_closed_form():
    z_mean = np.array([[1.0, 0.0], [0.0, 0.0]], np.float32)
    z_log_var = np.array([[0.0, 0.0], [math.log(2.0), 0.0]], np.float32)
    # KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − log σ²) per dimension
    expected = [0.5 * 1.0, 0.5 * (2.0 - 1.0 - math.log(2.0))]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(priors.kl_divergence(z_mean, z_log_var)), expected, rtol=1e-5
    )


def test_sampling_draws_from_the_right_gaussian():
    keras.utils.set_random_seed(0)
    z_mean = np.full((20000, 2), [3.0, -1.0], np.float32)
    z_log_var = np.full((20000, 2), [math.log(4.0), math.log(0.25)], np.float32)
    z = keras.ops.convert_to_numpy(common.Sampling(seed=1)([z_mean, z_log_var]))
    np.testing.assert_allclose(z.mean(axis=0), [3.0, -1.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [2.0, 0.5], rtol=0.03)
    again = keras.ops.convert_to_numpy(common.Sampling(seed=1)([z_mean, z_log_var]))
    np.testing.assert_array_equal(z, again)  # the seed fixes the draws


def test_sampling_layer_round_trips_through_its_config():
    layer = common.Sampling(seed=7)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(clone, common.Sampling) and clone.seed == 7


@pytest.mark.parametrize("arch", ["dense", pytest.param("conv", marks=pytest.mark.slow)])
def test_shapes_and_training_step(arch):
    vae = common.build_vae(common.ModelConfig(arch=arch, latent_dim=3), seed=0)
    x = np.random.default_rng(0).random((64, 28, 28, 1)).astype(np.float32)
    z_mean, z_log_var = vae.encode(x)
    assert z_mean.shape == (64, 3) and z_log_var.shape == (64, 3)
    reconstruction = keras.ops.convert_to_numpy(vae(x))
    assert reconstruction.shape == (64, 28, 28, 1) and 0 <= reconstruction.min() and reconstruction.max() <= 1
    training.compile_vae(vae)  # the scripts' own path: chunks of minibatches, XLA for the dense model
    history = vae.fit(
        training.training_dataset(x, None, 16, steps_per_chunk=2), epochs=3, verbose=0, shuffle=False
    ).history
    assert history["loss"][-1] < history["loss"][0]
    np.testing.assert_allclose(history["loss"], np.add(history["reconstruction"], history["kl"]), rtol=1e-4)
    assert int(vae.optimizer.iterations) == 3 * 64 // 16  # one Adam step per minibatch, not per chunk


def test_a_chunk_trains_exactly_like_its_minibatches_one_by_one():
    x = np.random.default_rng(0).random((72, 28, 28, 1)).astype(np.float32)

    def trained(images, steps_per_chunk):
        keras.utils.set_random_seed(0)
        vae = common.build_vae(common.ModelConfig(latent_dim=2), seed=0)
        vae.compile(optimizer=keras.optimizers.Adam(1e-3))  # no XLA: the same kernels both ways
        vae.train_step = training.chunk_step(vae)  # as training.compile_vae does on TensorFlow
        history = vae.fit(
            training.training_dataset(images, None, 16, steps_per_chunk=steps_per_chunk),
            epochs=2,
            verbose=0,
            shuffle=False,
        )
        return vae, history.history["loss"]

    # 72 images: 4 full minibatches of 16 per epoch (two chunks of 2); 8 are left out.
    chunked, chunked_loss = trained(x, steps_per_chunk=2)
    one_by_one, one_by_one_loss = trained(x, steps_per_chunk=None)
    assert int(chunked.optimizer.iterations) == int(one_by_one.optimizer.iterations) == 2 * 4
    np.testing.assert_allclose(chunked_loss, one_by_one_loss, rtol=1e-5)
    for a, b in zip(chunked.get_weights(), one_by_one.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_training_dataset_shuffles_each_epoch_in_full_minibatches_and_chunks():
    x = np.arange(50, dtype=np.float32).reshape(50, 1, 1, 1) * np.ones((1, 28, 28, 1), np.float32)
    y = np.arange(50)
    dataset = training.training_dataset(x, y, 8, seed=1, steps_per_chunk=4)
    epochs = [[chunk.numpy() for ((chunk, labels),) in dataset] for _ in range(2)]
    for (
        (chunk, labels),
    ) in dataset:  # each image keeps its label (elements are ((images, labels),): Keras' x)
        np.testing.assert_array_equal(chunk.numpy()[:, :, 0, 0, 0], labels.numpy())
    assert [chunk.shape for chunk in epochs[0]] == [
        (3, 8, 28, 28, 1)
    ] * 2  # 48 of 50 images, in chunks of one size
    orders = [np.concatenate([chunk[:, :, 0, 0, 0].ravel() for chunk in epoch]) for epoch in epochs]
    for order in orders:
        assert len(set(order)) == 48 and set(order) <= set(range(50))  # each image at most once
    assert not np.array_equal(orders[0], orders[1])  # a new order each epoch
    again = [chunk.numpy() for ((chunk, _),) in training.training_dataset(x, y, 8, seed=1, steps_per_chunk=4)]
    np.testing.assert_array_equal(np.concatenate(again), np.concatenate(epochs[0]))  # the seed decides

    binary = np.concatenate([b.numpy() for b in training.training_dataset(x / 50, None, 8, binarize=True)])
    assert binary.shape == (48, 28, 28, 1) and set(np.unique(binary)) == {0.0, 1.0}


def test_iwae_bound_tightens_with_more_samples_and_matches_elbo_at_k1():
    keras.utils.set_random_seed(0)
    vae = common.build_vae(common.ModelConfig(latent_dim=2), seed=0)
    x = (np.random.default_rng(1).random((256, 28, 28, 1)) < 0.2).astype(np.float32)
    y = np.zeros(len(x), np.int64)
    elbo = evaluation.negative_elbo(vae, x, y, 64)["loss"]
    k1, k1_stderr = evaluation.iwae_nll(vae, x, k=1, seed=0)
    k100, _ = evaluation.iwae_nll(vae, x, k=100, seed=0)
    assert k1 == pytest.approx(elbo, rel=0.01)  # one importance sample is the ELBO
    assert k100 < k1
    assert 0 < k1_stderr < 0.2 * k1


def test_binarize_once_is_fixed_and_binary():
    x = np.random.default_rng(0).random((10, 28, 28, 1)).astype(np.float32)
    first = training.binarize_once(x, seed=3)
    assert set(np.unique(first)) <= {0.0, 1.0}
    np.testing.assert_array_equal(first, training.binarize_once(x, seed=3))
    assert abs(first.mean() - x.mean()) < 0.02  # Bernoulli(intensity)


@pytest.mark.slow
@pytest.mark.parametrize("arch, num_classes", [("dense", 0), ("conv", 0), ("conv", 5)])
def test_safe_reload_in_a_fresh_process(tmp_path, arch, num_classes):
    """Unconditional and conditional models reload in Keras' safe mode with the same encoder, in a
    fresh process on the other Keras backend (JAX for TensorFlow, TensorFlow for the others:
    tests/test_backends.py runs this file on JAX)."""
    vae = common.build_vae(common.ModelConfig(arch=arch, latent_dim=4, num_classes=num_classes), seed=0)
    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype(np.float32)
    labels = np.arange(8) % 5 if num_classes else None
    vae.compile(optimizer="adam")
    vae.fit(
        training.make_dataset(x, labels, 8), epochs=1, verbose=0, shuffle=False
    )  # move the weights off their initial values
    path = tmp_path / "model.keras"
    vae.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", keras.ops.convert_to_numpy(vae.encode(x, labels)[0]))
    script = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import common, keras\n"
        "model = keras.models.load_model(sys.argv[2])  # safe mode, no custom_objects\n"
        "labels = np.arange(8) % 5 if model.conditional else None\n"
        "z = keras.ops.convert_to_numpy(model.encode(np.load(sys.argv[3]), labels)[0])\n"
        "np.testing.assert_allclose(z, np.load(sys.argv[4]), rtol=1e-5, atol=1e-6)\n"
        "print('same z_mean', type(model).__name__, model.num_classes)\n"
    )
    other = "jax" if common.BACKEND == "tensorflow" else "tensorflow"
    script += "assert common.BACKEND == keras.backend.backend() == sys.argv[5], common.BACKEND\n"
    result = run_python(
        script,
        path,
        tmp_path / "x.npy",
        tmp_path / "z.npy",
        other,
        env={**os.environ, "KERAS_BACKEND": other},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"same z_mean VAE {num_classes}" in result.stdout
