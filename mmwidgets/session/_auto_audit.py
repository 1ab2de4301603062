"""One round of model labels: the proposals, the audit a person answers, and its report.

An :class:`AutoLabelAudit` is made by :meth:`Session.auto_label` and holds no labels of its
own: the audit's answers are the people's labels of the sampled items in the label store
(given in a Gallery or with ``session.label``), read each time the report is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.data import LabelStoreProtocol
from mmwidgets.session._auto_label import ClassEstimate, estimate

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BATCH", "REPORT_COLUMNS", "AutoLabelAudit", "audit_reason", "audit_summary", "proposal_frame",
]  # fmt: skip

#: the report row of a batch audit's pooled estimate (``auto_label(by="batch")``)
BATCH = "(batch)"

REPORT_COLUMNS = [
    "label", "proposed", "audit", "answered", "correct", "precision", "low", "high", "meets",
]  # fmt: skip


def audit_reason(audit_id: str) -> str:
    """The ``reason`` of every model label an audit commits (how a revoke finds them).

    Examples
    --------
    >>> audit_reason("a1b2c3d4")
    'auto-label a1b2c3d4'
    """
    return f"auto-label {audit_id}"


@dataclass(eq=False)
class AutoLabelAudit:
    """Model labels proposed for a target precision, waiting for their audit.

    Label the items of :attr:`sample` (confirm the model's label or correct it), e.g. in
    ``mm.Gallery(session, items=audit.sample)``, where "accept suggestions" confirms a page;
    then :meth:`report` estimates each class's precision from the answers and
    :meth:`commit` writes model labels for the classes whose lower bound meets the target.
    A skipped audit item counts as a wrong label.

    Attributes
    ----------
    id : str
        Names the audit; every model label it commits has reason ``"auto-label <id>"``, and
        :meth:`Session.revoke_auto_labels` takes them back by it.
    target, confidence : float
        The precision to prove, and the confidence of the lower bound that must reach it.
    by : {"class", "batch"}
        Prove the target per class (each class audited and committed on its own evidence), or
        for the whole batch (one random audit of all proposals; all classes or none).
    model_version : int
        The model whose predictions are proposed (recorded with every model label).
    temperature : float
        The calibration fitted to the out-of-fold predictions (> 1 softens them).
    proposals : pandas.DataFrame
        ``id``, ``label`` (the model's), ``confidence`` (calibrated) and ``audit`` (sampled).
    classes : tuple of str
        The task's labels, in the report's order (a class with no proposals is listed too).
    """

    id: str
    target: float
    confidence: float
    model_version: int
    temperature: float
    proposals: pd.DataFrame
    classes: tuple[str, ...]
    store: LabelStoreProtocol = field(repr=False)
    committer: Callable[[AutoLabelAudit], pd.DataFrame] = field(repr=False)
    by: str = "class"

    @property
    def sample(self) -> pd.DataFrame:
        """The audit: ``id``, ``label`` (proposed) and ``reason``, to open in a Gallery."""
        audit = self.proposals[self.proposals["audit"]]
        reasons = [
            f"audit {self.id}: the model says {label} ({confidence:.2f})"
            for label, confidence in zip(audit["label"], audit["confidence"], strict=True)
        ]
        frame = audit[["id", "label"]].assign(reason=reasons).reset_index(drop=True)
        return frame

    def answers(self) -> pd.DataFrame:
        """Each audit item's proposed label and the person's answer (None: not yet)."""
        import pandas as pd

        current = self.store.current()
        people = current[current["source"] == "person"].set_index("id")["label"]
        skipped = set(self.store.skipped())
        sample = self.sample[["id", "label"]].rename(columns={"label": "proposed"})
        given = [people.get(i, "(skipped)" if i in skipped else None) for i in sample["id"]]
        return sample.assign(answer=pd.Series(given, index=sample.index, dtype=object))

    def estimates(self, answers: pd.DataFrame | None = None) -> list[ClassEstimate]:
        """Per class with an audit, the precision estimated from its answers so far.

        A batch audit adds the pooled estimate of all its answers, labeled :data:`BATCH`.
        ``answers`` (from :meth:`answers`) saves reading the store again.
        """
        answers = self.answers() if answers is None else answers
        done = answers[answers["answer"].notna()]
        right = done["answer"] == done["proposed"]
        counts = {
            str(label): (int(right[group.index].sum()), len(group))
            for label, group in done.groupby("proposed", sort=False)
        }
        if self.by == "batch":
            counts[BATCH] = (int(right.sum()), len(done))
        return estimate(counts, self.target, self.confidence)

    def report(self) -> pd.DataFrame:
        """Per class: proposed, audited, answered, correct, the precision and its interval.

        ``meets`` is True only for a class whose every audit item is answered and whose
        lower bound reaches the target: :meth:`commit` labels only those classes. In a batch
        audit, a last row (:data:`BATCH`) holds the pooled estimate, which alone decides: every
        class meets when it does, once the whole audit is answered.
        """
        import pandas as pd

        answers = self.answers()
        found = {e.label: e for e in self.estimates(answers)}
        rows: list[dict[str, Any]] = []
        batch = None
        if self.by == "batch":
            total, given = len(answers), int(answers["answer"].notna().sum())
            pooled = found.get(BATCH)
            batch = pooled is not None and pooled.meets and given == total
        for label in (*self.classes, BATCH) if self.by == "batch" else self.classes:
            pick = slice(None) if label == BATCH else self.proposals["label"] == label
            group = self.proposals[pick]
            e = found.get(label)
            sampled = int(group["audit"].sum())
            mine = answers if label == BATCH else answers[answers["proposed"] == label]
            answered = int(mine["answer"].notna().sum())
            own = e is not None and e.meets and answered == sampled
            rows.append(
                {
                    "label": label,
                    "proposed": len(group),
                    "audit": sampled,
                    "answered": answered,
                    "correct": 0 if e is None else e.correct,
                    "precision": float("nan") if e is None else e.precision,
                    "low": 0.0 if e is None else e.low,
                    "high": 1.0 if e is None else e.high,
                    "meets": own if batch is None else batch,
                }
            )
        return pd.DataFrame(rows, columns=REPORT_COLUMNS)

    def commit(self) -> pd.DataFrame:
        """Write model labels for the classes that meet the target; the report, with counts.

        The returned report gains ``committed``: model labels written per class (items
        someone labeled or skipped since the proposal are left alone). Committing twice
        writes nothing new.
        """
        return self.committer(self)


def proposal_frame(
    ids: Any,
    labels: tuple[str, ...],
    calibrated: np.ndarray,
    proposals: dict[str, np.ndarray],
    sampled: dict[str, np.ndarray],
) -> pd.DataFrame:
    """The proposals as a frame: ``id``, ``label``, ``confidence``, ``audit`` (sampled)."""
    import pandas as pd

    parts = []
    for name, rows in proposals.items():
        parts.append(
            pd.DataFrame(
                {
                    "id": [ids[int(r)] for r in rows],
                    "label": name,
                    "confidence": calibrated[rows, labels.index(name)].astype(float),
                    "audit": np.isin(rows, sampled[name]),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return frame.reindex(columns=["id", "label", "confidence", "audit"])


def audit_summary(audit: AutoLabelAudit, report: pd.DataFrame) -> dict[str, Any]:
    """What the Dashboard shows of a committed audit."""
    done = report[report["committed"] > 0]
    return {
        "id": audit.id,
        "target": audit.target,
        "committed": int(done["committed"].sum()),
        "classes": [
            {"label": label, "precision": float(p), "low": float(low), "n": int(n)}
            for label, p, low, n in zip(
                done["label"], done["precision"], done["low"], done["committed"], strict=True
            )
        ],
        "low": float(done["low"].min()) if len(done) else None,
    }
