"""Strategies by name: one keyword call signature for all of them, registered by a decorator.

A strategy is any function called as ``fn(labeled=, n=, proba=, embeddings=, class_names=,
multi_label=, seed=)`` that returns a :class:`Query`. :func:`register_strategy` files it under a
name together with the inputs it ``needs``; :func:`~mmwidgets.active.query` reads those needs to
fall back, widen the mask and check inputs, so adding a strategy is one module and one decorator.

A strategy that also names an ``exclude`` keyword gets the two masks apart: ``labeled`` (items
that carry a label, e.g. k-center's covered centres) and ``exclude`` (items it may not pick that
are *not* labeled: skipped, held by another annotator, held out, unusable). Any other strategy
gets their union as ``labeled``, the items it must not pick.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from mmwidgets.active._errors import UnknownStrategyError
from mmwidgets.active._query import Query, Seed

__all__ = [
    "STRATEGIES",
    "Need",
    "SplitStrategyFunction",
    "StrategyFunction",
    "StrategySpec",
    "get_strategy",
    "register_strategy",
    "resolve_strategy",
    "unregister_strategy",
]

#: an input a strategy can ask for
Need = Literal["proba", "embeddings"]
_INPUTS: tuple[Need, ...] = ("proba", "embeddings")
#: what a plain callable (not registered, no ``needs`` attribute) is assumed to need
_DEFAULT_NEEDS: tuple[Need, ...] = ("proba",)


class StrategyFunction(Protocol):
    """The call signature every strategy shares (extra inputs may be taken as ``**_``)."""

    def __call__(
        self,
        *,
        labeled: npt.NDArray[np.bool_],
        n: int,
        proba: Any,
        embeddings: Any,
        class_names: Sequence[str] | None,
        multi_label: bool,
        seed: Seed,
    ) -> Query:
        """Pick at most ``n`` items where ``labeled`` (and ``exclude``, if taken) is False."""
        ...


class SplitStrategyFunction(Protocol):
    """A strategy that tells labeled items (covered) from excluded ones (merely unavailable)."""

    def __call__(
        self,
        *,
        labeled: npt.NDArray[np.bool_],
        exclude: npt.NDArray[np.bool_],
        n: int,
        proba: Any,
        embeddings: Any,
        class_names: Sequence[str] | None,
        multi_label: bool,
        seed: Seed,
    ) -> Query:
        """Pick at most ``n`` items where neither ``labeled`` nor ``exclude`` is True."""
        ...


F = TypeVar("F", bound=StrategyFunction | SplitStrategyFunction)


@dataclass(frozen=True)
class StrategySpec:
    """A strategy as the registry knows it.

    Parameters
    ----------
    name : str
        The name it is registered (or, for a plain callable, known) under.
    function : StrategyFunction
        Called with the shared keyword signature.
    needs : tuple of {"proba", "embeddings"}
        Inputs it cannot run without.
    optional : tuple of {"proba", "embeddings"}
        Inputs it uses when they are given; an input in neither tuple is passed as None.
    public : callable
        What :func:`get_strategy` and :data:`STRATEGIES` return: for a built-in its public
        function with its own signature (e.g. :func:`~mmwidgets.active.margin`), otherwise
        ``function``.
    random_checks : float
        Share of the items a live session serves that are uniform random checks for this
        strategy (``hybrid``: 0.1). The session interleaves them by the count of items served,
        since it reranks after every label and a check at a rank below the first would never
        be shown.

    Examples
    --------
    >>> from mmwidgets.active import resolve_strategy
    >>> spec = resolve_strategy("k_center")
    >>> spec.name, spec.needs, spec.takes("embeddings"), spec.takes("proba")
    ('k_center', ('embeddings',), True, False)
    >>> resolve_strategy("hybrid").random_checks
    0.1
    """

    name: str
    function: StrategyFunction | SplitStrategyFunction
    needs: tuple[Need, ...]
    optional: tuple[Need, ...] = ()
    public: Callable[..., Query] | None = None
    random_checks: float = 0.0

    def takes(self, what: Need) -> bool:
        """Whether the strategy is given ``what`` (it needs it or uses it when present)."""
        return what in self.needs or what in self.optional

    @property
    def splits_masks(self) -> bool:
        """Whether it names an ``exclude`` keyword: labeled and excluded items come apart.

        Only a named parameter counts: a function that takes ``**_`` would drop ``exclude``
        unseen and pick excluded items, so it gets the union as ``labeled`` instead.
        """
        return _names_exclude(self.function)


_SPECS: dict[str, StrategySpec] = {}


class _Strategies(Mapping[str, Callable[..., Query]]):
    """Read-only, live view: registered name -> public function."""

    def __getitem__(self, name: str) -> Callable[..., Query]:
        spec = _SPECS[name]
        return spec.public if spec.public is not None else spec.function

    def __iter__(self) -> Iterator[str]:
        return iter(list(_SPECS))

    def __len__(self) -> int:
        return len(_SPECS)

    def __repr__(self) -> str:
        return f"STRATEGIES({', '.join(_SPECS)})"


#: every registered strategy by name (read-only; new ones appear as they are registered)
STRATEGIES: Mapping[str, Callable[..., Query]] = _Strategies()


def _names_exclude(function: object) -> bool:
    try:
        parameter = inspect.signature(function).parameters.get("exclude")  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False
    return parameter is not None and parameter.kind in (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )


def _check_inputs(argument: str, value: Any) -> tuple[Need, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{argument} must be a tuple such as ('proba',); got {value!r}")
    given = tuple(value)
    unknown = [v for v in given if v not in _INPUTS]
    if unknown:
        raise ValueError(f"{argument} may hold 'proba' and 'embeddings' only; got {unknown!r}")
    return tuple(what for what in _INPUTS if what in given)


def _unknown(name: object) -> UnknownStrategyError:
    return UnknownStrategyError(
        f"no query strategy named {name!r}; choose one of {', '.join(sorted(_SPECS))}"
    )


def register_strategy(
    name: str,
    *,
    needs: Iterable[Need] = _DEFAULT_NEEDS,
    optional: Iterable[Need] = (),
    public: Callable[..., Query] | None = None,
    random_checks: float = 0.0,
) -> Callable[[F], F]:
    """Register a query strategy under ``name`` (a decorator).

    The decorated function is called by :func:`~mmwidgets.active.query` with keywords only::

        fn(labeled=, n=, proba=, embeddings=, class_names=, multi_label=, seed=)

    ``labeled`` is a boolean mask of the items it must not pick (already labeled; skipped or
    otherwise excluded; and, for a strategy that does not take embeddings, items whose embedding
    is NaN); at least one item is eligible. It returns a :class:`Query` of at most ``n`` unique
    eligible indices, best first. An input the strategy neither needs nor lists in ``optional``
    arrives as None. Take the keywords you do not use as ``**_``.

    A strategy that uses *where* the labels are (distances to labeled items, clusters that
    already hold one) names an ``exclude`` keyword: it is then called with ``labeled`` holding
    only the items that carry a label and ``exclude`` the other items it must not pick
    (skipped, held by another annotator, held out, unusable), so that a skipped item is never
    taken for a covered one.

    Parameters
    ----------
    name : str
        The name to pass as ``strategy=``. Registering a name again replaces the entry only when
        it is the same function redefined (a re-run notebook cell).
    needs : tuple of {"proba", "embeddings"}
        Inputs the strategy cannot run without. One that needs ``"proba"`` falls back to
        ``cold_start`` while there is no model (or ``random`` without embeddings either); one
        that needs ``"embeddings"`` raises :class:`MissingInputError` without them.
    optional : tuple of {"proba", "embeddings"}
        Inputs it uses when given (it then handles NaN rows itself).
    public : callable, optional
        What :func:`get_strategy` returns for ``name``; default the decorated function.
    random_checks : float
        Share of served items, in ``[0, 1)``, that a live session makes uniform random checks
        (reason ``"random check"``), one every ``1 / random_checks`` items served; items the
        strategy itself ranks with that reason are left to the session's schedule.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged but for ``needs`` and ``optional``
        attributes.

    Raises
    ------
    ValueError
        ``name`` is taken by another function, ``needs`` names an unknown input, or
        ``random_checks`` is outside ``[0, 1)``.

    Examples
    --------
    >>> import numpy as np
    >>> from mmwidgets.active import Query, query, register_strategy, unregister_strategy
    >>> @register_strategy("first_unlabeled", needs=())
    ... def first_unlabeled(*, labeled, n, **_):
    ...     picks = np.flatnonzero(~labeled)[:n]
    ...     return Query(picks, ["next in line"] * len(picks))
    >>> query("first_unlabeled", labeled=np.array([True, False, False]), n=1).indices.tolist()
    [1]
    >>> unregister_strategy("first_unlabeled")
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a strategy name must be a non-empty str; got {name!r}")
    need = _check_inputs("needs", needs)
    extra = tuple(w for w in _check_inputs("optional", optional) if w not in need)
    if isinstance(random_checks, bool) or not 0 <= random_checks < 1:
        raise ValueError(f"random_checks must be a share in [0, 1); got {random_checks!r}")

    def decorate(function: F) -> F:
        if not callable(function):
            raise TypeError(f"register_strategy({name!r}) decorates a function; got {function!r}")
        old = _SPECS.get(name)
        if old is not None and not _same_definition(old.function, function):
            raise ValueError(
                f"a query strategy named {name!r} is already registered"
                f" ({_describe(old.function)}); pick another name"
            )
        _SPECS[name] = StrategySpec(name, function, need, extra, public, float(random_checks))
        # lets query() read the needs off the bare function; a builtin has no __dict__ for
        # them, but the registry entry holds them anyway
        with contextlib.suppress(TypeError):
            vars(function).update(needs=need, optional=extra)
        return function

    return decorate


