"""Every option of an experiment, as one dataclass that checks itself: `Settings`.

    Settings(variant="letters", epochs=5, limit=2000)    # in Python or a notebook
    vae_letters.py --epochs 5 --limit 2000                # the same run from the command line

The fields are the command line's options (the same names as argparse's dests, the same
defaults); cli.py builds its parser from these defaults. Making a Settings runs every check
that needs no data and no TensorFlow (a UserError, one line, naming the option) and fills in
what the options imply (--iwae-full's k and images, --chars without repeats, the images of
--style-from), so a mistake answers at once, before any training. experiment.run(settings)
runs the experiment. This module imports no TensorFlow.
"""

import dataclasses
import math
import os
import numbers
import string
from pathlib import Path

from files import UserError

REPO_DIR = Path(__file__).resolve().parent
# The classes each variant trains on by default.
VARIANTS = {"letters": string.ascii_uppercase, "vowels": "AEIOU", "digits": "0123456789"}
CHOICES = {"arch": ("dense", "conv", "ladder"), "prior": ("normal", "vamp"), "strategy": ("default", "mirrored", "multiworker")}
FULL_IWAE = (1000, 0)  # --iwae-full: k = 1000 on every test image, the published setting
CONDITIONAL_OPTIONS = ("write", "style_from", "grid_char")  # only a conditional model can take these
DEFAULT_PSEUDO_INPUTS = 100  # the paper's 500 cost 5x a minibatch of encoder work per step on a CPU
# --style-adversary's W when --conditional is given without it (README, "Style apart from letter").
DEFAULT_STYLE_ADVERSARY = 10.0
# The smallest value of each number option (None: no number given, the option's own default).
AT_LEAST = {"limit": 1, "latent_dim": 1, "pseudo_inputs": 1, "epochs": 1, "batch_size": 1, "patience": 1,
            "kl_warmup": 0, "train_k": 1, "iwae_k": 1, "iwae_images": 0, "sample": 1}
NON_NEGATIVE = ("beta", "style_adversary", "style_mmd", "lr", "free_bits")
POSITIVE = ("time_limit",)


