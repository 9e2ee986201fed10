"""Evaluation on a test split sorted by class, as the official EMNIST test split is."""

import numpy as np
import pytest

import common
import evaluation


def sorted_test_split(classes=26, per_class=40, seed=0):
    """Images sorted by class whose amount of ink grows with the class, so the per-class loss differs."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(classes), per_class)
    ink = (labels[:, None, None] + 1) / (classes + 1)
    images = (rng.random((len(labels), 28, 28)) < ink).astype(np.float32)[..., None]
    return images, labels


def test_stratified_subset_covers_every_class_in_proportion():
    labels = np.repeat(np.arange(26), [800] * 13 + [400] * 13)
    subset = evaluation.stratified_subset(labels, 1000, seed=3)
    counts = np.bincount(labels[subset], minlength=26)
    assert len(subset) == 1000 and len(set(subset)) == 1000
    assert counts[:13].min() >= 51 and counts[13:].max() <= 26  # 800:400 → about 51:26 each
    np.testing.assert_array_equal(
        subset, evaluation.stratified_subset(labels, 1000, seed=3)
    )  # the seed decides
    assert not np.array_equal(subset, evaluation.stratified_subset(labels, 1000, seed=4))
    assert len(evaluation.stratified_subset(labels, 0)) == len(labels)  # 0 = all


def test_shown_images_come_from_every_class_not_the_first_ones():
    labels = np.repeat(np.arange(26), 800)
    shown = evaluation.one_per_class(labels, 12, seed=0)
    assert len(set(labels[shown])) == 12
    assert (
        len(set(np.repeat(np.arange(5), 10)[evaluation.one_per_class(np.repeat(np.arange(5), 10), 12)])) == 5
    )


@pytest.mark.slow
def test_iwae_on_the_subset_agrees_with_the_elbo_on_the_whole_sorted_test_split():
    common.keras.utils.set_random_seed(0)
    vae = common.build_vae(common.ModelConfig(latent_dim=2), seed=0)
    logits = vae.decoder.get_layer("logits")
    logits.bias.assign(np.full(logits.bias.shape, -3.0, np.float32))  # expects blank paper: ink costs nats
    x, y = sorted_test_split()
    whole = evaluation.negative_elbo(vae, x, y, 128)["loss"]
    subset = evaluation.stratified_subset(y, 520, seed=0)
    k1, _ = evaluation.iwae_nll(vae, x[subset], y[subset], k=1, seed=0)
    first, _ = evaluation.iwae_nll(vae, x[:520], y[:520], k=1, seed=0)  # the old way: the first letters only
    assert k1 == pytest.approx(whole, abs=2.5)
    assert abs(first - whole) > 20  # the test can tell: the first images are not a sample
