"""The column-at-a-time readers of a Dataset agree with the one-cell rules they speed up."""

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from mmwidgets.data import Dataset, ModalitySpec, SchemaError, get_modality
from mmwidgets.data._cells import absent_mask, read_column
from mmwidgets.data._ids import ItemIds, id_str, id_strings
from mmwidgets.data._modalities import is_absent

ID_SOURCES = {
    "range": pd.RangeIndex(3),
    "range with a step": pd.RangeIndex(-4, 11, 5),
    "ints": pd.Series([5, -2, 7]),
    "uint64": pd.Series(np.array([0, 2**64 - 1, 9], dtype=np.uint64)),
    "bools": pd.Series([True, False, True]),
    "floats": pd.Series([1.0, 2.5, np.nan, float("inf"), -0.0]),
    "float32": pd.Series(np.array([3.0, 0.1, np.nan], dtype=np.float32)),
    "str dtype": pd.Series(["a", "", "c"]),
    "str dtype with NaN": pd.Series(["a", None, "c"]),
    "object str": pd.Series(["a", np.str_("b"), ""], dtype=object),
    "object mixed": pd.Series(["a", 3, 4.0, None, pd.NA, pd.NaT, True, b"x"], dtype=object),
    "nullable ints": pd.Series([1, None, 3], dtype="Int64"),
    "datetimes": pd.Series(pd.to_datetime(["2024-01-01", None])),
    "categorical": pd.Series(["x", None, "y"], dtype="category"),
    "str index": pd.Index(["p", "q"]),
    "float index": pd.Index([1.0, 1.5]),
}


@pytest.mark.parametrize("name", ID_SOURCES)
def test_bulk_ids_are_the_one_id_rule_applied_to_each(name):
    source = ID_SOURCES[name]
    assert id_strings(source) == [id_str(v) for v in source.tolist()]


@pytest.mark.parametrize(
    "index",
    [pd.RangeIndex(5), pd.RangeIndex(3, 30, 4), pd.RangeIndex(10, -10, -3), pd.RangeIndex(0)],
)
def test_a_range_index_finds_rows_as_a_dict_of_its_ids_would(index):
    ids = [str(v) for v in index]
    by_range, by_dict = ItemIds(ids, index), ItemIds(ids)
    keys = [*ids, "", "-", "07", "+3", " 3", "3_0", "1e1", "²", "٣", "x", str(2**70), "-0"]
    keys += [str(v) for v in range(-15, 35)]
    assert [by_range.row(k) for k in keys] == [by_dict.row(k) for k in keys]
    assert by_range.unique()
    assert by_dict.unique()


def test_repeated_ids_are_not_unique():
    assert not ItemIds(["a", "b", "a"]).unique()


OBJECT_CELLS = [
    "a",
    None,
    float("nan"),
    np.float32("nan"),
    pd.NA,
    pd.NaT,
    np.datetime64("NaT"),
    np.timedelta64("NaT"),
    decimal.Decimal("NaN"),
    0.0,
    "",
    3,
    b"",
    dt.date(2024, 1, 1),
]
ABSENT_SERIES = {
    "object": pd.Series(OBJECT_CELLS, dtype=object),
    "str": pd.Series(["a", None, ""]),
    "str with pd.NA": pd.Series(["a", None], dtype=pd.StringDtype("python")),
    "float": pd.Series([1.0, np.nan, np.inf]),
    "int": pd.Series([1, 2]),
    "bool": pd.Series([True, False]),
    "datetime": pd.Series(pd.to_datetime(["2024-01-01", None])),
    "timedelta": pd.Series(pd.to_timedelta(["1s", None])),
    "nullable float": pd.Series([1.5, None], dtype="Float64"),
    "complex": pd.Series([1 + 1j, complex("nan")]),
    "categorical": pd.Series(["x", None], dtype="category"),
    "empty": pd.Series([], dtype=object),
}


@pytest.mark.parametrize("name", ABSENT_SERIES)
def test_absent_cells_in_bulk_are_those_absent_one_by_one(name):
    series = ABSENT_SERIES[name]
    values = series.tolist()
    assert absent_mask(series, values).tolist() == [is_absent(v) for v in values]


def _read_one_by_one(spec, values):
    """The cell-by-cell reading the bulk reader replaces: (cells, problems by row)."""
    cells = [None if spec.is_missing(v) else v for v in values]
    problems = {}
    for row, value in enumerate(cells):
        problem = None if value is None else spec.problem(value)
        if problem is not None:
            problems[row] = problem
        elif value is not None and spec.normalize is not None:
            cells[row] = spec.normalize(value)
    return cells, problems


class Label(str):
    """A str subclass: not an accepted exact type, so its cells take the per-cell path."""


SPECS = {
    "text": (get_modality("text"), ["a", None, 3, "", Label("b"), np.nan, pd.NA, 2.5]),
    "image": (get_modality("image"), ["a.png", "  ", "", None, b"x", 7, np.zeros((2, 2))]),
    "audio": (get_modality("audio"), ["a.ogg", " ", (np.zeros(3), 8000), (1, 2, 3), 4, None]),
    "number": (
        ModalitySpec(
            "number",
            accepts=lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            kinds="a number",
            example="0.5",
            missing=lambda v: v == -1,
            normalize=float,
            accepted_types=(int, float),
        ),
        [1, -1, 2.5, None, True, "x", np.nan],
    ),
}


@pytest.mark.parametrize("name", SPECS)
def test_a_column_read_in_bulk_matches_reading_it_cell_by_cell(name):
    spec, values = SPECS[name]
    series = pd.Series(values, dtype=object)
    cells = read_column(spec, "c", series, [str(i) for i in range(len(values))])
    expected_cells, expected_problems = _read_one_by_one(spec, values)
    assert cells.problems == expected_problems
    assert cells.present.tolist() == [v is not None for v in expected_cells]
    for got, want in zip(cells.values, expected_cells, strict=True):
        assert got is want or (type(got) is type(want) and got == want)


def test_a_column_of_only_wrong_kinds_names_the_first_present_item():
    series = pd.Series([None, 3, 4.5], dtype=object)
    with pytest.raises(SchemaError, match=r"holds float, int values \(e\.g\. 3 for item 'b'\)"):
        read_column(get_modality("text"), "t", series, ["a", "b", "c"])


def test_the_dataset_reports_masks_values_and_rows():
    df = pd.DataFrame({"t": ["a", None, 3, "d"]}, index=[10, 20, 30, 40])
    ds = Dataset.from_pandas(df, text="t")
    assert ds.present_mask("t").tolist() == [True, False, True, True]
    assert ds.problem_mask().tolist() == [False, False, True, False]
    assert ds.column_values("t") == ["a", None, 3, "d"]
    assert [ds.row_of(i) for i in ("10", "40", "50", "010")] == [0, 3, None, None]
    ds.record_problem("40", "t", "garbled")
    assert ds.problem_mask().tolist() == [False, False, True, True]
    assert ds.presence()["t"].tolist() == [True, False, False, False]


def test_masks_and_values_are_copies():
    ds = Dataset.from_pandas(pd.DataFrame({"t": ["a", "b"]}), text="t")
    ds.present_mask("t")[:] = False
    ds.column_values("t").clear()
    assert ds.present_mask("t").tolist() == [True, True]
    assert ds.column_values("t") == ["a", "b"]
