"""Training throughput of the VAE: this project's path, a plain keras-io baseline, the machine's limit.

    python bench/throughput.py                      # dense and conv, 3 epochs each (1 warm-up)
    python bench/throughput.py --arch ladder        # the ladder (no keras-io baseline: project and limit)
    python bench/throughput.py --startup            # also: start-up time and memory of vae_letters.py
    python bench/throughput.py --quick              # smoke test: few images, 2 epochs
    python bench/throughput.py --json results.json  # also write the figures as JSON
    python bench/throughput.py --backend tensorflow --backend jax   # each Keras backend back to back

For each architecture ("dense", "conv", and "ladder" when asked for) one process measures, at batch size 128:

  project   images/s of the project's training path: common.build_vae, training.compile_vae
            (Adam, XLA for the dense model) and fit on training.training_dataset (tf.data) in chunks
            of training.STEPS_PER_CHUNK minibatches, each chunk one compiled loop;
  keras spe the same model fed plain minibatches with Keras' own compile(steps_per_execution=32)
            instead of the chunk loop: what the chunk loop gains over the standard Keras way;
  baseline  images/s of the same layers trained the way the keras-io VAE example does it
            (sigmoid decoder, BCE on probabilities, default compile, fit on NumPy arrays);
            none for the ladder, which keras-io has no example of;
  limit     images/s the machine could reach if training were nothing but float32
            matrix multiplies at the best sgemm speed measured here (NumPy's and
            TensorFlow's, whichever is faster): sgemm FLOP/s / FLOPs per training image.

The process measures on the Keras backend it was started with (KERAS_BACKEND, default tensorflow).
On JAX or PyTorch "project" is Keras' own train_step around the model's compute_loss, fed
NumPy minibatches (steps_per_execution=32 on JAX), and there is neither a "keras spe" row (it is
the project's path there) nor a baseline (keras-io's example is TensorFlow code). --backend B
(repeatable) runs this script once per backend, each in its own child process (the backend is
fixed when Keras loads), one after the other, and prints them side by side with TensorFlow's
baseline and the one sgemm limit.

Throughput is the best whole epoch after a warm-up epoch (the warm-up traces and compiles).
Project and baseline epochs are interleaved (P1 B1 P2 B2 ...), so both see the same noise
from other processes. Both reach a test loss after the same number of epochs, printed next
to the speed, so speed is never bought with worse training.
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_DIR))

import numpy as np  # noqa: E402

import common  # noqa: E402  (imports TensorFlow quietly, where it is the backend, so before Keras)
import evaluation  # noqa: E402
import loaders  # noqa: E402
import training  # noqa: E402
from common import tf  # noqa: E402  (None on the other backends)

# isort: split
import keras  # noqa: E402
from keras import layers, ops  # noqa: E402

BATCH_SIZE = 128
N_IMAGES = 60_000  # real-sized data: MNIST's training set
MNIST_DIR = loaders.DEVELOPERS_MNIST
ARCHS = ("dense", "conv")  # measured by default; "ladder" on request (--arch ladder)
BASELINE_ARCHS = ("dense", "conv")  # those with a keras-io baseline
# What the project must reach on a 2-core machine at batch 128 (ratios; None = no target).
TARGETS = {
    "dense": {"baseline": 2.0, "limit": 0.5},
    "conv": {"baseline": 1.5, "limit": None},
    "ladder": {"baseline": None, "limit": None},
}


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def load_average():
    """Runnable processes over the last minute: above 2 on 2 cores, others share the CPU."""
    return round(os.getloadavg()[0], 2)


# ----------------------------------------------------------------------------
# Data: real MNIST when the shared copy is there, else random images of the same size


def load_images(quick, mnist_dir=MNIST_DIR):
    """x_train, x_test as float32 (n, 28, 28, 1) in 0..1, and a line saying where they came from."""
    if any(mnist_dir.glob("train-images-idx3-ubyte*")):
        data = loaders.load_digits(mnist_dir)
        x_train, x_test, source = data.x_train, data.x_test, f"real MNIST from {mnist_dir}"
    else:
        rng = np.random.default_rng(0)
        x_train = rng.random((N_IMAGES, 28, 28, 1), dtype=np.float32)
        x_test = rng.random((10_000, 28, 28, 1), dtype=np.float32)
        source = f"RANDOM images (no MNIST in {mnist_dir})"
    if quick:
        x_train, x_test = x_train[: 50 * BATCH_SIZE], x_test[:1_000]
    return x_train, x_test, source


# ----------------------------------------------------------------------------
# The baseline: mirrors the keras-io VAE example (examples/generative/vae.py) line by line,
# with the project's layers (common.build_encoder / build_decoder) in place of keras-io's.
# Nothing is tuned: default compile() (no XLA on a CPU, one step per call), NumPy arrays;
# only verbose=0 is added to fit(), as for the project, to keep progress bars out of the timing.


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def baseline_encoder(arch, latent_dim, hidden):
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    if arch == "conv":
        x = layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(encoder_inputs)
        x = layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(x)
        x = layers.Flatten()(x)
        x = layers.Dense(hidden // 2, activation="relu")(x)
    else:
        x = layers.Flatten()(encoder_inputs)
        x = layers.Dense(hidden, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")


def baseline_decoder(arch, latent_dim, hidden):
    latent_inputs = keras.Input(shape=(latent_dim,))
    if arch == "conv":
        x = layers.Dense(hidden // 2, activation="relu")(latent_inputs)
        x = layers.Dense(7 * 7 * 64, activation="relu")(x)
        x = layers.Reshape((7, 7, 64))(x)
        x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(x)
        decoder_outputs = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid")(x)
    else:
        x = layers.Dense(hidden, activation="relu")(latent_inputs)
        x = layers.Dense(28 * 28, activation="sigmoid")(x)
        decoder_outputs = layers.Reshape((28, 28, 1))(x)
    return keras.Model(latent_inputs, decoder_outputs, name="decoder")


class BaselineVAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data)
            reconstruction = self.decoder(z)
            reconstruction_loss = ops.mean(
                ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            total_loss = reconstruction_loss + kl_loss
        grads = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {
            "loss": self.total_loss_tracker.result(),
            "reconstruction_loss": self.reconstruction_loss_tracker.result(),
            "kl_loss": self.kl_loss_tracker.result(),
        }


def build_baseline(config):
    vae = BaselineVAE(
        baseline_encoder(config.arch, config.latent_dim, config.hidden),
        baseline_decoder(config.arch, config.latent_dim, config.hidden),
    )
    vae.compile(optimizer=keras.optimizers.Adam())
    return vae


def baseline_test_loss(vae, x):
    """Mean negative ELBO per image (nats), one z sample per image, the baseline's own loss."""
    z_mean, z_log_var, z = vae.encoder.predict(x, batch_size=1024, verbose=0)
    reconstruction = vae.decoder.predict(z, batch_size=1024, verbose=0)
    bce = ops.sum(keras.losses.binary_crossentropy(x, reconstruction), axis=(1, 2))
    kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=1)
    return float(ops.mean(bce + kl))


