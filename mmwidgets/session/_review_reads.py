"""The evaluation half of the Session's reads: evaluation, suspects, ablation, map, simulate.

:class:`SessionReview` adds these to :class:`~mmwidgets.session._reads.SessionReads` (whose
parts it reads); every one of them needs the embeddings and waits for them (with a progress
bar) up to a timeout, then raises :class:`~mmwidgets.exceptions.NotReadyError`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.session._pool import PoolView
from mmwidgets.session._reads import SessionReads

if TYPE_CHECKING:
    import pandas as pd

    from mmwidgets.session._metrics import Metrics
    from mmwidgets.session._review import Evaluation

__all__ = ["SessionReview"]


class SessionReview(SessionReads):
    """What a Session answers from cross-validation; see :class:`~mmwidgets.session.Session`."""

    #: the latest simulate() result, drawn as a baseline by the Dashboard
    last_simulation: pd.DataFrame | None = None

    def projection(self, method: str = "pca", *, timeout: float | None = None) -> np.ndarray:
        """(n_items, 2) float32 layout of the fused embeddings (PCA or UMAP), cached.

        Waits up to ``timeout`` s (default: the session's) for the embeddings, then raises
        :class:`~mmwidgets.exceptions.NotReadyError`.

        Examples
        --------
        >>> session.projection().shape == (len(session.dataset), 2)
        True
        """
        return self._inspector.projection(method, self._wait(timeout))

    def embeddings(self, *, timeout: float | None = None) -> PoolView:
        """The embedded pool: ``X`` (column -> (n, d) matrix), ``presence`` and ``fused``.

        Rows follow :attr:`ids`. Waits for the embeddings like :meth:`projection`.

        Examples
        --------
        >>> view = session.embeddings()
        >>> view.presence.shape == (len(session.dataset), len(view.X))
        True
        """
        return self._pool.wait_ready(self._wait(timeout), progress=self._progress)

    def evaluation(self, *, timeout: float | None = None) -> Evaluation:
        """Out-of-fold evaluation of the labels stored now: metrics, suspects, drill-down.

        Every labeled item is scored by a model that never saw it (k-fold cross-validation
        of fresh clones of the model). Waits for the embeddings like :meth:`projection`.

        Examples
        --------
        >>> session.evaluation().n_labels == len(session.store)
        True
        """
        return self._inspector.evaluation(self._wait(timeout))

    def latest_evaluation(self) -> Evaluation | None:
        """The most recent evaluation, however many labels it saw; never computes one.

        Examples
        --------
        >>> session.latest_evaluation() is None or session.latest_evaluation().n_labels > 0
        True
        """
        return self._evaluator.latest()

    def metrics(self, *, timeout: float | None = None) -> Metrics:
        """Cross-validated quality of the model on the labels so far (see :meth:`evaluation`).

        Examples
        --------
        >>> m = session.metrics()
        >>> m.n_labels, 0.0 <= m.macro_f1 <= 1.0
        (12, True)
        """
        return self.evaluation(timeout=timeout).metrics

    def learning_curve(self) -> pd.DataFrame:
        """Cross-validated accuracy and macro-F1 recorded as labels accumulated.

        Examples
        --------
        >>> list(session.learning_curve().columns)
        ['n_labels', 'accuracy', 'macro_f1', 'mean_average_precision', 'time']
        """
        return self._evaluator.curve()

    def suspected_errors(self, k: int | None = None, *, timeout: float | None = None) -> Any:
        """Labeled items whose label the out-of-fold model disagrees with, most suspicious first.

        cleanlab's confident learning (:func:`cleanlab.filter.find_label_issues`) on the
        out-of-fold probabilities of :meth:`evaluation`. A DataFrame with columns
        ``id, label, suggested, p_suggested, p_label, quality, reason``.

        Examples
        --------
        >>> found = session.suspected_errors(k=3)
        >>> list(found.columns[:3]), len(found) <= 3
        (['id', 'label', 'suggested'], True)
        """
        return self.evaluation(timeout=timeout).suspected_errors(k)

    def confusion_items(self, true: str, predicted: str) -> list[str]:
        """Ids behind one confusion-matrix cell: labeled ``true``, predicted ``predicted``.

        Examples
        --------
        >>> ids = session.confusion_items("food", "food")
        >>> all(session.store.get(i) == "food" for i in ids)
        True
        """
        return self.evaluation().confusion_items(true, predicted)

    def modality_ablation(self, *, timeout: float | None = None) -> pd.DataFrame:
        """Cross-validated quality with every column, then with each column masked out.

        Columns: ``masked`` ("none" first), ``accuracy``, ``macro_f1``, ``accuracy_drop``.

        Examples
        --------
        >>> table = session.modality_ablation()
        >>> table["masked"].iloc[0], "image" in set(table["masked"])
        ('none', True)
        """
        return self.evaluation(timeout=timeout).ablation()

    def simulate(
        self,
        oracle: str | Mapping[str, Any] | Callable[[str], Any],
        budget: int = 200,
        *,
        strategies: Sequence[Any] | None = None,
        fusions: Sequence[str] | None = None,
        seeds: int | Sequence[int] = 3,
        step: int = 10,
        test_fraction: float = 0.3,
        progress: Callable[[str], None] | None = None,
    ) -> pd.DataFrame:
        """Label with known answers to compare strategies (and fusions) as learning curves.

        Nothing is written to the store. Each run holds out ``test_fraction`` of the items,
        labels ``step`` items at a time up to ``budget`` with clones of the session's model
        (refit as the live trainer does, every ``full_refit_every`` updates) and records
        held-out accuracy. ``oracle`` is a column of the DataFrame, ``{item_id: label}`` or a
        function of the item id. ``strategies`` default to ``["random", <this strategy>]``,
        ``fusions`` to this session's. Waits for the embeddings (never encodes twice).

        Returns a DataFrame ``strategy, fusion, seed, n_labels, accuracy, macro_f1``.

        Examples
        --------
        >>> curves = session.simulate("category", budget=20, seeds=1)
        >>> sorted(curves["strategy"].unique()), int(curves["n_labels"].max())
        (['hybrid', 'random'], 20)
        """
        from mmwidgets.session._simulate import oracle_truth, simulate_pool

        if self.multi_label:
            raise NotImplementedError("simulate() supports single-label tasks")
        view = self._pool.wait_ready(self.timeout, progress=self._progress)
        truth = oracle_truth(oracle, self.dataset)
        self.last_simulation = simulate_pool(
            view.X, view.presence, view.fused, truth, self.labels, budget=budget,
            strategies=list(strategies) if strategies else ["random", self._trainer.strategy],
            fusions=list(fusions) if fusions else [self._fusion() or "weighted"],
            seeds=seeds, step=step, test_fraction=test_fraction, progress=progress,
            model=self._trainer.model, full_refit_every=self._trainer.full_refit_every,
        )  # fmt: skip
        return self.last_simulation
