"""training.py: validation batches, the backup's cadence, the history a resume goes on from, the NaN stop."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd

import common
import training
from common import keras


def test_validation_runs_in_the_fewest_equal_batches():
    assert training.validation_batch_size(100) == 100
    assert training.validation_batch_size(training.VALIDATION_BATCH) == training.VALIDATION_BATCH
    assert training.validation_batch_size(5200) == 2600  # the letters' test split: 2 calls, one shape
    assert training.validation_batch_size(14800) == 3700  # EMNIST letters: 4 calls
    assert training.validation_batch_size(10000) == 2500  # MNIST: 4 calls of one shape rather than 3 of two
    assert training.validation_batch_size(26000) == 3250  # 8 calls rather than 7 of two shapes
    # 8,209 is prime: no count of equal batches up to twice the fewest, so the last is a little smaller.
    assert training.validation_batch_size(8209) == 2737 and 8209 - 2 * 2737 == 2735


def test_an_epoch_comes_in_chunks_of_one_size():
    # A smaller last chunk would be another XLA compilation; the letters' 203 minibatches are 7 chunks of 29.
    assert training.chunking(203, 32) == (29, 203)
    assert training.chunking(200, 32) == (28, 196)  # 4 minibatches wait for another epoch's shuffle
    assert training.chunking(32, 32) == (32, 32) and training.chunking(5, 32) == (5, 5)
    for n in range(1, 2000):
        steps, used = training.chunking(n, 32)
        assert 1 <= steps <= 32 and used % steps == 0 and 0 <= n - used < steps


class StopInEpoch(keras.callbacks.Callback):
    """Sets stop_training during one epoch, as Ctrl-C does."""

    def __init__(self, epoch):
        super().__init__()
        self.stop_epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == self.stop_epoch:
            self.model.stop_training = True


class StopAtEpochEnd(keras.callbacks.Callback):
    """Sets stop_training at the end of one epoch, after the callbacks before it: a Ctrl-C there."""

    def __init__(self, epoch):
        super().__init__()
        self.stop_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.stop_epoch:
            self.model.stop_training = True


def small_vae(x):
    vae = common.build_vae(common.ModelConfig(latent_dim=2), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))  # no XLA: compiles sooner, the callbacks are the same
    vae(x[:1])
    return vae


def test_the_backup_is_saved_every_few_epochs_and_when_training_stops(tmp_path):
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype(np.float32)
    data = training.training_dataset(x, None, 16)
    vae = small_vae(x)
    vae.fit(data, epochs=7, verbose=0, callbacks=[training.Backup(str(tmp_path / "a"), every=3)])
    assert training.Backup.epochs_saved(tmp_path / "a") == 6  # saved after epochs 3 and 6, not 7
    vae.fit(
        data, epochs=7, verbose=0, callbacks=[training.Backup(str(tmp_path / "b"), every=3), StopInEpoch(1)]
    )
    assert training.Backup.epochs_saved(tmp_path / "b") == 2  # stopped in the 2nd epoch: saved there
    # Ctrl-C landing after the backup's turn at the end of epoch 2 (in a later callback) still stops
    # training there, so that epoch is backed up when training ends.
    vae.fit(
        data,
        epochs=7,
        verbose=0,
        callbacks=[training.Backup(str(tmp_path / "c"), every=3), StopAtEpochEnd(1)],
    )
    assert training.Backup.epochs_saved(tmp_path / "c") == 2
    assert training.Backup.epochs_saved(tmp_path / "none") == 0


class ValLosses(keras.callbacks.Callback):
    """Puts a given validation loss into each epoch's logs (before the callbacks after it read them)."""

    def __init__(self, losses):
        super().__init__()
        self.losses = losses

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.losses[epoch]


def test_the_best_weights_are_kept_in_memory_and_written_with_the_backup(tmp_path):
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype(np.float32)
    vae = small_vae(x)
    weights_at = []  # each epoch's weights, as its end
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: weights_at.append(vae.get_weights())
    )
    backup = training.Backup(str(tmp_path / "backup"), every=3)
    best = training.BestWeights(tmp_path / "best.weights.h5", backup)
    losses = [5.0, 3.0, 4.0, 2.0, float("nan")]  # best after epoch 4; a NaN never counts
    vae.fit(
        training.training_dataset(x, None, 16),
        epochs=5,
        verbose=0,
        callbacks=[record, ValLosses(losses), backup, best],
    )
    assert best.best == 2.0
    # The file holds the best epoch up to the last backup (epoch 3), not a later one.
    written = small_vae(x)
    written.load_weights(str(tmp_path / "best.weights.h5"))
    for saved, expected in zip(written.get_weights(), weights_at[1]):
        np.testing.assert_array_equal(saved, expected)
    best.restore()
    for now, expected in zip(vae.get_weights(), weights_at[3]):
        np.testing.assert_array_equal(now, expected)


def test_a_resume_drops_the_history_rows_after_the_last_backup(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((48, 28, 28, 1)).astype(np.float32)
    data = SimpleNamespace(x_train=x[:32], y_train=np.zeros(32, int), x_test=x[32:], y_test=np.zeros(16, int))
    args = SimpleNamespace(
        beta=1.0,
        kl_warmup=0,
        lr=1e-3,
        batch_size=16,
        seed=0,
        binarize=False,
        epochs=3,
        patience=4,
        quiet=True,
        fine_tune=None,
    )
    checkpoint = tmp_path / "checkpoint"
    (checkpoint / "backup").mkdir(parents=True)
    # A run killed in its 5th epoch, after the backup of epoch 2: epochs 3 and 4 are trained again.
    (checkpoint / "backup" / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    columns = [
        "kl",
        "kl_weight",
        "loss",
        "reconstruction",
        "val_kl",
        "val_loss",
        "val_reconstruction",
    ]  # CSVLogger's
    history = pd.DataFrame({"epoch": range(4), **{name: 300.0 for name in columns}})
    history["val_loss"] = [300.0, 290, 280, 270]
    history.to_csv(checkpoint / "history.csv", index=False)
    history = training.train(small_vae(x), data, args, checkpoint)
    assert history["epoch"].tolist() == [0, 1, 2]
    assert history["val_loss"].iloc[-1] != 280  # epoch 3 is the new run's


def test_the_time_limit_stops_before_an_epoch_that_would_end_past_it():
    x = np.random.default_rng(0).random((32, 28, 28, 1)).astype(np.float32)
    data = training.training_dataset(x, None, 16)
    vae = small_vae(x)
    for minutes, epochs, epochs_run, stopped in (
        (1e-6, 5, 1, True),  # already past it after the first epoch
        (1e-6, 1, 1, False),  # the last epoch: it stops nothing
        (60, 3, 3, False),
    ):  # far from it
        limit = training.StopAtTimeLimit(minutes)
        history = vae.fit(data, epochs=epochs, verbose=0, callbacks=[limit])
        assert (len(history.epoch), limit.stopped) == (epochs_run, stopped)


def test_a_non_finite_loss_stops_training_and_names_the_epoch():
    stop = training.StopOnNonFinite()
    stop.set_model(small_vae(np.zeros((1, 28, 28, 1), np.float32)))
    stop.on_epoch_begin(2)
    stop.on_train_batch_end(0, {"loss": 250.0})
    assert stop.bad_epoch is None and not stop.model.stop_training
    stop.on_train_batch_end(1, {"loss": float("inf")})
    assert stop.bad_epoch == 3 and stop.model.stop_training