# ----------------------------------------------------------------------------
# The machine's limit: sgemm speed × FLOPs per training image


def sgemm_gflops(size=2048, repeats=5):
    """The best float32 matrix-multiply speed reached here, in GFLOP/s: NumPy's and TensorFlow's.

    NumPy's OpenBLAS may pick an older CPU's kernels (e.g. AVX2 "Haswell" on an AVX-512 CPU),
    while TensorFlow's oneDNN uses all of the CPU, so both are measured; the limit takes the better.
    """
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    multiplies = {"numpy": lambda: a @ b}
    if tf is not None:
        ta, tb = tf.constant(a), tf.constant(b)
        multiplies["tensorflow"] = lambda: tf.linalg.matmul(ta, tb).numpy()
    gflops = {}
    for name, multiply in multiplies.items():
        multiply()  # warm up the BLAS threads
        best = min(timed(multiply) for _ in range(repeats))
        gflops[name] = 2 * size**3 / best / 1e9
    return gflops


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def flops_per_training_image(vae):
    """Forward multiply-adds of the encoder and decoder layers (and the ladder's posterior and
    output networks) × 2 FLOPs × 3 (forward + backward).

    Only the weight layers count (biases, activations, the loss and Adam are left out), so
    this is a lower bound on the work and the limit is an upper bound on the speed.
    """
    macs = 0
    networks = [vae.encoder, vae.decoder] + (
        [vae.posterior, vae.output_decoder] if vae.arch == "ladder" else []
    )
    for layer in [layer for network in networks for layer in network.layers]:
        if isinstance(layer, layers.Conv2DTranspose):
            k_h, k_w, out_ch, in_ch = layer.kernel.shape
            _, in_h, in_w, _ = layer.input.shape
            macs += in_h * in_w * k_h * k_w * in_ch * out_ch
        elif isinstance(layer, layers.Conv2D):
            k_h, k_w, in_ch, out_ch = layer.kernel.shape
            _, out_h, out_w, _ = layer.output.shape
            macs += out_h * out_w * k_h * k_w * in_ch * out_ch
        elif isinstance(layer, layers.Dense):
            n_in, n_out = layer.kernel.shape
            macs += n_in * n_out
    return macs * 2 * 3


