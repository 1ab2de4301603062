"""Simulated labeling with known labels: active learning vs random sampling, as curves."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.active import query, resolve_strategy
from mmwidgets.data import Dataset
from mmwidgets.fusion import FusionClassifier
from mmwidgets.session._loop import can_train
from mmwidgets.session._metrics import macro_f1

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["area_under_curve", "oracle_truth", "simulate_pool"]

Progress = Callable[[str], None]


def _one_run(
    X: Mapping[str, np.ndarray],
    presence: np.ndarray,
    fused: np.ndarray,
    truth: np.ndarray,
    usable: np.ndarray,
    classes: Sequence[str],
    *,
    strategy: Any,
    make_model: Callable[[], Any],
    seed: int,
    budget: int,
    step: int,
    test_fraction: float,
    full_refit_every: int,
) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(usable)
    test = rng.choice(candidates, size=int(len(candidates) * test_fraction), replace=False)
    Xtest, test_presence, test_truth = (
        {m: v[test] for m, v in X.items()},
        presence[test],
        truth[test],
    )
    # hidden means absent: the held-out items are cut out of the pool every strategy sees (as
    # "labeled" they were covered centres to k_center, and its cold start's clusters)
    pool = np.setdiff1d(np.arange(len(truth)), test)
    X, presence, fused = {m: v[pool] for m, v in X.items()}, presence[pool], fused[pool]
    # items without a known answer or any column are never picked, but cover nothing either:
    # they go to strategies as ``exclude``, apart from the labeled mask
    truth, unusable = truth[pool], ~usable[pool]
    labeled: list[int] = []  # rows of the pool without the held-out items
    taken = np.zeros(len(pool), dtype=bool)  # the same, as a mask
    model: Any = None
    rows: list[dict[str, Any]] = []
    labels_of = np.asarray(classes, dtype=object)
    while len(labeled) < budget:
        # a sparse column (e.g. sound effects on 14 % of items) can run out before the budget
        n = min(step, budget - len(labeled), int((~(taken | unusable)).sum()))
        if n == 0:
            break
        y = list(labels_of[truth[labeled]])
        if strategy == "random":
            picked = query("random", labeled=taken, exclude=unusable, n=n, seed=seed + len(labeled))
        elif model is None and "proba" in resolve_strategy(strategy).needs:
            picked = query(
                "cold_start", embeddings=fused, labeled=taken, exclude=unusable, n=n, seed=seed
            )
        else:  # as live: a strategy that needs no model ranks from the first pick
            proba = model.predict_proba(X, presence) if model is not None else None
            picked = query(
                strategy,
                proba=proba,
                embeddings=fused,
                labeled=taken,
                exclude=unusable,
                n=n,
                class_names=list(classes),
                seed=seed + len(labeled),
            )
        labeled.extend(int(i) for i in picked.indices)
        taken[picked.indices] = True
        y = list(labels_of[truth[labeled]])
        if not can_train(y, multi_label=False):
            continue
        train_X = {m: v[labeled] for m, v in X.items()}
        # the live trainer's schedule: a full refit of a fresh model every
        # ``full_refit_every`` updates, warm starts in between
        if model is None or (len(rows) + 1) % full_refit_every == 0:
            model = make_model().fit(train_X, y, presence[labeled])
        else:
            model = copy.deepcopy(model).partial_fit(train_X, y, presence[labeled])
        pred = model.predict_proba(Xtest, test_presence).argmax(axis=1)
        rows.append(
            {
                "n_labels": len(labeled),
                "accuracy": float((pred == test_truth).mean()),
                "macro_f1": macro_f1(test_truth, pred),
            }
        )
    return rows


def simulate_pool(
    X: Mapping[str, np.ndarray],
    presence: np.ndarray,
    fused: np.ndarray,
    truth: Sequence[Any],
    classes: Sequence[str],
    *,
    budget: int = 200,
    strategies: Sequence[Any] = ("random", "hybrid"),
    fusions: Sequence[str] = ("weighted",),
    seeds: int | Sequence[int] = 3,
    step: int = 10,
    test_fraction: float = 0.3,
    progress: Progress | None = None,
    model: Any = None,
    full_refit_every: int = 5,
) -> pd.DataFrame:
    """Run the labeling loop with an oracle for each strategy, fusion and seed.

    ``truth`` holds each item's true label (None/NaN where unknown: never picked). Each run
    holds out ``test_fraction`` of the items, labels ``step`` items at a time up to ``budget``,
    and records held-out accuracy and macro-F1 after each step. Each run trains clones of
    ``model`` (default: a :class:`~mmwidgets.fusion.FusionClassifier`) with its ``fusion`` set
    to each of ``fusions``, refitting from scratch every ``full_refit_every`` updates and
    warm-starting in between, as the live session does.

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
    template = model if model is not None else FusionClassifier(classes=list(classes))
    out = []
    for fusion in fusions:
        for strategy in strategies:
            name = resolve_strategy(strategy).name  # a callable is listed by its name
            for seed in seed_list:
                if progress is not None:
                    progress(f"{name} / {fusion} / seed {seed}")
                for row in _one_run(
                    X,
                    presence,
                    fused,
                    codes,
                    usable.copy(),
                    classes,
                    strategy=strategy,
                    make_model=_factory(template, fusion, seed),
                    seed=seed,
                    budget=budget,
                    step=step,
                    test_fraction=test_fraction,
                    full_refit_every=max(1, full_refit_every),
                ):
                    out.append({"strategy": name, "fusion": fusion, "seed": seed, **row})
    return pd.DataFrame(
        out, columns=["strategy", "fusion", "seed", "n_labels", "accuracy", "macro_f1"]
    )


def oracle_truth(oracle: Any, dataset: Dataset) -> list[Any]:
    """Each item's true label from a column name, ``{item_id: label}`` or a function of the id.

    Items with a problem (see ``Dataset.problems()``) get None: simulations never pick them.
    """
    ids = dataset.ids
    if isinstance(oracle, str):
        truth = [None if v is None or v != v else str(v) for v in dataset.frame[oracle]]
    elif isinstance(oracle, Mapping):
        truth = [oracle.get(i) for i in ids]
    else:
        truth = [oracle(i) for i in ids]
    ok = set(dataset.ok_ids)
    return [t if i in ok else None for t, i in zip(truth, ids, strict=True)]


def _factory(template: Any, fusion: str, seed: int) -> Callable[[], Any]:
    from sklearn.base import clone

    def make() -> Any:
        return clone(template).set_params(fusion=fusion, random_state=seed)

    return make


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
