"""Shared test helpers: the repo on sys.path, and writers for the real file formats."""

import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from loaders import DEVELOPERS_MNIST as SHARED_MNIST  # noqa: E402, F401  (for other test modules)


def write_idx(path, array, magic=None):
    """Write uint8 `array` as an IDX file (gzipped when the name ends in .gz)."""
    array = np.asarray(array, np.uint8)
    header = bytes(magic or [0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


def write_emnist_csv(path, upright_images, labels):
    """Write images the way EMNIST stores them: transposed, one row 'label,p0,...,p783'."""
    rows = [",".join(map(str, [label, *image.T.reshape(-1)])) for image, label in zip(upright_images, labels)]
    Path(path).write_text("\n".join(rows) + "\n")


def letter_images(labels, seed=0):
    """Asymmetric 28x28 images: a bright bar whose row encodes the label, plus a corner dot.

    Upright, image[label, 2:10] is bright and image[0, 27] is bright, so a transposed
    image is easy to tell from an upright one.
    """
    images = np.random.default_rng(seed).integers(0, 30, (len(labels), 28, 28)).astype(np.uint8)
    for image, label in zip(images, labels):
        image[label % 28, 2:10] = 255
        image[0, 27] = 200
    return images


def blobs(n, seed=0):
    """Binary blobs (n, 28, 28, 1): something a few Adam steps can start to fit."""
    return (np.random.default_rng(seed).random((n, 28, 28, 1)) < 0.15).astype(np.float32)


def bounds(vae, x, k):
    """The −ELBO on x, and the IWAE bound with 1 and with k importance samples, each (mean, standard
    error), all with seed 0: the tests that check the bound tightens as k grows and is the ELBO at k = 1."""
    import evaluation  # TensorFlow: only for the tests that ask

    elbo = evaluation.negative_elbo(vae, x, np.zeros(len(x)), 64)["loss"]
    return elbo, evaluation.iwae_nll(vae, x, k=1, seed=0), evaluation.iwae_nll(vae, x, k=k, seed=0)


def run_python(script, *args, timeout=120, **options):
    """`python -c script REPO args...` in a fresh process (a model reloaded from its file alone, or what
    must happen before TensorFlow loads): its CompletedProcess, the output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", script, str(REPO), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        **options,
    )


@pytest.fixture(scope="session")
def synthetic_data_dir(tmp_path_factory):
    """One folder shared by the tests that use the synthetic letters, so it is generated once."""
    return tmp_path_factory.mktemp("synthetic-data")


CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def headless_chromium(profile_dir, window_size, logs):
    """Debian's headless Chromium through its own chromedriver (Selenium Manager must never try
    to download one), skipping the test where either is missing. logs: Chrome's log kinds to
    keep, e.g. {"browser": "ALL", "performance": "ALL"} for the console and every request."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="requirements-dev.txt (make test)")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "needs /usr/bin/chromium and /usr/bin/chromedriver: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={window_size}",
        "--force-device-scale-factor=1",
        f"--user-data-dir={profile_dir}",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", logs)
    return webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    )
