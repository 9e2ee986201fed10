"""One self-contained web page per training run: report.html, with a live latent explorer.

`write_report(out_dir, metrics, figures, explorer)` writes, into a run's output folder:

- `report.html`: the run at a glance (data source, with a loud banner for the synthetic
  set; sizes; model; training), a metrics table, every figure with its caption, and the
  latent explorer: the test images' codes on the latent plane, coloured by class; the
  pointer's position decoded, shown large beside it; the test image under the pointer.
- `report_sprite.png` (or one `report_sprite_NN[_C].png` per class of a conditional model):
  the decoder's images over the explorer's grid, one 28x28 tile per grid point.
- `report_points.png`: the test images behind the plotted points, 40 to a row.

The page is plain HTML, CSS and a little JavaScript (report_template.html, next to this
file): no network, no server, it works opened straight from disk. Images are shown as
dark ink on white paper, like the figures. Every file is written atomically, the sprites
before the page, so a reader never sees a page whose images are missing or half written.

This module only lays out what it is given: numpy arrays, the metrics dict and the names
of figures already on disk. Training, decoding the grid and drawing the figures are left
to experiment.py and figures.py, so this module needs no TensorFlow (numpy, Pillow, stdlib;
the class colours come from loaders.py, which is NumPy only too).
"""

import html
import json
import math
import re
from pathlib import Path
from string import Template
from urllib.parse import quote

import numpy as np
from PIL import Image

from files import atomic_write
from loaders import PALETTE  # the figures' class colours (loaders.py: no TensorFlow, no matplotlib)
from settings import ModelConfig, describe_model

TEMPLATE = Path(__file__).with_name("report_template.html")
PAGE = "report.html"
POINTS = "report_points.png"
MAX_POINTS = 1000  # test images on the page: enough to see the clusters, a sheet of ~200 kB
SHEET_COLUMNS = 40
MISSING = "—"


