"""The widget classes' Python side with a real headless Session: traits, requests, buffers.

No browser here (tests/ui drives the real front end); each test sends the widget the messages
its front end would send and reads the replies it sends back.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from PIL import Image

import mmwidgets as mm
from mmwidgets.exceptions import LabelNotStoredError
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
    assert not {"m", "s", "y", "z"} & set(keys)  # more like this, skip, accept, undo
    assert len(set(keys[:32])) == 32
    assert keys[32:] == [""] * 8


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


# ---------------------------------------------------------------- teams: connection, adjudication


def _updates(widget) -> list[dict]:
    """Record the state updates ``widget`` sends its front end from now on."""
    sent: list[dict] = []
    widget._send = lambda msg, buffers=None: sent.append(msg)
    return sent


def _connection_updates(sent: list[dict]) -> list[str]:
    return [m["state"]["connection"] for m in sent if "connection" in m.get("state", {})]


def test_a_connection_event_sets_the_trait_on_its_thread_without_reading_the_store(
    make_session, monkeypatch
):
    s = make_session()
    labeler = mm.Labeler(s)
    sent = _updates(labeler)
    reads: list[str] = []

    def read(*_args, **_kwargs):
        # the store's thread holds the store's lock here: a read would wait for it (or retry)
        reads.append(threading.current_thread().name)
        raise AssertionError("the store was read")

    for name in ("__len__", "current", "annotations", "get", "skipped", "_resolved"):
        monkeypatch.setattr(type(s.store), name, read)
    monkeypatch.setattr(s, "status", read)

    def emit(state: str) -> None:
        s.events.emit("connection", state=state)
        seen.append(labeler.connection)  # set before emit returns: on the store's thread

    seen: list[str] = []
    for state in ("reconnecting", "connected", "reconnecting", "lost"):
        emitter = threading.Thread(target=emit, args=(state,), name="store-thread")
        emitter.start()
        emitter.join(5)
    assert seen == ["reconnecting", "connected", "reconnecting", "lost"]
    assert "store-thread" not in reads
    assert _connection_updates(sent) == seen  # each change went to the browser at once
    monkeypatch.undo()
    labeler.close()


def test_a_held_sync_does_not_hold_back_the_connection(make_session):
    # The mirror's thread sets traits inside hold_sync and may be waiting there for the very
    # store that is reconnecting: the banner must not wait for it.
    s = make_session()
    labeler = mm.Labeler(s)
    sent = _updates(labeler)
    inside, release = threading.Event(), threading.Event()

    def mirror() -> None:
        with labeler.hold_sync():
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=mirror)
    holder.start()
    assert inside.wait(5)
    s.events.emit("connection", state="reconnecting")
    assert _connection_updates(sent) == ["reconnecting"]  # sent while the hold is still on
    release.set()
    holder.join(5)
    assert labeler.connection == "reconnecting"
    labeler.close()


def _pg_session(subset, cache_dir, url, **store_options):
    from mmwidgets.data._store_pg import PostgresLabelStore

    store = PostgresLabelStore(url, labels=CATEGORIES, **store_options)
    return mm.Session(
        subset, labels=CATEGORIES, id="id", text="text", image="image",
        audio=["speech", "sound"], store=store, cache_dir=cache_dir, encoders=FAST,
        progress=False, background=False,
    )  # fmt: skip


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_connection_trait_follows_a_postgres_outage(pg_server, subset, cache_dir):
    task = f"widgets-{uuid.uuid4().hex[:8]}"
    s = _pg_session(subset, cache_dir, pg_server.url(task))
    labeler = mm.Labeler(s)
    sent = _updates(labeler)
    item = s.next().id
    done: list[object] = []
    try:
        pg_server.stop(mode="fast")
        worker = threading.Thread(target=lambda: done.append(s.label(item, "food")))
        worker.start()
        _wait_for(lambda: labeler.connection == "reconnecting")
        assert worker.is_alive()  # the label waits for the server, holding the store's lock
    finally:
        pg_server.start()
    worker.join(30)
    assert done == [None]
    assert labeler.connection == "connected"
    assert _connection_updates(sent) == ["reconnecting", "connected"]
    events = s.store.history()
    assert events[events["id"] == item]["label"].tolist() == ["food"]  # stored exactly once
    labeler.close()
    s.close()

    # a store that gives up says "lost"; the next call that gets through says "connected"
    quick = _pg_session(subset, cache_dir, pg_server.url(task), reconnect_timeout=0.5)
    labeler = mm.Labeler(quick)
    other = quick.next().id
    try:
        pg_server.stop(mode="fast")
        with pytest.raises(LabelNotStoredError):
            quick.label(other, "animals")
        assert labeler.connection == "lost"
    finally:
        pg_server.start()
    quick.label(other, "animals")
    assert labeler.connection == "connected"
    assert quick.store.get(other) == "animals"
    labeler.close()
    quick.close()


def _dispute(s, items: list[str]) -> None:
    """ana says food, ben says vehicles, on each of ``items``."""
    for item in items:
        s.store.set(item, "food", annotator="ana")
        s.store.set(item, "vehicles", annotator="ben")


def test_a_disagreements_gallery_adjudicates(make_session):
    s = make_session(annotator="lead")
    first, second = (q.id for q in s.queue(2))
    _dispute(s, [first, second])
    gallery = mm.Gallery(s, items=s.disagreements())
    assert (gallery.mode, gallery.remaining) == ("adjudicate", 2)
    wire = Wire(gallery)
    result, _ = wire.result("page", n=24)
    metas = {p["id"]: p["meta"] for p in result["items"]}
    assert metas[first]["reason"] == "ana: food · ben: vehicles"  # who said what, on the tile
    assert metas[first]["label"] == s.store.get(first)  # it starts with what training uses
    result, _ = wire.result("label_many", labels={first: "vehicles"})
    assert result == {"n": 1}
    adjudications = s.store.adjudications()
    assert adjudications[["id", "label", "annotator"]].values.tolist() == [
        [first, "vehicles", "lead"]
    ]
    assert "lead" not in set(s.store.annotations()["annotator"])  # no label of lead's own
    assert s.store.disputed() == [second]
    assert gallery.remaining == 1
    content, _ = wire.ask("label_many", labels={second: "dinosaurs"})
    assert "dinosaurs" in content["error"]
    assert s.store.disputed() == [second]
    gallery.close()


def test_adjudicate_is_a_choice_with_a_default_from_the_items(make_session):
    s = make_session(annotator="lead")
    item = s.queue(1)[0].id
    _dispute(s, [item])
    labeling = mm.Gallery(s, items=s.disagreements(), adjudicate=False)
    assert labeling.mode == "review"
    Wire(labeling).result("label_many", labels={item: "food"})
    assert s.store.adjudications().empty  # a label of lead's own: a third opinion
    assert set(s.store.annotations()["annotator"]) == {"ana", "ben", "lead"}
    labeling.close()
    by_ids = mm.Gallery(s, items=[item], adjudicate=True)
    assert by_ids.mode == "adjudicate"
    Wire(by_ids).result("label_many", labels={item: "food"})
    assert s.store.adjudications()["id"].tolist() == [item]
    by_ids.close()
    plain = s.disagreements().copy()
    plain.attrs.clear()
    assert mm.Gallery(s, items=plain).mode == "review"
    assert mm.Gallery(s).mode == "queue"
    with pytest.raises(ValueError, match="disagreements"):
        mm.Gallery(s, adjudicate=True)


def test_dashboard_shows_agreement_once_two_annotators_label(make_session, subset):
    truth = _truth(subset)
    s = make_session(annotator="ana")
    items = [i for i in subset["id"] if truth[i] != "clothes"][::3][:8]
    s.label_many({i: truth[i] for i in items})
    dash = mm.Dashboard(s)
    assert dash.data["agreement"] is None  # one person: no panel
    dash.close()
    # ben labels six of them, four the same and two differently; nobody says "clothes"
    for i in items[:4]:
        s.store.set(i, truth[i], annotator="ben")
    for i in items[4:6]:
        s.store.set(i, next(c for c in CATEGORIES[:3] if c != truth[i]), annotator="ben")
    dash = mm.Dashboard(s)
    shown = dash.data["agreement"]
    expected = s.agreement().as_dict()
    assert shown["n_overlapped"] == expected["n_overlapped"] == 6
    assert shown["annotators"] == ["ana", "ben"]
    assert shown["fleiss_items"] == expected["fleiss_items"]
    assert shown["fleiss_kappa"] == pytest.approx(expected["fleiss_kappa"])
    assert shown["alpha"] == pytest.approx(expected["alpha"])
    (pair,) = shown["pairs"]
    assert (pair["annotator_a"], pair["annotator_b"], pair["n_items"]) == ("ana", "ben", 6)
    assert pair["kappa"] == pytest.approx(expected["pairs"][0]["kappa"])
    assert [c["label"] for c in shown["per_class"]] == CATEGORIES
    for got, want in zip(shown["per_class"], expected["per_class"], strict=True):
        for key in ("fleiss_kappa", "alpha"):
            # NaN (undefined, e.g. a class nobody gave) crosses as None: JSON has no NaN
            if np.isnan(want[key]):
                assert got[key] is None
            else:
                assert got[key] == pytest.approx(want[key])
    clothes = shown["per_class"][CATEGORIES.index("clothes")]
    assert (clothes["n_items"], clothes["fleiss_kappa"], clothes["alpha"]) == (0, None, None)
    json.dumps(dash.panel.data, allow_nan=False)  # what the front end gets is plain JSON
    dash.close()


def test_gallery_search_and_more_like_this_become_the_pages(make_session):
    s = make_session()
    gallery = mm.Gallery(s, n=4, k=12)
    wire = Wire(gallery)
    word = s.dataset.column_values("text")[5].split()[-1].strip(".").lower()
    result, _ = wire.result("search", query=word)
    hits = s.search(word, k=12)
    assert result == {"n": len(hits)}
    assert (gallery.mode, gallery.query, gallery.remaining) == ("review", word, len(hits))
    page, _ = wire.result("page", n=4)
    assert [p["id"] for p in page["items"]] == list(hits["id"][:4])
    assert page["items"][0]["meta"]["reason"].startswith(f"search {word!r}")
    labeled = {page["items"][0]["id"]: CATEGORIES[0]}
    wire.result("label_many", labels=labeled)
    assert gallery.remaining == len(hits) - 1  # saved results leave the pages
    first = page["items"][1]["id"]
    wire.result("similar", item=first)
    page, _ = wire.result("page", n=4)
    assert first not in {p["id"] for p in page["items"]}
    assert [p["id"] for p in page["items"]] == list(s.similar(first, k=12)["id"][:4])
    assert gallery.query == f"like {first}"
    wire.result("search", query="  ")  # an emptied box: the queue again
    assert (gallery.mode, gallery.query) == ("queue", "")
    content, _ = wire.ask("similar", item="no-such-item")
    assert "no-such-item" in content["error"]
    started = mm.Gallery(s, query=word, k=12)
    assert (started.mode, started.remaining) == ("review", len(hits))
    with pytest.raises(ValueError, match="not both"):
        mm.Gallery(s, items=[first], query=word)


def test_more_like_this_in_the_labeler_queues_the_neighbours_next(make_session, subset):
    truth = _truth(subset)
    s = make_session()
    wire = Wire(mm.Labeler(s))
    queue, _ = wire.result("sync", have=[])
    shown = queue["queue"][0]["id"]
    neighbours = list(s.similar(shown, k=10)["id"])
    labeled = neighbours[0]
    s.label(labeled, truth[labeled])  # a labeled neighbour is never queued again
    result, _ = wire.result("similar", item=shown, have=[])
    order = [q["id"] for q in result["queue"]]
    assert order[0] == shown  # the item on screen stays on screen
    assert len(order) >= 4
    assert order[1:] == [i for i in neighbours if i != labeled][: len(order) - 1]
    assert result["queue"][1]["reason"].startswith(f"like {shown} (fused): similarity")
    result, _ = wire.result("label", item=shown, label=truth[shown], have=order)
    assert [q["id"] for q in result["queue"]][:3] == order[1:4]  # labeling goes on in that order


def test_dashboard_counts_labels_by_people_and_by_the_model_apart(make_session, subset):
    from mmwidgets.data import MODEL_ANNOTATOR

    truth = _truth(subset)
    s = make_session()
    people = list(subset["id"][:6])
    s.label_many({i: truth[i] for i in people})
    model = list(subset["id"][6:10])
    s.store.set_batch([(i, truth[i]) for i in model], MODEL_ANNOTATOR, reason="auto-label x")
    dash = mm.Dashboard(s)
    sources = dash.data["sources"]
    assert (sources["people"], sources["model"]) == (6, 4)
    assert dash.data["n_labeled"] == 10
    # one person and the model: no agreement panel, the model is no second annotator
    assert dash.data["agreement"] is None
    dash.close()
