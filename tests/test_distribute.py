"""tf.distribute on the CPU: MirroredStrategy over two logical devices, and two local workers."""

import json
import os
import socket
import subprocess
import sys

import imageio.v3 as iio
import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # every test here trains in subprocesses

QUICK = ["--limit", "2000", "--epochs", "3", "--iwae-k", "4", "--iwae-images", "100", "--no-gif", "--quiet"]

MIRRORED = """
import json, sys
import tensorflow as tf
# Two logical CPU devices, so MirroredStrategy has two replicas on this one CPU.
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
sys.path.insert(0, sys.argv[1])
import vae_digits
data, out = sys.argv[2], sys.argv[3]
quick = sys.argv[4:]
for strategy in ("mirrored", "default"):
    status = vae_digits.main(["--data", data, "--out", f"{out}/{strategy}", "--strategy", strategy, *quick])
    assert status == 0, strategy
"""


def test_mirrored_over_two_cpus_matches_one_device(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", MIRRORED, str(REPO), str(tmp_path), str(tmp_path), *QUICK],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    metrics = {
        name: json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("mirrored", "default")
    }
    assert metrics["mirrored"]["replicas"] == 2 and metrics["default"]["replicas"] == 1
    losses = {name: metrics[name]["test"]["loss"] for name in metrics}
    assert losses["mirrored"] == pytest.approx(losses["default"], rel=0.05), losses


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_local_workers_train_and_only_the_chief_writes(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    out, data = tmp_path / "out", tmp_path / "data"
    data.mkdir()
    workers = []
    for index in range(2):
        env = {
            **os.environ,
            "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        }
        command = [
            sys.executable,
            str(REPO / "vae_digits.py"),
            "--data",
            str(data),
            "--out",
            str(out),
            "--strategy",
            "multiworker",
            *QUICK,
        ]
        workers.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        )
    outputs = [worker.communicate(timeout=600)[0] for worker in workers]
    for worker, output in zip(workers, outputs):
        assert worker.returncode == 0, output[-3000:]
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted(
        [
            "history.csv",
            "history.png",
            "interpolation.png",
            "latent_grid.png",
            "latent_scatter.png",
            "metrics.json",
            "model.keras",
            "reconstructions.png",
            "report.html",
            "report_points.png",
            "report_sprite.png",
            "samples.png",
        ]
    )
    assert iio.imread(out / "latent_grid.png").ndim == 3
    assert json.loads((out / "metrics.json").read_text())["epochs_run"] == 3
