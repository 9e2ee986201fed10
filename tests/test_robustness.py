"""Calm under bad bytes, Ctrl-C and damaged models: fuzzed loaders, interruption and resume."""

import contextlib
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio.v3 as iio
import keras
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import common
import loaders
from conftest import REPO

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------
# Fuzzing: every loader either loads correctly or raises the one clean error


@contextlib.contextmanager
def _written(data, name):
    """A file holding `data` in a temporary folder that is removed afterwards (one per example)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


@FUZZ
@given(st.binary(max_size=2000), st.booleans(), st.integers(1, 3))
def test_read_idx_random_bytes(data, compress, ndim):
    with _written(gzip.compress(data) if compress else data, "x-idx.gz" if compress else "x-idx") as path:
        try:
            array = loaders.read_idx(path, ndim)
        except common.UserError as error:
            assert str(path) in str(error)
        else:
            assert array.ndim == ndim and array.dtype == np.uint8


@FUZZ
@given(st.integers(0, 4), st.integers(0, 3), st.binary(max_size=300))
def test_read_idx_valid_header_random_body(count, ndim_offset, body):
    # A header that looks right, with a body of the wrong (or, rarely, the right) length.
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (count, 28, 28 - ndim_offset))
    with _written(header + body, "images-idx3-ubyte") as path:
        try:
            array = loaders.read_idx(path, 3)
        except common.UserError:
            pass
        else:
            assert array.shape == (count, 28, 28) and len(body) == count * 784


CELL = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(-300, 600).map(str),
    st.sampled_from(["", "abc", "1.5", "nan", " 7", "1e2", '"3"']),
)


@pytest.mark.slow
@FUZZ
@given(
    st.lists(st.lists(CELL, min_size=0, max_size=6), min_size=0, max_size=6), st.integers(0, 3), st.booleans()
)
def test_read_emnist_csv_random_shapes(short_rows, full_rows, header):
    rng = np.random.default_rng(len(short_rows))
    rows = [
        [str(v) for v in rng.integers(1, 27, 1)] + [str(v) for v in rng.integers(0, 256, 784)]
        for _ in range(full_rows)
    ]
    rows += [row + ["0"] * (785 - len(row)) if len(row) > 3 else row for row in short_rows]
    text = "label," + ",".join(f"p{i}" for i in range(784)) + "\n" if header else ""
    text += "\n".join(",".join(row) for row in rows)
    with _written(text.encode(), "emnist-letters-train.csv") as path:
        try:
            images, labels = loaders.read_emnist_csv(path)
        except common.UserError as error:
            assert str(path) in str(error) and "\n" not in str(error)
        else:
            lines = [row for row in rows if ",".join(row)]  # blank lines are skipped, as in any CSV reader
            assert (
                images.shape == (len(lines), 28, 28)
                and images.dtype == np.uint8
                and len(labels) == len(lines)
            )


@FUZZ
@given(st.binary(max_size=500))
def test_read_emnist_csv_random_bytes(data):
    with _written(data, "emnist-letters-test.csv") as path:
        try:
            images, labels = loaders.read_emnist_csv(path)
        except common.UserError:
            pass
        else:
            assert images.shape[1:] == (28, 28) and len(images) == len(labels)


@FUZZ
@given(st.text(max_size=200))
def test_read_mapping_random_text(text):
    with _written(text.encode("utf-8", "surrogatepass"), "emnist-letters-mapping.txt") as path:
        try:
            mapping = loaders.read_mapping(path)
        except common.UserError as error:
            assert str(path) in str(error)
        else:
            assert mapping and all(
                isinstance(label, int) and len(char) == 1 for label, char in mapping.items()
            )


def test_fuzzing_leaves_nothing_in_the_temp_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where mkdtemp and TemporaryDirectory go
    test_read_mapping_random_text()  # hypothesis runs its 150 examples
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------
# Models: only ours, only in safe mode


def test_a_foreign_or_damaged_model_is_refused(tmp_path):
    foreign = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    foreign.save(tmp_path / "foreign.keras")
    with pytest.raises(common.UserError, match="not a VAE"):
        common.load_vae(tmp_path / "foreign.keras")
    (tmp_path / "damaged.keras").write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(common.UserError, match="damaged.keras"):
        common.load_vae(tmp_path / "damaged.keras")
    with pytest.raises(common.UserError, match="no such file"):
        common.load_vae(tmp_path / "missing.keras")


@pytest.mark.slow
def test_non_finite_loss_stops_with_a_clear_message(tmp_path, capsys):
    import vae_digits

    status = vae_digits.main(
        [
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
            "--limit",
            "300",
            "--lr",
            "1e12",
            "--epochs",
            "5",
            "--quiet",
        ]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "non-finite" in err and "epoch" in err and "--lr" in err
    assert not (tmp_path / "out" / "latent_grid.png").exists()  # no NaN figures


# ----------------------------------------------------------------------------
# Ctrl-C: a clean stop with valid files, then --resume


def _script(out, data, *extra):
    return [
        sys.executable,
        str(REPO / "vae_digits.py"),
        "--data",
        str(data),
        "--out",
        str(out),
        "--limit",
        "1000",
        "--patience",
        "500",
        "--iwae-k",
        "4",
        "--iwae-images",
        "32",
        "--quiet",
        *extra,
    ]


@pytest.mark.slow
def test_sigint_stops_cleanly_and_resume_goes_on(tmp_path):
    out, data = tmp_path / "out", tmp_path / "data"
    data.mkdir()
    process = subprocess.Popen(
        _script(out, data, "--epochs", "500"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    history_csv = out / "checkpoint" / "history.csv"
    deadline = time.time() + 120
    while time.time() < deadline and (
        not history_csv.exists() or len(history_csv.read_text().splitlines()) < 3
    ):
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output[-3000:]
    assert "Interrupted" in output and "Traceback" not in output

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["interrupted"] is True
    for name in (
        "samples.png",
        "reconstructions.png",
        "latent_grid.png",
        "latent_scatter.png",
        "history.png",
    ):
        assert iio.imread(out / name).ndim == 3
    assert isinstance(keras.models.load_model(out / "model.keras"), common.VAE)
    assert not [path.name for path in out.iterdir() if path.name.startswith(".")]
    done = len(pd.read_csv(out / "history.csv"))
    assert done == metrics["epochs_run"] >= 2

    resumed = subprocess.run(
        _script(out, data, "--epochs", str(done + 2), "--resume"), capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == list(range(done + 2))  # one history, no gap, no repeat
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    # The resumed run's speed counts its own 2 epochs, not the ones before the interruption.
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == done + 2 and metrics["epochs_this_run"] == 2
    assert metrics["images_per_second"] == pytest.approx(1000 * 2 / metrics["train_seconds"], rel=0.01)

    # The same number of epochs without the interruption ends at the same loss, up to noise.
    import vae_digits

    straight = tmp_path / "straight"
    assert vae_digits.main([str(arg) for arg in _script(straight, data, "--epochs", str(done + 2))[2:]]) == 0
    uninterrupted = pd.read_csv(straight / "history.csv")
    assert history["val_loss"].iloc[-1] == pytest.approx(uninterrupted["val_loss"].iloc[-1], rel=0.03)
