"""Speech to text: real pocketsphinx on the sample set's spoken English descriptions.

The clips are Tux Paint's recordings (``name_desc.ogg``); the words asserted are the ones their
``name.txt`` description says and that the shipped English model hears.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mmwidgets as mm
from mmwidgets.encoders import (
    NoSpeechModelWarning,
    TranscriptEncoder,
    content_key,
    create_encoder,
    encode_dataset,
    speech_languages,
)
from mmwidgets.encoders._transcripts import TRANSCRIPTS_FILE, TranscriptStore
from mmwidgets.widgets import _protocol

STAMPS = Path("/usr/share/tuxpaint/stamps/animals")
#: clip -> a word of its description that the English model hears
HEARD = {
    STAMPS / "mammals/hippopotamus_desc.ogg": "hippopotamus",  # "An hippopotamus."
    STAMPS / "marsupials/kangaroo_desc.ogg": "kangaroo",  # "A red kangaroo."
    STAMPS / "insects/grasshopper_desc.ogg": "grasshopper",  # "A grasshopper."
    STAMPS / "mammals/bovines/mountaingoat_desc.ogg": "goat",  # "A mountaingoat."
}
CLIPS = list(HEARD)


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Copies of the clips in a fresh folder (so that their paths are ours to name)."""
    folder = tmp_path_factory.mktemp("spoken")
    copies = []
    for clip in CLIPS:
        copy = folder / clip.name
        shutil.copyfile(clip, copy)
        copies.append(copy)
    return copies


def _dataset(clips: list[Path], **extra: list[object]) -> mm.Dataset:
    frame = pd.DataFrame({"id": [c.stem for c in clips], "speech": [str(c) for c in clips]})
    for name, values in extra.items():
        frame[name] = values
    audio = ["speech", *extra]
    return mm.Dataset.from_pandas(frame, id="id", audio=audio if extra else "speech")


def test_the_shipped_english_model_is_listed():
    assert "en-us" in speech_languages()


def test_a_spoken_english_clip_gives_its_words_embedded_by_the_text_encoder():
    enc = create_encoder("audio", "transcript")  # default text encoder: the bundled MiniLM
    assert isinstance(enc, TranscriptEncoder)
    assert enc.dim == 384
    words = enc.transcribe(CLIPS)
    for text, expected in zip(words, HEARD.values(), strict=True):
        assert expected in text.split(), (expected, text)
    rows = enc.encode(CLIPS)
    direct = create_encoder("text").encode(words)
    np.testing.assert_allclose(rows, direct, atol=1e-5)  # the transcript's sentence embedding
    assert [enc.transcript(c) for c in CLIPS] == words  # kept: read back without recognizing


def test_a_clip_gives_the_same_words_whatever_was_recognized_before():
    # pocketsphinx's noise removal adapts across utterances; transcripts are cached per clip,
    # so they must not depend on the order clips arrive in (these three did, before the fix)
    birds = [STAMPS / f"birds/{name}_desc.ogg" for name in ("blackbird", "crow", "cuckoo")]
    noise = (0.3 * np.random.default_rng(0).standard_normal(48_000)).astype(np.float32)
    after_noise = create_encoder("audio", "transcript", text="hashing").transcribe(
        [(noise, 16_000), *birds]
    )[1:]
    fresh = [create_encoder("audio", "transcript", text="hashing") for _ in birds]
    assert after_noise == [enc.transcribe([b])[0] for enc, b in zip(fresh, birds, strict=True)]


def test_the_cache_key_names_speech_model_language_and_text_encoder():
    minilm = create_encoder("audio", "transcript")
    hashing = create_encoder("audio", "transcript", text="hashing")
    other_language = create_encoder("audio", "transcript", language="fr", text="hashing")
    assert "pocketsphinx-" in minilm.version
    assert "en-us|model=sha256:" in minilm.version
    assert "text=text/minilm/" in minilm.version
    assert "text=text/hashing/" in hashing.version
    assert len({minilm.version, hashing.version, other_language.version}) == 3
    assert create_encoder("audio", "transcript", language="EN").version == minilm.version


def test_bad_settings_are_refused_in_words():
    with pytest.raises(ValueError, match="language must be a language code"):
        create_encoder("audio", "transcript", language=" ")
    with pytest.raises(ValueError, match="text must be a text encoder, got a audio encoder"):
        create_encoder("audio", "transcript", text=create_encoder("audio", "logmel"))
    with pytest.raises(ValueError, match=r"no speech model for language 'xx'; there are: en-us"):
        create_encoder("audio", "transcript", language="xx", text="hashing").transcribe(CLIPS[:1])


def test_a_language_without_a_model_warns_and_that_column_gets_log_mel(spoken):
    ds = _dataset(spoken)
    french = create_encoder("audio", "transcript", language="xx", text="hashing")
    with pytest.warns(NoSpeechModelWarning, match=r"'speech'.*'xx' \(there are: en-us\)"):
        encoded = encode_dataset(ds, {"speech": french}, cache=False, progress=False)
    assert encoded.column_encoders["speech"].name == "logmel"
    features = encoded.column_embeddings["speech"]
    assert features.shape == (len(spoken), 128)
    np.testing.assert_allclose(features, create_encoder("audio", "logmel").encode(spoken))


