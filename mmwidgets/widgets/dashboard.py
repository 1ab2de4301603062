"""Dashboard: the model's learning curve, confusion, per-class scores and modality contribution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import traitlets as t

from mmwidgets.widgets import _protocol as kinds
from mmwidgets.widgets._base import Outbox
from mmwidgets.widgets._drill import DrillDown
from mmwidgets.widgets._payload import ItemPacker, jsonable
from mmwidgets.widgets._session_widget import SessionWidget

if TYPE_CHECKING:
    import pandas as pd

    from mmwidgets.session import Evaluation, Session

__all__ = ["Dashboard"]


def baseline_curve(simulation: pd.DataFrame | None) -> list[dict[str, float]]:
    """Mean held-out accuracy of random sampling per label count, from a simulate() run.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"strategy": ["random"] * 2, "n_labels": [10, 10],
    ...                      "accuracy": [0.5, 0.7]})
    >>> baseline_curve(runs)
    [{'n_labels': 10.0, 'accuracy': 0.6}]
    """
    if simulation is None or not len(simulation):
        return []
    random = simulation[simulation["strategy"] == "random"]
    mean = random.groupby("n_labels")["accuracy"].mean()
    return [
        {"n_labels": float(n), "accuracy": round(float(a), 6)}
        for n, a in zip(mean.index, mean.to_numpy(), strict=True)
    ]


def modality_importance(ablation: pd.DataFrame) -> dict[str, float]:
    """Each column's importance: the drop in cross-validated accuracy when it is hidden.

    Measured on the serving model's out-of-fold predictions with the column masked as absent
    for every item (the ablation), so a column the model does not use scores 0; a negative
    figure means the model does better without it.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"masked": ["none", "text", "image"],
    ...                       "accuracy_drop": [0.0, 0.25, -0.01]})
    >>> modality_importance(table)
    {'text': 0.25, 'image': -0.01}
    """
    rows = ablation[ablation["masked"] != "none"]
    return {
        str(m): round(float(d), 6)
        for m, d in zip(rows["masked"], rows["accuracy_drop"], strict=True)
    }


class _Panel(SessionWidget):
    """The Dashboard's front end: every number in one synced ``data`` dict, drawn as SVG."""

    _entry = "dashboard.js"
    data = t.Dict().tag(sync=True)

    def __init__(self, session: Session, owner: Dashboard) -> None:
        self._owner = owner
        #: the evaluation on screen: a confusion-cell click opens exactly the items it counted
        self.shown: Evaluation | None = None
        super().__init__(session, ItemPacker(session.dataset, cache_size=1))
        self._handle(kinds.DRILL, self._drill)

    def _refresh(self, stale: set[str]) -> None:
        super()._refresh(stale)
        if not self.session.store.closed and stale & {"progress", "status", "queue"}:
            self.data = self.collect(evaluate=False)

    def collect(self, *, evaluate: bool) -> dict[str, Any]:
        """Everything the dashboard shows.

        ``evaluate`` cross-validates the current labels when the cached evaluation is stale;
        otherwise the latest evaluation is shown, however many labels it saw.
        """
        s = self.session
        evaluation = s.latest_evaluation()
        sources = s.label_sources()  # evaluations see people's labels only
        stale = evaluation is None or evaluation.n_labels != sources["people"]
        if evaluate and stale and sources["people"] >= 2 and s.ready:
            evaluation = s.evaluation()
        data: dict[str, Any] = {
            "curve": s.learning_curve()[["n_labels", "accuracy", "macro_f1"]].to_dict("records"),
            "baseline": baseline_curve(s.last_simulation),
            "counts": s.label_counts(),
            "fusion": s.fusion,
            "n_labeled": len(s.store),
            "sources": sources,
            "model_version": s.model_version,
            "metrics": None,
            "ablation": [],
            "evaluated_on": 0,
            "agreement": None,
            "model_choice": None,
            "calibration": None,
            "importance": {},
        }
        # a team's agreement, once two people labeled something (NaN leaves as None)
        annotations = s.store.annotations()
        if annotations.loc[annotations["source"] == "person", "annotator"].nunique() >= 2:
            data["agreement"] = s.agreement().as_dict()
        if evaluation is not None:
            m = evaluation.metrics
            ablation = evaluation.ablation()
            data |= {
                "metrics": m.as_dict(),
                "ablation": ablation.to_dict("records"),
                "evaluated_on": evaluation.n_labels,
                "model_choice": m.model_choice,
                "calibration": None
                if m.temperature is None
                else {
                    "temperature": m.temperature,
                    "ece": m.ece,
                    "ece_uncalibrated": m.ece_uncalibrated,
                },
                "importance": modality_importance(ablation),
            }
            self.shown = evaluation
        return dict(jsonable(data))

    def _drill(self, args: dict[str, Any], _out: Outbox) -> dict[str, Any]:
        if "cell" in args:
            true, predicted = (str(v) for v in args["cell"])
            items = self._owner.open_cell(true, predicted)
        else:
            items = self._owner.open_suspects(int(args.get("k", 24)))
        return {"n": items}


