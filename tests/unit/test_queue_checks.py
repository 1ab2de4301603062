"""Random checks are served by count of items served, not by rank (issue 18).

The session reranks after every label and serves the head of the queue, so a check the strategy
ranked fifth was never shown. QueueState places them where they will be served.
"""

import numpy as np
import pytest

from mmwidgets.active import RANDOM_CHECK
from mmwidgets.session._queue import QueueState, is_random_check
from mmwidgets.session._state import QueuedItem

POOL = [f"item{i}" for i in range(500)]


def _refill(taken, n, seed):
    """Uniform picks among the items not taken (what Candidates.refill does, minus media)."""
    free = [i for i in POOL if i not in taken]
    rng = np.random.default_rng(seed)
    return [QueuedItem(iid, "random pick (queue refilling)") for iid in rng.permutation(free)[:n]]


def _ranked(done, version, with_checks=True):
    """A hybrid-like queue of 20 after each rerank: checks at ranks 5 and 15, as hybrid ranks."""
    rng = np.random.default_rng(version)
    free = [i for i in POOL if i not in done]
    picks = rng.permutation(free)[:20]
    return [
        QueuedItem(iid, RANDOM_CHECK if with_checks and rank in (5, 15) else f"margin {rank}")
        for rank, iid in enumerate(picks)
    ]


def _serve(queue, n_labels, with_checks=True, window=1):
    """Label the head of the queue ``n_labels`` times, reranking after each label."""
    served = []
    for version in range(n_labels):
        items = queue.compose(_ranked(queue.done(), version, with_checks), window, _refill)
        served.append(items[0])
        queue.mark_done([items[0].id])
    return served


def test_reranked_after_every_label_the_checks_at_lower_ranks_are_never_served():
    served = _serve(QueueState(seed=0), 100)  # the old behaviour: no share, ranks only
    assert sum(map(is_random_check, served)) == 0


@pytest.mark.parametrize("window", [1, 5])
def test_one_item_in_ten_served_is_a_random_check(window):
    queue = QueueState(seed=0, random_checks=0.1)
    served = _serve(queue, 100, window=window)
    positions = [k + 1 for k, item in enumerate(served) if is_random_check(item)]
    assert positions == list(range(10, 101, 10))  # the 10th, 20th, ... item served
    assert queue.served() == (100, 10)
    assert len({item.id for item in served}) == 100


def test_a_ranking_without_checks_gets_uniform_picks_in_their_place():
    queue = QueueState(seed=0, random_checks=0.1)
    served = _serve(queue, 30, with_checks=False)
    checks = [item for item in served if is_random_check(item)]
    assert len(checks) == 3
    assert all(item.reason == RANDOM_CHECK for item in checks)


def test_the_window_shows_the_checks_where_they_will_be_served():
    queue = QueueState(seed=0, random_checks=0.1)
    _serve(queue, 7)
    window = queue.compose(_ranked(queue.done(), 99), 20, _refill)
    assert [k for k, item in enumerate(window) if is_random_check(item)] == [2, 12]  # 10th, 20th
    assert len({item.id for item in window}) == 20


def test_undone_items_in_front_push_a_due_check_back_without_losing_it():
    queue = QueueState(seed=0, random_checks=0.1)
    served = _serve(queue, 9)
    queue.pin(QueuedItem(served[-1].id, "undone: label it again"))  # label 9 undone
    queue.pin(QueuedItem(served[-2].id, "undone: label it again"))  # and label 8
    window = queue.compose(_ranked(queue.done(), 50), 4, _refill)
    assert [is_random_check(item) for item in window] == [False, False, True, False]
    assert [item.reason for item in window[:2]] == ["undone: label it again"] * 2


def test_the_same_seed_serves_the_same_items():
    first = [item.id for item in _serve(QueueState(seed=3, random_checks=0.1), 40, False)]
    again = [item.id for item in _serve(QueueState(seed=3, random_checks=0.1), 40, False)]
    other = [item.id for item in _serve(QueueState(seed=4, random_checks=0.1), 40, False)]
    assert first == again
    assert first != other


def test_a_share_outside_zero_to_one_is_refused():
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="random_checks"):
            QueueState(random_checks=bad)
