"""EmbeddingMap's Python side with a real headless Session: points as buffers, lasso labeling.

No browser here (tests/ui/test_embedding_map.py drives the real front end): each test sends the
panel the messages its front end would send, buffers included, and reads the replies.
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from _samples import CATEGORIES, subset_session
from PIL import Image

import mmwidgets as mm
from mmwidgets.widgets import _protocol
from mmwidgets.widgets._codec import decode_array, encode_array


@pytest.fixture(scope="module")
def subset() -> pd.DataFrame:
    df = mm.load_sample()
    df = df[df["category"].isin(CATEGORIES)]
    return df.groupby("category").head(8).reset_index(drop=True)


@pytest.fixture(scope="module")
def session(subset, tmp_path_factory):
    # one session for the module: a fused model costs tens of seconds on the shared cores, so it
    # retrains in the background; tests compare what the store records, not label totals
    folder = tmp_path_factory.mktemp("map")
    s = subset_session(subset, folder, cache_dir=folder / "embeddings")
    truth = subset.set_index("id")["category"]
    assert s.wait(timeout=300)  # embeddings ready
    s.label_many({q.id: truth[q.id] for q in s.queue(6)})
    assert s.wait(timeout=300)  # a model exists: predictions to colour by
    yield s
    s.close()


@pytest.fixture
def emap(session):
    m = mm.EmbeddingMap(session)
    yield m
    m.close()


def written(session, before: int) -> pd.DataFrame:
    """The store events after the first ``before`` ones."""
    return session.store.history().iloc[before:]


class Wire:
    """Sends the panel what its front end would (JSON plus binary buffers); keeps the replies."""

    def __init__(self, panel):
        self.panel = panel
        self.sent: list[tuple[dict, list[bytes]]] = []
        panel.send = lambda content, buffers=None: self.sent.append((content, buffers or []))
        self.count = 0

    def ask(self, kind: str, buffers=(), **args):
        self.count += 1
        request_id = f"test-{self.count}"
        content = {"kind": kind, "id": request_id, **args}
        self.panel._on_message(self.panel, content, [memoryview(b) for b in buffers])
        (reply,) = [m for m in self.sent if m[0].get("id") == request_id]
        assert reply[0]["kind"] == _protocol.REPLY
        json.dumps(reply[0])  # plain JSON: bulk data went to the buffers
        return reply

    def result(self, kind: str, buffers=(), **args):
        content, out = self.ask(kind, buffers, **args)
        assert "error" not in content, content.get("error")
        return content["result"], out

    def error(self, kind: str, buffers=(), **args) -> str:
        content, _ = self.ask(kind, buffers, **args)
        assert "result" not in content
        return str(content["error"])


def int32(rows) -> bytes:
    return np.asarray(rows, dtype="<i4").tobytes()


def picked(rows) -> dict:
    """A SELECT request's rows as its front end sends them: an int32 array spec and its buffer."""
    buffers: list[bytes] = []
    return {
        "rows": encode_array(np.asarray(rows, dtype=np.int64), buffers, "<i4"),
        "buffers": buffers,
    }


