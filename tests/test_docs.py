"""The docs say what the code does: links and images exist and have alt text, every option a doc
shows is one its script takes, every make target named exists, no doc points at a path a user's
clone lacks, every table of measurements is exactly what its script writes from the stored numbers
(docs/blocks.py), and every measured number a guide types stands in a sentence tests/test_claims.py
checks against them."""

import dataclasses
import json
import re
import subprocess
import sys

import pytest

import cli
from conftest import REPO

DOCS = [
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
    REPO / "bench" / "README.md",
    REPO / "data" / "README.md",
]
USER_DOCS = [
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]  # what a user reads (bench/ holds lab notes)
LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCRIPTS = {"vae_letters.py": "letters", "vae_digits.py": "digits", "vae_vowels.py": "vowels"}


def text(path):
    """A doc's text without its fenced-code language tags' noise: the whole file."""
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_relative_link_and_image_exists_and_every_image_has_alt_text(doc):
    for _alt, target in LINK.findall(text(doc)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # web addresses and anchors within the page
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{doc.name}: {target} does not exist"
    images = re.findall(r"!\[([^\]]*)\]\(", text(doc)) + re.findall(r"<img\b[^>]*>", text(doc))
    for image in images:
        assert image.strip() if not image.startswith("<img") else re.search(r'alt="[^"]+"', image), (
            f"{doc.name}: an image without alt text: {image!r}"
        )


def options_shown(doc):
    """(script, option) for every --option a doc's command line or code span passes to a script."""
    found = []
    for line in re.findall(r"`[^`\n]+`", text(doc)) + re.findall(r"```.*?```", text(doc), re.S):
        for command in re.split(r"\n|&&|;|\|", line):
            script = re.search(r"\b(vae_letters\.py|vae_digits\.py|vae_vowels\.py|demo\.py)\b", command)
            if script:
                found += [
                    (script.group(1), option)
                    for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", command[script.end() :])
                ]
    return found


def demo_options():
    help_text = subprocess.run(
        [sys.executable, str(REPO / "demo.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    ).stdout
    return set(re.findall(r"--[a-z][a-z0-9-]*", help_text))


def test_every_option_a_doc_shows_is_in_its_scripts_help():
    known = {
        script: {
            option for action in cli.make_parser("", variant)._actions for option in action.option_strings
        }
        for script, variant in SCRIPTS.items()
    }
    shown = {doc: options_shown(doc) for doc in DOCS}
    if any(script == "demo.py" for pairs in shown.values() for script, _ in pairs):
        known["demo.py"] = demo_options()
    wrong = [
        f"{doc.relative_to(REPO)}: {script} {option}"
        for doc, pairs in shown.items()
        for script, option in pairs
        if option not in known[script]
    ]
    assert not wrong, "options the scripts do not take:\n" + "\n".join(sorted(set(wrong)))
    assert sum(len(pairs) for pairs in shown.values()) > 20  # the check found the docs' commands


def code_in(markdown):
    """A doc's code: its fenced blocks, then the inline spans of the rest (a fence's ``` would pair
    the backticks around prose)."""
    fenced = re.findall(r"```.*?```", markdown, re.S)
    return " ".join(fenced + re.findall(r"`[^`\n]+`", re.sub(r"```.*?```", " ", markdown, flags=re.S)))


def test_every_make_target_named_exists():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.M))
    code = {doc: code_in(text(doc)) for doc in DOCS}  # commands are code, not prose
    named = {(doc.name, target) for doc in DOCS for target in re.findall(r"\bmake ([a-z][a-z-]*)", code[doc])}
    missing = sorted(f"{doc}: make {target}" for doc, target in named if target not in targets)
    assert not missing, missing
    readme = text(REPO / "README.md")
    assert all(
        f"make {target}" in readme for target in ("run", "demo", "test", "test-fast")
    )  # the quick start's


def test_no_user_doc_points_at_a_path_outside_the_repository():
    for doc in USER_DOCS:
        for pattern in (r"\.\./shared", r"/work/", r"/tmp/"):
            assert not re.search(pattern, text(doc)), (
                f"{doc.name} names {pattern}: say where such data comes from instead"
            )


def blocks_module():
    sys.path.insert(0, str(REPO / "docs"))
    import blocks

    return blocks


def test_every_table_is_what_its_script_writes_from_the_stored_numbers():
    blocks = blocks_module()
    assert blocks.differences() == [], "a table differs from its stored numbers: run python docs/blocks.py"
    written = {name: text for _, name, text in blocks.blocks()}
    assert "| 80.61 |" in written["results:headline"]  # the stored numbers are the ones measured


def test_each_table_says_how_to_measure_it_while_its_numbers_are_missing(monkeypatch):
    blocks = blocks_module()
    writers = list(blocks.writers())
    for writer in writers:
        monkeypatch.setattr(writer, "stored", lambda path: {})
    for _path, name, text in blocks.blocks():
        command = re.fullmatch(r"\*Not measured yet: `(python [^`]+)` measures this table\.\*", text)
        assert command, f"{name} without its numbers: {text[:200]!r}"
        script = command.group(1).split()[1]
        assert (REPO / script).exists(), f"{name}: {script}"
    results = results_module()  # a table missing one of its rows says so too
    kept = json.loads(blocks.RESULTS.read_text())
    del kept["rows"]["letters-synthetic-ladder-z16"]
    assert results.pick_table(kept).startswith("*Not measured yet: `python bench/results.py --only")


# A measurement as the guides print one: nats (two decimals), a percentage with a decimal, a time, a ratio,
# or a count in words ("two of the four columns", "none of the 30-epoch rows").
COUNT = r"(?:one|two|three|four|five|six|seven|eight|nine|ten)"
MEASUREMENT = re.compile(
    r"(?<![\w.\-–])(\d+(?:\.\d+)? ?%|\d+\.\d\d(?![\d.])|\d+(?:\.\d+)? ?(?:s|ms|min|minutes|seconds)\b"
    r"|\d+(?:\.\d)? nats?\b|\d+(?:\.\d+)?×(?!\d))"
    rf"|\b((?:{COUNT}|none) of (?:the|our) (?:{COUNT}\b|[\w-]+ rows\b))",
    re.I,
)
# Where a number may stand typed: tables of measurements, code, link targets.
NOT_PROSE = [
    re.compile(r"<!-- ([\w:-]+):start -->.*?<!-- \1:end -->", re.S),
    re.compile(r"```.*?```", re.S),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"\]\([^)]*\)"),
]
# Numbers that are no run of ours: published results (bench/results.py's PUBLISHED and the papers the
# guides cite), the Python and Keras versions, thresholds (active units, the noise between grid rows), the
# pixel sizes of figures, a speed target, the grid's time limits.
NOT_MEASURED = {
    "86.76",
    "84.78",
    "82.90",
    "85.57",
    "79.24",
    "78.30",
    "78.01",
    "3.11",
    "3.15",
    "0.01",
    "2 nats",
    "28×",
    "64×",
    "1.5×",
    "15 minutes",
    "120 minutes",
    "20 %",
}  # and a fifth: the share held out to validate, the vowels' chance


def typed_measurements(markdown):
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return [
        number or words
        for number, words in MEASUREMENT.findall(markdown)
        if (number or words) not in NOT_MEASURED
    ]


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_measured_number_a_guide_types_is_checked_by_a_claim(doc):
    from test_claims import claimed

    assert typed_measurements(claimed(str(doc.relative_to(REPO)))) == [], (
        f"{doc.name} types numbers that a run measured outside a checked sentence: add the sentence to "
        "tests/test_claims.py with the JSON value of each number, or link bench/README.md's dated log"
    )


def test_a_typed_measurement_is_found_and_a_table_or_code_is_not():
    assert typed_measurements(
        "It gains 1.25 nats, 93.4 % of them, 16 nats, 49 %, in 12 s, 2.5× as fast, in two of the "
        "four columns, none of the 30-epoch rows."
    ) == ["1.25", "93.4 %", "16 nats", "49 %", "12 s", "2.5×", "two of the four", "none of the 30-epoch rows"]
    assert (
        typed_measurements(
            "<!-- x:start -->\n| 1.25 nats |\n<!-- x:end --> `--lr 0.25` 7×7 (k = 1000), 82.90 [a](b-1.25)"
        )
        == []
    )


def test_a_table_edited_by_hand_is_found_and_written_again(tmp_path, monkeypatch):
    blocks = blocks_module()
    doc = tmp_path / "guide.md"
    doc.write_text(
        "Before.\n<!-- table:start -->\n| a | 1.00 |\n<!-- table:end -->\n"
        "<!-- other:start -->\n| b | 2.00 |\n<!-- other:end -->\nAfter.\n"
    )
    monkeypatch.setattr(blocks, "REPO", tmp_path)
    monkeypatch.setattr(
        blocks, "blocks", lambda: [(doc, "table", "| a | 1.00 |"), (doc, "other", "| b | 2.50 |")]
    )
    assert blocks.differences() == ["guide.md: other"]
    blocks.write()
    assert doc.read_text() == (
        "Before.\n<!-- table:start -->\n| a | 1.00 |\n<!-- table:end -->\n"
        "<!-- other:start -->\n| b | 2.50 |\n<!-- other:end -->\nAfter.\n"
    )
    assert blocks.differences() == []


def test_development_md_names_every_module_that_writes_a_table():
    blocks = blocks_module()
    development = text(REPO / "docs" / "development.md")
    tests_section = development[development.index("## The tests") : development.index("## The benchmarks")]
    for writer in blocks.WRITERS:
        assert f"`{writer}`" in tests_section, f"docs/development.md's tests section does not name {writer}"


def test_the_readme_options_table_states_every_default_the_settings_take():
    from settings import Settings, model_defaults

    rows = dict(re.findall(r"^\| (`--[^|]+) \| (.+) \|$", text(REPO / "README.md"), re.M))
    row = lambda option: next(what for options, what in rows.items() if f"`{option}" in options)
    models = [
        (arch, latent, conditional, fine_tune)
        for arch in ("dense", "conv", "ladder")
        for latent in (2, 8, 16)
        for conditional in (False, True)
        for fine_tune in (False, True)
    ]
    for option, key in (("--epochs", "epochs"), ("--lr", "lr")):  # the defaults that depend on the model
        for value in {model_defaults(*model)[key] for model in models}:
            assert re.search(rf"\b{value:g}\b", row(option)), (
                f"README's {option} row omits its default {value:g}"
            )
    fields = {field.name: field.default for field in dataclasses.fields(Settings)}
    assert f"default {fields['latent_dim']}" in row("--latent-dim")


def test_outputs_md_names_every_file_a_run_writes():
    written = set()
    for module in REPO.glob("*.py"):
        written |= set(
            re.findall(r"[\"']([a-z_]+)\*?\.(?:png|gif|html|json|csv|keras)[\"']", module.read_text())
        )
    written -= {
        "fine_tune_start",
        "training_metadata",
        "report_template",
    }  # inside checkpoint/; the page's source
    assert {"report_sprite", "report_points", "classifier", "latent_grid"} <= written  # the search finds them
    outputs = text(REPO / "docs" / "outputs.md")
    assert [name for name in sorted(written) if f"`{name}" not in outputs] == []
    assert (
        "`--load [PATH]` redraws all of it from a\nsaved model without training, except `latent_grid.gif`"
        in outputs
    )


def test_no_doc_passes_a_model_default_at_its_value():
    """A command that says `--style-mmd 30` where 30 is that model's default says it twice; the grid's
    rows and the penalties' sweep, which spell out every setting (they pass --iwae-k or
    --style-adversary), are the exception."""
    from settings import model_defaults

    said = []
    for doc in DOCS:
        markdown = text(doc)
        snippets = re.findall(r"```.*?```", markdown, re.S) + re.findall(
            r"`[^`\n]+`", re.sub(r"```.*?```", " ", markdown, flags=re.S)
        )
        for command in (line for snippet in snippets for line in re.split(r"\n|&&|;|\|", snippet)):
            if not re.search(r"\bvae_(letters|digits|vowels)\.py\b", command) or re.search(
                r"--(iwae-k|style-adversary)\b", command
            ):
                continue
            given = dict(re.findall(r"--([a-z-]+) ([\d.]+)\b", command))
            defaults = model_defaults(
                given.get("arch", "dense"),
                int(given.get("latent-dim", 2)),
                "--conditional" in command,
                "--fine-tune" in command,
            )
            said += [
                f"{doc.name}: {command.strip()}"
                for key in ("style-mmd", "style-adversary", "lr")
                if key in given and float(given[key]) == defaults[key.replace("-", "_")]
            ]
    assert not said, "these pass a model's default: say it once, as the default\n" + "\n".join(said)


def test_the_readme_opens_briefly_and_names_no_placeholder():
    readme = text(REPO / "README.md")
    opening = readme.split("\n\n")[1]
    assert len(opening.split(".")[0].split()) <= 30 and len(opening.split()) <= 110, opening
    assert not re.search(r"<[\w-]*(url|address)>", readme, re.I), (
        "write the real command, or say where the address is"
    )
    headline = between(readme, "results:headline")
    assert max(len(line.split(" | ")[0]) for line in headline.splitlines()) <= 60, "shorter row labels"


def between(markdown, name):
    return markdown.split(f"<!-- {name}:start -->")[1].split(f"<!-- {name}:end -->")[0]


def test_the_licence_and_the_citation_are_there():
    assert "Apache License" in text(REPO / "LICENSE") and "Version 2.0" in text(REPO / "LICENSE")
    citation = text(REPO / "CITATION.cff")
    assert "cff-version: 1.2.0" in citation and "license: Apache-2.0" in citation


def results_module():
    sys.path.insert(0, str(REPO / "bench"))
    import results

    return results


def test_results_md_lists_exactly_the_defined_rows_not_yet_run():
    results = results_module()
    stored = json.loads(results.RESULTS.read_text())
    guide = text(REPO / "docs" / "results.md")
    listed = set(re.findall(r"`([a-z0-9-]+-z\d+)`", guide[guide.index("## Not yet run") :]))
    assert listed == {
        name
        for name, *_ in results.defined_rows()
        if name not in stored["rows"] and name not in stored["style_rows"]
    }


def test_a_row_stores_its_standard_error_split_layers_evaluation_and_the_epoch_it_kept(tmp_path):
    results = results_module()
    (tmp_path / "history.csv").write_text("epoch,loss,val_loss\n0,120,110\n1,100,95.5\n2,98,96\n")
    layers = [
        {"name": "z2 (top, 2)", "dims": 2, "active_units": 2, "kl": 3.4},
        {"name": "z1 (lower, 7×7×4)", "dims": 196, "active_units": 150, "kl": 28.7},
    ]
    metrics = {
        "binarized": True,
        "source": "idx",
        "variant": "digits",
        "model": "ladder, latent dim 2",
        "latent_dim": 2,
        "epochs_run": 3,
        "interrupted": False,
        "stopped_by_time_limit": False,
        "train_seconds": 90,
        "n_train": 100,
        "evaluation_seconds": 30,
        "time_limit_minutes": 5,
        "test": {
            "loss": 96,
            "reconstruction": 64,
            "kl": 32,
            "iwae_nll": 94,
            "iwae_stderr": 0.5,
            "knn_accuracy": 0.5,
            "active_units": 2,
            "layers": layers,
        },
    }
    row = results.record(metrics, results.best_epoch(tmp_path / "history.csv"))
    assert row["best_epoch"] == 2 and row["evaluation_minutes"] == 0.5 and row["time_limit_minutes"] == 5
    assert (row["iwae_stderr"], row["reconstruction"], row["kl"], row["layers"]) == (0.5, 64, 32, layers)
    assert "layers" not in results.record({**metrics, "test": {**metrics["test"], "layers": layers[:1]}})


def test_development_guide_names_every_module():
    """A module added at the top level is named in docs/development.md's module list."""
    guide = (REPO / "docs" / "development.md").read_text(encoding="utf-8")
    modules = guide.split("## The modules", 1)[1].split("```")[1]
    unnamed = [path.name for path in sorted(REPO.glob("*.py")) if path.name not in modules.split()]
    assert not unnamed, f"docs/development.md's module list does not name {unnamed}"
