"""Simulated labeling with known labels: active learning vs random sampling, as curves."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.active import query
from mmwidgets.fusion import FusionClassifier
from mmwidgets.session._loop import can_train

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["area_under_curve", "simulate_pool"]

Progress = Callable[[str], None]


def _accuracy_f1(pred: np.ndarray, truth: np.ndarray, n_classes: int) -> tuple[float, float]:
    accuracy = float((pred == truth).mean())
    f1s = []
    for c in range(n_classes):
        tp = np.sum((pred == c) & (truth == c))
        denom = np.sum(pred == c) + np.sum(truth == c)
        if np.any(truth == c):
            f1s.append(2 * tp / denom if denom else 0.0)
    return accuracy, float(np.mean(f1s)) if f1s else 0.0


def _one_run(
    X: Mapping[str, np.ndarray],
    presence: np.ndarray,
    fused: np.ndarray,
    truth: np.ndarray,
    usable: np.ndarray,
    classes: Sequence[str],
    *,
    strategy: str,
    fusion: str,
    seed: int,
    budget: int,
    step: int,
    test_fraction: float,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(usable)
    test = rng.choice(candidates, size=int(len(candidates) * test_fraction), replace=False)
    excluded = ~usable
    excluded[test] = True
    Xtest = {m: v[test] for m, v in X.items()}
    labeled: list[int] = []
    model: FusionClassifier | None = None
    rows: list[dict[str, Any]] = []
    labels_of = np.asarray(classes, dtype=object)
    while len(labeled) < budget:
        # a sparse column (e.g. sound effects on 14 % of items) can run out before the budget
        n = min(step, budget - len(labeled), int((~excluded).sum()))
        if n == 0:
            break
        y = list(labels_of[truth[labeled]])
        if strategy == "random":
            picked = query("random", labeled=excluded, n=n, seed=seed + len(labeled))
        elif model is None:
            picked = query("cold_start", embeddings=fused, labeled=excluded, n=n, seed=seed)
        else:
            proba = model.predict_proba(X, presence)
            picked = query(
                strategy,
                proba=proba,
                embeddings=fused,
                labeled=excluded,
                n=n,
                class_names=list(classes),
                seed=seed + len(labeled),
            )
        labeled.extend(int(i) for i in picked.indices)
        excluded[picked.indices] = True
        y = list(labels_of[truth[labeled]])
        if not can_train(y, multi_label=False):
            continue
        train_X = {m: v[labeled] for m, v in X.items()}
        if model is None or len(rows) % 5 == 4:
            model = FusionClassifier(fusion, classes=classes, random_state=seed)
            model.fit(train_X, y, presence[labeled])
        else:
            model = copy.deepcopy(model).partial_fit(train_X, y, presence[labeled])
        pred = model.predict_proba(Xtest, presence[test]).argmax(axis=1)
        accuracy, f1 = _accuracy_f1(pred, truth[test], len(classes))
        rows.append({"n_labels": len(labeled), "accuracy": accuracy, "macro_f1": f1})
    return rows


def simulate_pool(
    X: Mapping[str, np.ndarray],
    presence: np.ndarray,
    fused: np.ndarray,
    truth: Sequence[Any],
    classes: Sequence[str],
    *,
    budget: int = 200,
    strategies: Sequence[str] = ("random", "hybrid"),
    fusions: Sequence[str] = ("weighted",),
    seeds: int | Sequence[int] = 3,
    step: int = 10,
    test_fraction: float = 0.3,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Run the labeling loop with an oracle for each strategy, fusion and seed.

    ``truth`` holds each item's true label (None/NaN where unknown: never picked). Each run
    holds out ``test_fraction`` of the items, labels ``step`` items at a time up to ``budget``,
    and records held-out accuracy and macro-F1 after each step.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy, fusion, seed, n_labels, accuracy, macro_f1``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> X = {"text": (rng.normal(size=(200, 4)) + y[:, None]).astype("float32")}
    >>> curves = simulate_pool(X, np.ones((200, 1), bool), X["text"], np.array(["a", "b"])[y],
    ...                        ["a", "b"], budget=20, seeds=1, step=10)
    >>> sorted(curves["strategy"].unique())
    ['hybrid', 'random']
    """
    import pandas as pd

    index = {c: i for i, c in enumerate(classes)}
    codes = np.array([index.get(t, -1) if isinstance(t, str) else -1 for t in truth])
    usable = (codes >= 0) & presence.any(axis=1)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    out = []
    for fusion in fusions:
        for strategy in strategies:
            for seed in seed_list:
                if progress is not None:
                    progress(f"{strategy} / {fusion} / seed {seed}")
                for row in _one_run(
                    X,
                    presence,
                    fused,
                    codes,
                    usable.copy(),
                    classes,
                    strategy=strategy,
                    fusion=fusion,
                    seed=seed,
                    budget=budget,
                    step=step,
                    test_fraction=test_fraction,
                ):
                    out.append({"strategy": strategy, "fusion": fusion, "seed": seed, **row})
    return pd.DataFrame(
        out, columns=["strategy", "fusion", "seed", "n_labels", "accuracy", "macro_f1"]
    )


def area_under_curve(curves: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """Normalised area under each mean learning curve (the mean of the metric over steps).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"strategy": ["r", "r"], "fusion": ["w", "w"], "seed": [0, 0],
    ...                   "n_labels": [10, 20], "accuracy": [0.5, 0.7], "macro_f1": [0.4, 0.6]})
    >>> round(float(area_under_curve(c)["auc"].iloc[0]), 2)
    0.6
    """
    mean = curves.groupby(["strategy", "fusion", "n_labels"])[metric].mean().reset_index()
    auc = mean.groupby(["strategy", "fusion"])[metric].mean().rename("auc").reset_index()
    return auc.sort_values("auc", ascending=False, ignore_index=True)
