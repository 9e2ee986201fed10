"""The priors p(z), one class each, chosen by name (--prior) in PRIORS, and the diagonal
Gaussians they (and the model's posteriors) are made of.

    prior = make_prior(config)   # config: a settings.ModelConfig; config.prior names the class

A prior creates its variables on the model (so they are saved with it) and answers what the
model, the evaluation, the figures and the page ask of it: log p(z), KL(q ‖ p), draws of z, the
points to mark on the latent scatter, a few words about itself. Adding a prior is adding a class
here and its name to settings.ModelConfig's --prior choices, with its options as fields there;
nothing else names a prior. The VAE itself is in common.py.
"""

import math

import numpy as np

from backend import keras, ops

# ----------------------------------------------------------------------------
# Diagonal Gaussians

LOG_VAR_LIMIT = 10.0  # |log σ²| ≤ 10 keeps exp() finite and the KL term sane
LOG_2PI = math.log(2.0 * math.pi)


def clip_log_var(log_var):
    return ops.clip(log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)


def log_normal(z, mean, log_var):
    """log N(z; mean, diag exp(log_var)), summed over the last axis (broadcasting the others)."""
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)


def kl_divergence(z_mean, z_log_var):
    """KL(N(z_mean, σ²) ‖ N(0, I)) per image, in closed form."""
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


# ----------------------------------------------------------------------------
# The priors


class NormalPrior:
    """p(z) = N(0, I): its KL from a Gaussian posterior has a closed form."""

    name, options, learned = "normal", (), False  # options: its settings.ModelConfig fields
    kl_estimate = "closed form, KL(q(z|x) ‖ N(0, I))"

    def __init__(self, config):
        """config: a settings.ModelConfig (or any object with latent_dim and the prior's options)."""
        self.latent_dim = config.latent_dim
        for option in self.options:
            setattr(self, option, getattr(config, option))

    def build(self, vae):
        """Create the prior's variables on the model, which saves them."""

    def get_config(self):
        """The prior's options, as the saved model and metrics.json keep them."""
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
        means, log_vars, log_weights = (
            ops.convert_to_numpy(t).astype(np.float64) for t in self.components(vae)
        )
        rng = np.random.default_rng(seed)
        weights = np.exp(log_weights - log_weights.max())
        k = rng.choice(len(means), size=n, p=weights / weights.sum())
        return means[k] + np.exp(0.5 * log_vars[k]) * rng.standard_normal((n, self.latent_dim))

    def markers(self, vae):
        return ops.convert_to_numpy(self.components(vae)[0]), self.marker_name


class VampPrior(MixturePrior):
    """The VampPrior (Tomczak & Welling 2018): p(z) = (1/K) Σ_k q(z | u_k), the encoder's own
    posteriors of K learned pseudo-inputs u_k, images kept in [0, 1] as the sigmoid of a
    trainable variable, started at random training images. K: settings.model_defaults says how
    many by default."""

    name, options = "vamp", ("pseudo_inputs",)
    marker_name = "pseudo-inputs' means"

    def build(self, vae):
        self.logits = vae.add_weight(
            shape=(self.pseudo_inputs, 28, 28, 1), initializer="zeros", name="pseudo_inputs"
        )

    def describe(self):
        return f"the VampPrior with {self.pseudo_inputs} pseudo-inputs"

    def images(self):
        """The pseudo-inputs u_k, images (K, 28, 28, 1) in [0, 1]."""
        return ops.sigmoid(self.logits)

    def set_images(self, images):
        """Start the pseudo-inputs at these images (K, 28, 28, 1) in [0, 1]."""
        images = np.clip(
            np.asarray(images, np.float32), 0.01, 0.99
        )  # a finite logit for black and white pixels
        self.logits.assign(np.log(images / (1.0 - images)))

    def start(self, vae, images, seed):
        rng = np.random.default_rng(seed)
        self.set_images(
            images[rng.choice(len(images), self.pseudo_inputs, replace=self.pseudo_inputs > len(images))]
        )

    def components(self, vae):
        means, log_vars = vae.encode(self.images())
        return means, log_vars, ops.full((self.pseudo_inputs,), -math.log(self.pseudo_inputs))


class MixtureOfGaussians(MixturePrior):
    """A mixture of K Gaussians with learned means, variances and weights: the standard baseline
    between N(0, I) and the VampPrior (its components live in z, not in image space). K:
    settings.model_defaults says how many by default."""

    name, options = "mog", ("prior_components",)

    def build(self, vae):
        shape = (self.prior_components, self.latent_dim)
        self.means = vae.add_weight(
            shape=shape, initializer=keras.initializers.RandomNormal(stddev=1.0), name="prior_means"
        )
        self.log_vars = vae.add_weight(shape=shape, initializer="zeros", name="prior_log_vars")
        self.weight_logits = vae.add_weight(
            shape=(self.prior_components,), initializer="zeros", name="prior_weights"
        )

    def describe(self):
        return f"a mixture of {self.prior_components} Gaussians"

    def components(self, vae):
        return self.means, clip_log_var(self.log_vars), ops.log_softmax(self.weight_logits)


PRIORS = {prior.name: prior for prior in (NormalPrior, VampPrior, MixtureOfGaussians)}


def make_prior(config):
    """The prior that config.prior names (settings' --prior), with its options from config."""
    return PRIORS[config.prior](config)
