"""How long does a visitor wait when several draw at once? demo.py's latency under concurrent visitors.

    python bench/demo_latency.py [MODEL] [--data DIR] [--clients 8] [--requests 40] [--limits 1 4]

For each queue setting (--limits: how many events Gradio answers at once, GRADIO_DEFAULT_CONCURRENCY_LIMIT;
1 is Gradio's default, the demo's before it set its own), starts `python demo.py MODEL` on a free
port, and --clients gradio_client visitors (threads, each with its own session) send --requests
drawings between them, each visitor one after another. A drawing is a test letter of the model's
data (from --data, or test_images.npz beside a Space's model) enlarged to the sketchpad's 280 px, black
ink on a transparent canvas as the sketchpad sends it, with its letter and a 31-character sentence;
a request is the sketchpad's answer (the page's /your_letter event), from sending to the answer in
the client. Prints each setting's median and slowest wait and writes them to bench/demo_latency.json.
"""

import argparse
import concurrent.futures
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import demo  # noqa: E402

SENTENCE = "Draw a letter and see your hand"


def drawings(model, data_dir, n, folder, seed=0):
    """n (PNG path, letter) pairs: test letters of the model's data as the sketchpad sends a drawing."""
    variant, classes = demo.read_classes(model)
    x_test, y_test = demo.load_test_images(model, variant, classes, data_dir)
    picked = np.random.default_rng(seed).choice(len(x_test), n, replace=False)
    pairs = []
    for i, k in enumerate(picked):
        ink = Image.fromarray(np.round(255 * x_test[k, ..., 0]).astype(np.uint8)).resize(
            (demo.CANVAS, demo.CANVAS), Image.Resampling.BILINEAR
        )
        canvas = Image.new("RGBA", ink.size, (0, 0, 0, 0))
        canvas.putalpha(ink)  # black ink where the letter is, transparent elsewhere
        path = Path(folder) / f"drawing-{i:03d}.png"
        canvas.save(path)
        pairs.append((path, classes[y_test[k]]))
    return pairs


def start_server(model, data_dir, limit, log):
    """`python demo.py MODEL` answering `limit` events at once, once it is ready: (process, address)."""
    with socket.socket() as s:  # a free port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GRADIO_DEFAULT_CONCURRENCY_LIMIT": str(limit)}
    command = [sys.executable, "demo.py", str(model), "--data", str(data_dir), "--port", str(port)]
    process = subprocess.Popen(command, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=REPO, env=env)
    deadline = time.monotonic() + 600
    while "Ready in" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            sys.exit(f"demo.py did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process, f"http://127.0.0.1:{port}/"


def cpu_name():
    cpuinfo = Path("/proc/cpuinfo")
    names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M) if cpuinfo.exists() else []
    return names[0] if names else platform.machine()


def visitor(url, work):
    """One visitor: its own client (its own session), its drawings one after another; its waits in s."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    waits = []
    for path, letter in work:
        drawing = {"background": None, "layers": [handle_file(path)], "composite": handle_file(path)}
        started = time.perf_counter()
        message = client.predict(drawing, letter, SENTENCE, api_name="/your_letter")[0]
        waits.append(time.perf_counter() - started)
        if not message.startswith(f"Your '{letter}'"):
            raise RuntimeError(f"a drawing of {letter!r} answered {message!r}")
    return waits


def measure(url, pairs, clients):
    """Every request's wait in s, `clients` visitors sharing the drawings (one takes every clients-th)."""
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        waits = pool.map(lambda i: visitor(url, pairs[i::clients]), range(clients))
        return [wait for visitor_waits in waits for wait in visitor_waits]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    demo.add_model_argument(parser)
    parser.add_argument(
        "--data", type=Path, metavar="DIR", default=REPO / "data", help="the data folder (default: data/)"
    )
    parser.add_argument(
        "--clients", type=int, metavar="N", default=8, help="visitors drawing at once (default: 8)"
    )
    parser.add_argument(
        "--requests", type=int, metavar="N", default=40, help="drawings sent in all (default: 40)"
    )
    demos = int(os.environ["GRADIO_DEFAULT_CONCURRENCY_LIMIT"])  # what `import demo` set (or the environment)
    parser.add_argument(
        "--limits",
        type=int,
        nargs="+",
        metavar="N",
        default=[1, demos],
        help=f"the queue settings to compare (default: 1, Gradio's, and {demos}, the demo's)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        default=REPO / "bench" / "demo_latency.json",
        help="where the figures go (default: bench/demo_latency.json)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    pairs = drawings(args.model, args.data, args.requests + args.clients, folder)
    warm_up, pairs = pairs[: args.clients], pairs[args.clients :]
    rows = []
    for limit in args.limits:
        process, url = start_server(args.model, args.data, limit, folder / f"console-{limit}.txt")
        try:
            measure(url, warm_up, args.clients)  # every visitor's first request, untimed
            started = time.perf_counter()
            waits = measure(url, pairs, args.clients)
            seconds = time.perf_counter() - started
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
        rows.append(
            {
                "limit": limit,
                "requests": len(waits),
                "median_s": round(statistics.median(waits), 3),
                "worst_s": round(max(waits), 3),
                "drawings_per_s": round(len(waits) / seconds, 2),
            }
        )
        row = rows[-1]
        print(
            f"at most {limit} at once: median {row['median_s']:.2f} s, worst {row['worst_s']:.2f} s, "
            f"{row['drawings_per_s']:.1f} drawings/s ({len(waits)} drawings, {args.clients} visitors)",
            flush=True,
        )
    model = args.model.resolve()
    result = {
        "date": date.today().isoformat(),
        "cpu": cpu_name(),
        "cores": os.cpu_count(),
        "model": str(model.relative_to(REPO) if model.is_relative_to(REPO) else model),
        "clients": args.clients,
        "sentence": SENTENCE,
        "rows": rows,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
