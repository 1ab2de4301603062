"""What model selection decides: a candidate model, and the choice made with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Candidate", "ModelChoice"]


@dataclass(frozen=True)
class Candidate:
    """One model ``"auto"`` may choose: a fusion mode over some columns.

    ``modalities`` None means every column; ``simplicity`` orders ties (lower is simpler).
    """

    name: str
    fusion: str | None
    modalities: tuple[str, ...] | None = None
    simplicity: int = 2


@dataclass(frozen=True)
class ModelChoice:
    """The model chosen on out-of-fold evidence, and the evidence.

    ``scores`` maps each candidate's name to its out-of-fold ``accuracy``, calibrated
    ``log_loss`` and fitted ``temperature``; ``temperature`` is the chosen one's.
    """

    name: str
    fusion: str | None
    modalities: tuple[str, ...] | None
    select_by: str
    n_labels: int
    temperature: float
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    tied: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """One line for people, e.g. ``model: stack (OOF accuracy 0.81 vs concat 0.78, …)``.

        Examples
        --------
        >>> ModelChoice("stack", "stack", None, "accuracy", 40, 1.0,
        ...             {"stack": {"accuracy": 0.8}, "concat": {"accuracy": 0.75}}).reason
        'model: stack (OOF accuracy 0.80 vs concat 0.75, on 40 labels)'
        """
        key = self.select_by
        label = "OOF accuracy" if key == "accuracy" else "OOF log-loss"
        ranked = sorted(
            (n for n in self.scores if n != self.name),
            key=lambda n: self.scores[n][key] * (-1 if key == "accuracy" else 1),
        )
        shown = [n for n in ranked if not n.endswith(" only")][:1]
        shown += [n for n in ranked if n.endswith(" only")][:1]
        others = ", ".join(f"{n} {self.scores[n][key]:.2f}" for n in shown)
        mine = self.scores.get(self.name, {}).get(key)
        head = f"{label} {mine:.2f}" if mine is not None else label
        vs = f" vs {others}" if others else ""
        tie = "; within one item of the best, the simplest wins" if self.tied else ""
        return f"model: {self.name} ({head}{vs}, on {self.n_labels} labels{tie})"

    def matches(self, model: Any) -> bool:
        """Whether ``model`` is this choice (its fusion and columns), so its temperature fits.

        Examples
        --------
        >>> from mmwidgets.fusion import FusionClassifier
        >>> c = ModelChoice("text only", "stack", ("text",), "accuracy", 10, 1.5)
        >>> c.matches(FusionClassifier("stack", modalities=["text"])), c.matches(FusionClassifier())
        (True, False)
        """
        get = getattr(model, "get_params", None)
        params = get(deep=False) if callable(get) else {}
        columns = params.get("modalities")
        return params.get("fusion") == self.fusion and (
            (None if columns is None else tuple(columns)) == self.modalities
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain Python (for JSON and widgets), with the :attr:`reason` line."""
        return {
            "name": self.name,
            "fusion": self.fusion,
            "modalities": None if self.modalities is None else list(self.modalities),
            "select_by": self.select_by,
            "n_labels": self.n_labels,
            "temperature": self.temperature,
            "scores": {k: dict(v) for k, v in self.scores.items()},
            "tied": list(self.tied),
            "reason": self.reason,
        }
