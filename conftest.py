"""Context for the docstring examples (run by ``pytest --doctest-modules``).

Examples that talk about ``session`` or ``labeler`` get a real, small session on the sample set
(weight-free encoders, a dozen labels so a model exists) in a temporary working directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "tests"))  # the tests' helper modules (_postgres)

os.environ.setdefault("HF_HUB_OFFLINE", "1")

_FAST = {"text": "hashing", "image": "pixels", "audio": "logmel"}
_CATEGORIES = ["animals", "food", "vehicles"]


@pytest.fixture(autouse=True)
def _doctest_context(request, tmp_path_factory, monkeypatch):
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    namespace = request.getfixturevalue("doctest_namespace")
    work = tmp_path_factory.mktemp("doctest")
    monkeypatch.chdir(work)
    namespace["tmp_path"] = work
    source = "\n".join(example.source for example in request.node.dtest.examples)
    if "pg_url" in source:  # a PostgreSQL store's examples run against the tests' server
        namespace["pg_url"] = request.getfixturevalue("pg_server").url(task=None)
    opened = []
    if "session" in source or "labeler" in source:
        import mmwidgets as mm

        df = mm.load_sample()
        df = df[df["category"].isin(_CATEGORIES)].groupby("category").head(15)
        session = mm.Session(
            df,
            labels=_CATEGORIES,
            id="id",
            text="text",
            image="image",
            audio=["speech", "sound"],
            store=work / "labels.sqlite",
            encoders=_FAST,
            cache_dir=tmp_path_factory.getbasetemp() / "doctest-embeddings",
            progress=False,
            background=False,
        )
        truth = df.set_index("id")["category"]
        for item in session.queue(12):
            session.label(item.id, truth[item.id])
        namespace["session"] = session
        opened.append(session)
        if "labeler" in source:
            namespace["labeler"] = mm.Labeler(session)
            opened.append(namespace["labeler"])
    yield
    for thing in reversed(opened):
        thing.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One throwaway PostgreSQL cluster for the whole run (tests use distinct tasks)."""
    from _postgres import ThrowawayPostgres

    server = ThrowawayPostgres()
    yield server
    server.close()
