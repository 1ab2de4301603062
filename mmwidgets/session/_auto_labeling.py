"""Model labels with a measured precision: propose, audit, commit, revoke.

The flow of :meth:`SessionAutoLabel.auto_label` (the statistics are in
:mod:`mmwidgets.session._auto_label`): a fresh fit on people's labels scores the pool, its
probabilities calibrated on the out-of-fold predictions of those labels, and proposes per
class the items expected to reach the target precision; a random sample of each class's
proposals is audited by a person; classes whose audited lower bound meets the target are
committed as ``set`` events by the annotator :data:`~mmwidgets.data.MODEL_ANNOTATOR`
(``source == "model"``), never mixed up with a person's labels: a person's label of the item
always wins over them.
"""

from __future__ import annotations

import threading
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np

from mmwidgets.data import MODEL_ANNOTATOR
from mmwidgets.exceptions import NotReadyError
from mmwidgets.session._auto_audit import (
    AutoLabelAudit,
    audit_reason,
    audit_summary,
    proposal_frame,
)
from mmwidgets.session._auto_label import (
    audit_sample,
    calibrate,
    default_audit_size,
    propose,
)
from mmwidgets.session._loop import train_model
from mmwidgets.session._search import SessionSearch

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SessionAutoLabel"]


class SessionAutoLabel(SessionSearch):
    """Model-label reads and writes of a Session; see :class:`~mmwidgets.session.Session`."""

    def __init__(self, **parts: Any) -> None:
        super().__init__(**parts)
        self._audits_lock = threading.Lock()  # guards _audits
        self._audits: list[dict[str, Any]] = []  # committed this session, for the Dashboard

    def auto_label(
        self,
        target_precision: float = 0.95,
        *,
        audit_size: int | None = None,
        confidence: float = 0.95,
        by: str = "class",
        seed: int | None = None,
        timeout: float | None = None,
    ) -> AutoLabelAudit:
        """Propose model labels expected to reach ``target_precision``, and their audit.

        Nothing is written yet. Label the returned audit's :attr:`~AutoLabelAudit.sample`
        (``mm.Gallery(session, items=audit.sample)``: each tile shows the model's label;
        accept it or correct it), then ``audit.report()`` gives each class's audited
        precision with a Wilson interval and ``audit.commit()`` writes model labels for
        the classes whose one-sided lower bound at ``confidence`` reaches the target.

        Parameters
        ----------
        target_precision : float
            The share of model labels that must be right, per class.
        audit_size : int, optional
            Audit items per class; default :func:`default_audit_size` (104 at 0.95: enough
            to prove the target with one error). A class with fewer proposals audits all.
            With ``by="batch"``, audit items in all; default twice as many (208 at 0.95).
        confidence : float
            Of the lower bound that must reach the target.
        by : {"class", "batch"}
            ``"class"`` (the default) proves the target for each class on its own audit, so
            a rare class's errors cannot hide behind a common class. ``"batch"`` audits one
            random sample of all proposals (``audit_size`` in all) and commits every class or
            none on the pooled lower bound: fewer audits, a guarantee on the batch only. On a
            small pool with many classes a per-class audit covers most of each class's
            proposals, so it commits few labels for many answers (benchmarks/auto_label.py).
        seed : int, optional
            Seeds the audit sample (default: the session's seed and model version).

        Returns
        -------
        AutoLabelAudit

        Raises
        ------
        ValueError
            On a multi-label task, or before two classes are labeled.
        NotReadyError
            Before any model serves predictions.

        Examples
        --------
        >>> audit = session.auto_label(0.9)
        >>> list(audit.report().columns[:3])
        ['label', 'proposed', 'audit']
        """
        if self.multi_label:
            raise ValueError("auto_label works on single-label tasks; this one is multi-label")
        if by not in ("class", "batch"):
            raise ValueError(f"by must be 'class' or 'batch', got {by!r}")
        evaluation = self.evaluation(timeout=timeout)  # people's labels, out of fold
        gen = self._trainer.generation
        if gen.proba is None or gen.model is None:
            raise NotReadyError("no model serves predictions yet: label a few items first")
        # a fresh fit on the same labels, as the out-of-fold models were, so that their
        # temperature fits it: the serving model is warm-started label after label and is
        # more confident than a fresh one (measured: benchmarks/auto_label.py)
        view = self._pool.view()
        rows, labels = self._candidates.labeled_rows()
        model = train_model(
            gen, view=view, labeled_rows=rows, labels=labels,
            make_model=self._trainer.new_model, full_refit=True,
        )  # fmt: skip
        proba = model.predict_proba(view.X, view.presence)
        calibrated, temperature = calibrate(evaluation.proba, evaluation.targets, proba)
        self._candidates.sync_done()
        excluded = self._candidates.excluded()
        if view.pending is not None:
            excluded = excluded | view.pending  # not encoded yet: no prediction
        # one pooled audit is paid once: twice as large, it can pass with ~2 % of errors
        size = audit_size or default_audit_size(target_precision, confidence) * (
            1 if by == "class" else 2
        )
        proposals = propose(calibrated, self.labels, target_precision, excluded)
        seed = self._seed_for_audit(gen.version) if seed is None else seed
        if by == "class":
            sampled = audit_sample(proposals, size, seed)
        else:  # one simple random sample of the union: unbiased for the batch's precision
            union = np.concatenate(list(proposals.values()))
            picked = audit_sample({"all": union}, size, seed)["all"]
            sampled = {name: np.intersect1d(rows, picked) for name, rows in proposals.items()}
        frame = proposal_frame(self.dataset.ids, self.labels, calibrated, proposals, sampled)
        return AutoLabelAudit(
            id=uuid.uuid4().hex[:8],
            target=target_precision,
            confidence=confidence,
            model_version=gen.version,
            temperature=temperature,
            proposals=frame,
            classes=self.labels,
            by=by,
            store=self.store,
            committer=self._commit_audit,
        )

    def _commit_audit(self, audit: AutoLabelAudit) -> pd.DataFrame:
        report = audit.report()
        passing = set(report.loc[report["meets"], "label"]) & set(self.labels)
        current = self.store.current()
        taken = set(current["id"]) | set(self.store.skipped())  # people (or a commit) since
        todo = audit.proposals[
            audit.proposals["label"].isin(passing)
            & ~audit.proposals["audit"]
            & ~audit.proposals["id"].isin(taken)
        ]
        batch = list(zip(todo["id"], todo["label"], strict=True))
        if batch:  # one transaction: all of them or none
            self.store.set_batch(
                batch, MODEL_ANNOTATOR, model_version=audit.model_version,
                reason=audit_reason(audit.id),
            )  # fmt: skip
        counts = todo["label"].value_counts()
        report["committed"] = [int(counts.get(label, 0)) for label in report["label"]]
        if batch:
            with self._audits_lock:
                self._audits.append(audit_summary(audit, report))
            self._store_changed("auto_label", audit=audit.id, n=len(batch))
        return report

    def revoke_auto_labels(self, audit_id: str) -> int:
        """Take back every model label one audit committed; how many were taken back.

        Each gets a ``clear`` event by the model (reason ``"revoke <id>"``), in one
        transaction: the items are as they were before the commit, people's labels
        untouched.

        Raises
        ------
        ValueError
            When no model label of that audit is in the store (the message lists the audits
            that have some).

        Examples
        --------
        >>> session.revoke_auto_labels("no-such-audit")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: no model labels from audit 'no-such-audit' ...
        """
        model = self._model_annotations()
        ids = model.loc[model["reason"] == audit_reason(audit_id), "id"].tolist()
        if not ids:
            known = sorted({r.split(" ", 1)[1] for r in model["reason"].dropna() if " " in r})
            raise ValueError(
                f"no model labels from audit {audit_id!r} in the store (revoked already?); "
                f"audits with model labels: {', '.join(known) or 'none'}"
            )
        self.store.clear_batch(ids, MODEL_ANNOTATOR, reason=f"revoke {audit_id}")
        with self._audits_lock:
            self._audits = [a for a in self._audits if a["id"] != audit_id]
        self._store_changed("revoke", audit=audit_id, n=len(ids))
        return len(ids)

    def auto_labels(self) -> pd.DataFrame:
        """The model labels in the store now: ``id``, ``label``, ``model_version``, ``audit``.

        Only items no person labels (a person's label of the item wins and is not listed).

        Examples
        --------
        >>> list(session.auto_labels().columns)
        ['id', 'label', 'model_version', 'audit']
        """
        current = self.store.current()
        model = current[current["source"] == "model"]
        audit = [str(r).removeprefix("auto-label ") for r in model["reason"]]
        frame = model[["id", "label", "model_version"]].assign(audit=audit)
        return frame.reset_index(drop=True)

    def label_sources(self) -> dict[str, Any]:
        """How many items people label, how many the model, and this session's audits.

        Examples
        --------
        >>> sorted(session.label_sources())
        ['audits', 'model', 'people']
        """
        current = self.store.current()
        model = int((current["source"] == "model").sum())
        with self._audits_lock:
            audits = [dict(a) for a in self._audits]
        return {"people": len(current) - model, "model": model, "audits": audits}

    def _seed_for_audit(self, version: int) -> int:
        seed: int = getattr(self, "seed", 0)  # the Session's
        return seed + version

    def _model_annotations(self) -> pd.DataFrame:
        annotations = self.store.annotations()
        return annotations[annotations["source"] == "model"]

    def _store_changed(self, action: str, **data: Any) -> None:
        """Model labels were written or taken back: the queue and the model follow."""
        self._candidates.sync_done()
        self.events.emit("labeled", action=action, n_labeled=len(self.store), **data)
        self._trainer.request()
