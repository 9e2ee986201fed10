"""bench/throughput.py: its FLOP count, and one small run of project against baseline."""

import sys

import numpy as np
import pytest

import common
from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import throughput  # noqa: E402


@pytest.mark.parametrize(
    "arch, macs",
    [
        # dense: 784·512 + 2·(512·2) + 2·512 + 512·784
        ("dense", 784 * 512 + 2 * 512 * 2 + 2 * 512 + 512 * 784),
        # conv: Conv2D 14·14·4·4·1·32 and 7·7·4·4·32·64, Dense 3136·256, 2·(256·2), 2·256, 256·3136,
        # Conv2DTranspose 7·7·4·4·64·32 and 14·14·4·4·32·1
        (
            "conv",
            14 * 14 * 16 * 32
            + 7 * 7 * 16 * 32 * 64
            + 3136 * 256
            + 2 * 256 * 2
            + 2 * 256
            + 256 * 3136
            + 7 * 7 * 16 * 64 * 32
            + 14 * 14 * 16 * 32,
        ),
    ],
)
def test_flops_per_training_image_are_counted_from_the_layer_shapes(arch, macs):
    vae = common.build_vae(common.ModelConfig(arch=arch, latent_dim=2), seed=0)
    assert throughput.flops_per_training_image(vae) == macs * 2 * 3


@pytest.mark.slow
def test_one_small_run_measures_project_baseline_and_limit():
    rng = np.random.default_rng(0)
    x_train = rng.random((10 * 128 + 120, 28, 28, 1), dtype=np.float32)
    x_test = rng.random((256, 28, 28, 1), dtype=np.float32)
    result = throughput.measure_arch(
        "dense", x_train, x_test, epochs=2, gflops={"numpy": 100.0, "tensorflow": 200.0}
    )
    assert result["images_per_second"] > 0 and result["baseline_images_per_second"] > 0
    assert result["limit_images_per_second"] == pytest.approx(
        200e9 / result["flops_per_training_image"], rel=1e-3
    )
    # Speeds come from the best epoch after the first, and count the images each side trained on:
    # the project's chunks leave out the last partial minibatch (120 images, 9 %), the baseline's fit
    # does not. (The epoch times are rounded to the millisecond, hence 3 %.)
    assert result["images_per_second"] == pytest.approx(10 * 128 / min(result["epoch_seconds"][1:]), rel=0.03)
    assert result["baseline_images_per_second"] == pytest.approx(
        (10 * 128 + 120) / min(result["baseline_epoch_seconds"][1:]), rel=0.03
    )
    # Both train the same model on random pixels: their test losses must be close.
    assert result["test_loss"] == pytest.approx(result["baseline_test_loss"], rel=0.02)


@pytest.mark.slow
def test_user_hand_writes_folders_that_images_reads(tmp_path):
    """bench/user_hand.py --folders-only: a nested training folder per N and a held-out folder of other
    letters of the same hand, in the layout --images reads; prepared, the held-out letters come back in
    class order, close to the hand's letters as drawn."""
    import user_hand
    from loaders import LETTERS, scan_image_folder
    from synthetic_letters import make_hand

    user_hand.main(["--folders-only", "--out", str(tmp_path), "--n", "2", "3", "--heldout", "2"])
    for name, n in (("train-2", 2), ("train-3", 3), ("heldout", 2)):
        scanned = scan_image_folder(tmp_path / name, LETTERS)
        assert list(scanned.classes) == list(LETTERS) and scanned.skipped == 0
        assert {len(paths) for paths in scanned.classes.values()} == {n}
    for path in (tmp_path / "train-2" / "A").iterdir():  # nested: N = 2's letters are N = 3's first two
        assert path.read_bytes() == (tmp_path / "train-3" / "A" / path.name).read_bytes()
    x, y = user_hand.prepared_folder(tmp_path / "heldout", LETTERS)
    assert x.shape == (52, 28, 28, 1) and (y == np.repeat(np.arange(26), 2)).all()
    drawn, labels = make_hand(LETTERS, 2, 0, user_hand.HELDOUT_SAMPLES)
    drawn = drawn[np.lexsort((np.arange(len(labels)), labels))] / 255
    assert np.abs(x[..., 0] - drawn).mean() < 0.1  # the PNG and --images' preparation change little
    # The probes within the hand: fitted on one of each class's two letters, scored on the other, and back.
    halves = []
    score = lambda z_fit, y_fit, z_score, y_score: (
        halves.append((np.bincount(y_fit), np.bincount(y_score))) or 0.5
    )
    assert user_hand.halves_accuracy(score, x, y) == 0.5
    assert len(halves) == 2 and all((counts == 1).all() for half in halves for counts in half)
