"""The modality registry: what each kind of cell is, registered once and read by every layer.

A :class:`ModalitySpec` says which values a modality's cells accept, what counts as missing,
how its media load and how the browser draws it. The data layer validates DataFrames with it,
the encoders key their cache with it and the widgets pack items with it, so adding a modality is
one spec here, one encoder registered for it and nothing else. The built-in specs (text, image,
audio) live in one small module each and are registered the first time the registry is read.
"""

from __future__ import annotations

import importlib
import math
import reprlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmwidgets.exceptions import MediaError, UnknownModalityError

__all__ = [
    "RENDERERS",
    "ModalitySpec",
    "get_modality",
    "is_absent",
    "list_modalities",
    "register_modality",
    "unregister_modality",
]

RENDERERS = ("text", "image", "audio")
"""How the browser can draw a cell (``js/lib/card.js`` dispatches on these names)."""

_BUILTINS = {
    "text": "mmwidgets.data._modality_text",
    "image": "mmwidgets.data._modality_image",
    "audio": "mmwidgets.data._modality_audio",
}
_REGISTRY: dict[str, ModalitySpec] = {}
_LOCK = threading.RLock()
_LOADED = threading.Event()
_importing = False


@dataclass(frozen=True)
class ModalitySpec:
    """Everything the layers need to know about one modality.

    Parameters
    ----------
    name : str
        The modality's name, e.g. ``"image"``: the key of ``Dataset.columns``, of the encoder
        registry and of the embeddings a model is fitted on.
    accepts : callable
        ``accepts(value) -> bool`` for a present cell: whether it has a usable type (no I/O).
    kinds : str
        The accepted types in words, for messages, e.g. ``"str"``.
    example : str
        One valid cell as it would be typed, for messages, e.g. ``"'photos/cat.jpg'"``.
    column_example : str, optional
        A typical column name, for messages, e.g. ``"photo"``.
    missing : callable, optional
        ``missing(value) -> bool`` for values that mean "no value" in this modality beyond the
        universal None, NaN, ``pd.NA`` and ``pd.NaT`` (e.g. a blank path).
    normalize : callable, optional
        ``normalize(value) -> value`` applied to every accepted present cell when a dataset is
        built (e.g. ``float``); None keeps cells as given.
    hint : callable, optional
        ``hint(column, value) -> str``: extra advice when a whole column holds the wrong kind of
        values (``value`` is its first present cell); ``""`` for none.
    loader : callable, optional
        Decodes one cell, raising :class:`MediaError` when it cannot (e.g. ``load_image``);
        None for values used as they are.
    media : bool, optional
        Whether cells are media files: a ``str`` is then a path (read for its bytes by the
        embedding cache), and every present cell is decoded when a dataset is validated, its
        failures listed in ``Dataset.problems()``.
    check : callable, optional
        ``check(value, max_pixels) -> str | None``: the problem with a media cell, in words;
        None means "try :attr:`loader`".
    renderer : {"text", "image", "audio"}, optional
        How the browser draws the cells.
    accepted_types : tuple of type, optional
        Types whose every instance ``accepts`` would accept (e.g. ``(str,)`` for text): a
        column holding only these exact types is accepted without calling ``accepts`` per cell.

    Examples
    --------
    >>> spec = ModalitySpec("number", accepts=lambda v: isinstance(v, float), kinds="a float",
    ...                     example="0.5")
    >>> spec.problem("x")
    "number cell holds str 'x'; expected a float, e.g. 0.5"
    >>> spec.is_missing(float("nan")), spec.renderer
    (True, 'text')
    """

    name: str
    accepts: Callable[[object], bool]
    kinds: str
    example: str
    column_example: str = "value"
    missing: Callable[[object], bool] | None = None
    normalize: Callable[[Any], Any] | None = None
    hint: Callable[[str, object], str] | None = None
    loader: Callable[..., Any] | None = None
    media: bool = False
    check: Callable[[Any, int | None], str | None] | None = None
    renderer: str = "text"
    accepted_types: tuple[type, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"a modality name is an identifier such as 'text', got {self.name!r}")
        if self.renderer not in RENDERERS:
            raise ValueError(
                f"modality {self.name!r}: renderer must be one of {RENDERERS}, "
                f"got {self.renderer!r}"
            )
        if self.media and self.loader is None and self.check is None:
            raise ValueError(f"media modality {self.name!r} needs a loader or a check")
        if not callable(self.accepts):
            raise TypeError(f"modality {self.name!r}: accepts must be callable")

    def is_missing(self, value: object) -> bool:
        """Whether a cell means "this item lacks this modality".

        Examples
        --------
        >>> get_modality("image").is_missing("  "), get_modality("text").is_missing("  ")
        (True, False)
        """
        return is_absent(value) or (self.missing is not None and bool(self.missing(value)))

    def problem(self, value: object) -> str | None:
        """Why a present cell holds the wrong type for this modality (no I/O), else None.

        Examples
        --------
        >>> get_modality("text").problem(3)
        "text cell holds int 3; expected str, e.g. 'a cat asleep on a sofa'"
        """
        if self.accepts(value):
            return None
        return (
            f"{self.name} cell holds {type(value).__name__} {reprlib.repr(value)}; "
            f"expected {self.kinds}, e.g. {self.example}"
        )

    def decode_problem(self, value: object, max_pixels: int | None = None) -> str | None:
        """Fully decode a media cell and say what is wrong with it; None when it is fine.

        Non-media modalities have nothing to decode and always give None.

        Examples
        --------
        >>> get_modality("image").decode_problem(b"not an image")
        'cannot decode image <12 bytes>: not a recognised image format'
        >>> get_modality("text").decode_problem("anything") is None
        True
        """
        if not self.media:
            return None
        if self.check is not None:
            return self.check(value, max_pixels)
        if self.loader is None:  # __post_init__ refuses such a media spec
            return None
        try:
            self.loader(value)
        except MediaError as e:
            return str(e)
        return None


