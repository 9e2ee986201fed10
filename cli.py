"""The command line: the options, parsed into a Settings, the run, and its exit status.

    options (argparse) → Settings (settings.py: the checks of the values) → loaders.check_files
    (of the files they name; both before TensorFlow loads, so --help and a mistake answer at
    once) → experiment.run (experiment.py: data → model → training → evaluation → figures,
    report.html, metrics.json, model.keras → summary) → exit status

The scripts (vae_letters.py, vae_digits.py, vae_vowels.py) only name their variant. Every
option's default is the Settings field's of the same name; from Python or a notebook, make a
Settings and call experiment.run yourself.
"""

import argparse
import itertools
import logging
import os
import sys

from files import TrainingFailed, UserError
from settings import GROUPS, LARGE_CODE, VARIANTS, Settings, flag, model_defaults, option_field, option_fields

# ----------------------------------------------------------------------------
# Options


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line and exit status 2, without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """--help keeps the script's docstring as written and shows the defaults there are."""

    def _get_help_string(self, action):
        if action.default in (None, argparse.SUPPRESS) or action.default is False or "default" in action.help:
            return action.help
        return action.help + " (default: %(default)s)"


def number(kind):
    """An argparse type that reads a word as `kind` (int or float); the option's bounds are
    checked once, by Settings, with the same one-line message from Python and the command line."""
    what = "a whole number" if kind is int else "a number"

    def parse(text):
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None

    return parse


def positive_int(text):
    """A whole number ≥ 1 (the demo's --port)."""
    value = number(int)(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def make_parser(description, variant):
    """The command line of a script: one option per field of Settings that is declared an option."""
    parser = ArgumentParser(description=description, formatter_class=HelpFormatter)
    groups = {name: parser.add_argument_group(name) for name in GROUPS}
    for field in option_fields(Settings):
        if not field.metadata["variants"] or variant in field.metadata["variants"]:
            add_option(groups[field.metadata["group"]], field, variant)
    return parser


def add_option(parser, field, variant="letters"):
    """The option that a field of Settings declares, added to parser (or to one of its groups)."""
    meta = field.metadata
    help_text = meta["help"].format(variant=variant, classes=VARIANTS[variant])
    if field.type is bool:
        parser.add_argument(flag(field.name), action="store_true", help=help_text)
        return
    default = model_default_text(field.name)
    if default:
        help_text += f" (default: {default})"
    kind = str.upper if meta["upper"] else (meta["cli_type"] or number(field.type))
    parser.add_argument(
        flag(field.name),
        type=kind,
        default=field.default,
        metavar=meta["metavar"],
        choices=meta["choices"],
        nargs=meta["nargs"],
        const=meta["const"],
        help=help_text,
    )


def model_default_text(name):
    """--help's words for a default from settings.model_defaults, e.g. '0.003; 0.001 for conv or
    fine-tuning': the default model's value, then each other value with the kinds of run it is for."""
    if name not in model_defaults("dense", 2, False):
        return None
    # Every kind of run the table tells apart, each input with the words for its values.
    inputs = {
        "arch": {arch: arch for arch in option_field("arch").metadata["choices"]},
        "conditional": {False: "unconditional", True: "conditional"},
        "latent_dim": {LARGE_CODE - 1: f"latent < {LARGE_CODE}", LARGE_CODE: f"latent ≥ {LARGE_CODE}"},
        "fine_tune": {False: "from scratch", True: "fine-tuning"},
    }
    runs = [dict(zip(inputs, values)) for values in itertools.product(*inputs.values())]
    value_of = [model_defaults(**run)[name] for run in runs]
    text = f"{value_of[0]:g}"  # the default model's: dense, unconditional, a small code, from scratch
    for value in dict.fromkeys(value_of[1:]):
        if value == value_of[0]:
            continue
        where = {i for i, v in enumerate(value_of) if v == value}

        # The kinds of run that get this value, each said by one input where that is enough ("fine-tuning"),
        # or two ("conv, latent ≥ 8"), else by the inputs that matter together
        # ("dense, conditional, latent ≥ 8").
        def runs_of(conditions):
            return {i for i, run in enumerate(runs) if all(run[key] == option for key, option in conditions)}

        singles = [
            ((key, option),) for key in inputs for option in inputs[key] if runs_of([(key, option)]) <= where
        ]
        pairs = [
            ((first, a), (second, b))
            for n, first in enumerate(inputs)
            for second in list(inputs)[n + 1 :]
            for a in inputs[first]
            for b in inputs[second]
        ]
        pairs = [
            pair
            for pair in pairs
            if runs_of(pair) <= where and not any(runs_of(one) >= runs_of(pair) for one in singles)
        ]
        slices = pairs + singles
        covered = set().union(*(runs_of(conditions) for conditions in slices))
        if slices and covered == where:
            words = " or ".join(
                ", ".join(inputs[key][option] for key, option in conditions) for conditions in slices
            )
        else:
            matters = [
                key
                for key in inputs
                if any(
                    len({model_defaults(**{**run, key: other})[name] for other in inputs[key]}) > 1
                    for run in runs
                )
            ]
            words = " or ".join(
                dict.fromkeys(", ".join(inputs[key][runs[i][key]] for key in matters) for i in sorted(where))
            )
        text += f"; {value:g} for {words}"
    return text


# ----------------------------------------------------------------------------
# The run


def main(variant, description, argv=None):
    """Everything a script does. Returns the exit status."""
    parser = make_parser(description, variant)
    args = parser.parse_args(argv)
    try:
        settings = Settings(variant=variant, **vars(args))
        import loaders

        loaders.check_files(settings)
        if settings.variant != "digits" and settings.images is None and not settings.download:
            loaders.start_synthetic_letters(settings.data)  # a first run: drawn while TensorFlow loads
        print("Loading TensorFlow ...", flush=True)
        import experiment  # TensorFlow loads here, after every quick check

        return experiment.run(settings).status
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except UserError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    except TrainingFailed as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # download.DownloadError, or a disk that fills up mid-run
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 1


def exit_now(status):
    """End a script with `status` once everything is written, without the interpreter's teardown,
    which with TensorFlow loaded took 2 s on an idle machine and 5-6 s on a loaded one
    (bench/README.md), and which waits for every worker thread of demo.py's server. What the exit
    handlers would still do that matters is done here: the streams and the logging handlers are
    flushed. The others (JAX's, matplotlib's, multiprocessing's, h5py's) only free what the end of
    the process frees anyway: the pools that draw the offline letters are closed when they finish."""
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(status)
