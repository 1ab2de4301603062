"""The built-in fusion modes, one module each; every one is a ``torch.nn.Module``.

==========  ====================================================================================
name        how the modalities are combined
==========  ====================================================================================
concat      concatenation of per-modality projections and the presence mask (:mod:`.concat`)
mapping     one affine map ``W_m x + b_m`` per modality into a shared space, averaged
weighted    learned softmax modality weights ``Σ w_m proj_m(x_m)`` (:mod:`.weighted`)
gated       a gated multimodal unit: per-item softmax gates over the present modalities
late        one head per modality; their probabilities averaged over present modalities
==========  ====================================================================================

Importing this package imports nothing heavy; importing a mode module imports torch. To add a
built-in mode, write one module here and add one ``"name": "module:Class"`` line to
``mmwidgets/fusion/_registry.py``; a user mode needs only ``@register_fusion("name")``.
"""

from __future__ import annotations

__all__: list[str] = []
