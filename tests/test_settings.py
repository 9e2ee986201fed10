"""Settings: the command line's options as a dataclass, with the same defaults and checks."""

import dataclasses
import re

import pytest

import cli
import loaders
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
    settings = Settings(
        variant="vowels", chars="uaa", iwae_full=True, conditional=True, write="au\\nua", grid_char="u"
    )
    assert (settings.chars, settings.iwae_k, settings.iwae_images) == ("UA", 1000, 0)
    assert (settings.write, settings.grid_char) == ("au\nua", "U")
    assert dataclasses.replace(settings, epochs=3) == dataclasses.replace(
        settings, epochs=3
    )  # checked again, same


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(epochs=0), "--epochs: must be a whole number of at least 1, got 0"),
        (dict(latent_dim=2.5), "--latent-dim"),
        (dict(lr=float("nan")), "--lr: must be a finite number ≥ 0"),
        (dict(lr="fast"), "--lr: must be a finite number ≥ 0, got 'fast'"),
        (dict(time_limit=0), "--time-limit: must be a finite number above 0, got 0"),
        (dict(arch="mlp"), "--arch: 'mlp' is not one of dense, conv"),
        (dict(variant="digits", chars="A"), "--chars: not for digits"),
        (dict(chars="A1"), "--chars: '1' are not letters A-Z"),
        (dict(write="hi"), "--write needs a conditional model (--conditional)"),
        (dict(conditional=True, write="h1"), "--write: no class for '1'"),
        (dict(prior="vamp", conditional=True), "--prior vamp: not with --conditional"),
        (dict(pseudo_inputs=10), "--pseudo-inputs: only with --prior vamp"),
        (dict(style_adversary=1.0), "--style-adversary needs a conditional model"),
    ],
)
def test_a_mistake_is_one_user_error_naming_the_option(options, message):
    with pytest.raises(UserError, match=re.escape(message)):
        Settings(**options)


@pytest.mark.parametrize(
    "options, message",
    [
        (lambda tmp: dict(data=tmp / "nowhere"), "--data: folder {tmp}/nowhere does not exist"),
        (lambda tmp: dict(data=tmp / "a-file"), "--data: {tmp}/a-file is not a folder"),
        (lambda tmp: dict(resume=True), "--resume: no checkpoint in {tmp}/out/checkpoint to resume"),
        (lambda tmp: dict(images=tmp / "nowhere"), "--images: {tmp}/nowhere: no such folder"),
        (lambda tmp: dict(fine_tune=tmp / "none.keras"), "--fine-tune: {tmp}/none.keras: no such model file"),
        (
            lambda tmp: dict(conditional=True, style_from=[tmp / "a.png", tmp / "b.png"]),
            "--style-char: give the",
        ),
    ],
)
def test_a_mistake_in_a_file_or_folder_is_found_by_check_files(tmp_path, options, message):
    """The files and folders the options name are loaders.check_files's to read: Settings reads none."""
    (tmp_path / "a-file").write_text("not a folder")
    settings = Settings(out=tmp_path / "out", **options(tmp_path))
    with pytest.raises(UserError, match=re.escape(message.format(tmp=tmp_path))):
        loaders.check_files(settings)


def test_python_and_the_command_line_say_the_same(capsys):
    with pytest.raises(UserError) as error:
        Settings(variant="letters", chars="AB", conditional=True, grid_char="Z")
    assert vae_letters.main(["--chars", "ab", "--conditional", "--grid-char", "z"]) == 2
    assert capsys.readouterr().err.strip().endswith(f": error: {error.value}")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--time-limit", "0"], "--time-limit: must be a finite number above 0, got 0.0"),
        (["--epochs", "0"], "--epochs: must be a whole number of at least 1, got 0"),
        (["--epochs", "two"], "argument --epochs: 'two' is not a whole number"),
        (["--lr", "-1"], "--lr: must be a finite number ≥ 0, got -1.0"),
        (["--prior-components", "3"], "--prior-components: only with --prior mog"),
    ],
)
def test_the_command_line_refuses_a_bad_value_in_one_line_with_status_2(argv, message, capsys):
    try:
        status = vae_letters.main(argv)
    except SystemExit as stop:  # argparse's own error: a word that is not a number
        status = stop.code
    assert status == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err


def test_each_option_is_declared_once_with_its_help_and_a_default_in_help():
    """Every Settings field declared an option is on the command line, with help; a default that
    depends on the model shows the table's values."""
    from settings import option_fields

    help_text = " ".join(cli.make_parser("", "letters").format_help().split())
    for field in option_fields(Settings):
        assert "--" + field.name.replace("_", "-") in help_text, field.name
    assert "Adam learning rate (default: 0.003; 0.001 for conv, latent ≥ 8 or fine-tuning)" in help_text
    assert "(default: 0; 30 for dense, conditional, latent ≥ 8 or conv, conditional, latent ≥ 8)" in help_text


def test_the_defaults_table_gives_each_model_its_own():
    assert Settings().lr == Settings(arch="ladder").lr == Settings(arch="conv").lr == 0.003
    assert Settings(arch="conv", latent_dim=8).lr == Settings(arch="conv", latent_dim=16).lr == 0.001
    assert Settings(arch="conv", lr=0.01).lr == 0.01
    assert Settings().style_adversary == 0 and Settings(conditional=True).style_adversary == 10
    assert (
        Settings(conditional=True).style_mmd == 0
        and Settings(conditional=True, latent_dim=16).style_mmd == 30
    )
    assert (
        Settings(conditional=True, latent_dim=16, arch="conv").style_mmd == 30
    )  # chosen by bench/likeness.py
    assert Settings(conditional=True, latent_dim=16, arch="ladder").style_mmd == 0
    assert Settings(prior="vamp").pseudo_inputs == 100 and Settings().pseudo_inputs is None
    assert Settings(prior="mog").prior_components == 10
