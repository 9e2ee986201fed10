"""bench/throughput.py: its FLOP count, and one small run of project against baseline."""

import sys

import numpy as np
import pytest

import common
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import throughput  # noqa: E402


@pytest.mark.parametrize("arch, macs", [
    # dense: 784·512 + 2·(512·2) + 2·512 + 512·784
    ("dense", 784 * 512 + 2 * 512 * 2 + 2 * 512 + 512 * 784),
    # conv: Conv2D 14·14·4·4·1·32 and 7·7·4·4·32·64, Dense 3136·256, 2·(256·2), 2·256, 256·3136,
    # Conv2DTranspose 7·7·4·4·64·32 and 14·14·4·4·32·1
    ("conv", 14 * 14 * 16 * 32 + 7 * 7 * 16 * 32 * 64 + 3136 * 256 + 2 * 256 * 2 + 2 * 256 + 256 * 3136
     + 7 * 7 * 16 * 64 * 32 + 14 * 14 * 16 * 32),
])
def test_flops_per_training_image_are_counted_from_the_layer_shapes(arch, macs):
    vae = common.build_vae(common.ModelConfig(arch=arch, latent_dim=2), seed=0)
    assert throughput.flops_per_training_image(vae) == macs * 2 * 3


@pytest.mark.slow
def test_one_small_run_measures_project_baseline_and_limit():
    rng = np.random.default_rng(0)
    x_train = rng.random((10 * 128 + 120, 28, 28, 1), dtype=np.float32)
    x_test = rng.random((256, 28, 28, 1), dtype=np.float32)
    result = throughput.measure_arch("dense", x_train, x_test, epochs=2, gflops={"numpy": 100.0, "tensorflow": 200.0})
    assert result["images_per_second"] > 0 and result["baseline_images_per_second"] > 0
    assert result["limit_images_per_second"] == pytest.approx(200e9 / result["flops_per_training_image"], rel=1e-3)
    # Speeds come from the best epoch after the first, and count the images each side trained on:
    # the project's chunks leave out the last partial minibatch (120 images, 9 %), the baseline's fit
    # does not. (The epoch times are rounded to the millisecond, hence 3 %.)
    assert result["images_per_second"] == pytest.approx(10 * 128 / min(result["epoch_seconds"][1:]), rel=0.03)
    assert result["baseline_images_per_second"] == pytest.approx(
        (10 * 128 + 120) / min(result["baseline_epoch_seconds"][1:]), rel=0.03)
    # Both train the same model on random pixels: their test losses must be close.
    assert result["test_loss"] == pytest.approx(result["baseline_test_loss"], rel=0.02)
