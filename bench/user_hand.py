"""A user's own hand: how much closer does fine-tuning on N of their letters per class get to it?

    python bench/user_hand.py                             # base model (trained if missing), N = 5, 10, 40
    python bench/user_hand.py --base outputs/letters/model.keras   # start from your conditional letters model
    python bench/user_hand.py --n 5 --hand 2              # one N, another hand
    python bench/user_hand.py --epochs 30 --out outputs/user-hand-30   # the fine-tunes cut at 30 epochs
    python bench/user_hand.py --folders-only              # write the hand's letter folders and stop
    python bench/user_hand.py --reuse                     # measure again, keeping the tuned models in --out

There is no real handwriting here, so one hand is simulated (synthetic_letters.make_hand): the
offline generator with the slant, rotation, aspect, bending field, pen, size and each letter's form
drawn once; only a sample's own strokes vary. Its letters are saved as a user would give them
(PNG, dark ink on light paper, 3x size, one subfolder per class): for each N a training folder
with N of every letter, and one held-out folder of other letters of the same hand. Then, as a user
would, `vae_letters.py --images train-N --fine-tune BASE` for each N, and every model (the base
first, "before") is measured on ALL the held-out letters, prepared as --images prepares them:

* −log p(x | class): the negative ELBO (one z draw) and the IWAE bound (k importance samples);
* 5-NN and logistic probe: how well the class is read from the style code z, within the hand
  (fitted on half of its held-out letters, scored on the other half, and the reverse; chance 1/26):
  a code that holds the hand alone gives every letter of it the same z;
* legibility: the held-out letters' codes drawn as every letter, read by the base run's judge
  (evaluation.classifier_for: a conv net trained on the base model's training data, the same judge
  for every row).

It also prints the −ELBO of each model on the base data's test set (other hands: what fine-tuning
costs them) and writes alphabet_before_after.png: the hand's own letters, then each model's
alphabet in the hand's style code (the mean z of the held-out letters). A few letters are one
minibatch per epoch, so 30 epochs left the fine-tunes far from done; fine-tuning now defaults to
200 epochs and early stopping. Results and their reading: bench/README.md, "A user's hand".
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import loaders  # noqa: E402  (NumPy only)
from files import UserError, read_saved_run  # noqa: E402
from synthetic_letters import make_hand  # noqa: E402

sys.path.insert(0, str(REPO / "docs"))
from blocks import USER_HAND, not_measured, num, pct, stored  # noqa: E402  (docs/blocks.py: formats, paths)

OUT = REPO / "outputs" / "user-hand"
GUIDE = REPO / "docs" / "own-letters.md"
TRAIN_SAMPLES, HELDOUT_SAMPLES = 1, 2  # make_hand's sample_seed of each: other letters of the same hand
UPSCALE = 3  # a phone or scanner gives more than 28 px; the preparation frames them down again


# ----------------------------------------------------------------------------
# The hand's letters, as folders a user would give --images


def save_folder(folder, images, labels, chars):
    """images (uint8, ink bright) as dark ink on light paper, UPSCALE x size, one subfolder per class."""
    shutil.rmtree(folder, ignore_errors=True)  # a folder of an earlier run must not mix in
    for i, (image, label) in enumerate(zip(images, labels)):
        (folder / chars[label]).mkdir(parents=True, exist_ok=True)
        paper = Image.fromarray(255 - image).resize((28 * UPSCALE, 28 * UPSCALE), Image.BICUBIC)
        paper.save(folder / chars[label] / f"{i:04d}.png")
    return folder


def write_hand_folders(out, chars, ns, heldout, hand_seed):
    """{N: training folder with N letters of every class, "heldout": the held-out folder}, and the
    held-out letters as drawn (x, y), before the PNG and the preparation.
    The training sets are nested: make_hand's first N samples of a stream are those of a larger N."""
    x, y = make_hand(chars, max(ns), hand_seed, TRAIN_SAMPLES)
    folders = {
        n: save_folder(out / f"train-{n}", x[: n * len(chars)], y[: n * len(chars)], chars) for n in ns
    }
    x_held, y_held = make_hand(chars, heldout, hand_seed, HELDOUT_SAMPLES)
    folders["heldout"] = save_folder(out / "heldout", x_held, y_held, chars)
    return folders, (x_held, y_held)


