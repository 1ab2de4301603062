"""EmbeddingMap frame times in a real browser: pan and zoom over 10k and 100k points.

Runs JupyterLab and Debian's Chromium (the UI-test machinery in tests/ui, and the notebook the
100k-point UI test uses: short synthetic texts, weight-free hashing encoder), shows the map, then
drives real wheel zooms and mouse drags. In the page, per frame the map draws (its
``mmw-frame`` events, measured with performance.now()):

- draw: clearing the pixel buffer, writing every visible point, putImageData and the overlay;
- input -> drawn: the input event's timestamp -> the end of the frame that shows it (includes
  the wait for the next animation frame).

Prints figures side by side; asserts nothing about them.

Usage: ``.venv/bin/python benchmarks/map_render.py [--sizes 10000,100000] [--frames 50]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ui"))

from _browser import ConsoleWatch, launch_chromium  # noqa: E402
from _jupyter import JupyterServer, start_server  # noqa: E402
from _notebook import open_notebook, wait_until  # noqa: E402
from playwright.sync_api import Browser, sync_playwright  # noqa: E402
from test_embedding_map import (  # noqa: E402
    FRAME_PROBE,
    MAP,
    frame_stats,
    pan_zoom_series,
    synthetic_cell,
    wait_points,
)


def measure(browser: Browser, server: JupyterServer, folder: Path, n: int, frames: int) -> dict:
    """Show an ``n``-point map and pan/zoom it until ``frames`` frames were drawn."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    watch = ConsoleWatch().attach(page)
    server.shutdown_kernels()
    nb = open_notebook(page, server, [synthetic_cell(n, folder / str(n)), MAP], name=f"{n}.ipynb")
    t0 = time.monotonic()
    nb.run_all(timeout=1200)
    root = nb.cell_output(1).locator(".mmw-map")
    root.wait_for(state="visible", timeout=60_000)
    wait_points(root, n, timeout=300)
    shown = time.monotonic() - t0
    page.evaluate(FRAME_PROBE, root.element_handle())
    while len(frame_stats(page)[0]) < frames:
        pan_zoom_series(root, rounds=1)
    wait_until(lambda: page.evaluate("() => window.__mmwFrames.length") >= frames, page=page)
    draw, latency = frame_stats(page)
    watch.check()
    page.context.close()
    return {"shown": shown, "draw": draw, "latency": latency}


def describe(values: np.ndarray) -> str:
    p50, p95 = np.percentile(values, [50, 95])
    return f"{p50:6.1f} / {p95:6.1f} / {values.max():6.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="points per map")
    parser.add_argument("--frames", type=int, default=50, help="pan/zoom frames per map (>= 50)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"# load average {os.getloadavg()[0]:.1f} at start (2 cores)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="mmw-map-") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        server = start_server(folder / "jupyter")
        browser = launch_chromium(pw)
        try:
            for n in sizes:
                results[n] = measure(browser, server, folder, n, args.frames)
        finally:
            browser.close()
            server.stop()
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")
    print("EmbeddingMap pan/zoom in Chromium (headless, --disable-gpu; canvas 2D), ms:")
    print(f"  {'points':>8}  {'frames':>6}  {'draw p50 / p95 / max':>22}  {'input -> drawn':>22}")
    for n, r in results.items():
        print(
            f"  {n:>8}  {len(r['draw']):>6}  {describe(r['draw']):>22}  "
            f"{describe(r['latency']):>22}   (notebook run + map shown: {r['shown']:.0f} s)"
        )


if __name__ == "__main__":
    main()
