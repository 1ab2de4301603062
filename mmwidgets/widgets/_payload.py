"""Pack an item for the browser: text as JSON, media as binary buffers, problems in words.

The packed media of recently sent items are kept (a small LRU), so a queue that is reranked,
a second view or a walk through the history costs no second thumbnail or audio decode.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmwidgets.data import RENDERERS, get_modality
from mmwidgets.data.dataset import Dataset
from mmwidgets.data.media import MediaError
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._codec import encode_array
from mmwidgets.widgets._protocol import FLOAT32

__all__ = ["ItemPacker", "TranscriptReader", "jsonable"]

#: ``reader(item_id, column)``: the words heard in an audio cell, or None (e.g. Session.transcript)
TranscriptReader = Callable[[str, str], str | None]


@dataclass(frozen=True)
class _Packed:
    """An item's fields with buffer indexes local to ``buffers``."""

    fields: dict[str, Any]
    buffers: tuple[bytes, ...]


class ItemPacker:
    """Turn item ids into front-end payloads ``{id, text, image, audio}`` plus buffers.

    The lists are keyed by how the browser draws a column (its modality spec's ``renderer``),
    not by modality: a registered ``"number"`` modality drawn as text joins ``text``, each of
    its slots marked ``"modality": "number"`` (a slot of the renderer's own modality carries no
    such key).

    Thread-safe: a worker may pack ahead (:meth:`warm`) while requests read the cache.

    Parameters
    ----------
    dataset : Dataset
        Where the items live.
    max_side : int
        Longest side of image thumbnails, in pixels.
    n_peaks : int or None
        Waveform buckets per audio clip; None sends no waveform (a play button only).
    cache_size : int
        How many items' packed media to keep.
    transcripts : callable, optional
        ``transcripts(item_id, column)`` -> the words heard in an audio cell, or None (e.g.
        :meth:`Session.transcript`); an audio slot with words carries them as ``transcript``.
        A slot without is asked again each time it is sent, until its transcript exists.

    Examples
    --------
    >>> import pandas as pd
    >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a cat"]}), text="t")
    >>> out = Outbox()
    >>> ItemPacker(ds).pack("0", out)["text"]
    [{'column': 't', 'state': 'ok', 'value': 'a cat'}]
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        max_side: int = 512,
        n_peaks: int | None = 400,
        cache_size: int = 48,
        transcripts: TranscriptReader | None = None,
    ) -> None:
        self.dataset = dataset
        self.transcripts = transcripts
        self.max_side = max_side
        self.n_peaks = n_peaks
        self.cache_size = cache_size
        self._cache: OrderedDict[str, _Packed] = OrderedDict()
        self._lock = threading.Lock()

    def pack(self, item_id: str, out: Outbox) -> dict[str, Any]:
        """The payload of one item; its media are appended to ``out``."""
        packed = self._lookup(item_id)
        if packed is None:
            packed = self._store(item_id, self._pack(item_id))
        return _place(self._with_transcripts(item_id, packed), out)

    def cached(self, item_id: str, out: Outbox) -> dict[str, Any] | None:
        """Like :meth:`pack` when the item is packed already, else None (nothing is loaded)."""
        packed = self._lookup(item_id)
        return None if packed is None else _place(self._with_transcripts(item_id, packed), out)

    def _with_transcripts(self, item_id: str, packed: _Packed) -> _Packed:
        # transcripts exist once encoding has reached the item: a slot packed before asks again
        if self.transcripts is None:
            return packed
        audio, found = [], False
        for slot in packed.fields["audio"]:
            if slot["state"] == "ok" and "transcript" not in slot:
                words = self.transcripts(item_id, slot["column"])
                if words is not None:
                    slot, found = {**slot, "transcript": words}, True
            audio.append(slot)
        if not found:
            return packed
        return self._store(item_id, _Packed({**packed.fields, "audio": audio}, packed.buffers))

    def warm(self, item_id: str) -> bool:
        """Pack an item into the cache (on any thread); False when it was there already."""
        if self._lookup(item_id) is not None:
            return False
        self._store(item_id, self._pack(item_id))
        return True

    def _lookup(self, item_id: str) -> _Packed | None:
        with self._lock:
            packed = self._cache.get(item_id)
            if packed is not None:
                self._cache.move_to_end(item_id)
            return packed

    def _store(self, item_id: str, packed: _Packed) -> _Packed:
        with self._lock:
            self._cache[item_id] = packed
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return packed

    def large_image(self, item_id: str, column: str, max_side: int, out: Outbox) -> dict[str, Any]:
        """One image at up to ``max_side`` pixels (64-4096), e.g. for a zoom; not cached."""
        side = min(max(int(max_side), 64), 4096)
        thumb = self.dataset.thumbnail(item_id, column, max_side=side)
        return {
            "mime": thumb.mime,
            "width": thumb.width,
            "height": thumb.height,
            "buffer": out.add(thumb.data),
        }

    def _pack(self, item_id: str) -> _Packed:
        buffers: list[bytes] = []
        fields: dict[str, Any] = {"id": item_id, **{r: [] for r in RENDERERS}}
        for modality, names in self.dataset.columns.items():
            renderer = get_modality(modality).renderer
            for column in names:
                if renderer == "image":
                    slot = self._image(item_id, column, buffers)
                elif renderer == "audio":
                    slot = self._audio(item_id, column, buffers)
                else:
                    slot = self._text(item_id, column, modality)
                if modality != renderer:  # the card names what is missing or broken
                    slot["modality"] = modality
                fields[renderer].append(slot)
        return _Packed(fields, tuple(buffers))

    def _text(self, item_id: str, column: str, modality: str) -> dict[str, Any]:
        value = self.dataset.value(item_id, column)
        if value is None:
            return {"column": column, "state": "missing"}
        problem = get_modality(modality).problem(value)
        if problem is not None:
            return {"column": column, "state": "error", "error": problem}
        # another modality drawn as text (e.g. a number) shows its value in words
        return {
            "column": column,
            "state": "ok",
            "value": value if isinstance(value, str) else str(value),
        }

    def _image(self, item_id: str, column: str, buffers: list[bytes]) -> dict[str, Any]:
        if self.dataset.value(item_id, column) is None:
            return {"column": column, "state": "missing"}
        try:
            thumb = self.dataset.thumbnail(item_id, column, max_side=self.max_side)
        except MediaError as e:
            return {"column": column, "state": "error", "error": str(e)}
        buffers.append(thumb.data)
        return {
            "column": column,
            "state": "ok",
            "mime": thumb.mime,
            "width": thumb.width,
            "height": thumb.height,
            "buffer": len(buffers) - 1,
        }

    def _audio(self, item_id: str, column: str, buffers: list[bytes]) -> dict[str, Any]:
        if self.dataset.value(item_id, column) is None:
            return {"column": column, "state": "missing"}
        try:
            clip = self.dataset.audio_clip(item_id, column, n_peaks=self.n_peaks or 1)
        except MediaError as e:
            return {"column": column, "state": "error", "error": str(e)}
        buffers.append(clip.data)
        fields: dict[str, Any] = {
            "column": column,
            "state": "ok",
            "mime": clip.mime,
            "duration": clip.duration,
            "buffer": len(buffers) - 1,
        }
        if self.n_peaks:
            fields["peaks"] = encode_array(clip.peaks, buffers, FLOAT32)
        return fields


def _place(packed: _Packed, out: Outbox) -> dict[str, Any]:
    """Append ``packed``'s buffers to ``out``; its fields, indexes shifted to match."""
    offset = len(out.buffers)
    out.buffers.extend(packed.buffers)
    return _shift(packed.fields, offset)


def _shift(fields: dict[str, Any], offset: int) -> dict[str, Any]:
    """A copy of ``fields`` whose buffer indexes start at ``offset``."""
    out = dict(fields)
    for renderer in RENDERERS:
        out[renderer] = [
            {k: _shifted(k, v, offset) for k, v in column.items()} for column in fields[renderer]
        ]
    return out


def _shifted(key: str, value: Any, offset: int) -> Any:
    if key == "buffer":  # an encoded file's buffer index
        return value + offset
    if key == "peaks":  # an array spec {buffer, dtype, shape}
        return {**value, "buffer": value["buffer"] + offset}
    return value


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, tuples and mappings made plain JSON types.

    Examples
    --------
    >>> jsonable({"p": np.float32(0.5), "labels": ("a", "b"), "n": np.int64(3)})
    {'p': 0.5, 'labels': ['a', 'b'], 'n': 3}
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
