"""Settings: the command line's options as a dataclass, with the same defaults and checks."""

import dataclasses
import re

import pytest

import cli
import vae_letters
from conftest import REPO
from files import UserError
from settings import VARIANTS, Settings


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_options_are_the_fields_with_the_same_defaults(variant):
    args = cli.make_parser("", variant).parse_args([])
    assert Settings(variant=variant, **vars(args)) == Settings(variant=variant)
    assert Settings(variant=variant).out == REPO / "outputs" / variant


def test_settings_fill_in_what_the_options_imply():
    settings = Settings(variant="vowels", chars="uaa", iwae_full=True, conditional=True, write="au\\nua", grid_char="u")
    assert (settings.chars, settings.iwae_k, settings.iwae_images) == ("UA", 1000, 0)
    assert (settings.write, settings.grid_char) == ("au\nua", "U")
    assert dataclasses.replace(settings, epochs=3) == dataclasses.replace(settings, epochs=3)  # checked again, same


@pytest.mark.parametrize("options, message", [
    (dict(epochs=0), "--epochs: must be a whole number of at least 1, got 0"),
    (dict(latent_dim=2.5), "--latent-dim"),
    (dict(lr=float("nan")), "--lr: must be a finite number ≥ 0"),
    (dict(time_limit=0), "--time-limit: must be a finite number above 0, got 0"),
    (dict(arch="mlp"), "--arch: 'mlp' is not one of dense, conv"),
    (dict(variant="digits", chars="A"), "--chars: not for digits"),
    (dict(chars="A1"), "--chars: '1' are not letters A-Z"),
    (dict(write="hi"), "--write needs a conditional model (--conditional)"),
    (dict(conditional=True, write="h1"), "--write: no class for '1'"),
    (dict(prior="vamp", conditional=True), "--prior vamp: not with --conditional"),
    (dict(pseudo_inputs=10), "--pseudo-inputs: only with --prior vamp"),
    (dict(style_adversary=1.0), "--style-adversary needs a conditional model"),
    (dict(data=REPO / "no-such-folder"), "--data: folder"),
])
def test_a_mistake_is_one_user_error_naming_the_option(options, message):
    with pytest.raises(UserError, match=re.escape(message)):
        Settings(**options)


def test_python_and_the_command_line_say_the_same(capsys):
    with pytest.raises(UserError) as error:
        Settings(variant="letters", chars="AB", conditional=True, grid_char="Z")
    assert vae_letters.main(["--chars", "ab", "--conditional", "--grid-char", "z"]) == 2
    assert capsys.readouterr().err.strip().endswith(f": error: {error.value}")


def test_the_command_line_refuses_a_time_limit_of_zero(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.make_parser("", "letters").parse_args(["--time-limit", "0"])
    assert exit.value.code == 2 and "--time-limit: must be above 0, got 0" in capsys.readouterr().err
