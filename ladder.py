"""The ladder: a hierarchical conv VAE with two stochastic layers and top-down inference.

    vae = common.build_vae(ModelConfig(arch="ladder"))   # --arch ladder

LadderVAE is a common.VAE whose encoder and decoder are the two ends of a ladder: the base
class's losses, bounds, evaluation and figures work on it unchanged through draw(), which
draws both layers. common.py imports this module at its end (it extends common.VAE), so
`import common` makes both classes known to Keras and common.build_vae builds either.
"""

import dataclasses
import math

from backend import keras, layers, ops
from common import VAE, LatentLayer, draw_normal, network, reconstruction_loss, with_class
from priors import clip_log_var, log_normal


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
    class_input, h = with_class(layers.Flatten()(layers.Activation("swish")(features)), config)
    h = layers.Dense(config.hidden // 2, activation="swish")(h)
    outputs = [
        layers.Dense(config.latent_dim, name="z_mean")(h),
        layers.Dense(config.latent_dim, name="z_log_var")(h),
        features,
    ]
    encoder = network(images, class_input, outputs, "encoder")

    # Top-down: z2 → d (7×7×64) → p(z1|z2).
    z2 = keras.Input((config.latent_dim,), name="z")
    class_input, h = with_class(z2, config)
    h = layers.Dense(config.hidden // 2, activation="swish")(h)
    h = layers.Reshape((7, 7, width))(layers.Dense(7 * 7 * width)(h))
    context = residual_cell(h, "down_cell")
    prior = layers.Conv2D(2 * c, 1, name="prior_z1")(layers.Activation("swish")(context))
    decoder = network(z2, class_input, [prior, context], "decoder")

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
    kl = 0.5 * (
        log_var_p - log_var_q + (ops.exp(log_var_q) + ops.square(mean_q - mean_p)) * ops.exp(-log_var_p) - 1.0
    )
    return ops.sum(ops.reshape(kl, (ops.shape(kl)[0], -1)), axis=1)


@keras.saving.register_keras_serializable(package="vae")
class LadderVAE(VAE):
    """A hierarchical conv VAE with two stochastic layers and top-down inference (Sønderby et
    al. 2016; Kingma et al. 2016's bidirectional inference; NVAE, simplified): a top latent z2
    of latent_dim numbers over a spatial lower latent z1 of 7×7×c.

        inference (q)                              generation (p)

        x ─conv─conv─cell─▶ h (7×7×64)              z2 ~ p(z2): the model's prior (priors.py)
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
    posterior means. The model's prior (priors.py) is the prior of z2.
    """

    def __init__(self, encoder, decoder, posterior, output_decoder, config, **kwargs):
        # The base class reads latent_dim and the classes from decoder's inputs (z2 and the class);
        # a ladder saved before the architecture was part of the config is a ladder all the same.
        super().__init__(encoder, decoder, dataclasses.replace(config, arch="ladder"), **kwargs)
        self.posterior, self.output_decoder = posterior, output_decoder
        self.lower_shape = tuple(output_decoder.inputs[0].shape[1:])  # (7, 7, c)

    def kl_estimate(self):
        return (
            f"top z2: {self.prior.kl_estimate}; plus the lower z1's KL(q(z1|x, z2) ‖ p(z1|z2)) "
            "in closed form for one draw z2 ~ q(z2|x)"
        )

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
        prior, context = self.decoder(
            self._inputs(ops.reshape(z2, (-1, self.latent_dim)), None if labels is None else repeat(labels))
        )
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
            "log_pz": log_pz2 + log_pz1,
            "log_qz": log_qz2 + log_qz1,
            "log_pz1": log_pz1,
            "log_qz1": log_qz1,
            "kl_z1": kl_z1,
            "layers": [
                LatentLayer(
                    "z2",
                    f"z2 (top, {self.latent_dim})",
                    z_mean,
                    self.prior.kl((z_mean, z_log_var), log_qz2, log_pz2),
                    self.latent_dim,
                ),
                LatentLayer(
                    "z1",
                    f"z1 (lower, {c[0]}×{c[1]}×{c[2]})",
                    ops.reshape(q_mean, (k, ops.shape(x)[0], -1))[0],
                    ops.mean(kl_z1, axis=0),
                    math.prod(c),
                ),
            ],
        }

    def get_config(self):
        return {
            **super().get_config(),
            "posterior": keras.saving.serialize_keras_object(self.posterior),
            "output_decoder": keras.saving.serialize_keras_object(self.output_decoder),
        }

    @classmethod
    def from_config(cls, config):
        for name in ("posterior", "output_decoder"):
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return super().from_config(config)
