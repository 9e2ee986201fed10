"""How quick is demo.py? Its start-up, the time per drawing, and the README's screenshot.

    python bench/demo_timing.py [MODEL] [--data DIR] [--screenshot docs/figures/demo.png]

1. Starts `python demo.py MODEL` on a free port and times it until it says it is ready (the
   whole start: Python, TensorFlow, the model, the test images encoded, the page built and served).
2. Opens the page in headless Chromium (/usr/bin/chromium), draws an "A" with real pointer
   events, keeps it, draws an "L", types a sentence and saves a screenshot (--screenshot): the
   page writes the sentence and the alphabet in the hand of both letters.
3. Stops the server and times the drawing handler itself in this process (Demo.your_letter:
   what the model sees, the style, decoding the alphabet, measuring it, the layout), 50 times.
"""

import argparse
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import demo  # noqa: E402
from test_demo import LETTER_A, after_update, drawing, free_port, stroke, wait_for  # noqa: E402

SENTENCE = "Draw a letter and see your hand"


def start_server(model, data_dir, log):
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "demo.py"), str(model), "--data", str(data_dir), "--port", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    while "Ready in" not in log.read_text():
        if process.poll() is not None:
            sys.exit(f"demo.py stopped:\n{log.read_text()}")
        time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}/", time.perf_counter() - started


def screenshot(url, path):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1100,1600",
        "--force-device-scale-factor=1",
    ]:
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService("/usr/bin/chromedriver"))
    try:
        driver.get(url)
        wait_for(lambda: driver.find_elements("css selector", "#sketch canvas"))
        wait_for(lambda: "select the draw tool" not in driver.find_element("id", "sketch").text)
        canvas = driver.find_element("css selector", "#sketch canvas")
        # An "A" as a hand draws it: two slanted strokes and a bar (CSS px from the canvas' centre).
        stroke(driver, canvas, [(-75, 110), (-40, 20), (-10, -65), (5, -110)])
        sources, _ = after_update(driver, ["seen", "written"], {})
        stroke(driver, canvas, [(5, -110), (35, -20), (70, 110)])
        sources, _ = after_update(driver, ["seen", "written"], sources)
        stroke(driver, canvas, [(-45, 35), (50, 30)])
        sources, _ = after_update(driver, ["seen", "written"], sources)
        # Kept, and a second letter in the box: an "L" (one stroke, chosen as "L").
        driver.find_element("id", "keep").click()
        wait_for(lambda: "you kept" in driver.find_element("id", "message").text)
        wait_for(lambda: "select the draw tool" not in driver.find_element("id", "sketch").text)
        stroke(driver, canvas, [(-50, -110), (-60, 100), (55, 100)])
        driver.find_element("xpath", "//*[@id='letter']//label[normalize-space()='L']").click()
        wait_for(lambda: "Your 'L'" in driver.find_element("id", "message").text)
        sources, _ = after_update(driver, ["seen", "written", "alphabet"], {})
        # The sentence at once, as a paste would give it: typed key by key, the page draws each
        # prefix, and the first new picture could be of "Draw a lette".
        box = driver.find_element("css selector", "#text textarea")
        driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            box,
            SENTENCE,
        )
        after_update(driver, ["written"], sources)
        driver.execute_script("window.scrollTo(0, 0)")
        time.sleep(1)
        png = Path(tempfile.mkdtemp()) / "page.png"
        driver.save_screenshot(str(png))
    finally:
        driver.quit()
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        page = image.convert("RGB")
    # Cut the blank page below the content, and keep the file small: 256 colours.
    rows = np.flatnonzero(np.asarray(page.convert("L")).min(axis=1) < 250)
    page = page.crop((0, 0, page.width, min(page.height, rows[-1] + 20)))
    page.quantize(256).save(path, optimize=True)


def time_drawing(model, data_dir, n=50):
    app = demo.load(model, data_dir)
    sketch = drawing(LETTER_A)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        app.your_letter(sketch, "A", SENTENCE)
        times.append(time.perf_counter() - started)
    return times


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    demo.add_model_argument(parser)
    parser.add_argument("--data", type=Path, default=REPO / "data")
    parser.add_argument("--screenshot", type=Path, help="save the page after a drawing here (PNG)")
    args = parser.parse_args()
    log = Path(tempfile.mkdtemp()) / "console.txt"
    process, url, seconds = start_server(args.model, args.data, log)
    ready = [line for line in log.read_text().splitlines() if "Ready in" in line][0]
    print(
        f"start-up: {seconds:.1f} s from the command to a page served "
        f"({ready.split(':')[0]} of them in main())"
    )
    try:
        if args.screenshot:
            screenshot(url, args.screenshot)
            print(f"screenshot: {args.screenshot}")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    times = time_drawing(args.model, args.data)
    print(
        f"per drawing (Demo.your_letter, {len(times)} times, after one warm-up): median "
        f"{1000 * statistics.median(times[1:]):.0f} ms, slowest {1000 * max(times[1:]):.0f} ms "
        f"(text: {SENTENCE!r}, {len(SENTENCE)} characters)"
    )


if __name__ == "__main__":
    main()
