"""Training: the datasets, compiling, the callbacks, `train`, and the tf.distribute set-up.

    images in memory → tf.data (a fresh permutation each epoch, chunks of minibatches)
    → a compiled training step → Keras' fit with checkpoints, early stopping and Ctrl-C

On the other Keras backends (KERAS_BACKEND=jax or torch) nothing here touches TensorFlow: the
images are fed from NumPy by a keras.utils.PyDataset (`Minibatches`, the same shuffling and
binarization), Keras' own steps_per_execution replaces the chunk loop on JAX, and several
JAX devices share each minibatch through keras.distribution.DataParallel.

The model and its losses are in common.py; this module only decides how it is fed and
for how long. The fast path on a CPU: the images sit in memory in a tf.data pipeline that
hands over chunks of 32 minibatches; each chunk is one call into a compiled training step
(XLA for the dense model) that loops over its minibatches, so neither Python nor
TensorFlow's executor runs between them (bench/throughput.py measures each of these levers).
"""

import contextlib
import json
import math
import os
import shutil
import signal
import sys
import time

import numpy as np
import pandas as pd
from tqdm import tqdm

from common import BACKEND, keras, tf  # common imports TensorFlow quietly (on that backend only)
from files import TrainingFailed, UserError
from settings import model_defaults

STEPS_PER_CHUNK = 32
# Validation runs the test images in as few compiled calls as this allows (2 for 5,200 images):
# 41 calls of 128 images cost ~0.25 s more per epoch, and a conv model's activations for
# 10,000 images at once would take ~1.5 GB.
VALIDATION_BATCH = 4096
# BackupAndRestore's state (~0.2 s a save) is written every this many epochs, and when
# training stops early (Ctrl-C): --resume goes on from there.
BACKUP_EVERY = 5


# ----------------------------------------------------------------------------
# Datasets: images, or (images, labels) pairs for a conditional model
#
# Only a conditional model gets the labels: under MultiWorkerMirroredStrategy Keras 3.15
# cannot reduce a tuple of tensors when it first builds the model. Its elements are ((images,
# labels),): Keras then hands (images, labels) to the model as its input x, with no target y.


def dataset_options():
    options = tf.data.Options()
    # tf.data's autotuner stalls about 0.3 s in one epoch out of two here, and tuning
    # has nothing to gain when the images are already in memory.
    options.autotune.enabled = False
    # In memory there are no files to shard: several workers split the batches by element.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return options


def make_dataset(x, y, batch_size):
    """Images (and labels, unless y is None) in order, in batches: for validation and evaluation."""
    if tf is None:
        return Minibatches(x, y, batch_size)
    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else ((x, y),)).batch(batch_size)
    return dataset.with_options(dataset_options()).prefetch(tf.data.AUTOTUNE)


def validation_dataset(vae, x, y, batch_size):
    """make_dataset for the model's test step: the labels only for a conditional model (the one test
    step that training compiled is then the one that evaluation runs)."""
    return make_dataset(x, y if vae.conditional else None, batch_size)


