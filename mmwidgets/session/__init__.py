"""The Session: the labeling loop behind the widgets, usable headless from any script.

A thin facade over parts that each own their state (queue state, pool, trainer, evaluator,
label store); it talks to the outside through methods, the objects they return, and events.
It imports no widget code.
"""

from __future__ import annotations

from mmwidgets.session._agreement import Agreement, agreement
from mmwidgets.session._auto_audit import AutoLabelAudit
from mmwidgets.session._events import EVENT_KINDS, Event, EventHub
from mmwidgets.session._metrics import Metrics
from mmwidgets.session._pool import PoolView
from mmwidgets.session._projection import project_2d
from mmwidgets.session._review import Evaluation
from mmwidgets.session._simulate import area_under_curve
from mmwidgets.session._state import QueuedItem
from mmwidgets.session.session import Session

__all__ = [
    "EVENT_KINDS",
    "Agreement",
    "AutoLabelAudit",
    "Evaluation",
    "Event",
    "EventHub",
    "Metrics",
    "PoolView",
    "QueuedItem",
    "Session",
    "agreement",
    "area_under_curve",
    "project_2d",
]
