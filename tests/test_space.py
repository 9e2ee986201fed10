"""space.py: the demo as a Hugging Face Space, a folder that runs alone, built and served here."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

import loaders
import space
from conftest import REPO, headless_chromium, letter_images, write_emnist_csv
from files import UserError
from test_demo import after_update, free_port, settled, stroke, wait_for

CLASSES = "ABC"  # the fixture model's


@pytest.fixture
def model(tmp_path):
    """A small conditional model of A, B and C (random weights: the page's machinery is what counts) with
    the metrics.json a run writes beside it, and a data folder of EMNIST-format letters: (model, data dir)."""
    data_dir, model_dir = tmp_path / "data", tmp_path / "run"
    data_dir.mkdir()
    model_dir.mkdir()
    labels = np.tile([1, 2, 3], 30)  # EMNIST's labels of A, B, C
    write_emnist_csv(data_dir / "emnist-letters-train.csv", letter_images(labels), labels)
    write_emnist_csv(data_dir / "emnist-letters-test.csv", letter_images(labels, seed=1), labels)
    shutil.copy(REPO / "tests" / "fixtures" / "saved_models" / "conditional.keras", model_dir / "model.keras")
    data = loaders.load_variant("letters", data_dir, chars=CLASSES)
    metrics = {
        "variant": "letters",
        "classes": CLASSES,
        "conditional": True,
        "data": data.described(),
        "hands": 500,
    }
    (model_dir / "metrics.json").write_text(json.dumps(metrics))
    return model_dir / "model.keras", data_dir


def requirement_lines(name):
    return [
        line.split(" #")[0].strip()
        for line in (REPO / name).read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-r"))
    ]


def test_the_folder_holds_the_app_the_modules_the_model_and_the_space_header(model, tmp_path):
    out = space.build(*model, tmp_path / "space")
    # demo.py and every project module it imports, at any depth; no script, test or benchmark.
    modules = {path.stem for path in out.glob("*.py")} - {"app"}
    assert {
        "demo",
        "attributes",
        "cli",
        "writing",
        "files",
        "style",
        "common",
        "evaluation",
        "figures",
        "loaders",
        "settings",
    } <= modules
    assert not modules & {"vae_letters", "space", "conftest"} and not list(out.glob("test_*"))
    # The model, its metrics.json and its test images, as the data folder holds them.
    assert (out / "model" / "model.keras").read_bytes() == model[0].read_bytes()
    assert json.loads((out / "model" / "metrics.json").read_text())["classes"] == CLASSES
    data = loaders.load_variant("letters", model[1], chars=CLASSES)
    with np.load(out / "model" / "test_images.npz") as saved:
        assert np.array_equal(saved["x_test"], np.round(255 * data.x_test[..., 0]))
        assert np.array_equal(saved["y_test"], data.y_test)
    # The runtime's and the demo's pins, none of the tests' tools.
    wanted = requirement_lines("requirements.txt") + requirement_lines("requirements-demo.txt")
    written = [
        line for line in (out / "requirements.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert sorted(written) == sorted(wanted)
    assert not [line for line in written if line.startswith(("pytest", "selenium", "jax"))]
    # The Space's header: Gradio at the pinned version, the app file, the Python it was built with.
    readme = (out / "README.md").read_text()
    header = dict(re.findall(r"^(\w+): (.*)$", readme.split("---")[1], re.M))
    gradio = re.search(r"^gradio==(\S+)", (REPO / "requirements-demo.txt").read_text(), re.M).group(1)
    assert header["sdk"] == "gradio" and header["sdk_version"] == f'"{gradio}"'
    assert header["app_file"] == "app.py" and (out / "app.py").is_file()
    assert header["python_version"] == f'"{sys.version_info.major}.{sys.version_info.minor}"'
    # Labelled by what the model learned from.
    assert f"**It learned from:** {data.about.description}; and 500 simulated hands," in readme


def test_only_a_folder_it_wrote_is_replaced(model, tmp_path):
    mine = tmp_path / "my files"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(UserError, match="is no Space that space.py wrote"):
        space.build(*model, mine)
    assert (mine / "notes.txt").read_text() == "keep me"
    out = space.build(*model, tmp_path / "space")
    (out / "stale.py").write_text("")
    assert not (space.build(*model, out) / "stale.py").exists()  # written anew


def test_a_model_without_metrics_json_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "model.keras").write_bytes(b"PK")
    assert space.main([str(tmp_path / "model.keras"), "--out", str(tmp_path / "space")]) == 2
    assert "metrics.json" in capsys.readouterr().err and not (tmp_path / "space").exists()


@pytest.mark.slow
def test_the_space_runs_from_its_folder_alone_and_renders_in_chromium(model, tmp_path):
    out = space.build(*model, tmp_path / "space")
    # Python as a Space starts it: `python app.py` in the folder. -E -s: no PYTHONPATH and no user site,
    # so the only project code it can import is the folder's (checked first, with the same interpreter).
    python = [sys.executable, "-E", "-s"]
    where = "import demo, common, writing; print(demo.__file__, common.__file__, writing.__file__)"
    origins = subprocess.run(
        [*python, "-c", where], cwd=out, capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert all(Path(origin).parent == out for origin in origins), origins
    port, log = free_port(), tmp_path / "console.txt"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(GRADIO_SERVER_NAME="127.0.0.1", GRADIO_SERVER_PORT=str(port))  # a Space sets 0.0.0.0 and 7860
    with open(log, "w") as console:
        process = subprocess.Popen(
            [*python, "app.py"], cwd=out, env=env, stdout=console, stderr=subprocess.STDOUT
        )
    driver = None
    try:
        deadline = time.monotonic() + 240
        while "Ready in" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert f"open http://127.0.0.1:{port}/" in log.read_text(), log.read_text()
        assert not (out / "data").exists() and "EMNIST" not in log.read_text()  # the test images came with it

        logs = {"browser": "ALL", "performance": "ALL"}  # the console, and every request
        driver = headless_chromium(tmp_path / "chromium-profile", "1300,1500", logs)
        driver.set_page_load_timeout(60)
        driver.get(f"http://127.0.0.1:{port}/")
        wait_for(lambda: driver.find_elements("css selector", "#sketch canvas"), seconds=60)
        assert "Draw a letter, see your hand" in driver.find_element("tag name", "body").text
        wait_for(lambda: "select the draw tool" not in driver.find_element("id", "sketch").text)
        box = driver.find_element("css selector", "#text textarea")  # a text of the model's three letters
        driver.execute_script(
            "arguments[0].value = 'a cab';arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            box,
        )
        canvas = driver.find_element("css selector", "#sketch canvas")
        stroke(driver, canvas, [(-20, -100), (-20, 40), (60, 40)])
        after_update(driver, ["seen", "written"], {})  # the model in the folder answered the drawing
        assert "Your 'A'" in driver.find_element("id", "message").text
        requests = settled(driver)  # every answer in: leaving the page would cut one off (an error)
        assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert requests and [url for url in requests if urlparse(url).hostname != "127.0.0.1"] == []
    finally:
        if driver is not None:
            driver.quit()
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 0 and "Traceback" not in log.read_text(), log.read_text()
