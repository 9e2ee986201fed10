"""A hand's style code from the letters it wrote: what --style-from, the Python API and the demo share.

Each letter x_i of class c_i gives the encoder's Gaussian q(z | x_i, c_i) = N(μ_i, σ_i²). Several
letters of one hand are combined as a product of Gaussian experts with the prior N(0, I) as one
more expert (Wu & Goodman 2018, the multimodal VAE): precisions add, and the mean is the
precision-weighted mean. A sharp, clear letter (small σ) then counts for more than a smudged one,
each further letter narrows the style, and with no letter the style is the prior's, the
model's average hand. Optionally the code is refined: a few dozen gradient steps on z that
raise log p(x_i | z, c_i) of every reference plus log p(z), from the product's mean.

Everything works on NumPy arrays in and out; TensorFlow is needed only for the refinement.
"""

import dataclasses

import numpy as np

from common import BACKEND, keras, ops, reconstruction_loss, tf
from files import UserError


@dataclasses.dataclass
class Style:
    """One hand's style code: the combined Gaussian's mean and per-dimension variance, and how many
    letters it came from. `mean` is what the decoder draws with."""

    mean: np.ndarray
    variance: np.ndarray
    letters: int


def product_of_gaussians(means, log_vars, prior=True):
    """The product of N(means[i], exp(log_vars[i])) (and of N(0, I) where prior) as a Style.

    means, log_vars: (k, d). Precisions add; the mean is the precision-weighted mean of the
    experts' means (the prior's mean is 0, so it only adds precision and pulls towards 0)."""
    means, log_vars = np.asarray(means, np.float64), np.asarray(log_vars, np.float64)
    if means.ndim != 2 or means.shape != log_vars.shape:
        raise ValueError(f"means and log_vars must both be (k, d), got {means.shape} and {log_vars.shape}")
    precisions = np.exp(-log_vars)
    precision = precisions.sum(axis=0) + (1.0 if prior else 0.0)
    if not np.all(precision > 0):
        raise ValueError("no expert: give at least one letter, or keep the prior")
    mean = (precisions * means).sum(axis=0) / precision
    return Style(mean.astype(np.float32), (1.0 / precision).astype(np.float32), len(means))


def encode_posteriors(vae, images, labels):
    """q(z | x, c)'s means and log-variances (k, d) for images (k, 28, 28) or (k, 28, 28, 1) in 0..1."""
    images = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)
    labels = np.asarray(labels, np.int32) if vae.conditional else None
    z_mean, z_log_var = vae.encode(images, labels)
    return ops.convert_to_numpy(z_mean), ops.convert_to_numpy(z_log_var)


def infer_style(vae, images, labels, refine_steps=0, learning_rate=0.05):
    """The style of a hand from its letters (images in 0..1, labels their class indices).

    The product of the letters' posteriors and the prior (product_of_gaussians); with
    refine_steps > 0, its mean then moved by that many Adam steps up the references'
    log p(x | z, c) + log p(z) (refine)."""
    if len(images) == 0:
        raise UserError("no letters to take a style from")
    style = product_of_gaussians(*encode_posteriors(vae, images, labels))
    if refine_steps:
        style.mean = refine(vae, images, labels, style.mean, refine_steps, learning_rate)
    return style


def refine(vae, images, labels, start, steps=30, learning_rate=0.05):
    """z that maximises Σ_i log p(x_i | z, c_i) + log N(z; 0, I), by `steps` Adam steps from `start`.

    The encoder's guess is amortised over every hand it saw; a few steps on this hand's own
    letters fit it better (semi-amortised inference, Kim et al. 2018)."""
    if tf is None:
        raise UserError(f"refining a style needs the TensorFlow backend (this is {BACKEND})")
    x = tf.constant(np.asarray(images, np.float32).reshape(-1, 28, 28, 1))
    labels = np.asarray(labels, np.int32) if vae.conditional else None
    z = tf.Variable(np.asarray(start, np.float32)[None])
    optimizer = keras.optimizers.Adam(learning_rate)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            logits = vae.decode_logits(tf.repeat(z, len(x), axis=0), labels)
            loss = tf.reduce_sum(reconstruction_loss(x, logits)) + 0.5 * tf.reduce_sum(tf.square(z))
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
    return z.numpy()[0]


def negative_log_likelihood(vae, images, labels, z):
    """−log p(x | z, c) per image, in nats: each image (n, 28, 28) decoded from its row of z (n, d)."""
    images = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)
    labels = np.asarray(labels, np.int32) if vae.conditional else None
    logits = vae.decode_logits(ops.convert_to_tensor(np.asarray(z, np.float32)), labels)
    return ops.convert_to_numpy(reconstruction_loss(ops.convert_to_tensor(images), logits))