def prepared_folder(folder, chars, framing=None):
    """Every image of an --images folder as the test set: (x (n, 28, 28, 1) float32, class indices
    into chars), each prepared as --images prepares it (writing.prepare_style_image, framed as
    `framing`: with --fine-tune, the base model's; None: EMNIST's). Unlike load_image_folder, none
    goes to a training split."""
    import writing

    scanned = loaders.scan_image_folder(folder, chars)
    paths = [(path, chars.index(char)) for char, files in scanned.classes.items() for path in files]
    x = np.stack([writing.prepare_style_image(path, framing) for path, _ in paths]).astype(np.float32)
    return x[..., None], np.array([label for _, label in paths], np.int64)


# ----------------------------------------------------------------------------
# The models: the base (trained if missing) and one fine-tuned per N, by the scripts, as a user runs them


def run_script(argv, log):
    """vae_letters.py with argv, its console to `log`; exits with its status if it fails."""
    command = [sys.executable, str(REPO / "vae_letters.py"), *map(str, argv)]
    print("$", " ".join(map(shown, command[1:])), f"> {shown(log)}", flush=True)
    with open(log, "w") as console:
        status = subprocess.run(command, stdout=console, stderr=subprocess.STDOUT).returncode
    if status:
        sys.exit(f"{command[1]} failed with status {status}; its console is in {log}")
    return log.read_text()


def fine_tune(base, folder, out_dir, epochs=None):
    """Fine-tune `base` on `folder`; returns its metrics.json, the validation loss before training
    and the epoch kept (0: the base's own weights, which no epoch beat)."""
    extra = ["--epochs", epochs] if epochs else []
    console = run_script(
        ["--images", folder, "--fine-tune", base, "--out", out_dir, "--no-gif", "--quiet", *extra],
        out_dir.with_suffix(".log"),
    )
    return tuned_record(out_dir, console)


def tuned_record(out_dir, console):
    """A fine-tuned run's metrics, with the validation loss before training (from its console) and
    the epoch its kept weights come from (ModelCheckpoint keeps an epoch only if it beats the base)."""
    import pandas as pd

    metrics = json.loads((out_dir / "metrics.json").read_text())
    before = float(re.search(r"validation loss ([\d.]+) nats before training", console).group(1))
    val = pd.read_csv(out_dir / "history.csv")["val_loss"].to_numpy()
    best = int(np.argmin(val)) + 1 if val.min() < before else 0
    return {**metrics, "val_loss_before": before, "best_epoch": best}


# ----------------------------------------------------------------------------
# Measuring a model on the hand's held-out letters


def halves_accuracy(score, z, y):
    """A probe's accuracy within the hand: fitted on the even-numbered letters of each class, scored on
    the odd ones, and the reverse; the mean of the two."""
    rank = np.zeros(len(y), int)
    for c in np.unique(y):
        rank[y == c] = np.arange(np.sum(y == c))
    first = rank % 2 == 0
    return (
        score(z[first], y[first], z[~first], y[~first]) + score(z[~first], y[~first], z[first], y[first])
    ) / 2


def measure(vae, x, y, judge, k, seed=0):
    """The bound on −log p(x | class), the style code's leakage within the hand and its legibility."""
    import evaluation
    from training import validation_batch_size

    z = evaluation.encode_all(vae, x, y)
    iwae, iwae_stderr = evaluation.iwae_nll(vae, x, y, k=k, seed=seed)
    return {
        **evaluation.negative_elbo(vae, x, y, validation_batch_size(len(x))),
        "iwae_nll": iwae,
        "iwae_stderr": iwae_stderr,
        "knn_accuracy": halves_accuracy(evaluation.knn_accuracy, z, y),
        "probe_accuracy": halves_accuracy(evaluation.logistic_probe_accuracy, z, y),
        "legibility": evaluation.legibility(
            evaluation.decoder_fn(vae), evaluation.classify_fn(judge), z, np.unique(y)
        ),
        "style": z.mean(0),  # the hand's style code: one hand, one z
    }


