"""Write the demo as a Hugging Face Space: a folder that serves the page on its own (`make space`).

    python space.py [MODEL] [--data DIR] [--out outputs/space]

The folder holds what the page needs and nothing else:

    README.md         the Space's header (sdk: gradio at the version requirements-demo.txt pins, app_file,
                      python_version) and what the model is and learned from
    app.py            serves demo.py's page for model/model.keras, where the Space says
                      (GRADIO_SERVER_NAME, GRADIO_SERVER_PORT)
    demo.py ...       demo.py and every module of this project it imports, at any depth
    model/            model.keras, the metrics.json its run wrote, and test_images.npz: the test images
                      (from --data, loaded as the scripts load them) that the Explore plane shows
    requirements.txt  the runtime's and the demo's pinned packages (requirements-demo.txt, flattened)

docs/demo.md says how to publish it. A folder this wrote before is written anew; any other is left alone.
"""

import argparse
import ast
import json
import shutil
import sys
from pathlib import Path

import numpy as np

import cli
import demo
from files import REPO_DIR, UserError, read_saved_run
from settings import option_field

APP = '''"""The Space's app: demo.py's page for the model in model/ (written by space.py, `make space`)."""

from pathlib import Path

import cli
import demo

if __name__ == "__main__":
    cli.exit_now(demo.main([str(Path(__file__).parent / "model" / "model.keras")]))
'''


def project_modules(start="demo"):
    """The names of this project's modules that `start` imports, at any depth (imports inside
    functions too), itself included: read from the code, so the list follows the code."""
    found, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in found or not (REPO_DIR / f"{name}.py").is_file():
            continue  # a package from PyPI or the standard library
        found.add(name)
        for node in ast.walk(ast.parse((REPO_DIR / f"{name}.py").read_text())):
            if isinstance(node, ast.Import):
                todo += [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                todo.append(node.module.split(".")[0])
    return sorted(found)


def pinned(path):
    """The requirement lines of a requirements file, following its `-r` includes, without comments."""
    lines = []
    for line in Path(path).read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line.startswith("-r "):
            lines += pinned(Path(path).parent / line[3:].strip())
        elif line and not line.startswith("#"):
            lines.append(line)
    return list(dict.fromkeys(lines))


def gradio_version(requirements):
    for line in requirements:
        if line.startswith("gradio=="):
            return line.removeprefix("gradio==").split(";")[0].strip()
    raise UserError("requirements-demo.txt pins no gradio==VERSION, which the Space's sdk_version needs")


def space_readme(metrics, requirements):
    """The Space's README.md: its YAML header, then what the model is and what it learned from."""
    data = metrics.get("data", {})
    learned = data.get("description", "(its metrics.json does not say)")
    if metrics.get("hands"):  # --hands
        learned += f"; and {metrics['hands']:,} simulated hands, each letter drawn from another's code"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"  # this one: the pins were installed on it
    return f"""---
title: Draw a letter, see your hand
emoji: ✍️
colorFrom: gray
colorTo: blue
sdk: gradio
sdk_version: "{gradio_version(requirements)}"
python_version: "{python}"
app_file: app.py
license: apache-2.0
short_description: Draw a letter; a VAE writes your text in your hand
---

# Draw a letter, see your hand

Draw one letter: a variational autoencoder (Keras) reads its style and writes your text and the
alphabet in that hand. Keep a letter and draw another, and the style comes from all of them.

- **The model:** {metrics.get("model", "a VAE")}, classes {metrics["classes"]}.
- **It learned from:** {learned}.
- **The Explore tab** shows its test images, from the same data.

Everything runs in this Space: no analytics, no web fonts. The letters you draw stay in the server's
memory for your tab and are written to no file. Written by `space.py` (`make space`) of the
handwriting-VAEs project; its `docs/demo.md` says how.
"""


def build(model, data_dir, out):
    """Write the Space folder `out` for the model (its test images loaded from data_dir). Returns out."""
    saved = read_saved_run(model)  # a missing model or metrics.json: one line, before anything is written
    metrics = json.loads((Path(model).parent / "metrics.json").read_text())
    requirements = pinned(REPO_DIR / "requirements-demo.txt")
    readme = space_readme(metrics, requirements)
    x_test, y_test = demo.load_test_images(model, saved["variant"], saved["classes"], data_dir)
    out = Path(out)
    if out.resolve() in Path(model).resolve().parents:
        raise UserError(f"--out: {out} holds the model itself: write the Space elsewhere")
    if out.exists() and any(out.iterdir()):
        app = out / "app.py"  # only a folder this wrote is replaced: never a mistyped --out's files
        if not (app.is_file() and "(written by space.py" in app.read_text()):
            raise UserError(f"--out: {out} is not empty and is no Space that space.py wrote: left as it is")
        shutil.rmtree(out)
    (out / "model").mkdir(parents=True)
    for name in project_modules():
        shutil.copy2(REPO_DIR / f"{name}.py", out / f"{name}.py")
    shutil.copy2(model, out / "model" / "model.keras")
    shutil.copy2(Path(model).parent / "metrics.json", out / "model" / "metrics.json")
    # uint8 as the data files hold them (the loaders scale by 1/255): a few MB, the same images.
    x_test = np.round(x_test[..., 0] * 255).astype(np.uint8)
    np.savez_compressed(out / "model" / demo.TEST_IMAGES, x_test=x_test, y_test=y_test)
    (out / "app.py").write_text(APP)
    (out / "requirements.txt").write_text(
        "# The runtime's and the demo's packages (requirements.txt, requirements-demo.txt), by space.py.\n"
        + "\n".join(requirements)
        + "\n"
    )
    (out / "README.md").write_text(readme)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    demo.add_model_argument(parser)
    cli.add_option(parser, option_field("data"))  # the scripts' --data: the test images come from there
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_DIR / "outputs" / "space",
        metavar="DIR",
        help="the folder to write; one it wrote before is replaced (default: outputs/space/)",
    )
    args = parser.parse_args(argv)
    try:
        out = build(args.model, args.data, args.out)
    except UserError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(
        f"Wrote the Space to {out} ({size / 1e6:.1f} MB); "
        f"`cd {out} && python app.py` runs it as a Space would."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
