"""Speech alone: what a spoken description says (transcripts) vs how it sounds (log-mel).

Prints figures and asserts nothing. The sample set's English spoken descriptions (the
``name_desc.ogg`` clips, all of them animals) are classified into their subcategory (birds,
mammals, insects, marsupials; classes with fewer than 3 clips are left out and listed) from
the speech column alone, by scikit-learn's LogisticRegression on standardized features,
cross-validated with repeated stratified 3-fold splits. Side by side: 64-band log-mel mean+std
(128-d), the pocketsphinx transcript embedded with MiniLM (384-d), and MiniLM on the written
description as the ceiling. Also: how often the transcript holds a word of the description,
and transcription speed (audio seconds per second of recognition, decoding included).
Run: nice -n 5 .venv/bin/python benchmarks/speech.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import os
import re
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import soundfile as sf
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mmwidgets import load_sample
from mmwidgets.encoders import create_encoder

MIN_PER_CLASS = 3
_STOP = {"a", "an", "the", "two", "of", "and"}


def _english_speech():
    df = load_sample()
    df = df[df["speech"].fillna("").str.endswith("_desc.ogg")].reset_index(drop=True)
    counts = df["subcategory"].value_counts()
    kept = counts[counts >= MIN_PER_CLASS].index
    dropped = {str(k): int(v) for k, v in counts.items() if k not in kept}
    return df[df["subcategory"].isin(kept)].reset_index(drop=True), dropped


def _scores(X: np.ndarray, y: np.ndarray, repeats: int) -> tuple[float, float, float, float]:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    folds = RepeatedStratifiedKFold(n_splits=3, n_repeats=repeats, random_state=0)
    cv = cross_validate(model, X, y, cv=folds, scoring=("accuracy", "balanced_accuracy"))
    acc, bal = cv["test_accuracy"], cv["test_balanced_accuracy"]
    return float(acc.mean()), float(acc.std()), float(bal.mean()), float(bal.std())


def _heard(description: str, transcript: str) -> bool:
    words = set(re.findall(r"[a-z]+", description.lower())) - _STOP
    said = set(transcript.split())
    # a compound name ("mountaingoat") counts when its parts are heard ("mountain goat")
    return bool(words & said) or any(w in transcript.replace(" ", "") for w in words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10, help="repeats of the 3-fold split")
    args = parser.parse_args()

    df, dropped = _english_speech()
    clips = df["speech"].tolist()
    y = df["subcategory"].to_numpy()
    seconds = sum(sf.info(c).duration for c in clips)
    print(f"{len(df)} English spoken descriptions, {seconds:.1f} s of audio; classes:")
    print("  " + ", ".join(f"{k} {v}" for k, v in df["subcategory"].value_counts().items()))
    print(f"  left out (fewer than {MIN_PER_CLASS} clips): {dropped}")

    logmel = create_encoder("audio", "logmel")
    start = time.perf_counter()
    X_logmel = logmel.encode(clips)
    logmel_s = time.perf_counter() - start

    speech = create_encoder("audio", "transcript")  # memory-only transcripts: all recognized
    speech.transcribe(clips[:1])  # the recognizer's model loads outside the timing
    start = time.perf_counter()
    transcripts = speech.transcribe(clips)
    recognize_s = time.perf_counter() - start
    X_speech = speech.encode(clips)  # reads the transcripts back; embeds them with MiniLM
    X_text = create_encoder("text").encode(df["text"].tolist())

    heard = [_heard(d, t) for d, t in zip(df["text"], transcripts, strict=True)]
    empty = sum(not t for t in transcripts)
    print(
        f"transcripts holding a word of the description: {sum(heard)}/{len(df)} "
        f"({np.mean(heard):.0%}); empty: {empty}"
    )
    for d, t in list(zip(df["text"], transcripts, strict=True))[:6]:
        print(f"  {d!r:28} -> {t!r}")
    print(
        f"speed: transcription {seconds / recognize_s:.1f}x real time "
        f"({recognize_s / len(df) * 1000:.0f} ms per clip, decode+VAD+recognize); "
        f"log-mel {seconds / logmel_s:.0f}x real time"
    )

    classes, counts = np.unique(y, return_counts=True)
    print(
        f"\nchance: majority class {counts.max() / counts.sum():.3f} accuracy; "
        f"{1 / len(classes):.3f} balanced accuracy ({len(classes)} classes)"
    )
    print(f"3-fold stratified CV x {args.repeats} repeats, StandardScaler + LogisticRegression")
    print(f"{'features':42} {'accuracy':>16} {'balanced acc.':>16}")
    for name, X in [
        ("speech: log-mel mean+std (128-d)", X_logmel),
        ("speech: transcript -> MiniLM (384-d)", X_speech),
        ("written description -> MiniLM (ceiling)", X_text),
    ]:
        acc, acc_sd, bal, bal_sd = _scores(X, y, args.repeats)
        print(f"{name:42} {acc:>9.3f} ± {acc_sd:.3f} {bal:>9.3f} ± {bal_sd:.3f}")


if __name__ == "__main__":
    main()
