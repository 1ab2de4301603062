"""Label-store backends by location: a path or ``sqlite:///…`` opens SQLite; others register.

A backend is one module that implements :class:`LabelStoreProtocol` and registers an opener
for its URL scheme with :func:`register_store_backend`; :func:`open_store` picks it by the
scheme of the location it is given.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from typing import TypeAlias

from mmwidgets.data._store_protocol import LabelStoreProtocol
from mmwidgets.exceptions import UnknownBackendError

__all__ = [
    "Opener",
    "list_store_backends",
    "open_store",
    "register_store_backend",
    "unregister_store_backend",
]

#: ``opener(location, labels=..., multi_label=...)`` -> a store; ``location`` is the full URL
Opener: TypeAlias = Callable[..., LabelStoreProtocol]
StoreTarget: TypeAlias = "str | os.PathLike[str] | LabelStoreProtocol"

_BACKENDS: dict[str, Opener] = {}
# modules that register the built-in backends when imported
_BUILTIN = {
    "sqlite": "mmwidgets.data.store",
    "postgresql": "mmwidgets.data._store_pg",
    "postgres": "mmwidgets.data._store_pg",
}


def register_store_backend(scheme: str) -> Callable[[Opener], Opener]:
    """Decorator: open locations ``<scheme>://…`` with the decorated function.

    Examples
    --------
    >>> from mmwidgets.data import LabelStore
    >>> @register_store_backend("sqlite-copy")
    ... def _open(location, labels=None, multi_label=None):
    ...     return LabelStore(location.split("://", 1)[1], labels, multi_label)
    >>> "sqlite-copy" in list_store_backends()
    True
    """

    def register(opener: Opener) -> Opener:
        _BACKENDS[scheme.lower()] = opener
        return opener

    return register


def unregister_store_backend(scheme: str) -> None:
    """Forget the opener registered for ``scheme`` (SQLite's stays).

    Examples
    --------
    >>> _ = register_store_backend("scratch")(lambda location, **_: None)
    >>> unregister_store_backend("scratch")
    >>> "scratch" in list_store_backends()
    False
    """
    if scheme.lower() in _BUILTIN or _BACKENDS.pop(scheme.lower(), None) is None:
        raise UnknownBackendError(f"no label-store backend of yours is registered as {scheme!r}")


def list_store_backends() -> list[str]:
    """The URL schemes a store can be opened with (``sqlite`` and ``postgresql`` always).

    Examples
    --------
    >>> "sqlite" in list_store_backends()
    True
    """
    for module in _BUILTIN.values():
        importlib.import_module(module)
    return sorted(_BACKENDS)


def open_store(
    target: StoreTarget,
    *,
    labels: Iterable[str] | None = None,
    multi_label: bool | None = None,
) -> LabelStoreProtocol:
    """The label store at ``target``: a store object (returned as is), a path, or a URL.

    A plain path (or ``sqlite:///path``) is a SQLite file; ``scheme://…`` goes to the backend
    registered for ``scheme``.

    Raises
    ------
    UnknownBackendError
        No backend is registered for the URL's scheme; the message lists those that are.

    Examples
    --------
    >>> import tempfile
    >>> store = open_store(tempfile.mkdtemp() + "/labels.sqlite", labels=["cat", "dog"])
    >>> store.labels
    ('cat', 'dog')
    >>> open_store("nosuchdb://host/db", labels=["cat"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.UnknownBackendError: no label-store backend for 'nosuchdb://...
    """
    if isinstance(target, LabelStoreProtocol):
        return target
    location = os.fspath(target)
    scheme = location.split("://", 1)[0].lower() if "://" in location else "sqlite"
    available = list_store_backends()
    if scheme not in _BACKENDS:
        raise UnknownBackendError(
            f"no label-store backend for {location!r}; registered schemes: "
            f"{', '.join(available)} (a plain path opens a SQLite file)"
        )
    return _BACKENDS[scheme](location, labels=labels, multi_label=multi_label)
