"""The model: the variational autoencoder, read top to bottom.

    Sampling → the encoder and decoder builders (dense or conv, conditional or not) → the
    losses → the VAE (its prior from priors.py, its style penalties) → build_vae from a
    settings.ModelConfig, and load_vae, safe reload

The VAE is a keras.Model whose loss is Keras 3's compute_loss hook, so each backend's own
train_step and test_step train and validate it (training.py runs TensorFlow's over chunks of
minibatches); it may be conditional, i.e. given the character's class as well as the image. The
priors p(z) are in priors.py, the two-layer LadderVAE in ladder.py, Keras and its backend in
backend.py (importing this module loads TensorFlow, quietly, unless KERAS_BACKEND names another).
The data loaders live in loaders.py (NumPy only, no TensorFlow), training in training.py, the
metrics in evaluation.py, the whole run in experiment.py, the command line in cli.py and the
pictures in figures.py. Only TensorFlow code is guarded by `tf is not None`.
"""

import dataclasses
import math
import typing
from pathlib import Path

from backend import BACKEND, keras, layers, ops, tf  # noqa: F401  (common.BACKEND, common.ops for callers)
from files import UserError
from priors import clip_log_var, log_normal, make_prior
from settings import ModelConfig, describe_model

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


def draw_normal(mean, log_var, seed_generator, k=None):
    """z = mean + σ·ε with ε ~ N(0, I), the reparameterisation trick; k: that many draws, (k, *mean's
    shape)."""
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


def with_class(h, config):
    """The layer's inputs and h joined with the one-hot class, for a conditional model."""
    if not config.num_classes:
        return [], h
    one_hot = keras.Input((config.num_classes,), name="class")
    return [one_hot], layers.Concatenate()([h, one_hot])


def network(first_input, class_input, outputs, name):
    """A functional model of first_input, and the class where the model is conditional."""
    return keras.Model([first_input, *class_input] if class_input else first_input, outputs, name=name)


