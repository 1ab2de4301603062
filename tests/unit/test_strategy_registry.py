import numpy as np
import pytest

from mmwidgets.active import (
    STRATEGIES,
    EmptyPoolError,
    MissingInputError,
    Query,
    UnknownStrategyError,
    cold_start,
    entropy,
    hybrid,
    least_confidence,
    query,
    register_strategy,
    resolve_strategy,
    unregister_strategy,
)

BUILT_IN = {"hybrid", "margin", "least_confidence", "entropy", "k_center", "cold_start", "random"}


@pytest.fixture(autouse=True)
def _forget_test_strategies():
    yield
    for name in set(STRATEGIES) - BUILT_IN:
        unregister_strategy(name)


@pytest.fixture
def toy():
    # the README's example, verbatim
    @register_strategy("toy", needs=("embeddings",))
    def farthest_from_labeled(*, labeled, n, embeddings, **_):
        """The unlabeled items farthest from the mean of the labeled ones (or of all)."""
        emb = np.asarray(embeddings, dtype=np.float32)
        center = np.nanmean(emb[labeled] if labeled.any() else emb, axis=0)
        dist = np.linalg.norm(emb - center, axis=1)
        dist[labeled | np.isnan(dist)] = -np.inf
        picks = np.argsort(-dist, kind="stable")[: min(n, int(np.isfinite(dist).sum()))]
        return Query(picks, [f"{dist[i]:.2f} from the labeled mean" for i in picks])

    return farthest_from_labeled


def most_class_0(*, labeled, n, proba, **_):
    """A plain callable: the unlabeled items most likely to be class 0."""
    score = np.where(labeled, -np.inf, np.asarray(proba)[:, 0])
    picks = np.argsort(-score, kind="stable")[: min(n, int(np.isfinite(score).sum()))]
    return Query(picks, ["likely class 0"] * len(picks))


def _line(n_items=6):
    emb = np.zeros((n_items, 2), dtype=np.float32)
    emb[:, 0] = np.arange(n_items)  # items on a line, item i at x = i
    return emb


# --- a registered strategy runs through query -----------------------------------------------


def test_a_registered_toy_strategy_runs_by_name(toy):
    emb = _line()
    labeled = np.array([True, True, False, False, False, False])  # labeled mean at x = 0.5
    q = query("toy", embeddings=emb, labeled=labeled, n=2)
    assert q.indices.tolist() == [5, 4]
    assert q.reasons == ["4.50 from the labeled mean", "3.50 from the labeled mean"]
    assert q.strategy == "toy"  # named after its registration, as the toy left it blank
    assert "toy" in STRATEGIES
    assert STRATEGIES["toy"] is toy
    assert resolve_strategy("toy").needs == ("embeddings",)
    assert toy.needs == ("embeddings",)


def test_a_strategy_that_takes_embeddings_sees_their_nan_rows_itself(toy):
    emb = _line()
    emb[5] = np.nan
    q = query("toy", embeddings=emb, labeled=np.array([True] + [False] * 5), n=5)
    assert q.indices.tolist() == [4, 3, 2, 1]


def test_a_registered_function_can_be_passed_as_a_callable(toy):
    q = query(toy, embeddings=_line(), labeled=np.zeros(6, bool), n=1)
    assert q.strategy == "toy"
    assert resolve_strategy(toy).name == "toy"


def test_a_plain_callable_runs_and_gets_its_name():
    proba = np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4], [0.95, 0.05]], dtype=np.float32)
    q = query(most_class_0, proba=proba, labeled=np.array([False, False, False, True]), n=2)
    assert q.indices.tolist() == [1, 2]
    assert q.strategy == "most_class_0"
    assert resolve_strategy(most_class_0).needs == ("proba",)


def test_a_strategy_gets_only_the_inputs_it_declares():
    seen = {}

    @register_strategy("recorder", needs=(), optional=("proba",))
    def recorder(*, labeled, n, proba, embeddings, class_names, multi_label, seed):
        seen.update(proba=proba, embeddings=embeddings, names=class_names, seed=seed)
        return Query(np.flatnonzero(~labeled)[:n], ["x"] * min(n, int((~labeled).sum())))

    proba, emb = np.full((3, 2), 0.5), _line(3)
    query(
        "recorder",
        proba=proba,
        embeddings=emb,
        labeled=np.zeros(3, bool),
        n=1,
        class_names=["a", "b"],
        seed=7,
    )
    assert seen["proba"] is proba
    assert seen["embeddings"] is None
    assert seen["names"] == ["a", "b"]
    assert seen["seed"] == 7


