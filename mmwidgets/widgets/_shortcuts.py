"""Keyboard shortcuts for labels: digits 1-9, then letters that no command uses."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["COMMAND_KEYS", "shortcut_keys"]

#: letters the widgets use for commands, one meaning each in every widget: s skips (Labeler),
#: z undoes (Labeler), m shows more like this, y accepts the suggestions (Gallery)
COMMAND_KEYS = frozenset("msyz")

_KEYS = [str(d) for d in range(1, 10)] + [
    c for c in "abcdefghijklmnopqrstuvwxyz" if c not in COMMAND_KEYS
]


def shortcut_keys(labels: Sequence[str]) -> list[str]:
    """One key per label, in order; labels beyond the 32nd get ``""`` (click them instead).

    Examples
    --------
    >>> shortcut_keys(["cat", "dog"])
    ['1', '2']
    >>> shortcut_keys([f"l{i}" for i in range(12)])[8:]
    ['9', 'a', 'b', 'c']
    """
    return [_KEYS[i] if i < len(_KEYS) else "" for i in range(len(labels))]
