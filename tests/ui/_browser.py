"""Headless Chromium for UI tests, and the console watch that fails a test on any browser error."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright

# Debian's chromium: Playwright's own browser download does not work on these machines.
CHROMIUM = os.environ.get("MMWIDGETS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Console messages that are known to be harmless, as regular expressions searched in the text.
# Empty on purpose: the JupyterLab settings in _jupyter.py switch off everything that failed
# offline. Add an entry only with the reason beside it, or use the `allow_console_errors` marker.
ALLOWED_CONSOLE_ERRORS: tuple[str, ...] = ()


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch headless Chromium; every ``launch`` gets a fresh temporary profile (user-data-dir)."""
    if not os.path.exists(CHROMIUM):
        raise FileNotFoundError(
            f"no Chromium at {CHROMIUM}: `apt-get install chromium` (or set MMWIDGETS_CHROMIUM)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


class BrowserConsoleError(AssertionError):
    """The page logged ``console.error`` messages or threw uncaught errors."""


@dataclass
class ConsoleWatch:
    """Records a page's console and uncaught errors; ``check()`` raises on unexpected errors.

    Examples
    --------
    ::

        watch = ConsoleWatch().attach(page)
        page.evaluate("console.error('boom')")
        watch.check()  # raises BrowserConsoleError naming 'boom'
    """

    allow: tuple[str, ...] = ALLOWED_CONSOLE_ERRORS
    log: list[str] = field(default_factory=list)  # every message, for failure reports
    errors: list[str] = field(default_factory=list)  # errors that no allow pattern matched
    _checked: int = 0

    def attach(self, page: Page) -> ConsoleWatch:
        page.on("console", self._on_console)
        page.on("pageerror", self._on_page_error)
        page.on("crash", lambda _: self._error("page crashed"))
        return self

    def allowing(self, patterns: Iterable[str]) -> ConsoleWatch:
        self.allow = (*self.allow, *patterns)
        return self

    def _on_console(self, message: ConsoleMessage) -> None:
        where = f"{message.location.get('url')}:{message.location.get('lineNumber')}"
        text = f"console.{message.type}: {message.text}  ({where})"
        self.log.append(text)
        if message.type == "error":
            self._error(text)

    def _on_page_error(self, error: Error) -> None:
        text = f"uncaught {error.name}: {error.message}\n{error.stack or ''}".rstrip()
        self.log.append(text)
        self._error(text)

    def _error(self, text: str) -> None:
        if not any(re.search(pattern, text) for pattern in self.allow):
            self.errors.append(text)

    def unchecked(self) -> list[str]:
        """Errors recorded since the last ``check()``."""
        return self.errors[self._checked :]

    def check(self) -> None:
        """Raise ``BrowserConsoleError`` listing the errors recorded since the last check."""
        new = self.unchecked()
        self._checked = len(self.errors)
        if new:
            listing = "\n".join(f"  - {text}" for text in new)
            raise BrowserConsoleError(f"{len(new)} browser error(s):\n{listing}")

    def clear(self) -> None:
        """Forget recorded errors (for tests that provoke errors on purpose)."""
        self.errors.clear()
        self._checked = 0