def validation_batch_size(n):
    """The size of the fewest batches of at most VALIDATION_BATCH images that hold n images, all of
    one shape if up to twice as many batches allow it (5,200 letters: 2 of 2,600; MNIST's 10,000:
    4 of 2,500), else all but the last, a little smaller. Each shape is one more trace of the test
    step and, for the dense model, one more XLA compilation (2-4 s)."""
    fewest = max(1, math.ceil(n / VALIDATION_BATCH))
    return next(
        (n // count for count in range(fewest, 2 * fewest + 1) if n % count == 0), math.ceil(n / fewest)
    )


def chunking(n_batches, most):
    """(minibatches per chunk, minibatches per epoch) for n_batches full minibatches in chunks of at
    most `most`, every chunk of one size: a smaller last chunk is another shape, so another XLA
    compilation (about 3 s of the first epoch). The few minibatches left over (fewer than a chunk;
    none of the letters' 203 in 7 chunks of 29) are other images each epoch, like the partial one."""
    steps = n_batches // math.ceil(n_batches / most)
    return steps, n_batches // steps * steps


def hand_partners(indices, hands_from, classes, shift, sample, where=np.where):
    """The index of each image's target for the transfer objective (--hands): x[hands_from:] holds the
    hands' letters, each hand 2 × `classes` of them (loaders.simulated_hands); a hand letter's target is
    its hand's letter `sample` (0 or 1) of the class `shift` (1 .. classes − 1) after its own, so always
    another letter of the same hand; an image before hands_from is its own target. NumPy arrays, or
    TensorFlow tensors with where=tf.where."""
    k = indices - hands_from  # the position among the hands' letters; negative: the run's own data
    hand_start = hands_from + k // (2 * classes) * (2 * classes)
    return where(k >= 0, hand_start + sample * classes + (k % classes + shift) % classes, indices)


def training_dataset(
    x, y, batch_size, seed=0, binarize=False, steps_per_chunk=None, hands_from=None, classes=None
):
    """Training images (and labels, unless y is None), shuffled afresh each epoch, in full
    minibatches, prefetched.

    hands_from: where --hands' letters start in x (None: no hands), `classes` classes each hand writes
    twice: each element is then (images, labels, target images, target labels), each hand letter's
    target another letter of the same hand drawn afresh each epoch (hand_partners), every other
    image its own target.

    The last partial minibatch of an epoch is left out (other images each epoch). With
    steps_per_chunk, minibatches come stacked in chunks (steps, batch, 28, 28, 1) of at most
    that many steps, all of one size (see chunking), that training.chunk_step runs as one compiled loop.
    Dynamic binarization draws every pixel from
    Bernoulli(intensity) afresh each time, the setting of published MNIST likelihoods.
    Without TensorFlow: Minibatches (no chunks).
    """
    if tf is None:
        return Minibatches(
            x, y, batch_size, seed=seed, binarize=binarize, hands_from=hands_from, classes=classes
        )
    images, labels = tf.constant(x), None if y is None else tf.constant(y)
    batch_size = min(batch_size, len(x))
    n_batches = len(x) // batch_size
    if steps_per_chunk:
        steps_per_chunk, n_batches = chunking(n_batches, steps_per_chunk)

    def epoch_order(epoch_seed):
        # One permutation per epoch in a single op, cut into minibatches of indices: tf.data's
        # shuffle buffer, image by image, cost ~8 % of a dense epoch on two cores.
        order = tf.random.experimental.stateless_shuffle(tf.range(len(x)), seed=tf.stack([epoch_seed, 0]))
        order = tf.reshape(order[: n_batches * batch_size], (n_batches, -1))
        if hands_from is None:
            return tf.data.Dataset.from_tensor_slices(order)
        draw = lambda stream, low, high: tf.random.stateless_uniform(  # the epoch's pairs, in one op each
            tf.shape(order), tf.stack([epoch_seed, stream]), low, high, dtype=tf.int32
        )
        partners = hand_partners(
            order, hands_from, classes, draw(1, 1, classes), draw(2, 0, 2), where=tf.where
        )
        return tf.data.Dataset.from_tensor_slices((order, partners))

    dataset = tf.data.Dataset.random(seed, rerandomize_each_iteration=True).take(1).flat_map(epoch_order)
    dataset = dataset.apply(
        tf.data.experimental.assert_cardinality(n_batches)
    )  # Keras needs the epoch's length
    if steps_per_chunk:
        dataset = dataset.batch(steps_per_chunk)
    if labels is None:
        dataset = dataset.map(lambda indices: tf.gather(images, indices))
    elif hands_from is None:
        dataset = dataset.map(lambda indices: ((tf.gather(images, indices), tf.gather(labels, indices)),))
    else:
        dataset = dataset.map(
            lambda indices, partners: (
                (
                    tf.gather(images, indices),
                    tf.gather(labels, indices),
                    tf.gather(images, partners),
                    tf.gather(labels, partners),
                ),
            )
        )
    if binarize:
        draw = lambda batch: tf.cast(tf.random.uniform(tf.shape(batch)) < batch, tf.float32)
        if labels is None:
            dataset = dataset.map(draw)
        elif hands_from is None:
            dataset = dataset.map(lambda pair: ((draw(pair[0]), pair[1]),))
        else:
            dataset = dataset.map(lambda four: ((draw(four[0]), four[1], draw(four[2]), four[3]),))
    return dataset.with_options(dataset_options()).prefetch(tf.data.AUTOTUNE)


class Minibatches(keras.utils.PyDataset):
    """The NumPy twin of make_dataset (seed None: in order, the last minibatch smaller) and of
    training_dataset (a seed: full minibatches in a fresh permutation each epoch, drawn from
    the seed and the epoch; binarize: Bernoulli pixels drawn afresh; hands_from, classes: --hands'
    targets, as there), for JAX and PyTorch."""

    def __init__(self, x, y, batch_size, seed=None, binarize=False, hands_from=None, classes=None):
        super().__init__()
        self.x, self.y, self.batch_size, self.seed, self.binarize = (
            x,
            y,
            min(batch_size, len(x)),
            seed,
            binarize,
        )
        self.hands_from, self.classes = hands_from, classes
        self.epoch = 0
        self.order = self.epoch_order()

    def epoch_order(self):
        if self.seed is None:
            return np.arange(len(self.x))
        full = len(self.x) // self.batch_size * self.batch_size
        return np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))[:full]

    def __len__(self):
        return math.ceil(len(self.order) / self.batch_size)

    def __getitem__(self, index):
        indices = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        images = self.images(indices, [self.seed, self.epoch, index])
        if self.y is None:
            return images
        if self.hands_from is None:
            return ((images, self.y[indices]),)
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        partners = hand_partners(
            indices,
            self.hands_from,
            self.classes,
            rng.integers(1, self.classes, len(indices)),
            rng.integers(0, 2, len(indices)),
        )
        targets = self.images(partners, [self.seed, self.epoch, index, 2])
        return ((images, self.y[indices], targets, self.y[partners]),)

    def images(self, indices, stream):
        """x[indices], binarized from the random stream `stream` with binarize."""
        images = self.x[indices]
        if self.binarize:
            pixels = np.random.default_rng(stream).random(images.shape, dtype=np.float32)
            images = (pixels < images).astype(np.float32)
        return images

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self.epoch_order()


