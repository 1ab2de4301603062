"""The fusion networks (torch modules). Imported only when a model is first built.

Every network takes per-modality embeddings ``xs`` (a list of ``(n, d_m)`` tensors, zeros where
missing) and a presence mask ``present`` (``(n, M)`` bool) and returns ``(n, C)`` logits.
"""

from __future__ import annotations

import torch
from torch import nn

FUSIONS = ("concat", "mapping", "weighted", "gated", "late")


def _projection(dim_in: int, hidden: int, dropout: float) -> nn.Module:
    # LayerNorm first: encoders differ wildly in scale (unit-norm text vs raw CNN features)
    return nn.Sequential(
        nn.LayerNorm(dim_in), nn.Linear(dim_in, hidden), nn.GELU(), nn.Dropout(dropout)
    )


def _head(hidden: int, n_classes: int, dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes)
    )


def _masked_mean(parts: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``parts`` (n, M, h) averaged with ``weights`` (n, M) renormalised over present entries."""
    total = weights.sum(dim=1, keepdim=True).clamp_min(1e-12)
    return (parts * (weights / total).unsqueeze(-1)).sum(dim=1)


class FusionNet(nn.Module):
    """One module for all fusion modes; ``mode`` picks how modalities are combined."""

    def __init__(
        self,
        dims: list[int],
        n_classes: int,
        mode: str,
        hidden: int,
        dropout: float,
        multi_label: bool = False,
    ) -> None:
        super().__init__()
        self.multi_label = multi_label
        if mode not in FUSIONS:
            raise ValueError(f"unknown fusion {mode!r}; choose one of {FUSIONS}")
        self.mode = mode
        n_mod = len(dims)
        if mode == "mapping":
            # the seed design's feature mapping: one affine map W_m x + b_m into a shared space
            self.proj = nn.ModuleList(
                nn.Sequential(nn.LayerNorm(d), nn.Linear(d, hidden)) for d in dims
            )
        else:
            self.proj = nn.ModuleList(_projection(d, hidden, dropout) for d in dims)
        if mode == "concat":
            self.head = _head(hidden * n_mod + n_mod, n_classes, dropout)
        elif mode == "late":
            self.heads = nn.ModuleList(_head(hidden, n_classes, dropout) for _ in dims)
        else:
            self.head = _head(hidden, n_classes, dropout)
        if mode == "weighted":
            self.weight_logits = nn.Parameter(torch.zeros(n_mod))
        if mode == "gated":
            self.gate = nn.Linear(hidden * n_mod, n_mod)

    def modality_weights(self, present: torch.Tensor) -> torch.Tensor:
        """Per-item weights of each modality (n, M), zero for missing ones, rows sum to 1."""
        w = torch.softmax(self.weight_logits, dim=0).expand_as(present) * present
        return w / w.sum(dim=1, keepdim=True).clamp_min(1e-12)

    def gates(self, hs: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
        """Gated multimodal unit: per-item softmax gates over the present modalities."""
        scores = self.gate(hs.flatten(1)).masked_fill(~present, float("-inf"))
        return torch.softmax(scores, dim=1).nan_to_num(0.0)

    def forward(self, xs: list[torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        """Logits (n, C) of the fused prediction."""
        hs = torch.stack([p(x) for p, x in zip(self.proj, xs, strict=True)], dim=1)
        hs = hs * present.unsqueeze(-1)
        pf = present.float()
        if self.mode == "concat":
            out: torch.Tensor = self.head(torch.cat([hs.flatten(1), pf], dim=1))
        elif self.mode == "mapping":
            out = self.head(_masked_mean(hs, pf))
        elif self.mode == "weighted":
            out = self.head(_masked_mean(hs, self.modality_weights(present)))
        elif self.mode == "gated":
            out = self.head(_masked_mean(torch.tanh(hs), self.gates(hs, present)))
        if self.mode != "late":
            return out
        # late: one head per modality; average their probabilities over present modalities and
        # return logits of that average, so one loss and one predict path serve every mode
        each = torch.stack([h(hs[:, i]) for i, h in enumerate(self.heads)], dim=1)
        if self.multi_label:
            p = _masked_mean(torch.sigmoid(each), pf).clamp(1e-6, 1 - 1e-6)
            return torch.log(p) - torch.log1p(-p)
        return torch.log(_masked_mean(torch.softmax(each, dim=-1), pf).clamp_min(1e-12))
