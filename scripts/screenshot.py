"""Screenshot the real Labeler on the sample set, for the README: ``docs/labeler.png``.

Starts JupyterLab and Debian's Chromium with the UI-test machinery (``tests/ui``), runs a
notebook that labels a few dozen sample items with their known category (so a model, its
predictions and its cross-validated accuracy exist), shows the Labeler, labels three more items
with the keyboard, and saves a picture of the widget. Fails on any browser console error.

Usage: ``.venv/bin/python scripts/screenshot.py [--out docs/labeler.png] [--gallery PATH]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "ui"))

from _browser import ConsoleWatch, launch_chromium  # noqa: E402
from _jupyter import start_server  # noqa: E402
from _notebook import open_notebook, wait_until  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CATEGORIES = ["animals", "food", "household", "symbols", "town", "vehicles"]


def cells(folder: Path) -> list[str]:
    """The notebook: a session with a head start of labels, a Labeler and a Gallery."""
    setup = textwrap.dedent(
        f"""
        import mmwidgets as mm
        df = mm.load_sample()
        df = df[df["category"].isin({CATEGORIES!r})].reset_index(drop=True)
        session = mm.Session(df, labels={CATEGORIES!r}, id="id", text="text", image="image",
                             audio=["speech", "sound"], store={str(folder / "labels.sqlite")!r},
                             encoders={{"text": "hashing", "image": "pixels", "audio": "logmel"}},
                             progress=False)
        truth = df.set_index("id")["category"]
        # a head start, so the model panel has something to say
        seed = df.groupby("category").head(12)
        session.label_many(dict(zip(seed["id"], seed["category"])))
        assert session.wait(timeout=300)
        """
    ).strip()
    return [
        setup,
        "labeler = mm.Labeler(session)\nlabeler",
        "gallery = mm.Gallery(session, n=12)\ngallery",
    ]


def main() -> None:
    """Run the notebook in a real browser and save the widget's picture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "labeler.png")
    parser.add_argument("--gallery", type=Path, default=None, help="also save the Gallery here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mmw-shot-") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        server = start_server(folder / "jupyter")
        browser = launch_chromium(pw)
        try:
            page = browser.new_context(
                viewport={"width": 1280, "height": 1600}, device_scale_factor=1.5
            ).new_page()
            watch = ConsoleWatch().attach(page)
            nb = open_notebook(page, server, cells(folder), name="screenshot.ipynb")
            nb.run_all(timeout=600)
            root = nb.cell_output(1).locator(".mmw-labeler")
            root.wait_for(state="visible")
            shown = ""
            for key in ["1", "2", "1", None]:
                shown = wait_until(
                    lambda old=shown: (v := root.get_attribute("data-shown")) and v != old and v,
                    timeout=60,
                    what="an item",
                    page=page,
                )
                if key is not None:
                    root.press(key)
            wait_until(
                lambda: root.locator(".mmw-prediction").inner_text() != "no model yet",
                timeout=60,
                what="a prediction",
                page=page,
            )
            page.mouse.move(0, 0)
            page.wait_for_timeout(500)  # the waveform's first frame
            args.out.parent.mkdir(parents=True, exist_ok=True)
            root.screenshot(path=str(args.out))
            print(f"wrote {args.out}")
            if args.gallery is not None:
                gallery = nb.cell_output(2).locator(".mmw-gallery")
                wait_until(lambda: gallery.locator(".mmw-tile").count(), page=page, what="tiles")
                gallery.locator(".mmw-tile").nth(1).click()
                gallery.locator(".mmw-tile").nth(3).click(modifiers=["Shift"])
                gallery.press("2")
                page.wait_for_timeout(300)
                gallery.screenshot(path=str(args.gallery))
                print(f"wrote {args.gallery}")
            watch.check()
        finally:
            browser.close()
            server.stop()


if __name__ == "__main__":
    main()
