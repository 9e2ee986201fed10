"""Evaluation: the negative ELBO, the IWAE bound, k-NN accuracy, active units, and the
subsets of test images they share; for a conditional model also the three numbers of its
style code: fidelity (the bound on −log p(x | class)), leakage (how well two probes read the
class from z) and legibility (whether a separate classifier reads what it draws as the class).

Everything is reported in nats per image, so the numbers compare with published ones.
Wherever only some test images are used, they are drawn with a fixed seed in proportion to
every class (`stratified_subset`): the official EMNIST test split is sorted by class, so
"the first N test images" would be a few letters only. Training is in training.py, the
figures in figures.py; experiment.py decides which of these to compute.
"""

import json
import math
import sys

import numpy as np
from tqdm import tqdm

from common import iwae_bound, keras, layers, ops, tf
from files import atomic_write, write_json
from training import compile_vae, evaluation_images, validation_batch_size, validation_dataset


def stratified_subset(labels, n, seed=0):
    """Indices of n of the images (all if n is 0 or too large), each class in proportion to
    its share, drawn with a fixed seed; sorted, so the subset keeps the data's order."""
    labels = np.asarray(labels)
    if not n or n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * n / len(labels)).astype(int)
    remainder = counts * n / len(labels) - quota
    quota[np.argsort(-remainder, kind="stable")[: n - quota.sum()]] += 1  # largest remainders get the rest
    chosen = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(chosen))


def one_per_class(labels, n, seed=0):
    """n indices covering as many classes as possible: a random image of each class in turn."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    pools = [list(rng.permutation(np.flatnonzero(labels == c))) for c in np.unique(labels)]
    chosen = []
    while len(chosen) < min(n, len(labels)):
        chosen += [pool.pop() for pool in pools if pool][: n - len(chosen)]
    return np.array(sorted(chosen, key=lambda i: (labels[i], i)), dtype=int)


def encode_all(vae, x, labels=None, batch_size=4096):
    """z_mean of every image (given its class, which a model without classes ignores).

    The encoder is called directly, batch by batch: Keras' predict() would build a new input
    pipeline on every call, 3 times the cost of the encoding itself for the GIF's 2,000 images
    after each epoch."""
    means = []
    for start in range(0, len(x), batch_size):
        batch_labels = None if labels is None else labels[start : start + batch_size]
        means.append(ops.convert_to_numpy(vae.encode(x[start : start + batch_size], batch_labels)[0]))
    return np.concatenate(means) if means else np.zeros((0, vae.latent_dim), np.float32)


def decoder_fn(vae):
    """decode(z[, labels]) → images (n, 28, 28, 1) in 0..1, as numpy, for the figures."""

    def decode(z, labels=None):
        z = ops.convert_to_tensor(np.asarray(z, np.float32))
        labels = None if labels is None else ops.convert_to_tensor(np.asarray(labels, np.int32))
        return ops.convert_to_numpy(vae.decode(z, labels))

    return decode


def negative_elbo(vae, x, labels, batch_size):
    """Mean reconstruction, KL and their sum (β = 1) over x, one z sample per image."""
    if not vae.compiled:
        compile_vae(vae)
    logs = vae.evaluate(validation_dataset(vae, x, labels, batch_size), verbose=0, return_dict=True)
    reconstruction, kl = logs["reconstruction"], logs["kl"]
    return {"loss": reconstruction + kl, "reconstruction": reconstruction, "kl": kl}


def iwae_nll(vae, x, labels=None, k=100, seed=0, batch_size=None, progress=False):
    """Importance-weighted estimate of −log p(x) (Burda et al. 2015), in nats: returns the
    mean over x and its standard error (over the images).

    log p(x) ≥ E[log (1/k) Σ_i p(x, z_i) / q(z_i|x)] with z_i ~ q(z|x); k = 1 gives the
    ELBO and the bound tightens as k grows, so this is never above the negative ELBO
    (up to sampling noise). For a conditional model it bounds −log p(x | class).
    """
    batch_size = batch_size or max(1, 8192 // k)
    labels = np.zeros(len(x), np.int32) if labels is None else np.asarray(labels, np.int32)
    seed_generator = keras.random.SeedGenerator(seed)

    def batch_log_px(images, classes):
        return iwae_bound(vae.draw(images, classes, k, seed_generator))

    # A tf.function on TensorFlow, not XLA: its compilation took 2-3 s of a 10-s evaluation and no
    # call ran faster with it. Eager elsewhere: jax.jit would need the seed generator's state passed
    # in and out.
    if tf is not None:
        batch_log_px = tf.function(batch_log_px, autograph=False)

    log_px = []
    with tqdm(total=len(x), unit="image", file=sys.stdout, disable=not progress) as bar:
        for start in range(0, len(x), batch_size):
            images, classes = x[start : start + batch_size], labels[start : start + batch_size]
            n = len(images)
            if n < batch_size:  # pad, so the compiled function sees one shape only
                images = np.concatenate([images, np.zeros((batch_size - n, *images.shape[1:]), images.dtype)])
                classes = np.concatenate([classes, np.zeros(batch_size - n, classes.dtype)])
            log_px.append(ops.convert_to_numpy(batch_log_px(images, classes))[:n])
            bar.update(n)
    nll = -np.concatenate(log_px).astype(np.float64)
    return float(nll.mean()), float(nll.std(ddof=1) / math.sqrt(len(nll))) if len(nll) > 1 else 0.0


def prior_samples(vae, n, seed=0):
    """n draws (n, latent_dim) from the model's prior, as numpy."""
    return vae.prior.sample(vae, n, seed)


