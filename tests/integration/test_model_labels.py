"""Model labels through a real Session: propose, audit, commit, revoke; never a person's label.

The pool is planted (given embeddings): class "a" is clean, while a fifth of the items that
look like "b" are truly "c", so "b" cannot reach 0.95 and must never be committed.
"""

import numpy as np
import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets.data import MODEL_ANNOTATOR


def _planted(n=1500, width=32, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.choice(np.array(["a", "b", "c"]), n)
    look = truth.copy()
    look[(truth == "c") & (rng.random(n) < 0.35)] = "b"  # c items that look like b
    centers = {k: rng.normal(scale=3.0, size=width) for k in "abc"}
    emb = np.stack([centers[k] for k in look]) + rng.normal(size=(n, width))
    df = pd.DataFrame({"caption": [f"item {i}" for i in range(n)]})
    return df, {"caption": emb.astype(np.float32)}, pd.Series(truth, index=df.index.astype(str))


@pytest.fixture
def labeled(tmp_path):
    df, emb, truth = _planted()
    s = mm.Session(
        df, labels=["a", "b", "c"], text="caption", embeddings=emb, progress=False,
        store=tmp_path / "labels.sqlite", background=False, metrics_every=1000,
    )  # fmt: skip
    for item in s.queue(90):
        s.label(item.id, truth[item.id])
    yield s, truth
    s.close()


def _state(store):
    """Everything a revoke must give back: labels, sources, skips, disputes, per annotator."""
    cols = ["id", "label", "annotator", "source"]
    return (
        store.current()[cols].sort_values("id").to_dict("records"),
        store.annotations()[cols].sort_values(["id", "annotator"]).to_dict("records"),
        sorted(store.skipped()),
        sorted(store.disputed()),
        len(store),
    )


def test_audited_model_labels_reach_the_target_and_a_revoke_restores_the_store(labeled, tmp_path):
    s, truth = labeled
    audit = s.auto_label(0.95)
    assert len(audit.sample) > 0
    assert not audit.report()["meets"].any()  # nothing answered yet: nothing may be committed
    assert audit.commit()["committed"].sum() == 0
    # the person confirms or corrects every audit item (a Gallery page saves like this)
    s.label_many({iid: truth[iid] for iid in audit.sample["id"]})
    report = audit.report().set_index("label")
    assert list(report.index) == ["a", "b", "c"]
    assert report.loc["a", "meets"]
    assert not report.loc["b", "meets"]
    before = _state(s.store)

    committed = audit.commit().set_index("label")["committed"]
    assert committed.get("a", 0) > 100
    assert committed.get("b", 0) == 0
    model = s.auto_labels()
    assert len(model) == committed.sum()
    assert set(model["audit"]) == {audit.id}
    assert (model["model_version"] == audit.model_version).all()
    assert (model["label"].to_numpy() == truth[model["id"]].to_numpy()).mean() >= 0.95
    current = s.store.current().set_index("id")
    assert (current.loc[model["id"], "source"] == "model").all()
    assert (current.loc[model["id"], "annotator"] == MODEL_ANNOTATOR).all()
    exported = pd.read_csv(s.store.export(tmp_path / "labels.csv"), dtype=str)
    assert set(exported["source"]) == {"person", "model"}

    s.refresh()  # the model trains on people's labels only, and never queues a model label
    people = int((s.store.current()["source"] == "person").sum())
    assert s.status()["trained_on"] == people
    assert s.evaluation().n_labels == people
    assert not {q.id for q in s.queue(50)} & set(model["id"])
    sources = s.label_sources()
    assert (sources["people"], sources["model"]) == (people, len(model))
    assert sources["audits"][0]["id"] == audit.id

    assert s.revoke_auto_labels(audit.id) == len(model)
    assert _state(s.store) == before  # exactly as it was before the commit
    assert s.auto_labels().empty
    assert s.label_sources()["audits"] == []
    with pytest.raises(ValueError, match=audit.id):
        s.revoke_auto_labels(audit.id)


def test_a_persons_label_wins_over_the_models_and_is_no_disagreement(labeled):
    s, truth = labeled
    audit = s.auto_label(0.95)
    s.label_many({iid: truth[iid] for iid in audit.sample["id"]})
    audit.commit()
    item = s.auto_labels()["id"].iloc[0]
    given = s.store.get(item)
    other = next(label for label in s.labels if label != given)
    s.label(item, other)  # a person corrects a model label
    row = s.store.current().set_index("id").loc[item]
    assert (row["label"], row["source"]) == (other, "person")
    assert s.store.disputed() == []
    assert s.agreement().n_overlapped == 0  # the model is no second annotator
    assert item not in set(s.auto_labels()["id"])
    s.revoke_auto_labels(audit.id)
    assert s.store.get(item) == other  # the person's label stays


def test_the_model_annotator_name_is_reserved_and_multi_label_is_refused(tmp_path):
    df, emb, _ = _planted(n=60)
    with pytest.raises(ValueError, match="reserved"):
        mm.Session(df, labels=["a", "b", "c"], text="caption", embeddings=emb,
                   store=tmp_path / "l.sqlite", annotator=MODEL_ANNOTATOR)  # fmt: skip
    s = mm.Session(df, labels=["a", "b", "c"], text="caption", embeddings=emb, multi_label=True,
                   store=tmp_path / "m.sqlite", background=False, progress=False)  # fmt: skip
    try:
        with pytest.raises(ValueError, match="single-label"):
            s.auto_label()
    finally:
        s.close()


def test_a_batch_audit_commits_every_class_or_none_on_the_pooled_bound(labeled):
    s, truth = labeled
    audit = s.auto_label(0.9, by="batch", audit_size=60)
    assert len(audit.sample) == 60  # one random sample of all the proposals
    s.label_many({iid: truth[iid] for iid in audit.sample["id"]})
    report = audit.report().set_index("label")
    assert report.index[-1] == "(batch)"
    pooled = report.loc["(batch)"]
    assert (pooled["audit"], pooled["answered"]) == (60, 60)
    assert pooled["correct"] == report.drop("(batch)")["correct"].sum()
    assert set(report["meets"]) == {bool(pooled["meets"])}  # all classes or none
    committed = audit.commit().set_index("label")["committed"]
    model = s.auto_labels()
    assert len(model) == committed.sum()
    if pooled["meets"]:
        assert set(model["label"]) == set(audit.proposals["label"])
        assert (model["label"].to_numpy() == truth[model["id"]].to_numpy()).mean() >= 0.9
    with pytest.raises(ValueError, match="'class' or 'batch'"):
        s.auto_label(by="everything")
