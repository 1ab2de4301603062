"""The session's model template: the user's estimator (or the default), checked and set up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["model_template"]


def model_template(
    model: Any,
    fusion: str | None,
    seed: int,
    classes: Sequence[str] | None = None,
    multi_label: bool | None = None,
) -> Any:
    """An unfitted clone of ``model`` (default ``FusionClassifier("auto", random_state=seed)``).

    The default chooses its model per task on the out-of-fold evidence of the session's
    cross-validation (see :mod:`mmwidgets.fusion.selection`); a model or fusion you name is
    used as it is (and calibrated the same way).

    ``fusion`` overrides the model's fusion mode; ``classes`` and ``multi_label`` come from
    the label store. The fusion name is checked here, so a typo fails when the Session is
    built, not later on the trainer thread; the mode's module (and torch) is not imported
    until the trainer first builds a model.

    Raises
    ------
    UnknownFusionError
        The fusion mode is not registered; the message lists those that are.
    TypeError
        ``model`` is not an estimator (no ``get_params``/``fit``/``predict_proba``).

    Examples
    --------
    >>> from mmwidgets.fusion import FusionClassifier
    >>> m = model_template(FusionClassifier(epochs=7), "concat", 0, ["a", "b"], False)
    >>> m.fusion, m.epochs, list(m.classes)
    ('concat', 7, ['a', 'b'])
    """
    from sklearn.base import clone

    from mmwidgets.fusion import FusionClassifier, check_fusion

    if model is None:
        model = FusionClassifier("auto", random_state=seed)
    missing = [m for m in ("get_params", "fit", "predict_proba") if not hasattr(model, m)]
    if missing:
        raise TypeError(
            f"model must be an unfitted estimator such as FusionClassifier(...); "
            f"{type(model).__name__} has no {', '.join(missing)}"
        )
    params = model.get_params(deep=False)
    updates: dict[str, Any] = {"fusion": fusion, "classes": classes, "multi_label": multi_label}
    updates = {k: v for k, v in updates.items() if v is not None and k in params}
    if "classes" in updates:
        updates["classes"] = list(updates["classes"])
    template = clone(model).set_params(**updates)
    if "fusion" in params:
        check_fusion(template.get_params(deep=False)["fusion"])
    return template
