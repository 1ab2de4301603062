"""The labeling widgets: thin anywidget views over a :class:`~mmwidgets.Session`.

They hold no ML logic: they mirror the session through synced traits and ask it for things
with request messages (see :mod:`mmwidgets.widgets._protocol`); their front ends are bundled
from ``js/`` into ``mmwidgets/static/`` at build time.

Examples
--------
>>> from mmwidgets.widgets import Labeler, Gallery, ItemView, Dashboard
"""

from __future__ import annotations

from mmwidgets.widgets._base import BundleMissingError
from mmwidgets.widgets.dashboard import Dashboard
from mmwidgets.widgets.embedding_map import EmbeddingMap
from mmwidgets.widgets.gallery import Gallery
from mmwidgets.widgets.item_view import ItemView
from mmwidgets.widgets.labeler import Labeler

__all__ = ["BundleMissingError", "Dashboard", "EmbeddingMap", "Gallery", "ItemView", "Labeler"]
