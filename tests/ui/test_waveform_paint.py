"""The Labeler's waveforms in real JupyterLab and Chromium: drawn with the card, live on play.

Each card draws its waveform peaks into its own canvas when it is built (off-screen, ahead of
need), so the frame that first shows a card already shows its waveforms; wavesurfer.js takes
over when the person plays or seeks, and discarded cards leave no listeners on the prefetched
media elements.
"""

from __future__ import annotations

from typing import Any

import pytest
from _notebook import wait_until
from playwright.sync_api import CDPSession, Locator, Page, expect
from test_labeler import LABELER, session_cell, shown_id, wait_for_labels, widget

pytestmark = pytest.mark.ui

# Records, for every card that enters the widget, its waveform canvases twice: when the card is
# inserted (a MutationObserver: before any rendering step) and in the first animation frame
# that has it (the requestAnimationFrame callback of the frame that paints it). "ink" counts
# pixels with any alpha, read back from the canvas.
PROBE = """(root) => {
  const log = { inserted: [], frames: [] };
  window.__mmwWave = log;
  const ink = (canvas) => {
    if (!canvas.width || !canvas.height) return 0;
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]) n++;
    return n;
  };
  const state = (card) => ({
    id: card.dataset.item,
    connected: card.isConnected,
    shown: root.dataset.shown,
    players: [...card.querySelectorAll(".mmw-player")].map((player) => {
      const canvas = player.querySelector("canvas.mmw-wave-canvas");
      return canvas
        ? { drawn: canvas.dataset.drawn === "1", hidden: canvas.hidden, ink: ink(canvas) }
        : null;
    }),
  });
  let inserted = null;
  new MutationObserver(() => {
    const card = root.querySelector(".mmw-card");
    if (card && card.dataset.item !== inserted) {
      inserted = card.dataset.item;
      log.inserted.push(state(card));
    }
  }).observe(root, { childList: true, subtree: true });
  let framed = null;
  const frame = () => {
    const card = root.querySelector(".mmw-card");
    if (card && card.dataset.item !== framed) {
      framed = card.dataset.item;
      log.frames.push(state(card));
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}"""


def _label_by_key(root: Locator, n: int) -> list[str]:
    """Label ``n`` items with key 1, pausing like a person; the ids shown after each key."""
    shown = [shown_id(root)]
    for _ in range(n):
        root.page.wait_for_timeout(400)  # time to build the next cards ahead, as a person gives
        root.press("1")
        shown.append(shown_id(root, other_than=shown[-1]))
    return shown


def test_waveforms_are_drawn_in_the_frame_that_first_shows_the_card(page, notebook, tmp_path):
    # a 2x screen: the canvases must be drawn for device pixels, not CSS pixels
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1400, "height": 1000, "deviceScaleFactor": 2, "mobile": False},
    )
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    assert page.evaluate("() => window.devicePixelRatio") == 2
    shown_id(root)
    root.evaluate(PROBE)
    shown = _label_by_key(root, 5)
    wait_for_labels(store, 5, root)
    log = page.evaluate("() => window.__mmwWave")

    for when in ("inserted", "frames"):
        records = {r["id"]: r for r in log[when]}
        for item in shown[1:]:
            record = records[item]
            assert record["connected"], (when, record)
            assert len(record["players"]) == 2, (when, record)  # speech and sound
            for player in record["players"]:
                assert player is not None, f"{item}: no waveform canvas ({when})"
                assert player["drawn"], (when, item, player)
                assert not player["hidden"], (when, item, player)
                assert player["ink"] > 0, f"{item}: waveform canvas blank ({when})"
    # in that first frame the card is the one shown, not a stale one
    frames = {r["id"]: r for r in log["frames"]}
    assert all(frames[item]["shown"] == item for item in shown[1:]), log["frames"]

    # sized for the screen: the backing store is the canvas's CSS box in device pixels
    sizes = root.locator(".mmw-card canvas.mmw-wave-canvas").evaluate_all(
        "cs => cs.map(c => [c.width, c.height, c.getBoundingClientRect().width,"
        " c.getBoundingClientRect().height])"
    )
    assert len(sizes) == 2
    for width, height, css_width, css_height in sizes:
        assert css_width > 50
        assert css_height == 48
        assert abs(width - round(css_width * 2)) <= 1, sizes
        assert height == 96, sizes


