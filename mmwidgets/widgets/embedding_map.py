"""EmbeddingMap: the whole pool as points of a 2-D map; hover to preview, lasso to label."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets as t

from mmwidgets.data import UnknownItemError
from mmwidgets.widgets import _protocol as kinds
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._codec import array_bytes, array_of, decode_array, encode_array
from mmwidgets.widgets._drill import DrillDown
from mmwidgets.widgets._payload import ItemPacker, jsonable
from mmwidgets.widgets._session_widget import SessionWidget

if TYPE_CHECKING:
    from mmwidgets.session import Event, Session
    from mmwidgets.widgets.gallery import Gallery

__all__ = ["COLOR_BY", "EmbeddingMap", "selection_rows"]

#: what the points can be coloured by
COLOR_BY = kinds.COLOR_BY
METHODS = ("pca", "umap")
# session events after which the map's colours (labels, predictions) may be stale
_RECOLOR = frozenset({"labeled", "model_updated", "queue_changed"})


def selection_rows(args: dict[str, Any], n: int) -> np.ndarray:
    """The map rows a request names in ``rows``: an int32 array spec, or a JSON list.

    The front end sends ``{buffer, dtype, shape}`` naming one of the request's ``_buffers``
    (see ``_codec.py``); Python's own calls pass a list of ints. Returns the rows sorted,
    without repeats. Raises ``ValueError``/``TypeError`` saying what is wrong (a ragged
    buffer, a non-integer, a row outside ``0..n-1``), so nothing is written.

    Examples
    --------
    >>> out = Outbox()
    >>> spec = encode_array([4, 1, 4], out, kinds.INT32)
    >>> selection_rows({"rows": spec, "_buffers": out.buffers}, n=5)
    array([1, 4])
    >>> selection_rows({"rows": [7]}, n=5)
    Traceback (most recent call last):
    ValueError: selection row 7 is out of range: the map has 5 points (rows 0..4)
    """
    if "rows" not in args:
        raise ValueError("a selection request needs its rows (an int32 array or a list)")
    listed = args["rows"]
    if isinstance(listed, dict):
        if listed.get("dtype") != kinds.INT32:
            raise TypeError(f"selection rows travel as int32; got dtype {listed.get('dtype')!r}")
        rows = decode_array(listed, args.get("_buffers") or []).reshape(-1).astype(np.int64)
    elif isinstance(listed, list | tuple) and all(
        isinstance(r, int) and not isinstance(r, bool) for r in listed
    ):
        rows = np.asarray(listed, dtype=np.int64)
    else:
        raise TypeError(f"selection rows must be a list of integers, got {listed!r:.80}")
    return _in_range(rows, n)


def _in_range(rows: np.ndarray, n: int) -> np.ndarray:
    bad = rows[(rows < 0) | (rows >= n)]
    if len(bad):
        raise ValueError(
            f"selection row {int(bad[0])} is out of range: the map has {n} points (rows 0..{n - 1})"
        )
    return np.unique(rows)


def _check_color_by(value: object) -> str:
    if value not in COLOR_BY:
        raise ValueError(f"color_by must be one of {', '.join(map(repr, COLOR_BY))}; got {value!r}")
    return str(value)


class _MapPanel(SessionWidget):
    """The map's front end: points and colours as buffers, asked for on ``points_version``."""

    _entry = "embedding_map.js"
    color_by = t.Unicode("label").tag(sync=True)
    method = t.Unicode("pca").tag(sync=True)
    #: bumped when labels or the model changed, so the front end asks for fresh colours
    points_version = t.Int(0).tag(sync=True)
    #: points drawn (items with a usable embedding); 0 until the layout is computed
    n_points = t.Int(0).tag(sync=True)
    #: the selected rows, little-endian int32, synced both ways as one binary buffer
    selection = t.Bytes(b"").tag(sync=True, from_json=lambda value, _widget: bytes(value))

    def __init__(
        self, session: Session, owner: EmbeddingMap, packer: ItemPacker, **traits: Any
    ) -> None:
        self._owner = owner
        self._ids = session.dataset.ids
        self._summary: dict[str, np.ndarray] | None = None
        super().__init__(session, packer, **traits)
        self._handle(kinds.POINTS, self._points)
        self._handle(kinds.ITEM, self._item)
        self._handle(kinds.SELECT, self.act_on_selection)

    @t.validate("color_by")
    def _valid_color_by(self, proposal: dict[str, Any]) -> str:
        return _check_color_by(proposal["value"])

    @t.validate("selection")
    def _valid_selection(self, proposal: dict[str, Any]) -> bytes:
        rows = array_of(proposal["value"], kinds.INT32).astype(np.int64)
        return array_bytes(_in_range(rows, len(self._ids)), kinds.INT32)

    def _on_event(self, event: Event) -> None:
        super()._on_event(event)
        if event.kind in _RECOLOR:
            self._poke("points")

    def _refresh(self, stale: set[str]) -> None:
        super()._refresh(stale)
        if "points" in stale and not self.session.store.closed:
            self.points_version += 1

    @property
    def rows(self) -> np.ndarray:
        """The selected rows."""
        return array_of(self.selection, kinds.INT32).astype(np.int64)

    def _points(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        s = self.session
        classes = list(s.labels)
        if not s.ready:
            return {"n": len(self._ids), "pending": True, "classes": classes}
        xy = s.projection(self.method)
        summary = self._summary = s.point_summary()
        self.n_points = int(np.isfinite(xy).all(axis=1).sum())
        result: dict[str, Any] = {
            "n": len(xy),
            "drawn": self.n_points,
            "classes": classes,
            "method": self.method,
            "model_version": s.model_version,
            "label": encode_array(summary["label"], out, kinds.INT16),
            "prediction": encode_array(summary["prediction"], out, kinds.INT16),
            "confidence": encode_array(summary["confidence"], out, kinds.FLOAT32),
        }
        if args.get("layout", True):  # the layout never changes: the front end asks it once
            result["xy"] = encode_array(xy, out, kinds.FLOAT32)
        return result

    def _item(self, args: dict[str, Any], out: Outbox) -> dict[str, Any]:
        row = int(selection_rows({"rows": [args.get("row")]}, len(self._ids))[0])
        iid = self._ids[row]
        payload = self._packer.pack(iid, out)
        summary = self._summary if self._summary is not None else self.session.point_summary()
        predicted = int(summary["prediction"][row])
        payload["label"] = jsonable(self.session.store.get(iid))
        payload["meta"] = {
            "row": row,
            "prediction": self.session.labels[predicted] if predicted >= 0 else None,
            "confidence": float(summary["confidence"][row]) if predicted >= 0 else None,
        }
        return {"item": payload}

    def act_on_selection(self, args: dict[str, Any], _out: Outbox) -> dict[str, Any]:
        """Label the selected rows (one transaction) or open them in a Gallery."""
        action = args.get("action")
        if action not in kinds.SELECT_ACTIONS:
            raise ValueError(f"unknown selection action {action!r}; use 'label' or 'gallery'")
        ids = [self._ids[r] for r in selection_rows(args, len(self._ids))]
        if not ids:
            raise ValueError("nothing is selected: draw a lasso around some points first")
        if action == kinds.LABEL:
            label = args.get("label")
            if not isinstance(label, str | list) or not all(isinstance(v, str) for v in label):
                raise TypeError(f"a label is a str (a list of str for multi-label); got {label!r}")
            self.session.label_many(dict.fromkeys(ids, label))  # all or nothing
            self._poke("progress", "status", "points")
            return {"action": "label", "label": label, "n": len(ids)}
        self._owner.open_gallery(ids)
        return {"action": "gallery", "n": len(ids)}


class EmbeddingMap(DrillDown):
    """Every item of the pool as a point on a 2-D map of its fused embedding.

    The layout is :meth:`Session.projection` (PCA, or UMAP with ``umap-learn`` installed),
    drawn on a canvas that stays smooth with 100k points. Points are coloured by stored label,
    by the model's prediction or by its uncertainty, and follow the session as labels arrive
    and the model retrains. Hover a point for a preview (thumbnail, text, label, prediction);
    drag to pan, scroll to zoom; shift+drag (or the lasso button) draws a lasso. Then a label
    button (or its key) labels the whole selection in one transaction, and "open in gallery"
    (``Enter``) shows it in a review :class:`Gallery` below the map.

    Parameters
    ----------
    session : Session
        The labeling session; the map only mirrors and asks it.
    color_by : {"label", "prediction", "uncertainty"}
        What the colours show (also switchable in the widget).
    method : {"pca", "umap"}
        The 2-D projection.
    gallery_size : int
        Tiles per page of the review Gallery that "open in gallery" shows.
    max_side : int
        Longest side of the hover preview's thumbnail, in pixels.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> m = mm.EmbeddingMap(session, color_by="prediction")
    >>> m.select(session.dataset.ids[:3])
    >>> m.label_selection("food")
    3
    >>> [session.store.get(i) for i in m.selected]
    ['food', 'food', 'food']
    >>> m.close()
    """

    panel: _MapPanel
    _row: dict[str, int] | None = None  # id -> map row, built on first use

    def __init__(
        self,
        session: Session,
        *,
        color_by: str = "label",
        method: str = "pca",
        gallery_size: int = 24,
        max_side: int = 160,
    ) -> None:
        _check_color_by(color_by)
        if method not in METHODS:
            raise ValueError(f"method must be 'pca' or 'umap'; got {method!r}")
        if method == "umap" and importlib.util.find_spec("umap") is None:
            raise ImportError("method='umap' needs the umap-learn package: pip install umap-learn")
        packer = ItemPacker(session.dataset, max_side=max_side, n_peaks=None, cache_size=64)
        panel = _MapPanel(session, self, packer, color_by=color_by, method=method)
        super().__init__(session, panel, gallery_size=gallery_size)

    @property
    def color_by(self) -> str:
        """What the colours show: ``"label"``, ``"prediction"`` or ``"uncertainty"``."""
        return str(self.panel.color_by)

    @color_by.setter
    def color_by(self, value: str) -> None:
        self.panel.color_by = value

    @property
    def n_points(self) -> int:
        """Points on the map (items with a usable embedding), once the layout is drawn."""
        return int(self.panel.n_points)

    @property
    def selected(self) -> list[str]:
        """Ids of the selected items (a lasso in the widget, or :meth:`select`)."""
        ids = self.session.dataset.ids
        return [ids[r] for r in self.panel.rows]

    def select(self, ids: Sequence[str | int]) -> None:
        """Select these items, as a lasso would (an empty list clears the selection).

        Examples
        --------
        >>> import mmwidgets as mm
        >>> m = mm.EmbeddingMap(session)
        >>> m.select([session.dataset.ids[5]])
        >>> m.selected == [session.dataset.ids[5]]
        True
        >>> m.close()
        """
        if self._row is None:
            self._row = {iid: i for i, iid in enumerate(self.session.dataset.ids)}
        rows = []
        for iid in ids:
            if str(iid) not in self._row:
                raise UnknownItemError(f"item {iid!r} is not in this session's dataset")
            rows.append(self._row[str(iid)])
        self.panel.selection = np.asarray(rows, dtype="<i4").tobytes()

    def label_selection(self, label: str | Sequence[str]) -> int:
        """Label every selected item ``label`` in one transaction; returns how many.

        Examples
        --------
        >>> import mmwidgets as mm
        >>> m = mm.EmbeddingMap(session)
        >>> m.label_selection("food")  # nothing selected
        Traceback (most recent call last):
        ValueError: nothing is selected: draw a lasso around some points first
        >>> m.close()
        """
        result = self.panel.act_on_selection(
            {"action": "label", "label": label, "rows": self._rows()}, Outbox()
        )
        return int(result["n"])

    def open_selection(self) -> Gallery:
        """Show the selected items in a review Gallery below the map.

        Examples
        --------
        >>> import mmwidgets as mm
        >>> m = mm.EmbeddingMap(session)
        >>> m.select(session.dataset.ids[:2])
        >>> m.open_selection().remaining
        2
        >>> m.close()
        """
        self.panel.act_on_selection({"action": "gallery", "rows": self._rows()}, Outbox())
        assert self.gallery is not None  # open_gallery just set it
        return self.gallery

    def _rows(self) -> list[int]:
        return [int(r) for r in self.panel.rows]
