"""Fixtures for UI tests: one JupyterLab server and one Chromium per session, a fresh page per test.

Any ``console.error`` or uncaught error in a page fails the test that owns the page. This is a
pytest plugin module: ``conftest.py`` re-exports it, and a nested pytest run (the infrastructure
test) loads it with ``pytest_plugins``. See README.md.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import Protocol

import pytest
from _browser import BrowserConsoleError, ConsoleWatch, launch_chromium
from _jupyter import JupyterServer, start_server
from _notebook import KERNEL_IDLE_TIMEOUT, Notebook, open_notebook
from playwright.sync_api import Browser, Page, sync_playwright

__all__ = [
    "PageFactory",
    "browser",
    "jupyter_server",
    "new_page",
    "notebook",
    "page",
    "pytest_configure",
    "pytest_runtest_call",
]

_WATCHES = pytest.StashKey[list[tuple[Page, ConsoleWatch]]]()
_SERVER = pytest.StashKey[JupyterServer]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "allow_console_errors(*patterns): regular expressions for browser console errors this "
        "test may log without failing (say why beside the marker)",
    )


@pytest.fixture(scope="session")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A ``jupyter lab`` on a free port, its root a temporary folder; stopped after the session."""
    server = start_server(tmp_path_factory.mktemp("jupyter"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), shared by the session; each page gets its own context."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


class PageFactory(Protocol):
    def __call__(self, *, allow: Sequence[str] = ()) -> tuple[Page, ConsoleWatch]: ...


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Make watched pages: ``page, watch = new_page()``; each in its own browser context.

    Errors on every page made here fail the test. A test that provokes errors on purpose calls
    ``watch.clear()`` after asserting on them.
    """
    marker = request.node.get_closest_marker("allow_console_errors")
    marker_patterns = tuple(marker.args) if marker else ()
    watches = request.node.stash.setdefault(_WATCHES, [])
    contexts = []

    def make(*, allow: Sequence[str] = ()) -> tuple[Page, ConsoleWatch]:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        watch = ConsoleWatch().allowing([*marker_patterns, *allow]).attach(page)
        watches.append((page, watch))
        return page, watch

    yield make
    for context in contexts:
        context.close()
    # errors after the test body ran (the call hook below reports the ones before)
    unchecked = [text for _, watch in watches for text in watch.unchecked()]
    if unchecked:
        for _, watch in watches:
            watch.check()


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """A fresh page in its own browser context; any browser error in it fails the test."""
    return new_page()[0]


@pytest.fixture
def notebook(
    page: Page, jupyter_server: JupyterServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Notebook]]:
    """Open a fresh notebook in ``page``: ``nb = notebook(["cell 1", "cell 2"])``.

    Takes ``open_notebook``'s keyword arguments; the default file name starts with the test's
    name. The test's kernels are shut down afterwards.
    """
    request.node.stash[_SERVER] = jupyter_server
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60]

    def open_(
        cells: Sequence[str] | PathLike[str],
        *,
        name: str | None = None,
        fresh_kernels: bool = True,
        timeout: float = KERNEL_IDLE_TIMEOUT,
    ) -> Notebook:
        name = name or f"{stem}-{uuid.uuid4().hex[:8]}.ipynb"
        return open_notebook(
            page, jupyter_server, cells, name=name, fresh_kernels=fresh_kernels, timeout=timeout
        )

    yield open_
    page.context.close()  # the kernel must not be torn down under a live page ("kernel died")
    jupyter_server.shutdown_kernels()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail a test whose pages logged errors; on any failure, attach screenshots and logs."""
    try:
        result = yield
    except BaseException:
        _drain_events(item)
        cache = getattr(item.config, "cache", None)  # None with -p no:cacheprovider
        _report_pages(item, cache.mkdir("ui-failures") if cache is not None else None)
        for _, watch in _watches(item):
            with contextlib.suppress(BrowserConsoleError):
                watch.check()  # listed in the report already; don't fail the teardown too
        raise
    _drain_events(item)
    for _, watch in _watches(item):
        if watch.unchecked():
            _report_pages(item, None)
            watch.check()
    return result


def _watches(item: pytest.Item) -> list[tuple[Page, ConsoleWatch]]:
    return item.stash.get(_WATCHES, [])


def _drain_events(item: pytest.Item) -> None:
    # The sync API hands over page events only inside Playwright calls: give the last ones a chance.
    for page, _ in _watches(item):
        if not page.is_closed():
            with contextlib.suppress(Exception):
                page.wait_for_timeout(50)


def _report_pages(item: pytest.Item, shots: Path | None) -> None:
    for index, (page, watch) in enumerate(_watches(item)):
        if watch.log:
            item.add_report_section("call", f"browser console (page {index})", "\n".join(watch.log))
        if shots is not None and not page.is_closed():
            path = shots / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', item.name)}-{index}.png"
            try:
                page.screenshot(path=str(path), full_page=True)
                item.add_report_section("call", f"screenshot (page {index})", str(path))
            except Exception as error:  # a crashed page must not hide the test's own failure
                item.add_report_section("call", f"screenshot (page {index})", f"failed: {error}")
    if (server := item.stash.get(_SERVER, None)) is not None:
        item.add_report_section("call", "jupyter server log (tail)", server.log_tail())