def _describe(function: object) -> str:
    module = getattr(function, "__module__", "?")
    return f"{module}.{getattr(function, '__qualname__', repr(function))}"


def _same_definition(a: object, b: object) -> bool:
    return a is b or _describe(a) == _describe(b)


def unregister_strategy(name: str) -> None:
    """Remove the strategy registered under ``name`` (e.g. an experiment in a notebook).

    :func:`~mmwidgets.active.query` falls back to ``"cold_start"`` and ``"random"``; keep those.

    Raises
    ------
    UnknownStrategyError
        No strategy has that name.

    Examples
    --------
    >>> from mmwidgets.active import STRATEGIES, register_strategy, unregister_strategy
    >>> @register_strategy("nothing", needs=())
    ... def nothing(**_):
    ...     return None
    >>> "nothing" in STRATEGIES
    True
    >>> unregister_strategy("nothing")
    >>> "nothing" in STRATEGIES
    False
    """
    if not isinstance(name, str) or name not in _SPECS:
        raise _unknown(name)
    del _SPECS[name]


def resolve_strategy(strategy: str | StrategyFunction) -> StrategySpec:
    """The registered spec of a strategy name, or a spec for a user's callable.

    Use it to validate a strategy early (the Session does at construction). A callable that was
    registered resolves to its entry; any other callable is used as is, with the ``needs`` and
    ``optional`` attributes it carries, by default ``needs=("proba",)`` (it falls back to
    ``cold_start`` while there is no model) and no optional inputs.

    Parameters
    ----------
    strategy : str or callable
        A registered name, or a function with the shared keyword signature
        (see :func:`register_strategy`).

    Returns
    -------
    StrategySpec

    Raises
    ------
    UnknownStrategyError
        ``strategy`` is a str nobody registered; the message lists the names that are.
    TypeError
        ``strategy`` is neither a str nor callable.

    Examples
    --------
    >>> from mmwidgets.active import resolve_strategy
    >>> resolve_strategy("hybrid").needs
    ('proba',)
    >>> resolve_strategy(lambda **kw: None).needs  # a plain callable
    ('proba',)
    >>> try:
    ...     resolve_strategy("smallest_margin")
    ... except ValueError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    no query strategy named 'smallest_margin'; choose one of cold_start, entropy, hybrid, ...
    """
    if isinstance(strategy, str):
        try:
            return _SPECS[strategy]
        except KeyError:
            raise _unknown(strategy) from None
    if not callable(strategy):
        raise TypeError(
            "strategy must be a registered name or a callable; got"
            f" {type(strategy).__name__} {strategy!r}"
        )
    for spec in _SPECS.values():
        if spec.function == strategy:  # == so that a bound method matches too
            return spec
    need = _check_inputs("needs", getattr(strategy, "needs", _DEFAULT_NEEDS))
    extra = _check_inputs("optional", getattr(strategy, "optional", ()))
    name = getattr(strategy, "__name__", type(strategy).__name__)
    return StrategySpec(name, strategy, need, extra)


def get_strategy(name: str) -> Callable[..., Query]:
    """The public function of the strategy registered under ``name``.

    For a built-in this is its function with its own signature (``get_strategy("margin")`` is
    :func:`~mmwidgets.active.margin`); use :func:`resolve_strategy` for the shared signature.

    Raises
    ------
    UnknownStrategyError
        No strategy has that name; the message lists those that do.

    Examples
    --------
    >>> from mmwidgets.active import get_strategy
    >>> get_strategy("margin").__name__
    'margin'
    """
    if not isinstance(name, str) or name not in _SPECS:
        raise _unknown(name)
    return STRATEGIES[name]
