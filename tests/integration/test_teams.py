"""A team labeling one task: three annotators' Sessions on one real PostgreSQL task (and on one
SQLite file), overlap, claims, agreement against the statistics libraries, adjudication."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
import pytest
from _samples import CATEGORIES, subset_session
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

import mmwidgets as mm
from mmwidgets.session import agreement

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def subset() -> pd.DataFrame:
    df = mm.load_sample()
    df = df[df["category"].isin(CATEGORIES)]
    return df.groupby("category").head(15).reset_index(drop=True)


def _team(subset: pd.DataFrame, tmp_path: Path, where: str, overlap: float) -> list[mm.Session]:
    return [
        subset_session(
            subset,
            tmp_path / name,
            store=where,
            annotator=name,
            overlap=overlap,
            background=False,
            model=mm.FusionClassifier(epochs=5),
        )
        for name in ("ana", "ben", "cy")
    ]


def test_a_team_shares_out_the_pool_with_the_overlap_asked_for(
    subset: pd.DataFrame, tmp_path: Path, store_location: Callable[[str], str]
) -> None:
    truth = subset.set_index("id")["category"]
    team = _team(subset, tmp_path, store_location("team"), overlap=0.3)
    needed = {item: team[0]._assignment.needed(item) for item in truth.index}
    try:
        # everyone asks for a page before anyone labels: no item is handed to two people
        # at once unless it is overlapped, and then to two at most
        pages = [{item.id for item in s.queue(8)} for s in team]
        for a, b in itertools.combinations(pages, 2):
            assert all(needed[item] == 2 for item in a & b)
        handed: dict[str, int] = {}
        for page in pages:
            for item in page:
                handed[item] = handed.get(item, 0) + 1
        assert max(handed.values()) <= 2
        # then label round-robin until the pool is used up
        for _ in range(80):
            progressed = False
            for s in team:
                item = s.next()
                if item is not None:
                    s.label(item.id, truth[item.id])
                    progressed = True
            if not progressed:
                break
        store = team[0].store
        per_item = store.annotations().groupby("id")["annotator"].nunique()
    finally:
        for s in team:
            s.close()

    assert set(per_item.index) == set(truth.index)  # the pool got labeled, every item
    assert all(per_item[item] == needed[item] for item in per_item.index)
    overlapped = sum(n == 2 for n in needed.values()) / len(needed)
    assert 0.1 < overlapped < 0.5  # the hash picks about 30 % of 60 items


def _planted() -> pd.DataFrame:
    """Three annotators, 12 items, some agreement, a missing rating: values known in advance."""
    ana = ["cat", "cat", "dog", "dog", "bird", "cat", "dog", "bird", "cat", "dog", "cat", "bird"]
    ben = ["cat", "dog", "dog", "dog", "bird", "cat", "cat", "bird", "cat", "dog", "bird", None]
    cy = ["cat", "cat", "dog", "bird", "bird", "cat", "dog", "dog", "cat", "cat", "cat", "bird"]
    rows = [
        {"id": f"i{n}", "annotator": who, "label": label}
        for who, labels in (("ana", ana), ("ben", ben), ("cy", cy))
        for n, label in enumerate(labels)
        if label is not None
    ]
    return pd.DataFrame(rows)


def test_agreement_equals_the_statistics_libraries_on_a_planted_example(
    make_store: Callable[..., Any],
) -> None:
    store = make_store(labels=("cat", "dog", "bird"))
    planted = _planted()
    for who, frame in planted.groupby("annotator"):
        store.set_batch(list(zip(frame["id"], frame["label"], strict=True)), annotator=who)
    result = agreement(store.annotations(), ["cat", "dog", "bird"])

    assert result.n_overlapped == 12
    wide = planted.pivot(index="id", columns="annotator", values="label")
    for row in result.pairs.itertuples():
        both = wide[[row.annotator_a, row.annotator_b]].dropna()
        expected = cohen_kappa_score(both[row.annotator_a], both[row.annotator_b])
        assert row.n_items == len(both)
        assert row.kappa == pytest.approx(expected)
    # by hand: ana and cy agree on 9 of 12 items; ana gives cat/dog/bird 5/4/3 times, cy
    # 6/3/3, so chance agreement is 51/144 and kappa (108 - 51) / (144 - 51)
    ana_cy = result.pairs.set_index(["annotator_a", "annotator_b"]).loc[("ana", "cy"), "kappa"]
    assert ana_cy == pytest.approx(57 / 93)

    codes = {"cat": 0, "dog": 1, "bird": 2}
    matrix = wide.apply(lambda column: column.map(codes)).to_numpy(dtype=float)
    assert result.alpha == pytest.approx(
        krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="nominal")
    )
    complete = matrix[~np.isnan(matrix).any(axis=1)].astype(int)  # the 11 items all three rated
    table, _ = aggregate_raters(complete, n_cat=3)
    assert result.fleiss_items == 11
    assert result.fleiss_kappa == pytest.approx(fleiss_kappa(table, method="fleiss"))
    dog = result.per_class.set_index("label").loc["dog"]
    binary = (matrix == 1).astype(float)
    binary[np.isnan(matrix)] = np.nan
    assert dog["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=binary.T, level_of_measurement="nominal")
    )


def test_disagreements_are_adjudicated_and_train_on_the_ruling(
    subset: pd.DataFrame, tmp_path: Path, store_location: Callable[[str], str]
) -> None:
    where = store_location("adjudicate")
    lead = subset_session(subset, tmp_path / "lead", store=where, annotator="lead",
                          background=False)  # fmt: skip
    try:
        item = subset["id"].iloc[0]
        lead.store.set(item, "food", annotator="ana")
        lead.store.set(item, "vehicles", annotator="ben")
        disputed = lead.disagreements()
        assert disputed["id"].tolist() == [item]
        assert disputed["labels"].iloc[0] == {"ana": "food", "ben": "vehicles"}
        assert disputed["reason"].iloc[0] == "ana: food · ben: vehicles"
        assert lead.label_counts()["vehicles"] == 1  # a tie trains on the latest for now

        lead.adjudicate(item, "food")
        assert lead.disagreements().empty
        assert lead.store.get(item) == "food"
        assert lead.label_counts() == {"animals": 0, "food": 1, "vehicles": 0, "clothes": 0}
        assert lead.undo().kind == "adjudicate"  # the lead's undo takes the ruling back
        assert lead.store.get(item) == "vehicles"
    finally:
        lead.close()
