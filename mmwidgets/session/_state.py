"""Immutable snapshots the Session swaps atomically: the queue entries and a model generation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Generation", "QueuedItem"]


@dataclass(frozen=True)
class QueuedItem:
    """One item the session wants labeled next, with why and what the model thinks of it.

    ``prediction`` is a label (a tuple of labels when multi-label) or None before any model;
    ``attribution`` maps each of the item's columns to its share in the prediction.
    """

    id: str
    reason: str
    prediction: Any = None
    confidence: float | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    attribution: dict[str, float] = field(default_factory=dict)
    model_version: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain-Python view for widgets and JSON."""
        out = dict(self.__dict__)
        if isinstance(self.prediction, tuple):
            out["prediction"] = list(self.prediction)
        return out


@dataclass(frozen=True)
class Generation:
    """Everything one trained model produced; replaced as a whole, never mutated.

    ``proba`` holds every item's latest scores; ``scored_version`` is the oldest model version
    among them (equal to ``version`` once the whole pool has the serving model's scores).
    """

    version: int = 0
    model: Any = None  # FusionClassifier | None
    proba: np.ndarray | None = None
    n_labels: int = 0
    trained_at: float = 0.0
    seconds: float = 0.0
    queue: tuple[QueuedItem, ...] = ()
    scored_version: int = 0