def register_modality(spec: ModalitySpec, *, replace: bool = False) -> ModalitySpec:
    """Make a modality usable everywhere: datasets, the encoder registry and the widgets.

    Once registered, ``Dataset.from_pandas(df, columns={name: column})`` accepts it and
    ``register_encoder(name, ...)`` gives it encoders.

    Parameters
    ----------
    spec : ModalitySpec
        The modality.
    replace : bool, optional
        Replace a registered modality of the same name; otherwise registering a different spec
        under a taken name raises (registering an equal spec again is a no-op).

    Returns
    -------
    ModalitySpec
        ``spec``, so that a module can keep it as a constant.

    Examples
    --------
    >>> spec = register_modality(ModalitySpec(
    ...     "rating", accepts=lambda v: isinstance(v, int), kinds="an int", example="4"))
    >>> "rating" in list_modalities()
    True
    >>> unregister_modality("rating")
    """
    if not isinstance(spec, ModalitySpec):
        raise TypeError(f"register_modality takes a ModalitySpec, got {type(spec).__name__}")
    with _LOCK:
        _ensure_builtins()
        taken = _REGISTRY.get(spec.name)
        if taken is not None and taken != spec and not replace:
            raise ValueError(
                f"modality {spec.name!r} is registered already; pass replace=True to replace it"
            )
        _REGISTRY[spec.name] = spec
    return spec


def unregister_modality(name: str) -> None:
    """Forget a registered modality (e.g. one a test registered).

    Examples
    --------
    >>> unregister_modality("no-such")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.UnknownModalityError: unknown modality 'no-such'; registered: text, ...
    """
    with _LOCK:
        get_modality(name)
        del _REGISTRY[name]


def get_modality(name: str) -> ModalitySpec:
    """The spec registered under ``name``.

    Raises
    ------
    UnknownModalityError
        When no modality has that name; the message lists the registered ones.

    Examples
    --------
    >>> get_modality("audio").renderer
    'audio'
    >>> get_modality("video")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.UnknownModalityError: unknown modality 'video'; registered: text, ...
    """
    _ensure_builtins()
    spec = _REGISTRY.get(name) if isinstance(name, str) else None
    if spec is None:
        raise UnknownModalityError(
            f"unknown modality {name!r}; registered: {', '.join(_ordered())}"
        )
    return spec


def list_modalities() -> list[str]:
    """Names of the registered modalities, built-ins first, then in registration order.

    Examples
    --------
    >>> list_modalities()[:3]
    ['text', 'image', 'audio']
    """
    _ensure_builtins()
    return _ordered()


def _ensure_builtins() -> None:
    # importing a built-in spec module registers it; done once, on the first read
    global _importing
    if _LOADED.is_set():
        return
    with _LOCK:  # re-entered (same thread) by the built-in modules' own register_modality
        if _LOADED.is_set() or _importing:
            return
        _importing = True
        try:
            for module in _BUILTINS.values():
                importlib.import_module(module)
        finally:
            _importing = False
        _LOADED.set()


def _ordered() -> list[str]:
    # built-ins keep their order even when one of their modules was imported first
    with _LOCK:
        first = [name for name in _BUILTINS if name in _REGISTRY]
        return first + [name for name in _REGISTRY if name not in _BUILTINS]


def is_absent(value: object) -> bool:
    """Whether a value is None, NaN, ``pd.NA`` or ``pd.NaT``: missing in every modality.

    Examples
    --------
    >>> is_absent(float("nan")), is_absent(None), is_absent(""), is_absent(0.0)
    (True, True, False, False)
    """
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    # Without pandas imported, ``value`` cannot be pd.NA: the encoders need not load pandas.
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NA or value is pd.NaT)
