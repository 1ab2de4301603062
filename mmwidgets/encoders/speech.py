"""Speech to text for an audio column: pocketsphinx transcripts, embedded with a text encoder.

Log-mel statistics say how a clip sounds; a spoken description's class is in its words. The
``"transcript"`` audio encoder runs the offline recognizer pocketsphinx (whose wheel ships an
English model) on each clip, keeps the transcript (beside the embedding cache, so that it is
computed once per clip and the Labeler can show it) and embeds it with a text encoder (default
all-MiniLM-L6-v2). Each column's language is a parameter; a column whose language has no model
gets log-mel features instead, with a :class:`NoSpeechModelWarning` saying so.
"""

from __future__ import annotations

import copy
import importlib.metadata
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mmwidgets.encoders._base import Encoder, create_encoder, register_encoder
from mmwidgets.encoders._cache_keys import content_key, encoder_key
from mmwidgets.encoders._recognizer import (
    RECOGNIZER,
    find_models,
    load_decoder,
    models_dir,
    pocketsphinx,
    recognize,
)
from mmwidgets.encoders._transcripts import TranscriptStore
from mmwidgets.encoders.audio import LogMelEncoder, load_audio_16k

__all__ = ["NoSpeechModelWarning", "TranscriptEncoder", "speech_languages"]

#: short codes for the model folders pocketsphinx names by region
_ALIASES = {"en": "en-us"}


class NoSpeechModelWarning(UserWarning):
    """An audio column's language has no speech model: it gets log-mel features instead."""


def speech_languages(models: str | os.PathLike[str] | None = None) -> list[str]:
    """The languages with a speech model (``"en"`` is short for ``"en-us"``).

    Parameters
    ----------
    models : path, optional
        A folder with one subfolder per language, laid out like pocketsphinx's own (an
        acoustic model folder, one ``.lm.bin`` or ``.lm`` language model, one ``.dict``);
        default: the models the pocketsphinx wheel ships.

    Examples
    --------
    >>> from mmwidgets.encoders.speech import speech_languages
    >>> speech_languages()
    ['en-us']
    """
    return sorted(find_models(models_dir(models)))


