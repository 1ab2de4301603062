"""The training loop shared by ``fit`` and ``partial_fit``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from mmwidgets.exceptions import TrainingCancelledError

if TYPE_CHECKING:
    import torch
    from torch import nn


def class_weights(targets: np.ndarray, n_classes: int, multi_label: bool) -> np.ndarray:
    """'balanced' weights: n / (C · count_c) per class (pos_weight for multi-label), capped."""
    if multi_label:
        pos = targets.sum(axis=0)
        neg = len(targets) - pos
        pos_weight: np.ndarray = np.clip(neg / np.maximum(pos, 1.0), 0.1, 10.0)
        return pos_weight.astype(np.float32)
    counts = np.bincount(targets, minlength=n_classes).astype(np.float64)
    weights = len(targets) / (n_classes * np.maximum(counts, 1.0))
    clipped: np.ndarray = np.clip(weights, 0.1, 10.0).astype(np.float32)
    return clipped


def drop_modalities(present: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Randomly hide present modalities (probability ``p`` each), always keeping at least one.

    Training on such masks is what lets the model predict items that lack a modality.
    """
    import torch

    if p <= 0 or present.shape[1] < 2:
        return present
    keep = torch.rand(present.shape, generator=generator) >= p
    dropped = present & keep
    empty = ~dropped.any(dim=1)
    return torch.where(empty.unsqueeze(1), present, dropped)


#: batches up to this size train on one thread (see :func:`_threads_for`)
SINGLE_THREAD_BATCH = 256


@contextmanager
def _threads_for(batch_size: int) -> Iterator[None]:
    # Small batches train on one thread: the steps are too small to share, and two threads
    # that sleep between parallel regions (OMP_WAIT_POLICY=PASSIVE, which shared cores need)
    # measured 4.8 s against 2.2 s on one for 60 epochs of 500 items. The setting is the
    # calling thread's own (OpenMP's), and restored on the way out.
    import torch

    threads = torch.get_num_threads()
    if batch_size <= SINGLE_THREAD_BATCH and threads != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def train(
    net: nn.Module,
    xs: list[np.ndarray],
    present: np.ndarray,
    targets: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    modality_dropout: float,
    weights: np.ndarray | None,
    multi_label: bool,
    seed: int,
    should_stop: Callable[[], bool] | None = None,
) -> list[float]:
    """Train ``net`` in place with AdamW; returns the mean loss of each epoch."""
    import torch
    from torch.nn import functional as F  # noqa: N812

    tx = [torch.from_numpy(x) for x in xs]
    tp = torch.from_numpy(present)
    ty = torch.from_numpy(targets)
    tw = torch.from_numpy(weights) if weights is not None else None
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    # a mode may add a penalty of its own (e.g. gated's pull of the gates toward uniform),
    # computed from its last training forward
    penalty = getattr(net, "regularization", None)
    n = len(targets)
    losses: list[float] = []
    net.train()
    # nn.Dropout draws from torch's global generator: fork it so equal seeds give equal models
    # without disturbing anyone else's random stream
    with _threads_for(batch_size), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            if should_stop is not None and should_stop():
                net.eval()
                raise TrainingCancelledError("training was cancelled")
            order = torch.randperm(n, generator=gen)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                mask = drop_modalities(tp[idx], modality_dropout, gen)
                logits = net([x[idx] for x in tx], mask)
                if multi_label:
                    loss = F.binary_cross_entropy_with_logits(logits, ty[idx], pos_weight=tw)
                else:
                    loss = F.cross_entropy(logits, ty[idx], weight=tw)
                if callable(penalty):
                    loss = loss + penalty()
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                total += loss.item() * len(idx)
            losses.append(total / n)
    net.eval()
    return losses
