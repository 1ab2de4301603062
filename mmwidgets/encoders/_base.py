"""The one interface every encoder implements, and the registry that creates them by name."""

from __future__ import annotations

import functools
import os
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

import numpy as np

from mmwidgets.data import get_modality
from mmwidgets.encoders._forward import EncoderFailedError, ForwardHealth, forward_batch

__all__ = [
    "Encoder",
    "EncoderFailedError",
    "Modality",
    "ProblemCallback",
    "create_encoder",
    "list_encoders",
    "register_encoder",
    "resolve_device",
    "unregister_encoder",
]

Modality: TypeAlias = str
"""A registered modality's name (see :func:`mmwidgets.data.list_modalities`)."""
#: called with (row index in the input, problem text) for every row that could not be encoded
ProblemCallback = Callable[[int, str], None]

_REGISTRY: dict[tuple[str, str], type[Encoder]] = {}
DEFAULTS: dict[str, str] = {}


class Encoder(ABC):
    """Turns the values of one modality into a float32 embedding matrix.

    Subclasses set ``modality``, ``name``, ``dim`` and ``version`` and implement
    :meth:`_load` (one raw value → a decoded input, raising on bad media) and :meth:`_forward`
    (a list of decoded inputs → an ``(n, dim)`` array). :meth:`encode` does the batching, and
    turns every value that fails to load into an all-NaN row that is *reported*, never a silent
    zero. A forward that raises is retried on each half of its batch, down to single items, so
    one item the model chokes on is reported alone and the rest of the batch is encoded; an
    encoder that fails on every item raises :class:`EncoderFailedError` once instead.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("text", "hashing")
    >>> enc.encode(["a koala", "a fire truck"]).shape
    (2, 256)
    """

    modality: ClassVar[Modality]
    name: str
    dim: int
    #: changes whenever weights or preprocessing change; part of every cache key
    version: str
    batch_size: int = 32
    #: what the user asked for (``"auto"``, ``"cpu"``, ``"cuda"``); ``device`` is what it became
    device_request: str | None = None
    #: attributes never pickled (a loaded model, a lock, a closure): rebuilt by :meth:`_rebuild`
    _transient: ClassVar[tuple[str, ...]] = ("_model", "_lock")
    #: this process's record of the forwards (never pickled: each worker keeps its own)
    _health: ForwardHealth | None = None

    @abstractmethod
    def _load(self, value: Any) -> Any:
        """Decode one raw value (path, bytes, array, str); raise on bad media."""

    @abstractmethod
    def _forward(self, inputs: list[Any]) -> np.ndarray:
        """Embed a batch of decoded inputs; returns float32 ``(len(inputs), dim)``."""

    def encode(
        self, values: Sequence[Any], on_problem: ProblemCallback | None = None
    ) -> np.ndarray:
        """Embed ``values`` in input order.

        Parameters
        ----------
        values : sequence
            Raw values of this encoder's modality (text strings, image or audio paths, bytes,
            arrays...).
        on_problem : callable, optional
            Called as ``on_problem(index, problem)`` for each value that could not be encoded.
            Without it, problems are reported as warnings.

        Returns
        -------
        numpy.ndarray
            float32 array of shape ``(len(values), dim)``; rows of failed values are all NaN.

        Raises
        ------
        EncoderFailedError
            When the model fails on every item of a batch one by one and has not encoded
            anything yet (it cannot load, say), or has failed on ``2 * batch_size`` items in a
            row: a broken encoder, reported once rather than as a problem of every item.

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("text", "hashing")
        >>> bool(np.isnan(enc.encode([None], on_problem=lambda i, p: None)).all())
        True
        """
        out = np.full((len(values), self.dim), np.nan, dtype=np.float32)
        for start in range(0, len(values), self.batch_size):
            loaded: list[Any] = []
            rows: list[int] = []
            for i in range(start, min(start + self.batch_size, len(values))):
                try:
                    loaded.append(self._load(values[i]))
                    rows.append(i)
                except Exception as exc:  # any decode failure becomes a reported NaN row
                    _report(on_problem, i, f"{type(exc).__name__}: {exc}", self)
            if loaded:
                report = functools.partial(_report, on_problem, enc=self)
                health = self._forward_health()
                forward_batch(self, self._forward, health, loaded, rows, out, report)
        return out

    def _forward_health(self) -> ForwardHealth:
        if self._health is None:
            self._health = ForwardHealth()
        return self._health

    def for_column(self, column: str, cache_dir: Path | None) -> Encoder:
        """The encoder that embeds ``column`` of a dataset: this one, unless it says otherwise.

        :func:`~mmwidgets.encoders.encode_dataset` asks once per column, on the caller's
        thread, before anything is encoded. An encoder with per-column needs returns a copy
        set up for the column (the speech encoder keeps its transcripts in ``cache_dir``, the
        run's embedding cache folder, None without one), or another encoder where it cannot
        serve the column (saying why in a warning).

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("text", "hashing")
        >>> enc.for_column("caption", None) is enc
        True
        """
        return self

    def __getstate__(self) -> dict[str, Any]:
        """The encoder's settings without its model: what an executor ships to a worker.

        A worker that unpickles it loads the model on first use, on its own device.
        """
        state = dict(self.__dict__)
        for name in (*self._transient, "_health"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_model" in self._transient:
            self.__dict__["_model"] = None
        if "_lock" in self._transient:
            self.__dict__["_lock"] = threading.Lock()
        if self.device_request == "auto":  # "auto" means this machine's GPU, where it lands
            self.device = resolve_device("auto")
        self._rebuild()

    def _rebuild(self) -> None:  # noqa: B027 - a hook: most encoders have nothing to rebuild
        """Re-create what :attr:`_transient` left out, after unpickling (the device is set)."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, version={self.version!r})"
        )


def _report(callback: ProblemCallback | None, index: int, problem: str, enc: Encoder) -> None:
    if callback is not None:
        callback(index, problem)
    else:
        warnings.warn(f"{enc.name}: item {index} not encoded: {problem}", stacklevel=3)


def register_encoder(
    modality: Modality, name: str, *, default: bool = False
) -> Callable[[type[Encoder]], type[Encoder]]:
    """Class decorator: make an encoder creatable by ``create_encoder(modality, name)``.

    Parameters
    ----------
    modality : str
        A registered modality (:func:`mmwidgets.data.register_modality`).
    name : str
        The encoder's name within the modality; ``"*"`` makes it the fallback that receives
        any unregistered name (e.g. a model name) as its first argument.
    default : bool, optional
        Make it what ``create_encoder(modality)`` and ``encode_dataset`` use when no encoder
        is named.

    Raises
    ------
    UnknownModalityError
        When ``modality`` is not registered.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.encoders import Encoder, create_encoder, register_encoder
    >>> @register_encoder("text", "length")
    ... class Length(Encoder):
    ...     modality, name, dim, version = "text", "length", 1, "length-v1"
    ...     def _load(self, value): return value
    ...     def _forward(self, inputs):
    ...         return np.array([[len(s)] for s in inputs], dtype=np.float32)
    >>> create_encoder("text", "length").encode(["a cat", "a koala"]).tolist()
    [[5.0], [7.0]]
    >>> unregister_encoder("text", "length")
    """
    get_modality(modality)

    def decorate(cls: type[Encoder]) -> type[Encoder]:
        _REGISTRY[(modality, name)] = cls
        if default:
            DEFAULTS[modality] = name
        return cls

    return decorate


def unregister_encoder(modality: Modality, name: str) -> None:
    """Forget a registered encoder (and its default status), e.g. one a test registered.

    Examples
    --------
    >>> from mmwidgets.encoders import unregister_encoder
    >>> unregister_encoder("text", "no-such")
    Traceback (most recent call last):
    ...
    ValueError: no text encoder named 'no-such' is registered
    """
    _ensure_registered()
    if _REGISTRY.pop((modality, name), None) is None:
        raise ValueError(f"no {modality} encoder named {name!r} is registered")
    if DEFAULTS.get(modality) == name:
        del DEFAULTS[modality]


def _ensure_registered() -> None:
    # importing the modality modules runs their @register_encoder decorators
    from mmwidgets.encoders import audio, image, speech, text  # noqa: F401


def list_encoders(modality: Modality | None = None) -> list[str]:
    """Names of the registered encoders, as ``"modality/name"``.

    Raises
    ------
    UnknownModalityError
        When ``modality`` is given and not registered.

    Examples
    --------
    >>> from mmwidgets.encoders import list_encoders
    >>> "text/hashing" in list_encoders("text")
    True
    """
    if modality is not None:
        get_modality(modality)
    _ensure_registered()
    return sorted(f"{m}/{n}" for (m, n) in _REGISTRY if modality is None or m == modality)


def create_encoder(modality: Modality, name: str | None = None, **kwargs: Any) -> Encoder:
    """Create an encoder by modality and name (the modality's default when ``name`` is None).

    A name that is not registered is passed to the modality's default family where that makes
    sense (any sentence-transformers model for text, any timm model for images).

    Raises
    ------
    UnknownModalityError
        When ``modality`` is not registered (the message lists those that are).
    ValueError
        When no encoder of that name (or no default) is registered for the modality.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> create_encoder("image", "pixels").dim
    768
    """
    get_modality(modality)
    _ensure_registered()
    name = name or DEFAULTS.get(modality)
    if name is None:
        raise ValueError(
            f"no default {modality} encoder is registered; name one, or register one with "
            f"@register_encoder({modality!r}, 'my_encoder', default=True)"
        )
    cls = _REGISTRY.get((modality, name))
    if cls is None:
        fallback = _REGISTRY.get((modality, "*"))
        if fallback is None:
            raise ValueError(
                f"no {modality} encoder named {name!r}; registered: {list_encoders(modality)}"
            )
        return fallback(name, **kwargs)  # type: ignore[call-arg]
    return cls(**kwargs)


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` → ``"cuda"`` when a GPU is present, else ``"cpu"`` (setting torch threads).

    On the CPU torch gets ``$OMP_NUM_THREADS`` threads where that is set (as Dask sets it per
    worker), else one per core this process may run on.

    Examples
    --------
    >>> from mmwidgets.encoders import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(_cpu_threads())
    return device


def _cpu_threads() -> int:
    # OMP_NUM_THREADS is how a cluster gives each worker its share of the cores (Dask's
    # nanny sets it to 1 for every worker process); without it, every core we may run on
    given = os.environ.get("OMP_NUM_THREADS", "")
    return (
        int(given) if given.isdigit() and int(given) > 0 else max(1, len(os.sched_getaffinity(0)))
    )