def spec(data: bytes, dtype="<i4", shape=None, buffer=0) -> dict:
    """Rows named by a hand-made spec, which may lie about its buffer."""
    shape = [len(data) // 4] if shape is None else shape
    return {"rows": {"buffer": buffer, "dtype": dtype, "shape": shape}, "buffers": [data]}


def test_points_buffers_decode_to_the_session_layout_and_summary(session, emap):
    assert session.wait(timeout=300)  # no retrain in flight while the two are compared
    result, buffers = Wire(emap.panel).result("points")
    summary = session.point_summary()
    n = len(session.dataset)
    assert result["n"] == n
    assert result["classes"] == CATEGORIES
    # every array names its buffer, dtype and shape (the codec paired with js/lib/codecs.js)
    assert result["xy"] == {"buffer": result["xy"]["buffer"], "dtype": "<f4", "shape": [n, 2]}
    xy = decode_array(result["xy"], buffers)
    np.testing.assert_array_equal(xy, session.projection())
    for name, dtype in [("label", "<i2"), ("prediction", "<i2"), ("confidence", "<f4")]:
        assert (result[name]["dtype"], result[name]["shape"]) == (dtype, [n])
        decoded = np.frombuffer(buffers[result[name]["buffer"]], dtype=dtype)
        np.testing.assert_array_equal(decoded, summary[name])
    assert (decode_array(result["label"], buffers) >= 0).sum() == len(session.store)
    assert (decode_array(result["prediction"], buffers) >= 0).all()
    assert result["drawn"] == emap.n_points == int(np.isfinite(xy).all(axis=1).sum()) > 0
    # the layout is asked for once; later refreshes carry the colours only
    again, buffers = Wire(emap.panel).result("points", layout=False)
    assert "xy" not in again
    assert len(buffers) == 3


def test_points_wait_for_the_embeddings(session, emap, monkeypatch):
    assert session.wait(timeout=300)
    # what the panel sees of a session whose embeddings are still being computed
    encoding = SimpleNamespace(
        ready=False, pool=SimpleNamespace(ready=False), labels=session.labels
    )
    monkeypatch.setattr(emap.panel, "session", encoding)
    result, buffers = Wire(emap.panel).result("points")
    assert result == {"n": len(session.dataset), "pending": True, "classes": CATEGORIES}
    assert buffers == []
    assert emap.n_points == 0
    monkeypatch.undo()
    result, buffers = Wire(emap.panel).result("points")
    assert "pending" not in result
    assert emap.n_points == len(session.dataset)


def test_points_version_follows_labels(session, emap):
    before = emap.panel.points_version
    session.label(session.dataset.ids[20], "food")
    emap.panel._mirror.flush_now()
    assert emap.panel.points_version > before


def test_lasso_label_writes_exactly_the_selected_ids(session, emap):
    ids = session.dataset.ids
    before = len(session.store.history())
    rows = [3, 17, 9, 17]  # a repeat is labeled once
    result, _ = Wire(emap.panel).result("select", **picked(rows), action="label", label="vehicles")
    assert result == {"action": "label", "label": "vehicles", "n": 3}
    events = written(session, before)
    assert sorted(events["id"]) == sorted([ids[3], ids[9], ids[17]])
    assert set(events["label"]) == {"vehicles"}
    assert events["time"].nunique() == 1  # one transaction
    assert all(session.store.get(ids[r]) == "vehicles" for r in rows)


def test_a_json_row_list_works_too(session, emap):
    before = len(session.store.history())
    Wire(emap.panel).result("select", rows=[0, 1], action="label", label="food")
    assert list(written(session, before)["id"]) == session.dataset.ids[:2]
    assert [session.store.get(i) for i in session.dataset.ids[:2]] == ["food", "food"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({**picked([1, 999]), "label": "food"}, "row 999 is out of range: the map has 32 points"),
        ({**picked([-1]), "label": "food"}, "row -1 is out of range"),
        ({**spec(b"\x01\x00\x00", shape=[1]), "label": "food"}, "int32 buffers hold whole"),
        ({**spec(int32([1, 2]), shape=[3]), "label": "food"}, "2 int32 values do not make shape"),
        ({**spec(int32([1]), buffer=1), "label": "food"}, "buffer 1 is not in the message"),
        ({**spec(int32([1]), dtype="<f4"), "label": "food"}, "travel as int32; got dtype '<f4'"),
        ({**spec(int32([1]), dtype="<f8"), "label": "food"}, "travel as int32; got dtype '<f8'"),
        ({"rows": [1.5], "label": "food"}, "must be a list of integers"),
        ({"rows": "1,2", "label": "food"}, "must be a list of integers"),
        ({"label": "food"}, "needs its rows"),
        ({**picked([]), "label": "food"}, "nothing is selected"),
        ({**picked([1, 2]), "label": "cow"}, "cow"),
        ({**picked([1, 2]), "label": None}, "None"),
    ],
)
def test_bad_selections_say_why_and_write_nothing(session, emap, args, message):
    before = len(session.store.history())
    error = Wire(emap.panel).error("select", action="label", **args)
    assert message in error
    assert len(session.store.history()) == before


