import doctest
import importlib
import re

import numpy as np
import pytest

import mmwidgets.active as active
from mmwidgets.active import (
    STRATEGIES,
    EmptyPoolError,
    MissingInputError,
    Query,
    ShapeMismatchError,
    UnknownStrategyError,
    cold_start,
    entropy,
    get_strategy,
    hybrid,
    k_center_greedy,
    least_confidence,
    margin,
    query,
    random_sampling,
)
from mmwidgets.data._errors import MMWidgetsError

NAMES = ["animals", "plants", "food"]


def _pool(n_items=300, n_classes=3, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(n_classes), size=n_items).astype(np.float32)
    emb = rng.normal(size=(n_items, dim)).astype(np.float32)
    return proba, emb


def _blobs(n_blobs=5, per_blob=200, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(n_blobs, dim)) * 10
    points = centers[:, None, :] + rng.normal(size=(n_blobs, per_blob, dim))
    return points.reshape(-1, dim).astype(np.float32), np.repeat(np.arange(n_blobs), per_blob)


# every strategy through one adapter, so the shared contract is tested once for all of them
def _run(name, proba, emb, labeled, n, seed=0):
    if name == "random":
        return random_sampling(labeled, n, seed=seed)
    if name in ("k_center", "cold_start"):
        kwargs = {"seed": seed} if name == "cold_start" else {}
        return STRATEGIES[name](emb, labeled, n, **kwargs)
    if name == "hybrid":
        return hybrid(proba, emb, labeled, n, seed=seed)
    return STRATEGIES[name](proba, labeled, n)


ALL = sorted(STRATEGIES)


# --- uncertainty: hand-built probabilities ------------------------------------------------------


def test_margin_prefers_the_closest_pair():
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4], [0.99, 0.01]], dtype=np.float32)
    q = margin(proba, np.zeros(4, bool), 4, class_names=["cat", "dog"])
    assert q.indices.tolist() == [1, 2, 0, 3]
    assert q.reasons[:2] == ["margin 0.00 between cat and dog", "margin 0.20 between cat and dog"]


def test_margin_uses_the_top_two_classes_only():
    # row 0 is sure about neither of its two top classes; row 1 is split three ways
    proba = np.array([[0.45, 0.43, 0.12], [0.34, 0.33, 0.33], [0.8, 0.1, 0.1]])
    q = margin(proba, np.zeros(3, bool), 3, class_names=NAMES)
    assert q.indices.tolist() == [1, 0, 2]
    assert q.reasons[1] == "margin 0.02 between animals and plants"


def test_least_confidence_ranks_by_the_top_probability():
    proba = np.array([[0.41, 0.39, 0.2], [0.9, 0.05, 0.05], [0.2, 0.6, 0.2]])
    q = least_confidence(proba, np.zeros(3, bool), 3, class_names=NAMES)
    assert q.indices.tolist() == [0, 2, 1]
    assert q.reasons == [
        "least confident: top class animals at p=0.41",
        "least confident: top class plants at p=0.60",
        "least confident: top class animals at p=0.90",
    ]


def test_entropy_ordering_and_reason():
    proba = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1], [0.8, 0.1, 0.1]])
    q = entropy(proba, np.zeros(4, bool), 4)
    assert q.indices.tolist() == [1, 2, 3, 0]
    assert q.reasons[0] == "entropy 1.10 (max 1.10)"
    assert q.reasons[-1] == "entropy 0.00 (max 1.10)"  # a one-hot row scores 0, not NaN


def test_multi_label_uncertainty_follows_the_label_nearest_one_half():
    proba = np.array([[0.9, 0.05, 0.99], [0.97, 0.52, 0.01], [0.3, 0.8, 0.9]], dtype=np.float32)
    mask = np.zeros(3, bool)
    for strategy in (least_confidence, margin, entropy):
        q = strategy(proba, mask, 3, class_names=NAMES, multi_label=True)
        assert q.indices[0] == 1 if strategy is not entropy else q.indices[0] == 2
    assert margin(proba, mask, 1, class_names=NAMES, multi_label=True).reasons == [
        "margin 0.04 on plants (p=0.52)"
    ]
    assert least_confidence(proba, mask, 1, class_names=NAMES, multi_label=True).reasons == [
        "least confident: plants at p=0.52"
    ]
    assert re.fullmatch(
        r"mean label entropy 0\.\d\d \(max 0\.69\)",
        entropy(proba, mask, 1, multi_label=True).reasons[0],
    )