def build_encoder(config):
    images = keras.Input((28, 28, 1), name="image")
    if config.arch == "conv":
        h = layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(images)
        h = layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(h)
        class_input, h = with_class(layers.Flatten()(h), config)
        h = layers.Dense(config.hidden // 2, activation="relu")(h)
    else:
        class_input, h = with_class(layers.Flatten()(images), config)
        h = layers.Dense(config.hidden, activation="relu")(h)
    z_mean = layers.Dense(config.latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(config.latent_dim, name="z_log_var")(h)
    return network(images, class_input, [z_mean, z_log_var], "encoder")


def build_decoder(config):
    z = keras.Input((config.latent_dim,), name="z")
    class_input, h = with_class(z, config)
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
    return network(z, class_input, logits, "decoder")


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


def free_bits_kl(kl, floor):
    """Free bits (Kingma et al. 2016): a layer's KL (batch,) counts as at least `floor` nats on
    the minibatch's mean. While that mean is below the floor every image's term is the floor,
    a constant, so no gradient pushes the layer's KL lower; above it, each image's own KL. The
    minibatch mean of the result is max(floor, mean KL), Kingma et al.'s objective."""
    return ops.where(ops.mean(kl) < floor, floor * ops.ones_like(kl), kl)


# ----------------------------------------------------------------------------
# The VAE


def iwae_bound(d, kl_weight=1.0):
    """log (1/k) Σ_i p(x|z_i) (p(z_i)/q(z_i|x))^kl_weight per image, over VAE.draw's k draws d: the
    IWAE bound on log p(x) at kl_weight 1 (Burda et al. 2016), the ELBO's one-draw estimate at k = 1."""
    log_weights = d["log_px_given_z"] + kl_weight * (d["log_pz"] - d["log_qz"])
    return ops.logsumexp(log_weights, axis=0) - math.log(log_weights.shape[0])


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

    Like nanoGPT's GPT(config), it takes its options from `config`, a settings.ModelConfig; its
    networks are arguments, so a saved model brings its own. The prior p(z) is the one
    config.prior names (priors.py), with its options from config.

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

    def __init__(self, encoder, decoder, config, seed=None, adversary=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim = decoder.inputs[0].shape[-1]
        self.num_classes = decoder.inputs[1].shape[-1] if len(decoder.inputs) > 1 else 0
        self.conditional = self.num_classes > 0
        self.arch, self.beta, self.seed = config.arch, config.beta, seed
        self.train_k, self.free_bits = config.train_k, float(config.free_bits)
        self.sampling = Sampling(seed)
        # The KL weight lives in a variable so that KL warm-up can change it between epochs
        # without retracing the compiled training step.
        self.kl_weight = self.add_weight(
            shape=(), initializer=keras.initializers.Constant(self.beta), trainable=False, name="kl_weight"
        )
        self.prior = make_prior(config)
        self.prior.build(self)  # after kl_weight: the variables' order is the saved files'
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        # The style adversary, only where W > 0: without it the model is exactly the plain one.
        self.adversary = adversary
        self.adversary_weight = float(config.style_adversary) if adversary is not None else 0.0
        if adversary is not None:
            self.adversary_tracker = keras.metrics.Mean(name="adversary_accuracy")
        self.style_mmd = float(config.style_mmd) if self.conditional else 0.0

    def build(self, input_shape=None):
        self.built = True  # the encoder and decoder are functional models, built already

    @property
    def metrics(self):
        trackers = [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]
        return trackers + ([self.adversary_tracker] if self.adversary is not None else [])

    # ------------------------------------------------------------------------
    # What the model is, in words: the console, metrics.json, the page and the results table print these

    def describe(self):
        """The model in one line (settings.describe_model), e.g. 'conditional conv, latent dim 16, style
        adversary W = 10, MMD penalty M = 30'."""
        options = {
            "conditional": self.conditional,
            "arch": self.arch,
            "latent_dim": self.latent_dim,
            "beta": self.beta,
            "train_k": self.train_k,
            "free_bits": self.free_bits,
            "style_adversary": self.adversary_weight,
            "style_mmd": self.style_mmd,
        }
        return describe_model(options, self.prior.describe() if self.prior.learned else None)

    def training_loss_name(self):
        """Which bound the training and validation loss columns of history.csv are."""
        if self.train_k > 1:
            return f"negative IWAE bound with k = {self.train_k} importance samples (Burda et al. 2016)"
        if self.free_bits:
            return (
                f"negative ELBO with free bits, each layer's KL counted as at least {self.free_bits:g} "
                "nats per dimension"
            )
        return "negative ELBO (reconstruction + β·KL)"

    def kl_estimate(self):
        """How the KL column was computed, for metrics.json and the page."""
        return self.prior.kl_estimate

    # ------------------------------------------------------------------------
    # Encoding and decoding

    def _inputs(self, first, labels):
        """The networks' inputs: first, and the one-hot class for a conditional model. A model
        without classes ignores labels, so callers pass them whatever the model."""
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
        return cross_entropy, ops.cast(
            ops.equal(ops.cast(ops.argmax(logits, axis=-1), "int32"), labels), "float32"
        )

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
        return {
            "log_px_given_z": -ops.reshape(reconstruction_loss(repeated, logits), (k, -1)),
            "log_pz": log_pz,
            "log_qz": log_qz,
            "layers": [
                LatentLayer(
                    "z", "z", z_mean, self.prior.kl((z_mean, z_log_var), log_qz, log_pz), self.latent_dim
                )
            ],
        }

    def compute_losses(self, x, labels, kl_weight=1.0, training=False, targets=None):
        """The per-image terms, each (batch,), as a dict (targets: see draw; the reconstruction is then
        the target's):

        reconstruction  −log p(x|z), for z ~ q(z|x) (the mean over the train_k draws)
        kl              KL(q(z|x) ‖ p(z)), summed over the stochastic layers, as the prior computes it
                        (closed form for N(0, I), else the Monte Carlo estimate); kl_<layer> each apart
        loss            what training minimises (negative_bound)
        z_mean          q's mean, the style code that a style adversary reads
        """
        d = self.draw(x, labels, self.train_k, self.sampling.seed_generator, targets)
        terms = {
            "reconstruction": -ops.mean(d["log_px_given_z"], axis=0),
            "kl": sum(layer.kl for layer in d["layers"]),
            "loss": self.negative_bound(d, kl_weight, training),
            "z_mean": d["layers"][0].means,
        }
        return {**terms, **{f"kl_{layer.key}": layer.kl for layer in d["layers"]}}

    def negative_bound(self, d, kl_weight, training):
        """The training objective per image, from draw()'s terms:

        train_k = 1: the negative ELBO, reconstruction + kl_weight·KL; while training with free bits
                     (λ > 0) each layer's KL counts as at least λ nats per dimension of that layer on
                     the minibatch's mean (free_bits_kl); validation and evaluation keep the −ELBO.
        train_k = K: −log (1/K) Σ_i p(x|z_i) (p(z_i)/q(z_i|x))^kl_weight over the K draws, the
                     negative IWAE bound (Burda et al. 2016)."""
        if self.train_k > 1:
            return -iwae_bound(d, kl_weight)
        floored = training and self.free_bits
        penalty = sum(
            free_bits_kl(layer.kl, self.free_bits * layer.dims) if floored else layer.kl
            for layer in d["layers"]
        )
        return -d["log_px_given_z"][0] + kl_weight * penalty

    def layer_statistics(self, x, labels=None):
        """[(name, posterior means (batch, dims), KL (batch,))] for each stochastic layer, top first,
        from one draw: metrics.json's active units and KL per layer."""
        return [
            (layer.name, layer.means, layer.kl)
            for layer in self.draw(x, labels, 1, self.sampling.seed_generator)["layers"]
        ]

    def _update_metrics(self, terms):
        self.loss_tracker.update_state(terms["loss"])
        self.reconstruction_tracker.update_state(terms["reconstruction"])
        self.kl_tracker.update_state(terms["kl"])

    def _results(self):
        results = {metric.name: metric.result() for metric in self.metrics}
        if tf is not None and isinstance(
            tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy
        ):
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
        terms = self.compute_losses(
            images,
            labels,
            self.kl_weight if training else self.beta,
            training=training,
            targets=targets or None,
        )
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
            **(
                {
                    "adversary": keras.saving.serialize_keras_object(self.adversary),
                    "adversary_weight": self.adversary_weight,
                }
                if self.adversary is not None
                else {}
            ),
        }

    @classmethod
    def from_config(cls, config):
        """The model a saved config describes: its networks, and its options as a settings.ModelConfig."""
        config = dict(config)
        for name in ("encoder", "decoder", "adversary"):
            if name in config:
                config[name] = keras.saving.deserialize_keras_object(config[name])
        options = saved_options(config)  # first: it takes the options out of config
        return cls(**config, config=options)


def saved_options(saved):
    """The settings.ModelConfig of a saved model's config, taking its options out of `saved` (the
    rest are the constructor's arguments): the sizes from its networks, the options it keeps, and
    for older files the values their code had (no arch: a Conv2D tells conv from dense)."""
    decoder = saved["decoder"]
    fields = {field.name for field in dataclasses.fields(ModelConfig)}
    options = {
        "beta": 1.0,
        "free_bits": 0.0,
        "style_mmd": 0.0,
        "style_adversary": saved.pop("adversary_weight", 0.0),
        **{name: saved.pop(name) for name in list(saved) if name in fields},
    }
    if "arch" not in options:
        options["arch"] = (
            "conv" if any(isinstance(layer, layers.Conv2D) for layer in saved["encoder"].layers) else "dense"
        )
    return ModelConfig(
        **options,
        latent_dim=decoder.inputs[0].shape[-1],
        num_classes=decoder.inputs[1].shape[-1] if len(decoder.inputs) > 1 else 0,
    )


def build_vae(config, seed=None):
    """The model that config (a settings.ModelConfig) describes, with every variable created."""
    if config.arch == "ladder":
        model, networks = ladder.LadderVAE, ladder.build_ladder(config)
    else:
        model, networks = VAE, (build_encoder(config), build_decoder(config))
    # The adversary is built last, so encoder and decoder start from the same weights with or without it.
    adversary = build_adversary(config) if config.num_classes and config.style_adversary > 0 else None
    vae = model(*networks, config, seed=seed, adversary=adversary)
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
        raise UserError(
            f"{option}: {path}: cannot be loaded as a model of these scripts ({reason})"
        ) from None
    if not isinstance(model, VAE):
        raise UserError(f"{option}: {path}: holds a {type(model).__name__}, not a VAE saved by these scripts")
    return model


# The ladder extends VAE, so it is imported last (it imports this module back: either may load
# first). Importing this module so registers every model class with Keras, and keras.models.load_model
# reads any model these scripts saved.
import ladder  # noqa: E402