def test_transcripts_are_computed_once_and_cached_beside_the_embeddings(spoken, tmp_path):
    ds = _dataset(spoken)
    speech = {"audio": create_encoder("audio", "transcript", text="hashing")}
    cold = encode_dataset(ds, speech, cache=tmp_path, progress=False)
    assert (cold.computed["audio"], cold.cached["audio"]) == (len(spoken), 0)
    assert (tmp_path / TRANSCRIPTS_FILE).is_file()
    warm = encode_dataset(ds, speech, cache=tmp_path, progress=False)
    assert (warm.computed["audio"], warm.cached["audio"]) == (0, len(spoken))
    np.testing.assert_array_equal(warm.embeddings["audio"], cold.embeddings["audio"])
    # a new encoder (a new session) reads the stored words without recognizing anything
    reader = encode_dataset(ds, speech, cache=tmp_path, progress=False).column_encoders["speech"]
    assert isinstance(reader, TranscriptEncoder)
    assert [reader.transcript(c) for c in spoken] == reader.transcribe(spoken)
    for clip, word in zip(spoken, HEARD.values(), strict=True):
        assert word in (reader.transcript(clip) or "")


def test_another_text_encoder_re_embeds_the_stored_transcripts(spoken, tmp_path):
    ds = _dataset(spoken[:1])
    enc = create_encoder("audio", "transcript", text="hashing")
    # a transcript already in the store is what gets embedded: the recognizer is not asked
    TranscriptStore(tmp_path).put_many(enc.speech_model, {content_key(spoken[0], "audio"): "koala"})
    encoded = encode_dataset(ds, {"speech": enc}, cache=tmp_path, progress=False)
    expected = create_encoder("text", "hashing").encode(["koala"])
    np.testing.assert_allclose(encoded.column_embeddings["speech"], expected, atol=1e-3)


def test_a_column_gets_its_own_encoder_beside_another_that_keeps_log_mel(spoken, tmp_path):
    ds = _dataset(spoken, sound=[str(c) for c in spoken])
    speech = create_encoder("audio", "transcript", text="hashing")
    encoded = encode_dataset(ds, {"speech": speech}, cache=tmp_path, progress=False)
    assert encoded.column_embeddings["speech"].shape == (len(spoken), 256)
    assert encoded.column_embeddings["sound"].shape == (len(spoken), 128)
    assert encoded.column_encoders["sound"].name == "logmel"
    assert "audio" not in encoded.embeddings  # sizes differ: no per-modality mean
    with pytest.raises(mm.exceptions.UnknownModalityError, match=r"per column \('speech', 'sound'"):
        encode_dataset(ds, {"voice": speech}, cache=False, progress=False)


def test_a_silent_clip_embeds_as_zeros_and_its_item_is_kept(tmp_path):
    silence = (np.zeros(16_000, dtype=np.float32), 16_000)
    enc = create_encoder("audio", "transcript", text="hashing")
    assert enc.transcribe([silence]) == [""]
    rows = enc.encode([silence])
    assert rows.shape == (1, 256)
    assert not rows.any()


def test_the_labeler_sends_the_transcript_with_the_speech_player(tmp_path):
    df = mm.load_sample()
    english = df["speech"].fillna("").str.endswith(tuple(c.name for c in CLIPS))
    df = df[english].reset_index(drop=True)
    assert len(df) == len(CLIPS)
    session = mm.Session(
        df,
        labels=["mammals", "marsupials", "insects"],
        id="id",
        text="text",
        audio=["speech", "sound"],
        encoders={"text": "hashing", "audio": "logmel", "speech": "transcript"},
        store=tmp_path / "labels.sqlite",
        progress=False,
        background=False,
    )
    labeler = mm.Labeler(session, prefetch=len(df))
    try:
        assert session.ready
        sent: list[dict] = []
        labeler.send = lambda content, buffers=None: sent.append(content)
        labeler._on_message(labeler, {"kind": "sync", "id": "t1", "have": [], "depth": 8}, [])
        labeler._prepack.join()
        items = next(m["result"] for m in sent if m.get("id") == "t1")["items"]
        items += [i for m in sent if m["kind"] == _protocol.ITEMS for i in m["items"]]
        assert len({p["id"] for p in items}) == len(df)
        for payload in items:
            json.dumps(payload)
            slots = {slot["column"]: slot for slot in payload["audio"]}
            words = session.transcript(payload["id"], "speech")
            assert words is not None
            assert slots["speech"]["transcript"] == words
            clip = Path(session.dataset.value(payload["id"], "speech"))
            assert HEARD[clip] in words.split()
            assert "transcript" not in slots.get("sound", {})  # log-mel: no words
            assert session.transcript(payload["id"], "sound") is None
    finally:
        labeler.close()
        session.close()