def binarize_once(x, seed):
    """A fixed binarization of the test images, so every evaluation sees the same pixels."""
    return (np.random.default_rng(seed).random(x.shape, dtype=np.float32) < x).astype(np.float32)


def evaluation_images(x, args, seed_offset=0):
    """The images validation and evaluation see: as they are, or binarized once with --binarize.
    args: the run's Settings (settings.py), for binarize and seed."""
    return binarize_once(x, args.seed + seed_offset) if args.binarize else x


# ----------------------------------------------------------------------------
# Compiling, on one device or under tf.distribute


def distributed():
    """True when training runs under a tf.distribute strategy (even with one replica)."""
    return tf is not None and tf.distribute.has_strategy()


def steps_per_chunk():
    """Minibatches per element of the training data: a chunk on one device; plain minibatches
    under tf.distribute, which splits each element among the replicas along its first axis."""
    return None if distributed() else STEPS_PER_CHUNK


def compile_vae(vae, lr=None):
    """Adam (lr: settings.model_defaults' for the model unless given) and, for the dense model outside
    tf.distribute, an XLA-compiled training step.

    XLA fuses the dense model's small matrix products, the element-wise loss and Adam into
    one program (1.2-1.3x faster than without), but its CPU convolutions are slower than
    TensorFlow's own, so the conv model runs without it. Under tf.distribute it stays off:
    cross-replica sums inside one XLA cluster are not supported on every device.
    """
    if lr is None:
        lr = model_defaults(vae.arch, vae.latent_dim, vae.conditional)["lr"]
    if tf is None:  # JAX compiles every step with XLA; Keras' torch trainer allows one step per call only
        vae.compile(
            optimizer=keras.optimizers.Adam(lr),
            steps_per_execution=STEPS_PER_CHUNK if BACKEND == "jax" else 1,
        )
        return
    vae.compile(optimizer=keras.optimizers.Adam(lr), jit_compile=not distributed() and vae.arch == "dense")
    vae.train_step = chunk_step(vae)


def chunk_step(vae):
    """The model's own training step (Keras'), which also takes a chunk of minibatches (steps,
    batch, 28, 28, 1) from training_dataset(steps_per_chunk=...) and runs it as a loop inside this
    one compiled step, one Adam step per minibatch, so an XLA-compiled step never returns to
    TensorFlow between minibatches (bench/README.md measures it)."""
    minibatch_step = type(vae).train_step.__get__(vae)

    def step(data):
        x = keras.utils.unpack_x_y_sample_weight(data)[0]
        images = x[0] if isinstance(x, (tuple, list)) else x
        if len(images.shape) == 4:  # plain minibatches, as under tf.distribute (steps_per_chunk is None)
            return minibatch_step(data)

        def body(i):
            minibatch_step((tf.nest.map_structure(lambda t: t[i], x),))
            return i + 1

        # parallel_iterations=1: each minibatch must see the weights the previous one updated.
        tf.while_loop(lambda i: i < tf.shape(images)[0], body, [tf.constant(0)], parallel_iterations=1)
        return vae.compute_metrics(x, None, None)

    return step


