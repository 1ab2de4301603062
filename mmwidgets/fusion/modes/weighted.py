"""Weighted fusion: a learned softmax weight per modality, renormalised over present ones.

Examples
--------
>>> import torch
>>> from mmwidgets.fusion.modes.weighted import WeightedFusion
>>> net = WeightedFusion([4, 3], 2, hidden=8, dropout=0.0, multi_label=False)
>>> net.modality_weights().tolist()  # untrained: equal trust
[0.5, 0.5]
>>> net.item_weights(torch.tensor([[True, False]])).tolist()
[[1.0, 0.0]]
"""

from __future__ import annotations

import torch
from torch import nn

from mmwidgets.fusion.modes._shared import head, masked_mean, project, projections

__all__ = ["WeightedFusion"]


class WeightedFusion(nn.Module):
    """Classify ``Σ_m w_m proj_m(x_m)``, with ``w = softmax(weight_logits)`` over present ``m``.

    The weights are global (one per modality, not per item), which makes them readable: they
    say how much the model trusts each modality (``FusionClassifier.modality_weights_``).

    Parameters
    ----------
    dims : list of int
        Embedding width of each modality.
    n_classes : int
        Number of logits to return.
    hidden : int
        Width of each modality's projection.
    dropout : float
        Dropout after each projection and inside the head.
    multi_label : bool
        Unused: the logits serve softmax and sigmoid alike.

    Attributes
    ----------
    weight_logits : torch.nn.Parameter
        ``(M,)`` unnormalised modality weights, zeros (equal trust) before training.
    """

    def __init__(
        self, dims: list[int], n_classes: int, *, hidden: int, dropout: float, multi_label: bool
    ) -> None:
        super().__init__()
        self.proj = projections(dims, hidden, dropout)
        self.head = head(hidden, n_classes, dropout)
        self.weight_logits = nn.Parameter(torch.zeros(len(dims)))

    def modality_weights(self) -> torch.Tensor:
        """The learned weight of each modality, ``(M,)``, summing to 1."""
        return torch.softmax(self.weight_logits, dim=0)

    def item_weights(self, present: torch.Tensor) -> torch.Tensor:
        """Per-item weights ``(n, M)``: zero for missing modalities, rows summing to 1."""
        w = self.modality_weights().expand_as(present) * present
        return w / w.sum(dim=1, keepdim=True).clamp_min(1e-12)

    def forward(self, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, n_classes)``."""
        hs = project(self.proj, xs, present)
        out: torch.Tensor = self.head(masked_mean(hs, self.item_weights(present)))
        return out