@dataclasses.dataclass
class Settings:
    variant: str = "letters"  # "letters", "vowels" or "digits": the default classes and output folder
    # data and output
    data: Path = REPO_DIR / "data"
    out: Path = None  # default: outputs/<variant>/ beside the scripts
    chars: str = None  # letters to keep (not for digits); default: those of the variant in the data
    limit: int = None
    download: bool = False
    # model
    arch: str = "dense"
    latent_dim: int = 2
    conditional: bool = False
    beta: float = 1.0
    prior: str = "normal"
    pseudo_inputs: int = None  # --prior vamp only; default DEFAULT_PSEUDO_INPUTS
    style_adversary: float = None  # conditional only; default DEFAULT_STYLE_ADVERSARY
    style_mmd: float = 0.0  # conditional only; off by default: at 2-D it cost 8 nats on the letters (README)
    # training
    epochs: int = 30
    batch_size: int = 128
    lr: float = 3e-3
    patience: int = 4
    time_limit: float = None  # minutes of training at most (None: no limit)
    kl_warmup: int = 0
    train_k: int = 1
    free_bits: float = 0.0
    binarize: bool = False
    resume: bool = False
    strategy: str = "default"
    # evaluation
    iwae_k: int = 100
    iwae_images: int = 1000
    iwae_full: bool = False
    # figures
    tsne: bool = False
    sample: int = None
    no_gif: bool = False
    no_report: bool = False
    grid_char: str = None
    write: str = None
    style: int = None
    style_from: list = None  # image files, or one folder of them
    style_char: list = None
    # running
    load: str = None  # "": --out/model.keras; a path: that model
    seed: int = 0
    quiet: bool = False
    # What the checks derive: the 28x28 images of --style-from, read once.
    style_images: list = dataclasses.field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.check()

    def check(self):
        """Every check that needs no data and no TensorFlow, so a mistake answers at once."""
        if self.variant not in VARIANTS:
            raise UserError(f"variant: {self.variant!r} is not one of {', '.join(VARIANTS)}")
        self.data = Path(self.data)
        self.out = REPO_DIR / "outputs" / self.variant if self.out is None else Path(self.out)
        self._check_numbers()
        classes = VARIANTS[self.variant]
        if self.chars is not None:
            if self.variant == "digits":
                raise UserError("--chars: not for digits (the digits variant trains on all ten)")
            self.chars = self.chars.upper()
            bad = sorted({char for char in self.chars if char not in string.ascii_uppercase})
            if bad or not self.chars:
                raise UserError(f"--chars: {''.join(bad)!r} are not letters A-Z" if bad else "--chars: empty")
            self.chars = classes = "".join(dict.fromkeys(self.chars))  # drop repeats, keep order
        if self.iwae_full:
            self.iwae_k, self.iwae_images = FULL_IWAE
        if self.data.exists() and not self.data.is_dir():
            raise UserError(f"--data: {self.data} is not a folder")
        if self.data != REPO_DIR / "data" and not self.data.is_dir() and not self.download:
            raise UserError(f"--data: folder {self.data} does not exist")
        if self.resume and not (self.out / "checkpoint" / "backup").is_dir():
            raise UserError(f"--resume: no checkpoint in {self.out / 'checkpoint'} to resume from")
        if self.pseudo_inputs is not None and self.prior != "vamp":
            raise UserError("--pseudo-inputs: only with --prior vamp")
        if self.prior == "vamp" and self.conditional:
            raise UserError("--prior vamp: not with --conditional (a pseudo-input would need a class too); use the normal prior")
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")  # as common.py will choose it
        if self.strategy != "default" and backend != "tensorflow":
            raise UserError(f"--strategy {self.strategy}: TensorFlow only (KERAS_BACKEND={backend}); on JAX the default "
                            "strategy shares each minibatch among all devices")
        if self.conditional and self.strategy == "multiworker":
            raise UserError("--conditional: not with --strategy multiworker (Keras 3.15 cannot distribute (image, class) pairs over workers)")
        if self.free_bits and self.train_k > 1:
            raise UserError("--free-bits: not with --train-k > 1 (free bits floor the ELBO's KL; the IWAE bound has none)")
        if self.free_bits and self.load is not None:
            raise UserError("--free-bits: not with --load (free bits only change training)")
        if self.style_adversary is not None and self.load is not None:
            raise UserError("--style-adversary: not with --load (a saved model keeps the adversary it was trained with)")
        if self.style_adversary is not None and not self.conditional:
            raise UserError("--style-adversary needs a conditional model (--conditional)")
        if self.style_mmd and self.load is not None:
            raise UserError("--style-mmd: not with --load (a saved model keeps the penalty it was trained with)")
        if self.style_mmd and not self.conditional:
            raise UserError("--style-mmd needs a conditional model (--conditional)")
        if self.load is None and not self.conditional and self.conditional_option():
            raise UserError(f"{self.conditional_option()} needs a conditional model (--conditional)")
        if self.write is not None:
            self.write = self.write.replace("\\n", "\n")  # a typed \n is a new line too
            check_text(self.write, classes)
        if self.grid_char is not None:
            self.grid_char = self.grid_char.upper()
            if len(self.grid_char) != 1 or self.grid_char not in classes:
                raise UserError(f"--grid-char: {self.grid_char!r} is not one of the classes {classes}")
        if self.style_from is not None:
            from writing import prepare_style_image, style_letters

            self.style_from = [Path(path) for path in self.style_from]
            if self.style_char is None and not (len(self.style_from) == 1 and self.style_from[0].is_dir()):
                raise UserError(f"--style-char: give the character of {classes} that each --style-from image shows")
            letters = style_letters(self.style_from, self.style_char, classes)
            self.style_from, self.style_char = [path for path, _ in letters], "".join(char for _, char in letters)
            self.style_images = [prepare_style_image(path) for path in self.style_from]  # a clear error now, not after training

    def _check_numbers(self):
        """The ranges the command line's types check as it parses, for settings made in Python."""
        for name in CHOICES:
            if getattr(self, name) not in CHOICES[name]:
                raise UserError(f"--{name}: {getattr(self, name)!r} is not one of {', '.join(CHOICES[name])}")
        for name, minimum in AT_LEAST.items():
            value = getattr(self, name)
            if value is not None and (not isinstance(value, numbers.Integral) or value < minimum):
                raise UserError(f"--{name.replace('_', '-')}: must be a whole number of at least {minimum}, got {value!r}")
        for name in NON_NEGATIVE + POSITIVE:
            value, positive = getattr(self, name), name in POSITIVE
            if value is not None and not (isinstance(value, numbers.Real) and math.isfinite(value)
                                          and (value > 0 if positive else value >= 0)):
                raise UserError(f"--{name.replace('_', '-')}: must be a finite number "
                                f"{'above 0' if positive else '≥ 0'}, got {value!r}")

    def conditional_option(self):
        """The first option given that only a conditional model can take, as typed, or None."""
        given = [option for option in CONDITIONAL_OPTIONS if getattr(self, option) is not None]
        return f"--{given[0].replace('_', '-')}" if given else None

    def model_pseudo_inputs(self):
        """K, the VampPrior's pseudo-inputs: --pseudo-inputs, or the default."""
        return self.pseudo_inputs or DEFAULT_PSEUDO_INPUTS

    def model_style_adversary(self):
        """--style-adversary's W, or the default for a conditional model (none for a plain one)."""
        if not self.conditional:
            return 0.0
        return DEFAULT_STYLE_ADVERSARY if self.style_adversary is None else self.style_adversary


def check_text(text, classes):
    """--write's text: every character must have a class (spaces and new lines aside)."""
    from writing import unknown_characters

    unknown = unknown_characters(text, classes)
    if unknown:
        raise UserError(f"--write: no class for {', '.join(map(repr, unknown))} (the model knows {classes})")
