"""Write the tables of measurements in the README and the guides from the numbers the runs stored.

    python docs/blocks.py            # write every table again from the stored numbers
    python docs/blocks.py --check    # exit 1, naming each table that differs (as tests/test_docs.py does)

A table lives between <!-- NAME:start --> and <!-- NAME:end -->, each marker on a line of its own
(GitHub shows neither). It is written by the script that measured its numbers, from that script's
JSON file; every module in WRITERS has a `blocks()` that returns [(Markdown file, block name, text)].
The sentences around the tables are written by hand, and tests/test_claims.py checks each number or
comparison they type against the same JSON files. This module owns what the writers share: the
markers, the number formats and where the stored numbers are.
"""

import argparse
import importlib
import json
import math
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The stored numbers, one file per benchmark, as each run measured them.
RESULTS = REPO / "bench" / "results.json"  # bench/results.py (`make results`): the results grid
RUNS = (
    REPO / "docs" / "figures" / "runs.json"
)  # docs/runs.py (`make figures`): the runs behind the guides' pictures
USER_HAND = REPO / "bench" / "user_hand.json"  # bench/user_hand.py --json: fine-tuning on a simulated hand
LIKENESS = REPO / "bench" / "likeness.json"  # bench/likeness.py --json: how much of a hand comes through
INSTALL = REPO / "bench" / "install.json"  # bench/install_size.py: each environment's size and install time

# The modules that write tables (no TensorFlow at import). A new writer is one more path here.
WRITERS = [
    "bench/results.py",
    "docs/runs.py",
    "bench/user_hand.py",
    "bench/likeness.py",
    "bench/install_size.py",
]


def stored(path):
    """A JSON file's contents, or {} where it was never written (each table then says how to make it)."""
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def not_measured(command):
    """What a table says in place of its numbers while they are missing."""
    return f"*Not measured yet: `{command}` measures this table.*"


# The number formats of every table.


def num(x, digits=2):
    """A number as the guides print it, with a true minus sign; — where there is none."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}".replace("-", "−")


def pct(x, digits=1):
    return "—" if x is None else f"{num(100 * x, digits)} %"


def spread(values, digits=0):
    """The range of some numbers, "43–44", or one number where both ends print alike."""
    low, high = num(min(values), digits), num(max(values), digits)
    return low if low == high else f"{low}–{high}"


def between_markers(text, name, new=None):
    """The lines between <!-- NAME:start --> and <!-- NAME:end -->, or `text` with them replaced by `new`."""
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    if text.count(start) != 1 or text.count(end) != 1:
        raise SystemExit(
            f"the markers <!-- {name}:start --> ... <!-- {name}:end --> must appear once each, "
            "each on a line of its own"
        )
    before, rest = text.split(start, 1)
    inside, after = rest.split(end, 1)
    return inside if new is None else f"{before}{start}{new}{end}{after}"


def writers():
    for path in WRITERS:
        folder = str((REPO / path).parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        yield importlib.import_module(Path(path).stem)


def blocks():
    """(Markdown file, block name, its text) for every table, from each writer."""
    return [block for writer in writers() for block in writer.blocks()]


def differences():
    """The tables whose text in their file is not what their writer writes now."""
    return [
        f"{path.relative_to(REPO)}: {name}"
        for path, name, new in blocks()
        if between_markers(path.read_text(encoding="utf-8"), name) != new
    ]


def write(chosen=None):
    """Write the chosen tables (default: every table) into their files."""
    for path, name, new in chosen or blocks():
        path.write_text(between_markers(path.read_text(encoding="utf-8"), name, new), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only say which tables differ; exit 1 if any (default: write them)",
    )
    args = parser.parse_args()
    if not args.check:
        write()
    stale = differences()
    for line in stale:
        print(f"differs from its stored numbers: {line}")
    sys.exit(1 if stale else 0)


if __name__ == "__main__":
    main()
