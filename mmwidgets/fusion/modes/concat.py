"""Concatenation fusion: the projections of all modalities side by side, plus the mask.

Examples
--------
>>> import torch
>>> from mmwidgets.fusion.modes.concat import ConcatFusion
>>> net = ConcatFusion([4, 3], 2, hidden=8, dropout=0.0, multi_label=False)
>>> present = torch.tensor([[True, True], [True, False]])
>>> net([torch.ones(2, 4), torch.ones(2, 3)], present).shape
torch.Size([2, 2])
"""

from __future__ import annotations

import torch
from torch import nn

from mmwidgets.fusion.modes._shared import head, project, projections

__all__ = ["ConcatFusion"]


class ConcatFusion(nn.Module):
    """Classify ``[proj_1(x_1), …, proj_M(x_M), present]`` with one head.

    Missing modalities contribute zeros, and the presence mask is part of the input, so the
    head can tell "absent" from "present but near zero".

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
        width = hidden * len(dims) + len(dims)
        self.head = head(width, n_classes, dropout)

    def forward(self, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """Logits ``(n, n_classes)``."""
        hs = project(self.proj, xs, present)
        out: torch.Tensor = self.head(torch.cat([hs.flatten(1), present.float()], dim=1))
        return out
