"""Building the Session's parts and wiring them together (each gets what it reads, no more)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmwidgets.active import resolve_strategy
from mmwidgets.data import Dataset, LabelStoreProtocol
from mmwidgets.session._assignment import Assignment
from mmwidgets.session._candidates import Candidates
from mmwidgets.session._evaluator import Evaluator
from mmwidgets.session._events import EventHub
from mmwidgets.session._pool import Pool
from mmwidgets.session._queue import QueueState
from mmwidgets.session._trainer import Trainer

__all__ = ["Parts", "build_parts"]


@dataclass(frozen=True, eq=False)
class Parts:
    """The parts of one Session; each is the only owner of its state."""

    events: EventHub
    pool: Pool
    queue: QueueState
    candidates: Candidates
    trainer: Trainer
    evaluator: Evaluator


def build_parts(
    dataset: Dataset,
    store: LabelStoreProtocol,
    *,
    estimator: Any,
    strategy: Any,
    encoders: Mapping[str, Any] | None,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool,
    background: bool,
    queue_size: int,
    seed: int,
    retrain_delay: float,
    full_refit_every: int,
    metrics_every: int,
    embeddings: Mapping[str, Any] | None = None,
    rescore_top: int = 4096,
    check_media: bool = False,
    assignment: Assignment,
    executor: Any = None,
    shard_size: int = 256,
    train_on_model_labels: bool = False,
) -> Parts:
    """The parts of a Session over ``dataset`` labeled into ``store``."""
    events = EventHub()
    if cache_dir is None:  # next to a SQLite file; in the working folder for other stores
        path = getattr(store, "path", None)
        cache_dir = Path(path).parent / "embeddings" if path is not None else Path("embeddings")
    pool = Pool(
        dataset,
        encoders=encoders,
        cache_dir=cache_dir,
        progress=progress,
        on_progress=lambda done, total: events.emit("progress", done=done, total=total),
        embeddings=embeddings,
        check_media=check_media,
        executor=executor,
        shard_size=shard_size,
        on_grow=lambda rows: trainer.pool_grew(rows),
    )
    # hybrid's random checks are served by count, one every 1 / share items (see QueueState)
    queue = QueueState(seed, random_checks=resolve_strategy(strategy).random_checks)
    candidates = Candidates(
        ids=dataset.ids, store=store, queue=queue, pool=pool, assignment=assignment,
        train_on_model_labels=train_on_model_labels,
    )  # fmt: skip

    def evaluate_people(rows: Any, labels: list[Any]) -> None:
        # cross-validation scores people's labels only: the model's own are not evidence
        evaluator.after_update(
            *(candidates.labeled_rows() if train_on_model_labels else (rows, labels))
        )

    candidates.sync_done()
    trainer = Trainer(
        pool=pool,
        model=estimator,
        strategy=strategy,
        inputs=candidates.training_input,
        on_update=evaluate_people,
        queue_size=queue_size,
        full_refit_every=full_refit_every,
        retrain_delay=retrain_delay,
        rescore_top=rescore_top,
        selection=lambda: evaluator.choice(),  # the model a full refit fits, and its temperature
        class_names=store.labels,
        multi_label=store.multi_label,
        ids=dataset.ids,
        events=events,
        seed=seed,
    )
    evaluator = Evaluator(
        pool=pool,
        template=estimator,
        should_stop=trainer.should_stop,
        yield_to=lambda: trainer.retraining or trainer.rescoring,  # the queue goes first
        every=metrics_every,
        background=background,
        class_names=store.labels,
        multi_label=store.multi_label,
        ids=dataset.ids,
        events=events,
        seed=seed,
    )
    return Parts(events, pool, queue, candidates, trainer, evaluator)
