"""The base of every mmwidgets widget: its bundled front end, and request/reply dispatch."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import anywidget

from mmwidgets.exceptions import BundleMissingError, MMWidgetsError
from mmwidgets.widgets._protocol import ProtocolError, error_reply, parse_request, reply

__all__ = ["STATIC", "BundleMissingError", "Handler", "Outbox", "RequestWidget", "bundle_path"]

log = logging.getLogger("mmwidgets.widgets")

#: where ``node js/build.mjs`` writes the front-end bundles
STATIC = Path(__file__).resolve().parent.parent / "static"


def bundle_path(entry: str) -> Path:
    """The built bundle of a widget entry, e.g. ``"labeler.js"``.

    Raises
    ------
    BundleMissingError
        When the bundle is missing, saying how to build it.

    Examples
    --------
    >>> bundle_path("labeler.js").name
    'labeler.js'
    """
    path = STATIC / entry
    if not path.is_file():
        raise BundleMissingError(
            f"the widget front end {path} is missing: this looks like a source checkout whose "
            "JavaScript was never built. Run `make setup` (or `npm ci && node js/build.mjs`) "
            "in the repository root, then restart the kernel."
        )
    return path


class Outbox:
    """The binary buffers of one message; results refer to them by index.

    Examples
    --------
    >>> out = Outbox()
    >>> out.add(b"png bytes"), out.add(b"ogg bytes")
    (0, 1)
    """

    def __init__(self) -> None:
        self.buffers: list[bytes] = []

    def add(self, data: bytes) -> int:
        """Append a buffer; returns its index."""
        self.buffers.append(data)
        return len(self.buffers) - 1


#: a request handler: (arguments, outbox for buffers) -> JSON-able result
Handler = Callable[[dict[str, Any], Outbox], Mapping[str, Any]]


class RequestWidget(anywidget.AnyWidget):
    """An anywidget whose front end is a bundle in ``mmwidgets/static`` and asks for things.

    Subclasses set ``_entry`` (the bundle's file name) and register one handler per request
    kind with :meth:`_handle`. A handler's result goes back as the reply; an exception goes
    back as ``{error}`` in words, to be shown in the widget, never swallowed. A request's binary
    buffers, when it has any, reach the handler as ``args["_buffers"]``.

    Examples
    --------
    >>> class Echo(RequestWidget):
    ...     _entry = "item_view.js"  # any built bundle
    ...     def __init__(self):
    ...         super().__init__()
    ...         self._handle("item", lambda args, out: {"echo": args})
    >>> Echo()._handlers["item"]({"x": 1}, [])
    {'echo': {'x': 1}}
    """

    _entry: ClassVar[str]
    _esm: str  # set per instance, so a missing bundle fails at construction, not at import

    def __init__(self, **traits: Any) -> None:
        # Read here rather than as a class-level Path: anywidget resolves class attributes at
        # import time, and a missing bundle should give the error above, when it is used.
        self._esm = bundle_path(self._entry).read_text(encoding="utf-8")
        super().__init__(**traits)
        self._handlers: dict[str, Handler] = {}
        self.on_msg(self._on_message)

    def _handle(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def _on_message(self, _widget: object, content: object, buffers: Sequence[bytes]) -> None:
        try:
            kind, request_id, args = parse_request(content)
        except ProtocolError as e:
            log.warning("ignored a malformed widget message: %s", e)
            return
        # binary parts of a request (e.g. a map selection as int32) reach its handler here
        args.pop("_buffers", None)
        if buffers:
            args["_buffers"] = list(buffers)
        handler = self._handlers.get(kind)
        if handler is None:
            self.send(error_reply(request_id, f"{type(self).__name__} does not handle {kind!r}"))
            return
        out = Outbox()
        try:
            result = handler(args, out)
        except Exception as e:  # reported to the widget, which shows it; the kernel goes on
            log.debug("widget request %s failed", kind, exc_info=True)
            self.send(error_reply(request_id, _describe(e)))
            return
        self.send(reply(request_id, result), out.buffers)


def _describe(error: Exception) -> str:
    if isinstance(error, MMWidgetsError | KeyError):
        return str(error)
    return f"{type(error).__name__}: {error}"
