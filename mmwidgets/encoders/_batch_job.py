"""A dataset encoding running on a background thread, watched and cancelled from another."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from mmwidgets.encoders._batch_progress import Progress

if TYPE_CHECKING:
    from mmwidgets.encoders.batch import EncodedDataset

__all__ = ["EncodingJob"]


class EncodingJob:
    """A running :func:`~mmwidgets.encoders.encode_dataset_async`: progress, result, cancel.

    Every method may be called from any thread, e.g. a widget's, while the job encodes on its
    own daemon thread. Whatever the job finished is cached batch by batch, so a cancelled job
    (or a kernel restarted mid-way) resumes from there on the next run.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmwidgets import Dataset
    >>> from mmwidgets.encoders import encode_dataset_async
    >>> ds = Dataset.from_pandas(pd.DataFrame({"caption": ["a koala"]}), text="caption")
    >>> job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
    >>> job.result(timeout=60).presence.tolist(), job.done()
    ([[True]], True)
    """

    def __init__(self, work: Callable[[], EncodedDataset], progress: Progress) -> None:
        self._progress = progress
        self._future: Future[EncodedDataset] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(work,), name="mmwidgets-encoding", daemon=True
        )
        self._thread.start()

    def _run(self, work: Callable[[], EncodedDataset]) -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to whoever calls result(), never lost
            self._future.set_exception(exc)
        else:
            self._future.set_result(result)

    def progress(self) -> dict[str, tuple[int, int]]:
        """``{modality: (done, total)}`` cells, as of now.

        Examples
        --------
        >>> import pandas as pd
        >>> from mmwidgets import Dataset
        >>> from mmwidgets.encoders import encode_dataset_async
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a koala", "a bus"]}), text="t")
        >>> job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
        >>> job.progress()["text"][1]
        2
        """
        return self._progress.snapshot()

    def done(self) -> bool:
        """Whether the job has finished: with a result, an error, or cancelled.

        Examples
        --------
        >>> import pandas as pd
        >>> from mmwidgets import Dataset
        >>> from mmwidgets.encoders import encode_dataset_async
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a koala"]}), text="t")
        >>> job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
        >>> _ = job.result(timeout=60)
        >>> job.done()
        True
        """
        return self._future.done()

    def result(self, timeout: float | None = None) -> EncodedDataset:
        """Wait for the job and return its :class:`EncodedDataset`.

        Raises
        ------
        TimeoutError
            If it is not done within ``timeout`` seconds (the job keeps running).
        EncodingCancelledError
            If the job was cancelled.
        Exception
            Whatever error stopped the job, re-raised here.

        Examples
        --------
        >>> import pandas as pd
        >>> from mmwidgets import Dataset
        >>> from mmwidgets.encoders import encode_dataset_async
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a koala"]}), text="t")
        >>> job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
        >>> len(job.result(timeout=60))
        1
        """
        return self._future.result(timeout)

    def cancel(self) -> bool:
        """Ask the job to stop before its next batch; False if it had already finished.

        Examples
        --------
        >>> import pandas as pd
        >>> from mmwidgets import Dataset
        >>> from mmwidgets.encoders import encode_dataset_async
        >>> ds = Dataset.from_pandas(pd.DataFrame({"t": ["a koala"]}), text="t")
        >>> job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
        >>> _ = job.result(timeout=60)
        >>> job.cancel()
        False
        """
        if self._future.done():
            return False
        self._progress.cancel()
        return True

    def __repr__(self) -> str:
        state = "done" if self.done() else "running"
        parts = ", ".join(f"{m} {d}/{t}" for m, (d, t) in self.progress().items())
        return f"EncodingJob({state}: {parts})"
