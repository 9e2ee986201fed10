"""Time the phases of one `vae_letters.py` run (what `make run` does) from its console lines.

    python bench/run_phases.py                       # the default run, as `make run`
    python bench/run_phases.py --cold                # with an empty data folder: the letters are drawn first
    python bench/run_phases.py -- --epochs 5         # anything after -- goes to vae_letters.py

The script runs in a child process; each line it prints is stamped with the time since launch,
and a phase ends where the next one's first line appears (the markers below). Nothing in the
script is changed for the measurement, so the figures are those a user sees. On a cold run the
script starts drawing the letters before TensorFlow loads (issue 43), so there "start-up" is Python
alone and the letters phase holds the import of TensorFlow beside the drawing.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# (phase, the pattern of the line that starts it), in the order they appear.
MARKERS = [
    ("start-up (Python, TensorFlow)", None),
    (
        "letters (drawn, or read from the cache)",
        re.compile(r"^(Loading the letters|Generating the synthetic)"),
    ),
    ("model built, first epoch begins", re.compile(r"^letters: \d")),
    ("training", re.compile(r"^Epoch 1/")),
    ("evaluation", re.compile(r"^Evaluating")),
    ("figures", re.compile(r"^(Evaluated in|Drawing \d+ figures)")),
    ("report.html", re.compile(r"^Writing .*report\.html")),
    ("summary printed, then exit", re.compile(r"^Summary")),
]
EPOCH = re.compile(r"^Epoch (\d+)/")


def run(argv, env=None):
    """Run vae_letters.py with argv; return [(seconds since launch, line)] and the exit status."""
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "vae_letters.py"), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=REPO,
    )
    lines = []
    for raw in process.stdout:
        for line in re.split(rb"[\r\n]", raw):
            if line.strip():
                lines.append((time.time() - started, line.decode(errors="replace")))
    status = process.wait()
    lines.append((time.time() - started, "(exit)"))
    return lines, status


def phases(lines):
    """[(phase, seconds)]: each phase from its marker line to the next phase's (a phase whose
    line never appears, e.g. the letters' when an older script prints none, is left out)."""
    starts, next_marker = [(MARKERS[0][0], 0.0)], 1
    for seconds, line in lines:
        for j in range(next_marker, len(MARKERS)):
            if MARKERS[j][1].search(line):
                starts.append((MARKERS[j][0], seconds))
                next_marker = j + 1
                break
    ends = [seconds for _, seconds in starts[1:]] + [lines[-1][0]]
    return [(name, end - start) for (name, start), end in zip(starts, ends)]


def epoch_seconds(lines):
    """Seconds from each "Epoch k/" line to the next (the last epoch ends at the next phase)."""
    begins = [seconds for seconds, line in lines if EPOCH.search(line)]
    after = [seconds for seconds, line in lines if MARKERS[4][1].search(line)]
    return list(np.diff(begins + after[:1]))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cold", action="store_true", help="an empty --data folder, so the letters are drawn first"
    )
    parser.add_argument("--log", type=Path, help="also write every stamped line to this file")
    parser.add_argument("script_args", nargs="*", help="options for vae_letters.py (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        argv = list(args.script_args)
        if "--out" not in argv:
            argv += ["--out", f"{scratch}/out"]
        if args.cold and "--data" not in argv:
            argv += ["--data", f"{scratch}/data"]
            Path(scratch, "data").mkdir()
        load = os.getloadavg()[0]
        lines, status = run(argv)
    if args.log:
        args.log.write_text("".join(f"{seconds:8.2f}  {line}\n" for seconds, line in lines))
    print(f"vae_letters.py {' '.join(argv)}: exit {status}, load average before {load:.2f}")
    for name, seconds in phases(lines):
        print(f"  {name:42s} {seconds:7.1f} s")
    print(f"  {'total':42s} {lines[-1][0]:7.1f} s")
    epochs = epoch_seconds(lines)
    if len(epochs) > 1:
        print(
            f"  epochs: {len(epochs)}, the first {epochs[0]:.2f} s (tracing, XLA), the others median "
            f"{np.median(epochs[1:]):.2f} s"
        )
    for _seconds, line in lines:
        if line.lstrip().startswith(("test loss", "training ")):
            print("  " + line.strip())
    return status


if __name__ == "__main__":
    sys.exit(main())
