"""demo.py: the app's functions called directly, its command line, and the page in a real browser."""

import contextlib
import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image, ImageDraw

import attributes
import demo
import style
import vae_letters
import writing
from conftest import REPO, headless_chromium
from files import UserError
from test_scripts import run_script

QUICK = ["--epochs", "4", "--iwae-k", "4", "--iwae-images", "100", "--no-gif", "--no-report", "--quiet"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic_data_dir):
    """A conditional letters model with an 8-number style code, as the Makefile's DEMO_FLAGS train it, but
    for four epochs on 4,000 synthetic letters (a minute): (data dir, model)."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    argv = [
        "--data",
        synthetic_data_dir,
        "--out",
        out,
        "--conditional",
        "--latent-dim",
        "8",
        "--limit",
        "4000",
        "--lr",
        "3e-3",
        *QUICK,
    ]
    assert run_script(vae_letters, argv) == 0
    return synthetic_data_dir, out / "model.keras"


@pytest.fixture(scope="module")
def app(trained):
    return demo.load(trained[1], trained[0])


def drawing(lines, size=demo.CANVAS, width=10):
    """What the sketchpad hands over: black strokes on a transparent canvas (Gradio's RGBA composite)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for line in lines:
        ImageDraw.Draw(image).line(line, fill=(0, 0, 0, 255), width=width, joint="curve")
    return {"background": None, "layers": [image], "composite": image}


LETTER_A = [[(70, 250), (140, 40), (210, 250)], [(100, 170), (180, 170)]]
LETTER_L = [[(100, 40), (100, 240), (200, 240)]]


def text_height(lines):
    """The written image's height in px for a text of `lines` lines (writing.compose_text's layout)."""
    return demo.TEXT_ZOOM * (2 * writing.MARGIN + lines * writing.SIZE + (lines - 1) * writing.LINE_GAP)


# ----------------------------------------------------------------------------
# The functions behind the page


def test_drawing_problem_names_an_empty_canvas_and_a_dot_and_accepts_a_letter():
    assert demo.drawing_problem(None) == "Draw one letter in the box."
    assert demo.drawing_problem(drawing([])["composite"]) == "Draw one letter in the box."
    assert "only a dot" in demo.drawing_problem(drawing([[(100, 100), (104, 102)]])["composite"])
    assert demo.drawing_problem(drawing(LETTER_A)["composite"]) is None


def test_ink_on_paper_is_dark_ink_on_white_zoomed():
    image = np.zeros((2, 3))
    image[1, 2] = 1.0  # white ink on black, as the model draws
    paper = demo.ink_on_paper(image, zoom=4)
    assert paper.shape == (8, 12) and paper.dtype == np.uint8
    assert (paper[4:, 8:] == 0).all() and (paper[:4] == 255).all() and (paper[4:, :8] == 255).all()


def test_saving_a_letter_takes_the_next_free_number_and_never_overwrites(tmp_path):
    classes = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    folder = demo.save_folder(tmp_path / "my letters")  # created
    assert folder.is_dir() and demo.saved_counts(folder, classes) == f"Saved in `{folder}`: nothing yet"
    assert (
        demo.save_letter(folder, drawing(LETTER_A), "A", classes)
        == f"Saved your 'A' as `{folder / 'A' / '0001.png'}`."
    )
    by_hand = folder / "A" / "0002.png"  # the next number, taken meanwhile (by hand, or another save)
    drawing(LETTER_L)["composite"].save(by_hand)
    mine = by_hand.read_bytes()
    assert demo.save_letter(folder, drawing(LETTER_A), "A", classes).endswith(
        f"`{folder / 'A' / '0003.png'}`."
    )
    assert by_hand.read_bytes() == mine
    demo.save_letter(folder, drawing(LETTER_L), "L", classes)
    # Nothing saved for an empty drawing, a dot or no letter: the page's own messages instead.
    assert demo.save_letter(folder, drawing([]), "A", classes) == "Draw one letter in the box."
    assert demo.save_letter(folder, {"composite": None}, "A", classes) == "Draw one letter in the box."
    assert "only a dot" in demo.save_letter(folder, drawing([[(140, 140), (142, 141)]]), "A", classes)
    assert "Pick the letter" in demo.save_letter(folder, drawing(LETTER_A), None, classes)
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    assert files == ["A/0001.png", "A/0002.png", "A/0003.png", "L/0001.png"]
    # Saved as drawn (what --images prepares as the demo does), not as the 28x28 the model sees.
    for name, lines in [("A/0001.png", LETTER_A), ("A/0003.png", LETTER_A), ("L/0001.png", LETTER_L)]:
        with Image.open(folder / name) as image:
            assert image.format == "PNG" and image.size == (demo.CANVAS, demo.CANVAS)
        assert np.array_equal(
            writing.prepare_style_image(folder / name),
            writing.prepare_style_image(drawing(lines)["composite"]),
        )
    # Counted from the folder: an image added by hand (in b/, which --images reads as B) counts,
    # a note does not.
    (folder / "b").mkdir()
    drawing(LETTER_A)["composite"].convert("RGB").save(folder / "b" / "scan.jpg")
    (folder / "b" / "notes.txt").write_text("not an image")
    assert demo.saved_counts(folder, classes) == f"Saved in `{folder}`: A 3 · B 1 · L 1"


def test_the_fine_tuning_command_names_the_models_script_and_the_paths(tmp_path):
    folder, model = tmp_path / "my letters", Path("outputs/demo/model.keras")
    command = demo.fine_tune_command(folder, model, "letters")
    assert shlex.split(command) == [
        "python",
        "vae_letters.py",
        "--images",
        str(folder),
        "--fine-tune",
        str(model),
    ]
    assert shlex.split(demo.fine_tune_command(folder, model, "digits"))[1] == "vae_digits.py"
    assert shlex.split(demo.fine_tune_command(folder, model, "vowels"))[1] == "vae_vowels.py"


def test_the_makefile_trains_the_demos_model_where_demo_py_looks_for_it():
    makefile = (REPO / "Makefile").read_text()
    model = re.search(r"^DEMO_MODEL := (\S+)$", makefile, re.M).group(1)
    assert REPO / model == demo.DEFAULT_MODEL
    assert re.search(r"^DEMO_FLAGS := .*--conditional", makefile, re.M)
    assert re.search(
        r"^demo-model:.*\n\t\$\(PY\) vae_letters\.py \$\(DEMO_FLAGS\) --out \$\(dir \$\(DEMO_MODEL\)\)$",
        makefile,
        re.M,
    )
    # make figures trains the same model for the demo's picture (docs/runs.py).
    sys.path.insert(0, str(REPO / "docs"))
    import runs

    flags = re.search(r"^DEMO_FLAGS := (.*)$", makefile, re.M).group(1).split()
    assert {name: command for name, _, command, _ in runs.RUNS}["demo"] == ["vae_letters.py", *flags]


def test_letters_side_by_side_and_what_carried_over():
    a, b = np.zeros((28, 28), np.float32), np.ones((28, 28), np.float32)
    row = demo.side_by_side([a, b])
    assert (
        row.shape == (28, 58)
        and (row[:, :28] == 0).all()
        and (row[:, 28:30] == 0).all()
        and (row[:, 30:] == 1).all()
    )
    upright, leaning = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    upright[4:24, 12:15] = 1
    for row_index in range(4, 24):  # a stroke that moves right as it goes up
        leaning[row_index, 18 - row_index // 3 : 21 - row_index // 3] = 1
    said = demo.carried_over(np.stack([upright]), np.stack([leaning, leaning]))
    yours, written = re.fullmatch(
        r"slant: yours (-?\d\.\d\d), written (-?\d\.\d\d) · "
        r"stroke: yours \d\.\d px, written \d\.\d px",
        said,
    ).groups()
    assert float(yours) == 0 and float(written) > 0.2
    assert said.endswith(
        f"stroke: yours {attributes.stroke_width(upright)[0]:.1f} px, "
        f"written {attributes.stroke_width(leaning)[0]:.1f} px"
    )


def test_save_to_must_be_a_folder(tmp_path):
    (tmp_path / "a file").write_text("")
    with pytest.raises(UserError, match="--save-to: .*a file: not a folder"):
        demo.save_folder(tmp_path / "a file")
    with pytest.raises(UserError, match="cannot create the folder"):
        demo.save_folder(tmp_path / "a file" / "letters")
    assert demo.save_folder(tmp_path / "new" / "letters").is_dir()


# Every test from here on trains a model, runs demo.py or drives a browser: marked slow.


@pytest.mark.slow
def test_your_letter_shows_what_the_model_sees_its_reconstruction_and_the_text(app, trained, tmp_path):
    message, seen, reconstruction, written, alphabet, letters, nearest, z, hand = app.your_letter(
        drawing(LETTER_A), "A", "Hello world"
    )
    assert message.startswith("Your 'A'") and " ms)" in message
    # What the model sees is what --style-from makes of the same drawing saved as a PNG (framed as the
    # model's training data), as ink on paper.
    drawing(LETTER_A)["composite"].save(tmp_path / "a.png")
    expected = writing.prepare_style_image(tmp_path / "a.png", writing.read_framing(trained[1]))
    assert seen.shape == reconstruction.shape == (28 * demo.ZOOM, 28 * demo.ZOOM) and seen.dtype == np.uint8
    assert np.abs(seen[:: demo.ZOOM, :: demo.ZOOM] / 255 - (1 - expected)).max() < 0.01
    assert seen.min() < 30 and seen.max() == 255 and reconstruction.max() > reconstruction.min()
    assert written.dtype == np.uint8 and written.shape[0] == text_height(1) and written.min() < 128
    assert nearest is None and z.shape == (8,) and np.isfinite(z).all()
    # The hand so far: this one letter, as the model saw it, and what carried over from it.
    assert letters.shape == (28 * demo.HAND_ZOOM, 28 * demo.HAND_ZOOM) and np.array_equal(
        letters[:: demo.HAND_ZOOM, :: demo.HAND_ZOOM], seen[:: demo.ZOOM, :: demo.ZOOM]
    )
    assert hand.startswith("**Your hand: 1 letter** (A) · slant: yours ")
    assert alphabet.shape[0] == text_height(2) and alphabet.min() < 128


@pytest.mark.slow
def test_a_long_text_is_wrapped_and_new_lines_kept(app):
    long = "the quick brown fox jumps over the lazy dog " * 3
    written = app.your_letter(drawing(LETTER_A), "A", long).written
    lines = round(
        (written.shape[0] / demo.TEXT_ZOOM - 2 * writing.MARGIN + writing.LINE_GAP)
        / (writing.SIZE + writing.LINE_GAP)
    )
    assert lines >= 4 and written.shape[0] == text_height(lines)
    assert written.shape[1] <= demo.TEXT_ZOOM * (demo.WRAP + 2 * writing.MARGIN)
    assert app.your_letter(drawing(LETTER_A), "A", "ab\ncd").written.shape[0] == text_height(2)


@pytest.mark.slow
def test_the_letter_and_the_drawing_change_the_result(app):
    as_a = app.your_letter(drawing(LETTER_A), "A", "abc")
    as_l = app.your_letter(drawing(LETTER_A), "L", "abc")
    other = app.your_letter(drawing(LETTER_L), "A", "abc")
    assert not np.array_equal(as_a.z, as_l.z), "the letter did not change the style code"
    assert np.array_equal(as_a.seen, as_l.seen), "what the model sees depends on the drawing alone"
    assert np.abs(as_a.seen.astype(float) - other.seen).mean() > 10 and not np.array_equal(as_a.z, other.z)


@pytest.mark.slow
@pytest.mark.parametrize(
    "value, says",
    [
        (None, "Draw one letter"),
        ({"background": None, "layers": [], "composite": None}, "Draw one letter"),
        (drawing([]), "Draw one letter"),
        ({"composite": Image.new("RGBA", (280, 280), "white")}, "Draw one letter"),  # an opaque white canvas
        (drawing([[(140, 140), (142, 141)]]), "only a dot"),
    ],
)
def test_an_empty_drawing_or_a_dot_gives_a_message(app, value, says):
    message, *images, z, hand = app.your_letter(value, "A", "abc")
    assert says in message and images == [None] * 6 and z is None and hand == demo.NO_LETTERS


@pytest.mark.slow
def test_characters_the_model_lacks_give_a_message(app):
    answer = app.your_letter(drawing(LETTER_A), "A", "Hi, 7!")
    assert "'!', ',', '7'" in answer.message and answer.written is None
    assert (
        answer.seen is not None and answer.alphabet is not None and answer.z is not None
    )  # the hand is still shown
    assert "Pick the letter" in app.your_letter(drawing(LETTER_A), None, "abc")[0]


@pytest.mark.slow
def test_the_whole_alphabet_in_one_hand(app):
    answer = app.your_letter(drawing(LETTER_A), "A", "")
    glyphs = app.glyphs(answer.z, app.classes)
    assert np.array_equal(answer.alphabet, app.alphabet(glyphs)) and answer.alphabet.shape[0] == text_height(
        2
    )
    assert answer.alphabet.min() < 128 and answer.alphabet.shape[1] > answer.written.shape[1]


@pytest.mark.slow
def test_two_letters_give_the_style_of_both_and_start_over_forgets_them(app):
    problem, kept = app.keep(drawing(LETTER_L), "L", [])
    assert problem is None and len(kept) == 1 and kept[0][1] == app.classes.index("L")
    one = app.your_letter(
        drawing([]), "L", "abc", kept
    )  # the box cleared after keeping: the hand kept so far
    assert (
        "the 1 letter you kept" in one.message
        and one.seen is None
        and one.hand.startswith("**Your hand: 1 letter** (L)")
    )
    two = app.your_letter(drawing(LETTER_A), "A", "abc", kept)  # and a second letter drawn
    assert (
        two.hand.startswith("**Your hand: 2 letters** (L A)") and "and the 1 letter you kept" in two.message
    )
    images = np.stack(
        [
            writing.prepare_style_image(drawing(lines)["composite"], app.framing)
            for lines in (LETTER_L, LETTER_A)
        ]
    )
    both = style.infer_style(app.vae, images, [app.classes.index("L"), app.classes.index("A")])
    assert both.letters == 2 and np.allclose(two.z, both.mean, atol=1e-6)
    assert np.all(both.variance < app.hand_style(kept).variance)  # the second letter narrowed the style
    assert not np.array_equal(one.written, two.written) and one.written.shape[0] == two.written.shape[0]
    assert two.letters.shape == (28 * demo.HAND_ZOOM, (2 * 28 + 2) * demo.HAND_ZOOM)
    # Keeping the second letter too gives the same style with the box empty; the first list is left as it was.
    problem, kept_both = app.keep(drawing(LETTER_A), "A", kept)
    assert problem is None and len(kept) == 1 and len(kept_both) == 2
    assert np.allclose(app.your_letter(None, "A", "abc", kept_both).z, both.mean, atol=1e-6)
    # A drawing that is no letter is not kept.
    assert app.keep(drawing([]), "A", kept) == (demo.EMPTY, kept)
    assert "Pick the letter" in app.keep(drawing(LETTER_A), None, kept)[0]
    # Start over: no letters kept, and nothing written.
    kept, nothing = app.start_over()
    assert kept == [] and nothing.message == demo.EMPTY and nothing.z is None and nothing.written is None
    assert nothing.hand == demo.NO_LETTERS and nothing == app.your_letter(drawing([]), "A", "abc", kept)


@pytest.mark.slow
def test_explore_decodes_where_the_plane_is_clicked(app):
    z = app.your_letter(drawing(LETTER_A), "A", "").z
    here, plane = app.explore(0.0, 0.0, "A", z)
    assert here.shape == (28 * demo.ZOOM, 28 * demo.ZOOM) and plane.shape == (demo.PLANE, demo.PLANE, 3)
    there = app.explore(*app.to_point(20, 20), "A", z)[0]
    as_b = app.explore(0.0, 0.0, "B", z)[0]
    assert np.abs(here.astype(float) - there).mean() > 1 and np.abs(here.astype(float) - as_b).mean() > 1
    # A click's pixel maps back to the point drawn there, and the drawn letter is marked on the plane.
    assert np.allclose(app.to_pixel(*app.to_point(100, 300)), (100, 300), atol=2)
    assert not np.array_equal(plane, app.explore(0.0, 0.0, "A", None)[1])


@pytest.mark.slow
def test_a_model_without_classes_says_which_class_a_letter_falls_among(tmp_path, synthetic_data_dir):
    import common

    vae = common.build_vae(common.ModelConfig(), seed=0)  # untrained: the page's machinery is what counts
    vae.save(tmp_path / "model.keras")
    (tmp_path / "metrics.json").write_text(json.dumps({"variant": "vowels", "classes": "AEIOU"}))
    plain = demo.load(tmp_path / "model.keras", synthetic_data_dir)
    message, seen, reconstruction, written, alphabet, letters, nearest, z, hand = plain.your_letter(
        drawing(LETTER_A), None, "ignored"
    )
    assert "5 nearest test images" in message and written is None and seen.shape == reconstruction.shape
    assert alphabet is None and letters is None and hand == ""
    assert set(nearest) <= set("AEIOU") and abs(sum(nearest.values()) - 1) < 1e-6
    assert plain.explore(0.0, 0.0, None, z)[0].shape == (28 * demo.ZOOM, 28 * demo.ZOOM)


# ----------------------------------------------------------------------------
# The command line


def run_demo(*argv, timeout=120):
    return subprocess.run(
        [sys.executable, str(REPO / "demo.py"), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


@pytest.mark.slow
def test_a_missing_model_is_one_line_and_exit_2_at_once(tmp_path):
    # "At once": before TensorFlow or Keras load. Here neither can: an import of either fails loudly.
    fake = tmp_path / "no-tensorflow"
    for name in ("tensorflow", "keras"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text(
            f"raise ImportError('{name} loaded before the path was checked')\n"
        )
    result = subprocess.run(
        [sys.executable, str(REPO / "demo.py"), str(tmp_path / "nothing.keras")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(fake)},
    )
    assert (
        result.returncode == 2 and result.stderr.count("\n") == 1 and "no such model file" in result.stderr
    ), result.stderr
    (tmp_path / "model.keras").write_bytes(b"PK")  # no metrics.json beside it
    result = run_demo(tmp_path / "model.keras")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "metrics.json" in result.stderr


@pytest.mark.slow
def test_a_damaged_or_foreign_model_is_one_line_and_exit_2(tmp_path):
    import keras

    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "model.keras").write_bytes(b"not a keras file at all")
    (tmp_path / "foreign").mkdir()
    keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()]).save(
        tmp_path / "foreign" / "model.keras"
    )
    for kind, says in [("damaged", "cannot be loaded"), ("foreign", "not a VAE")]:
        (tmp_path / kind / "metrics.json").write_text(json.dumps({"variant": "letters", "classes": "ABC"}))
        result = run_demo(tmp_path / kind / "model.keras")
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert says in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_save_to_a_file_is_one_line_and_exit_2_and_help_says_it_is_off(tmp_path):
    (tmp_path / "model.keras").write_bytes(b"PK")  # never loaded: the folder is checked first
    (tmp_path / "metrics.json").write_text(json.dumps({"variant": "letters", "classes": "ABC"}))
    (tmp_path / "letters").write_text("a file, not a folder")
    result = run_demo(tmp_path / "model.keras", "--save-to", tmp_path / "letters")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "--save-to" in result.stderr and "not a folder" in result.stderr
    help_text = " ".join(run_demo("--help").stdout.split())
    assert "--save-to DIR" in help_text and "(default: off, no button)" in help_text


@pytest.mark.slow
def test_the_server_connects_to_nothing_but_127_0_0_1(app, monkeypatch):
    """Gradio's analytics, version check and Hugging Face calls stay off: every address the
    server process looks up or connects to while it starts and serves the page is local."""
    import urllib.request

    addresses = []
    for name in ("connect", "connect_ex"):
        original = getattr(socket.socket, name)
        monkeypatch.setattr(
            socket.socket,
            name,
            lambda self, address, original=original: addresses.append(address) or original(self, address),
        )
    getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda host, *a, **k: addresses.append((host,)) or getaddrinfo(host, *a, **k)
    )
    # A version check or analytics would run in a thread of its own, perhaps after the page is served:
    # record what every thread started meanwhile runs, rather than waiting to see what it does.
    started = []
    start = threading.Thread.start
    monkeypatch.setattr(
        threading.Thread, "start", lambda self: started.append(getattr(self, "_target", None)) or start(self)
    )
    page = demo.build_app(app)
    url = demo.launch(page, port=free_port())
    try:
        assert b"Draw a letter" in urllib.request.urlopen(url, timeout=30).read()
        modules = {getattr(target, "__module__", "") or "" for target in started}
        assert not [m for m in modules if m.startswith(("gradio.analytics", "huggingface_hub"))], modules
    finally:
        page.close()
    assert addresses and {address[0] for address in addresses} == {"127.0.0.1"}


# ----------------------------------------------------------------------------
# The page in a real browser (Chromium, headless), served by `python demo.py` itself


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium that also logs every network request (the performance log)."""
    driver = headless_chromium(
        tmp_path_factory.mktemp("chromium-profile"), "1300,1500", {"browser": "ALL", "performance": "ALL"}
    )
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def demo_server(trained, log, *options):
    """`python demo.py MODEL *options` on a free port, once it is ready: (process, its address, its
    console log)."""
    data_dir, model = trained
    port = free_port()
    with open(log, "w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "demo.py"),
                str(model),
                "--data",
                str(data_dir),
                "--port",
                str(port),
                *map(str, options),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + 180
        while "Ready in" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "Ready in" in log.read_text(), log.read_text()
        assert f"http://127.0.0.1:{port}/" in log.read_text()
        yield process, f"http://127.0.0.1:{port}/", log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(trained, tmp_path_factory):
    """`python demo.py MODEL`: (process, its address, its console log)."""
    with demo_server(trained, tmp_path_factory.mktemp("demo-server") / "console.txt") as started:
        yield started


@pytest.fixture(scope="module")
def saving_server(trained, tmp_path_factory):
    """`python demo.py MODEL --save-to DIR`, DIR not there yet (a space in its name, for the
    command's quoting): (process, its address, DIR)."""
    folder = tmp_path_factory.mktemp("saved") / "my letters"
    with demo_server(
        trained, tmp_path_factory.mktemp("demo-saving-server") / "console.txt", "--save-to", folder
    ) as started:
        yield started[0], started[1], folder


def wait_for(condition, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not update in time"
        time.sleep(0.1)


def image_src(driver, elem_id):
    return driver.execute_script(
        f"const img = document.querySelector('#{elem_id} img'); return img ? img.src : null"
    )


def image_decoded(driver, elem_id):
    """Whether the output's image has loaded and decoded its pixels."""
    return driver.execute_script(
        f"const img = document.querySelector('#{elem_id} img'); "
        "return Boolean(img && img.complete && img.naturalWidth > 0)"
    )


def shown(driver, elem_id):
    """The pixels an output image shows on the page (grey, 0..255)."""
    element = driver.find_element("css selector", f"#{elem_id} img")
    return np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("L"), np.float64)


def stroke(driver, canvas, points):
    """Drag the mouse through points (CSS px from the canvas' centre) with the button down: real
    pointerdown, pointermove and pointerup events, as a hand on a mouse makes them."""
    from selenium.webdriver.common.action_chains import ActionChains

    actions = (
        ActionChains(driver, duration=20).move_to_element_with_offset(canvas, *points[0]).click_and_hold()
    )
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        for t in np.linspace(0.25, 1, 4):  # several small moves, as a real stroke sends
            actions.move_to_element_with_offset(canvas, round(x0 + t * (x1 - x0)), round(y0 + t * (y1 - y0)))
    actions.release().perform()


def differ(a, b, by):
    """Two shown images differ: in size, or by more than `by` grey levels on average."""
    return a.shape != b.shape or np.abs(a - b).mean() > by


def after_update(driver, elem_ids, previous):
    """Wait until every output in elem_ids shows a new image, then return what each shows."""
    wait_for(lambda: all(image_src(driver, e) not in (None, previous.get(e)) for e in elem_ids))
    wait_for(lambda: all(image_decoded(driver, e) for e in elem_ids))  # its pixels, not only its address
    return {e: image_src(driver, e) for e in elem_ids}, {e: shown(driver, e) for e in elem_ids}


def network_requests(driver):
    """The address of every request the browser sent over the network (and websocket it opened)
    since the last call; data:, blob: and Chromium's own chrome:// pages never leave the machine."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] in ("Network.requestWillBeSent", "Network.webSocketCreated"):
            url = message["params"].get("request", {}).get("url") or message["params"].get("url", "")
            if urlparse(url).scheme in ("http", "https", "ws", "wss"):
                urls.append(url)
    return urls


def settled(driver, quiet=2.0):
    """network_requests until the page has sent none for `quiet` seconds: every answer it waited for is in."""
    urls = network_requests(driver)
    while True:
        time.sleep(quiet)
        more = network_requests(driver)
        if not more:
            return urls
        urls += more


@pytest.mark.slow
def test_browser_drawing_and_choosing_a_letter_change_what_the_page_shows(browser, server, tmp_path):
    _, url, _ = server
    browser.get(url)
    wait_for(lambda: browser.find_elements("css selector", "#sketch canvas"))  # the page builds itself
    canvas = browser.find_element("css selector", "#sketch canvas")
    wait_for(
        lambda: "select the draw tool" not in browser.find_element("id", "sketch").text
    )  # the brush is picked
    outputs = ["seen", "written"]

    assert not browser.find_elements("id", "save") and not browser.find_elements(
        "id", "saved"
    )  # no --save-to
    stroke(browser, canvas, [(-20, -100), (-20, 40)])  # first a vertical bar: an "I" ...
    sources, first = after_update(browser, outputs, {})
    assert "Your 'A'" in browser.find_element("id", "message").text
    stroke(browser, canvas, [(-20, 40), (60, 40)])  # ... then a foot: an "L"
    sources, second = after_update(browser, outputs, sources)
    for output in outputs:
        assert differ(first[output], second[output], 2), f"{output} did not change with the drawing"

    browser.find_element("xpath", "//*[@id='letter']//label[normalize-space()='L']").click()
    sources, as_l = after_update(browser, ["written"], sources)
    assert "Your 'L'" in browser.find_element("id", "message").text
    assert differ(as_l["written"], second["written"], 1), "the text did not change with the letter"

    # Keep the "L" and draw a second one: the style comes from both, and the text changes with it.
    hand = lambda: browser.find_element("id", "hand").text
    assert "Your hand: 1 letter (L)" in hand() and re.search(
        r"slant: yours -?\d\.\d\d, written -?\d\.\d\d", hand()
    )
    browser.find_element("id", "keep").click()
    wait_for(lambda: "you kept" in browser.find_element("id", "message").text)  # the box emptied, the L kept
    assert not browser.find_elements("css selector", "#seen img") and "Your hand: 1 letter" in hand()
    wait_for(
        lambda: "select the draw tool" not in browser.find_element("id", "sketch").text
    )  # the brush picked again
    stroke(browser, canvas, [(-50, -100), (-60, 50), (40, 50)])  # another "L"
    wait_for(lambda: "Your hand: 2 letters (L L)" in hand())
    _, two = after_update(browser, ["written"], sources)
    assert differ(two["written"], as_l["written"], 1), "the second letter did not change the text"
    assert "and the 1 letter you kept" in browser.find_element("id", "message").text

    browser.find_element("id", "start-over").click()
    wait_for(
        lambda: (
            "Your hand: no letters yet." in hand()
            and not browser.find_elements("css selector", "#written img")
        )
    )

    requests = settled(browser)  # start over's last answers in: leaving the page would cut them off, an error
    browser.save_screenshot(str(tmp_path / "demo.png"))
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert len(requests) > 20, "the performance log saw none of the page's requests"
    assert [url for url in requests if urlparse(url).hostname != "127.0.0.1"] == []


@pytest.mark.slow
def test_browser_clicking_the_plane_moves_the_sliders_and_decodes_there(browser, server):
    from selenium.webdriver.common.action_chains import ActionChains

    _, url, _ = server
    browser.get(url)
    wait_for(lambda: browser.find_elements("xpath", "//button[@role='tab'][normalize-space()='Explore']"))
    browser.find_element("xpath", "//button[@role='tab'][normalize-space()='Explore']").click()
    sources, before = after_update(browser, ["decoded", "plane"], {})  # the page's load shows z = (0, 0)
    slider = lambda name: float(
        browser.find_element("css selector", f"#{name} input[type=number]").get_attribute("value")
    )
    assert (slider("x"), slider("y")) == (0, 0)
    plane = browser.find_element("css selector", "#plane img")
    ActionChains(browser).move_to_element_with_offset(
        plane, -plane.size["width"] // 3, plane.size["height"] // 3
    ).click().perform()
    _, after = after_update(browser, ["decoded"], sources)
    wait_for(lambda: slider("x") < 0 and slider("y") < 0)  # lower left of the middle
    assert differ(before["decoded"], after["decoded"], 1), "the decoded character did not change"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.slow
def test_browser_saving_a_letter_twice_keeps_both_in_its_folder(browser, saving_server, trained):
    _, url, folder = saving_server
    browser.get(url)
    wait_for(lambda: browser.find_elements("css selector", "#sketch canvas"))
    canvas = browser.find_element("css selector", "#sketch canvas")
    wait_for(lambda: "select the draw tool" not in browser.find_element("id", "sketch").text)
    saved = lambda: browser.find_element("id", "saved").text
    message = lambda: browser.find_element("id", "message").text
    assert folder.is_dir() and "nothing yet" in saved()
    assert demo.fine_tune_command(folder, trained[1], "letters") in saved()

    stroke(browser, canvas, [(-20, -100), (-20, 40), (60, 40)])  # an "L"
    browser.find_element("xpath", "//*[@id='letter']//label[normalize-space()='L']").click()
    wait_for(lambda: "Your 'L'" in message())  # the drawing and the letter have reached the server
    button = browser.find_element("xpath", "//button[normalize-space()='Save this letter']")
    button.click()
    button.click()  # at once: the second save must not take the first one's file
    pngs = lambda: sorted(path.name for path in (folder / "L").glob("*.png"))
    wait_for(lambda: pngs() == ["0001.png", "0002.png"] and re.search(r"\bL 2\b", saved()), seconds=60)
    assert "Saved your 'L'" in message()
    assert sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")) == [
        "L",
        "L/0001.png",
        "L/0002.png",
    ]
    for name in pngs():  # each one the drawing as drawn, whole
        with Image.open(folder / "L" / name) as image:
            image.load()
            assert image.format == "PNG" and demo.drawing_problem(image) is None
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


@pytest.mark.slow
def test_ctrl_c_stops_the_server_cleanly(server):
    process, _, log = server
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert "Stopped." in log.read_text() and "Traceback" not in log.read_text()