def test_a_strategy_without_embeddings_finds_nan_rows_excluded_in_its_mask():
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]], dtype=np.float32)
    emb = _line(3)
    emb[0] = np.nan
    q = query(most_class_0, proba=proba, embeddings=emb, labeled=np.zeros(3, bool), n=3)
    assert q.indices.tolist() == [1, 2]


def test_query_never_calls_a_strategy_on_an_empty_pool():
    def must_not_run(**_):
        raise AssertionError("called on an empty pool")

    with pytest.raises(EmptyPoolError, match="all 3 items are labeled"):
        query(must_not_run, proba=np.full((3, 2), 0.5), labeled=np.ones(3, bool), n=1)
    emb = np.full((3, 2), np.nan, dtype=np.float32)
    with pytest.raises(EmptyPoolError, match="none has usable inputs"):
        query(
            must_not_run, proba=np.full((3, 2), 0.5), embeddings=emb, labeled=np.zeros(3, bool), n=1
        )


# --- fallback from needs --------------------------------------------------------------------


def test_a_strategy_that_needs_proba_falls_back_while_there_is_no_model():
    emb = _line()
    labeled = np.zeros(6, bool)
    q = query(most_class_0, embeddings=emb, labeled=labeled, n=2, seed=0)
    assert q.strategy == "cold_start"
    np.testing.assert_array_equal(q.indices, cold_start(emb, labeled, 2, seed=0).indices)
    assert query(most_class_0, labeled=labeled, n=2, seed=0).strategy == "random"


def test_a_strategy_that_needs_embeddings_without_them_raises(toy):
    with pytest.raises(MissingInputError, match="'toy' needs embeddings"):
        query("toy", proba=np.full((6, 2), 0.5), labeled=np.zeros(6, bool), n=1)

    def by_embeddings(**_):
        raise AssertionError("not reached")

    by_embeddings.needs = ("embeddings",)  # what the decorator would set
    with pytest.raises(MissingInputError, match="by_embeddings"):
        query(by_embeddings, labeled=np.zeros(6, bool), n=1)


def test_built_ins_through_query_match_their_public_functions():
    rng = np.random.default_rng(0)
    proba = rng.random((50, 3)).astype(np.float32)
    emb = rng.normal(size=(50, 8)).astype(np.float32)
    labeled = np.zeros(50, bool)
    labeled[:5] = True
    names = ["a", "b", "c"]
    q = query(
        "least_confidence", proba=proba, labeled=labeled, n=4, multi_label=True, class_names=names
    )
    want = least_confidence(proba, labeled, 4, multi_label=True, class_names=names)
    np.testing.assert_array_equal(q.indices, want.indices)
    assert q.reasons == want.reasons
    unit = proba / proba.sum(axis=1, keepdims=True)
    q = query("entropy", proba=unit, labeled=labeled, n=4, class_names=names)
    assert q.reasons == entropy(unit, labeled, 4, class_names=names).reasons
    q = query("hybrid", proba=proba, embeddings=emb, labeled=labeled, n=10, seed=3)
    want = hybrid(proba, emb, labeled, 10, seed=3)
    np.testing.assert_array_equal(q.indices, want.indices)


# --- names and validation -------------------------------------------------------------------


def test_unknown_names_list_the_registered_ones(toy):
    with pytest.raises(UnknownStrategyError, match=r"'typiclust'; choose one of .*hybrid.*toy"):
        resolve_strategy("typiclust")
    with pytest.raises(UnknownStrategyError, match="choose one of cold_start, entropy, hybrid"):
        query("typiclust", labeled=np.zeros(3, bool), n=1)
    with pytest.raises(TypeError, match="registered name or a callable"):
        resolve_strategy(42)


def test_registration_checks_its_arguments(toy):
    def other(**_):
        return None

    with pytest.raises(ValueError, match="'toy' is already registered"):
        register_strategy("toy")(other)
    with pytest.raises(TypeError, match="tuple such as"):
        register_strategy("x", needs="proba")
    with pytest.raises(ValueError, match="'proba' and 'embeddings' only"):
        register_strategy("x", needs=("labels",))
    with pytest.raises(TypeError, match="non-empty str"):
        register_strategy("")
    with pytest.raises(TypeError):
        STRATEGIES["x"] = other  # read-only
    with pytest.raises(UnknownStrategyError):
        unregister_strategy("x")