@register_encoder("audio", "transcript")
class TranscriptEncoder(Encoder):
    """An audio clip's words: pocketsphinx speech to text, embedded with a text encoder.

    Every clip is decoded like the log-mel encoder's (mono, soxr-resampled to 16 kHz) and
    transcribed once; transcripts are kept in ``transcripts.sqlite`` beside the embedding cache
    (filed by the clip's content and the speech model, so another text encoder re-embeds them
    without transcribing again) and read back with :meth:`transcript`. A clip in which
    pocketsphinx's voice-activity detector hears no speech, or the recognizer no word, has the
    empty transcript and embeds as a zero vector: its item keeps its other modalities.

    Parameters
    ----------
    language : str, optional
        The column's spoken language (see :func:`speech_languages`; ``"en"`` is ``"en-us"``).
        Where it has no model, encoding a dataset warns (:class:`NoSpeechModelWarning`, naming
        the column and the languages there are) and gives that column log-mel features.
    text : str or Encoder, optional
        The text encoder for the transcripts: a registered name or model name (default the
        bundled all-MiniLM-L6-v2) or an encoder instance.
    models : path, optional
        Where the speech models are (see :func:`speech_languages`).
    transcripts : path, optional
        Folder of the transcript store. Default: the embedding cache folder that
        :func:`~mmwidgets.encoders.encode_dataset` (or a Session) encodes into; memory only
        for a direct :meth:`encode` call.
    device : str, optional
        For the text encoder; recognition runs on the CPU.
    batch_size : int, optional
        Clips per batch.

    Examples
    --------
    >>> from mmwidgets.encoders import create_encoder
    >>> enc = create_encoder("audio", "transcript", text="hashing")
    >>> clip = "/usr/share/tuxpaint/stamps/animals/mammals/hippopotamus_desc.ogg"
    >>> enc.transcribe([clip])
    ['hippopotamus']
    >>> enc.encode([clip]).shape, enc.transcript(clip)
    ((1, 256), 'hippopotamus')
    """

    modality = "audio"
    name = "transcript"
    _transient = ("_model", "_lock", "_store")

    def __init__(
        self,
        *,
        language: str = "en",
        text: str | Encoder = "minilm",
        models: str | os.PathLike[str] | None = None,
        transcripts: str | os.PathLike[str] | None = None,
        device: str = "auto",
        batch_size: int = 16,
    ) -> None:
        if not isinstance(language, str) or not language.strip():
            raise ValueError(f"language must be a language code such as 'en', got {language!r}")
        release = importlib.metadata.version(pocketsphinx().__name__)  # ImportError: a hint
        self.language = _ALIASES.get(language.strip().lower(), language.strip().lower())
        if isinstance(text, Encoder):
            if text.modality != "text":
                raise ValueError(f"text must be a text encoder, got a {text.modality} encoder")
            self.text_encoder = text
        else:
            self.text_encoder = create_encoder("text", text, device=device)
        self.models = None if models is None else Path(models)
        self.transcripts = None if transcripts is None else Path(transcripts)
        self.device = "cpu"
        self.batch_size = batch_size
        self.dim = self.text_encoder.dim
        available = find_models(models_dir(self.models))
        self._speech = available.get(self.language)
        self.speech_model = f"pocketsphinx-{release}|{RECOGNIZER}|" + (
            self._speech.identity() if self._speech else f"{self.language}|no-model"
        )
        self.version = f"transcript-v1|{self.speech_model}|text={encoder_key(self.text_encoder)}"
        self._model: Any = None
        self._lock = threading.Lock()
        self._store = TranscriptStore(self.transcripts)

    def _rebuild(self) -> None:
        self._store = TranscriptStore(self.transcripts)

    def _transcript_store(self) -> TranscriptStore:
        """The store of :attr:`transcripts`, re-opened when that folder was changed."""
        wanted = None if self.transcripts is None else Path(self.transcripts)
        if self._store.directory != wanted:
            self._store = TranscriptStore(self.transcripts)
        return self._store

    def for_column(self, column: str, cache_dir: Path | None) -> Encoder:
        """Itself, keeping transcripts in ``cache_dir``; log-mel where the language has no model.

        Examples
        --------
        >>> import warnings
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("audio", "transcript", language="xx", text="hashing")
        >>> with warnings.catch_warnings(record=True) as seen:
        ...     warnings.simplefilter("always")
        ...     enc.for_column("speech", None).name
        'logmel'
        >>> print(seen[0].message)  # doctest: +NORMALIZE_WHITESPACE
        audio column 'speech': no speech model for language 'xx' (there are: en-us); its
        features are log-mel statistics instead
        """
        if self._speech is None:
            warnings.warn(
                f"audio column {column!r}: no speech model for language {self.language!r} "
                f"(there are: {', '.join(speech_languages(self.models)) or 'none'}); its "
                "features are log-mel statistics instead",
                NoSpeechModelWarning,
                stacklevel=2,
            )
            return LogMelEncoder()
        if self.transcripts is not None or cache_dir is None:
            return self
        bound = copy.copy(self)  # shares the loaded recognizer and its lock
        bound.transcripts = Path(cache_dir)  # its transcript store follows on first use
        return bound

    def transcribe(self, values: Sequence[Any]) -> list[str]:
        """The words heard in each clip (lower case; ``""`` where none), stored for later reads.

        Raises
        ------
        MediaError
            When a clip cannot be decoded.
        ValueError
            When the language has no speech model.

        Examples
        --------
        See the class example.
        """
        return self._transcripts([self._load(v) for v in values])

    def transcript(self, value: Any) -> str | None:
        """The stored transcript of a clip, or None if it was not transcribed (nothing runs).

        Examples
        --------
        >>> from mmwidgets.encoders import create_encoder
        >>> enc = create_encoder("audio", "transcript", text="hashing")
        >>> print(enc.transcript(b"never transcribed"))
        None
        """
        try:
            key = content_key(value, "audio")
        except (OSError, TypeError, ValueError):
            return None
        return self._transcript_store().get_many(self.speech_model, [key]).get(key)

    def _load(self, value: Any) -> tuple[str, npt.NDArray[np.float32]]:
        return content_key(value, "audio"), load_audio_16k(value)

    def _forward(self, inputs: list[tuple[str, npt.NDArray[np.float32]]]) -> np.ndarray:
        texts = self._transcripts(inputs)
        out = np.zeros((len(inputs), self.dim), dtype=np.float32)
        spoken = [i for i, words in enumerate(texts) if words]
        if spoken:
            out[spoken] = self.text_encoder.encode([texts[i] for i in spoken])
        return out

    def _transcripts(self, inputs: list[tuple[str, npt.NDArray[np.float32]]]) -> list[str]:
        known = self._transcript_store().get_many(self.speech_model, [key for key, _ in inputs])
        new = {key: self._recognize(wave) for key, wave in inputs if key not in known}
        if new:
            self._transcript_store().put_many(self.speech_model, new)
        return [known.get(key, new.get(key, "")) for key, _ in inputs]

    def _recognize(self, wave: npt.NDArray[np.float32]) -> str:
        with self._lock:  # one decoder, used by one thread at a time
            if self._model is None:
                if self._speech is None:
                    raise ValueError(
                        f"no speech model for language {self.language!r}; there are: "
                        f"{', '.join(speech_languages(self.models)) or 'none'}"
                    )
                self._model = load_decoder(self._speech)
            return recognize(self._model, wave)
