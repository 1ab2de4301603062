"""pocketsphinx, used the way the speech encoder needs: models found by language, clips to words.

pocketsphinx is imported by name when first needed (it has neither stubs nor ``py.typed``).
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.encoders._weights import file_identity
from mmwidgets.encoders.audio import SAMPLE_RATE

__all__ = [
    "RECOGNIZER",
    "SpeechModel",
    "find_models",
    "load_decoder",
    "models_dir",
    "pocketsphinx",
    "recognize",
]

_HINT = "`pip install pocketsphinx` (or `pip install 'mmwidgets[speech]'`)"
#: clips longer than this are recognized segment by segment (cut at pauses)
_WHOLE_S = 30.0
#: how clips become words here; part of every transcript's key (change it with the method)
RECOGNIZER = f"vad-gate|fresh-features|whole<={_WHOLE_S:g}s"


@dataclass(frozen=True)
class SpeechModel:
    """One language's pocketsphinx model: acoustic model folder, language model, dictionary."""

    language: str
    acoustic: Path
    lm: Path
    dictionary: Path

    def identity(self) -> str:
        """``"<language>|model=sha256:<prefix>"`` over every file of the model."""
        digest = hashlib.sha256()
        files = [*sorted(p for p in self.acoustic.iterdir() if p.is_file()), self.lm]
        for path in [*files, self.dictionary]:
            digest.update(f"{path.name}={file_identity(path)}\0".encode())
        return f"{self.language}|model=sha256:{digest.hexdigest()[:12]}"


def pocketsphinx() -> Any:
    """The pocketsphinx module; ImportError with the command that installs it."""
    try:
        return importlib.import_module("pocketsphinx")
    except ImportError as exc:
        raise ImportError(f"the 'transcript' audio encoder needs {_HINT} ({exc})") from exc


def models_dir(models: str | os.PathLike[str] | None) -> Path:
    """``models``, or the folder of the models the pocketsphinx wheel ships."""
    return Path(models) if models is not None else Path(pocketsphinx().get_model_path())


def find_models(folder: Path) -> dict[str, SpeechModel]:
    """Language -> its model, for each complete language folder in ``folder``."""
    # pocketsphinx's layout: <lang>/<acoustic folder with mdef>, <lang>/*.lm.bin, <lang>/*.dict
    found: dict[str, SpeechModel] = {}
    for lang in sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []:
        acoustic = [p for p in lang.iterdir() if (p / "mdef").is_file()]
        lms = [p for p in lang.iterdir() if p.name.endswith((".lm.bin", ".lm"))]
        lms = [p for p in lms if "phone" not in p.name]  # a phone-loop model gives no words
        dicts = [p for p in lang.iterdir() if p.suffix == ".dict"]
        if len(acoustic) == 1 and len(lms) == 1 and len(dicts) == 1:
            found[lang.name] = SpeechModel(lang.name, acoustic[0], lms[0], dicts[0])
    return found


def load_decoder(model: SpeechModel) -> Any:
    """A pocketsphinx decoder for ``model`` at 16 kHz, quiet (about 0.8 s to load)."""
    ps = pocketsphinx()
    config = ps.Config(
        hmm=str(model.acoustic),
        lm=str(model.lm),
        dict=str(model.dictionary),
        samprate=SAMPLE_RATE,
        loglevel="FATAL",
    )
    return ps.Decoder(config)


def recognize(decoder: Any, wave: npt.NDArray[np.float32]) -> str:
    """The words in 16 kHz float samples: lower case, single spaces, ``""`` for none.

    The recognizer finds words in silence or noise ("dog" in digital silence), so only a clip
    in which the voice-activity detector hears speech is recognized: whole up to 30 s (no word
    cut at a segment's edge), segment by segment beyond. Not thread-safe: one decoder, one
    thread at a time.
    """
    pcm = (np.clip(wave, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    segmenter = pocketsphinx().Segmenter(sample_rate=SAMPLE_RATE)
    segments = [s.pcm for s in segmenter.segment(io.BytesIO(pcm))]
    if not segments:
        return ""
    if len(wave) <= _WHOLE_S * SAMPLE_RATE:
        return _decode(decoder, pcm)
    return " ".join(p for p in (_decode(decoder, s) for s in segments) if p)


def _decode(decoder: Any, pcm: bytes) -> str:
    # the model's noise removal learns from every utterance: without a fresh start a clip's
    # words would depend on the clips recognized before it (and the cache on their order)
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    words = hyp.hypstr if hyp is not None else ""
    return " ".join(str(words).split()).lower()