def test_multi_label_accepts_one_column():
    proba = np.array([[0.1], [0.45], [0.8]])
    assert margin(proba, np.zeros(3, bool), 1, multi_label=True).indices.tolist() == [1]
    with pytest.raises(ShapeMismatchError) as err:
        margin(proba, np.zeros(3, bool), 1)
    assert err.value.argument == "proba"


def test_ties_go_to_the_lower_index():
    proba = np.full((6, 2), 0.5, dtype=np.float32)
    labeled = np.array([False, True, False, False, False, False])
    assert margin(proba, labeled, 3).indices.tolist() == [0, 2, 3]


def test_uncertainty_scores_agree_across_chunk_boundaries(monkeypatch):
    proba, _ = _pool(n_items=1000, n_classes=4)
    labeled = np.zeros(1000, bool)
    labeled[::7] = True
    expected = {
        name: STRATEGIES[name](proba, labeled, 25).indices for name in ("margin", "entropy")
    }
    uncertainty = importlib.import_module("mmwidgets.active._uncertainty")
    monkeypatch.setattr(uncertainty, "_chunk_rows", lambda width: 37)
    for name, indices in expected.items():
        np.testing.assert_array_equal(STRATEGIES[name](proba, labeled, 25).indices, indices)
    brute = np.sort(proba, axis=1)
    gap = brute[:, -1] - brute[:, -2]
    gap[labeled] = np.inf
    assert set(expected["margin"].tolist()) == set(np.argsort(gap, kind="stable")[:25].tolist())


# --- the contract every strategy keeps ----------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_picks_are_unique_unlabeled_int64_with_one_reason_each(name):
    proba, emb = _pool()
    labeled = np.zeros(len(proba), bool)
    labeled[::3] = True
    q = _run(name, proba, emb, labeled, 20)
    assert isinstance(q, Query)
    assert q.indices.dtype == np.int64
    assert len(q) == 20 == len(q.reasons)
    assert len(set(q.indices.tolist())) == 20
    assert not labeled[q.indices].any()
    assert all(isinstance(r, str) and r for r in q.reasons)
    assert q.strategy == name


@pytest.mark.parametrize("name", ALL)
def test_n_larger_than_the_pool_returns_every_unlabeled_item(name):
    proba, emb = _pool(n_items=12)
    labeled = np.zeros(12, bool)
    labeled[[0, 5, 6]] = True
    q = _run(name, proba, emb, labeled, 50)
    assert sorted(q.indices.tolist()) == np.flatnonzero(~labeled).tolist()


@pytest.mark.parametrize("name", ALL)
def test_empty_pool_error_when_everything_is_labeled(name):
    proba, emb = _pool(n_items=8)
    with pytest.raises(EmptyPoolError, match="all 8 items are labeled"):
        _run(name, proba, emb, np.ones(8, bool), 3)


@pytest.mark.parametrize("name", ALL)
def test_same_seed_same_picks(name):
    proba, emb = _pool()
    labeled = np.zeros(len(proba), bool)
    first = _run(name, proba, emb, labeled, 10, seed=7)
    again = _run(name, proba, emb, labeled, 10, seed=7)
    np.testing.assert_array_equal(first.indices, again.indices)
    assert first.reasons == again.reasons


def test_different_seeds_draw_different_random_picks():
    picks = {tuple(random_sampling(10_000, 5, seed=s).indices.tolist()) for s in range(5)}
    assert len(picks) == 5


