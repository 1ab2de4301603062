"""Small real-data Sessions for tests: a subset of the sample set, weight-free encoders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mmwidgets as mm

#: the four categories the small sessions label, and the encoders that need no weights
CATEGORIES = ["animals", "food", "vehicles", "clothes"]
FAST = {"text": "hashing", "image": "pixels", "audio": "logmel"}


def subset_session(df: Any, folder: Path, **options: Any) -> mm.Session:
    """A Session over ``df`` (sample-set rows) storing labels in ``folder``.

    Text, image and both audio columns; weight-free encoders and no progress bars unless
    ``options`` say otherwise; the embedding cache sits beside ``folder``, shared by siblings.
    """
    options.setdefault("encoders", FAST)
    options.setdefault("progress", False)
    options.setdefault("cache_dir", folder.parent / "embeddings")
    options.setdefault("store", folder / "labels.sqlite")
    return mm.Session(
        df,
        labels=CATEGORIES,
        id="id",
        text="text",
        image="image",
        audio=["speech", "sound"],
        **options,
    )
