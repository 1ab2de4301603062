"""Query strategies: which items to label next, and why.

Every strategy is a pure function of numpy arrays (probabilities and/or embeddings, a labeled
mask, a batch size) that returns a :class:`Query`: item indices ranked best first, each with a
human-readable reason. Nothing here imports torch; everything is chunked so that a pool of a
million items never needs an N x N matrix.

Examples
--------
>>> import numpy as np
>>> from mmwidgets.active import query
>>> proba = np.array([[0.9, 0.1], [0.52, 0.48], [0.7, 0.3]], dtype=np.float32)
>>> q = query("margin", proba=proba, labeled=np.zeros(3, bool), n=1, class_names=["cat", "dog"])
>>> q.indices.tolist(), q.reasons
([1], ['margin 0.04 between cat and dog'])
"""

from __future__ import annotations

# each strategy module registers itself on import: a new strategy is one more line here
from mmwidgets.active._cold_start import cold_start
from mmwidgets.active._dispatch import DEFAULT_STRATEGY, query
from mmwidgets.active._diversity import k_center_greedy
from mmwidgets.active._errors import (
    EmptyPoolError,
    MissingInputError,
    ShapeMismatchError,
    UnknownStrategyError,
)
from mmwidgets.active._geometry import Metric
from mmwidgets.active._hybrid import RANDOM_CHECK, hybrid
from mmwidgets.active._query import Query, Seed
from mmwidgets.active._registry import (
    STRATEGIES,
    Need,
    StrategyFunction,
    StrategySpec,
    get_strategy,
    register_strategy,
    resolve_strategy,
    unregister_strategy,
)
from mmwidgets.active._sampling import random_sampling
from mmwidgets.active._search import KeywordIndex, cosine_scores, query_words, top_k
from mmwidgets.active._uncertainty import entropy, least_confidence, margin

__all__ = [
    "DEFAULT_STRATEGY",
    "RANDOM_CHECK",
    "STRATEGIES",
    "EmptyPoolError",
    "KeywordIndex",
    "Metric",
    "MissingInputError",
    "Need",
    "Query",
    "Seed",
    "ShapeMismatchError",
    "StrategyFunction",
    "StrategySpec",
    "UnknownStrategyError",
    "cold_start",
    "cosine_scores",
    "entropy",
    "get_strategy",
    "hybrid",
    "k_center_greedy",
    "least_confidence",
    "margin",
    "query",
    "query_words",
    "random_sampling",
    "register_strategy",
    "resolve_strategy",
    "top_k",
    "unregister_strategy",
]
