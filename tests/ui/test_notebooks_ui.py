"""Every notebook in notebooks/ opens in JupyterLab, runs, and its widgets render without a
console error (the headless nbclient run in tests/notebooks checks the Python side)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.ui

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))

# widget roots each notebook shows: (CSS selector, how many)
EXPECTED = {
    # the Labeler, and the same live Labeler shown again as the notebook's last cell
    "quickstart": [(".mmw-labeler", 2)],
    # the search results and the audit, each a review Gallery
    "find_and_finish": [(".mmw-gallery.mmw-review", 2), (".mmw-dashboard", 1)],
    "teaching_demo": [(".mmw-dashboard", 1)],
    "model_debugging": [
        (".mmw-dashboard", 1),
        (".mmw-gallery.mmw-review", 2),  # the confusion-cell drill-down and the suspects
        (".mmw-labeler", 1),
        (".mmw-map", 1),
    ],
}


# notebooks that end on a live widget instead of closing theirs
ENDS_LIVE = {"quickstart"}


def _cells_before_closing(path: Path) -> list[str]:
    """The notebook's code cells without its last one, which closes the widgets (if it does)."""
    nb = nbformat.read(path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    if path.stem in ENDS_LIVE:
        assert ".close()" not in code[-1], f"{path.name} should end on a live widget"
        return code
    assert ".close()" in code[-1], f"{path.name} should end by closing its widgets"
    return code[:-1]


def test_every_notebook_is_covered():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_widgets_render(notebook, path):
    nb = notebook(_cells_before_closing(path), name=path.name)
    nb.run_all(timeout=900)
    page = nb.page
    for selector, count in EXPECTED[path.stem]:
        roots = page.locator(f".jp-OutputArea-output {selector}")
        roots.first.wait_for(state="visible", timeout=60_000)
        assert roots.count() == count, f"{path.name}: {roots.count()} x {selector}"
    # nothing failed to display (ipywidgets shows these messages in place of a broken view)
    assert page.get_by_text("Error displaying widget").count() == 0
    assert page.get_by_text("Failed to load model class").count() == 0
