"""The fused multimodal classifier: fusion modes, missing-modality masks, calibration, selection.

torch is imported only when a model is built or used. Fusion modes are looked up by name in a
registry; add one with :func:`register_fusion`.

Examples
--------
>>> from mmwidgets.fusion import list_fusions
>>> "weighted" in list_fusions()
True
"""

from __future__ import annotations

from mmwidgets.fusion._crossval import fold_assignment, out_of_fold_proba
from mmwidgets.fusion._inputs import encode_targets
from mmwidgets.fusion._registry import (
    FusionFactory,
    check_fusion,
    get_fusion,
    list_fusions,
    register_fusion,
    unregister_fusion,
)
from mmwidgets.fusion.calibration import (
    apply_temperature,
    calibrate_proba,
    cross_fitted_ece,
    expected_calibration_error,
    fit_temperature,
)
from mmwidgets.fusion.classifier import (
    FUSIONS,
    FusionClassifier,
    NotFittedError,
    TrainingCancelledError,
)
from mmwidgets.fusion.selection import AUTO_FUSIONS, ModelChoice

__all__ = [
    "AUTO_FUSIONS",
    "FUSIONS",
    "FusionClassifier",
    "FusionFactory",
    "ModelChoice",
    "NotFittedError",
    "TrainingCancelledError",
    "apply_temperature",
    "calibrate_proba",
    "check_fusion",
    "cross_fitted_ece",
    "encode_targets",
    "expected_calibration_error",
    "fit_temperature",
    "fold_assignment",
    "get_fusion",
    "list_fusions",
    "out_of_fold_proba",
    "register_fusion",
    "unregister_fusion",
]
