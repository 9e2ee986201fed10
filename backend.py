"""The Keras backend, and TensorFlow loaded quietly.

    from backend import BACKEND, keras, layers, ops, tf

KERAS_BACKEND chooses it ("tensorflow" unless set, "jax" or "torch"); tf is None on the others.
Every module of the model (common.py, priors.py, ladder.py) gets Keras from here, so that whichever
loads first loads it the same way.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ INFO and WARNING lines
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
BACKEND = os.environ["KERAS_BACKEND"]  # fixed when Keras loads: "tensorflow", "jax" or "torch"

import sys  # noqa: E402
import tempfile  # noqa: E402


def _import_tensorflow_quietly():
    """TensorFlow 2.21 writes oneDNN, CUDA and CPU-feature notes to standard error while it
    loads, before any setting can silence them. Send that stream to a file for the import
    alone; show everything it caught if the import fails, and any line that is not one of
    those notes (an error, a warning) even when it succeeds."""
    notes = (
        "WARNING: All log messages before absl::InitializeLog()",
        "I0000 ",
        "To enable the following instructions",
    )
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        for line in captured.read().decode(errors="replace").splitlines(keepends=True):
            if not line.startswith(notes):
                sys.stderr.write(line)
    return tensorflow


# TensorFlow only where it is the backend: on JAX or PyTorch nothing may load it (a GPU box may lack it).
tf = _import_tensorflow_quietly() if BACKEND == "tensorflow" else None
import keras  # noqa: E402, F401  (for the modules that import it from here)
from keras import layers, ops  # noqa: E402, F401  (for the modules that import them from here)

if tf is None:
    # Keras loads TensorFlow wherever it is installed, whatever the backend (set_random_seed seeds
    # tf.random for tf.data, ~4 s and 0.5 GB): make it see none, as on a machine without it.
    from keras.src.utils import module_utils

    module_utils.tensorflow._available = False
