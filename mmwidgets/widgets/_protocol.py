"""The message protocol between the widget classes and their front ends.

Keep in sync with ``js/lib/protocol.js``: every constant named here (message kinds, selection
actions, colour-by names, wire dtypes) is named there, with the same value;
``tests/unit/test_protocol_sync.py`` imports both and compares them.

Durable state travels in synced traits; everything else is a request ``{kind, id, ...}`` from
the front end answered by one reply ``{kind: "reply", id, result}`` or
``{kind: "reply", id, error}`` that echoes the request's id, except ``{kind: "items", items}``,
which Python sends unasked when media it packed ahead of need are ready. Bulk bytes (images,
audio, waveform peaks, map points) travel as binary buffers; a result names an encoded file by
its index in the message's buffers, and a numeric array by ``{buffer, dtype, shape}``
(``_codec.py``).

Examples
--------
>>> parse_request({"kind": "sync", "id": "r1", "have": []})
('sync', 'r1', {'have': []})
>>> error_reply("r1", "no such item")
{'kind': 'reply', 'id': 'r1', 'error': 'no such item'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mmwidgets.exceptions import ProtocolError

__all__ = [
    "BY_LABEL",
    "BY_PREDICTION",
    "BY_UNCERTAINTY",
    "COLOR_BY",
    "DRILL",
    "DTYPES",
    "FLOAT32",
    "GALLERY",
    "HISTORY",
    "IMAGE",
    "INT16",
    "INT32",
    "ITEM",
    "ITEMS",
    "LABEL",
    "LABEL_MANY",
    "PAGE",
    "POINTS",
    "REPLY",
    "REQUEST_KINDS",
    "SEARCH",
    "SELECT",
    "SELECT_ACTIONS",
    "SIMILAR",
    "SKIP",
    "SYNC",
    "UNDO",
    "ProtocolError",
    "error_reply",
    "parse_request",
    "reply",
]

# requests (front end -> Python)
SYNC = "sync"  # the ranked queue now, with media of the items the front end lacks
LABEL = "label"  # label one item, then answer as SYNC does
SKIP = "skip"  # skip one item, then answer as SYNC does
UNDO = "undo"  # undo the latest label or skip, then answer as SYNC does plus what was undone
HISTORY = "history"  # the item before/after a given one in this annotator's history
ITEM = "item"  # one item with its media
IMAGE = "image"  # one image at a larger size (zoom)
PAGE = "page"  # a gallery page: the next n queued items with small media
LABEL_MANY = "label_many"  # a gallery's batch of labels, one transaction
DRILL = "drill"  # a dashboard: open a review Gallery (a confusion cell, or the suspects)
POINTS = "points"  # an embedding map: the 2-D layout and colours of every item, as buffers
SELECT = "select"  # an embedding map: label a lasso selection, or open it in a Gallery
SEARCH = "search"  # a gallery: show the items that match a text query (Session.search)
SIMILAR = "similar"  # a gallery: show the items most like one item (Session.similar)

# Python -> front end
REPLY = "reply"  # the answer to one request
ITEMS = "items"  # unasked: payloads of items the front end will need, packed ahead

REQUEST_KINDS = frozenset(
    {
        SYNC, LABEL, SKIP, UNDO, HISTORY, ITEM, IMAGE, PAGE, LABEL_MANY, DRILL, POINTS, SELECT,
        SEARCH, SIMILAR,
    }
)  # fmt: skip

# what a SELECT request does with the selection (its "action")
# LABEL = "label" (above): label every selected item in one transaction
GALLERY = "gallery"  # open the selection in a review Gallery
SELECT_ACTIONS = (LABEL, GALLERY)

# what an embedding map's points are coloured by (its synced ``color_by``)
BY_LABEL = "label"  # the stored label
BY_PREDICTION = "prediction"  # the model's predicted label
BY_UNCERTAINTY = "uncertainty"  # 1 - confidence of the prediction, on a ramp
COLOR_BY = (BY_LABEL, BY_PREDICTION, BY_UNCERTAINTY)

# dtypes of numeric buffers on the wire (numpy's spelling; all little-endian), named by the
# ``{buffer, dtype, shape}`` spec that comes with each array (see _codec.py, js/lib/codecs.js)
FLOAT32 = "<f4"  # positions, confidences, waveform peaks
INT16 = "<i2"  # label and prediction indexes (-1: none)
INT32 = "<i4"  # map rows (a selection)
DTYPES = (FLOAT32, INT16, INT32)


def parse_request(content: object) -> tuple[str, str, dict[str, Any]]:
    """Split a request into its kind, its id and its arguments.

    Raises
    ------
    ProtocolError
        For anything but a mapping with a known ``kind`` and a non-empty str ``id``.

    Examples
    --------
    >>> parse_request({"kind": "label", "id": "a-7", "item": "x", "label": "cat"})
    ('label', 'a-7', {'item': 'x', 'label': 'cat'})
    """
    if not isinstance(content, Mapping):
        raise ProtocolError(f"a request is a JSON object, got {type(content).__name__}")
    kind, request_id = content.get("kind"), content.get("id")
    if not isinstance(request_id, str) or not request_id:
        raise ProtocolError(f"a request needs a non-empty str id, got {request_id!r}")
    if kind not in REQUEST_KINDS:
        raise ProtocolError(f"unknown request kind {kind!r}; known: {sorted(REQUEST_KINDS)}")
    args = {k: v for k, v in content.items() if k not in ("kind", "id")}
    return str(kind), request_id, args


def reply(request_id: str, result: Mapping[str, Any]) -> dict[str, Any]:
    """The reply that answers request ``request_id`` with ``result``.

    Examples
    --------
    >>> reply("r2", {"n": 3})
    {'kind': 'reply', 'id': 'r2', 'result': {'n': 3}}
    """
    return {"kind": REPLY, "id": request_id, "result": dict(result)}


def error_reply(request_id: str, message: str) -> dict[str, Any]:
    """The reply that tells the front end request ``request_id`` failed, in words.

    Examples
    --------
    >>> error_reply("r3", "unknown label 'cow'")["error"]
    "unknown label 'cow'"
    """
    return {"kind": REPLY, "id": request_id, "error": message}
