"""Late fusion: one classifier per modality, their probabilities averaged over present ones.

Examples
--------
>>> import torch
>>> from mmwidgets.fusion.modes.late import LateFusion
>>> net = LateFusion([4, 3], 2, hidden=8, dropout=0.0, multi_label=False)
>>> present = torch.tensor([[True, True], [False, True]])
>>> logits = net([torch.ones(2, 4), torch.ones(2, 3)], present)
>>> bool(torch.allclose(logits.exp().sum(dim=1), torch.ones(2)))  # log-probabilities
True
"""

from __future__ import annotations

import torch
from torch import nn

from mmwidgets.fusion.modes._shared import head, masked_mean, project, projections

__all__ = ["LateFusion"]


class LateFusion(nn.Module):
    """Average each present modality's own prediction; return logits of that average.

    Returning logits of the averaged probabilities (log-probabilities for softmax, log-odds
    for multi-label) lets one loss and one predict path serve this mode like every other.

    Parameters
    ----------
    dims : list of int
        Embedding width of each modality.
    n_classes : int
        Number of logits to return.
    hidden : int
        Width of each modality's projection and head.
    dropout : float
        Dropout after each projection and inside the heads.
    multi_label : bool
        Average independent sigmoids instead of softmax rows.
    """

    def __init__(
        self, dims: list[int], n_classes: int, *, hidden: int, dropout: float, multi_label: bool
    ) -> None:
        super().__init__()
        self.multi_label = multi_label
        self.proj = projections(dims, hidden, dropout)
        self.heads = nn.ModuleList(head(hidden, n_classes, dropout) for _ in dims)

    def forward(self, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, n_classes)`` of the averaged per-modality probabilities."""
        hs = project(self.proj, xs, present)
        pf = present.float()
        each = torch.stack([h(hs[:, i]) for i, h in enumerate(self.heads)], dim=1)
        if self.multi_label:
            p = masked_mean(torch.sigmoid(each), pf).clamp(1e-6, 1 - 1e-6)
            return torch.log(p) - torch.log1p(-p)
        return torch.log(masked_mean(torch.softmax(each, dim=-1), pf).clamp_min(1e-12))
