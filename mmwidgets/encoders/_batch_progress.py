"""Progress of one encoding run: per-modality counters, tqdm bars, a callback, and cancellation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from mmwidgets.exceptions import EncodingCancelledError

__all__ = ["EncodingCancelledError", "Progress", "ProgressCallback"]

#: called as ``on_progress(done, total)``, cells over all modalities, from the encoding thread
ProgressCallback = Callable[[int, int], None]


class Progress:
    """Cells done and total per modality, readable from any thread while another one encodes.

    The tqdm bars are made here, on the thread that starts the run, so that in a notebook
    they appear under the cell that started it even when a background thread moves them.
    ``single`` names one bar over every modality instead (a run on an executor, whose shards
    hold every modality of their items).
    """

    def __init__(
        self,
        totals: Mapping[str, int],
        *,
        show: bool,
        on_progress: ProgressCallback | None = None,
        single: str | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._done = dict.fromkeys(totals, 0)
        self._totals = dict(totals)
        self._on_progress = on_progress
        self._cancel = threading.Event()
        self._bars: dict[str, Any] = {}
        if show:
            from tqdm.auto import tqdm

            if single is not None:
                bar = tqdm(total=sum(totals.values()), desc=single, unit="cell", leave=True)
                self._bars = dict.fromkeys(totals, bar)
            for modality, total in totals.items() if single is None else ():
                self._bars[modality] = tqdm(
                    total=total, desc=f"encoding {modality}", unit="item", leave=True
                )

    def advance(self, modality: str, n: int) -> None:
        """Count ``n`` more cells of ``modality`` as done (hit, computed, or failed)."""
        if n <= 0:
            return
        with self._lock:
            self._done[modality] += n
            done, total = sum(self._done.values()), sum(self._totals.values())
        if modality in self._bars:
            self._bars[modality].update(n)
        if self._on_progress is not None:
            self._on_progress(done, total)

    def finish(self, modality: str) -> None:
        """Close the modality's bar, so it shows its final count while the next one runs."""
        bar = self._bars.pop(modality, None)
        if bar is not None and all(b is not bar for b in self._bars.values()):  # shared: last
            bar.close()

    def snapshot(self) -> dict[str, tuple[int, int]]:
        """``{modality: (done, total)}`` as of now."""
        with self._lock:
            return {m: (self._done[m], self._totals[m]) for m in self._totals}

    def cancel(self) -> None:
        """Ask the run to stop before its next batch."""
        self._cancel.set()

    def check_cancelled(self) -> None:
        """Raise :class:`EncodingCancelledError` once :meth:`cancel` was called."""
        if self._cancel.is_set():
            raise EncodingCancelledError("encoding was cancelled; finished batches are cached")

    def close(self) -> None:
        """Close the bars (leaving them shown, at wherever they stopped)."""
        for bar in {id(b): b for b in self._bars.values()}.values():
            bar.close()