def test_re_running_a_notebook_cell_replaces_its_strategy():
    def define(reason):
        @register_strategy("cell", needs=())
        def cell(*, labeled, n, **_):
            return Query(np.flatnonzero(~labeled)[:1], [reason])

        return cell

    define("first run")
    define("second run")  # same function redefined: no error, the new one wins
    assert query("cell", labeled=np.zeros(2, bool), n=1).reasons == ["second run"]


def _returning(indices, name="broken"):
    def broken(**_):
        return Query(np.array(indices, dtype=np.int64), ["r"] * len(indices))

    broken.__name__ = name
    return broken


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        ([2, 0], "'broken' returned index 0, which it was told not to pick"),
        ([2, 2], "'broken' returned index 2 more than once"),
        ([2, 9], "'broken' returned index 9, outside a pool of 4 items"),
        ([1, 2, 3], "'broken' returned 3 items but n=2"),
    ],
)
def test_a_bad_strategy_result_is_reported_by_name(indices, message):
    labeled = np.array([True, False, False, False])
    with pytest.raises(ValueError, match=message):
        query(_returning(indices), proba=np.full((4, 2), 0.5), labeled=labeled, n=2)


def test_a_strategy_must_return_a_query():
    def lazy(*, labeled, n, **_):
        return np.flatnonzero(~labeled)[:n]

    with pytest.raises(TypeError, match="'lazy' returned ndarray; it must return a Query"):
        query(lazy, proba=np.full((3, 2), 0.5), labeled=np.zeros(3, bool), n=1)


def test_an_index_excluded_for_its_nan_embedding_is_a_bad_result():
    emb = _line(4)
    emb[3] = np.nan  # the strategy does not take embeddings, so row 3 is excluded for it
    with pytest.raises(ValueError, match="index 3, which it was told not to pick"):
        query(
            _returning([3]),
            proba=np.full((4, 2), 0.5),
            embeddings=emb,
            labeled=np.zeros(4, bool),
            n=1,
        )


# --- labeled versus excluded, and random checks -----------------------------------------------


def test_a_strategy_naming_exclude_gets_labeled_and_excluded_items_apart():
    seen = {}

    @register_strategy("apart", needs=())
    def apart(*, labeled, exclude, n, **_):
        seen.update(labeled=labeled.copy(), exclude=exclude.copy())
        picks = np.flatnonzero(~(labeled | exclude))[:n]
        return Query(picks, ["x"] * len(picks))

    emb = _line(5)
    emb[:, 1] = 1  # no zero row (that has no direction under cosine)
    emb[4] = np.nan  # unusable, for a strategy that does not take embeddings: excluded
    labeled = np.array([True, False, False, False, False])
    skipped = np.array([False, True, False, False, False])
    q = query("apart", embeddings=emb, labeled=labeled, exclude=skipped, n=5)
    assert seen["labeled"].tolist() == labeled.tolist()
    assert seen["exclude"].tolist() == [False, True, False, False, True]
    assert q.indices.tolist() == [2, 3]
    assert resolve_strategy("apart").splits_masks


def test_a_strategy_taking_keywords_as_rest_gets_the_union_as_labeled(toy):
    seen = {}

    def union(*, labeled, n, **rest):
        seen.update(labeled=labeled.copy(), rest=set(rest))
        picks = np.flatnonzero(~labeled)[:n]
        return Query(picks, ["x"] * len(picks))

    labeled = np.array([True, False, False, False])
    skipped = np.array([False, True, False, False])
    query(union, proba=np.full((4, 2), 0.5), labeled=labeled, exclude=skipped, n=1)
    assert seen["labeled"].tolist() == [True, True, False, False]  # it cannot drop exclude
    assert "exclude" not in seen["rest"]
    assert not resolve_strategy(union).splits_masks
    assert not resolve_strategy(toy).splits_masks
    # the README's strategy never picks the skipped item, and is not told it is labeled
    q = query("toy", embeddings=_line(4), labeled=labeled, exclude=skipped, n=3)
    assert 1 not in q.indices.tolist()


def test_built_in_strategies_that_use_where_labels_are_split_the_masks():
    split = {name for name in BUILT_IN if resolve_strategy(name).splits_masks}
    assert split == {"k_center", "cold_start"}


def test_hybrid_registers_its_share_of_random_checks():
    assert resolve_strategy("hybrid").random_checks == 0.1
    assert {resolve_strategy(n).random_checks for n in BUILT_IN - {"hybrid"}} == {0.0}
    assert resolve_strategy(most_class_0).random_checks == 0.0
    for bad in (1.0, -0.1, True):
        with pytest.raises(ValueError, match="random_checks"):
            register_strategy("checks", random_checks=bad)
