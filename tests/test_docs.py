"""The docs say what the code does: links and images exist and have alt text, every option a doc
shows is one its script takes, every make target named exists, no doc points at a path a user's
clone lacks, and the results tables are exactly what bench/results.py writes from its stored numbers."""

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


def test_every_make_target_named_exists():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.M))
    code = {doc: " ".join(re.findall(r"`[^`]+`", text(doc))) for doc in DOCS}  # commands are code, not prose
    named = {(doc.name, target) for doc in DOCS for target in re.findall(r"\bmake ([a-z][a-z-]*)", code[doc])}
    missing = sorted(f"{doc}: make {target}" for doc, target in named if target not in targets)
    assert not missing, missing
    readme = text(REPO / "README.md")
    assert all(f"make {target}" in readme for target in ("run", "demo", "test", "test-fast"))  # the quick start's


def test_no_user_doc_points_at_a_path_outside_the_repository():
    for doc in USER_DOCS:
        for pattern in (r"\.\./shared", r"/work/", r"/tmp/"):
            assert not re.search(pattern, text(doc)), f"{doc.name} names {pattern}: say where such data comes from instead"


def test_the_results_tables_are_written_from_the_stored_results():
    sys.path.insert(0, str(REPO / "bench"))
    import results

    stored = json.loads(results.RESULTS.read_text())
    assert results.between_markers(text(results.GUIDE), "full") == results.full_tables(stored), \
        "docs/results.md's tables differ from bench/results.json: run python bench/results.py --write-only"
    assert results.between_markers(text(results.README), "headline") == results.headline(stored), \
        "README.md's headline table differs from bench/results.json: run python bench/results.py --write-only"
    assert "80.61" in results.headline(stored)  # the stored numbers are the ones measured


def test_the_licence_and_the_citation_are_there():
    assert "Apache License" in text(REPO / "LICENSE") and "Version 2.0" in text(REPO / "LICENSE")
    citation = text(REPO / "CITATION.cff")
    assert "cff-version: 1.2.0" in citation and "license: Apache-2.0" in citation
