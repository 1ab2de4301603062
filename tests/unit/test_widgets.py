"""The widget classes' Python side with a real headless Session: traits, requests, buffers.

No browser here (tests/ui drives the real front end); each test sends the widget the messages
its front end would send and reads the replies it sends back.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

import mmwidgets as mm
from mmwidgets.widgets import _base, _protocol
from mmwidgets.widgets._mirror import Mirror
from mmwidgets.widgets._shortcuts import shortcut_keys

CATEGORIES = ["animals", "food", "vehicles", "clothes"]
FAST = {"text": "hashing", "image": "pixels", "audio": "logmel"}


@pytest.fixture(scope="module")
def subset() -> pd.DataFrame:
    df = mm.load_sample()
    df = df[df["category"].isin(CATEGORIES)]
    return df.groupby("category").head(10).reset_index(drop=True)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture
def make_session(subset, cache_dir, tmp_path):
    sessions = []

    def make(data=None, **kw):
        kw.setdefault("encoders", FAST)
        kw.setdefault("progress", False)
        kw.setdefault("background", False)
        kw.setdefault("labels", CATEGORIES)
        columns = (
            {}
            if isinstance(data, mm.Dataset)
            else {"id": "id", "text": "text", "image": "image", "audio": ["speech", "sound"]}
        )
        s = mm.Session(
            subset if data is None else data,
            store=tmp_path / f"labels-{len(sessions)}.sqlite",
            cache_dir=cache_dir,
            **columns,
            **kw,
        )
        sessions.append(s)
        return s

    yield make
    for s in sessions:
        s.close()


class Wire:
    """Talks to a widget the way its front end does, and keeps what the widget sends back."""

    def __init__(self, widget):
        self.widget = widget
        self.sent: list[tuple[dict, list[bytes]]] = []
        widget.send = lambda content, buffers=None: self.sent.append((content, buffers or []))
        self.count = 0

    def ask(self, kind: str, **args):
        self.count += 1
        request_id = f"test-{self.count}"
        self.widget._on_message(self.widget, {"kind": kind, "id": request_id, **args}, [])
        replies = [m for m in self.sent if m[0].get("id") == request_id]
        assert len(replies) == 1, "every request gets exactly one reply"
        content, buffers = replies[0]
        assert content["kind"] == _protocol.REPLY
        assert content["id"] == request_id
        json.dumps(content)  # plain JSON: bulk data went to the buffers
        return content, buffers

    def result(self, kind: str, **args):
        content, buffers = self.ask(kind, **args)
        assert "error" not in content, content.get("error")
        return content["result"], buffers

    def pushed(self):
        """Payloads the widget sent unasked (packed ahead on its worker), with their buffers."""
        self.widget._prepack.join()
        pushes = [m for m in self.sent if m[0]["kind"] == _protocol.ITEMS]
        return [(item, buffers) for content, buffers in pushes for item in content["items"]]


def _truth(subset):
    return subset.set_index("id")["category"]


def test_traits_mirror_the_task(make_session):
    s = make_session()
    labeler = mm.Labeler(s, prefetch=3)
    assert labeler.labels == CATEGORIES
    assert labeler.shortcuts == ["1", "2", "3", "4"]
    assert labeler.multi_label is False
    assert labeler.columns == {"text": ["text"], "image": ["image"], "audio": ["speech", "sound"]}
    assert labeler.prefetch == 3
    assert labeler.progress["labeled"] == 0
    assert labeler.progress["total"] == len(s.dataset)
    assert labeler.progress["per_class"] == dict.fromkeys(CATEGORIES, 0)
    assert labeler.status["n_items"] == len(s.dataset)
    assert labeler.error == ""
    assert labeler._esm.startswith(("var", "import", "function", "const", "let", "("))
    labeler.close()


def test_sync_sends_the_queue_with_media_as_buffers(make_session):
    s = make_session()
    wire = Wire(mm.Labeler(s, prefetch=4))
    result, buffers = wire.result("sync", have=[], depth=4)
    assert [q["id"] for q in result["queue"]] == [q.id for q in s.queue(5)]
    # the first item comes at once; the rest are packed on the worker and pushed
    assert [p["id"] for p in result["items"]] == [result["queue"][0]["id"]]
    payloads = [(p, buffers) for p in result["items"]] + wire.pushed()
    assert [p["id"] for p, _ in payloads] == [q["id"] for q in result["queue"]]
    seen_audio = 0
    for payload, buffers in payloads:
        assert all(isinstance(b, bytes) for b in buffers)
        assert payload["label"] is None
        (text,) = payload["text"]
        assert text["state"] == "ok"
        assert text["value"] == s.dataset.value(payload["id"], "text")
        (image,) = payload["image"]
        assert image["state"] == "ok"
        with Image.open(io.BytesIO(buffers[image["buffer"]])) as im:
            assert max(im.size) <= 512
            assert im.size == (image["width"], image["height"])
        for audio in payload["audio"]:
            expected = s.dataset.value(payload["id"], audio["column"])
            assert audio["state"] == ("missing" if expected is None else "ok")
            if audio["state"] == "ok":
                seen_audio += 1
                samples, _ = sf.read(io.BytesIO(buffers[audio["buffer"]]))
                assert len(samples) > 0
                assert audio["duration"] > 0
                assert (audio["peaks"]["dtype"], audio["peaks"]["shape"]) == ("<f4", [400])
                peaks = np.frombuffer(buffers[audio["peaks"]["buffer"]], dtype="<f4")
                assert peaks.shape == (400,)
                assert peaks.min() >= 0
                assert peaks.max() <= 1
    assert seen_audio > 0
    # what the front end already holds is not sent again; what is packed comes in the reply
    held = [p["id"] for p, _ in payloads]
    again, buffers = wire.result("sync", have=held, depth=4)
    assert again["items"] == []
    assert buffers == []
    assert [q["id"] for q in again["queue"]] == held
    again, buffers = wire.result("sync", have=held[:2], depth=4)
    assert [p["id"] for p in again["items"]] == held[2:]
    assert len(buffers) >= 3


def test_label_skip_undo_reach_the_store(make_session, subset):
    truth = _truth(subset)
    s = make_session()
    labeler = mm.Labeler(s)
    wire = Wire(labeler)
    queue, _ = wire.result("sync", have=[])
    a, b, c = (q["id"] for q in queue["queue"][:3])
    have = [q["id"] for q in queue["queue"]]

    result, _ = wire.result("label", item=a, label=truth[a], have=have)
    assert result["done"] == a
    assert s.store.get(a) == truth[a]
    assert a not in [q["id"] for q in result["queue"]]

    result, _ = wire.result("skip", item=b, have=have)
    assert s.store.skipped() == [b]

    labeler.refresh()
    assert labeler.progress["labeled"] == 1
    assert labeler.progress["skipped"] == 1
    assert labeler.progress["per_class"][truth[a]] == 1

    result, _ = wire.result("undo", have=[c])
    assert result["undone"] == {"id": b, "label": None}
    assert b in {p["id"] for p in result["items"]}  # it was not in `have`: the front end shows it
    result, _ = wire.result("undo", have=[a, b, c])
    assert result["undone"] == {"id": a, "label": None}
    assert len(s.store) == 0
    result, _ = wire.result("undo", have=[])
    assert "undone" not in result


def test_history_walks_in_first_labeled_order_and_survives_a_fix(make_session, subset):
    truth = _truth(subset)
    s = make_session()
    wire = Wire(mm.Labeler(s))
    ids = [q.id for q in s.queue(3)]
    for item in ids:
        s.label(item, truth[item])

    result, buffers = wire.result("history", item=None, step=-1)
    assert (result["item"]["id"], result["index"], result["total"]) == (ids[2], 2, 3)
    assert result["item"]["label"] == truth[ids[2]]
    assert buffers  # the item's media come along
    result, _ = wire.result("history", item=ids[2], step=-1)
    assert result["item"]["id"] == ids[1]
    other = next(c for c in CATEGORIES if c != truth[ids[1]])
    wire.result("label", item=ids[1], label=other, have=[])  # fix it
    assert s.store.get(ids[1]) == other
    result, _ = wire.result("history", item=ids[1], step=+1)
    assert result["item"]["id"] == ids[2]  # the fix did not move it to the end
    result, _ = wire.result("history", item=ids[0], step=-1)
    assert result["item"]["id"] == ids[0]  # the start stays the start
    result, _ = wire.result("history", item=ids[2], step=+1)
    assert result["item"] is None  # past the end: back to the queue


def test_errors_come_back_in_words_and_nothing_is_written(make_session):
    s = make_session()
    labeler = mm.Labeler(s)
    wire = Wire(labeler)
    item = s.next().id
    content, _ = wire.ask("label", item=item, label="dinosaurs", have=[])
    assert "dinosaurs" in content["error"]
    assert "animals" in content["error"]  # names the valid labels
    content, _ = wire.ask("label", item="no/such/item", label="food", have=[])
    assert "no/such/item" in content["error"]
    content, _ = wire.ask("page", n=3)  # a Gallery request
    assert "does not handle" in content["error"]
    assert len(s.store) == 0
    before = len(wire.sent)
    labeler._on_message(labeler, {"kind": "label"}, [])  # no id: nothing to answer
    labeler._on_message(labeler, "garbage", [])
    assert len(wire.sent) == before


def test_a_broken_image_is_an_error_in_the_payload_and_labeling_goes_on(
    make_session, subset, tmp_path
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 20)
    df = subset.head(6).copy()
    df.loc[0, "image"] = str(broken)
    df.loc[1, "image"] = None
    ds = mm.Dataset(
        df, id="id", text="text", image="image", audio=["speech", "sound"], validate=False
    )
    s = make_session(ds)
    wire = Wire(mm.Labeler(s))
    result, _ = wire.result("item", item=df.loc[0, "id"])
    (image,) = result["item"]["image"]
    assert image["state"] == "error"
    assert "cannot decode image" in image["error"]
    result, _ = wire.result("item", item=df.loc[1, "id"])
    assert result["item"]["image"] == [{"column": "image", "state": "missing"}]
    wire.result("label", item=df.loc[0, "id"], label="animals", have=[])
    assert s.store.get(df.loc[0, "id"]) == "animals"


def test_multi_label_labels_are_lists(make_session):
    s = make_session(multi_label=True)
    labeler = mm.Labeler(s)
    assert labeler.multi_label is True
    wire = Wire(labeler)
    item = s.next().id
    wire.result("label", item=item, label=["food", "animals"], have=[])
    assert s.store.get(item) == ("animals", "food")
    result, _ = wire.result("history", item=None, step=-1)
    assert result["item"]["label"] == ["animals", "food"]
    wire.result("label", item=s.next().id, label=[], have=[])  # "none of these apply"
    assert len(s.store) == 2


def test_session_events_update_traits_from_background_threads(make_session, subset):
    truth = _truth(subset)
    s = make_session(background=True, retrain_delay=0.0)
    labeler = mm.Labeler(s)
    version = labeler.queue_version
    for item in s.queue(12):
        s.label(item.id, truth[item.id])  # not through the widget: the session's events
    assert s.wait(timeout=120)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        labeler.progress["labeled"] < 12 or labeler.status["model_version"] < 1
    ):
        time.sleep(0.05)
    assert labeler.progress["labeled"] == 12
    assert labeler.status["model_version"] >= 1
    assert labeler.queue_version > version
    labeler.close()
    closed_at = labeler.queue_version
    for item in s.queue(2):
        s.label(item.id, truth[item.id])
    assert s.wait(timeout=120)
    time.sleep(0.3)
    assert labeler.queue_version == closed_at  # unsubscribed


def test_a_training_failure_shows_as_the_error_trait(make_session, subset):
    truth = _truth(subset)
    # a setting torch refuses only when training starts (AdamW: "Invalid learning rate")
    s = make_session(background=True, model=mm.FusionClassifier(lr=-1.0), retrain_delay=0.0)
    labeler = mm.Labeler(s)
    for item in s.queue(6):
        s.label(item.id, truth[item.id])
    deadline = time.monotonic() + 60
    while not labeler.error and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "learning rate" in labeler.error
    labeler.close()


def test_gallery_page_and_batch(make_session):
    s = make_session()
    gallery = mm.Gallery(s, n=6)
    wire = Wire(gallery)
    result, buffers = wire.result("page", n=6)
    items = result["items"]
    assert [p["id"] for p in items] == [q.id for q in s.queue(6)]
    for payload in items:
        assert payload["meta"]["reason"]
        for audio in payload["audio"]:
            assert "peaks" not in audio  # play buttons only
            if audio["state"] == "ok":
                assert buffers[audio["buffer"]][:4] in (b"OggS", b"RIFF", b"fLaC", b"ID3\x03")
        (image,) = payload["image"]
        with Image.open(io.BytesIO(buffers[image["buffer"]])) as im:
            assert max(im.size) <= 200
    batch = {p["id"]: CATEGORIES[i % 4] for i, p in enumerate(items[:4])}
    result, _ = wire.result("label_many", labels=batch)
    assert result == {"n": 4}
    assert dict(zip(s.store.current()["id"], s.store.current()["label"], strict=True)) == batch
    content, _ = wire.ask("label_many", labels={items[4]["id"]: "dinosaurs"})
    assert "dinosaurs" in content["error"]
    assert len(s.store) == 4  # all or nothing


def test_item_view_of_a_dataset_and_of_a_session(make_session, subset):
    ds = mm.Dataset(subset, id="id", text="text", image="image", audio=["speech", "sound"])
    first = subset["id"][0]
    view = mm.ItemView(ds, first)
    assert view.item_id == first
    result, buffers = Wire(view).result("item")
    assert result["item"]["id"] == first
    assert "label" not in result["item"]
    assert buffers
    with pytest.raises(mm.UnknownItemError):
        view.item_id = "no/such/item"
    s = make_session()
    s.label(first, "animals")
    result, _ = Wire(mm.ItemView(s, first)).result("item")
    assert result["item"]["label"] == "animals"
    zoom, buffers = Wire(mm.ItemView(s, first)).result(
        "image", item=first, column="image", max_side=900
    )
    assert max(zoom["width"], zoom["height"]) <= 900
    assert buffers[zoom["buffer"]]


def test_a_missing_bundle_says_how_to_build_it(make_session, monkeypatch, tmp_path):
    monkeypatch.setattr(_base, "STATIC", tmp_path / "static")
    with pytest.raises(mm.MMWidgetsError, match="make setup"):
        mm.Labeler(make_session())


def test_shortcuts_skip_command_keys():
    keys = shortcut_keys([f"label{i}" for i in range(40)])
    assert keys[:9] == [str(d) for d in range(1, 10)]
    assert "s" not in keys
    assert "z" not in keys
    assert len(set(keys[:33])) == 33
    assert keys[33:] == [""] * 7


def test_mirror_coalesces_and_stops():
    calls = []
    mirror = Mirror(calls.append, interval=0.05)
    for _ in range(100):
        mirror.poke("status")
    mirror.poke("progress")
    time.sleep(0.3)
    assert calls == [{"status", "progress"}]
    mirror.close()
    mirror.poke("status")
    time.sleep(0.1)
    assert len(calls) == 1


def test_prepacker_pushes_in_order_and_the_latest_plan_wins(caplog):
    from mmwidgets.widgets._payload import ItemPacker
    from mmwidgets.widgets._prepack import Prepacker

    ds = mm.Dataset(pd.DataFrame({"t": [f"item {i}" for i in range(20)]}), text="t")
    packer = ItemPacker(ds)
    pushed: list[str] = []
    worker = Prepacker(packer, pushed.append)
    worker.want(push=["3", "no/such/item", "1"], warm=["2"])
    assert worker.join()
    assert pushed == ["3", "1"]  # the broken one is logged, and the worker goes on
    assert "no/such/item" in caplog.text
    out = _base.Outbox()
    assert packer.cached("2", out) is not None  # warmed, not pushed
    pushed.clear()
    worker.want(push=[str(i) for i in range(4, 20)])
    worker.want(push=["0"])  # a rerank: the new plan replaces the old one
    assert worker.join()
    assert pushed[-1] == "0"
    assert pushed.count("0") == 1
    worker.close()
