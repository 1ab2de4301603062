"""Debugging a model on real data: planted label errors, re-checks, ablation, drill-down."""

import numpy as np
import pytest
from _samples import CATEGORIES, subset_session

import mmwidgets as mm
from mmwidgets.encoders import default_cache_dir
from mmwidgets.session.cli import sample_session


@pytest.mark.slow
def test_planted_label_errors_are_found(tmp_path):
    """Flip 5 % of 300 labels on the whole sample set (pretrained encoders); cleanlab finds them."""
    with sample_session(tmp_path / "labels.sqlite", cache_dir=str(default_cache_dir())) as s:
        truth = s.dataset.frame.set_index("id")["category"].astype(str)
        rng = np.random.default_rng(0)
        chosen = [str(i) for i in rng.choice(sorted(s.dataset.ok_ids), 300, replace=False)]
        labels = {i: truth[i] for i in chosen}
        flipped = {str(i) for i in rng.choice(chosen, 15, replace=False)}
        for i in flipped:
            others = [c for c in s.labels if c != truth[i]]
            labels[i] = others[int(rng.integers(len(others)))]
        s.label_many(labels)
        suspects = s.suspected_errors()
        assert len(suspects) > 0
        assert set(suspects["id"]) <= set(chosen)
        # every suspect's stored label really is what the frame says it is
        assert all(
            labels[i] == lab for i, lab in zip(suspects["id"], suspects["label"], strict=True)
        )
        assert (suspects["suggested"] != suspects["label"]).all()
        assert suspects["quality"].is_monotonic_increasing  # most suspicious first
        recall = {
            k: len(set(suspects["id"][:k]) & flipped) / len(flipped)
            for k in (len(flipped), 2 * len(flipped), len(suspects))
        }
        print(f"\nplanted-error recall at k: {recall} ({len(suspects)} flagged of 300)")
        assert recall[2 * len(flipped)] >= 0.5
        row = suspects.iloc[0]
        assert row["reason"] == (
            f"labeled {row['label']}, model says {row['suggested']} (p={row['p_suggested']:.2f})"
        )


@pytest.fixture
def session(tmp_path):
    df = mm.load_sample()
    df = df[df["category"].isin(CATEGORIES)].groupby("category").head(30).reset_index(drop=True)
    s = subset_session(df, tmp_path, background=False)
    truth = df.set_index("id")["category"]
    s.label_many({q.id: truth[q.id] for q in s.queue(40)})
    yield s
    s.close()


def test_recheck_puts_labeled_items_first_and_a_new_label_replaces_the_old(session):
    labeled = list(session.store.labeled_ids())[:3]
    assert session.recheck(labeled) == 3
    front = session.queue(3)
    assert [q.id for q in front] == [str(i) for i in labeled]
    assert all(q.reason == "re-check: chosen for review" for q in front)
    old = session.store.get(labeled[0])
    new = next(c for c in CATEGORIES if c != old)
    session.label(labeled[0], new)  # corrected
    assert session.store.get(labeled[0]) == new
    session.skip(labeled[1])  # skipping a re-check keeps the stored label
    assert session.store.get(labeled[1]) is not None
    assert str(labeled[1]) not in session.store.skipped()
    assert [q.id for q in session.queue(1)] == [str(labeled[2])]


def test_recheck_of_suspects_carries_their_reasons(session):
    suspects = session.suspected_errors(k=5)
    n = session.recheck(suspects)
    assert n == len(suspects)
    if n:
        assert session.queue(1)[0].reason == "re-check: " + suspects["reason"].iloc[0]


def test_ablation_and_confusion_cells_agree_with_the_metrics(session):
    metrics = session.metrics()
    table = session.modality_ablation()
    assert list(table["masked"]) == ["none", *session.embeddings().X]
    assert table["accuracy"].iloc[0] == metrics.accuracy
    assert np.allclose(table["accuracy_drop"], metrics.accuracy - table["accuracy"])
    total = 0
    for i, true in enumerate(CATEGORIES):
        for j, predicted in enumerate(CATEGORIES):
            ids = session.confusion_items(true, predicted)
            assert len(ids) == metrics.confusion[i, j]
            assert all(session.store.get(x) == true for x in ids)
            total += len(ids)
    assert total == len(session.store)
    with pytest.raises(KeyError, match="'cows' is not one of the labels"):
        session.confusion_items("cows", "food")


def test_dashboard_shows_the_session_metrics_and_drills_down(session):
    dash = mm.Dashboard(session)
    try:
        dash.refresh()
        data = dash.data
        metrics = session.metrics().as_dict()
        for key in ("accuracy", "macro_f1", "macro_precision", "macro_recall"):
            assert data["metrics"][key] == pytest.approx(metrics[key])
        assert data["metrics"]["confusion"] == metrics["confusion"]
        assert data["metrics"]["per_class"] == metrics["per_class"]
        assert data["counts"] == session.label_counts()
        assert sum(data["counts"].values()) == 40
        assert [r["masked"] for r in data["ablation"]] == list(session.modality_ablation().masked)
        assert "weights" not in data  # learned fusion weights are not shown as importance
        assert data["importance"] == {
            r["masked"]: pytest.approx(r["accuracy_drop"])
            for r in data["ablation"]
            if r["masked"] != "none"
        }
        assert data["model_choice"]["reason"] == metrics["model_choice"]["reason"]
        assert data["calibration"]["temperature"] == pytest.approx(metrics["temperature"])
        # a confusion cell opens exactly its items in a review Gallery, pre-assigned their label
        true, predicted = "animals", "animals"
        n = dash.open_cell(true, predicted)
        assert n == len(session.confusion_items(true, predicted))
        gallery = dash.gallery
        assert gallery is not None
        assert gallery.mode == "review"
        assert gallery.remaining == n
        assert dash.children == (dash.panel, gallery)
        # a simulate() run becomes the dashed random baseline
        session.simulate("category", budget=20, seeds=1, strategies=["random"])
        dash.refresh()
        assert [p["n_labels"] for p in dash.data["baseline"]] == [10.0, 20.0]
    finally:
        dash.close()
    assert dash.gallery is None


def test_review_gallery_saves_confirmations_and_corrections(session):
    ids = [str(i) for i in list(session.store.labeled_ids())[:4]]
    gallery = mm.Gallery(session, items=ids, n=10)
    try:
        before = len(session.store.history())
        gallery._label_many({"labels": {ids[0]: "food", ids[1]: session.store.get(ids[1])}}, None)
        assert session.store.get(ids[0]) == "food"
        assert len(session.store.history()) == before + 2  # a confirmation is recorded too
        assert gallery.remaining == 2
        with pytest.raises(mm.UnknownItemError):
            mm.Gallery(session, items=["no-such-item"])
    finally:
        gallery.close()
