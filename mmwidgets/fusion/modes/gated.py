"""Gated fusion: a gated multimodal unit that weighs the modalities anew for every item.

Examples
--------
>>> import torch
>>> from mmwidgets.fusion.modes.gated import GatedFusion
>>> net = GatedFusion([4, 3], 2, hidden=8, dropout=0.0, multi_label=False)
>>> present = torch.tensor([[True, True], [False, True]])
>>> xs = [torch.ones(2, 4), torch.ones(2, 3)]
>>> net(xs, present).shape
torch.Size([2, 2])
"""

from __future__ import annotations

import torch
from torch import nn

from mmwidgets.fusion.modes._shared import head, masked_mean, project, projections

__all__ = ["GatedFusion"]


class GatedFusion(nn.Module):
    """Classify ``Σ_m g_m(x) tanh(proj_m(x_m))`` with per-item softmax gates ``g``.

    The gates are computed from all projections together and are zero for missing modalities,
    so an item is judged by whichever of its modalities looks most telling for it.

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
    """

    def __init__(
        self, dims: list[int], n_classes: int, *, hidden: int, dropout: float, multi_label: bool
    ) -> None:
        super().__init__()
        self.proj = projections(dims, hidden, dropout)
        self.head = head(hidden, n_classes, dropout)
        self.gate = nn.Linear(hidden * len(dims), len(dims))

    def gates(self, hs: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """Per-item gates ``(n, M)`` from projections ``hs`` ``(n, M, h)``; rows sum to 1.

        Examples
        --------
        >>> net = GatedFusion([2, 2], 2, hidden=3, dropout=0.0, multi_label=False)
        >>> net.gates(torch.zeros(1, 2, 3), torch.tensor([[False, True]])).tolist()
        [[0.0, 1.0]]
        """
        scores = self.gate(hs.flatten(1)).masked_fill(~present, float("-inf"))
        gates: torch.Tensor = torch.softmax(scores, dim=1).nan_to_num(0.0)
        return gates

    def forward(self, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, n_classes)``."""
        hs = project(self.proj, xs, present)
        out: torch.Tensor = self.head(masked_mean(torch.tanh(hs), self.gates(hs, present)))
        return out