# ----------------------------------------------------------------------------
# Training throughput: project and baseline, epoch by epoch, interleaved


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each training epoch (from its start to its end, data pipeline included)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def measure_arch(arch, x_train, x_test, epochs, gflops):
    """Train the project's VAE and the baseline for `epochs` epochs, alternating epochs."""
    config = common.ModelConfig(arch=arch, latent_dim=2)

    keras.utils.set_random_seed(0)
    project = common.build_vae(config, seed=0)
    training.compile_vae(project)
    dataset = training.training_dataset(x_train, None, BATCH_SIZE, steps_per_chunk=training.STEPS_PER_CHUNK)
    # The images an epoch trains: full minibatches, as many as whole chunks of one size hold (TensorFlow).
    minibatches = len(x_train) // BATCH_SIZE
    if tf is not None:
        minibatches = training.chunking(minibatches, training.STEPS_PER_CHUNK)[1]
    project_images = minibatches * BATCH_SIZE

    keras_spe = None  # off TensorFlow, the project's path is Keras' steps_per_execution already
    if tf is not None:
        keras.utils.set_random_seed(0)
        keras_spe = common.build_vae(config, seed=0)
        keras_spe.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            jit_compile=arch == "dense",
            steps_per_execution=training.STEPS_PER_CHUNK,
        )
        minibatches = training.training_dataset(x_train, None, BATCH_SIZE)

    keras.utils.set_random_seed(0)
    baseline = build_baseline(config) if arch in BASELINE_ARCHS and tf is not None else None
    for part in ("encoder", "decoder") if baseline else ():  # the same layers, so the same weights to train
        assert getattr(project, part).count_params() == getattr(baseline, part).count_params(), part

    project_timer, baseline_timer, spe_timer = EpochTimer(), EpochTimer(), EpochTimer()
    for epoch in range(epochs):
        # One epoch of each in turn, so a slow spell of the shared machine falls on all of them alike.
        for model, data, options, timer in (
            (project, dataset, dict(shuffle=False), project_timer),
            (keras_spe, minibatches, dict(shuffle=False), spe_timer),
            (baseline, x_train, dict(batch_size=BATCH_SIZE), baseline_timer),
        ):
            if model is not None:
                model.fit(
                    data, epochs=epoch + 1, initial_epoch=epoch, verbose=0, callbacks=[timer], **options
                )
        print(
            f"  {common.BACKEND} {arch} epoch {epoch + 1}/{epochs}: project {project_timer.seconds[-1]:.2f} s"
            + (f", steps_per_execution {spe_timer.seconds[-1]:.2f} s" if keras_spe else "")
            + (f", baseline {baseline_timer.seconds[-1]:.2f} s" if baseline else "")
            + ("  (warm-up)" if epoch == 0 else ""),
            flush=True,
        )

    speed = project_images / min(project_timer.seconds[1:])
    spe_speed = project_images / min(spe_timer.seconds[1:]) if keras_spe else None
    if baseline:
        baseline_speed = len(x_train) / min(baseline_timer.seconds[1:])
        # The median epoch as well: on a shared machine the best epoch can flatter either side.
        median_ratio = (project_images / np.median(project_timer.seconds[1:])) / (
            len(x_train) / np.median(baseline_timer.seconds[1:])
        )
    flops = flops_per_training_image(project)
    limit = max(gflops.values()) * 1e9 / flops
    limit_numpy = gflops["numpy"] * 1e9 / flops
    result = {
        "images_per_second": round(speed, 1),
        "baseline_images_per_second": None,
        "limit_images_per_second": round(limit, 1),
        "limit_numpy_images_per_second": round(limit_numpy, 1),
        "project_over_baseline": None,
        "steps_per_execution_images_per_second": round(spe_speed, 1) if keras_spe else None,
        "project_over_steps_per_execution": round(speed / spe_speed, 3) if keras_spe else None,
        "project_over_steps_per_execution_median_epochs": round(
            float(np.median(spe_timer.seconds[1:]) / np.median(project_timer.seconds[1:])), 3
        )
        if keras_spe
        else None,
        "backend": common.BACKEND,
        "project_over_baseline_median_epochs": None,
        "project_over_limit": round(speed / limit, 3),
        "project_over_numpy_limit": round(speed / limit_numpy, 3),
        "flops_per_training_image": flops,
        "test_loss": round(evaluation.negative_elbo(project, x_test, None, BATCH_SIZE)["loss"], 3),
        "baseline_test_loss": None,
        "epochs": epochs,
        "epoch_seconds": [round(s, 3) for s in project_timer.seconds],
        "baseline_epoch_seconds": [],
        # The first epoch's extra time over the best later one: tracing and XLA compilation.
        "warmup_overhead_seconds": round(project_timer.seconds[0] - min(project_timer.seconds[1:]), 2),
        "peak_rss_mib_so_far": round(peak_rss_mib()),
        "load_average_after": load_average(),
    }
    if baseline:
        result.update(
            baseline_images_per_second=round(baseline_speed, 1),
            project_over_baseline=round(speed / baseline_speed, 3),
            project_over_baseline_median_epochs=round(float(median_ratio), 3),
            baseline_test_loss=round(baseline_test_loss(baseline, x_test), 3),
            baseline_epoch_seconds=[round(s, 3) for s in baseline_timer.seconds],
        )
    return result