class NoStrategy:
    """Stands in for a tf.distribute strategy on the other backends (settings.py refuses
    --strategy mirrored and multiworker there): one process, its own scope."""

    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()


def make_strategy(name):
    """The tf.distribute strategy for --strategy; 'default' is the plain single-device one.

    On JAX with several devices (GPUs), 'default' shares each minibatch among all of them
    (keras.distribution.DataParallel: the weights replicated, the batch split)."""
    if tf is None:
        if BACKEND == "jax" and len(keras.distribution.list_devices()) > 1:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        return NoStrategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([device.name for device in devices])
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UserError("--strategy multiworker: set TF_CONFIG to name the workers (see the README)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def replicas(vae):
    """How many devices share each minibatch: tf.distribute's replicas, or JAX's DataParallel devices."""
    if tf is not None:
        return vae.distribute_strategy.num_replicas_in_sync
    distribution = keras.distribution.distribution()
    return len(distribution.device_mesh.devices.flat) if distribution is not None else 1


def is_chief(strategy):
    """Only the chief keeps files; the other workers run the same steps into a scratch folder."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type in (None, "chief"):
        return True
    return (
        resolver.task_type == "worker"
        and resolver.task_id == 0
        and "chief" not in resolver.cluster_spec().as_dict()
    )


# ----------------------------------------------------------------------------
# Callbacks


class KLWarmup(keras.callbacks.Callback):
    """Raise the KL weight linearly from 0 to β over the first `epochs` epochs, and log it:
    the training loss of an epoch uses this weight, the validation loss always β."""

    def __init__(self, beta, epochs):
        super().__init__()
        self.beta, self.epochs = beta, epochs

    def weight(self, epoch):
        return self.beta * min(1.0, epoch / self.epochs) if self.epochs else self.beta

    def on_epoch_begin(self, epoch, logs=None):
        self.model.kl_weight.assign(self.weight(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["kl_weight"] = self.weight(epoch)  # into history.csv, beside the loss it weighted
            if self.model.train_k > 1:  # the loss columns are then the IWAE bound, not the ELBO
                logs["train_k"] = self.model.train_k


class MinibatchProgress(keras.callbacks.Callback):
    """A tqdm bar per epoch counting minibatches (Keras itself counts a chunk as one step),
    with the epoch's metrics; verbose=2 (--quiet): one line when the epoch ends instead."""

    def __init__(self, minibatches, chunk, verbose=1):
        super().__init__()
        self.minibatches, self.chunk, self.verbose = minibatches, chunk or 1, verbose

    def on_epoch_begin(self, epoch, logs=None):
        print(f"Epoch {epoch + 1}/{self.params['epochs']}", flush=True)
        self.started = time.time()
        self.bar = tqdm(total=self.minibatches, unit="minibatch", file=sys.stdout, disable=self.verbose != 1)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.set_postfix({name: float(value) for name, value in (logs or {}).items()}, refresh=False)
        self.bar.update(min((batch + 1) * self.chunk, self.minibatches) - self.bar.n)

    def on_epoch_end(self, epoch, logs=None):
        metrics = {name: float(value) for name, value in (logs or {}).items()}
        self.bar.set_postfix(metrics, refresh=False)
        self.bar.update(self.minibatches - self.bar.n)
        self.bar.close()
        if self.verbose == 2:
            seconds = time.time() - self.started
            print(
                f"{self.minibatches}/{self.minibatches} - {seconds:.0f}s - "
                f"{1000 * seconds / self.minibatches:.0f}ms/minibatch - "
                + " - ".join(f"{name}: {value:.4f}" for name, value in metrics.items()),
                flush=True,
            )


class StopOnNonFinite(keras.callbacks.TerminateOnNaN):
    """Keras' TerminateOnNaN, remembering the epoch for the message."""

    def __init__(self):
        super().__init__()
        self.epoch, self.bad_epoch = 0, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        super().on_batch_end(batch, logs)
        if (
            self.model.stop_training
            and self.bad_epoch is None
            and not np.isfinite((logs or {}).get("loss", 0.0))
        ):
            self.bad_epoch = self.epoch + 1


class Backup(keras.callbacks.BackupAndRestore):
    """Keras' BackupAndRestore, saving every `every` epochs and when training stops early
    (Ctrl-C), not after every epoch. A finished run needs no backup."""

    def __init__(self, backup_dir, every=BACKUP_EVERY):
        super().__init__(backup_dir, delete_checkpoint=False)
        self.every = every
        self.epochs_done = self.epochs_backed_up = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_done = epoch + 1
        if (epoch + 1) % self.every == 0 or self.model.stop_training:
            super().on_epoch_end(epoch, logs)
            self.epochs_backed_up = epoch + 1

    def on_train_end(self, logs=None):
        # A Ctrl-C that lands after on_epoch_end above, in a later callback, still ends training
        # before the next epoch: back that epoch up now, or --resume would find nothing to go on from.
        if self.model.stop_training and self.epochs_backed_up != self.epochs_done:
            super().on_epoch_end(self.epochs_done - 1)
        super().on_train_end(logs)

    @staticmethod
    def epochs_saved(backup_dir):
        """How many epochs the backup in backup_dir holds (0 if none)."""
        metadata = backup_dir / "training_metadata.json"  # BackupAndRestore's own record
        return json.loads(metadata.read_text())["epoch"] if metadata.exists() else 0


class BestWeights(keras.callbacks.Callback):
    """The weights of the epoch with the lowest validation loss (below `threshold`, if given), kept in
    memory and written to `path` only when `backup` (a Backup) writes its state: --resume goes on from
    the backup, so the file need not be newer. Keras' ModelCheckpoint wrote it after every better epoch,
    about 0.2 s each time (bench/README.md). `restore()` puts the best weights back in the model (the
    optimizer's and the seed generator's state with them, as load_weights does)."""

    def __init__(self, path, backup, threshold=None):
        super().__init__()
        self.path, self.backup, self.best, self.values, self.written = path, backup, threshold, None, 0

    def variables(self):
        return self.model.variables + self.model.optimizer.variables

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss")
        if loss is not None and math.isfinite(loss) and (self.best is None or loss < self.best):
            self.best, self.values = loss, [keras.ops.convert_to_numpy(v) for v in self.variables()]
        self.write()

    def on_train_end(self, logs=None):
        self.write()  # after Backup's on_train_end, which may back up the last epoch

    def write(self):
        if self.backup.epochs_backed_up != self.written and self.values is not None:
            now = [keras.ops.convert_to_numpy(v) for v in self.variables()]
            self.restore()
            self.model.save_weights(str(self.path))
            for variable, value in zip(self.variables(), now):
                variable.assign(value)
        self.written = self.backup.epochs_backed_up

    def restore(self):
        for variable, value in zip(self.variables(), self.values):
            variable.assign(value)


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


class StopAtTimeLimit(keras.callbacks.Callback):
    """--time-limit: ends training before an epoch that would end past the limit, guessing that
    the next epoch takes as long as the last one (minutes None: no limit). Unlike a Ctrl-C at the
    limit, this bounds the training alone, so the evaluation after it can take as long as it needs."""

    def __init__(self, minutes):
        super().__init__()
        self.seconds, self.stopped = None if minutes is None else minutes * 60, False

    def on_train_begin(self, logs=None):
        self.started = self.epoch_started = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        now = time.time()
        last_epoch = epoch + 1 >= self.params["epochs"]
        if (
            self.seconds is not None
            and not last_epoch
            and now - self.started + (now - self.epoch_started) > self.seconds
        ):
            self.model.stop_training = self.stopped = True


class LatentGridFrames(keras.callbacks.Callback):
    """After every epoch, render the latent grid as one frame of latent_grid.gif (titled with
    the epoch and validation loss); the GIF itself is written with the other figures."""

    def __init__(self, render):
        super().__init__()
        self.render, self.frames = render, []

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        name, loss = ("val loss", logs.get("val_loss")) if "val_loss" in logs else ("loss", logs.get("loss"))
        self.frames.append(
            self.render(f"epoch {epoch + 1}" + (f" · {name} {loss:.1f}" if loss is not None else ""))
        )


# ----------------------------------------------------------------------------
# Training


def train(vae, data, args, checkpoint_dir, callbacks=(), hands=None):
    """Fit the VAE with early stopping; keep the best weights and, every few epochs, a backup.
    Returns the history DataFrame.

    hands: --hands' letters (images, labels) from loaders.simulated_hands, trained on beside the
    data, each decoded from another letter of its hand (training_dataset); validation is the data's.

    args: the run's Settings (settings.py): lr, batch_size, epochs, seed, binarize, beta,
    kl_warmup, patience, quiet and fine_tune (the model it starts from, or None).

    checkpoint_dir keeps what --resume needs: Keras' BackupAndRestore state (weights,
    optimizer, epoch), the best weights so far and the per-epoch history.
    """
    best_weights = checkpoint_dir / "best.weights.h5"
    history_csv = checkpoint_dir / "history.csv"
    previous = pd.read_csv(history_csv) if history_csv.exists() else None
    backed_up = Backup.epochs_saved(checkpoint_dir / "backup")
    if previous is not None and len(previous) > backed_up:
        # Killed after the last backup: the epochs after it are trained again, so drop their rows.
        previous = previous[previous["epoch"] < backed_up]
        previous.to_csv(history_csv, index=False)
    best_so_far = previous["val_loss"].min() if previous is not None and len(previous) else None
    non_finite = StopOnNonFinite()
    compile_vae(vae, args.lr)
    chunk = steps_per_chunk()
    x_train, y_train, hands_from, classes = data.x_train, data.y_train, None, None
    if hands is not None:
        x_train, y_train, hands_from = (
            np.concatenate([x_train, hands[0]]),
            np.concatenate([y_train, hands[1]]),
            len(x_train),
        )
        classes = len(data.classes)
    minibatches = len(x_train) // min(args.batch_size, len(x_train))
    steps, minibatches = (
        chunking(minibatches, chunk) if chunk else (1, minibatches)
    )  # what the progress bar counts
    y_train = y_train if vae.conditional else None
    validation = validation_dataset(
        vae, evaluation_images(data.x_test, args), data.y_test, validation_batch_size(len(data.x_test))
    )
    if args.fine_tune is not None:
        # The model's own weights are the first "best": an epoch must beat them on the held-out
        # images to replace them, so a few images cannot leave it worse than it came.
        start_file = checkpoint_dir / "fine_tune_start.json"
        if previous is None:
            start = vae.evaluate(validation, verbose=0, return_dict=True)["loss"]
            vae.optimizer.build(vae.trainable_variables)  # saved with the weights, so they load back silently
            vae.save_weights(str(best_weights))
            start_file.write_text(json.dumps({"val_loss": start}))
            print(
                f"Fine-tuning {args.fine_tune}: validation loss {start:.2f} nats before training", flush=True
            )
        start = json.loads(start_file.read_text())["val_loss"]  # after --resume too
        best_so_far = start if best_so_far is None else min(best_so_far, start)
    backup = Backup(str(checkpoint_dir / "backup"))
    best = BestWeights(best_weights, backup, threshold=best_so_far)
    vae.fit(
        training_dataset(
            x_train,
            y_train,
            args.batch_size,
            seed=args.seed,
            binarize=args.binarize,
            steps_per_chunk=chunk,
            hands_from=hands_from,
            classes=classes,
        ),
        validation_data=validation,
        epochs=args.epochs,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0,  # MinibatchProgress shows the progress
        callbacks=[
            KLWarmup(
                vae.beta, args.kl_warmup
            ),  # first, so the logs below see kl_weight; a fine-tuned model keeps its β
            non_finite,
            MinibatchProgress(minibatches, steps, verbose=2 if args.quiet else 1),
            backup,
            best,  # after backup: it writes the best weights when backup writes its state
            keras.callbacks.EarlyStopping(patience=args.patience, start_from_epoch=args.kl_warmup),
            keras.callbacks.CSVLogger(str(history_csv), append=True),
            *callbacks,
        ],
    )
    if non_finite.bad_epoch:
        shutil.rmtree(checkpoint_dir / "backup", ignore_errors=True)  # NaN weights: nothing to resume from
        raise TrainingFailed(
            f"the loss became non-finite (NaN or infinite) in epoch {non_finite.bad_epoch}; "
            f"try a lower learning rate, e.g. --lr {args.lr / 10:g}"
        )
    if best.values is not None:  # every finished epoch, even one cut short by Ctrl-C, is validated
        best.restore()
    elif best_weights.exists():  # no epoch beat those of the run before --resume (or the fine-tuned model's)
        vae.load_weights(str(best_weights))
    return pd.read_csv(history_csv)
