"""The README's "Extending mmwidgets" examples run as written, in order, in one namespace."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {heading}\n")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.S)


@pytest.fixture
def registries():
    """Undo what the examples register, so other tests see the built-ins only."""
    from mmwidgets.active import unregister_strategy
    from mmwidgets.data import unregister_modality, unregister_store_backend
    from mmwidgets.encoders import unregister_encoder
    from mmwidgets.fusion import unregister_fusion

    yield
    unregister_strategy("farthest")
    unregister_fusion("mean")
    unregister_store_backend("project")
    unregister_encoder("number", "signed")
    unregister_modality("number")


def test_the_extending_examples_run_and_do_what_they_say(tmp_path, monkeypatch, registries):
    blocks = _blocks("Extending mmwidgets")
    assert len(blocks) == 5  # setup, strategy, fusion, store backend, modality
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    from mmwidgets.active import resolve_strategy
    from mmwidgets.fusion import list_fusions

    assert resolve_strategy("farthest").needs == ("embeddings",)
    assert "mean" in list_fusions()
    assert namespace["item"].reason.endswith("from the labeled mean")
    assert (tmp_path / "labels" / "pets.sqlite").exists()
    assert (tmp_path / "fusion.sqlite").exists()
    assert namespace["model"].get_params()["fusion"] == "mean"