@pytest.mark.parametrize("name", ["k_center", "cold_start", "hybrid"])
def test_nan_embedding_rows_are_never_picked(name):
    proba, emb = _pool(n_items=200)
    broken = np.arange(0, 200, 4)
    emb[broken] = np.nan
    proba[broken] = [0.34, 0.33, 0.33]  # the most uncertain rows are the broken ones
    emb[1] = np.inf
    labeled = np.zeros(200, bool)
    labeled[[2, 3]] = True
    q = _run(name, proba, emb, labeled, 150)
    assert not set(q.indices.tolist()) & {*broken.tolist(), 1}
    assert len(q) == 200 - len(broken) - 1 - 2


@pytest.mark.parametrize("name", ["margin", "least_confidence", "entropy", "hybrid"])
def test_nan_probability_rows_are_never_picked(name):
    proba, emb = _pool(n_items=50)
    proba[[4, 9]] = np.nan
    q = _run(name, proba, emb, np.zeros(50, bool), 50)
    assert len(q) == 48
    assert not {4, 9} & set(q.indices.tolist())


def test_empty_pool_error_says_when_the_rest_has_no_usable_embedding():
    _, emb = _pool(n_items=6)
    labeled = np.array([True, True, False, False, True, True])
    emb[[2, 3]] = np.nan
    for strategy in (k_center_greedy, cold_start):
        with pytest.raises(EmptyPoolError, match="2 unlabeled items remain but none"):
            strategy(emb, labeled, 2)
    with pytest.raises(EmptyPoolError):
        query("random", embeddings=emb, labeled=labeled, n=2)


def test_shape_errors_name_the_argument():
    proba, emb = _pool(n_items=10)
    labeled = np.zeros(10, bool)
    cases = [
        (lambda: margin(proba[:9], labeled, 2), "proba"),
        (lambda: margin(proba[0], labeled, 2), "proba"),
        (lambda: margin(proba, labeled, 2, class_names=["a", "b"]), "class_names"),
        (lambda: k_center_greedy(emb[:9], labeled, 2), "embeddings"),
        (lambda: hybrid(proba, emb[:, :, None], labeled, 2), "embeddings"),
        (lambda: cold_start(emb, labeled[None, :], 2), "labeled"),
    ]
    for call, argument in cases:
        with pytest.raises(ShapeMismatchError) as err:
            call()
        assert err.value.argument == argument
        assert argument in str(err.value)
        assert isinstance(err.value, ValueError)
        assert isinstance(err.value, MMWidgetsError)


def test_bad_arguments_raise_typed_errors():
    proba, emb = _pool(n_items=10)
    with pytest.raises(TypeError, match="boolean mask"):
        margin(proba, np.zeros(10, int), 2)
    with pytest.raises(ValueError, match="positive"):
        margin(proba, np.zeros(10, bool), 0)
    with pytest.raises(TypeError):
        margin(proba, np.zeros(10, bool), True)
    with pytest.raises(ValueError, match="random_fraction"):
        hybrid(proba, emb, np.zeros(10, bool), 2, random_fraction=1.5)
    with pytest.raises(ValueError, match="metric"):
        k_center_greedy(emb, np.zeros(10, bool), 2, metric="manhattan")
    with pytest.raises(TypeError, match="floats"):
        k_center_greedy(np.ones((10, 3), int), np.zeros(10, bool), 2)


# --- diversity ----------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_plain_k_center_picks_the_far_away_outlier_first(metric):
    rng = np.random.default_rng(0)
    emb = (np.array([10.0, 0, 0, 0]) + rng.normal(scale=0.5, size=(100, 4))).astype(np.float32)
    emb[57] = [0.0, 0.0, 10.0, 0.0]  # another direction and far away
    labeled = np.zeros(100, bool)
    labeled[:5] = True
    q = k_center_greedy(emb, labeled, 3, metric=metric, outliers=0)
    assert q.indices[0] == 57
    assert re.fullmatch(r"far from labeled items \(distance \d+\.\d+\)", q.reasons[0])
    assert q.reasons[1].startswith("far from labeled items and earlier picks (distance ")


