"""One cross-validation of the labels so far: the serving model's evidence, or a selection.

A pure step of the :class:`~mmwidgets.session._evaluator.Evaluator`: given the template, the
labeled rows and the previous choice, it cross-validates the candidates due now and returns
the out-of-fold predictions of the one chosen, the choice itself (with its temperature) and
the calibration figures.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mmwidgets.fusion import fold_assignment, out_of_fold_proba
from mmwidgets.fusion.calibration import (
    cross_fitted_ece,
    expected_calibration_error,
    held_out_rows,
)
from mmwidgets.fusion.selection import (
    AUTO,
    AUTO_FUSIONS,
    Candidate,
    ModelChoice,
    candidate_model,
    candidates,
    choose,
    fallback_fusion,
)
from mmwidgets.session._metrics import Metrics

__all__ = ["Evidence", "cross_validate", "selection_due"]

#: a new selection once the labels grew by this factor since the last one (and by ``every``)
GROWTH = 1.5


@dataclass(frozen=True, eq=False)
class Evidence:
    """The out-of-fold predictions of the chosen model, and what was learned from them."""

    proba: np.ndarray
    masked: dict[str, np.ndarray]
    folds: int
    fold: np.ndarray
    targets: np.ndarray
    choice: ModelChoice
    selected: bool

    def annotate(self, metrics: Metrics) -> Metrics:
        """``metrics`` with the temperature, the ECE before and after it, and the choice."""
        ece = raw = None
        if self.targets.ndim == 1:  # top-label ECE is a single-label figure
            rows = held_out_rows(self.targets)  # items of classes labeled at least twice
            raw = expected_calibration_error(self.proba[rows], self.targets[rows])
            ece = cross_fitted_ece(self.proba, self.targets, self.fold)
        return replace(
            metrics,
            temperature=self.choice.temperature,
            ece=ece,
            ece_uncalibrated=raw,
            model_choice=self.choice.as_dict(),
        )


def selection_due(template: Any, previous: ModelChoice | None, n_labels: int, every: int) -> bool:
    """A ``fusion="auto"`` template, and no choice yet or the labels grew enough since.

    Examples
    --------
    >>> from mmwidgets.fusion import FusionClassifier
    >>> selection_due(FusionClassifier("auto"), None, 4, 10)
    True
    >>> selection_due(FusionClassifier("concat"), None, 4, 10)
    False
    """
    if _params(template).get("fusion") != AUTO:
        return False
    if previous is None:
        return True
    grown = n_labels - previous.n_labels
    return n_labels >= GROWTH * previous.n_labels and grown >= every


def _params(template: Any) -> dict[str, Any]:
    get = getattr(template, "get_params", None)
    return dict(get(deep=False)) if callable(get) else {}


def _pool(
    template: Any, columns: Sequence[str], previous: ModelChoice | None, select: bool
) -> tuple[list[Candidate], Callable[[Candidate], Any]]:
    """The candidates to cross-validate now and how to build each."""
    from sklearn.base import clone

    params = _params(template)
    if params.get("fusion") != AUTO:  # the user's model: its own evidence, nothing to choose
        mods = params.get("modalities")
        name = str(params.get("fusion") or type(template).__name__)
        own = Candidate(name, params.get("fusion"), None if mods is None else tuple(mods))
        return [own], lambda _c: clone(template)
    multi = bool(params.get("multi_label"))
    if select:
        pool = candidates(columns, AUTO_FUSIONS, multi_label=multi)
    elif previous is not None:
        pool = [Candidate(previous.name, str(previous.fusion), previous.modalities)]
    else:
        fallback = fallback_fusion(multi)
        pool = [Candidate(fallback, fallback)]
    return pool, lambda c: candidate_model(template, c)


def cross_validate(
    template: Any,
    X: Mapping[str, np.ndarray],
    targets: np.ndarray,
    labels: list[Any],
    presence: np.ndarray,
    previous: ModelChoice | None,
    *,
    seed: int,
    every: int,
    multi_label: bool,
    should_stop: Callable[[], bool] | None,
) -> Evidence:
    """Cross-validate what is due (a selection, or the serving model) on the same folds.

    ``presence`` is ``(n, len(X))`` in X's key order.
    """
    select = selection_due(template, previous, len(labels), every)
    columns = _params(template).get("modalities") or list(X)
    pool, build = _pool(template, sorted(columns), previous, select)
    oof: dict[str, np.ndarray] = {}
    masked: dict[str, dict[str, np.ndarray]] = {}
    k = 2
    for c in pool:
        oof[c.name], k, masked[c.name] = out_of_fold_proba(
            X, targets, functools.partial(build, c), labels, seed=seed, should_stop=should_stop,
            ablate=True, presence=presence,
        )  # fmt: skip
    choice = choose(
        pool, oof, targets, select_by=str(_params(template).get("select_by", "accuracy")),
        multi_label=multi_label,
    )  # fmt: skip
    if not select and previous is not None and _params(template).get("fusion") == AUTO:
        # the comparison stays the last selection's; the temperature is refitted now
        choice = replace(previous, temperature=choice.temperature)
    fold, _ = fold_assignment(targets, seed=seed)
    return Evidence(
        proba=oof[choice.name],
        masked=masked[choice.name],
        folds=k,
        fold=fold,
        targets=targets,
        choice=choice,
        selected=select,
    )
