"""The model: the variational autoencoder, read top to bottom.

    the backend (TensorFlow, quietly, unless KERAS_BACKEND names another) → the model (the
    encoder and decoder builders, the losses, the priors, one class each: N(0, I), the
    VampPrior, a mixture of Gaussians; the VAE with its style penalties, the two-layer
    LadderVAE, building from a settings.ModelConfig, safe reload)

The VAE is a keras.Model whose loss is Keras 3's compute_loss hook, so each backend's own
train_step and test_step train and validate it (training.py runs TensorFlow's over chunks of
minibatches); it may be conditional, i.e. given the character's class as well as the image. The
data loaders live in loaders.py (NumPy only, no TensorFlow), training in training.py, the
metrics in evaluation.py, the whole run in experiment.py, the command line in cli.py and the
pictures in figures.py. Only TensorFlow code is guarded by `tf is not None`.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ INFO and WARNING lines
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
BACKEND = os.environ["KERAS_BACKEND"]  # fixed when Keras loads: "tensorflow", "jax" or "torch"

import math
import sys
import tempfile
import typing
from pathlib import Path

import numpy as np

from files import UserError
from settings import ModelConfig  # noqa: F401  (the model's options: common.ModelConfig for callers)


def _import_tensorflow_quietly():
    """TensorFlow 2.21 writes oneDNN, CUDA and CPU-feature notes to standard error while it
    loads, before any setting can silence them. Send that stream to a file for the import
    alone; show everything it caught if the import fails, and any line that is not one of
    those notes (an error, a warning) even when it succeeds."""
    notes = ("WARNING: All log messages before absl::InitializeLog()", "I0000 ", "To enable the following instructions")
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        for line in captured.read().decode(errors="replace").splitlines(keepends=True):
            if not line.startswith(notes):
                sys.stderr.write(line)
    return tensorflow


# TensorFlow only where it is the backend: on JAX or PyTorch nothing may load it (a GPU box may lack it).
tf = _import_tensorflow_quietly() if BACKEND == "tensorflow" else None
import keras
from keras import layers, ops

if tf is None:
    # Keras loads TensorFlow wherever it is installed, whatever the backend (set_random_seed seeds
    # tf.random for tf.data, ~4 s and 0.5 GB): make it see none, as on a machine without it.
    from keras.src.utils import module_utils

    module_utils.tensorflow._available = False


# ----------------------------------------------------------------------------
# Model
#
# The encoder maps an image to the mean and log-variance of q(z|x); the decoder maps a
# latent point to 784 Bernoulli logits. Keeping logits (not sigmoid outputs) lets the
# reconstruction loss use the numerically stable fused form of binary cross-entropy.
# A conditional model (num_classes > 0) also gets the character's class, as a one-hot
# vector joined at the first dense layer of both halves (Kingma et al. 2014, Sohn et al.
# 2015): the class then says *which* character, so z is free to hold only *how* it is written.
# The model's options are settings.ModelConfig, declared there once with the command line's.

LOG_VAR_LIMIT = 10.0  # |log σ²| ≤ 10 keeps exp() finite and the KL term sane
LOG_2PI = math.log(2.0 * math.pi)


def clip_log_var(log_var):
    return ops.clip(log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)


def draw_normal(mean, log_var, seed_generator, k=None):
    """z = mean + σ·ε with ε ~ N(0, I), the reparameterisation trick; k: that many draws, (k, *mean's shape)."""
    shape = ops.shape(mean) if k is None else (k, *ops.shape(mean))
    return mean + ops.exp(0.5 * log_var) * keras.random.normal(shape, seed=seed_generator)


@keras.saving.register_keras_serializable(package="vae")
class Sampling(layers.Layer):
    """Draw z = z_mean + σ·ε with ε ~ N(0, I); the VAE keeps one for its seed generator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        return draw_normal(*inputs, self.seed_generator)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _with_class(h, config):
    """The layer's inputs and h joined with the one-hot class, for a conditional model."""
    if not config.num_classes:
        return [], h
    one_hot = keras.Input((config.num_classes,), name="class")
    return [one_hot], layers.Concatenate()([h, one_hot])


def _network(first_input, class_input, outputs, name):
    """A functional model of first_input, and the class where the model is conditional."""
    return keras.Model([first_input, *class_input] if class_input else first_input, outputs, name=name)


def build_encoder(config):
    images = keras.Input((28, 28, 1), name="image")
    if config.arch == "conv":
        h = layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(images)
        h = layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(h)
        class_input, h = _with_class(layers.Flatten()(h), config)
        h = layers.Dense(config.hidden // 2, activation="relu")(h)
    else:
        class_input, h = _with_class(layers.Flatten()(images), config)
        h = layers.Dense(config.hidden, activation="relu")(h)
    z_mean = layers.Dense(config.latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(config.latent_dim, name="z_log_var")(h)
    return _network(images, class_input, [z_mean, z_log_var], "encoder")


def build_decoder(config):
    z = keras.Input((config.latent_dim,), name="z")
    class_input, h = _with_class(z, config)
    if config.arch == "conv":
        h = layers.Dense(config.hidden // 2, activation="relu")(h)
        h = layers.Dense(7 * 7 * 64, activation="relu")(h)
        h = layers.Reshape((7, 7, 64))(h)
        h = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(h)
        logits = layers.Conv2DTranspose(1, 4, strides=2, padding="same", name="logits")(h)
    else:
        h = layers.Dense(config.hidden, activation="relu")(h)
        h = layers.Dense(28 * 28, name="logits")(h)
        logits = layers.Reshape((28, 28, 1))(h)
    return _network(z, class_input, logits, "decoder")


def build_adversary(config):
    """The style adversary: a small classifier that tries to name the class from z_mean."""
    z = keras.Input((config.latent_dim,), name="z")
    h = layers.Dense(64, activation="relu")(z)
    return keras.Model(z, layers.Dense(config.num_classes, name="class_logits")(h), name="adversary")


def reverse_gradient(z, weight):
    """z going forward; −weight × the gradient going back (Ganin & Lempitsky 2015)."""
    return -weight * z + (1.0 + weight) * ops.stop_gradient(z)


# The inverse multiquadratic kernel's scales, times 2·latent_dim (Tolstikhin et al. 2018, WAE):
# a sum over scales needs no tuned bandwidth, and its heavy tails still see far-apart codes.
MMD_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def class_mmd(z, labels, num_classes):
    """How much the class shows in a minibatch of style codes z (batch, d): Σ_c (n_c/n) MMD²(z of
    class c, all z), the penalty of the variational fair autoencoder (Louizos et al. 2016). It is
    0 when every class's codes are spread like all codes. z is standardised over the minibatch
    first, so that shrinking z cannot hide the class (the kernel would stop seeing it)."""
    z = (z - ops.mean(z, axis=0)) / ops.sqrt(ops.var(z, axis=0) + 1e-4)
    distances = ops.sum(ops.square(z[:, None, :] - z[None, :, :]), axis=-1)
    kernel = sum(c / (c + distances) for c in (2.0 * z.shape[-1] * s for s in MMD_SCALES))
    one_hot = ops.one_hot(ops.cast(labels, "int32"), num_classes)  # (batch, classes)
    n = ops.cast(ops.shape(z)[0], "float32")
    count = ops.sum(one_hot, axis=0)
    with_class = ops.matmul(kernel, one_hot)  # [i, c]: Σ over j of class c of k(z_i, z_j)
    within = ops.sum(one_hot * with_class, axis=0) / ops.square(ops.maximum(count, 1.0))
    across = ops.sum(with_class, axis=0) / (ops.maximum(count, 1.0) * n)
    mmd = within - 2.0 * across + ops.sum(kernel) / ops.square(n)
    return ops.sum(ops.where(count > 0, count / n * mmd, 0.0))


def reconstruction_loss(x, logits):
    """−log p(x|z) per image: binary cross-entropy summed over the pixels, from logits."""
    bce = ops.relu(logits) - logits * x + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.sum(ops.reshape(bce, (ops.shape(x)[0], -1)), axis=1)


def kl_divergence(z_mean, z_log_var):
    """KL(N(z_mean, σ²) ‖ N(0, I)) per image, in closed form."""
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


def log_normal(z, mean, log_var):
    """log N(z; mean, diag exp(log_var)), summed over the last axis (broadcasting the others)."""
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)


def free_bits_kl(kl, floor):
    """Free bits (Kingma et al. 2016): a layer's KL (batch,) counts as at least `floor` nats on
    the minibatch's mean. While that mean is below the floor every image's term is the floor,
    a constant, so no gradient pushes the layer's KL lower; above it, each image's own KL. The
    minibatch mean of the result is max(floor, mean KL), Kingma et al.'s objective."""
    return ops.where(ops.mean(kl) < floor, floor * ops.ones_like(kl), kl)


# ----------------------------------------------------------------------------
# Priors: p(z), one class each, chosen by name (--prior) in PRIORS
#
# A prior creates its variables on the model (so they are saved with it) and answers what the
# model, the evaluation, the figures and the page ask of it. Adding a prior is adding a class
# here and its name to settings.ModelConfig's --prior choices (and its options, if any).


class NormalPrior:
    """p(z) = N(0, I): its KL from a Gaussian posterior has a closed form."""

    name, options, learned = "normal", (), False
    kl_estimate = "closed form, KL(q(z|x) ‖ N(0, I))"

    def __init__(self, latent_dim):
        self.latent_dim = latent_dim

    def build(self, vae):
        """Create the prior's variables on the model, which saves them."""

    def get_config(self):
        return {name: getattr(self, name) for name in self.options}

    def describe(self):
        """The prior in a few words, for the summary, the page and the figures."""
        return "N(0, I)"

    def start(self, vae, images, seed):
        """Set the prior's starting values from training images (nothing to set for N(0, I))."""

    def log_prob(self, vae, z):
        """log p(z) over z's last axis."""
        return -0.5 * ops.sum(ops.square(z) + LOG_2PI, axis=-1)

    def kl(self, posterior, log_qz, log_pz):
        """KL(q(z|x) ‖ p(z)) per image, given q's (mean, log-variance) and log q, log p of draws z ~ q
        (draws, batch): here in closed form, which needs no draws."""
        return kl_divergence(*posterior)

    def sample(self, vae, n, seed=0):
        """n draws (n, latent_dim) of z ~ p(z), as numpy."""
        return np.random.default_rng(seed).standard_normal((n, self.latent_dim))

    def markers(self, vae):
        """Points of the latent space the scatter plot marks, and their name (None: nothing to mark)."""
        return None, None


class MixturePrior(NormalPrior):
    """A learned mixture of diagonal Gaussians, p(z) = Σ_k π_k N(z; μ_k, σ_k²). Its KL has no closed
    form: it is the Monte Carlo estimate log q(z|x) − log p(z), averaged over the draws."""

    learned = True
    kl_estimate = "one-sample Monte Carlo estimate, log q(z|x) − log p(z) with z ~ q(z|x)"
    marker_name = "components' means"

    def components(self, vae):
        """(means, log-variances) (K, latent_dim) and log-weights (K,) of the mixture."""
        raise NotImplementedError

    def log_prob(self, vae, z, components=None):
        """components: components(vae), when the caller has them already."""
        means, log_vars, log_weights = components if components is not None else self.components(vae)
        return ops.logsumexp(log_weights + log_normal(ops.expand_dims(z, -2), means, log_vars), axis=-1)

    def kl(self, posterior, log_qz, log_pz):
        return ops.mean(log_qz - log_pz, axis=0)

    def sample(self, vae, n, seed=0):
        """A component k ~ π, then z from it."""
        means, log_vars, log_weights = (ops.convert_to_numpy(t).astype(np.float64) for t in self.components(vae))
        rng = np.random.default_rng(seed)
        weights = np.exp(log_weights - log_weights.max())
        k = rng.choice(len(means), size=n, p=weights / weights.sum())
        return means[k] + np.exp(0.5 * log_vars[k]) * rng.standard_normal((n, self.latent_dim))

    def markers(self, vae):
        return ops.convert_to_numpy(self.components(vae)[0]), self.marker_name


class VampPrior(MixturePrior):
    """The VampPrior (Tomczak & Welling 2018): p(z) = (1/K) Σ_k q(z | u_k), the encoder's own
    posteriors of K learned pseudo-inputs u_k, images kept in [0, 1] as the sigmoid of a
    trainable variable, started at random training images."""

    name, options = "vamp", ("pseudo_inputs",)
    marker_name = "pseudo-inputs' means"

    def __init__(self, latent_dim, pseudo_inputs):  # K: settings.model_defaults says how many by default
        super().__init__(latent_dim)
        self.pseudo_inputs = pseudo_inputs

    def build(self, vae):
        self.logits = vae.add_weight(shape=(self.pseudo_inputs, 28, 28, 1), initializer="zeros", name="pseudo_inputs")

    def describe(self):
        return f"the VampPrior with {self.pseudo_inputs} pseudo-inputs"

    def images(self):
        """The pseudo-inputs u_k, images (K, 28, 28, 1) in [0, 1]."""
        return ops.sigmoid(self.logits)

    def set_images(self, images):
        """Start the pseudo-inputs at these images (K, 28, 28, 1) in [0, 1]."""
        images = np.clip(np.asarray(images, np.float32), 0.01, 0.99)  # a finite logit for black and white pixels
        self.logits.assign(np.log(images / (1.0 - images)))

    def start(self, vae, images, seed):
        rng = np.random.default_rng(seed)
        self.set_images(images[rng.choice(len(images), self.pseudo_inputs, replace=self.pseudo_inputs > len(images))])

    def components(self, vae):
        means, log_vars = vae.encode(self.images())
        return means, log_vars, ops.full((self.pseudo_inputs,), -math.log(self.pseudo_inputs))


class MixtureOfGaussians(MixturePrior):
    """A mixture of K Gaussians with learned means, variances and weights: the standard baseline
    between N(0, I) and the VampPrior (its components live in z, not in image space)."""

    name, options = "mog", ("prior_components",)

    def __init__(self, latent_dim, prior_components):  # K: settings.model_defaults says how many by default
        super().__init__(latent_dim)
        self.prior_components = prior_components

    def build(self, vae):
        shape = (self.prior_components, self.latent_dim)
        self.means = vae.add_weight(shape=shape, initializer=keras.initializers.RandomNormal(stddev=1.0), name="prior_means")
        self.log_vars = vae.add_weight(shape=shape, initializer="zeros", name="prior_log_vars")
        self.weight_logits = vae.add_weight(shape=(self.prior_components,), initializer="zeros", name="prior_weights")

    def describe(self):
        return f"a mixture of {self.prior_components} Gaussians"

    def components(self, vae):
        return self.means, clip_log_var(self.log_vars), ops.log_softmax(self.weight_logits)


PRIORS = {prior.name: prior for prior in (NormalPrior, VampPrior, MixtureOfGaussians)}


def make_prior(name, latent_dim, options):
    """The prior called `name` (settings' --prior), with those of `options` that it takes."""
    prior = PRIORS[name]
    return prior(latent_dim, **{option: options[option] for option in prior.options if options.get(option) is not None})


# ----------------------------------------------------------------------------
# The VAE


class LatentLayer(typing.NamedTuple):
    """One stochastic layer of a model, for its KL, free bits and statistics."""

    key: str  # "z"; "z2" and "z1" in the ladder
    name: str  # how metrics.json and the summary name it
    means: object  # posterior means (batch, dims)
    kl: object  # KL(q ‖ p) per image (batch,)
    dims: int


@keras.saving.register_keras_serializable(package="vae")
class VAE(keras.Model):
    """A variational autoencoder trained on the negative ELBO = reconstruction + β·KL, or
    with train_k > 1 on the negative importance-weighted bound (IWAE, Burda et al. 2016).

    Its data are images or, for a conditional model, (images, labels) pairs. During
    KL warm-up the training loss uses the current KL weight, but the validation loss (which
    picks the best epoch) always uses the final β, so epochs compare on one objective.

    The prior p(z) is one of PRIORS (`prior`, a name, and its options): N(0, I), the VampPrior
    or a learned mixture of Gaussians.

    A conditional VAE may have a style adversary (`adversary`, weight W > 0; Lample et al.
    2017): a classifier that learns to name the class from z_mean, while the encoder gets its
    gradient reversed and scaled by W, so it learns to leave the class out of the style code.
    Its cross-entropy is added to the training loss; "loss" (and so early stopping) stays
    the −ELBO, and its accuracy is logged as "adversary_accuracy".

    It may also have an MMD penalty (`style_mmd`, weight M > 0; class_mmd): M times how
    differently each class's z_means spread in the minibatch from all of them, added to the
    training loss. Where the adversary can be fooled (it reads z one way; the encoder hides the
    class another way), this measures the difference itself.
    """

    def __init__(self, encoder, decoder, beta=1.0, seed=None, prior="normal", pseudo_inputs=None,
                 prior_components=None, train_k=1, adversary=None, adversary_weight=0.0, free_bits=0.0, style_mmd=0.0,
                 arch=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim = decoder.inputs[0].shape[-1]
        self.num_classes = decoder.inputs[1].shape[-1] if len(decoder.inputs) > 1 else 0
        self.conditional = self.num_classes > 0
        # Models saved before the architecture was part of their config: a Conv2D tells conv from dense.
        self.arch = arch or ("conv" if any(isinstance(layer, layers.Conv2D) for layer in encoder.layers) else "dense")
        self.beta, self.seed, self.free_bits = beta, seed, float(free_bits)
        self.sampling = Sampling(seed)
        # The KL weight lives in a variable so that KL warm-up can change it between epochs
        # without retracing the compiled training step.
        self.kl_weight = self.add_weight(shape=(), initializer=keras.initializers.Constant(beta),
                                         trainable=False, name="kl_weight")
        self.prior = make_prior(prior, self.latent_dim, {"pseudo_inputs": pseudo_inputs,
                                                         "prior_components": prior_components})
        self.prior.build(self)  # after kl_weight: the variables' order is the saved files'
        self.train_k = train_k
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        # The style adversary, only where W > 0: without it the model is exactly the plain one.
        self.adversary, self.adversary_weight = adversary, float(adversary_weight)
        if adversary is not None:
            self.adversary_tracker = keras.metrics.Mean(name="adversary_accuracy")
        self.style_mmd = float(style_mmd)

    def build(self, input_shape=None):
        self.built = True  # the encoder and decoder are functional models, built already

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]
        return trackers + ([self.adversary_tracker] if self.adversary is not None else [])

    # ------------------------------------------------------------------------
    # What the model is, in words: the console, metrics.json, the page and the results table print these

    def describe(self):
        """The model in one line, naming what differs from a plain VAE, e.g. 'conditional conv, latent
        dim 16, style adversary W = 10, MMD penalty M = 30' or 'dense, latent dim 2, the VampPrior with
        100 pseudo-inputs (KL: one-sample estimate), trained on the IWAE bound (k = 5)'."""
        parts = [f"{'conditional ' if self.conditional else ''}{self.arch}, latent dim {self.latent_dim}"]
        if self.prior.learned:
            parts.append(f"{self.prior.describe()} (KL: one-sample estimate)")
        if self.beta != 1:
            parts.append(f"β = {self.beta:g}")
        if self.train_k > 1:
            parts.append(f"trained on the IWAE bound (k = {self.train_k})")
        if self.free_bits:
            parts.append(f"free bits {self.free_bits:g} nats per dimension")
        if self.adversary is not None:
            parts.append(f"style adversary W = {self.adversary_weight:g}")
        if self.style_mmd:
            parts.append(f"MMD penalty M = {self.style_mmd:g}")
        return ", ".join(parts)

    def training_loss_name(self):
        """Which bound the training and validation loss columns of history.csv are."""
        if self.train_k > 1:
            return f"negative IWAE bound with k = {self.train_k} importance samples (Burda et al. 2016)"
        if self.free_bits:
            return f"negative ELBO with free bits, each layer's KL counted as at least {self.free_bits:g} nats per dimension"
        return "negative ELBO (reconstruction + β·KL)"

    def kl_estimate(self):
        """How the KL column was computed, for metrics.json and the page."""
        return self.prior.kl_estimate

    # ------------------------------------------------------------------------
    # Encoding and decoding

    def _inputs(self, first, labels):
        if not self.conditional:
            return first
        if labels is None:
            raise ValueError("a conditional VAE needs the class of every image")
        # Keras will not call a layer on a mix of NumPy arrays and tensors: make both tensors.
        return [ops.convert_to_tensor(first), ops.one_hot(ops.cast(labels, "int32"), self.num_classes)]

    def encode(self, x, labels=None):
        """q(z|x)'s mean and log-variance (the ladder's encoder gives its features too: not needed here)."""
        z_mean, z_log_var = self.encoder(self._inputs(x, labels))[:2]
        return z_mean, clip_log_var(z_log_var)

    def decode_logits(self, z, labels=None):
        return self.decoder(self._inputs(z, labels))

    def decode(self, z, labels=None):
        return ops.sigmoid(self.decode_logits(z, labels))

    def call(self, inputs, training=False):
        """The reconstruction of x (or of (x, labels)) from its z_mean, as pixel intensities.

        fit's step calls it for y_pred, which compute_loss does not use: XLA (JAX, and TensorFlow's
        dense model) and TensorFlow's graph pruning drop that pass (measured: no slower). With --hands
        inputs may carry targets after (images, labels) (compute_loss): the reconstruction ignores them."""
        x, labels = inputs[:2] if isinstance(inputs, (tuple, list)) else (inputs, None)
        return self.decode(self.encode(x, labels)[0], labels)

    def adversary_loss(self, z_mean, labels):
        """The style adversary's cross-entropy per image and whether it named the class (1/0).

        It reads z_mean, the style code that --style-from, the analogies and the leakage probes
        use. Its own weights learn to lower the cross-entropy; the encoder, through the
        reversed gradient, learns to raise it, W times as strongly."""
        logits = self.adversary(reverse_gradient(z_mean, self.adversary_weight))
        labels = ops.cast(labels, "int32")
        cross_entropy = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        return cross_entropy, ops.cast(ops.equal(ops.cast(ops.argmax(logits, axis=-1), "int32"), labels), "float32")

    # ------------------------------------------------------------------------
    # The losses

    def draw(self, x, labels, k, seed_generator, targets=None):
        """k draws z ~ q(z|x) per image and the terms of the bounds: log p(x|z), log p(z) and
        log q(z|x), each (k, batch) (exp(log p(x|z) + log p(z) − log q(z|x)) are the importance
        weights), and the stochastic layers (LatentLayer), here the one z.

        targets: (images, labels) to decode instead of (x, labels), the transfer objective of --hands:
        log p(target | z, target's class) with z ~ q(z | x, x's class), so that z must carry what
        the two letters share, their hand. None: x itself, the ELBO."""
        z_mean, z_log_var = self.encode(x, labels)
        z = draw_normal(z_mean, z_log_var, seed_generator, k)  # (k, batch, d)
        x, labels = (x, labels) if targets is None else targets  # what is decoded: from here on, the target
        repeated_labels = None if labels is None else ops.reshape(ops.tile(labels[None], (k, 1)), (-1,))
        logits = self.decode_logits(ops.reshape(z, (-1, self.latent_dim)), repeated_labels)
        repeated = ops.reshape(ops.tile(x[None], (k, 1, 1, 1, 1)), (-1, 28, 28, 1))
        log_pz, log_qz = self.prior.log_prob(self, z), log_normal(z, z_mean, z_log_var)
        return {"log_px_given_z": -ops.reshape(reconstruction_loss(repeated, logits), (k, -1)),
                "log_pz": log_pz, "log_qz": log_qz,
                "layers": [LatentLayer("z", "z", z_mean, self.prior.kl((z_mean, z_log_var), log_qz, log_pz),
                                       self.latent_dim)]}

    def compute_losses(self, x, labels, kl_weight=1.0, training=False, targets=None):
        """The per-image terms, each (batch,), as a dict (targets: see draw; the reconstruction is then the target's):

        reconstruction  −log p(x|z), for z ~ q(z|x) (the mean over the train_k draws)
        kl              KL(q(z|x) ‖ p(z)), summed over the stochastic layers, as the prior computes it
                        (closed form for N(0, I), else the Monte Carlo estimate); kl_<layer> each apart
        loss            what training minimises (negative_bound)
        z_mean          q's mean, the style code that a style adversary reads
        """
        d = self.draw(x, labels, self.train_k, self.sampling.seed_generator, targets)
        terms = {"reconstruction": -ops.mean(d["log_px_given_z"], axis=0), "kl": sum(layer.kl for layer in d["layers"]),
                 "loss": self.negative_bound(d, kl_weight, training), "z_mean": d["layers"][0].means}
        return {**terms, **{f"kl_{layer.key}": layer.kl for layer in d["layers"]}}

    def negative_bound(self, d, kl_weight, training):
        """The training objective per image, from draw()'s terms:

        train_k = 1: the negative ELBO, reconstruction + kl_weight·KL; while training with free bits
                     (λ > 0) each layer's KL counts as at least λ nats per dimension of that layer on
                     the minibatch's mean (free_bits_kl); validation and evaluation keep the −ELBO.
        train_k = K: −log (1/K) Σ_i p(x|z_i) (p(z_i)/q(z_i|x))^kl_weight over the K draws, the
                     negative IWAE bound (Burda et al. 2016)."""
        if self.train_k > 1:
            log_ratio = d["log_pz"] - d["log_qz"]
            return math.log(self.train_k) - ops.logsumexp(d["log_px_given_z"] + kl_weight * log_ratio, axis=0)
        floored = training and self.free_bits
        penalty = sum(free_bits_kl(layer.kl, self.free_bits * layer.dims) if floored else layer.kl
                      for layer in d["layers"])
        return -d["log_px_given_z"][0] + kl_weight * penalty

    def layer_statistics(self, x, labels=None):
        """[(name, posterior means (batch, dims), KL (batch,))] for each stochastic layer, top first,
        from one draw: metrics.json's active units and KL per layer."""
        return [(layer.name, layer.means, layer.kl)
                for layer in self.draw(x, labels, 1, self.sampling.seed_generator)["layers"]]

    def _update_metrics(self, terms):
        self.loss_tracker.update_state(terms["loss"])
        self.reconstruction_tracker.update_state(terms["reconstruction"])
        self.kl_tracker.update_state(terms["kl"])

    def _results(self):
        results = {metric.name: metric.result() for metric in self.metrics}
        if tf is not None and isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3.15 averages multi-worker logs along axis 0, which a scalar lacks.
            results = {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Keras 3's loss hook, which each backend's own train_step and test_step call (JAX's
        statelessly, with the metrics' variables mapped in, so the trackers update there too).

        x: a minibatch of images, or (images, labels), or with --hands (images, labels, target
        images, target labels), each image's code then decoding its target (draw). Training minimises
        the mean loss at the warm-up's KL weight, plus the style adversary's cross-entropy and the MMD
        penalty, both on the input's code and class; the validation loss (its metrics) uses the full
        objective, β."""
        images, labels, *targets = x if isinstance(x, (tuple, list)) else (x, None)
        terms = self.compute_losses(images, labels, self.kl_weight if training else self.beta, training=training,
                                    targets=targets or None)
        self._update_metrics(terms)
        loss = ops.mean(terms["loss"])
        if self.adversary is not None:
            cross_entropy, hits = self.adversary_loss(terms["z_mean"], labels)
            self.adversary_tracker.update_state(hits)
            loss += ops.mean(cross_entropy)
        if self.style_mmd and training:
            loss += self.style_mmd * class_mmd(terms["z_mean"], labels, self.num_classes)
        # Under tf.distribute each replica sees its share of the global batch and the gradients
        # of the replicas are summed, so each averages over the global batch.
        return loss / (tf.distribute.get_strategy().num_replicas_in_sync if tf is not None else 1)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return self._results()  # our trackers, not Keras' own "loss" (which adds the style penalties)

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "arch": self.arch,
            "beta": self.beta,
            "seed": self.seed,
            "prior": self.prior.name,
            **self.prior.get_config(),
            "train_k": self.train_k,
            "free_bits": self.free_bits,
            "style_mmd": self.style_mmd,
            **({"adversary": keras.saving.serialize_keras_object(self.adversary),
                "adversary_weight": self.adversary_weight} if self.adversary is not None else {}),
        }

    @classmethod
    def from_config(cls, config):
        for name in ("encoder", "decoder", "adversary"):
            if name in config:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


# ----------------------------------------------------------------------------
# The ladder: a hierarchical conv VAE with two stochastic layers and top-down inference


def residual_cell(h, name):
    """h + conv3×3(swish(conv3×3(swish(h)))): a pre-activation residual block, NVAE's cell
    without its batch norm and squeeze-and-excitation. Its inner convolution has half the
    channels, which halves the cell's work: on a CPU the convolutions are the whole cost."""
    channels = h.shape[-1]
    r = layers.Conv2D(channels // 2, 3, padding="same", name=f"{name}_conv1")(layers.Activation("swish")(h))
    r = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(layers.Activation("swish")(r))
    return layers.Add(name=name)([h, r])


def build_ladder(config):
    """The four networks of a LadderVAE (see its docstring): encoder, decoder, posterior, output_decoder."""
    c, width = config.lower_channels, 64
    # Bottom-up: x → h (7×7×64) → q(z2|x).
    images = keras.Input((28, 28, 1), name="image")
    h = layers.Conv2D(32, 4, strides=2, padding="same", activation="swish")(images)
    h = layers.Conv2D(width, 4, strides=2, padding="same")(h)
    features = residual_cell(h, "up_cell")
    class_input, h = _with_class(layers.Flatten()(layers.Activation("swish")(features)), config)
    h = layers.Dense(config.hidden // 2, activation="swish")(h)
    outputs = [layers.Dense(config.latent_dim, name="z_mean")(h), layers.Dense(config.latent_dim, name="z_log_var")(h),
               features]
    encoder = _network(images, class_input, outputs, "encoder")

    # Top-down: z2 → d (7×7×64) → p(z1|z2).
    z2 = keras.Input((config.latent_dim,), name="z")
    class_input, h = _with_class(z2, config)
    h = layers.Dense(config.hidden // 2, activation="swish")(h)
    h = layers.Reshape((7, 7, width))(layers.Dense(7 * 7 * width)(h))
    context = residual_cell(h, "down_cell")
    prior = layers.Conv2D(2 * c, 1, name="prior_z1")(layers.Activation("swish")(context))
    decoder = _network(z2, class_input, [prior, context], "decoder")

    # q(z1|x, z2) from both paths, as a correction to the prior's mean and log-variance (NVAE).
    up, down = keras.Input((7, 7, width), name="bottom_up"), keras.Input((7, 7, width), name="top_down")
    h = layers.Activation("swish")(layers.Concatenate()([up, down]))
    delta = layers.Conv2D(2 * c, 3, padding="same", kernel_initializer="zeros", name="posterior_z1")(h)
    posterior = keras.Model([up, down], delta, name="posterior")

    # The image from z1 and the top-down context d.
    z1 = keras.Input((7, 7, c), name="z1")
    h = layers.Conv2D(width, 3, padding="same")(layers.Concatenate()([z1, down]))
    h = layers.Activation("swish")(residual_cell(h, "out_cell"))
    h = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="swish")(h)
    logits = layers.Conv2DTranspose(1, 4, strides=2, padding="same", name="logits")(h)
    output_decoder = keras.Model([z1, down], logits, name="output_decoder")
    return encoder, decoder, posterior, output_decoder


def gaussian_kl(mean_q, log_var_q, mean_p, log_var_p):
    """KL(N(mean_q, σ_q²) ‖ N(mean_p, σ_p²)) of diagonal Gaussians, summed over all but the first axis."""
    kl = 0.5 * (log_var_p - log_var_q + (ops.exp(log_var_q) + ops.square(mean_q - mean_p)) * ops.exp(-log_var_p) - 1.0)
    return ops.sum(ops.reshape(kl, (ops.shape(kl)[0], -1)), axis=1)


@keras.saving.register_keras_serializable(package="vae")
class LadderVAE(VAE):
    """A hierarchical conv VAE with two stochastic layers and top-down inference (Sønderby et
    al. 2016; Kingma et al. 2016's bidirectional inference; NVAE, simplified): a top latent z2
    of latent_dim numbers over a spatial lower latent z1 of 7×7×c.

        inference (q)                              generation (p)

        x ─conv─conv─cell─▶ h (7×7×64)              z2 ~ p(z2): the model's prior (PRIORS)
                            │ └─dense─▶ q(z2|x)      │
                            │             │ z2       dense, cell ("decoder")
                            │             ▼          ▼
                            │  ┌─── d (7×7×64) ◀────┘   the same top-down path in q and p
                            │  │          │
                            │  │          └─1×1 conv─▶ p(z1|z2)
                            ▼  ▼                          │
            q(z1|x, z2) = p(z1|z2) + conv(h, d)           │ z1 ~ q (training), the mean of p (figures)
                            │ z1                          ▼
                            └──────────▶ conv, cell, two transposed convs (z1, d) ─▶ p(x|z1, z2)

    The posterior of z1 is the prior's mean and log-variance plus a correction that sees the
    image (h) and z2 (d), started at zero (NVAE), so the lower layer begins as its prior.

    log w = log p(x|z1,z2) + log p(z2) + log p(z1|z2) − log q(z2|x) − log q(z1|x,z2): the IWAE
    bound and --train-k use it unchanged; the KL is KL(q(z2|x) ‖ p(z2)) (closed form for
    N(0, I), else the Monte Carlo estimate) plus KL(q(z1|x,z2) ‖ p(z1|z2)) in closed form for
    the drawn z2. Free bits apply to each layer apart, λ nats per dimension of that layer.

    Everything that maps the latent space uses z2: encode() gives q(z2|x), and decode(z2) draws
    the image with z1 at its conditional prior mean. A reconstruction (call) uses both layers'
    posterior means. The model's prior (PRIORS) is the prior of z2.
    """

    def __init__(self, encoder, decoder, posterior, output_decoder, **kwargs):
        # The base class reads latent_dim and the classes from decoder's inputs (z2 and the class).
        super().__init__(encoder, decoder, **{**kwargs, "arch": "ladder"})
        self.posterior, self.output_decoder = posterior, output_decoder
        self.lower_shape = tuple(output_decoder.inputs[0].shape[1:])  # (7, 7, c)

    def kl_estimate(self):
        return (f"top z2: {self.prior.kl_estimate}; plus the lower z1's KL(q(z1|x, z2) ‖ p(z1|z2)) in closed form "
                "for one draw z2 ~ q(z2|x)")

    def _split(self, params):
        """(mean, log-variance) of z1 from a conv's 2c channels."""
        mean, log_var = ops.split(params, 2, axis=-1)
        return mean, clip_log_var(log_var)

    def decode_logits(self, z, labels=None, z1=None):
        """Logits of p(x|z1, z2), with z1 at the mean of p(z1|z2) unless it is given."""
        prior, context = self.decoder(self._inputs(z, labels))
        return self.output_decoder([self._split(prior)[0] if z1 is None else z1, context])

    def call(self, inputs, training=False):
        """The reconstruction of x (or of (x, labels)) from the posterior means of z2, then z1."""
        x, labels = inputs if isinstance(inputs, (tuple, list)) else (inputs, None)
        z_mean, _, features = self.encoder(self._inputs(x, labels))
        prior, context = self.decoder(self._inputs(z_mean, labels))
        z1_mean = self._split(prior + self.posterior([features, context]))[0]
        return ops.sigmoid(self.output_decoder([z1_mean, context]))

    def draw(self, x, labels, k, seed_generator, targets=None):
        """VAE.draw for both layers: k draws of (z2, z1) ~ q per image, top-down. log p(z) and
        log q(z|x) are both layers' sums; the layers are z2 (its KL as the prior computes it) and
        z1 (its KL from p(z1|z2) in closed form for each drawn z2, the mean over the draws).
        No targets (settings refuses --hands with the ladder): its z1 holds the input's own pixels."""
        if targets is not None:
            raise ValueError("the ladder has no transfer objective (--hands)")
        z_mean, z_log_var, features = self.encoder(self._inputs(x, labels))
        z_log_var = clip_log_var(z_log_var)
        z2 = draw_normal(z_mean, z_log_var, seed_generator, k)
        repeat = lambda t: ops.reshape(ops.tile(t[None], (k,) + (1,) * len(t.shape)), (-1, *t.shape[1:]))
        prior, context = self.decoder(self._inputs(ops.reshape(z2, (-1, self.latent_dim)),
                                                   None if labels is None else repeat(labels)))
        p_mean, p_log_var = self._split(prior)
        q_mean, q_log_var = self._split(prior + self.posterior([repeat(features), context]))
        z1 = draw_normal(q_mean, q_log_var, seed_generator)
        logits = self.output_decoder([z1, context])
        per_draw = lambda t: ops.reshape(t, (k, -1))
        flat = lambda t: ops.reshape(t, (ops.shape(t)[0], -1))
        log_pz2, log_qz2 = self.prior.log_prob(self, z2), log_normal(z2, z_mean, z_log_var)
        log_pz1 = per_draw(log_normal(flat(z1), flat(p_mean), flat(p_log_var)))
        log_qz1 = per_draw(log_normal(flat(z1), flat(q_mean), flat(q_log_var)))
        kl_z1 = per_draw(gaussian_kl(q_mean, q_log_var, p_mean, p_log_var))  # closed form, for each drawn z2
        c = self.lower_shape
        return {
            "log_px_given_z": per_draw(-reconstruction_loss(repeat(x), logits)),
            "log_pz": log_pz2 + log_pz1, "log_qz": log_qz2 + log_qz1,
            "log_pz1": log_pz1, "log_qz1": log_qz1, "kl_z1": kl_z1,
            "layers": [
                LatentLayer("z2", f"z2 (top, {self.latent_dim})", z_mean,
                            self.prior.kl((z_mean, z_log_var), log_qz2, log_pz2), self.latent_dim),
                LatentLayer("z1", f"z1 (lower, {c[0]}×{c[1]}×{c[2]})", ops.reshape(q_mean, (k, ops.shape(x)[0], -1))[0],
                            ops.mean(kl_z1, axis=0), math.prod(c)),
            ],
        }

    def get_config(self):
        return {**super().get_config(),
                "posterior": keras.saving.serialize_keras_object(self.posterior),
                "output_decoder": keras.saving.serialize_keras_object(self.output_decoder)}

    @classmethod
    def from_config(cls, config):
        for name in ("posterior", "output_decoder"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return super().from_config(config)


def build_vae(config, seed=None):
    """The model that config (a settings.ModelConfig) describes, with every variable created."""
    ladder = config.arch == "ladder"
    networks = build_ladder(config) if ladder else (build_encoder(config), build_decoder(config))
    # The adversary is built last, so encoder and decoder start from the same weights with or without it.
    adversary = dict(adversary=build_adversary(config), adversary_weight=config.style_adversary) \
        if config.num_classes and config.style_adversary > 0 else {}
    prior_options = {option: getattr(config, option) for option in PRIORS[config.prior].options}
    vae = (LadderVAE if ladder else VAE)(*networks, arch=config.arch, beta=config.beta, seed=seed, prior=config.prior,
                                         **prior_options, train_k=config.train_k, free_bits=config.free_bits,
                                         style_mmd=config.style_mmd if config.num_classes else 0.0, **adversary)
    images = ops.zeros((1, 28, 28, 1))
    vae((images, ops.zeros((1,), "int32")) if config.num_classes else images)  # create every variable now
    return vae


def load_vae(path, option="--load"):
    """Load a VAE saved by these scripts, in Keras' safe mode (stored code never runs).
    option: the command-line option that named the file, for the error messages."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{option}: {path}: no such file")
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # Keras raises many kinds for a damaged or foreign file
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise UserError(f"{option}: {path}: cannot be loaded as a model of these scripts ({reason})") from None
    if not isinstance(model, VAE):
        raise UserError(f"{option}: {path}: holds a {type(model).__name__}, not a VAE saved by these scripts")
    return model
