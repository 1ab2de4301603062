"""A panel widget with room below it for the review Gallery it opens (drill-down)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets

from mmwidgets.widgets.gallery import Gallery

if TYPE_CHECKING:
    from mmwidgets.session import Session
    from mmwidgets.widgets._base import RequestWidget

__all__ = ["DrillDown"]


class DrillDown(ipywidgets.VBox):  # type: ignore[misc]
    """A panel (an anywidget) above an optional review :class:`Gallery`.

    The Dashboard and the EmbeddingMap are drill-downs: clicking a confusion-matrix cell or
    lassoing points opens the items behind them below the panel, ready to confirm or correct.

    Examples
    --------
    >>> class Demo(DrillDown):
    ...     pass
    """

    def __init__(self, session: Session, panel: RequestWidget, *, gallery_size: int = 24) -> None:
        super().__init__(children=(panel,))
        self.session = session
        self.panel = panel
        self.gallery: Gallery | None = None
        self.gallery_size = gallery_size

    def open_gallery(self, items: Any) -> Gallery:
        """Show ``items`` (ids, or a DataFrame with ``id``/``reason``) in a review Gallery below.

        Replaces (and closes) the Gallery opened before.
        """
        gallery = Gallery(self.session, n=self.gallery_size, items=items)
        if self.gallery is not None:
            self.gallery.close()
        self.gallery = gallery
        self.children: tuple[Any, ...] = (self.panel, gallery)
        return gallery

    def close_gallery(self) -> None:
        """Close the review Gallery, if one is open."""
        if self.gallery is not None:
            self.gallery.close()
            self.gallery = None
        self.children = (self.panel,)

    def close(self) -> None:
        """Close the panel and any Gallery it opened (the session stays open)."""
        if getattr(self, "gallery", None) is not None:
            self.close_gallery()
        if getattr(self, "panel", None) is not None:
            self.panel.close()
        super().close()
