"""The docs say what the code does: links and images exist and have alt text, every option a doc
shows is one its script takes, every make target named exists, no doc points at a path a user's
clone lacks, every block of numbers is exactly what its script writes from the stored numbers
(docs/blocks.py), and no guide types a measured number outside such a block."""

import json
import re
import subprocess
import sys

import pytest

import cli
from conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "bench" / "README.md",
        REPO / "data" / "README.md"]
USER_DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]  # what a user reads (bench/ holds lab notes)
LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCRIPTS = {"vae_letters.py": "letters", "vae_digits.py": "digits", "vae_vowels.py": "vowels"}


def text(path):
    """A doc's text without its fenced-code language tags' noise: the whole file."""
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_every_relative_link_and_image_exists_and_every_image_has_alt_text(doc):
    for alt, target in LINK.findall(text(doc)):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # web addresses and anchors within the page
        path = (doc.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{doc.name}: {target} does not exist"
    images = re.findall(r"!\[([^\]]*)\]\(", text(doc)) + re.findall(r"<img\b[^>]*>", text(doc))
    for image in images:
        assert (image.strip() if not image.startswith("<img") else re.search(r'alt="[^"]+"', image)), \
            f"{doc.name}: an image without alt text: {image!r}"


def options_shown(doc):
    """(script, option) for every --option a doc's command line or code span passes to a script."""
    found = []
    for line in re.findall(r"`[^`\n]+`", text(doc)) + re.findall(r"```.*?```", text(doc), re.S):
        for command in re.split(r"\n|&&|;|\|", line):
            script = re.search(r"\b(vae_letters\.py|vae_digits\.py|vae_vowels\.py|demo\.py)\b", command)
            if script:
                found += [(script.group(1), option) for option in re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", command[script.end():])]
    return found


def demo_options():
    help_text = subprocess.run([sys.executable, str(REPO / "demo.py"), "--help"], capture_output=True, text=True,
                               timeout=120, cwd=REPO).stdout
    return set(re.findall(r"--[a-z][a-z0-9-]*", help_text))


def test_every_option_a_doc_shows_is_in_its_scripts_help():
    known = {script: {option for action in cli.make_parser("", variant)._actions for option in action.option_strings}
             for script, variant in SCRIPTS.items()}
    shown = {doc: options_shown(doc) for doc in DOCS}
    if any(script == "demo.py" for pairs in shown.values() for script, _ in pairs):
        known["demo.py"] = demo_options()
    wrong = [f"{doc.relative_to(REPO)}: {script} {option}" for doc, pairs in shown.items() for script, option in pairs
             if option not in known[script]]
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
    assert all(f"make {target}" in readme for target in ("run", "demo", "test", "test-fast"))  # the quick start's


def test_no_user_doc_points_at_a_path_outside_the_repository():
    for doc in USER_DOCS:
        for pattern in (r"\.\./shared", r"/work/", r"/tmp/"):
            assert not re.search(pattern, text(doc)), f"{doc.name} names {pattern}: say where such data comes from instead"


def test_every_number_block_is_what_its_script_writes_from_the_stored_numbers():
    sys.path.insert(0, str(REPO / "docs"))
    import blocks

    assert blocks.differences() == [], "a block differs from its stored numbers: run python docs/blocks.py"
    written = {name: text for _, name, text in blocks.blocks()}
    assert "80.61" in written["results:headline"]  # the stored numbers are the ones measured


# A measurement as the guides print one: nats (two decimals), a percentage with a decimal, a time, a ratio.
MEASUREMENT = re.compile(r"(?<![\w.\-–])(\d+(?:\.\d+)? ?%|\d+\.\d\d(?![\d.])|\d+(?:\.\d+)? ?(?:s|ms|min|minutes|seconds)\b"
                         r"|\d+(?:\.\d)? nats?\b|\d+(?:\.\d+)?×(?!\d))")
# Where a number may stand typed: generated blocks, code, link targets.
NOT_PROSE = [re.compile(r"<!-- ([\w:-]+):start -->.*?<!-- \1:end -->", re.S), re.compile(r"```.*?```", re.S),
             re.compile(r"`[^`\n]*`"), re.compile(r"\]\([^)]*\)")]
# Numbers that are no run of ours: published results (bench/results.py's PUBLISHED and the papers the
# guides cite), the Python and Keras versions, a threshold, the pixel sizes of figures, a speed target.
NOT_MEASURED = {"86.76", "84.78", "82.90", "85.57", "79.24", "78.30", "78.01", "3.11", "3.15", "0.01", "28×", "64×",
                "1.5×", "20 %"}  # and a fifth: the share held out to validate, the vowels' chance


def typed_measurements(markdown):
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return [number for number in MEASUREMENT.findall(markdown) if number not in NOT_MEASURED]


@pytest.mark.parametrize("doc", USER_DOCS, ids=lambda path: str(path.relative_to(REPO)))
def test_no_guide_types_a_measured_number_outside_a_block(doc):
    assert typed_measurements(text(doc)) == [], (
        f"{doc.name} types numbers that a run measured: write them from the run's stored numbers in a block "
        "(docs/blocks.py), or link bench/README.md's dated log")


def test_a_typed_measurement_is_found_and_a_block_or_code_is_not():
    assert typed_measurements("It gains 1.25 nats, 93.4 % of them, 16 nats, 49 %, in 12 s, 2.5× as fast.") == \
        ["1.25", "93.4 %", "16 nats", "49 %", "12 s", "2.5×"]
    assert typed_measurements("<!-- x:start -->1.25 nats<!-- x:end --> `--lr 0.25` 7×7 (k = 1000), 82.90 [a](b-1.25)") == []


def test_a_block_edited_by_hand_is_found_and_written_again(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "docs"))
    import blocks

    doc = tmp_path / "guide.md"
    doc.write_text("Before.\n<!-- table:start -->\n| a | 1.00 |\n<!-- table:end -->\n"
                   "It took <!-- time:start -->12 s<!-- time:end --> in all.\n")
    monkeypatch.setattr(blocks, "REPO", tmp_path)
    monkeypatch.setattr(blocks, "blocks", lambda: [(doc, "table", "| a | 1.00 |"), (doc, "time", "13 s")])
    assert blocks.differences() == ["guide.md: time"]
    blocks.write()
    assert doc.read_text() == ("Before.\n<!-- table:start -->\n| a | 1.00 |\n<!-- table:end -->\n"
                               "It took <!-- time:start -->13 s<!-- time:end --> in all.\n")
    assert blocks.differences() == []


def test_the_licence_and_the_citation_are_there():
    assert "Apache License" in text(REPO / "LICENSE") and "Version 2.0" in text(REPO / "LICENSE")
    citation = text(REPO / "CITATION.cff")
    assert "cff-version: 1.2.0" in citation and "license: Apache-2.0" in citation


def results_module():
    sys.path.insert(0, str(REPO / "bench"))
    import results

    return results


def test_not_yet_run_lists_each_defined_row_without_numbers_with_or_without_the_real_mnist(tmp_path, monkeypatch):
    results = results_module()
    stored = json.loads(results.RESULTS.read_text())
    listed = results.not_yet_run(stored)
    for name, *_ in results.defined_rows():
        assert (f"`{name}`" in listed) == (name not in stored["rows"] and name not in stored["style_rows"]), name
    monkeypatch.setattr(results, "MNIST", tmp_path / "no-mnist")  # a clone without ../shared writes the same list
    assert results.not_yet_run(stored) == listed


def test_a_row_stores_its_standard_error_split_layers_evaluation_and_the_epoch_it_kept(tmp_path):
    results = results_module()
    (tmp_path / "history.csv").write_text("epoch,loss,val_loss\n0,120,110\n1,100,95.5\n2,98,96\n")
    layers = [{"name": "z2 (top, 2)", "dims": 2, "active_units": 2, "kl": 3.4},
              {"name": "z1 (lower, 7×7×4)", "dims": 196, "active_units": 150, "kl": 28.7}]
    metrics = {"binarized": True, "source": "idx", "variant": "digits", "model": "ladder, latent dim 2", "latent_dim": 2,
               "epochs_run": 3, "interrupted": False, "stopped_by_time_limit": False, "train_seconds": 90,
               "n_train": 100, "evaluation_seconds": 30, "time_limit_minutes": 5,
               "test": {"loss": 96, "reconstruction": 64, "kl": 32, "iwae_nll": 94, "iwae_stderr": 0.5,
                        "knn_accuracy": 0.5, "active_units": 2, "layers": layers}}
    row = results.record(metrics, results.best_epoch(tmp_path / "history.csv"))
    assert row["best_epoch"] == 2 and row["evaluation_minutes"] == 0.5 and row["time_limit_minutes"] == 5
    assert (row["iwae_stderr"], row["reconstruction"], row["kl"], row["layers"]) == (0.5, 64, 32, layers)
    assert "layers" not in results.record({**metrics, "test": {**metrics["test"], "layers": layers[:1]}})