def test_k_center_matches_a_brute_force_greedy_across_chunks():
    rng = np.random.default_rng(1)
    emb = rng.normal(size=(70_000, 64)).astype(np.float32)  # 70k rows span three chunks
    labeled = np.zeros(len(emb), bool)
    labeled[rng.choice(len(emb), 40, replace=False)] = True
    q = k_center_greedy(emb, labeled, 6, metric="euclidean", outliers=0)
    sq = (emb.astype(np.float64) ** 2).sum(1)
    centers = emb[labeled].astype(np.float64)
    mind = np.sqrt(np.maximum(sq[:, None] - 2 * emb @ centers.T + (centers**2).sum(1), 0)).min(1)
    expected = []
    for _ in range(6):
        best = int(np.argmax(np.where(labeled, -np.inf, mind)))
        expected.append(best)
        labeled[best] = True
        mind = np.minimum(mind, np.linalg.norm(emb - emb[best], axis=1))
    assert q.indices.tolist() == expected


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_k_center_covers_a_far_cluster_first_and_a_lone_outlier_last(metric):
    rng = np.random.default_rng(0)
    near = np.array([10.0, 0, 0, 0]) + rng.normal(scale=0.5, size=(100, 4))
    far = np.array([0.0, 10.0, 0, 0]) + rng.normal(scale=0.5, size=(30, 4))
    emb = np.vstack([near, far, [[0.0, 0.0, 10.0, 0.0]]]).astype(np.float32)  # 130: alone
    labeled = np.zeros(len(emb), bool)
    labeled[:5] = True
    q = k_center_greedy(emb, labeled, 3, metric=metric)
    assert 100 <= q.indices[0] < 130  # the uncovered cluster, not the lone item
    assert 130 not in q.indices
    rest = np.ones(len(emb), bool)
    rest[130] = False  # everything but the outlier is labeled: now it comes
    assert k_center_greedy(emb, rest, 2, metric=metric).indices.tolist() == [130]


def test_k_center_leaves_the_sparsest_fifth_until_the_rest_is_picked():
    rng = np.random.default_rng(3)
    emb = rng.standard_t(df=2, size=(400, 3)).astype(np.float32)  # heavy tails: outliers
    labeled = np.zeros(len(emb), bool)
    labeled[:10] = True
    # brute force: distance to the 10th nearest other item, the top fifth is sparse
    dist = np.linalg.norm(emb[:, None] - emb[None], axis=2)
    np.fill_diagonal(dist, np.inf)
    radius = np.sort(dist, axis=1)[:, 9]
    sparse = radius > np.quantile(radius, 0.8)
    q = k_center_greedy(emb, labeled, 40, metric="euclidean")
    assert not sparse[q.indices].any()
    open_dense = int((~sparse & ~labeled).sum())
    everything = k_center_greedy(emb, labeled, len(emb), metric="euclidean").indices
    assert not sparse[everything[:open_dense]].any()  # dense first, then the outliers
    assert sparse[everything[open_dense:]].all()
    plain = k_center_greedy(emb, labeled, 40, metric="euclidean", outliers=0)
    assert sparse[plain.indices].mean() > 0.5  # what the guard is for


def test_k_center_guard_holds_on_a_pool_past_its_full_reference_sample():
    # 150k rows: the reference sample shrinks and one neighbour is asked (a plain min)
    rng = np.random.default_rng(5)
    emb = rng.normal(size=(150_000, 8)).astype(np.float32)
    emb[:40] *= 8  # forty far-flung items
    labeled = np.zeros(len(emb), bool)
    labeled[-20:] = True
    assert (k_center_greedy(emb, labeled, 5, metric="euclidean", outliers=0).indices < 40).all()
    assert not (k_center_greedy(emb, labeled, 5, metric="euclidean").indices < 40).any()


def test_k_center_without_labels_starts_from_the_most_central_item():
    emb, _ = _blobs(n_blobs=3, per_blob=50)
    q = k_center_greedy(emb, np.zeros(len(emb), bool), 3)
    assert q.reasons[0] == "most central item (nothing labeled yet)"
    assert q.reasons[1].startswith("far from earlier picks (distance ")


