"""The requirements by need: requirements.txt (the runtime), -demo.txt (+ Gradio), -dev.txt (+ the tests'
tools and JAX). The runtime's modules import with the demo's and the tests' packages hidden, and a missing
optional package is one line naming what installs it. (.ci/run trains a default run in a venv of
requirements.txt alone.)"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import install_size  # noqa: E402  (no third-party package)

FILES = ["requirements.txt", "requirements-demo.txt", "requirements-dev.txt"]  # each includes the one before


def pins(name):
    """{package: line} of the pinned packages a requirements file names itself (not through -r)."""
    lines = [line.split("#")[0].strip() for line in (REPO / name).read_text().splitlines()]
    return {
        re.split(r"[=;<>!~ ]", line)[0].lower(): line for line in lines if line and not line.startswith("-r")
    }


def hidden_modules():
    """The import names of every package the demo and dev files add to the runtime."""
    return sorted(name.replace("-", "_") for file in FILES[1:] for name in pins(file))


def test_each_file_adds_to_the_one_before_and_pins_everything():
    for before, file in zip(FILES, FILES[1:]):
        assert (REPO / file).read_text().count(f"-r {before}\n") == 1, file
    seen = {}
    for file in FILES:
        for package, line in pins(file).items():
            assert "==" in line, f"{file}: {line} is not pinned"
            assert package not in seen, f"{package} in {seen.get(package)} and {file}"
            seen[package] = file
    runtime = pins("requirements.txt")
    optional = {"gradio", "jax", "jaxlib", "pytest", "hypothesis", "selenium", "nbclient", "ipykernel"}
    assert not optional & set(runtime)
    assert {"gradio"} == set(pins("requirements-demo.txt"))


def test_the_tensorflow_variant_swaps_only_tensorflow():
    everything = install_size.flat_requirements(REPO / "requirements-dev.txt", tensorflow_wheel=True)
    lines = [line for line in everything.splitlines() if line and not line.startswith("#")]
    version = pins("requirements.txt")["tensorflow-cpu"].split("==")[1].split(";")[0]
    assert [line for line in lines if line.startswith("tensorflow")] == [f"tensorflow=={version}"]
    assert len(lines) == sum(len(pins(file)) for file in FILES) - 1  # the two platform lines became one


def run_hidden(tmp_path, argv, env=None):
    """Run Python with the demo's and the tests' packages hidden, as in a venv of requirements.txt alone."""
    # None in sys.modules: `import x` fails and importlib.util.find_spec finds nothing.
    hide = f"import sys\nsys.modules.update(dict.fromkeys({hidden_modules()!r}))\n"
    (tmp_path / "sitecustomize.py").write_text(hide)
    env = {**os.environ, **(env or {}), "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, *argv], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
def test_every_module_imports_with_the_runtime_alone(tmp_path):
    modules = sorted(path.stem for path in REPO.glob("*.py"))
    assert {"cli", "experiment", "common", "figures", "report", "demo", "download"} <= set(modules)
    check = (
        "import importlib, sys\n"
        "try:\n    import gradio\nexcept ImportError:\n    pass\n"
        "else:\n    sys.exit('gradio is not hidden')\n"
        f"for name in {modules!r}:\n    importlib.import_module(name)\n"
        f"print('imported', {len(modules)})\n"
    )
    result = run_hidden(tmp_path, ["-c", check])
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(modules)}" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, env, names",
    [
        (["demo.py"], {}, ("the demo needs Gradio", "make demo", "requirements-demo.txt")),
        (
            ["vae_letters.py", "--epochs", "1"],
            {"KERAS_BACKEND": "jax"},
            ("KERAS_BACKEND=jax needs JAX", "make test", "requirements-dev.txt"),
        ),
    ],
)
def test_a_missing_optional_package_is_one_line(tmp_path, argv, env, names):
    result = run_hidden(tmp_path, argv, env)
    assert result.returncode == 2, result.stderr[-3000:]
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith(f"{argv[0]}: error: "), line
    assert all(name in line for name in names), line
