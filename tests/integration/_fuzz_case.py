"""One case of ``test_fuzz_inputs.py``, in its own process: ``python _fuzz_case.py NAME DIR``.

Each case is a pool of good rows plus one faulty row (the last, row ``GOOD``). The process builds
a real Session over it, waits for the embeddings, labels good items, waits for the model, and
prints one JSON line: either the refusal at construction, or what the session made of the pool
(its problems, how many good items got a prediction, whether labeling worked). The parent test
holds the timeout and the memory budget, since a hang or a runaway read cannot be caught here.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf
from PIL import Image

__all__ = ["CASES", "GOOD", "Case", "run_case"]

GOOD = 10
"""Good rows in every pool; the faulty row is row GOOD, id ``BAD_ID`` unless the case sets it."""
BAD_ID = "bad"
RATE = 16_000
LABELS = ["cat", "dog"]
FAST = {"text": "hashing", "image": "pixels", "audio": "logmel"}


@dataclass(frozen=True)
class Case:
    """A faulty row: ``build(folder)`` returns it as a dict; what the session may make of it."""

    build: Callable[[Path], dict[str, Any]]
    column: str | None = None
    """The cell at fault, when the fault should be listed in ``problems()``."""
    outcomes: frozenset[str] = frozenset({"problem", "refused"})
    """``problem`` (built, fault listed by item and column), ``refused`` (an error naming the
    row), ``ok`` (built; the value is usable or missing, nothing to list)."""
    options: dict[str, Any] = field(default_factory=dict)
    labels: list[Any] | None = None


def _png(path: Path, shade: int, size: tuple[int, int] = (24, 24)) -> str:
    Image.new("RGB", size, (shade, 255 - shade, 128)).save(path)
    return str(path)


def _wav(path: Path, samples: np.ndarray, rate: int = RATE, fmt: str = "WAV") -> str:
    sf.write(path, samples, rate, format=fmt)
    return str(path)


def _tone(freq: float, seconds: float = 0.5) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * math.pi * freq * t)).astype(np.float32)


def good_rows(folder: Path) -> list[dict[str, Any]]:
    """GOOD rows whose text, image and audio each tell the two labels apart."""
    rows = []
    for i in range(GOOD):
        label = LABELS[i % 2]
        rows.append(
            {
                "id": f"g{i}",
                "text": f"a photo of a {label} number {i}",
                "image": _png(folder / f"g{i}.png", 30 if label == "cat" else 220),
                "audio": _wav(folder / f"g{i}.wav", _tone(300 if label == "cat" else 900)),
                "truth": label,
            }
        )
    return rows


def _row(**cells: Any) -> Callable[[Path], dict[str, Any]]:
    """A faulty row whose cells are given (values, or functions of the folder)."""

    def build(folder: Path) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": BAD_ID,
            "text": "a photo of a cat, the odd one",
            "image": _png(folder / "bad_ok.png", 40),
            "audio": _wav(folder / "bad_ok.wav", _tone(310)),
        }
        for key, value in cells.items():
            row[key] = value(folder) if callable(value) else value
        return row

    return build


def _file(name: str, content: bytes) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        (folder / name).write_bytes(content)
        return str(folder / name)

    return make


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe")
    return str(folder / "pipe")


def _loop(folder: Path) -> str:
    os.symlink(folder / "loop_b", folder / "loop_a")
    os.symlink(folder / "loop_a", folder / "loop_b")
    return str(folder / "loop_a")


def _directory(folder: Path) -> str:
    (folder / "a_folder.png").mkdir()
    return str(folder / "a_folder.png")


def _truncated_png(folder: Path) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, format="PNG")
    return _file("truncated.png", buffer.getvalue()[:60])(folder)


def _huge_png(folder: Path) -> str:
    # 12000 x 6000 = 72 megapixels, over the default max_pixels, yet a few hundred kB on disk
    return _png(folder / "huge.png", 90, size=(12_000, 6_000))


def _truncated_ogg(folder: Path) -> str:
    buffer = io.BytesIO()
    sf.write(buffer, _tone(500, 1.0), RATE, format="OGG")
    return _file("truncated.ogg", buffer.getvalue()[:200])(folder)


def _long_wav(folder: Path) -> str:
    # 20 minutes: 77 MB as float32 once decoded; features must not need it all at once
    return _wav(folder / "long.wav", np.zeros(RATE * 60 * 20, dtype=np.int16), fmt="WAV")


CASES: dict[str, Case] = {
    # image cells
    "image_missing_file": Case(_row(image="no/such/file.png"), "image"),
    "image_directory": Case(_row(image=_directory), "image"),
    "image_symlink_loop": Case(_row(image=_loop), "image"),
    "image_dev_zero": Case(_row(image="/dev/zero"), "image"),
    "image_fifo": Case(_row(image=_fifo), "image"),
    "image_zero_bytes": Case(_row(image=_file("empty.png", b"")), "image"),
    "image_truncated_png": Case(_row(image=_truncated_png), "image"),
    "image_garbage": Case(_row(image=_file("noise.png", os.urandom(4096))), "image"),
    "image_text_file": Case(_row(image=_file("notes.png", b"just some words\n")), "image"),
    "image_url": Case(_row(image="https://example.com/cat.png"), "image"),
    "image_huge": Case(_row(image=_huge_png), "image"),
    "image_garbage_bytes": Case(_row(image=b"\x89PNG not really"), "image"),
    "image_int": Case(_row(image=17), "image"),
    "image_1d_array": Case(_row(image=np.zeros(10)), "image"),
    "image_nan_array": Case(_row(image=np.full((8, 8, 3), np.nan)), "image"),
    "image_none": Case(_row(image=None), outcomes=frozenset({"ok"})),
    "image_blank_path": Case(_row(image="   "), outcomes=frozenset({"ok"})),
    # audio cells
    "audio_missing_file": Case(_row(audio="no/such/file.wav"), "audio"),
    "audio_dev_zero": Case(_row(audio="/dev/zero"), "audio"),
    "audio_fifo": Case(_row(audio=_fifo), "audio"),
    "audio_zero_bytes": Case(_row(audio=_file("empty.wav", b"")), "audio"),
    "audio_truncated_ogg": Case(_row(audio=_truncated_ogg), "audio"),
    "audio_garbage": Case(_row(audio=_file("noise.wav", os.urandom(4096))), "audio"),
    "audio_one_sample": Case(
        _row(audio=lambda f: _wav(f / "one.wav", np.array([0.1], np.float32))),
        "audio",
        frozenset({"problem", "ok"}),
    ),
    "audio_long": Case(_row(audio=_long_wav), "audio", frozenset({"ok"})),
    "audio_zero_rate": Case(_row(audio=(np.zeros(100, np.float32), 0)), "audio"),
    "audio_nan_samples": Case(
        _row(audio=(np.full(RATE, np.nan, np.float32), RATE)), "audio", frozenset({"problem", "ok"})
    ),
    "audio_int": Case(_row(audio=3.5), "audio"),
    # text cells
    "text_lone_surrogate": Case(_row(text="caf\ud800e"), "text", frozenset({"problem", "ok"})),
    "text_lone_surrogate_minilm": Case(
        _row(text="\ud800"),
        "text",
        frozenset({"problem", "ok"}),
        options={"encoders": {**FAST, "text": "minilm"}},
    ),
    "text_nan": Case(_row(text=float("nan")), outcomes=frozenset({"ok"})),
    "text_none": Case(_row(text=None), outcomes=frozenset({"ok"})),
    "text_empty": Case(_row(text=""), "text", frozenset({"ok", "problem"})),
    "text_10mb": Case(_row(text="word " * 2_000_000), "text", frozenset({"ok", "problem"})),
    "text_nul": Case(_row(text="a\x00b"), "text", frozenset({"ok", "problem"})),
    "text_int": Case(_row(text=42), "text", frozenset({"ok", "problem"})),
    "text_bytes": Case(_row(text=b"bytes here"), "text", frozenset({"ok", "problem"})),
    "text_list": Case(_row(text=["a", "list"]), "text"),
    "text_dict": Case(_row(text={"a": 1}), "text"),
    # ids
    "id_lone_surrogate": Case(_row(id="x\udc80"), outcomes=frozenset({"refused"})),
    "id_duplicate": Case(_row(id="g3"), outcomes=frozenset({"refused"})),
    "id_none": Case(_row(id=None), outcomes=frozenset({"refused"})),
    "id_nan": Case(_row(id=float("nan")), outcomes=frozenset({"refused"})),
    "id_na_string": Case(_row(id="NA"), outcomes=frozenset({"ok"})),
    "id_empty_string": Case(_row(id=""), outcomes=frozenset({"ok", "refused"})),
    "id_nul": Case(_row(id="a\x00b"), outcomes=frozenset({"ok", "refused"})),
    "id_long": Case(_row(id="x" * 10_000), outcomes=frozenset({"ok", "refused"})),
    "id_path_like": Case(_row(id="../../etc/passwd"), outcomes=frozenset({"ok"})),
    "id_formula": Case(_row(id="=HYPERLINK(1)"), outcomes=frozenset({"ok"})),
    # label sets (the faulty row itself is good; the labels are odd)
    "labels_surrogate": Case(_row(), labels=["cat", "dog", "b\ud800d"]),
    # a repeated label is dropped (documented: the set keeps its order, drops repeats)
    "labels_duplicate": Case(_row(), labels=["cat", "dog", "cat"], outcomes=frozenset({"ok"})),
    "labels_empty_name": Case(_row(), labels=["cat", "dog", ""]),
    "labels_ints": Case(_row(), labels=["cat", "dog", 3], outcomes=frozenset({"ok", "refused"})),
    "labels_string_not_list": Case(_row(), labels="catdog"),  # type: ignore[arg-type]
}


def _frame(case: Case, folder: Path) -> pd.DataFrame:
    rows = [*good_rows(folder), case.build(folder)]
    # object columns, so that a None stays None and an odd value stays as given (pandas' own
    # str dtype would refuse a lone surrogate before the Session could see it)
    return pd.DataFrame(
        {key: pd.Series([row.get(key) for row in rows], dtype=object) for key in rows[0]}
    )


def run_case(name: str, folder: Path) -> dict[str, Any]:
    """Build the Session for case ``name`` in ``folder`` and report what happened."""
    import mmwidgets as mm

    case = CASES[name]
    frame = _frame(case, folder)
    truth = dict(zip(frame["id"].iloc[:GOOD], frame["truth"].iloc[:GOOD], strict=True))
    options: dict[str, Any] = {"encoders": FAST, **case.options}
    try:
        session = mm.Session(
            frame.drop(columns="truth"),
            labels=case.labels if case.labels is not None else LABELS,
            id="id",
            text="text",
            image="image",
            audio="audio",
            store=folder / "labels.sqlite",
            cache_dir=folder / "embeddings",
            progress=False,
            **options,
        )
    except Exception as error:  # the refusal is the result; the parent checks what it says
        # a refusal is one of ours (or a ValueError), never an error leaking from below
        clear = isinstance(error, mm.MMWidgetsError | ValueError) and not isinstance(
            error, UnicodeError
        )
        return {
            "outcome": "refused",
            "clear": clear,
            "type": type(error).__name__,
            "error": str(error),
        }
    try:
        session.wait(timeout=90)
        problems = session.problems().to_dict("records")
        for item, label in list(truth.items())[:6]:
            session.label(item, label)
        session.wait(timeout=90)
        status = session.status()
        scores = session.predictions()
        good = [item for item in truth if item in scores.index]
        predicted = int(scores.loc[good].notna().all(axis=1).sum()) if good else 0
        return {
            "outcome": "built",
            "problems": [{k: str(v) for k, v in p.items()} for p in problems],
            "predicted_good": predicted,
            "labeled": len(session.store),
            "model_version": status["model_version"],
            "error": str(status["error"] or ""),
        }
    finally:
        session.close()


if __name__ == "__main__":
    result = run_case(sys.argv[1], Path(sys.argv[2]))
    print(json.dumps(result))