# ----------------------------------------------------------------------------
# Start-up: launching vae_letters.py until its first training step
#
# The first step is spotted from the child's stdout: Keras prints "Epoch 1/N" when the
# first epoch begins, just before the first step (whose tracing and XLA compilation are
# therefore not included; the throughput section reports that as the warm-up overhead).
# Keras 3 prints that line only when N > 1 (ProgbarLogger.on_epoch_begin), so these timed
# runs pass --epochs 2 and are killed at the line; the memory run below trains 1 epoch.


def run_letters(data_dir, out_dir, epochs, stop_at_first_step):
    """Run vae_letters.py; seconds to its data-loaded line and to "Epoch 1/", and its peak RSS.

    The peak RSS comes from /usr/bin/time: a child started straight from this process would
    report at least this process's own peak, since Linux carries ru_maxrss across fork and exec.
    """
    rss_file = out_dir.parent / "peak_rss_kib.txt"
    command = [
        "/usr/bin/time",
        "-f",
        "%M",
        "-o",
        str(rss_file),
        sys.executable,
        "vae_letters.py",
        "--data",
        str(data_dir),
        "--out",
        str(out_dir),
        "--epochs",
        str(epochs),
        "--iwae-k",
        "1",
        "--iwae-images",
        "10",
        "--quiet",
    ]
    start = time.perf_counter()
    child = subprocess.Popen(
        command,
        cwd=REPO_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    result, tail = {}, []
    for line in child.stdout:
        tail = (tail + [line])[-20:]
        if line.startswith("letters:"):
            result["seconds_to_data_loaded"] = round(time.perf_counter() - start, 2)
        if line.startswith("Epoch 1/"):
            result["seconds_to_first_step"] = round(time.perf_counter() - start, 2)
            if stop_at_first_step:
                kill_children(child.pid)  # the Python under /usr/bin/time, which then reports its RSS
                break
    child.wait()
    child.stdout.close()
    result["seconds_total"] = round(time.perf_counter() - start, 2)
    result["peak_rss_mib"] = round(int(rss_file.read_text().split()[-1]) / 1024)
    result["exit_status"] = child.returncode
    wanted = "seconds_to_first_step" if stop_at_first_step else "seconds_to_data_loaded"
    if wanted not in result or (not stop_at_first_step and child.returncode != 0):
        sys.exit(f"vae_letters.py did not get to training (exit status {child.returncode}):\n{''.join(tail)}")
    return result


def kill_children(pid):
    """SIGKILL the processes that process `pid` started (and only those)."""
    for child_pid in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        os.kill(int(child_pid), signal.SIGKILL)


def write_letters_csv(path, rows, seed):
    """A Kaggle-format EMNIST letters CSV of random pixels: no header, label 1..26, 784 ints 0..255."""
    rng = np.random.default_rng(seed)
    text = [str(i).encode() for i in range(256)]
    with open(path, "wb") as f:
        for start in range(0, rows, 4096):
            block = np.concatenate(
                [
                    rng.integers(1, 27, (min(4096, rows - start), 1)),
                    rng.integers(0, 256, (min(4096, rows - start), 784)),
                ],
                axis=1,
            )
            f.write(b"".join(b",".join(map(text.__getitem__, row)) + b"\n" for row in block.tolist()))


def measure_startup(quick):
    if not Path("/usr/bin/time").exists():
        sys.exit("--startup needs /usr/bin/time (GNU time) to measure the peak memory of vae_letters.py")
    scale = 10 if quick else 1
    train_rows, test_rows = 88_800 // scale, 14_800 // scale
    results = {
        "first_step_marker": 'Keras "Epoch 1/2" line, printed when epoch 1 begins (before the first '
        "step is traced and compiled)"
    }
    with tempfile.TemporaryDirectory(prefix="vae-bench-", dir="/tmp") as tmp:
        tmp = Path(tmp)
        synthetic_dir, csv_dir, out_dir = tmp / "synthetic", tmp / "csv", tmp / "out"
        for folder in (synthetic_dir, csv_dir, out_dir):
            folder.mkdir()

        print("  synthetic letters, first run (generates and caches the set) ...", flush=True)
        first = run_letters(synthetic_dir, out_dir, 2, stop_at_first_step=True)
        print("  synthetic letters, second run (cached) ...", flush=True)
        second = run_letters(synthetic_dir, out_dir, 2, stop_at_first_step=True)
        results["synthetic"] = {"first_run": first, "second_run": second}

        print(f"  writing {train_rows:,} + {test_rows:,} rows of random EMNIST letters CSV ...", flush=True)
        started = time.perf_counter()
        write_letters_csv(csv_dir / "emnist-letters-train.csv", train_rows, seed=1)
        write_letters_csv(csv_dir / "emnist-letters-test.csv", test_rows, seed=2)
        csv_mib = sum(path.stat().st_size for path in csv_dir.glob("*.csv")) / 2**20
        print(f"    {csv_mib:.0f} MiB in {time.perf_counter() - started:.0f} s", flush=True)
        print("  EMNIST CSV, first run (parses the CSV, writes .cache.npz) ...", flush=True)
        first = run_letters(csv_dir, out_dir, 2, stop_at_first_step=True)
        print("  EMNIST CSV, second run (reads the cache) ...", flush=True)
        second = run_letters(csv_dir, out_dir, 2, stop_at_first_step=True)
        print("  EMNIST CSV, a whole 1-epoch run (for its peak memory) ...", flush=True)
        full = run_letters(csv_dir, out_dir, 1, stop_at_first_step=False)
        metrics = json.loads((out_dir / "metrics.json").read_text())
        full["training_images_per_second"] = metrics["images_per_second"]
        results["csv"] = {
            "train_rows": train_rows,
            "test_rows": test_rows,
            "csv_mib": round(csv_mib),
            "first_run": first,
            "second_run": second,
            "full_1_epoch_run": full,
        }
    return results


# ----------------------------------------------------------------------------
# Report


def verdict(value, target, percent=False):
    if target is None:
        return "no target"
    shown = f"{target:.0%}" if percent else f"{target:g}×"
    return f"target ≥ {shown}: {'MET' if value >= target else 'MISSED'}"


def print_report(results, source, n_train, gflops):
    print(f"\nTraining throughput, batch {BATCH_SIZE}, {n_train:,} images ({source})")
    print(
        f"Keras backend: {common.BACKEND}; limit = sgemm {max(gflops.values()):.1f} GFLOP/s "
        f"({gflops_text(gflops)}) / FLOPs per training image"
    )
    header = (
        f"{'model':<6} {'project':>10} {'baseline':>10} {'limit':>10} {'proj/base':>10} "
        f"{'proj/limit':>10} {'test loss proj':>15} {'test loss base':>15} {'peak RSS':>9}"
    )
    print(header)
    print(
        f"{'':<6} {'img/s':>10} {'img/s':>10} {'img/s':>10} {'':>10} {'':>10} {'nats/image':>15} "
        f"{'nats/image':>15} {'MiB':>9}"
    )
    shown = lambda value, spec: "—" if value is None else format(value, spec)  # no baseline: a dash
    for arch, r in results.items():
        ratio = shown(r["project_over_baseline"], ".2f") + ("×" if r["project_over_baseline"] else "")
        print(
            f"{arch:<6} {r['images_per_second']:>10,.0f} "
            f"{shown(r['baseline_images_per_second'], ',.0f'):>10} "
            f"{r['limit_images_per_second']:>10,.0f} {ratio:>10} "
            f"{r['project_over_limit']:>9.1%} {r['test_loss']:>15.2f} "
            f"{shown(r['baseline_test_loss'], '.2f'):>15} {r['peak_rss_mib_so_far']:>9,}"
        )
    print(
        "(peak RSS is this process's maximum so far, after that model's runs; "
        f"test loss after {next(iter(results.values()))['epochs']} epochs each)"
    )
    for arch, r in results.items():
        targets = TARGETS[arch]
        if r["project_over_baseline"] is None:
            print(
                f"{arch}: no keras-io baseline for this model"
                + ("" if tf is not None else " on this backend")
            )
        else:
            print(
                f"{arch}: project / baseline = {r['project_over_baseline']:.2f}× "
                f"({verdict(r['project_over_baseline'], targets['baseline'])}; "
                f"{r['project_over_baseline_median_epochs']:.2f}× from the median epochs)"
            )
        if r["project_over_steps_per_execution"] is not None:
            print(
                f"{'':<{len(arch) + 2}}chunk loop / Keras steps_per_execution = "
                f"{r['project_over_steps_per_execution']:.2f}× "
                f"({r['project_over_steps_per_execution_median_epochs']:.2f}× from the median epochs)"
            )
        print(
            f"{'':<{len(arch) + 2}}project / limit = {r['project_over_limit']:.1%} "
            f"({verdict(r['project_over_limit'], targets['limit'], percent=True)}; "
            f"{r['project_over_numpy_limit']:.0%} of the NumPy-sgemm limit)"
        )
        print(
            f"{'':<{len(arch) + 2}}first-epoch overhead (tracing, XLA compilation) "
            f"{r['warmup_overhead_seconds']:.1f} s; load average after: {r['load_average_after']}"
        )


def gflops_text(gflops):
    return ", ".join(
        f"{'NumPy' if name == 'numpy' else 'TensorFlow'} {value:.1f}" for name, value in gflops.items()
    )


def run_backends(backends, argv):
    """This script once per Keras backend, each in its own process, one after the other; their
    results."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="vae-throughput-") as tmp:
        for backend in backends:
            print(f"\n=== KERAS_BACKEND={backend} ===", flush=True)
            out = Path(tmp) / f"{backend}.json"
            child = subprocess.run(
                [sys.executable, __file__, *argv, "--json", str(out)],
                cwd=REPO_DIR,
                env={**os.environ, "KERAS_BACKEND": backend},
            )
            if child.returncode != 0:
                sys.exit(f"the {backend} run failed (exit status {child.returncode})")
            results[backend] = json.loads(out.read_text())
    return results


def print_backends(results):
    """One table: each backend's images/s and test loss per model, against TensorFlow's keras-io
    baseline and the best sgemm limit any of the runs measured."""
    per_arch = {}
    for backend, by_arch in results.items():
        for arch, r in by_arch.items():
            per_arch.setdefault(arch, {})[backend] = r
    data = next(iter(next(iter(results.values())).values()))["data"]
    print(f"\nBack to back, batch {BATCH_SIZE}, best epoch after a warm-up, {data}")
    print(f"{'model':<7} {'backend':<11} {'img/s':>9} {'/ baseline':>11} {'/ limit':>8} {'test loss':>10}")
    for arch, runs in per_arch.items():
        baseline = next(
            (r["baseline_images_per_second"] for r in runs.values() if r["baseline_images_per_second"]), None
        )
        flops = next(iter(runs.values()))["flops_per_training_image"]
        limit = (
            max(max(r["sgemm_gflops_numpy"], r.get("sgemm_gflops_tensorflow") or 0) for r in runs.values())
            * 1e9
            / flops
        )
        for backend, r in runs.items():
            speed = r["images_per_second"]
            print(
                f"{arch:<7} {backend:<11} {speed:>9,.0f} "
                f"{(f'{speed / baseline:.2f}×' if baseline else '—'):>11} "
                f"{speed / limit:>8.0%} {r['test_loss']:>10.2f}"
            )
        if baseline:
            print(
                f"{arch:<7} {'baseline':<11} {baseline:>9,.0f} {'1.00×':>11} {baseline / limit:>8.0%}   "
                "(keras-io's example, TensorFlow)"
            )
        print(f"{arch:<7} {'limit':<11} {limit:>9,.0f}   (sgemm, the best of the runs)")


def print_startup(startup):
    print(f"\nStart-up of vae_letters.py to its first training step ({startup['first_step_marker']})")
    print(f"{'data':<28} {'run':<8} {'data loaded s':>14} {'first step s':>13} {'peak RSS MiB':>13}")
    for data, label in (("synthetic", "synthetic letters"), ("csv", "EMNIST CSV")):
        for run in ("first_run", "second_run"):
            r = startup[data][run]
            print(
                f"{label:<28} {run.split('_')[0]:<8} {r['seconds_to_data_loaded']:>14.1f} "
                f"{r['seconds_to_first_step']:>13.1f} {r['peak_rss_mib']:>13,}"
            )
    csv, full = startup["csv"], startup["csv"]["full_1_epoch_run"]
    print(f"(EMNIST CSV: {csv['train_rows']:,} + {csv['test_rows']:,} random rows, {csv['csv_mib']} MiB)")
    print(
        f"Whole 1-epoch letters run on that CSV (cached): {full['seconds_total']:.1f} s, "
        f"peak RSS {full['peak_rss_mib']:,} MiB, training {full['training_images_per_second']:,.0f} images/s"
    )


# ----------------------------------------------------------------------------
# Main


def epochs_arg(text):
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError("needs at least 2 (one warm-up epoch, then timed ones)")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results to FILE as JSON")
    parser.add_argument(
        "--epochs",
        type=epochs_arg,
        default=None,
        help="epochs per model, the first one a warm-up (default: 3, or 2 with --quick)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {50 * BATCH_SIZE:,} training images, 2 epochs, a 1/10-size CSV",
    )
    parser.add_argument(
        "--arch",
        choices=[*ARCHS, "ladder"],
        action="append",
        help="measure only this model; repeat for several (default: dense and conv)",
    )
    parser.add_argument(
        "--startup",
        action="store_true",
        help="also time vae_letters.py from launch to its first training step (takes minutes)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=MNIST_DIR,
        metavar="DIR",
        help="where MNIST's IDX files are (random images of its size where they are not)",
    )
    parser.add_argument(
        "--backend",
        choices=("tensorflow", "jax", "torch"),
        action="append",
        help="run once per backend named (repeat it), each in its own process, and compare them "
        "(default: only this process's KERAS_BACKEND, tensorflow unless set)",
    )
    args = parser.parse_args()
    epochs = args.epochs or (2 if args.quick else 3)
    if args.backend:
        argv = [*sys.argv[1:]]
        for flag in ("--backend", "--json"):  # each child writes its own JSON
            while flag in argv:
                del argv[argv.index(flag) : argv.index(flag) + 2]
        results = run_backends(args.backend, [arg for arg in argv if arg != "--startup"])
        print_backends(results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
            print(f"\nWrote {args.json}")
        return

    x_train, x_test, source = load_images(args.quick, args.data)
    print(f"Data: {len(x_train):,} training and {len(x_test):,} test images, {source}", flush=True)
    print(f"Load average before: {load_average()} on {os.cpu_count()} CPUs", flush=True)
    gflops = sgemm_gflops()
    print(f"float32 sgemm 2048×2048, best of 5 (GFLOP/s): {gflops_text(gflops)}", flush=True)

    results = {arch: measure_arch(arch, x_train, x_test, epochs, gflops) for arch in args.arch or ARCHS}
    for r in results.values():
        r.update(
            data=source,
            n_train=len(x_train),
            n_test=len(x_test),
            batch_size=BATCH_SIZE,
            sgemm_gflops_numpy=round(gflops["numpy"], 1),
            sgemm_gflops_tensorflow=round(gflops["tensorflow"], 1) if "tensorflow" in gflops else None,
        )
    print_report(results, source, len(x_train), gflops)

    if args.startup:
        print("\nStart-up measurements ...", flush=True)
        results["startup"] = measure_startup(args.quick)
        print_startup(results["startup"])

    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nWrote {args.json}")


if __name__ == "__main__":
    main()
