"""The Session's parts and the threading hazards found in review, each guarded by a test."""

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from _samples import CATEGORIES, FAST, subset_session

import mmwidgets as mm
from mmwidgets.exceptions import (
    NotReadyError,
    UnknownBackendError,
    UnknownFusionError,
    UnknownStrategyError,
)
from mmwidgets.session import _pool as pool_module
from mmwidgets.session import _projection as projection_module


@pytest.fixture(scope="module")
def subset():
    df = mm.load_sample()
    df = df[df["category"].isin(CATEGORIES)]
    return df.groupby("category").head(25).reset_index(drop=True)


def _truth(subset):
    return subset.set_index("id")["category"]


def _label(session, subset, n):
    truth = _truth(subset)
    for item in session.queue(n):
        session.label(item.id, truth[item.id])


@pytest.mark.parametrize(
    ("options", "error", "names"),
    [
        ({"fusion": "wieghted"}, UnknownFusionError, "weighted"),
        ({"strategy": "smallest_margin"}, UnknownStrategyError, "margin"),
        ({"store": "nosuchdb://host/db"}, UnknownBackendError, "sqlite"),
    ],
)
def test_a_wrong_name_fails_when_the_session_is_built_listing_valid_ones(
    subset, tmp_path, options, error, names
):
    with pytest.raises(error, match=names):
        subset_session(subset, tmp_path, background=False, **options)
    assert not (tmp_path / "labels.sqlite").exists()  # nothing was written


def test_the_model_settings_reach_every_model_the_session_trains(subset, tmp_path):
    template = mm.FusionClassifier("concat", epochs=4, hidden=16, lr=1e-2)
    with subset_session(subset, tmp_path, background=False, model=template) as s:
        _label(s, subset, 12)
        model = s.model
        assert model is not template  # clones, never the template
        assert model is not s.estimator
        assert (model.fusion, model.epochs, model.hidden, model.lr) == ("concat", 4, 16, 1e-2)
        assert list(model.classes_) == CATEGORIES  # classes come from the store
        assert not hasattr(template, "classes_")  # the user's estimator stays unfitted


def test_a_users_strategy_callable_ranks_the_queue(subset, tmp_path):
    from mmwidgets.active import Query

    calls = []

    def lowest_rows_first(*, labeled, n, proba, embeddings, class_names, multi_label, seed):
        calls.append(proba.shape)
        picks = np.flatnonzero(~labeled)[:n]
        return Query(picks, ["lowest row"] * len(picks))

    with subset_session(subset, tmp_path, background=False, strategy=lowest_rows_first) as s:
        _label(s, subset, 12)
        assert calls
        assert calls[-1] == (len(subset), len(CATEGORIES))
        queued = s.queue(3)
        assert [q.reason for q in queued] == ["lowest row"] * 3
        rows = [s.ids.index(q.id) for q in queued]
        assert rows == sorted(rows)