def write_report(out_dir, metrics, figures, explorer):
    """Write out_dir/report.html (and its sprite images) atomically.

    metrics:  the dict written to metrics.json (experiment.report()); optional keys may be absent.
    figures:  list of (file_name, one-sentence caption) in display order; only those that
              exist in out_dir are shown.
    explorer: dict with "axis_names" (2 str), "xs" (n floats, left to right), "ys" (n floats,
              bottom to top), "sprites" ({name: (rows*28, cols*28) array in 0..1, white ink on
              black}: one named "" for an unconditional model, else one per class), "points"
              ((m, 2) floats), "labels" ((m,) ints into classes), "images" ((m, 28, 28) in 0..1)
              and "classes" (str). Tile (i, j) of a sprite, row i from the top, is the decoder's
              image at (xs[j], ys[-1 - i]). None leaves the explorer out.
    Returns the page's path.
    """
    out_dir = Path(out_dir)
    data = _write_explorer_images(out_dir, explorer) if explorer is not None else None
    page = render_page(out_dir, metrics, figures, data)
    path = out_dir / PAGE
    atomic_write(path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    _remove_stale_images(out_dir, data)
    return path


# ----------------------------------------------------------------------------
# Images: sprite sheets for the explorer


def _grey_png(path, image):
    """Write a 0..1 white-on-black image as an 8-bit grey PNG of dark ink on white paper."""
    ink = np.clip(np.nan_to_num(np.asarray(image, dtype=np.float64)), 0.0, 1.0)
    pixels = np.round(255 * (1.0 - ink)).astype(np.uint8)
    # zlib's default level: optimize=True made the files 1 % smaller in 5-10 times the time (1 s a run).
    atomic_write(path, lambda tmp: Image.fromarray(pixels).save(tmp, format="PNG"))


def sprite_file(index, name):
    """The sprite's file name: report_sprite.png for an unconditional model, else numbered
    (so "a" and "A" cannot collide on a case-insensitive disk) and named when the name is safe."""
    if name == "":
        return "report_sprite.png"
    safe = re.sub(r"[^A-Za-z0-9]", "", name)
    return f"report_sprite_{index:02d}" + (f"_{safe}" if safe else "") + ".png"


def _sheet(images, cols=SHEET_COLUMNS):
    """Tile (m, 28, 28) images row by row into one image, `cols` to a row; returns (image, rows)."""
    rows = max(1, -(-len(images) // cols))
    tiled = np.zeros((rows * cols, 28, 28), dtype=np.float64)
    tiled[: len(images)] = images
    return tiled.reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28), rows


def _subsample(m, limit=MAX_POINTS, seed=0):
    """At most `limit` of m indices, a fixed random choice, in random order (so that no class
    is always drawn on top of the others)."""
    return np.random.default_rng(seed).permutation(m)[:limit]


def _write_explorer_images(out_dir, explorer):
    """Check the explorer's arrays, write its sprite sheets, return the page's explorer data."""
    xs = np.asarray(explorer["xs"], dtype=np.float64).reshape(-1)
    ys = np.asarray(explorer["ys"], dtype=np.float64).reshape(-1)
    sprites = explorer["sprites"]
    if not sprites:
        raise ValueError("explorer: no sprites")
    for name, sprite in sprites.items():
        if np.shape(sprite) != (len(ys) * 28, len(xs) * 28):
            raise ValueError(
                f"explorer: sprite {name!r} has shape {np.shape(sprite)}, "
                f"expected ({len(ys)}*28, {len(xs)}*28) for {len(ys)} ys and {len(xs)} xs"
            )
    points = np.asarray(explorer["points"], dtype=np.float64).reshape(-1, 2)
    labels = np.asarray(explorer["labels"]).astype(int).reshape(-1)
    images = np.asarray(explorer["images"], dtype=np.float64).reshape(-1, 28, 28)
    if not len(points) == len(labels) == len(images):
        raise ValueError(f"explorer: {len(points)} points, {len(labels)} labels and {len(images)} images")
    keep = _subsample(len(points))
    points, labels, images = points[keep], labels[keep], images[keep]
    finite = np.isfinite(points).all(axis=1)  # a NaN code would break the plot's scale
    points, labels, images = points[finite], labels[finite], images[finite]

    files = []
    for index, (name, sprite) in enumerate(sprites.items()):
        files.append({"name": name, "file": sprite_file(index, name)})
        _grey_png(out_dir / files[-1]["file"], sprite)
    sheet, rows = _sheet(images)
    _grey_png(out_dir / POINTS, sheet)

    bounds = _plane_range(xs, ys, points)
    return {
        "axis": [str(a) for a in explorer.get("axis_names", ("z[0]", "z[1]"))][:2],
        "xs": _rounded(xs),
        "ys": _rounded(ys),
        "range": _rounded(bounds),
        "xticks": _nice_ticks(*bounds[:2]),
        "yticks": _nice_ticks(*bounds[2:]),
        "start": _rounded([xs[len(xs) // 2], ys[len(ys) // 2]]),
        "sprites": files,
        "points": _rounded(points),
        "labels": labels.tolist(),
        "sheet": {"file": POINTS, "cols": SHEET_COLUMNS, "rows": rows},
        "classes": str(explorer.get("classes", "")),
        "palette": PALETTE,
    }


def _remove_stale_images(out_dir, data):
    """Remove sprite sheets an earlier report left behind (another model's classes), now that
    the new page no longer refers to them."""
    keep = set() if data is None else {s["file"] for s in data["sprites"]} | {data["sheet"]["file"]}
    for path in list(out_dir.glob("report_sprite*.png")) + [out_dir / POINTS]:
        if path.name not in keep and path.is_file():
            path.unlink()


# ----------------------------------------------------------------------------
# The explorer's plane: its extent and ticks


def _rounded(values, digits=4):
    """Floats for JSON, rounded so the page stays small (0.1 pixel is plenty)."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()


def _plane_range(xs, ys, points):
    """[xmin, xmax, ymin, ymax]: the whole grid (cells reach halfway to the next grid value)
    and all but the farthest 0.5% of points at either end, plus a small margin."""

    def span(grid, coords):
        step = (grid[-1] - grid[0]) / (len(grid) - 1) if len(grid) > 1 else 1.0
        lo, hi = grid[0] - step / 2, grid[-1] + step / 2
        if len(coords):
            lo, hi = min(lo, np.percentile(coords, 0.5)), max(hi, np.percentile(coords, 99.5))
        if not hi > lo:  # a single grid value and no spread: give the axis some length
            lo, hi = lo - 1.0, hi + 1.0
        margin = 0.03 * (hi - lo)
        return [lo - margin, hi + margin]

    return span(xs, points[:, 0]) + span(ys, points[:, 1])


def _nice_ticks(lo, hi, target=6):
    """[value, label] pairs at round values (steps of 1, 2 or 5 times a power of ten) inside
    [lo, hi], labelled with just the decimals the step needs ("−2", "0.5")."""
    raw = (hi - lo) / (target + 1)  # at most about target + 1 ticks
    exponent = math.floor(math.log10(raw))
    step = next(k * 10.0**exponent for k in (1, 2, 5, 10) if k * 10.0**exponent >= raw)
    decimals = max(0, -math.floor(math.log10(step)))
    ticks = [k * step for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]
    return [
        [round(t, decimals + 1), format(t, f".{decimals}f").replace("-", "−") if round(t, decimals) else "0"]
        for t in ticks
    ]


# ----------------------------------------------------------------------------
# Text: the run at a glance and the metrics table


def _get(mapping, *keys):
    """mapping[k1][k2]..., or None when any level is missing (older or partial metrics)."""
    for key in keys:
        if not isinstance(mapping, dict) or mapping.get(key) is None:
            return None
        mapping = mapping[key]
    return mapping


def _fmt(value, spec=".2f", unit=""):
    """A number formatted with spec (and unit), or a dash when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return MISSING
    if spec.endswith("d"):  # counts may arrive as floats from JSON
        value = int(round(value))
    return format(value, spec) + unit


def _esc(value):
    return html.escape(str(value), quote=True)


def run_title(metrics):
    """'letters · synthetic letters · dense, latent dim 2': how the page and every figure of a run name it."""
    return f"{metrics.get('variant', 'run')} · {_data_name(metrics)} · {model_description(metrics)}"


def model_description(metrics):
    """The model in one line, as the run described it (VAE.describe, metrics.json's "model"): the
    console, the page, the figures' titles and the results table print this. For a metrics.json
    written before that line existed, settings.describe_model of its fields, the prior by its name."""
    if metrics.get("model"):
        return str(metrics["model"])
    prior = metrics.get("prior") or ModelConfig.prior
    return describe_model(metrics, None if prior == ModelConfig.prior else f"the prior --prior {prior}")


def bound_on(conditional):
    """What the test loss and the IWAE bound are upper bounds on, per image."""
    return "−log p(x | class)" if conditional else "−log p(x)"


def _about(metrics):
    """metrics.json's "data": what the images are, as the loader described them (loaders.DataSource)."""
    about = metrics.get("data")
    return about if isinstance(about, dict) else {}


def _data_name(metrics):
    return str(_about(metrics).get("name") or "unknown data")


def _conditional(metrics, data):
    return bool(metrics.get("conditional")) or (data is not None and len(data["sprites"]) > 1)


def _banners(metrics):
    """Warnings that change how every number on the page reads."""
    about, banners = _about(metrics), []
    if about.get("caveat"):
        level = "warning" if about.get("caveat_level") == "warning" else "note"
        banners.append(
            (
                f"{level} {about.get('kind', '')}",
                about["caveat"],
                f"This run used {about.get('description')}.",
            )
        )
    if metrics.get("interrupted"):
        banners.append(
            (
                "note",
                "Interrupted",
                f"Training was stopped after {metrics.get('epochs_run', '?')} epochs; "
                "the model is the one training had reached.",
            )
        )
    if metrics.get("stopped_by_time_limit"):
        banners.append(
            (
                "note",
                "Time limit",
                f"Training stopped after {metrics.get('epochs_run', '?')} epochs, at --time-limit "
                f"{metrics.get('time_limit_minutes', 0):g} minutes; the model is its best epoch.",
            )
        )
    return "\n".join(
        f'<div class="banner {_esc(cls)}" role="note"><strong>{_esc(head)}</strong>{_esc(text)}</div>'
        for cls, head, text in banners
    )


def _source_text(metrics):
    """The data line: what the images are and, for real data, the files they came from."""
    description, files = _about(metrics).get("description"), _about(metrics).get("files")
    parts = [_esc(description)] if description else []
    if files:
        parts.append(f"<code>{_esc(files)}</code>")
    return ": ".join(parts) or MISSING


def _model_text(metrics):
    parts = [_esc(model_description(metrics))]
    if metrics.get("kl_warmup"):
        parts.append(f"KL warm-up {_esc(metrics['kl_warmup'])} epochs")
    if metrics.get("binarized"):
        parts.append("binarized")
    for key, name in (("training_loss", "training loss"), ("kl_estimate", "KL")):
        if metrics.get(key):
            parts.append(f"{name}: {_esc(metrics[key])}")
    return "; ".join(parts)


def _training_text(metrics):
    if metrics.get("loaded_from"):
        return f"none: loaded <code>{_esc(metrics['loaded_from'])}</code>"
    seconds = metrics.get("train_seconds")
    text = f"{_esc(metrics.get('epochs_run', MISSING))} epochs"
    if isinstance(seconds, (int, float)) and seconds:
        text += f" in {_fmt(seconds, '.1f')} s" + (
            f" ({_fmt(seconds / 60, '.1f')} min)" if seconds >= 120 else ""
        )
    if metrics.get("images_per_second"):
        text += f", {_fmt(metrics['images_per_second'], ',.0f')} images/s"
    strategy, replicas = metrics.get("strategy"), metrics.get("replicas")
    if strategy and (strategy != "default" or (replicas or 1) > 1):
        text += f"; {_esc(strategy)} strategy, {_esc(replicas)} replicas"
    if metrics.get("interrupted"):
        text += " (interrupted)"
    if metrics.get("fine_tuned_from"):
        text += f", fine-tuned from <code>{_esc(metrics['fine_tuned_from'])}</code>"
    return text


def _facts(metrics, conditional):
    """The <dt>/<dd> pairs of the run at a glance."""
    classes = str(metrics.get("classes") or "")
    sizes = f"{_fmt(metrics.get('n_train'), ',d')} training / {_fmt(metrics.get('n_test'), ',d')} test images"
    rows = [
        ("variant", _esc(metrics.get("variant", MISSING))),
        ("data", _source_text(metrics)),
        ("images", sizes),
        ("classes", f"{len(classes)}: <code>{_esc(classes)}</code>" if classes else MISSING),
        ("model", _model_text(metrics)),
        ("training", _training_text(metrics)),
        ("seed", _esc(metrics.get("seed", MISSING))),
    ]
    return "\n".join(f"      <dt>{name}</dt><dd>{value}</dd>" for name, value in rows)


def _iwae_text(test):
    """'211.07 ± 0.15', the IWAE bound and its standard error when there is one."""
    text = _fmt(test.get("iwae_nll"))
    if text != MISSING and _fmt(test.get("iwae_stderr")) != MISSING:
        text += f" ± {_fmt(test['iwae_stderr'])}"
    return text


def _metrics_table(metrics, conditional):
    test, train = metrics.get("test") or {}, metrics.get("train") or {}
    what = bound_on(conditional)
    k, n = _get(test, "iwae_k"), _get(test, "iwae_images")
    iwae_how = f"k = {_fmt(k, ',d')}, {_fmt(n, ',d')} test images" if k is not None else ""
    rows = [
        ("main", "−ELBO (loss)", _fmt(test.get("loss")), _fmt(train.get("loss"))),
        (
            "",
            "&nbsp;&nbsp;reconstruction",
            _fmt(test.get("reconstruction")),
            _fmt(train.get("reconstruction")),
        ),
        ("", "&nbsp;&nbsp;KL", _fmt(test.get("kl")), _fmt(train.get("kl"))),
        (
            "main",
            f"IWAE bound on {what}" + (f'<br><span class="small">{iwae_how}</span>' if iwae_how else ""),
            _iwae_text(test),
            "",
        ),
        ("", "5-NN accuracy of the latent means", _fmt(test.get("knn_accuracy"), ".1%"), ""),
        ("", "active latent units", _active_units(metrics), ""),
    ]
    if conditional and test.get("legibility") is not None:
        rows += _style_rows(metrics)
    ids = [' id="test-loss"'] + [""] * (len(rows) - 1)  # the test loss, for people and for tests
    body = "\n".join(
        f'      <tr><td>{name}</td><td class="{cls}"{id_}>{test_value}</td><td>{train_value}</td></tr>'
        for id_, (cls, name, test_value, train_value) in zip(ids, rows)
    )
    note = f"The loss, −ELBO = reconstruction + KL, is an upper bound on {what}" + (
        ", the negative log-likelihood of an image given its class: it does not compare with "
        "an unconditional model's −log p(x)."
        if conditional
        else ", the negative log-likelihood; the IWAE bound is a tighter one on the images it names."
    )
    return (
        f'    <table class="metrics">\n      <thead><tr><th></th><th>test</th><th>train</th></tr></thead>\n'
        f"      <tbody>\n{body}\n      </tbody>\n    </table>\n"
        f'    <p class="small">{note}</p>'
    )


def _style_rows(metrics):
    """A conditional model's style code: how much of the class leaks into it, and whether
    what it draws reads as the class it was asked for."""
    test = metrics["test"]
    chance = _fmt(test.get("chance_accuracy"), ".1%")
    rows = [
        (
            "main",
            f"leakage: the class read from z by a logistic-regression probe"
            f'<br><span class="small">chance {chance}; the 5-NN accuracy above is the other probe</span>',
            _fmt(test.get("probe_accuracy"), ".1%"),
            "",
        ),
        (
            "main",
            "legibility: test styles drawn as every class, read as that class"
            '<br><span class="small">by a conv classifier that reads '
            f"{_fmt(test.get('classifier_accuracy'), '.1%')} "
            "of the test images right</span>",
            _fmt(test.get("legibility"), ".1%"),
            "",
        ),
    ]
    return rows


def _active_units(metrics):
    active = _get(metrics, "test", "active_units")
    if active is None:
        return MISSING
    return f"{_esc(active)} / {_esc(metrics.get('latent_dim', '?'))}"


# ----------------------------------------------------------------------------
# Figures and the whole page


def _figure_size(path):
    """(width, height) in pixels, or None when Pillow cannot read the file."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError):
        return None


def _figures(out_dir, figures):
    """<figure> elements for the figures that exist in out_dir; wide ones span both columns."""
    parts = []
    for name, caption in figures:
        path = out_dir / name
        if not path.is_file() or out_dir.resolve() not in path.resolve().parents:
            continue  # not drawn this run (or not in this folder): leave it out
        size = _figure_size(path)
        wide = size is not None and size[0] > 1.6 * size[1]
        dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
        cls = ' class="wide"' if wide else ""
        parts.append(
            f"    <figure{cls}>\n"
            f'      <img src="{_esc(quote(str(name)))}" alt="{_esc(caption)}"{dims}>\n'
            f"      <figcaption><code>{_esc(name)}</code> — {_esc(caption)}</figcaption>\n"
            f"    </figure>"
        )
    return "\n".join(parts) or '    <p class="small">No figures in this folder.</p>'


def _class_select(data):
    """The class picker of a conditional model's explorer (nothing for one sprite)."""
    if data is None or len(data["sprites"]) < 2:
        return ""
    options = "".join(
        f'<option value="{_esc(s["file"])}">{_esc(s["name"])}</option>' for s in data["sprites"]
    )
    return f'      <label class="pick">Decode as class <select id="sprite-class">{options}</select></label>'


def _explorer_intro(data, conditional):
    if data is None:
        return ""
    what = "each test image's latent mean" + (" (given its class)" if conditional else "")
    return (
        f"Dots: {what}, coloured by class ({len(data['points']):,} test images). Move the pointer "
        "over the plane to see what the decoder draws there (the nearest of its "
        f"{len(data['xs'])}×{len(data['ys'])} grid points); point at a dot to see its test image."
    )


def _footer(out_dir):
    links = [
        f'<a href="{name}">{name}</a>'
        for name in ("metrics.json", "history.csv")
        if (out_dir / name).is_file()
    ]
    text = "Written by report.py."
    if links:
        text += " The numbers: " + ", ".join(links) + "."
    if (out_dir / "model.keras").is_file():
        text += (
            " The model: <code>model.keras</code> (<code>keras.models.load_model</code> after "
            "<code>import common</code>)."
        )
    return text


def _json_for_script(data):
    """JSON that cannot end the <script> element it sits in."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(out_dir, metrics, figures, data):
    """The page's HTML; data is the explorer data from _write_explorer_images (or None)."""
    out_dir = Path(out_dir)
    conditional = _conditional(metrics, data)
    title = run_title(metrics)
    subtitle = (
        "A conditional VAE: the decoder draws a given class" if conditional else "A variational autoencoder"
    ) + " on 28×28 handwritten characters. Lower nats are better."
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=_esc(title),
        subtitle=_esc(subtitle),
        banners=_banners(metrics),
        facts=_facts(metrics, conditional),
        metrics_table=_metrics_table(metrics, conditional),
        explorer_hidden="" if data is not None else " hidden",
        explorer_intro=_esc(_explorer_intro(data, conditional)),
        class_select=_class_select(data),
        figures=_figures(out_dir, figures),
        footer=_footer(out_dir),
        explorer_json=_json_for_script(data),
    )


# ----------------------------------------------------------------------------
# The console's summary


def print_summary(metrics, out, files):
    """The console's summary of a run, from its metrics.json: the last thing a script prints."""
    test = metrics["test"]
    if metrics["loaded_from"]:
        training = f"none: loaded {metrics['loaded_from']}"
    else:
        training = (
            f"{metrics['epochs_this_run']} epochs in {metrics['train_seconds']:.1f} s "
            f"({metrics['images_per_second']:,.0f} images/s)"
            + (" (interrupted)" if metrics["interrupted"] else "")
            + (" (stopped by --time-limit)" if metrics.get("stopped_by_time_limit") else "")
            + (f", fine-tuned from {metrics['fine_tuned_from']}" if metrics.get("fine_tuned_from") else "")
        )
    what = f"{bound_on(True)} bound" if metrics["conditional"] else "negative ELBO"
    knn = (
        "5-NN accuracy of the class from z (style only: near chance is good)"
        if metrics["conditional"]
        else "5-NN accuracy"
    )
    files_read = (": " + metrics["data"]["files"]) if metrics["data"]["files"] else ""
    iwae = f"k={test['iwae_k']}, {test['iwae_images']:,} images, {test['iwae_subset']}"
    lines = [
        f"\nSummary ({metrics['variant']})",
        f"  data         {metrics['data']['description']}{files_read}",
        f"               {metrics['n_train']:,} train / {metrics['n_test']:,} test images, "
        f"classes {metrics['classes']}",
        f"  model        {model_description(metrics)}",
        f"  training     {training}",
        f"  test loss    {test['loss']:.2f} nats/image ({what}) = "
        f"reconstruction {test['reconstruction']:.2f} + KL {test['kl']:.2f}",
        f"  test IWAE    {test['iwae_nll']:.2f} ± {test['iwae_stderr']:.2f} nats/image ({iwae})",
        f"  latent space {knn} {test['knn_accuracy']:.1%}, active units {test['active_units']}/"
        f"{metrics['latent_dim']}{layers_summary(metrics)}{style_summary(metrics)}",
        f"  files        {out}/: {', '.join(sorted(files))}",
    ]
    print("\n".join(lines), flush=True)


def layers_summary(metrics):
    """The summary's line on each stochastic layer of a hierarchical model (the ladder)."""
    layers = metrics["test"].get("layers", [])
    if len(layers) < 2:
        return ""
    return "\n  layers       " + "; ".join(
        f"{layer['name']}: KL {layer['kl']:.2f}, active units {layer['active_units']}/{layer['dims']}"
        for layer in layers
    )


def style_summary(metrics):
    """The summary's lines on a conditional model's style code: leakage and legibility."""
    test = metrics["test"]
    if "legibility" not in test:
        return ""
    return (
        f"\n  leakage      the class read from z by a logistic probe {test['probe_accuracy']:.1%}, "
        f"chance {test['chance_accuracy']:.1%}"
        f"\n  legibility   {test['legibility']:.1%} of {test['legibility_images']:,} test styles drawn "
        "as every class are read as that class"
        "\n               (by a conv classifier that reads "
        f"{test['classifier_accuracy']:.1%} of the test images right)"
    )