class Dashboard(DrillDown):
    """A live view of how the model is doing, next to the labeling widgets.

    Shows the cross-validated learning curve (accuracy and macro-F1 against labels, with the
    random-sampling baseline of the latest :meth:`Session.simulate` run when there is one),
    the confusion matrix (click a cell to review its items in a Gallery below), per-class
    precision / recall / F1 / support, the label distribution, and modality contribution: the
    accuracy with each column masked out (an ablation), and each column's importance read off
    it (:func:`modality_importance`: the accuracy lost without the column; what the model
    uses, unlike learned fusion weights, which need not be). A line says which model serves
    and why (``Metrics.model_choice``: chosen on out-of-fold accuracy among the fusion modes and
    single columns, see :mod:`mmwidgets.fusion.selection`), and how well its confidence is
    calibrated (temperature, top-label ECE before and after). When two or more annotators
    label the store (a team, see
    ``Session(overlap=...)``), an "Agreement" panel shows :meth:`Session.agreement`: the
    overlapped items, Fleiss' kappa, Krippendorff's alpha, Cohen's kappa per annotator pair and
    the figures per class. It follows the session as labels arrive and the model retrains;
    cross-validation runs on the session's trainer thread every ``metrics_every`` labels.

    Parameters
    ----------
    session : Session
        The labeling session.
    gallery_size : int
        Tiles per page of the review Gallery that a click opens.

    Examples
    --------
    >>> import mmwidgets as mm
    >>> dash = mm.Dashboard(session)
    >>> dash.refresh()
    >>> dash.data["metrics"]["accuracy"] == session.metrics().accuracy
    True
    >>> n_suspects = dash.open_suspects(k=5)
    >>> dash.close()
    """

    panel: _Panel

    def __init__(self, session: Session, *, gallery_size: int = 24) -> None:
        super().__init__(session, _Panel(session, self), gallery_size=gallery_size)
        self.panel.data = self.panel.collect(evaluate=session.ready)

    @property
    def data(self) -> dict[str, Any]:
        """The numbers on show (metrics, model choice, calibration, curve, ablation, counts …)."""
        return dict(self.panel.data)

    def refresh(self) -> None:
        """Cross-validate the current labels if needed and redraw now.

        Examples
        --------
        >>> dash = Dashboard(session)
        >>> dash.refresh()
        >>> dash.data["evaluated_on"] == len(session.store)
        True
        """
        self.panel.refresh()
        self.panel.data = self.panel.collect(evaluate=True)

    def open_cell(self, true: str, predicted: str) -> int:
        """Review the items labeled ``true`` that the model predicts as ``predicted``.

        The items are those the confusion matrix on screen counted (labels that arrived since
        appear after the next evaluation). Returns how many the Gallery below shows.

        Examples
        --------
        >>> dash = Dashboard(session)
        >>> n = dash.open_cell("food", "food")
        >>> dash.gallery.remaining == n
        True
        """
        import pandas as pd

        shown = self.panel.shown or self.session.evaluation()
        ids = shown.confusion_items(true, predicted)
        reason = f"labeled {true}, model says {predicted}"
        self.open_gallery(pd.DataFrame({"id": ids, "reason": [reason] * len(ids)}))
        return len(ids)

    def open_suspects(self, k: int = 24) -> int:
        """Review the top ``k`` suspected label errors (:meth:`Session.suspected_errors`).

        Examples
        --------
        >>> dash = Dashboard(session)
        >>> dash.open_suspects(k=3) <= 3
        True
        """
        suspects = self.session.suspected_errors(k)
        self.open_gallery(suspects)
        return len(suspects)
