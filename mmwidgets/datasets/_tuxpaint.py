"""Build the sample DataFrame from Debian's ``tuxpaint-stamps-default`` package."""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mmwidgets.exceptions import SampleDataMissingError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SAMPLE_LICENSE", "SampleDataMissingError", "load_sample"]

log = logging.getLogger("mmwidgets.datasets")

DEFAULT_ROOT = Path("/usr/share/tuxpaint/stamps")

SAMPLE_LICENSE = (
    "Sample data: Tux Paint stamps (Debian package tuxpaint-stamps-default), "
    "Copyright 2002-2022 Bill Kendrick and contributors, licensed GPL-2 "
    "(/usr/share/common-licenses/GPL-2). mmwidgets reads it in place and does not redistribute it."
)

# a translated line looks like "fr.utf8=..." or "pt_BR.utf8=..."; the untagged line is English
_LANG_LINE = re.compile(r"^[A-Za-z]{2,3}(_[A-Za-z]{2})?(@\w+)?\.utf8=")
# spoken descriptions to fall back to, in order, when there is no English one
_SPEECH_FALLBACK = ("fr",)


def _english_line(txt: Path) -> str | None:
    for line in txt.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not _LANG_LINE.match(line):
            return line
    return None


def _speech(stem: Path) -> str | None:
    english = stem.with_name(stem.name + "_desc.ogg")
    if english.is_file():
        return str(english)
    for lang in _SPEECH_FALLBACK:
        other = stem.with_name(f"{stem.name}_desc_{lang}.ogg")
        if other.is_file():
            return str(other)
    return None


def _cache_dir() -> Path:
    base = os.environ.get("MMWIDGETS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mmwidgets"
    )
    return Path(base) / "sample-svg"


def _have_cairosvg() -> bool:
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):  # OSError: the wheel is there but libcairo is not
        return False
    return True


def _rendered_svg(svg: Path, item_id: str, size: int = 512) -> str | None:
    """Render an SVG stamp to a cached PNG (needs cairosvg); None where it cannot be rendered."""
    target = _cache_dir() / (item_id.replace("/", "__") + ".png")
    if target.is_file() and target.stat().st_mtime >= svg.stat().st_mtime:
        return str(target)
    import cairosvg

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        cairosvg.svg2png(url=str(svg), write_to=str(partial), output_width=size)
    except Exception as exc:  # one malformed stamp must not cost the whole sample set
        # cairosvg refuses XML entities (a defence against entity bombs); one Debian stamp
        # (food/loaf_of_bread.svg) uses them, and we keep that safety on
        log.info("sample stamp %s left out: %s: %s", svg, type(exc).__name__, exc)
        partial.unlink(missing_ok=True)
        return None
    os.replace(partial, target)  # atomic: a killed render never leaves a half-written PNG
    return str(target)


def load_sample(root: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load the real multimodal sample set (Tux Paint stamps) as a DataFrame.

    One row per stamp. Columns: ``id`` (the stamp's path below the stamps folder), ``text``
    (English description), ``image`` (PNG path; SVG-only stamps are rendered to a cached PNG),
    ``speech`` (spoken description: English where present, else French, else missing),
    ``sound`` (the stamp's real sound effect, else missing), ``category`` (top-level folder)
    and ``subcategory``. Missing media are ``None``: the natural missing-modality pattern.

    Parameters
    ----------
    root : path, optional
        The stamps folder; defaults to Debian's ``/usr/share/tuxpaint/stamps``.

    Returns
    -------
    pandas.DataFrame
        About 950 rows, sorted by ``id``.

    Raises
    ------
    SampleDataMissingError
        Where the Debian package ``tuxpaint-stamps-default`` is not installed.

    Notes
    -----
    The data are GPL-2 (see :data:`SAMPLE_LICENSE`); mmwidgets does not redistribute them.

    Examples
    --------
    >>> from mmwidgets import load_sample
    >>> df = load_sample()
    >>> sorted(df.columns)
    ['category', 'id', 'image', 'sound', 'speech', 'subcategory', 'text']
    """
    import pandas as pd

    base = Path(root) if root is not None else DEFAULT_ROOT
    if not base.is_dir():
        raise SampleDataMissingError(
            f"the sample data is not installed: {base} does not exist. Install Debian's "
            "package with `sudo apt-get install tuxpaint-stamps-default` (`make setup` does this)."
        )
    rows = []
    skipped_svg = 0
    have_cairo = _have_cairosvg()
    for txt in sorted(base.rglob("*.txt")):
        stem = txt.with_suffix("")
        item_id = stem.relative_to(base).as_posix()
        png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
        if png.is_file():
            image: str | None = str(png)
        elif svg.is_file():
            image = _rendered_svg(svg, item_id) if have_cairo else None
            skipped_svg += not have_cairo
            if image is None:
                continue
        else:
            continue  # a description without a stamp image is not a stamp
        parts = stem.relative_to(base).parts
        sound = stem.with_suffix(".ogg")
        rows.append(
            {
                "id": item_id,
                "text": _english_line(txt),
                "image": image,
                "speech": _speech(stem),
                "sound": str(sound) if sound.is_file() else None,
                "category": parts[0],
                "subcategory": parts[1] if len(parts) > 2 else parts[0],
            }
        )
    if skipped_svg:
        warnings.warn(
            f"{skipped_svg} SVG-only stamps were left out: rendering them needs cairosvg "
            "(`pip install 'mmwidgets[svg]'`) and the cairo library.",
            stacklevel=2,
        )
    if not rows:
        raise SampleDataMissingError(f"no stamps found under {base}")
    return pd.DataFrame(rows, columns=list(rows[0]))
