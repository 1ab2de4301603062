"""The fused multimodal classifier: fusion modes, missing-modality masks, calibration.

torch is imported only when a model is built or used.
"""

from __future__ import annotations

from mmwidgets.fusion.calibration import fit_temperature
from mmwidgets.fusion.classifier import (
    FUSIONS,
    FusionClassifier,
    NotFittedError,
    TrainingCancelledError,
)

__all__ = [
    "FUSIONS",
    "FusionClassifier",
    "NotFittedError",
    "TrainingCancelledError",
    "fit_temperature",
]
