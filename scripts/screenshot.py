"""Screenshot the real widgets on the sample set, for the README: ``docs/*.png``.

Starts JupyterLab and Debian's Chromium with the UI-test machinery (``tests/ui``), runs a
notebook that labels a few dozen sample items with their known category (so a model, its
predictions and its cross-validated accuracy exist), shows the Labeler, labels three more items
with the keyboard, and saves a picture of the widget; optionally also the Gallery, the
Dashboard (after a confusion-cell click) and the EmbeddingMap (after a lasso). Fails on any
browser console error.

Usage: ``.venv/bin/python scripts/screenshot.py [--out docs/labeler.png] [--gallery PATH]
[--dashboard docs/dashboard.png] [--map docs/embedding_map.png]``
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
from _notebook import Notebook, open_notebook, wait_until  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CATEGORIES = ["animals", "food", "household", "symbols", "town", "vehicles"]


def cells(folder: Path) -> list[str]:
    """The notebook: a session with a head start of labels, a Labeler and a Gallery."""
    setup = textwrap.dedent(
        f"""
        import mmwidgets as mm
        from mmwidgets.encoders import default_cache_dir
        df = mm.load_sample()
        df = df[df["category"].isin({CATEGORIES!r})].reset_index(drop=True)
        session = mm.Session(df, labels={CATEGORIES!r}, id="id", text="text", image="image",
                             audio=["speech", "sound"], store={str(folder / "labels.sqlite")!r},
                             cache_dir=default_cache_dir(), progress=False)
        truth = df.set_index("id")["category"]
        # a head start in four rounds, so the model panel and the learning curve have something
        # to say, and a simulated random-sampling run for the dashboard's dashed baseline
        seed = df.groupby("category").head(12).sample(frac=1, random_state=0)
        for start in range(0, len(seed), 18):
            part = seed[start : start + 18]
            session.label_many(dict(zip(part["id"], part["category"])))
            assert session.wait(timeout=300)
        session.simulate("category", budget=80, seeds=2, strategies=["random"])
        """
    ).strip()
    return [
        setup,
        "labeler = mm.Labeler(session)\nlabeler",
        "gallery = mm.Gallery(session, n=12)\ngallery",
        "dash = mm.Dashboard(session)\ndash.refresh()\ndash",
        "emap = mm.EmbeddingMap(session, color_by='label')\nemap",
    ]


def main() -> None:
    """Run the notebook in a real browser and save the widget's picture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "labeler.png")
    parser.add_argument("--gallery", type=Path, default=None, help="also save the Gallery here")
    parser.add_argument("--dashboard", type=Path, default=None, help="and the Dashboard here")
    parser.add_argument("--map", type=Path, default=None, help="and the EmbeddingMap here")
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
            if args.dashboard is not None:
                shoot_dashboard(nb, args.dashboard)
            if args.map is not None:
                shoot_map(nb, args.map)
            watch.check()
        finally:
            browser.close()
            server.stop()


def shoot_dashboard(nb: Notebook, out: Path) -> None:
    """The Dashboard, with the review Gallery of its most confused cell open below it."""
    cell = nb.cell_output(3)
    root = cell.locator(".mmw-dashboard")
    root.wait_for(state="visible")
    cells = root.locator(".mmw-confusion .mmw-cell.mmw-clickable:not(.mmw-diag)")
    counts = [int(c.get_attribute("data-count") or 0) for c in cells.all()]
    if counts:
        cells.nth(counts.index(max(counts))).click()
        wait_until(
            lambda: (
                cell.locator(".mmw-tile").count()
                or cell.locator(".mmw-error:not([hidden])").all_inner_texts()
            ),
            timeout=120,
            page=nb.page,
            what="review tiles",
        )
        nb.page.wait_for_timeout(500)
    cell.screenshot(path=str(out))
    print(f"wrote {out}")


def shoot_map(nb: Notebook, out: Path) -> None:
    """The EmbeddingMap with a lasso selection drawn across its middle."""
    root = nb.cell_output(4).locator(".mmw-map")
    root.wait_for(state="visible")
    wait_until(lambda: int(root.get_attribute("data-points") or 0), page=nb.page, what="points")
    canvas = root.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    nb.page.wait_for_timeout(300)
    box = canvas.bounding_box()
    assert box is not None
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["height"] / 5
    page = nb.page
    page.mouse.move(cx - r, cy - r)
    page.keyboard.down("Shift")
    page.mouse.down()
    for x, y in [(cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r), (cx - r, cy - r)]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    page.wait_for_timeout(300)
    root.screenshot(path=str(out))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