def test_float16_embeddings_are_read_without_error():
    emb, blob = _blobs(n_blobs=4, per_blob=30)
    q = cold_start(emb.astype(np.float16), np.zeros(len(emb), bool), 4, seed=0)
    assert len(set(blob[q.indices].tolist())) == 4


# --- cold start ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_cold_start_first_picks_cover_distinct_blobs(seed):
    emb, blob = _blobs(seed=seed)
    q = cold_start(emb, np.zeros(len(emb), bool), 5, seed=seed)
    assert sorted(blob[q.indices].tolist()) == [0, 1, 2, 3, 4]
    for reason in q.reasons:
        assert re.fullmatch(r"cluster \d+ has no label yet \(\d+ items\)", reason)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_cold_start_skips_clusters_that_already_have_a_label(metric):
    emb, blob = _blobs()
    labeled = np.zeros(len(emb), bool)
    labeled[[0, 1, 2, 450]] = True  # blobs 0 and 2 have labels
    q = cold_start(emb, labeled, 3, seed=0, metric=metric)
    assert sorted(blob[q.indices].tolist()) == [1, 3, 4]


def test_cold_start_picks_typical_items_and_falls_back_to_far_ones():
    emb, blob = _blobs(n_blobs=3, per_blob=100)
    q = cold_start(emb, np.zeros(len(emb), bool), 5, seed=0, n_clusters=3)
    for i, b in zip(q.indices[:3], blob[q.indices[:3]], strict=True):
        members = emb[blob == b]
        center = members.mean(0) / np.linalg.norm(members.mean(0))
        cos = members @ center / np.linalg.norm(members, axis=1)
        assert cos.max() - emb[i] @ center / np.linalg.norm(emb[i]) < 0.01
    assert q.reasons[3].startswith("far from labeled items and earlier picks (distance ")


def test_cold_start_cluster_sizes_in_reasons_are_largest_first():
    emb, _ = _blobs(n_blobs=3, per_blob=100)
    emb = np.concatenate([emb, emb[:100] + 0.01])  # blob 0 now holds 200 items
    q = cold_start(emb, np.zeros(len(emb), bool), 3, seed=0)
    sizes = [int(re.search(r"\((\d+) items\)", r).group(1)) for r in q.reasons]
    assert sizes == sorted(sizes, reverse=True)
    assert q.reasons[0] == "cluster 0 has no label yet (200 items)"


# --- hybrid -------------------------------------------------------------------------------------


def _planted_duplicates():
    proba, emb = _pool(n_items=400, n_classes=2, dim=32, seed=3)
    proba[:, 0] = np.linspace(0.99, 0.6, 400)
    proba[:, 1] = 1 - proba[:, 0]
    # the 20 most uncertain items are 10 pairs of exact copies, the most uncertain ones on top
    order = np.arange(399, 379, -1)
    for a, b in zip(order[::2], order[1::2], strict=True):
        emb[b] = emb[a]
    return proba, emb, order


def test_hybrid_never_puts_two_copies_in_one_batch():
    proba, emb, order = _planted_duplicates()
    pairs = [set(p) for p in zip(order[::2].tolist(), order[1::2].tolist(), strict=True)]
    for seed in range(20):
        q = hybrid(proba, emb, np.zeros(400, bool), 20, seed=seed)
        picked = set(q.indices.tolist())
        assert all(len(pair & picked) < 2 for pair in pairs), seed
        unit = emb[q.indices] / np.linalg.norm(emb[q.indices], axis=1, keepdims=True)
        cos = unit @ unit.T
        np.fill_diagonal(cos, 0)
        assert cos.max() < 0.95


def test_hybrid_without_random_checks_is_diverse_margin_order():
    proba, emb, order = _planted_duplicates()
    q = hybrid(proba, emb, np.zeros(400, bool), 10, random_fraction=0)
    assert q.indices.tolist() == order[::2].tolist()  # one of each pair, most uncertain first
    assert all(r.startswith("margin ") and " between class 0 and class 1" in r for r in q.reasons)


