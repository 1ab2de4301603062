"""The README's Usage cells run as written, one notebook cell each, in a real kernel."""

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

README = Path(__file__).resolve().parents[2] / "README.md"
WIDGET = "application/vnd.jupyter.widget-view+json"


def _usage_cells() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Usage\n")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


def test_the_usage_section_is_split_into_cells():
    cells = _usage_cells()
    assert len(cells) >= 5
    assert any(c.strip().startswith("mm.Labeler(") for c in cells)  # shown: a cell's last line


@pytest.mark.slow
def test_the_usage_cells_run_as_written(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in _usage_cells()])
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on any failing cell
    outputs = [cell.get("outputs", []) for cell in nb.cells]
    shown = [any(WIDGET in o.get("data", {}) for o in out) for out in outputs]
    sources = [cell.source for cell in nb.cells]
    for source, has_widget in zip(sources, shown, strict=True):
        if source.strip().startswith(("mm.Labeler(", "mm.Gallery(")):
            assert has_widget, f"no widget shown by {source.splitlines()[0]!r}"
    metrics = next(i for i, source in enumerate(sources) if "metrics()" in source)
    f1 = next(o for o in outputs[metrics] if o.get("output_type") == "execute_result")
    assert 0.0 <= float(f1["data"]["text/plain"]) <= 1.0
    exported = pd.read_csv(tmp_path / "labels.csv", dtype=str, keep_default_na=False)
    assert len(exported) == 20