def learned_prior_samples(vae, n=20000, seed=0):
    """prior_samples for a learned prior, None for N(0, I): the figures space their grids by the
    quantiles of these, and keep their exact Gaussian quantiles for N(0, I)."""
    return prior_samples(vae, n, seed) if vae.prior.learned else None


def knn_accuracy(z_train, y_train, z_test, y_test, k=5):
    """How well the latent space separates the characters: k-nearest-neighbour accuracy.
    For a conditional model z should hold the style alone, so this should be near chance."""
    from sklearn.neighbors import KNeighborsClassifier

    return float(KNeighborsClassifier(n_neighbors=k).fit(z_train, y_train).score(z_test, y_test))


def logistic_probe_accuracy(z_train, y_train, z_test, y_test):
    """How well a trained linear classifier (multinomial logistic regression on standardised
    z) reads the class from z: it finds a class that k-NN misses when it hides in a direction."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return float(probe.fit(z_train, y_train).score(z_test, y_test))


def chance_accuracy(y_train, y_test):
    """What a probe scores knowing nothing: always the training set's most common class
    (1/classes for balanced classes)."""
    return float(np.mean(np.asarray(y_test) == np.bincount(y_train).argmax()))


# The judge of legibility: a small conv net trained on the run's own training images. It only
# ever reads images; it is never part of the VAE's loss.
CLASSIFIER_EPOCHS = 3


def build_classifier(num_classes):
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(num_classes),
        ],
        name="classifier",
    )


def classifier_for(data, paths, seed=0):
    """The judge for this data: loaded from the first of `paths` (classifier.keras files) whose
    record (classifier.json beside it) names the same classes, source and training images;
    else trained for CLASSIFIER_EPOCHS epochs and saved to the last of `paths`."""
    record = {
        "classes": data.classes,
        "source": data.source,
        "n_train": len(data.x_train),
        "epochs": CLASSIFIER_EPOCHS,
    }
    for path in paths:
        try:
            if json.loads(path.with_suffix(".json").read_text()) == record:
                return keras.models.load_model(path)
        except (OSError, ValueError):
            continue  # none there, or damaged: train a new one
    print(
        f"Training the legibility classifier ({CLASSIFIER_EPOCHS} epochs on the training images) ...",
        flush=True,
    )
    keras.utils.set_random_seed(seed)
    classifier = build_classifier(len(data.classes))
    classifier.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        metrics=["accuracy"],
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    classifier.fit(data.x_train, data.y_train, batch_size=128, epochs=CLASSIFIER_EPOCHS, verbose=0)
    if paths:
        atomic_write(paths[-1], classifier.save)
        write_json(paths[-1].with_suffix(".json"), record)
    return classifier


def classify_fn(classifier):
    """classify(images) → the class the classifier names for each image."""
    return lambda images: np.argmax(classifier.predict(images, batch_size=1024, verbose=0), axis=-1)


def legibility(decode, classify, z, classes, batch=100):
    """The fraction of style codes z, each decoded as every class in `classes` (a count, or the
    class indices), that classify() names as the class they were drawn as: 1 when every letter
    reads as itself in every hand; near chance when the decoder ignores the class."""
    classes = np.arange(classes) if np.isscalar(classes) else np.asarray(classes)
    hits = 0
    for start in range(0, len(z), batch):
        styles = z[start : start + batch]
        drawn = np.tile(classes, len(styles))
        hits += int(np.sum(classify(decode(np.repeat(styles, len(classes), axis=0), drawn)) == drawn))
    return hits / (len(z) * len(classes))


def style_metrics(vae, data, z_train, z_test, classifier_paths, seed=0, images=1000):
    """Leakage (two probes fitted on training z-means, and chance) and legibility (on `images`
    test images' style codes, drawn in proportion to every class) of a conditional model."""
    classifier = classifier_for(data, classifier_paths, seed)
    classify = classify_fn(classifier)
    fit = stratified_subset(data.y_train, 10000, seed=seed)  # the logistic probe's fit grows with n
    shown = stratified_subset(data.y_test, images, seed=seed)
    return {
        "probe_accuracy": logistic_probe_accuracy(z_train[fit], data.y_train[fit], z_test, data.y_test),
        "chance_accuracy": chance_accuracy(data.y_train, data.y_test),
        # The classes the classifier learned: all of them, unless a fine-tuned model's data has fewer.
        "legibility": legibility(decoder_fn(vae), classify, z_test[shown], np.unique(data.y_train)),
        "legibility_images": len(shown),
        "classifier_accuracy": float(np.mean(classify(data.x_test) == data.y_test)),
    }


def active_units(z_test, threshold=0.01):
    """Latent dimensions the encoder actually uses: Var over the test set of z_mean > 0.01."""
    return int((np.var(z_test, axis=0) > threshold).sum())


def layer_metrics(vae, x, labels=None, batch_size=1000):
    """Each stochastic layer, top first (one for dense and conv, two for the ladder): its name,
    dimensions, active units (as active_units, of its posterior means) and mean KL over x, in nats."""
    batches = []
    for start in range(0, len(x), batch_size):
        batch_labels = None if labels is None else labels[start : start + batch_size]
        batches.append(
            [
                (name, ops.convert_to_numpy(means), ops.convert_to_numpy(kl))
                for name, means, kl in vae.layer_statistics(x[start : start + batch_size], batch_labels)
            ]
        )
    layers_ = []
    for i, (name, means, _) in enumerate(batches[0]):
        means = np.concatenate([batch[i][1] for batch in batches])
        kl = np.concatenate([batch[i][2] for batch in batches])
        layers_.append(
            {
                "name": name,
                "dims": int(means.shape[1]),
                "active_units": active_units(means),
                "kl": float(kl.mean()),
            }
        )
    return layers_


def evaluate(vae, data, args, classifier_paths=()):
    """The train and test metrics of metrics.json, plus the test images and z_means for the figures.
    args: the run's Settings (settings.py), for iwae_k, iwae_images, batch_size, binarize, seed and quiet.
    classifier_paths: where the legibility classifier of a conditional model is cached."""
    x_train = evaluation_images(data.x_train, args, seed_offset=1)
    x_test = evaluation_images(data.x_test, args)
    # The validation's batch size, whose test step training already compiled: another shape would be
    # another XLA compilation (2-4 s). The letters' 26,000 training images are 10 batches of it.
    batch_size = validation_batch_size(len(x_test))
    z_train, z_test = encode_all(vae, x_train, data.y_train), encode_all(vae, x_test, data.y_test)
    subset = stratified_subset(data.y_test, args.iwae_images, seed=args.seed)
    print(f"IWAE bound: k = {args.iwae_k} importance samples on {len(subset):,} test images", flush=True)
    iwae, iwae_stderr = iwae_nll(
        vae, x_test[subset], data.y_test[subset], k=args.iwae_k, seed=args.seed, progress=not args.quiet
    )
    test = {
        **negative_elbo(vae, x_test, data.y_test, batch_size),
        "iwae_nll": iwae,
        "iwae_stderr": iwae_stderr,
        "iwae_k": args.iwae_k,
        "iwae_images": len(subset),
        "iwae_subset": "all test images"
        if len(subset) == len(x_test)
        else f"stratified by class, seed {args.seed}",
        "knn_accuracy": knn_accuracy(z_train, data.y_train, z_test, data.y_test),
        "knn_images": {"train": len(z_train), "test": len(z_test)},
        "active_units": active_units(z_test),
        "layers": layer_metrics(vae, x_test, data.y_test),  # the ladder's two layers apart
    }
    if vae.conditional:
        test.update(style_metrics(vae, data, z_train, z_test, list(classifier_paths), seed=args.seed))
    return negative_elbo(vae, x_train, data.y_train, batch_size), test, x_test, z_test