def test_public_refresh_racing_the_trainer_publishes_each_version_once(subset, tmp_path):
    versions = []
    with subset_session(subset, tmp_path, retrain_delay=0.0) as s:
        s.subscribe(lambda e: versions.append(e.data["version"]), kinds=["model_updated"])
        assert s.wait(timeout=120)
        _label(s, subset, 12)
        threads = [threading.Thread(target=s.refresh) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert s.wait(timeout=120), s.status()
    assert len(versions) >= 5
    assert versions == sorted(set(versions))  # no version published twice
    assert versions == list(range(versions[0], versions[0] + len(versions)))


def test_a_refit_a_callers_refresh_makes_due_runs_while_the_trainer_sleeps(subset, tmp_path):
    # found by CI: a refresh() on the caller's thread made a fresh refit due while the
    # trainer's thread slept waiting for a label, so it never ran and wait() timed out
    with subset_session(subset, tmp_path, retrain_delay=0.0, full_refit_every=1) as s:
        assert s.wait(timeout=120)
        _label(s, subset, 8)
        assert s.wait(timeout=120), s.status()
        before = s.model_version
        s.refresh()  # a warm start on this thread: with full_refit_every=1 a refit is due
        assert s.wait(timeout=60), s.status()
        assert s.model_version == before + 2  # the warm start, then the refit it made due


def test_a_slow_projection_blocks_neither_queue_nor_labels_nor_the_trainer(
    subset, tmp_path, monkeypatch
):
    entered, release = threading.Event(), threading.Event()
    real = projection_module.project_2d

    def slow_projection(fused, method="pca", seed=0):
        entered.set()
        release.wait(60)  # a UMAP of a large pool takes minutes
        return real(fused, method, seed)

    monkeypatch.setattr(projection_module, "project_2d", slow_projection)
    with subset_session(subset, tmp_path, retrain_delay=0.0) as s:
        assert s.wait(timeout=120)
        layout = threading.Thread(target=s.projection)
        layout.start()
        assert entered.wait(30)
        start = time.monotonic()
        _label(s, subset, 12)  # queue() and label() while the layout is computed
        assert s.wait(timeout=60)  # and the trainer published a model meanwhile
        assert s.model_version >= 1
        assert time.monotonic() - start < 60
        release.set()
        layout.join(30)
        assert s.projection().shape == (len(subset), 2)


def test_simulate_during_background_encoding_encodes_only_once(subset, tmp_path, monkeypatch):
    calls = []
    real = pool_module.encode_dataset

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pool_module, "encode_dataset", counting)
    with subset_session(subset, tmp_path, cache_dir=tmp_path / "fresh-cache") as s:
        curves = s.simulate("category", budget=20, seeds=1)  # right away: encoding just began
        assert int(curves["n_labels"].max()) == 20
    assert calls == []  # it waited for the background job instead of encoding again


def test_cross_validation_runs_on_its_own_thread_not_the_trainers(subset, tmp_path):
    threads = {}

    def record(event):
        threads.setdefault(event.kind, set()).add(threading.current_thread().name)

    with subset_session(subset, tmp_path, retrain_delay=0.0, metrics_every=4) as s:
        s.subscribe(record, kinds=["metrics", "model_updated"])
        _label(s, subset, 16)
        assert s.wait(timeout=120)
        deadline = time.monotonic() + 120
        while "metrics" not in threads and time.monotonic() < deadline:
            time.sleep(0.05)
        curve = s.learning_curve()
    assert threads["metrics"] == {"mmwidgets-evaluator"}
    assert threads["model_updated"] == {"mmwidgets-trainer"}
    assert curve["n_labels"].is_monotonic_increasing


def test_evaluation_reads_wait_for_the_embeddings_instead_of_raising(subset, tmp_path):
    # a script labels at once and asks for suspects before encoding has finished
    with subset_session(subset, tmp_path, cache_dir=tmp_path / "fresh-cache") as s:
        _label(s, subset, 20)
        found = s.suspected_errors(k=5)
        assert list(found.columns[:3]) == ["id", "label", "suggested"]
        assert s.metrics().n_labels == 20


def test_a_pool_not_yet_encoded_says_so_with_a_typed_error(subset):
    pool = pool_module.Pool(
        mm.Dataset.from_pandas(subset, id="id", text="text"),
        encoders=FAST, cache_dir=None, progress=False,
    )  # fmt: skip
    with pytest.raises(NotReadyError, match="still being computed"):
        pool.view()
    assert issubclass(NotReadyError, TimeoutError)


def test_a_script_that_never_closes_its_session_exits_cleanly(tmp_path):
    script = textwrap.dedent(
        f"""
        import time
        import mmwidgets as mm
        df = mm.load_sample()
        df = df[df["category"].isin({CATEGORIES!r})].groupby("category").head(20)
        s = mm.Session(df, labels={CATEGORIES!r}, id="id", text="text", image="image",
                       audio=["speech", "sound"], store={str(tmp_path / "l.sqlite")!r},
                       encoders={FAST!r}, progress=False, retrain_delay=0.0,
                       model=mm.FusionClassifier(epochs=300))
        truth = df.set_index("id")["category"]
        assert s.wait(timeout=120)
        for item in s.queue(12):
            s.label(item.id, truth[item.id])
        deadline = time.monotonic() + 120
        while not s.status()["evaluating"] and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.5)  # the evaluator's cross-validation is at work in torch
        print("labeled", s.status()["evaluating"], flush=True)
        # no close(): the interpreter exits while the background threads still run
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert "labeled True" in done.stdout, done.stderr
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr
