"""Mapping fusion: one affine map per modality into a shared space, averaged over present ones.

Examples
--------
>>> import torch
>>> from mmwidgets.fusion.modes.mapping import MappingFusion
>>> net = MappingFusion([4, 3], 2, hidden=8, dropout=0.0, multi_label=False)
>>> present = torch.tensor([[True, True], [False, True]])
>>> net([torch.ones(2, 4), torch.ones(2, 3)], present).shape
torch.Size([2, 2])
"""

from __future__ import annotations

import torch
from torch import nn

from mmwidgets.fusion.modes._shared import affine_projections, head, masked_mean, project

__all__ = ["MappingFusion"]


class MappingFusion(nn.Module):
    """Classify the mean of ``W_m x_m + b_m`` over the present modalities.

    The seed design's feature mapping: every modality lands in one shared space by a single
    affine map (after a LayerNorm), so the modalities are directly comparable there.

    Parameters
    ----------
    dims : list of int
        Embedding width of each modality.
    n_classes : int
        Number of logits to return.
    hidden : int
        Width of the shared space.
    dropout : float
        Dropout inside the head.
    multi_label : bool
        Unused: the logits serve softmax and sigmoid alike.
    """

    def __init__(
        self, dims: list[int], n_classes: int, *, hidden: int, dropout: float, multi_label: bool
    ) -> None:
        super().__init__()
        self.proj = affine_projections(dims, hidden)
        self.head = head(hidden, n_classes, dropout)

    def forward(self, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, n_classes)``."""
        hs = project(self.proj, xs, present)
        out: torch.Tensor = self.head(masked_mean(hs, present.float()))
        return out
