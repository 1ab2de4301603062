"""The Session: the labeling loop behind the widgets, usable headless from any script.

It owns all mutable state (labels, model, queue) and talks to the outside through methods and
events; it imports no widget code.
"""

from __future__ import annotations

from mmwidgets.session._events import EVENT_KINDS, Event, EventHub
from mmwidgets.session._metrics import Metrics
from mmwidgets.session._simulate import area_under_curve
from mmwidgets.session._state import QueuedItem
from mmwidgets.session.session import Session

__all__ = [
    "EVENT_KINDS",
    "Event",
    "EventHub",
    "Metrics",
    "QueuedItem",
    "Session",
    "area_under_curve",
]
