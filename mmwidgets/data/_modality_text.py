"""The built-in text modality: str cells, drawn as text, encoded by a sentence model."""

from __future__ import annotations

from mmwidgets.data._modalities import ModalitySpec, register_modality

__all__ = ["TEXT"]


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _hint(column: str, value: object) -> str:
    return f"; if the values are meant as text, use df[{column!r}].astype(str)"


TEXT = register_modality(
    ModalitySpec(
        "text",
        accepts=_is_text,
        kinds="str",
        example="'a cat asleep on a sofa'",
        column_example="caption",
        hint=_hint,
        renderer="text",
        accepted_types=(str,),
    )
)
"""Text: a blank string is text (not missing); numbers are refused, not converted."""
