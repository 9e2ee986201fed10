"""Write every measured number in the README and the guides from the files the runs wrote.

    python docs/blocks.py            # rewrite every block from the stored numbers
    python docs/blocks.py --check    # exit 1, naming each block that differs (tests/test_docs.py checks the same)

A number a guide shows beside a measurement lives in a block, the text between
<!-- NAME:start --> and <!-- NAME:end --> in a Markdown file (GitHub shows neither marker), and the
block is written by the script that keeps the runs' numbers:

- bench/results.py, from bench/results.json (the results grid: docs/results.md, README's headline);
- docs/runs.py, from docs/figures/runs.json (the runs `make figures` makes for the docs' pictures
  and small studies: each run's metrics.json, as it wrote it);
- bench/user_hand.py, from bench/user_hand.json (fine-tuning on a simulated hand: docs/own-letters.md
  and a sentence of README.md);
- bench/likeness.py, from bench/likeness.json (how much of a hand comes through: docs/conditional.md
  and bench/README.md).

So a hand edit or a stale copy of a number fails the docs test until this script writes it again.
Numbers that are no one run's measurement (published results, a default, a size) are typed; dated
lab measurements (which CPU, which day) are kept in bench/README.md, and the guides link there.
"""

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "bench"), str(REPO / "docs")]
import runs  # noqa: E402  (docs/runs.py: no TensorFlow at import)
import results  # noqa: E402  (bench/results.py: no TensorFlow at import)
import user_hand  # noqa: E402  (bench/user_hand.py: no TensorFlow at import)
import likeness  # noqa: E402  (bench/likeness.py: no TensorFlow at import)


def between_markers(text, name, new=None):
    """The text between <!-- NAME:start --> and <!-- NAME:end -->, or `text` with it replaced by `new`.

    A block whose start marker ends its line holds whole lines (a table, a paragraph); one inside a
    line holds a few words of a sentence."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1:
        raise SystemExit(f"the markers {start} ... {end} must appear once each")
    before, rest = text.split(start, 1)
    inside, after = rest.split(end, 1)
    lines = inside.startswith("\n")
    if new is None:
        return inside.strip("\n") if lines else inside
    return f"{before}{start}\n{new}\n{end}{after}" if lines else f"{before}{start}{new}{end}{after}"


def blocks():
    """(Markdown file, block name, its text) for every block, from each writer."""
    return [*results.blocks(), *runs.blocks(), *user_hand.blocks(), *likeness.blocks()]


def differences():
    """The blocks whose text in their file is not what their writer writes now."""
    return [f"{path.relative_to(REPO)}: {name}" for path, name, new in blocks()
            if between_markers(path.read_text(encoding="utf-8"), name) != new]


def write(chosen=None):
    """Write the chosen blocks (default: every block) into their files."""
    for path, name, new in chosen or blocks():
        path.write_text(between_markers(path.read_text(encoding="utf-8"), name, new), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say which blocks differ; exit 1 if any (default: write them)")
    args = parser.parse_args()
    if not args.check:
        write()
    stale = differences()
    for line in stale:
        print(f"differs from its stored numbers: {line}")
    sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
