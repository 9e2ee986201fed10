"""How real are the offline letters? Train on synthetic digits, test on real MNIST.

    python bench/digits_proxy.py                          # this synthetic_letters.py, dense 2-D and conv 16-D
    python bench/digits_proxy.py --module /tmp/old.py     # another generator, e.g. an old version
    python bench/digits_proxy.py --module /tmp/old.py --module synthetic_letters.py   # both, one real model
    python bench/digits_proxy.py --train 2000 --epochs 2  # a quick try
    python bench/digits_proxy.py --from-canvas            # MNIST-framed from the drawing, not reframed
    python bench/digits_proxy.py --seeds 0 1 2            # three runs: the gap's mean and spread

There are no real EMNIST letters on this machine, but there are real MNIST digits, and the letters'
generator can draw digits too (the Hershey fonts have them). For each model (dense 2-D, conv 16-D)
this trains one VAE on the generator's digits and one on the same number of real MNIST training
digits, for the same epochs, and evaluates both on the 10,000 real MNIST test digits: the gap in
-ELBO (nats per image) is how far the generator's handwriting is from real handwriting, as a model
sees it. The 5-NN accuracy of the test digits' z_means against the real training digits' is given too.
One run is noisy: the conv model starts collapsed and opens its code slowly, so after 15 epochs the
same real-trained model scored 107.6 to 120.6 nats over three identical runs. 40 epochs (the default)
settle it better, and generators are compared on the mean of several seeds (each draws its own digits
and initialises its models), in one run, where every generator meets the same real-trained models.

The generator frames its images as EMNIST did; MNIST's framing differs (the ink's box scaled to fit
20x20, placed by its centre of mass), so the synthetic digits are reframed that way first
(mnist_frame), which any version of the generator allows. With --from-canvas they are framed so
from the generator's 128x128 drawing instead, without EMNIST's blur and bicubic step: closer to
MNIST's own pipeline. Each model validates (early stopping, best weights) on held-out images of
its own training source, never on the MNIST test set.
"""

import argparse
import functools
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import loaders  # noqa: E402  (NumPy only)
from loaders import DIGITS  # noqa: E402
from settings import Settings  # noqa: E402  (no TensorFlow)
from stroke_stats import load_module  # noqa: E402

MNIST = loaders.DEVELOPERS_MNIST
MODELS = {"dense": 2, "conv": 16}  # architecture: latent dimensions


def mnist_frame(image, resample=Image.LANCZOS):
    """An image (a 28x28 uint8 one, or the generator's float canvas) framed as MNIST's: the ink's box
    (pixels over a tenth of the maximum) scaled, keeping its aspect, to fit 20x20 with anti-aliasing,
    then shifted so that its centre of mass sits at the centre of the 28x28 field (LeCun et al.)."""
    if image.dtype != np.uint8:
        image = np.round(255 * image / image.max()).astype(np.uint8)
    rows, cols = np.nonzero(image > 0.1 * image.max())
    roi = Image.fromarray(image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1])
    scale = 20 / max(roi.size)
    roi = np.asarray(
        roi.resize((max(1, round(roi.width * scale)), max(1, round(roi.height * scale))), resample)
    )
    out = np.zeros((28, 28), np.float32)
    top, left = (28 - roi.shape[0]) // 2, (28 - roi.shape[1]) // 2
    out[top : top + roi.shape[0], left : left + roi.shape[1]] = roi
    cy, cx = ndimage.center_of_mass(out)
    out = ndimage.shift(out, (round(13.5 - cy), round(13.5 - cx)), order=0)
    return np.clip(out, 0, 255).astype(np.uint8)