def plot_before_after(rows, chars, path, title):
    """One row per (name, images (len(chars), 28, 28) in 0..1): dark ink on white, letters above."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    canvas = np.concatenate([np.concatenate(list(images.reshape(-1, 28, 28)), 1) for _, images in rows], 0)
    fig, ax = plt.subplots(figsize=(0.42 * len(chars) + 2.4, 0.46 * len(rows) + 1.2), layout="constrained")
    ax.imshow(np.clip(canvas, 0, 1), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    for r in range(1, len(rows)):
        ax.axhline(28 * r - 0.5, color="0.7", linewidth=0.6)
    ax.set_xticks(np.arange(len(chars)) * 28 + 13.5, list(chars), fontweight="bold")
    ax.xaxis.tick_top()
    ax.set_yticks(np.arange(len(rows)) * 28 + 13.5, [name for name, _ in rows])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.suptitle(title)
    fig.savefig(path, dpi=120, facecolor="white")
    plt.close(fig)


def preparation_cost(base, heldout, chars, x_drawn, y_drawn):
    """The base model's −ELBO on the held-out letters as drawn, and as prepared from their PNGs with
    the default (EMNIST's) framing and with its training data's: the nats the preparation costs."""
    import common
    import evaluation
    import writing
    from training import validation_batch_size

    vae = common.load_vae(base)
    framing = writing.read_framing(base, default=None)
    if framing is None:  # a model saved before framings were: measured on its data now
        framing = writing.Framing.from_images(loaders.load_letters(REPO / "data", chars).x_train)

    def loss(x, y):
        common.keras.utils.set_random_seed(0)
        return evaluation.negative_elbo(vae, x, y, validation_batch_size(len(x)))["loss"]

    drawn = loss((x_drawn.astype(np.float32) / 255)[..., None], y_drawn)
    print(f"base {shown(base)}: −ELBO on the {len(y_drawn)} held-out letters as drawn {drawn:.2f} nats")
    for name, chosen in (("EMNIST's (the default)", writing.Framing()), ("its training data's", framing)):
        x, y = prepared_folder(heldout, chars, chosen)
        prepared = loss(x, y)
        print(f"  prepared, framed {name}: {prepared:.2f} nats ({prepared - drawn:+.2f} from preparation)")


# ----------------------------------------------------------------------------


def shown(path):
    """A path as short as it can be said from here."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--base",
        type=Path,
        help="the conditional letters model to start from (default: OUT/base/model.keras, trained "
        "first if missing: vae_letters.py --conditional --out OUT/base)",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help="folder for the hand's letters, the models and the figure"
    )
    parser.add_argument(
        "--n", type=int, nargs="+", default=[5, 10, 40], help="letters per class to fine-tune on"
    )
    parser.add_argument("--heldout", type=int, default=20, help="held-out letters per class, the same hand's")
    parser.add_argument("--hand", type=int, default=0, help="the simulated hand (make_hand's hand_seed)")
    parser.add_argument(
        "--iwae-k", type=int, default=100, help="importance samples for the IWAE bound (all held-out letters)"
    )
    parser.add_argument(
        "--epochs", type=int, help="most epochs of each fine-tune (default: vae_letters.py's)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep fine-tuned models already in --out (measure again only)"
    )
    parser.add_argument("--folders-only", action="store_true", help="write the hand's folders and stop")
    parser.add_argument(
        "--preparation",
        action="store_true",
        help="only measure what preparing the held-out letters costs the base model, framed "
        "EMNIST's way and as its training data, and stop",
    )
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args(argv)
    if min(args.n) < 2 or args.heldout < 2:
        parser.error("--n and --heldout: at least 2 (--images holds one of each class out to validate)")
    args.out.mkdir(parents=True, exist_ok=True)

    # The base first: the hand writes the letters it knows.
    given = args.base is not None
    args.base = args.base or args.out / "base" / "model.keras"
    if not args.base.is_file() and not args.folders_only:
        if given:
            parser.error(f"--base: {args.base}: no such model")
        started = time.time()
        run_script(["--conditional", "--out", args.base.parent, "--no-gif", "--quiet"], args.out / "base.log")
        print(f"trained the base model in {time.time() - started:.0f} s", flush=True)
    try:
        saved = (
            read_saved_run(args.base, "--base")
            if args.base.is_file()
            else {"classes": loaders.LETTERS, "conditional": True}
        )
    except UserError as error:
        parser.error(str(error))
    if not saved["conditional"]:
        parser.error(f"--base: {args.base} is not conditional (train it with --conditional)")
    chars = saved["classes"]

    folders, (x_drawn, y_drawn) = write_hand_folders(args.out, chars, args.n, args.heldout, args.hand)
    print(
        f"hand {args.hand}: wrote {', '.join(shown(folders[n]) for n in args.n)} "
        f"and {shown(folders['heldout'])}",
        flush=True,
    )
    if args.folders_only:
        return

    if args.preparation:
        return preparation_cost(args.base, folders["heldout"], chars, x_drawn, y_drawn)

    tuned = {}
    for n in args.n:
        out_dir = args.out / f"tuned-{n}"
        if args.reuse and (out_dir / "model.keras").is_file():
            tuned[n] = tuned_record(out_dir, out_dir.with_suffix(".log").read_text())
        else:
            tuned[n] = fine_tune(args.base, folders[n], out_dir, args.epochs)
        print(
            f"N = {n}: {tuned[n]['epochs_run']} epochs in {tuned[n]['train_seconds']:.0f} s, kept epoch "
            f"{tuned[n]['best_epoch']}",
            flush=True,
        )

    import common
    import evaluation
    import writing
    from training import validation_batch_size

    x, y = prepared_folder(
        folders["heldout"], chars, writing.read_framing(args.base)
    )  # as the fine-tunes saw theirs
    print(
        f"{len(x)} held-out letters; prepared from their PNGs they differ from the drawn ones by "
        f"{np.abs(x[..., 0] - x_drawn[np.lexsort((np.arange(len(y_drawn)), y_drawn))] / 255).mean():.3f} "
        f"(mean |pixel|, 0..1)",
        flush=True,
    )
    base_data = loaders.load_letters(
        REPO / "data", chars
    )  # the base's data: the judge's and the other hands'
    judge = evaluation.classifier_for(
        base_data, [args.base.parent / "classifier.keras", args.out / "classifier.keras"]
    )
    judge_accuracy = float(np.mean(evaluation.classify_fn(judge)(x) == y))

    models = {"before": args.base, **{n: args.out / f"tuned-{n}" / "model.keras" for n in args.n}}
    results, vaes = {}, {}
    for name, path in models.items():
        common.keras.utils.set_random_seed(0)
        vaes[name] = vae = common.load_vae(path)
        results[name] = measure(vae, x, y, judge, args.iwae_k)
        results[name]["other_hands_loss"] = evaluation.negative_elbo(
            vae, base_data.x_test, base_data.y_test, validation_batch_size(len(base_data.x_test))
        )["loss"]
        print(
            name, {key: round(value, 3) for key, value in results[name].items() if key != "style"}, flush=True
        )
    drawn = (x_drawn.astype(np.float32) / 255)[..., None]
    drawn_loss = evaluation.negative_elbo(vaes["before"], drawn, y_drawn, validation_batch_size(len(drawn)))[
        "loss"
    ]

    # The figure: the hand's own letters, then each model's alphabet in the hand's style code.
    first = [np.flatnonzero(y == c)[0] for c in range(len(chars))]
    rows = [("the hand (held out)", x[first, ..., 0])]
    for name, vae in vaes.items():
        decode = evaluation.decoder_fn(vae)
        label = "before: base model" if name == "before" else f"fine-tuned, N = {name}"
        rows.append(
            (label, decode(np.repeat(results[name]["style"][None], len(chars), 0), np.arange(len(chars))))
        )
    figure = args.out / "alphabet_before_after.png"
    plot_before_after(
        rows,
        chars,
        figure,
        f"Hand {args.hand}: its letters, then each model's alphabet in the "
        f"hand's style code (mean z of its {len(x)} held-out letters)",
    )

    chance = 1 / len(chars)
    print(
        f"\nHand {args.hand}, {len(x)} held-out letters ({args.heldout} per class); base {args.base}; "
        f"IWAE k = {args.iwae_k}; 5-NN and probe within the hand, chance {pct(chance)}; the judge reads "
        f"{pct(judge_accuracy)} of the hand's held-out letters; the base scores {drawn_loss:.2f} nats on "
        f"them as drawn (before PNG and preparation)\n"
    )
    print(
        "| N | −log p(x\\|y) ≤ (−ELBO) | IWAE | 5-NN | probe | legibility | epochs (kept) "
        "| other hands −ELBO |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        epochs = "—" if name == "before" else f"{tuned[name]['epochs_run']} ({tuned[name]['best_epoch']})"
        print(
            f"| {'before' if name == 'before' else name} | {r['loss']:.2f} "
            f"| {r['iwae_nll']:.2f} ± {r['iwae_stderr']:.2f} "
            f"| {pct(r['knn_accuracy'])} | {pct(r['probe_accuracy'])} | {pct(r['legibility'])} | {epochs} "
            f"| {r['other_hands_loss']:.2f} |"
        )
    print(f"\nfigure: {shown(figure)}")
    if args.json:
        record = {
            "hand": args.hand,
            "base": shown(args.base),
            "heldout_images": len(x),
            "judge_accuracy": judge_accuracy,
            "base_on_drawn_letters": drawn_loss,
            "iwae_k": args.iwae_k,
            "models": {
                str(name): {
                    **{key: value for key, value in r.items() if key != "style"},
                    "style": r["style"].tolist(),
                }
                for name, r in results.items()
            },
            "fine_tunes": {
                str(n): {
                    key: t[key]
                    for key in (
                        "epochs_run",
                        "best_epoch",
                        "train_seconds",
                        "val_loss_before",
                        "n_train",
                        "n_test",
                    )
                }
                for n, t in tuned.items()
            },
        }
        args.json.write_text(json.dumps(record, indent=1, default=float))


# ----------------------------------------------------------------------------
# The table of docs/own-letters.md (docs/blocks.py writes it)


def blocks():
    """(Markdown file, block name, its text): the table of bench/user_hand.json."""
    kept = stored(USER_HAND)
    if not kept:
        return [
            (GUIDE, "user-hand:table", not_measured("python bench/user_hand.py --json bench/user_hand.json"))
        ]
    models, tunes = kept["models"], kept["fine_tunes"]
    lines = [
        "| letters per class | −log p(x\\|y) ≤ (−ELBO) | IWAE | legibility | epochs (kept) "
        "| other hands' −ELBO |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in models.items():
        epochs = "—" if name == "before" else f"{tunes[name]['epochs_run']} ({tunes[name]['best_epoch']})"
        lines.append(
            f"| {'none (the base model)' if name == 'before' else name} | {num(r['loss'])} | "
            f"{num(r['iwae_nll'])} ± {num(r['iwae_stderr'])} | {pct(r['legibility'])} | {epochs} | "
            f"{num(r['other_hands_loss'])} |"
        )
    return [(GUIDE, "user-hand:table", "\n".join(lines))]


if __name__ == "__main__":
    main()
