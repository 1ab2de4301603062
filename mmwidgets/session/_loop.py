"""The steps of one background cycle: train (or not yet), then rank a queue from the scores."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mmwidgets.active import query, resolve_strategy
from mmwidgets.fusion import FusionClassifier
from mmwidgets.session._pool import PoolView
from mmwidgets.session._state import Generation, QueuedItem

__all__ = [
    "can_train",
    "cold_generation",
    "random_queue",
    "rank_queue",
    "read_proba",
    "train_model",
]


def can_train(labels: Sequence[Any], multi_label: bool) -> bool:
    """A model is worth training once two classes (or, multi-label, 2 items) are labeled."""
    if multi_label:
        return len(labels) >= 2
    return len(set(labels)) >= 2


def random_queue(
    ids: Sequence[str], candidates: np.ndarray, n: int, seed: int, reason: str
) -> tuple[QueuedItem, ...]:
    """Random picks among ``candidates`` (bool mask): before embeddings exist, or as a refill."""
    pool = np.flatnonzero(candidates)
    rng = np.random.default_rng(seed)
    picks = rng.permutation(pool)[:n]
    return tuple(QueuedItem(id=ids[i], reason=reason) for i in picks)


def read_proba(
    classes: Sequence[str], p: np.ndarray, multi_label: bool
) -> tuple[Any, float, dict[str, float]]:
    """(prediction, confidence, probabilities) of one item's probability row.

    Examples
    --------
    >>> read_proba(["cat", "dog"], np.array([0.2, 0.8]), False)[:2]
    ('dog', 0.8)
    """
    if multi_label:
        prediction: Any = tuple(c for c, v in zip(classes, p, strict=True) if v >= 0.5)
        confidence = float(np.mean(np.maximum(p, 1 - p)))
    else:
        prediction = classes[int(p.argmax())]
        confidence = float(p.max())
    return prediction, confidence, {c: float(v) for c, v in zip(classes, p, strict=True)}


def _describe(
    model: FusionClassifier,
    X: Mapping[str, np.ndarray],
    presence: np.ndarray,
    proba: np.ndarray,
    rows: np.ndarray,
    reasons: list[str],
    ids: Sequence[str],
    version: int,
) -> tuple[QueuedItem, ...]:
    classes = [str(c) for c in model.classes_]
    sub = {m: np.asarray(X[m][rows]) for m in X}  # X's order: presence's columns follow it
    attribution = model.attribution(sub, presence[rows]) if len(rows) else np.zeros((0, 0))
    items = []
    for k, (row, reason) in enumerate(zip(rows, reasons, strict=True)):
        prediction, confidence, probabilities = read_proba(classes, proba[row], model.multi_label)
        items.append(
            QueuedItem(
                id=ids[row],
                reason=reason,
                prediction=prediction,
                confidence=confidence,
                probabilities=probabilities,
                attribution={
                    m: float(a) for m, a in zip(model.modalities_, attribution[k], strict=True)
                },
                model_version=version,
            )
        )
    return tuple(items)


def cold_generation(
    previous: Generation,
    *,
    view: PoolView,
    ids: Sequence[str],
    n_labels: int,
    excluded: np.ndarray,
    strategy: Any,
    class_names: Sequence[str],
    multi_label: bool,
    queue_size: int,
    seed: int,
    labeled: np.ndarray | None = None,
) -> Generation:
    """The queue before a model can be trained: the model-free cold start.

    A strategy that needs no probabilities (random, k_center, yours) ranks from the start.
    ``labeled`` (within ``excluded``) marks the items that count as covered; None: all of
    ``excluded`` (see :func:`rank_queue`).
    """
    cold: tuple[QueuedItem, ...] = ()
    if not excluded.all():
        picked = query(
            strategy if "proba" not in resolve_strategy(strategy).needs else "cold_start",
            embeddings=view.fused,
            **_masks(excluded, labeled),
            n=queue_size,
            class_names=list(class_names),
            multi_label=multi_label,
            seed=seed,
        )
        cold = tuple(
            QueuedItem(id=ids[i], reason=r, model_version=previous.version)
            for i, r in zip(picked.indices, picked.reasons, strict=True)
        )
    return Generation(
        version=previous.version, queue=cold, n_labels=n_labels, trained_at=time.time()
    )


def train_model(
    previous: Generation,
    *,
    view: PoolView,
    labeled_rows: np.ndarray,
    labels: Sequence[Any],
    make_model: Callable[[], Any],
    full_refit: bool,
    should_stop: Callable[[], bool] | None = None,
) -> Any:
    """A model on every label: a fresh fit, or a warm-started copy of the serving model.

    ``make_model()`` returns a fresh unfitted model (a clone of the session's template).
    """
    X, presence = view.X, view.presence
    train_X = {m: np.asarray(v[labeled_rows], dtype=np.float32) for m, v in X.items()}
    if previous.model is None or full_refit:
        return make_model().fit(
            train_X, list(labels), presence[labeled_rows], should_stop=should_stop
        )
    # train a copy: the current model keeps serving predictions meanwhile
    return copy.deepcopy(previous.model).partial_fit(
        train_X, list(labels), presence[labeled_rows], should_stop=should_stop
    )


def _masks(excluded: np.ndarray, labeled: np.ndarray | None) -> dict[str, np.ndarray]:
    """``query``'s masks: labeled (covered) items apart from the others never to pick."""
    if labeled is None:
        return {"labeled": excluded}
    return {"labeled": labeled, "exclude": excluded}


def rank_queue(
    model: Any,
    *,
    view: PoolView,
    ids: Sequence[str],
    proba: np.ndarray,
    rows: np.ndarray | None,
    excluded: np.ndarray,
    strategy: Any,
    class_names: Sequence[str],
    multi_label: bool,
    queue_size: int,
    version: int,
    seed: int,
    labeled: np.ndarray | None = None,
) -> tuple[QueuedItem, ...]:
    """The ranked queue among ``rows`` of the pool (None: all of it), scored by ``proba``.

    ``proba`` holds every item's scores (only ``rows`` need be fresh). A strategy that needs
    no probabilities always ranks the whole pool: the model cannot change its order.
    ``labeled`` marks the excluded items that carry a label; the rest of ``excluded``
    (skipped, held by another annotator, broken) is never picked but covers nothing.
    """
    if "proba" not in resolve_strategy(strategy).needs:
        rows = None
    where = np.arange(len(ids)) if rows is None else rows
    blocked = excluded if rows is None else excluded[rows]
    if blocked.all():  # everything is labeled: a model, and nothing left to ask
        return ()
    picked = query(
        strategy,
        proba=proba if rows is None else proba[rows],
        embeddings=view.fused if rows is None else view.fused[rows],
        **_masks(blocked, labeled if labeled is None or rows is None else labeled[rows]),
        n=queue_size,
        class_names=list(class_names),
        multi_label=multi_label,
        seed=seed,
    )
    chosen = where[picked.indices]
    return _describe(model, view.X, view.presence, proba, chosen, picked.reasons, ids, version)
