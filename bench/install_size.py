"""How big each environment is and how long it takes to install on a clean machine.

    python bench/install_size.py                  # install every environment afresh, write bench/install.json
    python bench/install_size.py --only runtime   # one environment (the others keep their stored numbers)
    python bench/install_size.py --repeat 2       # install each twice, keep the faster time
    python bench/install_size.py --table          # print the README's table from bench/install.json

Each environment is installed as `make` installs it, into a new virtual environment in a temporary
folder: `python -m venv`, pip upgraded, `pip install -r FILE`. Pip's cache and configuration files are
left out (PIP_CONFIG_FILE=/dev/null, --no-cache-dir), and so are local wheel folders and indexes, so
every package comes from PyPI as on a new machine. The time is the wall clock of those three steps,
downloads included; a slow line or a busy CPU only adds to it, so with --repeat the fastest counts (every
time and the load average before each are stored). The size is `du -sk` of the venv.

Besides the three requirement files, two variants install the same lines with the `tensorflow` wheel
instead of `tensorflow-cpu` (same version): the measurement behind requirements.txt's choice, and the
single requirements.txt the project had before it was split ("dev-tensorflow").
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "docs"))
from blocks import INSTALL, not_measured, stored  # noqa: E402  (docs/blocks.py: what the table writers share)

README = REPO / "README.md"
# name: (requirements file, the make target that installs it, what it holds, the `tensorflow` wheel instead?)
ENVIRONMENTS = {
    "runtime": ("requirements.txt", "make run", "the three scripts: train, evaluate, draw", False),
    "demo": ("requirements-demo.txt", "make demo", "+ Gradio, for demo.py", False),
    "dev": ("requirements-dev.txt", "make test", "+ the tests' tools, the notebook's kernel, JAX", False),
    "runtime-tensorflow": ("requirements.txt", None, "the runtime with `tensorflow`", True),
    "dev-tensorflow": ("requirements-dev.txt", None, "everything with `tensorflow` (before the split)", True),
}
TENSORFLOW = re.compile(r"tensorflow(-cpu)?==([\w.]+)")


def flat_requirements(path, tensorflow_wheel):
    """The lines of a requirements file with its `-r` files inlined; with tensorflow_wheel, the
    platform-dependent tensorflow lines become one plain `tensorflow==VERSION`."""
    lines = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("-r "):
            lines += flat_requirements(Path(path).parent / line[3:].strip(), False).splitlines()
        else:
            lines.append(line)
    if tensorflow_wheel:
        version = next(TENSORFLOW.match(line)[2] for line in lines if TENSORFLOW.match(line))
        lines = [line for line in lines if not TENSORFLOW.match(line)] + [f"tensorflow=={version}"]
    return "\n".join(lines) + "\n"


def clean_environ():
    """This process's environment without pip's settings, as on a machine that never ran pip
    (a certificate bundle pip was told to trust stays: without it nothing downloads here)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    return {
        **env,
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def kibibytes(path):
    du = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(du.stdout.split()[0])


def measure(name, python):
    """Install one environment into a new venv: its size, time, packages and biggest folders."""
    file, _, _, tensorflow_wheel = ENVIRONMENTS[name]
    with tempfile.TemporaryDirectory(prefix=f"install-{name}-") as tmp:
        venv, requirements = Path(tmp) / "venv", REPO / file
        if tensorflow_wheel:
            requirements = Path(tmp) / "requirements.txt"
            requirements.write_text(flat_requirements(REPO / file, tensorflow_wheel))
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        env = clean_environ()
        load = os.getloadavg()[0]  # the 1-minute load average: a busy machine installs slower
        started = time.perf_counter()
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True, env=env)
        subprocess.run([*pip, "install", "--quiet", "-r", str(requirements)], check=True, env=env)
        seconds = time.perf_counter() - started
        site = next(venv.glob("lib/python*/site-packages"))
        biggest = sorted(
            ((kibibytes(folder), folder.name) for folder in site.iterdir() if folder.is_dir()), reverse=True
        )
        listed = subprocess.run([*pip, "list", "--format=freeze"], capture_output=True, text=True, env=env)
        return {
            "file": file,
            "bytes": kibibytes(venv) * 1024,
            "seconds": round(seconds, 1),
            "measured": time.strftime("%Y-%m-%d %H:%M"),
            "load_before": round(load, 1),
            "biggest_mb": {folder: round(kib * 1024 / 1e6) for kib, folder in biggest[:8]},
            "packages": sorted(listed.stdout.split()),
        }


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


# ----------------------------------------------------------------------------
# The README's table


def size(n_bytes):
    return f"{n_bytes / 1e9:.1f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.0f} MB"


def duration(seconds):
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def table(measured):
    envs, machine = measured["environments"], measured["machine"]
    lines = ["| requirements | installed by | what for | size | install time |", "|---|---|---|---:|---:|"]
    for name, (file, make, holds, _) in ENVIRONMENTS.items():
        if make and name in envs:
            lines.append(
                f"| `{file}` | `{make}` | {holds} | {size(envs[name]['bytes'])} | "
                f"{duration(envs[name]['seconds'])} |"
            )
    runs = len(envs["runtime"].get("every_run", [None])) if "runtime" in envs else 1
    command = "python bench/install_size.py" + (f" --repeat {runs}" if runs > 1 else "")
    note = (
        f"Each into a new virtual environment, every package from PyPI (`{command}`, {machine['cpus']} CPU "
        f"cores, Python {machine['python']}; the time depends on the line and the CPU"
        + (f": the fastest of {runs} installs" if runs > 1 else "")
        + ")."
    )
    if "runtime-tensorflow" in envs:
        full = envs["runtime-tensorflow"]
        note += (
            f" On Linux x86-64, requirements.txt installs `tensorflow-cpu`; with the `tensorflow` wheel "
            f"of the same version the runtime took {size(full['bytes'])} and "
            f"{duration(full['seconds'])}."
        )
    return "\n".join(lines) + "\n\n" + note


def blocks():
    """(Markdown file, block name, its text): the README's table of the environments."""
    kept = stored(INSTALL)
    return [(README, "install:table", table(kept) if kept else not_measured("python bench/install_size.py"))]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only",
        choices=list(ENVIRONMENTS),
        action="append",
        help="measure only this environment; repeat for more (default: all of them)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="install each environment N times and keep the fastest (default: 1)",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="the Python that makes the venvs (default: this one)"
    )
    parser.add_argument(
        "--table", action="store_true", help="only print the README's table from the stored numbers"
    )
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(INSTALL.read_text())))
        return
    measured = stored(INSTALL) or {"environments": {}}
    version = subprocess.run(
        [args.python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    measured["machine"] = {
        "cpus": os.cpu_count(),
        "cpu": cpu_name(),
        "python": version,
        "system": f"{platform.system()} {platform.machine()}",
    }
    for name in args.only or ENVIRONMENTS:
        print(f"{name}: installing {ENVIRONMENTS[name][0]} into a new venv ...", flush=True)
        runs = [measure(name, args.python) for _ in range(args.repeat)]
        result = measured["environments"][name] = min(runs, key=lambda run: run["seconds"])
        result["every_run"] = [
            {key: run[key] for key in ("seconds", "measured", "load_before")} for run in runs
        ]
        print(
            f"{name}: {size(result['bytes'])}, {duration(result['seconds'])}, "
            f"{len(result['packages'])} packages",
            flush=True,
        )
        INSTALL.write_text(json.dumps(measured, indent=1) + "\n")  # after each, so a failure keeps the rest
    print(table(measured))


if __name__ == "__main__":
    main()
