"""A hand's style from its letters (style.py), what a letter looks like in numbers (attributes.py)
and the likeness benchmark's measures (bench/likeness.py)."""

import sys

import keras
import numpy as np
import pytest
from scipy import ndimage

import attributes
import common
import style
import training
from conftest import REPO, blobs
from synthetic_letters import make_hand

sys.path.insert(0, str(REPO / "bench"))
import likeness  # noqa: E402


def toy_vae(num_classes=3, latent_dim=4):
    keras.utils.set_random_seed(0)
    config = common.ModelConfig(latent_dim=latent_dim, hidden=16, num_classes=num_classes)
    return common.build_vae(config, seed=0)


# ----------------------------------------------------------------------------
# The product of Gaussians


def test_a_precise_letter_outweighs_a_vague_one():
    means = np.array([[1.0, 1.0], [-1.0, -1.0]])
    log_vars = np.log([[0.01, 0.01], [1.0, 1.0]])
    combined = style.product_of_gaussians(means, log_vars, prior=False)
    assert combined.mean == pytest.approx(np.full(2, (100 - 1) / 101), abs=1e-6)  # near the precise one
    assert combined.variance == pytest.approx(np.full(2, 1 / 101), rel=1e-5)
    # The mean of the means would have said 0: the two letters counted the same.
    assert np.all(combined.mean > 0.9)


def test_k_identical_letters_sharpen_the_style_and_the_prior_pulls_to_zero():
    mean, log_var = np.array([[2.0, -1.0]]), np.log([[0.5, 0.5]])
    one = style.product_of_gaussians(mean, log_var)
    eight = style.product_of_gaussians(np.repeat(mean, 8, 0), np.repeat(log_var, 8, 0))
    assert one.variance == pytest.approx(np.full(2, 1 / 3))  # precision 2 (the letter) + 1 (the prior)
    assert eight.variance == pytest.approx(np.full(2, 1 / 17))
    assert one.mean == pytest.approx(mean[0] * 2 / 3)
    assert eight.mean == pytest.approx(mean[0] * 16 / 17)  # more letters: nearer the letters' own code
    assert eight.letters == 8


def test_without_letters_or_prior_is_refused():
    with pytest.raises(ValueError, match="no expert"):
        style.product_of_gaussians(np.zeros((0, 2)), np.zeros((0, 2)), prior=False)
    with pytest.raises(ValueError, match=r"\(k, d\)"):
        style.product_of_gaussians(np.zeros(2), np.zeros(2))


def test_infer_style_is_the_product_of_the_encoders_posteriors():
    vae = toy_vae()
    images = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    labels = np.array([0, 1, 2])
    means, log_vars = style.encode_posteriors(vae, images, labels)
    inferred = style.infer_style(vae, images, labels)
    expected = style.product_of_gaussians(means, log_vars)
    assert inferred.mean == pytest.approx(expected.mean, abs=1e-6)
    assert inferred.letters == 3


def test_refining_raises_the_references_likelihood():
    vae = toy_vae()
    images = (np.random.default_rng(1).random((2, 28, 28)) < 0.2).astype(np.float32)
    labels = np.array([0, 1])
    start = style.infer_style(vae, images, labels)
    refined = style.infer_style(vae, images, labels, refine_steps=20)

    def objective(z):  # what refine maximises, as a loss
        zs = np.repeat(z[None], 2, 0)
        return style.negative_log_likelihood(vae, images, labels, zs).sum() + 0.5 * np.sum(z**2)

    assert objective(refined.mean) < objective(start.mean)


# ----------------------------------------------------------------------------
# The benchmark's measures


def test_share_is_0_for_the_average_hand_and_1_for_the_oracle():
    """Fed through the model itself: the style z = 0 gives 0, each letter's own code gives 1."""
    vae = toy_vae()
    x = blobs(96, seed=2)
    labels = np.arange(96) % 3
    training.compile_vae(vae)
    vae.fit(training.training_dataset(x, labels, 32, steps_per_chunk=3), epochs=15, verbose=0, shuffle=False)
    images, labels = x[:3, ..., 0], labels[:3]
    oracle = style.encode_posteriors(vae, images, labels)[0]
    nll_zero = style.negative_log_likelihood(vae, images, labels, np.zeros_like(oracle))
    nll_oracle = style.negative_log_likelihood(vae, images, labels, oracle)
    assert likeness.share_recovered(nll_zero, nll_zero, nll_oracle) == 0
    assert likeness.share_recovered(nll_zero, nll_oracle, nll_oracle) == 1
    halfway = (nll_zero + nll_oracle) / 2
    assert likeness.share_recovered(nll_zero, halfway, nll_oracle) == pytest.approx(0.5)


def test_writer_identification_finds_a_hand_by_its_attributes_and_not_by_chance():
    rng = np.random.default_rng(0)
    candidates = rng.normal(size=(20, 5))
    assert likeness.writer_id_accuracy(candidates + rng.normal(0, 0.05, (20, 5)), candidates) == 1
    assert likeness.writer_id_accuracy(rng.normal(size=(20, 5)), candidates) < 0.3


def test_a_hands_profile_is_its_letters_relative_to_their_classes():
    features = np.array([[1.0, 0.0], [3.0, 2.0]])
    means = np.array([[0.5, 0.0], [2.0, 1.0]])
    assert likeness.hand_profile(features, np.array([0, 1]), means) == pytest.approx([0.75, 0.5])


# ----------------------------------------------------------------------------
# Attributes, and the changes the real-digit tests make


def stroke(width, slant=0.0):
    """A vertical bar `width` px wide, 20 tall, leaning `slant` px right per px up."""
    image = np.zeros((28, 28), np.float32)
    for row in range(4, 24):
        centre = 14 + slant * (14 - row)
        left = int(round(centre - width / 2))
        image[row, left : left + width] = 1
    return image


def test_slant_and_stroke_width_read_what_was_drawn():
    assert attributes.slant(stroke(3))[0] == pytest.approx(0, abs=0.02)
    assert attributes.slant(stroke(3, 0.3))[0] == pytest.approx(0.3, abs=0.05)
    assert attributes.slant(stroke(3, -0.3))[0] == pytest.approx(-0.3, abs=0.05)
    thin, thick = attributes.stroke_width(np.stack([stroke(2), stroke(4)]))
    assert thin == pytest.approx(2, abs=0.4) and thick == pytest.approx(4, abs=0.6)
    assert attributes.ink_box(stroke(3))[0] == pytest.approx([20, 3])


def test_shear_and_pen_change_a_real_looking_digit_by_a_known_amount():
    upright = ndimage.gaussian_filter(stroke(3), 0.5)
    assert attributes.slant(likeness.shear(upright, 0.3))[0] - attributes.slant(upright)[0] == pytest.approx(
        0.3, abs=0.06
    )
    widths = attributes.stroke_width(np.stack([likeness.pen(upright, step) for step in (-1, 0, 1)]))
    assert widths[0] < widths[1] < widths[2]


def test_hands_keep_their_slant_across_letters():
    """The simulated hands the benchmark uses differ from each other more than a hand's letters do."""
    profiles = [attributes.slant(make_hand("AHLT", 1, seed, 1)[0]).mean() for seed in likeness.HAND_SEEDS[:6]]
    within = np.std(
        attributes.slant(make_hand("AHLT", 1, likeness.HAND_SEEDS[0], 1)[0])
        - attributes.slant(make_hand("AHLT", 1, likeness.HAND_SEEDS[0], 2)[0])
    )
    assert np.std(profiles) > within
