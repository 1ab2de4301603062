"""The Labeler in real JupyterLab and Chromium: what it shows, and that keys and clicks label.

Every assertion about labels reads the label store file from this process, not only the DOM.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

import pytest
from _notebook import Notebook, wait_until
from playwright.sync_api import Locator, expect

import mmwidgets as mm
from mmwidgets.data import open_store

pytestmark = pytest.mark.ui

# ---------------------------------------------------------------- helpers (test_gallery uses them)
CATEGORIES = ["animals", "food", "vehicles", "clothes"]
FAST = {"text": "hashing", "image": "pixels", "audio": "logmel"}


def session_cell(
    store: Path | str,
    *,
    per_class: int = 6,
    both_audio: bool = True,
    model: str | None = None,
    cache_dir: Path | None = None,
    **options: object,
) -> str:
    """A cell that builds ``df`` and ``session`` on a small real subset (weight-free encoders).

    With ``both_audio`` every item has text, an image, speech and a sound effect; ``model`` is
    Python source for the Session's ``model=`` argument. ``store`` is a SQLite path (the
    embeddings are cached next to it) or a store URL (then say where with ``cache_dir``).
    """
    if cache_dir is None:
        if not isinstance(store, Path):
            raise ValueError("a store URL needs a cache_dir for the embeddings")
        cache_dir = store.parent / "embeddings"
    extra = "".join(f", {k}={v!r}" for k, v in options.items())
    if model is not None:
        extra += f", model={model}"
    return textwrap.dedent(
        f"""
        import mmwidgets as mm
        df = mm.load_sample()
        df = df[df["category"].isin({CATEGORIES!r})]
        if {both_audio!r}:
            df = df[df["speech"].notna() & df["sound"].notna()]
        df = df.groupby("category").head({per_class}).reset_index(drop=True)
        session = mm.Session(df, labels={CATEGORIES!r}, id="id", text="text", image="image",
                             audio=["speech", "sound"], store={str(store)!r}, encoders={FAST!r},
                             progress=False, cache_dir={str(cache_dir)!r}{extra})
        """
    ).strip()


def labels_in(store: Path) -> dict[str, object]:
    """The store's current labels, read from the file by this (the test) process."""
    with mm.LabelStore(store) as s:
        current = s.current()
        return dict(zip(current["id"], current["label"], strict=True))


def skipped_in(store: Path) -> list[str]:
    """Ids the store records as skipped."""
    with mm.LabelStore(store) as s:
        return s.skipped()


def wait_for_labels(store: Path, n: int, root: Locator, timeout: float = 30) -> dict[str, object]:
    """Wait until the store holds ``n`` labels (they travel to Python behind the display)."""
    return wait_until(
        lambda: (labels := labels_in(store)) and len(labels) == n and labels,
        timeout=timeout,
        what=f"{n} labels in the store",
        page=root.page,
    )


def shown_id(root: Locator, other_than: str | None = None, timeout: float = 30) -> str:
    """Wait until the widget fully shows an item (other than ``other_than``); its id."""

    def current() -> str | None:
        value = root.get_attribute("data-shown")
        return value if value and value != other_than else None

    return str(wait_until(current, timeout=timeout, what="an item to be shown", page=root.page))


def widget(nb: Notebook, cell: int, selector: str = ".mmw-labeler") -> Locator:
    """The widget root in the output of ``cell``, once visible."""
    root = nb.cell_output(cell).locator(selector)
    root.wait_for(state="visible", timeout=60_000)
    return root


# ---------------------------------------------------------------- tests

LABELER = "labeler = mm.Labeler(session)\nlabeler"