def test_hybrid_includes_random_checks_at_the_documented_rate():
    proba, emb = _pool(n_items=2000)
    labeled = np.zeros(2000, bool)
    q = hybrid(proba, emb, labeled, 20, seed=0)
    assert q.reasons.count("random check") == 2
    assert [i for i, r in enumerate(q.reasons) if r == "random check"] == [5, 15]
    q = hybrid(proba, emb, labeled, 8, random_fraction=0.25, seed=0)
    assert q.reasons.count("random check") == 2
    assert hybrid(proba, emb, labeled, 20, random_fraction=0).reasons.count("random check") == 0
    # a batch of 5 at 10% holds one check half of the time
    counts = [
        hybrid(proba, emb, labeled, 5, seed=s).reasons.count("random check") for s in range(400)
    ]
    assert set(counts) == {0, 1}
    assert 0.4 < np.mean(counts) < 0.6


def test_hybrid_random_checks_come_from_beyond_the_uncertain_candidates():
    proba, emb = _pool(n_items=5000)
    q = hybrid(proba, emb, np.zeros(5000, bool), 20, random_fraction=0.5, seed=1)
    checks = q.indices[[r == "random check" for r in q.reasons]]
    top = set(margin(proba, np.zeros(5000, bool), 200).indices.tolist())
    assert len(checks) == 10
    assert len(set(checks.tolist()) - top) >= 5  # uniform draws, mostly outside the top 4%


def test_hybrid_fills_a_batch_from_a_pool_of_copies_and_says_so():
    proba = np.array([[0.5, 0.5], [0.6, 0.4], [0.7, 0.3]])
    emb = np.ones((3, 4), dtype=np.float32)
    q = hybrid(proba, emb, np.zeros(3, bool), 3, random_fraction=0)
    assert q.indices.tolist() == [0, 1, 2]
    assert q.reasons[1].endswith("; close to another pick (distance 0.00)")


def test_hybrid_without_embeddings_still_ranks_by_margin():
    proba = np.array([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4]])
    q = hybrid(proba, None, np.zeros(3, bool), 2, random_fraction=0)
    assert q.indices.tolist() == [1, 2]


# --- registry and query -------------------------------------------------------------------------


def test_registry_names_and_unknown_name():
    assert set(STRATEGIES) == {
        "hybrid",
        "margin",
        "least_confidence",
        "entropy",
        "k_center",
        "cold_start",
        "random",
    }
    assert get_strategy("k_center") is k_center_greedy
    with pytest.raises(UnknownStrategyError, match="choose one of cold_start, entropy, hybrid"):
        get_strategy("typiclust")
    with pytest.raises(TypeError):
        STRATEGIES["mine"] = margin  # read-only


def test_query_dispatches_and_falls_back_without_a_model():
    proba, emb = _pool()
    labeled = np.zeros(len(proba), bool)
    assert query(proba=proba, embeddings=emb, labeled=labeled, n=5, seed=0).strategy == "hybrid"
    q = query("margin", proba=proba, labeled=labeled, n=5, class_names=NAMES)
    np.testing.assert_array_equal(q.indices, margin(proba, labeled, 5).indices)
    assert "between" in q.reasons[0]
    assert query("margin", embeddings=emb, labeled=labeled, n=5, seed=0).strategy == "cold_start"
    assert query(labeled=labeled, n=5, seed=0).strategy == "random"
    with pytest.raises(MissingInputError, match="k_center"):
        query("k_center", proba=proba, labeled=labeled, n=5)
    with pytest.raises(UnknownStrategyError):
        query("best", proba=proba, labeled=labeled, n=5)


def test_query_excludes_nan_embedding_rows_for_every_strategy():
    proba, emb = _pool(n_items=40)
    emb[::2] = np.nan
    labeled = np.zeros(40, bool)
    for name in ALL:
        q = query(name, proba=proba, embeddings=emb, labeled=labeled, n=40, seed=0)
        assert len(q) == 20, name
        assert (q.indices % 2 == 1).all(), name


# --- labeled versus excluded: skipped, claimed, held-out items are no covered centres -----------


