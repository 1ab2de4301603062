"""The Gallery in real JupyterLab and Chromium: select tiles, assign labels, save one batch."""

from __future__ import annotations

import json

import pytest
from _notebook import wait_until
from playwright.sync_api import expect
from test_labeler import labels_in, session_cell, wait_for_labels, widget

import mmwidgets as mm

pytestmark = pytest.mark.ui


def _tiles(root):
    tiles = root.locator(".mmw-tile")
    wait_until(lambda: tiles.count() > 0, what="gallery tiles", page=root.page)
    return tiles


def test_batch_label_lands_in_the_store_as_one_transaction(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    nb = notebook(
        [session_cell(store, both_audio=False), "gallery = mm.Gallery(session, n=8)\ngallery"]
    )
    nb.run_all()
    root = widget(nb, 1, ".mmw-gallery")
    tiles = _tiles(root)
    expect(tiles).to_have_count(8)
    for i in range(8):
        assert tiles.nth(i).locator("img").evaluate("img => img.naturalWidth") > 0
    ids = [tiles.nth(i).get_attribute("data-item") for i in range(8)]
    tiles.nth(0).click()
    tiles.nth(2).click(modifiers=["Shift"])  # 0..2
    tiles.nth(5).click(modifiers=["Control"])  # and 5
    expect(root.locator(".mmw-tile.mmw-selected")).to_have_count(4)
    root.press("2")  # food for the selection
    root.locator(".mmw-label[data-label=vehicles]").click()  # then vehicles, by click
    root.press("ArrowRight")  # cursor from 5 to 6: a fresh selection of one
    root.press("ArrowRight")
    expect(root.locator(".mmw-tile.mmw-selected")).to_have_count(1)
    root.press("Space")  # toggles the cursor's tile off and on
    expect(root.locator(".mmw-tile.mmw-selected")).to_have_count(0)
    root.press("Space")
    root.press("4")
    assert labels_in(store) == {}  # nothing is written before saving
    root.press("Enter")
    expected = {ids[i]: "vehicles" for i in (0, 1, 2, 5)} | {ids[7]: "clothes"}
    assert wait_for_labels(store, 5, root) == expected
    with mm.LabelStore(store) as s:
        events = s.history()
    assert events["time"].nunique() == 1  # one set_batch: one transaction
    # the grid moves on to the next page, without the items just labeled
    wait_until(lambda: root.get_attribute("data-page") == "2", what="the next page", page=root.page)
    fresh = [tiles.nth(i).get_attribute("data-item") for i in range(tiles.count())]
    assert not set(fresh) & set(expected)


def test_accepting_the_suggestions_saves_what_the_tiles_show(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    setup = (
        session_cell(store, both_audio=False, per_class=10, background=False)
        + "\ntruth = df.set_index('id')['category']"
        + "\nsession.label_many({q.id: truth[q.id] for q in session.queue(12)})"
    )
    nb = notebook([setup, "gallery = mm.Gallery(session, n=6)\ngallery"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-gallery")
    tiles = _tiles(root)
    suggested = {}
    for i in range(tiles.count()):
        tile = tiles.nth(i)
        chip = tile.locator(".mmw-chip").inner_text()
        assert "?" in chip  # a suggestion, not yet assigned
        suggested[tile.get_attribute("data-item")] = chip.split("?")[0]
    assert set(suggested.values()) <= {"animals", "food", "vehicles", "clothes"}
    # play the first tile's audio, if it has any
    play = root.locator(".mmw-mini-play").first
    if play.count():
        play.click()
        expect(play).to_contain_text("⏸")
        play.click()
    root.press("s")  # s skips in the Labeler: here it does nothing at all
    expect(root.locator(".mmw-chip.mmw-assigned")).to_have_count(0)
    root.press("y")  # "yes" to the suggestions (the "accept suggestions" button)
    expect(root.locator(".mmw-chip.mmw-assigned")).to_have_count(len(suggested))
    root.locator(".mmw-save").click()
    labels = wait_for_labels(store, 12 + len(suggested), root)
    assert {k: labels[k] for k in suggested} == suggested


def test_a_disagreements_gallery_shows_who_said_what_and_adjudicates(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    setup = (
        session_cell(store, both_audio=False, background=False, annotator="lead")
        + "\ndisputed = [q.id for q in session.queue(2)]"
        + "\nfor i in disputed:"
        + "\n    session.store.set(i, 'food', annotator='ana')"
        + "\n    session.store.set(i, 'vehicles', annotator='ben')"
    )
    nb = notebook([setup, "gallery = mm.Gallery(session, items=session.disagreements())\ngallery"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-gallery.mmw-adjudicate")
    tiles = _tiles(root)
    expect(tiles).to_have_count(2)
    for tile in tiles.all():
        expect(tile.locator(".mmw-tile-reason")).to_have_text("ana: food · ben: vehicles")
    save = root.locator(".mmw-save")
    expect(save).to_contain_text("adjudicate 2")  # both start with the label training uses now
    expect(save).not_to_contain_text("save")
    first, second = (t.get_attribute("data-item") for t in tiles.all())
    kept = json.loads(tiles.nth(1).get_attribute("data-assigned"))
    tiles.first.click()
    root.locator(".mmw-label[data-label=food]").click()  # settle the first one for ana
    save.click()

    def adjudicated() -> list[list[str]]:
        out = nb.execute(
            "print(json.dumps(session.store.adjudications()[['id', 'label', 'annotator']]"
            ".values.tolist()))"
        )
        return sorted(json.loads(out))

    nb.execute("import json")
    wait_until(lambda: len(adjudicated()) == 2, what="two adjudications", page=root.page)
    assert adjudicated() == sorted([[first, "food", "lead"], [second, kept, "lead"]])
    # adjudications, not labels of lead's own; the items leave the review
    assert nb.execute("print(sorted(set(session.store.annotations()['annotator'])))") == (
        "['ana', 'ben']\n"
    )
    assert nb.execute("print(session.store.disputed(), gallery.remaining)") == "[] 0\n"
    expect(root.locator(".mmw-empty")).to_have_text("Nothing left to adjudicate.")


def test_a_search_typed_in_the_box_pages_its_results_for_labeling_by_key(notebook, tmp_path):
    store = tmp_path / "labels.sqlite"
    setup = (
        session_cell(store, both_audio=False, background=False)
        + "\nimport json"
        + "\nquery = session.dataset.column_values('text')[0].split()[-1].strip('.')"
    )
    nb = notebook([setup, "gallery = mm.Gallery(session, n=4)\ngallery"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-gallery")
    tiles = _tiles(root)
    query = nb.execute("print(query)").strip()
    expected = json.loads(nb.execute("print(json.dumps(list(session.search(query)['id'][:4])))"))
    first_label = nb.execute("print(session.labels[0])").strip()
    root.press("/")  # keyboard first: "/" focuses the search box
    box = root.locator(".mmw-search")
    expect(box).to_be_focused()
    box.type(query)
    assert labels_in(store) == {}  # typed letters are text, never label keys
    box.press("Enter")
    wait_until(
        lambda: [t.get_attribute("data-item") for t in tiles.all()] == expected,
        what="the search results as the page", page=root.page,
    )  # fmt: skip
    expect(tiles.first.locator(".mmw-tile-reason")).to_contain_text(f"search '{query}'")
    tiles.nth(0).click()
    tiles.nth(3).click(modifiers=["Shift"])
    root.press("1")
    root.press("Enter")
    assert wait_for_labels(store, 4, root) == dict.fromkeys(expected, first_label)