def test_shows_text_image_and_every_audio_player(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    item = shown_id(root)
    card = root.locator(".mmw-card")
    text = card.locator(".mmw-text")
    expect(text).to_have_count(1)
    assert text.inner_text().strip()
    image = card.locator("img.mmw-img")
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    players = card.locator(".mmw-player")
    expect(players).to_have_count(2)  # speech and sound
    for i in range(2):
        player = players.nth(i)
        assert float(player.get_attribute("data-duration")) > 0
        player.locator(".mmw-play").click()
        expect(player).to_have_class("mmw-player mmw-playing")
        wait_until(
            lambda p=player: float(p.get_attribute("data-time") or 0) > 0.05,
            what="audio to play",
            page=root.page,
        )
        player.locator(".mmw-play").click()
        expect(player).to_have_class("mmw-player")
    # seek by clicking the waveform: its middle is half the duration
    sound = players.nth(1)
    duration = float(sound.get_attribute("data-duration"))
    sound.locator(".mmw-wave").click()
    wait_until(
        lambda: abs(float(sound.get_attribute("data-time") or 0) - duration / 2) < 0.1 * duration,
        what="seek to the middle",
        page=root.page,
    )
    # Space plays the first audio, and pauses it
    first = players.nth(0)
    root.press("Space")
    expect(first).to_have_class("mmw-player mmw-playing")
    root.press("Space")
    expect(first).to_have_class("mmw-player")
    # click to zoom, Escape to close
    image.click()
    expect(root.locator(".mmw-zoom")).to_be_visible()
    root.press("Escape")
    expect(root.locator(".mmw-zoom")).to_have_count(0)
    assert root.get_attribute("data-shown") == item
    assert labels_in(store) == {}


def test_click_and_key_both_write_the_label(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    first = shown_id(root)
    root.locator(".mmw-label[data-label=animals]").click()
    second = shown_id(root, other_than=first)
    root.press("2")
    third = shown_id(root, other_than=second)
    assert wait_for_labels(store, 2, root) == {first: "animals", second: "food"}
    expect(root.locator(".mmw-count")).to_have_text("2 / 9 labeled")
    expect(root.locator(".mmw-class-count[data-label=food]")).to_have_text("food 1")
    assert third not in (first, second)


def test_undo_skip_and_history(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    a = shown_id(root)
    root.press("1")
    b = shown_id(root, other_than=a)
    root.press("2")
    c = shown_id(root, other_than=b)
    wait_for_labels(store, 2, root)

    root.press("Backspace")  # undo b: it comes back
    assert shown_id(root, other_than=c) == b
    wait_for_labels(store, 1, root)
    root.press("3")
    assert shown_id(root, other_than=b) == c
    assert wait_for_labels(store, 2, root) == {a: "animals", b: "vehicles"}

    root.press("s")  # skip c
    d = shown_id(root, other_than=c)
    wait_until(lambda: skipped_in(store) == [c], what="the skip", page=root.page)
    root.press("z")  # undo the skip
    assert shown_id(root, other_than=d) == c
    wait_until(lambda: skipped_in(store) == [], what="the undone skip", page=root.page)
    root.press("4")
    d = shown_id(root, other_than=c)
    wait_for_labels(store, 3, root)

    # walk back through the history, fix b, walk forward to the queue again
    root.press("ArrowLeft")
    assert shown_id(root, other_than=d) == c
    expect(root.locator(".mmw-badge")).to_contain_text("history 3/3")
    expect(root.locator(".mmw-label.mmw-current")).to_have_attribute("data-label", "clothes")
    root.press("ArrowLeft")
    assert shown_id(root, other_than=c) == b
    root.press("ArrowLeft")
    assert shown_id(root, other_than=b) == a
    root.press("ArrowLeft")  # the start stays the start
    root.page.wait_for_timeout(300)
    assert root.get_attribute("data-shown") == a
    root.press("ArrowRight")
    assert shown_id(root, other_than=a) == b
    root.press("2")  # fix b; the view moves on to c
    assert shown_id(root, other_than=b) == c
    wait_until(lambda: labels_in(store).get(b) == "food", what="the fix", page=root.page)
    root.press("ArrowRight")
    assert shown_id(root, other_than=c) == d  # back at the queue
    expect(root.locator(".mmw-badge")).not_to_contain_text("history")
    assert labels_in(store) == {a: "animals", b: "food", c: "clothes"}


def test_multi_label_toggles_and_enter_submits(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store, multi_label=True), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    first = shown_id(root)
    root.press("1")
    root.press("3")
    root.press("3")
    root.press("4")
    expect(root.locator(".mmw-label.mmw-on")).to_have_count(2)
    assert labels_in(store) == {}  # nothing until Enter
    root.press("Enter")
    second = shown_id(root, other_than=first)
    expect(root.locator(".mmw-label.mmw-on")).to_have_count(0)
    root.locator(".mmw-label[data-label=food]").click()
    root.locator(".mmw-submit").click()
    shown_id(root, other_than=second)
    assert wait_for_labels(store, 2, root) == {
        first: ("animals", "clothes"),
        second: ("food",),
    }


def test_keys_stay_in_the_widget(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER, "x = 1"])
    nb.run_all()
    root = widget(nb, 1)
    shown_id(root)
    root.focus()  # (selects the widget's cell, as any click into an output does)
    page = root.page
    page.wait_for_timeout(200)
    before = nb.state()
    # JupyterLab command-mode keys: insert above/below, cut, copy, paste, to markdown, delete,
    # move selection, run; none may reach the notebook while the widget has focus
    for key in ["a", "b", "x", "c", "v", "m", "y", "d", "d", "j", "k", "Shift+ArrowDown"]:
        page.keyboard.press(key)
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(500)
    after = nb.state()
    assert [c["type"] for c in after["cells"]] == ["code", "code", "code"]
    assert after["activeCell"] == before["activeCell"]
    assert labels_in(store) == {}
    # control: the same key does insert a cell once the notebook has the focus
    root.press("Escape")
    nb.cell(2).locator(".jp-InputPrompt").click()
    page.keyboard.press("b")
    wait_until(lambda: nb.cell_count() == 4, what="b to insert a cell", page=page)


def test_item_text_and_labels_are_inert(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    hostile = [
        "<script>window.__pwned = 1</script>",
        '<img src="x" onerror="window.__pwned = 2">',
    ]
    cell = textwrap.dedent(
        f"""
        import mmwidgets as mm
        df = mm.load_sample().head(2).copy()
        df["text"] = {hostile!r}
        session = mm.Session(df, labels=["<i>odd</i>", "plain"], id="id", text="text",
                             image="image", audio=["speech", "sound"], store={str(store)!r},
                             encoders={FAST!r}, progress=False)
        """
    )
    nb = notebook([cell, LABELER])
    nb.run_all()
    root = widget(nb, 1)
    seen = set()
    for _ in hostile:
        item = shown_id(root, other_than=next(iter(seen), None))
        text = root.locator(".mmw-text")
        seen.add(text.inner_text())
        assert text.evaluate("el => el.children.length") == 0
        root.press("2")
    assert seen == set(hostile)
    button = root.locator(".mmw-label").first
    assert button.inner_text().endswith("<i>odd</i>")
    assert button.locator("i").count() == 0
    assert root.page.evaluate("window.__pwned") is None
    assert len(wait_for_labels(store, 2, root)) == 2
    assert item


def test_a_corrupt_image_shows_an_error_and_labeling_goes_on(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"this is not image data" * 40)
    cell = textwrap.dedent(
        f"""
        import mmwidgets as mm
        df = mm.load_sample()
        df = df[df["speech"].notna()].head(4).reset_index(drop=True)
        df.loc[[0, 2], "image"] = {str(broken)!r}
        ds = mm.Dataset(df, id="id", text="text", image="image", audio=["speech", "sound"],
                        validate=False)
        session = mm.Session(ds, labels={CATEGORIES!r}, store={str(store)!r},
                             encoders={FAST!r}, progress=False)
        """
    )
    nb = notebook([cell, LABELER])
    nb.run_all()
    root = widget(nb, 1)
    errors, previous = 0, None
    for _ in range(4):
        previous = shown_id(root, other_than=previous)
        problem = root.locator(".mmw-card .mmw-media-error")
        if problem.count():
            expect(problem).to_contain_text("cannot decode image")
            expect(root.locator(".mmw-card .mmw-text")).to_have_count(1)  # the rest still shows
            errors += 1
        root.press("1")
    assert errors == 2
    assert len(wait_for_labels(store, 4, root)) == 4


def test_reload_and_rerun_resumes_where_it_left_off(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    first = shown_id(root)
    root.press("1")
    second = shown_id(root, other_than=first)
    root.press("2")
    shown_id(root, other_than=second)
    wait_for_labels(store, 2, root)
    nb.command("docmanager:save")
    page = root.page
    page.reload()
    wait_until(nb.state, timeout=60, what="the notebook after the reload", page=page)
    nb.wait_idle()
    nb.run_all()  # a new Session on the same store
    root = widget(nb, 1)
    resumed = shown_id(root)
    assert resumed not in (first, second)
    expect(root.locator(".mmw-count")).to_have_text("2 / 9 labeled")
    root.press("3")
    shown_id(root, other_than=resumed)
    assert wait_for_labels(store, 3, root) == {
        first: "animals",
        second: "food",
        resumed: "vehicles",
    }


def test_rerunning_cells_leaves_one_live_view_and_two_views_label_once(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    cells = [
        'if "session" not in globals():\n' + textwrap.indent(session_cell(store), "    "),
        'if "labeler" not in globals():\n    labeler = mm.Labeler(session)',
        "labeler",
    ]
    nb = notebook(cells)
    for _ in range(3):
        nb.run_all()
    root = widget(nb, 2)
    first = shown_id(root)
    assert root.get_attribute("data-views") == "1"  # the old views cleaned up after themselves
    expect(root.page.locator(".mmw-labeler")).to_have_count(1)
    nb.cell(1).locator(".jp-InputArea-editor").click()
    nb.command("notebook:insert-cell-below")
    nb.command("notebook:replace-selection", {"text": "labeler"})
    nb.command("notebook:run-cell")
    views = root.page.locator(".mmw-labeler")
    expect(views).to_have_count(2)
    other = views.nth(0) if views.nth(1).get_attribute("data-shown") == first else views.nth(1)
    assert shown_id(other) == first  # both views show the same item
    other.press("1")
    assert shown_id(root, other_than=first) == shown_id(other, other_than=first)
    assert wait_for_labels(store, 1, root) == {first: "animals"}
    root.page.wait_for_timeout(500)
    assert len(labels_in(store)) == 1  # one key press, one label, however many views


def test_a_training_failure_is_shown_in_the_widget(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    # a setting torch refuses only when training starts (AdamW: "Invalid learning rate")
    cell = session_cell(store, model="mm.FusionClassifier(lr=-1.0)", retrain_delay=0.0)
    nb = notebook([cell, LABELER])
    nb.run_all()
    root = widget(nb, 1)
    previous = None
    for key in "12341234":
        previous = shown_id(root, other_than=previous)
        root.press(key)
    error = root.locator(".mmw-error")
    expect(error).to_be_visible(timeout=60_000)
    expect(error).to_contain_text("learning rate")
    wait_for_labels(store, 8, root)  # labeling went on regardless
    error.locator("button").click()
    expect(error).to_be_hidden()


def test_item_view_shows_one_item_and_follows_item_id(notebook, tmp_path):
    cell = textwrap.dedent(
        """
        import mmwidgets as mm
        df = mm.load_sample()
        with_sound = df[df["speech"].notna() & df["sound"].notna()]["id"].iloc[0]
        without = df[df["speech"].notna() & df["sound"].isna()]["id"].iloc[0]
        ds = mm.Dataset(df, id="id", text="text", image="image", audio=["speech", "sound"],
                        validate=False)
        view = mm.ItemView(ds, with_sound)
        view
        """
    )
    nb = notebook([cell])
    nb.run_all()
    root = widget(nb, 0, ".mmw-item-view")
    first = shown_id(root)
    expect(root.locator(".mmw-player")).to_have_count(2)
    assert root.locator("img.mmw-img").evaluate("img => img.naturalWidth") > 0
    nb.execute("view.item_id = without")
    second = shown_id(root, other_than=first)
    assert second == nb.execute("print(without)").strip()
    expect(root.locator(".mmw-player")).to_have_count(1)
    sound = root.locator(".mmw-field[data-column=sound] .mmw-placeholder")
    expect(sound).to_have_text("no audio")  # a quiet placeholder, not an error
    expect(root.locator(".mmw-media-error")).to_have_count(0)


def test_a_banner_says_when_the_label_store_reconnects(notebook, tmp_path, pg_server):
    url = pg_server.url(f"ui-banner-{uuid.uuid4().hex[:8]}")
    nb = notebook([session_cell(url, cache_dir=tmp_path / "embeddings"), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    banner = root.locator(".mmw-connection")
    expect(banner).to_have_attribute("role", "status")
    expect(banner).to_be_hidden()
    item = shown_id(root)
    try:
        pg_server.stop(mode="fast")
        root.press("2")  # the next item shows at once; the label waits in the kernel
        expect(banner).to_be_visible(timeout=15_000)
        expect(banner).to_have_text("reconnecting to the label store…")
        shown_id(root, other_than=item)
        root.page.wait_for_timeout(500)
        expect(banner).to_be_visible()  # it stays while the server is away
    finally:
        pg_server.start()
    expect(banner).to_be_hidden(timeout=30_000)

    def stored() -> list[object]:
        with open_store(url) as store:
            events = store.history()
        return events[events["id"] == item]["label"].tolist()

    wait_until(stored, what="the label in the store", page=root.page)
    assert stored() == ["food"]  # exactly once: the retry found it had not landed
    shown = nb.execute(f"print(labeler.connection, session.store.get({item!r}))")
    assert shown == "connected food\n"


def test_m_brings_the_items_most_like_this_one_next(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook([session_cell(store, per_class=10, background=False), LABELER])
    nb.run_all()
    root = widget(nb, 1)
    first = shown_id(root)
    nb.execute("import json")
    root.press("m")
    wait_until(
        lambda: nb.execute("print(session.queue(1)[0].reason)").startswith("more like this"),
        what="the item itself at the front", page=root.page,
    )  # fmt: skip
    like = nb.execute(f"print(json.dumps(list(session.similar({first!r}, k=5)['id'])))")
    neighbours = json.loads(like)
    assert root.get_attribute("data-shown") == first  # the item on screen stays on screen
    root.press("1")
    second = shown_id(root, other_than=first)
    assert second == neighbours[0]
    root.press("2")
    assert shown_id(root, other_than=second) == neighbours[1]
    assert wait_for_labels(store, 2, root) == {first: "animals", second: "food"}
