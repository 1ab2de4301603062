"""The fusion-mode registry: every way of combining modalities, creatable by name.

A fusion mode is a factory (usually a ``torch.nn.Module`` subclass) with one call signature::

    factory(dims, n_classes, *, hidden, dropout, multi_label) -> nn.Module

``dims`` lists the embedding width of each modality in the model's modality order. The module's
``forward(xs, present)`` takes ``xs``, a list of ``(n, dims[m])`` float tensors (zeros where a
modality is missing), and ``present``, an ``(n, M)`` bool mask, and returns ``(n, n_classes)``
logits (softmax logits, or independent sigmoid logits when ``multi_label``). A mode that learns
one weight per modality may also offer ``modality_weights() -> (M,) tensor`` (summing to 1);
:attr:`FusionClassifier.modality_weights_` reports it. Two optional hooks: a module with
``regularization() -> scalar tensor`` has it added to each training step's loss (computed from
its last training forward); a module with ``fit_direct(xs, present, targets, *, sample_weight,
seed, warm) -> float`` is fitted by that call (closed form, e.g. ``"stack"``'s logistic
regressions) instead of the gradient loop. ``xs`` reach every mode scaled by the classifier's
``standardize`` setting.

``"auto"`` is not a mode but a request to choose one (:mod:`mmwidgets.fusion.selection`);
:func:`check_fusion` accepts it.

The built-in modes are registered by a lazy ``"module:attribute"`` path, so listing or checking
names never imports torch; a user mode is registered with the :func:`register_fusion` decorator
on the class (or function) itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from mmwidgets.exceptions import UnknownFusionError

if TYPE_CHECKING:
    from torch import nn

__all__ = [
    "BUILTIN_FUSIONS",
    "FusionFactory",
    "check_fusion",
    "get_fusion",
    "list_fusions",
    "register_fusion",
]


class FusionFactory(Protocol):
    """What :func:`register_fusion` accepts: builds a fusion network for given input widths."""

    def __call__(
        self, dims: list[int], n_classes: int, /, *, hidden: int, dropout: float, multi_label: bool
    ) -> nn.Module:
        """Build the network (its weights drawn from torch's global generator, seeded by fit)."""


# a built-in mode is one module under mmwidgets/fusion/modes/ plus one line here
_BUILTIN: dict[str, str] = {
    "concat": "mmwidgets.fusion.modes.concat:ConcatFusion",
    "mapping": "mmwidgets.fusion.modes.mapping:MappingFusion",
    "weighted": "mmwidgets.fusion.modes.weighted:WeightedFusion",
    "gated": "mmwidgets.fusion.modes.gated:GatedFusion",
    "late": "mmwidgets.fusion.modes.late:LateFusion",
    "stack": "mmwidgets.fusion.modes.stack:StackFusion",
}
#: names of the modes that ship with mmwidgets, in a stable order
BUILTIN_FUSIONS: tuple[str, ...] = tuple(_BUILTIN)

# name -> factory, or a "module:attribute" path not imported yet
_REGISTRY: dict[str, FusionFactory | str] = dict(_BUILTIN)

F = TypeVar("F", bound=FusionFactory)


def register_fusion(name: str) -> Callable[[F], F]:
    """Decorator: make a fusion factory usable as ``FusionClassifier(fusion=name)``.

    Registering a name again replaces the earlier entry (re-running a notebook cell works);
    the built-in names cannot be replaced.

    Parameters
    ----------
    name : str
        The name users pass as ``fusion=``.

    Returns
    -------
    callable
        A decorator that registers its argument and returns it unchanged.

    Examples
    --------
    >>> from torch import nn
    >>> from mmwidgets.fusion import list_fusions, register_fusion
    >>> @register_fusion("first_modality")
    ... class FirstModality(nn.Module):
    ...     def __init__(self, dims, n_classes, *, hidden, dropout, multi_label):
    ...         super().__init__()
    ...         self.linear = nn.Linear(dims[0], n_classes)
    ...
    ...     def forward(self, xs, present):
    ...         return self.linear(xs[0])
    >>> "first_modality" in list_fusions()
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a fusion name must be a non-empty string, got {name!r}")
    if name in _BUILTIN or name == "auto":
        raise ValueError(f"{name!r} is a built-in fusion mode; register under another name")

    def decorate(factory: F) -> F:
        if not callable(factory):
            raise TypeError(f"register_fusion({name!r}) needs a class or function, got {factory!r}")
        _REGISTRY[name] = factory
        return factory

    return decorate


def unregister_fusion(name: str) -> None:
    """Remove a fusion mode you registered (the built-in modes stay).

    Raises
    ------
    UnknownFusionError
        Nothing of yours is registered under ``name``.

    Examples
    --------
    >>> from mmwidgets.fusion import list_fusions, register_fusion, unregister_fusion
    >>> _ = register_fusion("scratch")(lambda dims, n_classes, **_: None)
    >>> unregister_fusion("scratch")
    >>> "scratch" in list_fusions()
    False
    """
    if name in _BUILTIN or _REGISTRY.pop(name, None) is None:
        raise UnknownFusionError(f"no fusion mode of yours is registered as {name!r}")


def list_fusions() -> list[str]:
    """Names of the registered fusion modes: the built-ins first, then in registration order.

    Examples
    --------
    >>> from mmwidgets.fusion import list_fusions
    >>> list_fusions()[:5]
    ['concat', 'mapping', 'weighted', 'gated', 'late']
    """
    return list(_REGISTRY)


def check_fusion(name: str) -> None:
    """Raise unless a fusion mode is registered under ``name``; imports nothing (no torch).

    A Session checks its fusion name with this at construction, so that a typo fails at once
    while the mode's module (and torch) load later, when the trainer first builds a model.

    Raises
    ------
    UnknownFusionError
        When nothing is registered under ``name``; the message lists the names that are.

    Examples
    --------
    >>> from mmwidgets.fusion import check_fusion
    >>> check_fusion("gated")
    >>> check_fusion("sum")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.UnknownFusionError: unknown fusion 'sum'; choose one of ...
    """
    if name == "auto":  # resolved to a registered mode by the model selection
        return
    if not isinstance(name, str) or name not in _REGISTRY:
        raise UnknownFusionError(f"unknown fusion {name!r}; choose one of {list_fusions()}")


def get_fusion(name: str) -> FusionFactory:
    """The factory registered under ``name`` (importing a built-in mode's module on first use).

    Raises
    ------
    UnknownFusionError
        When nothing is registered under ``name``; the message lists the names that are.

    Examples
    --------
    >>> from mmwidgets.fusion import get_fusion
    >>> get_fusion("weighted").__name__
    'WeightedFusion'
    >>> get_fusion("sum")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmwidgets.exceptions.UnknownFusionError: unknown fusion 'sum'; choose one of ...
    """
    if name == "auto":
        raise UnknownFusionError(
            "'auto' chooses a mode per task (FusionClassifier.fit resolves it); it has no "
            f"network of its own; the modes are {list_fusions()}"
        )
    check_fusion(name)
    entry = _REGISTRY[name]
    if isinstance(entry, str):
        module, _, attribute = entry.partition(":")
        entry = cast("FusionFactory", getattr(importlib.import_module(module), attribute))
        _REGISTRY[name] = entry
    return entry
