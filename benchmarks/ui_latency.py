"""Labeler latency in a real browser: key press -> next item fully shown, and the label round trip.

Runs JupyterLab and Debian's Chromium (the UI-test machinery in tests/ui) on a pool of >= 10k
items (the sample set repeated under distinct ids; the embedding cache makes the repeats cheap)
with the session retraining in the background after every label. In the page, with
performance.now():

- shown: keydown -> the next item fully shown (text set, img.decode() resolved, every audio
  element's metadata loaded), as the widget reports it in its ``mmw-shown`` event;
- painted: keydown -> the frame with the new item drawn (its ``mmw-painted`` event: a task
  after the next animation frame);
- image + waveform painted: keydown -> the first animation frame whose card (another item than
  the key's) has every image loaded and every waveform drawn (our canvas marked
  ``data-drawn``, or wavesurfer's canvas once it has a size), timed a task after that frame;
- image / text presented: keydown -> the card's image and text on screen, as Chromium's
  Element Timing reports it (``renderTime``: raster and compositing included);
- round trip: keydown -> the label acknowledged by Python (the reply to the label request).

Three runs by default: one label every 500 ms (2 labels/s), every 250 ms (4 labels/s), and
flat out (the next key as soon as the next item shows); ``--paces`` picks others. Prints
figures; asserts nothing about them.

Usage: ``nice -n 5 .venv/bin/python benchmarks/ui_latency.py [--labels 220] [--pool 10000]
[--paces 0.5,0.25,0]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ui"))

from _browser import ConsoleWatch, launch_chromium  # noqa: E402
from _jupyter import start_server  # noqa: E402
from _notebook import open_notebook, wait_until  # noqa: E402
from playwright.sync_api import Locator, Page, sync_playwright  # noqa: E402

# records, in the page, when each key went down and when its item showed / its label came back
PROBE = """(root) => {
  const log = { presses: [], shown: [], painted: [], acks: [] };
  window.__mmwLatency = log;
  document.addEventListener("keydown", (e) => {
    // e.timeStamp: when the key went down, including any wait for a busy main thread
    if (root.contains(e.target)) log.presses.push({ t: e.timeStamp, id: root.dataset.shown });
  }, true);
  // after the widget's own handler: how long the synchronous part took
  root.addEventListener("keydown", () => {
    const last = log.presses[log.presses.length - 1];
    if (last) last.sync = performance.now();
  });
  root.addEventListener("mmw-shown", (e) => log.shown.push(e.detail));
  root.addEventListener("mmw-painted", (e) => log.painted.push(e.detail));
  root.addEventListener("mmw-ack", (e) => log.acks.push({ id: e.detail.id, t: e.detail.t }));
  // whole: the first frame, after a key, whose card (another item than the key's) has every
  // image loaded and every waveform drawn; checked in each requestAnimationFrame callback (the
  // DOM as that frame paints it), timed once the frame is out (a task after the callback).
  // A waveform counts as drawn when our own canvas says so (data-drawn) or, before it existed,
  // when wavesurfer's canvas (in its open shadow root) has a size.
  const waveDrawn = (player) =>
    Boolean(player.querySelector("canvas[data-drawn]:not([hidden])")) ||
    [...player.querySelectorAll(".mmw-wave *")].some((el) =>
      [...(el.shadowRoot?.querySelectorAll("canvas") ?? [])].some((c) => c.width > 0));
  const whole = (away) => {
    const card = root.querySelector(".mmw-card");
    if (!card || card.dataset.item === away) return false;
    if (root.dataset.shown !== card.dataset.item) return false;
    return [...card.querySelectorAll("img")].every((img) => img.complete && img.naturalWidth > 0) &&
      [...card.querySelectorAll(".mmw-player")].every(waveDrawn);
  };
  // one watcher per key press (the press's own record gets .whole): a key pressed before the
  // last card was whole waits for the next card that is
  document.addEventListener("keydown", (e) => {
    if (!root.contains(e.target)) return;
    const press = log.presses[log.presses.length - 1];
    const check = () => {
      if (!whole(press.id)) return void requestAnimationFrame(check);
      setTimeout(() => (press.whole = performance.now()));
    };
    requestAnimationFrame(check);
  }, true);
  // image / text: when the browser presented each card's image and text (Element Timing: the
  // attribute is put on them as the card enters the widget, before the frame that paints them)
  log.images = [];
  new MutationObserver(() => {
    for (const el of root.querySelectorAll(".mmw-card :is(img, .mmw-text):not([elementtiming])")) {
      el.setAttribute("elementtiming", el.closest(".mmw-card").dataset.item);
    }
  }).observe(root, { childList: true, subtree: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      log.images.push({ id: e.identifier, t: e.renderTime || e.loadTime, kind: e.name });
    }
  }).observe({ type: "element", buffered: true });
}"""


def notebook_cells(folder: Path, pool: int) -> list[str]:
    setup = textwrap.dedent(
        f"""
        import threading, time
        import pandas as pd
        import mmwidgets as mm
        sample = mm.load_sample()
        copies = -(-{pool} // len(sample))
        df = pd.concat([sample.assign(id=sample["id"] + f"#{{k}}") for k in range(copies)],
                       ignore_index=True)
        labels = sorted(sample["category"].unique())
        ds = mm.Dataset(df, id="id", text="text", image="image", audio=["speech", "sound"],
                        validate=False)
        session = mm.Session(ds, labels=labels, store={str(folder / "labels.sqlite")!r},
                             encoders={{"text": "hashing", "image": "pixels", "audio": "logmel"}},
                             cache_dir={str(folder / "embeddings")!r}, progress=False)
        while not session.status()["encoding"]["ready"]:
            time.sleep(0.2)
        training = []  # sampled every 20 ms: is a retrain running?
        def sample_training():
            while True:
                training.append(session.status()["training"])
                time.sleep(0.02)
        threading.Thread(target=sample_training, daemon=True).start()
        print(len(df), "items;", session.status())
        """
    ).strip()
    return [setup, "labeler = mm.Labeler(session)\nlabeler"]


def next_shown(root: Locator, old: str | None) -> str:
    """Wait until the widget fully shows an item other than ``old``; its id."""
    return str(
        wait_until(
            lambda: (v := root.get_attribute("data-shown")) and v != old and v,
            timeout=60,
            what="the next item",
            page=root.page,
        )
    )


def run(page: Page, root: Locator, keys: dict[str, str], n: int, pace: float | None) -> dict:
    """Label ``n`` items by key (the right label), one every ``pace`` seconds or flat out."""
    page.evaluate(
        "() => { for (const list of Object.values(window.__mmwLatency)) list.length = 0; }"
    )
    shown = root.get_attribute("data-shown") or next_shown(root, None)
    began = time.monotonic()
    for _ in range(n):
        pressed = time.monotonic()
        root.press(keys[shown.split("/")[0]])  # ids are "<category>/...#<copy>"
        shown = next_shown(root, shown)
        if pace is not None:
            page.wait_for_timeout(max(0.0, pace - (time.monotonic() - pressed)) * 1000)
    rate = n / (time.monotonic() - began)
    wait_until(
        lambda: page.evaluate("() => window.__mmwLatency.acks.length") >= n,
        timeout=120,
        what="every label acknowledged",
        page=page,
    )
    return {**measure(page.evaluate("() => window.__mmwLatency")), "rate": rate}


def measure(log: dict) -> dict[str, np.ndarray]:
    """Per key press: the delay to the first item shown / painted after it, and to its ack."""

    def first_after(events: list[dict], t: float, item: str | None = None) -> float | None:
        times = [e["t"] for e in events if e["t"] >= t and (item is None or e["id"] == item)]
        return min(times) - t if times else None

    out: dict[str, list[float]] = {
        "shown": [],
        "painted": [],
        "whole": [],
        "image": [],
        "text": [],
        "round_trip": [],
        "sync": [],
    }

    def presented(kind: str, press: dict) -> float | None:
        # the next card's (any item but the one the key was pressed on)
        events = [e for e in log["images"] if e["kind"] == kind and e["id"] != press["id"]]
        return first_after(events, press["t"])

    for press in log["presses"]:
        for name, delay in [
            ("shown", first_after(log["shown"], press["t"])),
            ("painted", first_after(log["painted"], press["t"])),
            ("whole", press["whole"] - press["t"] if "whole" in press else None),
            ("image", presented("image-paint", press)),
            ("text", presented("text-paint", press)),
            ("round_trip", first_after(log["acks"], press["t"], press["id"])),
            ("sync", press["sync"] - press["t"] if "sync" in press else None),
        ]:
            if delay is not None:
                out[name].append(delay)
    return {name: np.array(values) for name, values in out.items()}


def describe(name: str, values: np.ndarray) -> str:
    if not len(values):
        return f"  {name:<40} no samples"
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return (
        f"  {name:<40} n={len(values):>4}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
        f"p99 {p99:7.1f} ms  max {values.max():7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=220, help="labels per run (>= 200)")
    parser.add_argument("--pool", type=int, default=10_000, help="items in the pool")
    parser.add_argument(
        "--paces", default="0.5,0.25,0", help="seconds between labels per run; 0: flat out"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mmw-bench-") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        server = start_server(folder / "jupyter")
        browser = launch_chromium(pw)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            watch = ConsoleWatch().attach(page)
            t0 = time.monotonic()
            nb = open_notebook(page, server, notebook_cells(folder, args.pool), name="bench.ipynb")
            nb.run_all(timeout=1800)
            print(
                f"pool ready in {time.monotonic() - t0:.0f} s:",
                nb.cell_output(0).inner_text().strip(),
            )
            root = nb.cell_output(1).locator(".mmw-labeler")
            root.wait_for(state="visible")
            labels = json.loads(nb.execute("import json; print(json.dumps(labels))"))
            shortcuts = json.loads(nb.execute("print(json.dumps(labeler.shortcuts))"))
            keys = dict(zip(labels, shortcuts, strict=True))
            page.evaluate(PROBE, root.element_handle())
            wait_until(lambda: root.get_attribute("data-shown"), timeout=120, page=page)
            results = {}
            for pace in (float(p) for p in args.paces.split(",")):
                name = f"1 label / {pace * 1000:.0f} ms" if pace else "flat out"
                results[name] = run(page, root, keys, args.labels, pace or None)
            report = nb.execute(
                "import numpy as np\n"
                "print(f'{len(session.store)} labels stored; model v{session.model_version}; '\n"
                "      f'a retrain was running {100 * np.mean(training):.0f}% of the time')"
            )
            watch.check()
        finally:
            browser.close()
            server.stop()
    print(f"Labeler latency, {args.pool}+ item pool, retraining in the background (Chromium):")
    for name, result in results.items():
        print(f" {name} (achieved {result['rate']:.1f} labels/s):")
        print(describe("key -> next item fully shown", result["shown"]))
        print(describe("key -> its frame painted", result["painted"]))
        print(describe("key -> image + waveform painted", result["whole"]))
        print(describe("key -> image presented (Element Timing)", result["image"]))
        print(describe("key -> text presented (Element Timing)", result["text"]))
        print(describe("key -> label acknowledged by Python", result["round_trip"]))
        print(describe("key handler (sync part)", result["sync"]))
    print(" ", report.strip())


if __name__ == "__main__":
    main()
