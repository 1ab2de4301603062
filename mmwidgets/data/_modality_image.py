"""The built-in image modality: paths, bytes, PIL images or pixel arrays, drawn as thumbnails."""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from mmwidgets.data._mediabase import is_blank_path
from mmwidgets.data._modalities import ModalitySpec, register_modality
from mmwidgets.data.media import check_image, load_image

__all__ = ["IMAGE"]

_ACCEPTED = (str, os.PathLike, bytes, bytearray, memoryview, Image.Image, np.ndarray)


def _is_image(value: object) -> bool:
    return isinstance(value, _ACCEPTED)


IMAGE = register_modality(
    ModalitySpec(
        "image",
        accepts=_is_image,
        kinds="a file path, bytes, a PIL image or a numpy array",
        example="'photos/cat.jpg'",
        column_example="photo",
        missing=is_blank_path,
        loader=load_image,
        media=True,
        accepted_types=(str, bytes, bytearray, memoryview, np.ndarray),
        check=check_image,
        renderer="image",
    )
)
"""Images: decoded in full when a dataset is validated, so that size limits apply early."""
