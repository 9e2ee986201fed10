"""What every stage shares: the errors a run ends with, and writing files safely.

`UserError` is a problem in a data file or an option: the command line prints it as one line
and exits with status 2; `TrainingFailed` (a loss that became NaN) with status 1. `atomic_write`
writes a temporary file in the same folder and renames it, so no reader (or a Ctrl-C) ever leaves
half a PNG, CSV, JSON, page or model behind. `missing` says in one line how to install an optional
package (Gradio, JAX) that is not there.
"""

import importlib.util
import json
import os
import tempfile
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent  # the scripts' folder: data/ and outputs/ live beside them
# The classes each script (its variant) trains on by default.
VARIANTS = {"letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "vowels": "AEIOU", "digits": "0123456789"}


class UserError(ValueError):
    """A problem the user can fix (a data file, an option). Printed as one line, exit status 2."""


class TrainingFailed(Exception):
    """Training cannot go on (the loss became non-finite). Printed as one line, exit status 1."""


# The packages beyond requirements.txt that a part of the project needs: its name, and what installs it.
OPTIONAL = {
    "gradio": ("Gradio", "make demo", "requirements-demo.txt"),
    "jax": ("JAX", "make test", "requirements-dev.txt"),
}


def missing(package, needed_by):
    """None if the optional `package` is installed, else the one line that says how to install it."""
    if importlib.util.find_spec(package) is not None:
        return None
    name, target, requirements = OPTIONAL[package]
    return f"{needed_by} needs {name}, which is not installed: run {target}, or pip install -r {requirements}"


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


def read_saved_run(model_path, option=""):
    """The metrics.json that a run wrote beside its model.keras (its variant, classes, whether it is
    conditional), read without TensorFlow. option: what an error starts with, e.g. "--fine-tune"."""
    path, prefix = Path(model_path), f"{option}: " if option else ""
    if not path.is_file():
        raise UserError(f"{prefix}{path}: no such model file")
    metrics_path = path.parent / "metrics.json"
    try:
        metrics = json.loads(metrics_path.read_text())
        return {
            "variant": metrics["variant"],
            "classes": str(metrics["classes"]),
            "conditional": bool(metrics.get("conditional")),
        }
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(
            f"{prefix}{metrics_path}: missing or unreadable; the model's classes are read from "
            "the metrics.json its run wrote beside it"
        ) from None
