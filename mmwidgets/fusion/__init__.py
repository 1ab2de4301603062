"""The fused multimodal classifier: fusion modes, missing-modality masks, calibration.

torch is imported only when a model is built or used. Fusion modes are looked up by name in a
registry; add one with :func:`register_fusion`.

Examples
--------
>>> from mmwidgets.fusion import list_fusions
>>> "weighted" in list_fusions()
True
"""

from __future__ import annotations

from mmwidgets.fusion._inputs import encode_targets
from mmwidgets.fusion._registry import (
    FusionFactory,
    check_fusion,
    get_fusion,
    list_fusions,
    register_fusion,
    unregister_fusion,
)
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
    "FusionFactory",
    "NotFittedError",
    "TrainingCancelledError",
    "check_fusion",
    "encode_targets",
    "fit_temperature",
    "get_fusion",
    "list_fusions",
    "register_fusion",
    "unregister_fusion",
]
