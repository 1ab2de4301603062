"""Building blocks the built-in fusion modes share: projections, a head, a masked mean.

Examples
--------
>>> import torch
>>> from mmwidgets.fusion.modes._shared import masked_mean
>>> parts = torch.tensor([[[1.0], [3.0]]])  # one item, two modalities, width 1
>>> masked_mean(parts, torch.tensor([[1.0, 0.0]])).tolist()  # the second one is missing
[[1.0]]
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["affine_projections", "head", "masked_mean", "project", "projections"]


def projections(dims: list[int], hidden: int, dropout: float) -> nn.ModuleList:
    """One ``LayerNorm → Linear → GELU → Dropout`` projection to ``hidden`` per modality.

    Examples
    --------
    >>> len(projections([4, 6], hidden=8, dropout=0.1))
    2
    """
    # LayerNorm first: encoders differ wildly in scale (unit-norm text vs raw CNN features)
    return nn.ModuleList(
        nn.Sequential(nn.LayerNorm(d), nn.Linear(d, hidden), nn.GELU(), nn.Dropout(dropout))
        for d in dims
    )


def affine_projections(dims: list[int], hidden: int) -> nn.ModuleList:
    """One affine map ``W_m x + b_m`` (after a LayerNorm) into a shared space per modality.

    Examples
    --------
    >>> affine_projections([4], hidden=8)[0][1]
    Linear(in_features=4, out_features=8, bias=True)
    """
    return nn.ModuleList(nn.Sequential(nn.LayerNorm(d), nn.Linear(d, hidden)) for d in dims)


def head(width: int, n_classes: int, dropout: float) -> nn.Module:
    """The classifier on a fused ``width``-vector: ``Linear(width, width) → GELU → Linear``.

    Examples
    --------
    >>> head(10, 3, 0.1)(torch.zeros(2, 10)).shape
    torch.Size([2, 3])
    """
    return nn.Sequential(
        nn.Linear(width, width), nn.GELU(), nn.Dropout(dropout), nn.Linear(width, n_classes)
    )


def project(proj: nn.ModuleList, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
    """Every modality through its projection, stacked to ``(n, M, h)``; missing ones zeroed.

    Examples
    --------
    >>> proj = projections([3, 2], hidden=4, dropout=0.0)
    >>> xs = [torch.ones(5, 3), torch.ones(5, 2)]
    >>> present = torch.tensor([[True, False]] * 5)
    >>> hs = project(proj, xs, present)
    >>> hs.shape, bool((hs[:, 1] == 0).all())
    (torch.Size([5, 2, 4]), True)
    """
    hs = torch.stack([p(x) for p, x in zip(proj, xs, strict=True)], dim=1)
    return hs * present.unsqueeze(-1)


def masked_mean(parts: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``parts`` ``(n, M, h)`` averaged with ``weights`` ``(n, M)`` renormalised per item.

    Weights of missing modalities are expected to be zero; an item with no weight at all gets
    zeros rather than NaN.
    """
    total = weights.sum(dim=1, keepdim=True).clamp_min(1e-12)
    return (parts * (weights / total).unsqueeze(-1)).sum(dim=1)
