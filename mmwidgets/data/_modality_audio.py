"""The built-in audio modality: paths, bytes or ``(samples, sample_rate)``, drawn as a player."""

from __future__ import annotations

import os

import numpy as np

from mmwidgets.data._mediabase import is_blank_path
from mmwidgets.data._modalities import ModalitySpec, register_modality
from mmwidgets.data.media import check_audio, load_audio

__all__ = ["AUDIO"]

_FILES = (str, os.PathLike, bytes, bytearray, memoryview)


def _is_audio(value: object) -> bool:
    return isinstance(value, _FILES) or (isinstance(value, tuple | list) and len(value) == 2)


def _check(value: object, max_pixels: int | None) -> str | None:
    # every sample is decoded, one block at a time: a long recording is never held whole
    return check_audio(value)  # type: ignore[arg-type]  # accepts() admitted the value


def _hint(column: str, value: object) -> str:
    if isinstance(value, np.ndarray):
        return "; arrays need their sample rate: store (samples, sample_rate) tuples"
    return ""


AUDIO = register_modality(
    ModalitySpec(
        "audio",
        accepts=_is_audio,
        kinds="a file path, bytes or a (samples, sample_rate) tuple",
        example="'sounds/meow.ogg'",
        column_example="sound",
        missing=is_blank_path,
        hint=_hint,
        loader=load_audio,
        media=True,
        check=_check,
        accepted_types=(str, bytes, bytearray, memoryview),
        renderer="audio",
    )
)
"""Audio: every sample decoded, block by block, when a dataset is validated (``check_audio``)."""