def test_play_and_seek_hand_the_waveform_over_to_wavesurfer(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    shown_id(root)
    players = root.locator(".mmw-card .mmw-player")
    expect(players).to_have_count(2)
    assert root.locator(".mmw-wave-live *").count() == 0  # no wavesurfer before play or seek

    speech = players.nth(0)
    speech.locator(".mmw-play").click()
    expect(speech).to_have_class("mmw-player mmw-playing")
    wait_until(
        lambda: float(speech.get_attribute("data-time") or 0) > 0.05,
        what="the speech to play",
        page=root.page,
    )
    expect(speech).to_have_attribute("data-live", "1")
    expect(speech.locator("canvas.mmw-wave-canvas")).to_be_hidden()
    assert _wavesurfer_canvases(speech) > 0
    speech.locator(".mmw-play").click()
    expect(speech).to_have_class("mmw-player")
    paused_at = float(speech.get_attribute("data-time") or 0)
    root.page.wait_for_timeout(300)
    assert float(speech.get_attribute("data-time") or 0) == paused_at  # it stopped

    # a click on the drawn canvas seeks there and hands over too (a quarter of the way in)
    sound = players.nth(1)
    duration = float(sound.get_attribute("data-duration") or 0)
    assert duration > 0
    canvas = sound.locator("canvas.mmw-wave-canvas")
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": box["width"] * 0.25, "y": box["height"] / 2})
    wait_until(
        lambda: abs(float(sound.get_attribute("data-time") or 0) - duration / 4) < 0.08 * duration,
        what="a seek to a quarter",
        page=root.page,
    )
    expect(sound).to_have_attribute("data-live", "1")
    assert _wavesurfer_canvases(sound) > 0
    # once live, a click on wavesurfer's own waveform seeks (three quarters in)
    wave = sound.locator(".mmw-wave")
    box = wave.bounding_box()
    assert box is not None
    wave.click(position={"x": box["width"] * 0.75, "y": box["height"] / 2})
    wait_until(
        lambda: (
            abs(float(sound.get_attribute("data-time") or 0) - 3 * duration / 4) < 0.08 * duration
        ),
        what="a seek to three quarters",
        page=root.page,
    )
    # Space still plays the first audio, and pauses it
    root.press("Space")
    expect(speech).to_have_class("mmw-player mmw-playing")
    root.press("Space")
    expect(speech).to_have_class("mmw-player")


def test_discarded_cards_leave_no_listeners_on_the_media(page, notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    cdp = page.context.new_cdp_session(page)
    first = shown_id(root)
    before = _steady_listeners(root, cdp)
    assert before["elements"] >= 2, before
    assert before["listeners"] > 0, before

    shown = first
    for n in range(1, 5):
        players = root.locator(".mmw-card .mmw-player")
        players.nth(0).locator(".mmw-play").click()  # wavesurfer takes over, playing
        expect(players.nth(0)).to_have_attribute("data-live", "1")
        players.nth(1).locator("canvas.mmw-wave-canvas").click()  # and a seek
        expect(players.nth(1)).to_have_attribute("data-live", "1")
        root.press("m")  # more like this: a new order, cards built ahead are rebuilt
        page.wait_for_timeout(300)
        root.press("1")  # labeled while playing
        shown = shown_id(root, other_than=shown)
        wait_for_labels(store, n, root)

    # the card now shown was not played: as many live players and listeners as at the start
    assert root.locator(".mmw-wave-live *").count() == 0
    after = _steady_listeners(root, cdp)
    assert after == before, (before, after)


def _wavesurfer_canvases(player: Locator) -> int:
    """Drawn canvases in wavesurfer's (open) shadow root under ``player``."""
    return int(
        player.evaluate(
            "p => [...p.querySelectorAll('.mmw-wave-live *')].flatMap(el =>"
            " [...(el.shadowRoot?.querySelectorAll('canvas') ?? [])]).filter(c => c.width > 0)"
            ".length"
        )
    )


def _steady_listeners(root: Locator, cdp: CDPSession) -> dict[str, Any]:
    """Event listeners on every audio element in the page's heap, once 3 cards are alive."""
    page: Page = root.page
    wait_until(lambda: root.get_attribute("data-cards") == "3", what="3 cards", page=page)
    page.wait_for_timeout(500)  # let released media settle
    assert root.get_attribute("data-cards") == "3"
    cdp.send("HeapProfiler.collectGarbage")
    proto = cdp.send("Runtime.evaluate", {"expression": "HTMLAudioElement.prototype"})
    found = cdp.send("Runtime.queryObjects", {"prototypeObjectId": proto["result"]["objectId"]})
    props = cdp.send(
        "Runtime.getProperties",
        {"objectId": found["objects"]["objectId"], "ownProperties": True},
    )
    counts = []
    for prop in props["result"]:
        value = prop.get("value", {})
        if not prop["name"].isdigit() or "objectId" not in value:
            continue
        listeners = cdp.send("DOMDebugger.getEventListeners", {"objectId": value["objectId"]})
        if listeners["listeners"]:
            counts.append(len(listeners["listeners"]))
    return {"elements": len(counts), "listeners": sum(counts), "per_element": sorted(counts)}