def synthetic_digits(module_path, n_train, n_val, seed, from_canvas=False):
    """(x_train, y_train, x_val, y_val) of the generator in module_path, MNIST-framed, uint8: from its
    EMNIST-framed images, or (from_canvas) from its drawing canvas."""
    module = load_module(module_path)
    if from_canvas:
        # Area averaging, from the binary drawing: grey only where a pixel is partly inked, as MNIST's.
        frame = functools.partial(mnist_frame, resample=Image.BOX)
        return module.make_synthetic_letters(DIGITS, n_train // 10, n_val // 10, seed=seed, frame=frame)
    x_train, y_train, x_val, y_val = module.make_synthetic_letters(
        DIGITS, n_train // 10, n_val // 10, seed=seed
    )
    return (
        np.stack([mnist_frame(x) for x in x_train]),
        y_train,
        np.stack([mnist_frame(x) for x in x_val]),
        y_val,
    )


def fit_and_test(x_train, y_train, x_val, y_val, real, arch, epochs, seed):
    """Train one VAE on (x_train, validated on x_val) and return its metrics on the real test digits."""
    import common
    import evaluation
    import training

    scale = lambda x: (x.astype(np.float32) / 255)[..., None]
    about = loaders.DataSource(
        "bench", "digits proxy", "the proxy's training digits (synthetic or real MNIST)"
    )
    data = loaders.Data(scale(x_train), y_train, scale(x_val), y_val, DIGITS, "bench", about)
    settings = Settings(variant="digits", epochs=epochs, patience=epochs, seed=seed, quiet=True)
    vae = common.build_vae(common.ModelConfig(arch=arch, latent_dim=MODELS[arch]), seed=seed)
    with tempfile.TemporaryDirectory() as checkpoints:
        training.train(vae, data, settings, Path(checkpoints))
    (x_ref, y_ref), (x_test, y_test) = [(scale(x), y) for x, y in real]
    z_ref, z_test = evaluation.encode_all(vae, x_ref), evaluation.encode_all(vae, x_test)
    return {
        "neg_elbo": evaluation.negative_elbo(vae, x_test, None, 1000)["loss"],
        "knn": evaluation.knn_accuracy(z_ref, y_ref, z_test, y_test),
        # Which digits the gap comes from: spread evenly (the pen, the framing) or from a few forms.
        "neg_elbo_by_class": [
            evaluation.negative_elbo(vae, x_test[y_test == c], None, 1000)["loss"] for c in range(len(DIGITS))
        ],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--module",
        type=Path,
        action="append",
        help="a generator: a file with make_synthetic_letters(chars, n_train, n_test, seed) that draws "
        "digits (repeatable; default: this synthetic_letters.py)",
    )
    parser.add_argument("--train", type=int, default=10_000, help="training images of each source")
    parser.add_argument("--epochs", type=int, default=40, help="training epochs of each model")
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=[0],
        help="seeds of the generator and of the models: one run each, the gaps averaged",
    )
    parser.add_argument(
        "--mnist", type=Path, default=MNIST, help="folder with MNIST's four IDX files (.gz or not)"
    )
    parser.add_argument(
        "--from-canvas",
        action="store_true",
        help="frame the digits as MNIST's from the generator's 128x128 canvas (make_synthetic_letters' "
        "frame=; version 2 on) instead of reframing its EMNIST-framed images (any version)",
    )
    parser.add_argument(
        "--arch",
        choices=list(MODELS),
        action="append",
        help="only this model (repeatable; default: both: dense 2-D and conv 16-D)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    names = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    files = [loaders._find(args.mnist, name) for name in names]
    if not all(files):
        parser.error(f"--mnist: no MNIST IDX files in {args.mnist}")
    x_real, y_real = loaders.read_idx_pair(*files[:2])
    real_test = loaders.read_idx_pair(*files[2:])
    n_val = max(10, args.train // 10)
    # The kNN reference is the real training digits the real model learns from: the same for both.
    real_train = (x_real[: args.train], y_real[: args.train], x_real[-n_val:], y_real[-n_val:])
    reference = real_train[:2]
    archs = args.arch or list(MODELS)
    modules = [str(module) for module in args.module or [REPO / "synthetic_letters.py"]]
    results = {}  # seed -> "arch source" -> metrics; source: "real" or a generator's path
    for seed in args.seeds:
        sources = {"real": real_train}
        for module in modules:
            started = time.time()
            sources[module] = synthetic_digits(module, args.train, n_val, seed, args.from_canvas)
            print(
                f"seed {seed}: drew {args.train + n_val:,} digits with {module} "
                f"in {time.time() - started:.1f} s",
                flush=True,
            )
        for arch in archs:
            for source, arrays in sources.items():
                metrics = fit_and_test(*arrays, (reference, real_test), arch, args.epochs, seed)
                results.setdefault(seed, {})[f"{arch} {source}"] = metrics
                print(seed, arch, source, metrics, flush=True)

    def across_seeds(arch, source, key):
        return np.array([results[seed][f"{arch} {source}"][key] for seed in args.seeds])

    print(
        f"\n{args.train:,} training images, {args.epochs} epochs, seeds {' '.join(map(str, args.seeds))}"
        f"{'; MNIST-framed from the canvas' if args.from_canvas else ''}"
    )
    print(
        "| model | generator | -ELBO on real MNIST test, trained on real | trained on synthetic "
        "| gap (nats) | 5-NN acc. real / synthetic |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for arch in archs:
        real = across_seeds(arch, "real", "neg_elbo")
        for module in modules:
            synth = across_seeds(arch, module, "neg_elbo")
            gaps = synth - real  # each seed's gap against the real model of the same seed
            spread = f" ± {gaps.std(ddof=1):.2f} (sd of {len(gaps)})" if len(gaps) > 1 else ""
            print(
                f"| {arch} {MODELS[arch]}-D | {module} | {real.mean():.2f} | {synth.mean():.2f} "
                f"| {gaps.mean():.2f}{spread} | {across_seeds(arch, 'real', 'knn').mean():.3f} "
                f"/ {across_seeds(arch, module, 'knn').mean():.3f} |"
            )
    print(
        "\ngap by class (nats; -ELBO of the real test digits of that class, "
        "synthetic-trained minus real-trained, mean over seeds)"
    )
    print("| model | generator | " + " | ".join(DIGITS) + " |")
    print("|---|---|" + "---:|" * len(DIGITS))
    for arch in archs:
        for module in modules:
            gaps = across_seeds(arch, module, "neg_elbo_by_class") - across_seeds(
                arch, "real", "neg_elbo_by_class"
            )
            print(
                f"| {arch} {MODELS[arch]}-D | {module} | "
                + " | ".join(f"{gap:.1f}" for gap in gaps.mean(0))
                + " |"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
