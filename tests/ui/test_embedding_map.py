"""The EmbeddingMap in real JupyterLab and Chromium: hover, a mouse lasso, labeling, 100k points.

Labels are checked in the store file from this process; the selection the widget made is read
back from the kernel (``map.selected``). Frame times are printed (run with ``-s``), not asserted.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _notebook import Notebook, wait_until
from playwright.sync_api import Locator, expect
from test_labeler import labels_in, session_cell, widget

pytestmark = pytest.mark.ui

MAP = "emap = mm.EmbeddingMap(session)\nemap"

# records every frame the map draws (its own mmw-frame events), in the page
FRAME_PROBE = """(root) => {
  window.__mmwFrames = [];
  root.addEventListener("mmw-frame", (e) => window.__mmwFrames.push(e.detail));
}"""


def synthetic_cell(n: int, folder: Path) -> str:
    """A cell that builds a ``session`` over ``n`` short synthetic texts (hashing encoder)."""
    return textwrap.dedent(
        f"""
        import time
        import numpy as np, pandas as pd
        import mmwidgets as mm
        t0 = time.monotonic()
        words = np.array("cat dog cow car bus van apple pear plum shirt hat sock red blue green "
                         "fast slow big small old new".split())
        picks = np.random.default_rng(0).integers(0, len(words), size=({n}, 5))
        df = pd.DataFrame({{"id": [f"t{{i}}" for i in range({n})],
                           "text": [" ".join(row) for row in words[picks]]}})
        session = mm.Session(df, labels=["animal", "food", "thing"], id="id", text="text",
                             store={str(folder / "labels.sqlite")!r},
                             cache_dir={str(folder / "embeddings")!r},
                             encoders={{"text": "hashing"}}, background=False, progress=False)
        print(f"{{len(df)}} items encoded and scored in {{time.monotonic() - t0:.1f}} s")
        """
    ).strip()


def wait_points(root: Locator, n: int | None = None, timeout: float = 120) -> int:
    """Wait until the map has drawn its points (``n`` of them when given); how many."""

    def drawn() -> int:
        value = int(root.get_attribute("data-points") or 0)
        return value if value and (n is None or value == n) else 0

    return wait_until(drawn, timeout=timeout, what=f"{n or 'the'} points drawn", page=root.page)


def canvas_box(root: Locator) -> dict[str, float]:
    box = root.locator("canvas.mmw-map-canvas").bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100
    return box


def lasso(root: Locator, polygon: list[tuple[float, float]], steps: int = 4) -> None:
    """Shift+drag a closed polygon with the real mouse (fractions of the canvas box)."""
    page, box = root.page, canvas_box(root)

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    page.mouse.move(*at(*polygon[0]))
    page.keyboard.down("Shift")
    page.mouse.down()
    for point in [*polygon[1:], polygon[0]]:
        page.mouse.move(*at(*point), steps=steps)
    page.mouse.up()
    page.keyboard.up("Shift")


def pan_zoom_series(root: Locator, rounds: int) -> None:
    """``rounds`` of: a wheel zoom in, a drag, a wheel zoom out, another drag (real input)."""
    page, box = root.page, canvas_box(root)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for i in range(rounds):
        page.mouse.move(cx, cy)
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(40)
        for dx, dy in [(80, 40), (-80, -40)]:
            page.mouse.down()
            page.mouse.move(cx + dx, cy + dy, steps=6)
            page.mouse.up()
            page.mouse.move(cx, cy)
        page.mouse.wheel(0, 200 + i)
        page.wait_for_timeout(40)


def frame_stats(page) -> tuple[np.ndarray, np.ndarray]:
    """Draw times, and input event -> frame drawn times, of the frames the probe recorded (ms)."""
    frames = page.evaluate("() => window.__mmwFrames")
    draw = np.array([f["ms"] for f in frames], dtype=float)
    latency = np.array([f["latency"] for f in frames if f["latency"] is not None], dtype=float)
    return draw, latency


def python_selection(nb: Notebook) -> list[str]:
    return list(json.loads(nb.execute("import json; print(json.dumps(emap.selected))")))


def fit_positions(nb: Notebook, box: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Where the map draws each item before any pan or zoom (page pixels)."""
    xy = np.array(json.loads(nb.execute("print(session.projection().tolist())")))
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    scale = 0.92 * min(box["width"] / (x1 - x0), box["height"] / (y1 - y0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ids = json.loads(nb.execute("import json; print(json.dumps(session.dataset.ids))"))
    return {
        iid: (
            box["x"] + box["width"] / 2 + (x - cx) * scale,
            box["y"] + box["height"] / 2 - (y - cy) * scale,
        )
        for iid, (x, y) in zip(ids, xy, strict=True)
    }


def test_hover_lasso_and_label_the_selection(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store, both_audio=False, per_class=8), MAP])
    nb.run_all()
    root = widget(nb, 1, ".mmw-map")
    n = wait_points(root)
    assert n == 32
    expect(root.locator(".mmw-legend")).to_contain_text("unlabeled 32")
    assert root.get_attribute("data-selected") == "0"
    expect(root.locator(".mmw-label[data-label=food]")).to_be_disabled()
    page = root.page

    # hover: the nearest point's preview, with its thumbnail, text and label
    box = canvas_box(root)
    where = fit_positions(nb, box)
    target = sorted(where, key=lambda i: where[i][0])[len(where) // 2]
    tx, ty = where[target]
    near = {i for i, (x, y) in where.items() if math.hypot(x - tx, y - ty) <= 10}
    page.mouse.move(tx - 30, ty)
    page.mouse.move(tx, ty, steps=3)
    shown = wait_until(lambda: root.get_attribute("data-preview"), what="a preview", page=page)
    assert shown in near
    preview = root.locator(".mmw-preview")
    expect(preview).to_be_visible()
    assert preview.locator("img").evaluate("img => img.complete && img.naturalWidth") > 0
    expect(preview.locator(".mmw-preview-label")).to_have_text("label: none")
    expect(preview.locator(".mmw-snippet")).not_to_be_empty()
    page.mouse.move(box["x"] + box["width"] + 50, box["y"] - 20)  # off the map: preview goes
    expect(preview).to_be_hidden()

    # lasso the left half (the fit leaves 4 % margins: it holds the leftmost point, not the
    # rightmost)
    lasso(root, [(0.01, 0.01), (0.5, 0.01), (0.5, 0.99), (0.01, 0.99)])
    n_selected = int(root.get_attribute("data-selected") or 0)
    assert 0 < n_selected < n
    expect(root.locator(".mmw-selection-count")).to_have_text(
        f"{n_selected} selected — label them as:"
    )
    selected = wait_until(
        lambda: (ids := python_selection(nb)) and len(ids) == n_selected and ids,
        what="the selection in Python",
        page=page,
    )
    inside = {i for i, (x, _) in where.items() if x < box["x"] + 0.5 * box["width"]}
    assert set(selected) == inside  # exactly the points drawn inside the lasso

    root.locator(".mmw-label[data-label=food]").click()
    labels = wait_until(
        lambda: (found := labels_in(store)) and len(found) == n_selected and found,
        what=f"{n_selected} labels in the store",
        page=page,
    )
    assert labels == dict.fromkeys(selected, "food")  # those ids, that label, nothing else
    expect(root.locator(".mmw-legend")).to_contain_text(f"food {n_selected}")
    assert root.get_attribute("data-labeled") == str(n_selected)

    # the same selection in a review Gallery below the map
    root.locator(".mmw-open-gallery").click()
    gallery = nb.cell_output(1).locator(".mmw-gallery")
    gallery.wait_for(state="visible", timeout=60_000)
    tiles = gallery.locator(".mmw-tile")
    expect(tiles).to_have_count(min(n_selected, 24))
    shown_tiles = {tiles.nth(i).get_attribute("data-item") for i in range(tiles.count())}
    assert shown_tiles <= set(selected)

    # a selection made in Python shows in the widget; Delete clears it everywhere
    nb.execute("emap.select(session.dataset.ids[:3])")
    expect(root).to_have_attribute("data-selected", "3")
    root.focus()
    root.press("Delete")
    expect(root).to_have_attribute("data-selected", "0")
    wait_until(lambda: python_selection(nb) == [], what="an empty selection", page=page)


def test_renders_100k_points_and_reports_frame_times(notebook, tmp_path):
    n = 100_000
    nb = notebook([synthetic_cell(n, tmp_path), MAP])
    nb.run_all(timeout=300)
    print("\n" + nb.cell_output(0).inner_text().strip())
    root = widget(nb, 1, ".mmw-map")
    assert wait_points(root, n) == n
    assert nb.execute("print(emap.n_points)").strip() == str(n)
    page = root.page
    page.evaluate(FRAME_PROBE, root.element_handle())
    pan_zoom_series(root, rounds=8)
    root.press("0")  # reset the view
    wait_until(lambda: len(frame_stats(page)[0]) >= 30, what="30 frames", page=page)
    draw, latency = frame_stats(page)
    assert np.isfinite(draw).all()
    assert (draw > 0).all()
    assert len(latency) >= 20
    p50 = float(root.get_attribute("data-frame-p50"))
    peak = float(root.get_attribute("data-frame-max"))
    assert 0 < p50 <= peak < math.inf
    print(
        f"100k points, {len(draw)} pan/zoom frames: draw p50 {np.median(draw):.1f} ms, "
        f"p95 {np.percentile(draw, 95):.1f} ms, max {draw.max():.1f} ms; input -> frame drawn "
        f"p50 {np.median(latency):.1f} ms, max {latency.max():.1f} ms"
    )
    # a lasso over 100k points, and the colours switched, stay responsive
    lasso(root, [(0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7)])
    assert int(root.get_attribute("data-selected") or 0) > 0
    root.locator("select.mmw-color-by").select_option("uncertainty")
    expect(root).to_have_attribute("data-color-by", "uncertainty")
    wait_until(
        lambda: nb.execute("print(emap.color_by)").strip() == "uncertainty",
        what="color_by synced to Python",
        page=page,
    )
