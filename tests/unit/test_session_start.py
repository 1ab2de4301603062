"""What a Session does before its first item: no torch, no per-cell work on the caller's thread."""

import subprocess
import sys
import threading

import pandas as pd
import pytest

from mmwidgets.data import Dataset, UnknownItemError
from mmwidgets.encoders import encode_dataset_async
from mmwidgets.exceptions import UnknownFusionError
from mmwidgets.fusion import check_fusion, list_fusions, register_fusion, unregister_fusion

_CONSTRUCT = """
import sys, pandas as pd
from mmwidgets import Session
df = pd.DataFrame({{"caption": ["a cat", "a dog", "a bus", "a tree"]}})
try:
    s = Session(df, labels=["a", "b"], text="caption", encoders={{"text": "hashing"}},
                store=sys.argv[1], progress=False, fusion={fusion!r})
except Exception as e:
    print(type(e).__name__, "torch" in sys.modules)
else:
    loaded = "torch" in sys.modules  # right after construction: before any thread trains
    first = s.queue(1)
    print(loaded, bool(first))
    s.close()
"""


@pytest.mark.parametrize("fusion", [None, "gated", "late"])
def test_constructing_a_session_does_not_import_torch(tmp_path, fusion):
    code = _CONSTRUCT.format(fusion=fusion)
    store = str(tmp_path / "labels.sqlite")
    done = subprocess.run(
        [sys.executable, "-c", code, store], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["False", "True"]


def test_a_bad_fusion_name_fails_at_construction_without_torch(tmp_path):
    code = _CONSTRUCT.format(fusion="wieghted")
    store = str(tmp_path / "labels.sqlite")
    done = subprocess.run(
        [sys.executable, "-c", code, store], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["UnknownFusionError", "False"]


def test_check_fusion_knows_built_in_and_registered_names():
    for name in list_fusions():
        check_fusion(name)
    with pytest.raises(UnknownFusionError, match=r"unknown fusion 'sum'.*'weighted'"):
        check_fusion("sum")
    with pytest.raises(UnknownFusionError):
        check_fusion(None)  # type: ignore[arg-type]
    register_fusion("scratch_mode")(lambda dims, n_classes, **_: None)
    try:
        check_fusion("scratch_mode")
    finally:
        unregister_fusion("scratch_mode")
    with pytest.raises(UnknownFusionError):
        check_fusion("scratch_mode")


def test_async_encoding_gathers_cells_on_its_own_thread_with_totals_known_at_once():
    df = pd.DataFrame({"t": ["a koala", None, "a bus", 3, "a tree"]})
    ds = Dataset.from_pandas(df, text="t")
    readers: list[str] = []
    read = ds.column_values

    def column_values(column: str) -> list[object]:
        readers.append(threading.current_thread().name)
        return read(column)

    ds.column_values = column_values  # type: ignore[method-assign]
    job = encode_dataset_async(ds, {"text": "hashing"}, cache=False, progress=False)
    assert job.progress()["text"][1] == 3  # None and the int 3 are not encoded
    result = job.result(timeout=60)
    assert readers == ["mmwidgets-encoding"]
    assert job.progress() == {"text": (3, 3)}
    assert result.presence[:, 0].tolist() == [True, False, True, False, True]


def test_the_first_queue_leaves_out_items_with_problems_and_finds_ids(tmp_path):
    from mmwidgets import Session

    df = pd.DataFrame(
        {"caption": ["a cat", 3, "a bus", "a tree", "a cup"]}, index=[7, 8, 9, 10, 11]
    )
    s = Session(
        df, labels=["a", "b"], text="caption", encoders={"text": "hashing"},
        store=tmp_path / "labels.sqlite", progress=False,
    )  # fmt: skip
    try:
        assert sorted(item.id for item in s.queue(5)) == ["10", "11", "7", "9"]
        s.label("9", "a")
        assert "9" not in {item.id for item in s.queue(5)}
        with pytest.raises(UnknownItemError, match="not in this session's dataset"):
            s.label("12", "a")
    finally:
        s.close()