@pytest.mark.parametrize("name", ALL)
def test_query_never_picks_excluded_items(name):
    proba, emb = _pool(n_items=40)
    labeled = np.zeros(40, bool)
    labeled[:5] = True
    exclude = np.zeros(40, bool)
    exclude[5::2] = True
    q = query(name, proba=proba, embeddings=emb, labeled=labeled, exclude=exclude, n=40, seed=0)
    assert len(q) == 40 - 5 - int(exclude.sum()), name
    assert not (labeled | exclude)[q.indices].any(), name


def test_k_center_takes_labeled_items_for_centres_never_excluded_ones():
    # one labeled item at (1, 0); item 1 was skipped at (-1, 0); item 2 sits beside it
    emb = np.array([[1, 0], [-1, 0], [-1, 0.1], [0, 1]], dtype=np.float32)
    labeled = np.array([True, False, False, False])
    skipped = np.array([False, True, False, False])
    q = query("k_center", embeddings=emb, labeled=labeled, exclude=skipped, n=2)
    assert q.indices.tolist() == [2, 3]  # item 2 is opposite the only centre
    assert q.reasons[0] == "far from labeled items (distance 2.00)"
    # the mistake this guards against: the skipped item as a centre covers item 2
    wrong = query("k_center", embeddings=emb, labeled=labeled | skipped, n=1)
    assert wrong.indices.tolist() == [3]


def test_cold_start_counts_only_labeled_items_as_covering_their_cluster():
    emb, blob = _blobs(n_blobs=3, per_blob=40)
    skipped = np.zeros(len(emb), bool)
    skipped[blob == 0] = np.arange(40) < 3  # three skipped items in cluster 0
    labeled = np.zeros(len(emb), bool)
    labeled[np.flatnonzero(blob == 1)[0]] = True
    q = cold_start(emb, labeled, 2, exclude=skipped, seed=0, n_clusters=3)
    assert sorted(blob[q.indices].tolist()) == [0, 2]  # cluster 0 is still uncovered
    assert not skipped[q.indices].any()
    both = cold_start(emb, labeled | skipped, 2, seed=0, n_clusters=3)
    assert 0 not in blob[both.indices[:1]].tolist()  # as "labeled" they covered it


def test_exclude_is_checked_and_named_in_errors():
    proba, emb = _pool(n_items=6)
    labeled = np.array([True, True, False, False, False, False])
    with pytest.raises(TypeError, match="exclude must be a boolean mask"):
        query("margin", proba=proba, labeled=labeled, exclude=np.zeros(6), n=1)
    with pytest.raises(ShapeMismatchError, match="exclude"):
        query("margin", proba=proba, labeled=labeled, exclude=np.zeros(5, bool), n=1)
    for name in ALL:
        with pytest.raises(EmptyPoolError, match=r"labeled \(2\) or excluded \(4\)"):
            query(name, proba=proba, embeddings=emb, labeled=labeled, exclude=~labeled, n=1)
    with pytest.raises(EmptyPoolError, match=r"labeled \(2\) or excluded \(4\)"):
        k_center_greedy(emb, labeled, 1, exclude=~labeled)
    with pytest.raises(ValueError, match="outliers"):
        k_center_greedy(emb, labeled, 1, outliers=1.0)


def test_query_result_is_frozen_and_checked():
    q = Query(np.array([3, 1]), ["a", "b"], "margin")
    with pytest.raises(ValueError, match="read-only"):
        q.indices[0] = 7
    with pytest.raises(ShapeMismatchError):
        Query(np.array([3, 1]), ["a"])


def test_public_surface_is_explicit():
    assert sorted(active.__all__) == sorted(set(active.__all__))
    for name in active.__all__:
        assert getattr(active, name) is not None


@pytest.mark.parametrize(
    "module",
    [
        "mmwidgets.active",
        "mmwidgets.active._cold_start",
        "mmwidgets.active._dispatch",
        "mmwidgets.active._diversity",
        "mmwidgets.active._hybrid",
        "mmwidgets.active._query",
        "mmwidgets.active._registry",
        "mmwidgets.active._sampling",
        "mmwidgets.active._uncertainty",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