def test_unknown_action_is_refused(session, emap):
    error = Wire(emap.panel).error("select", **picked([1]), action="delete")
    assert "unknown selection action 'delete'" in error


def test_gallery_action_opens_a_review_of_exactly_those_ids(session, emap):
    ids = session.dataset.ids
    result, _ = Wire(emap.panel).result("select", **picked([5, 2, 30]), action="gallery")
    assert result == {"action": "gallery", "n": 3}
    assert isinstance(emap.gallery, mm.Gallery)
    assert emap.gallery.mode == "review"
    assert list(emap.gallery._review) == [ids[2], ids[5], ids[30]]
    assert emap.children == (emap.panel, emap.gallery)
    first = emap.gallery
    Wire(emap.panel).result("select", **picked([1]), action="gallery")
    assert emap.gallery is not first
    assert list(emap.gallery._review) == [ids[1]]


def test_hover_item_has_a_thumbnail_text_label_and_prediction(session, emap):
    Wire(emap.panel).result("points")
    assert session.wait(timeout=300)
    labeled = session.store.current()["id"].iloc[0]
    row = session.dataset.ids.index(labeled)
    result, buffers = Wire(emap.panel).result("item", row=row)
    item = result["item"]
    assert item["id"] == labeled
    assert item["label"] == session.store.get(labeled)
    assert item["meta"]["prediction"] in CATEGORIES
    assert 0 < item["meta"]["confidence"] <= 1
    assert item["text"][0]["value"] == session.dataset.value(labeled, "text")
    (image,) = item["image"]
    with Image.open(io.BytesIO(buffers[image["buffer"]])) as im:
        assert max(im.size) <= 160
    assert "row 99 is out of range" in Wire(emap.panel).error("item", row=99)
    assert "integers" in Wire(emap.panel).error("item", row="3")


def test_python_selection_api(session, emap):
    ids = session.dataset.ids
    emap.select([ids[4], ids[1]])
    assert emap.selected == [ids[1], ids[4]]
    assert emap.panel.selection == int32([1, 4])
    before = len(session.store.history())
    assert emap.label_selection("clothes") == 2
    assert sorted(written(session, before)["id"]) == [ids[1], ids[4]]
    assert session.store.get(ids[1]) == session.store.get(ids[4]) == "clothes"
    gallery = emap.open_selection()
    assert list(gallery._review) == [ids[1], ids[4]]
    with pytest.raises(mm.UnknownItemError, match="nope"):
        emap.select(["nope"])
    emap.select([])
    assert emap.selected == []
    # the front end sets the selection as a binary buffer (a memoryview off the wire)
    emap.panel.set_state({"selection": memoryview(int32([7]))})
    assert emap.selected == [ids[7]]
    with pytest.raises(ValueError, match="out of range"):
        emap.panel.selection = int32([100])
    with pytest.raises(ValueError, match="int32 buffers hold whole 4-byte values; got 3 bytes"):
        emap.panel.selection = b"\x01\x00\x00"
    assert emap.selected == [ids[7]]  # a refused value changes nothing


def test_color_by_is_validated(session, emap):
    assert emap.color_by == "label"
    emap.color_by = "uncertainty"
    assert emap.panel.color_by == "uncertainty"
    with pytest.raises(ValueError, match="color_by must be one of 'label', 'prediction'"):
        emap.color_by = "confidence"
    with pytest.raises(ValueError, match="got 'labels'"):
        mm.EmbeddingMap(session, color_by="labels")
    with pytest.raises(ValueError, match="method must be 'pca' or 'umap'"):
        mm.EmbeddingMap(session, method="tsne")
