"""Encoder throughput and the embedding cache, measured side by side on the sample data.

Prints figures and asserts nothing. On this 2-core machine the default --n 120 takes about two
minutes (more when other work shares the cores: the load average is printed). Every figure is
the best of ROUNDS turns taken in alternation, so a busy spell slows all contenders alike.
Run: HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/encoders.py [--n 120]

(a) mmwidgets pipeline (encoder.encode on paths / texts, decoding included) vs the bare model
    forward on the same preprocessed tensors, and the pipeline on already-decoded media;
(b) encode_dataset: cold pass (empty cache) vs warm pass (everything cached);
(c) images/s, sentences/s, seconds of audio per second;
(d) with --executor: images/s of encode_dataset in-process vs on a 2-worker Dask LocalCluster
    on the same cores, the scheduling overhead per shard (an empty shard's round trip), and
    the driver's commit time per shard (what bounds how many workers one driver can feed).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import pandas as pd
import soundfile as sf
import torch
from _timing import ROUNDS, race

from mmwidgets import Dataset, load_sample
from mmwidgets.data.media import load_image
from mmwidgets.encoders import EmbeddingCache, create_encoder, encode_dataset
from mmwidgets.encoders.audio import SAMPLE_RATE, load_audio_16k


def batches(values: list[Any], size: int) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def neural_rows(
    modality: str, values: list[Any], decoded: list[Any] | None, unit: str
) -> list[str]:
    enc: Any = create_encoder(modality)
    enc.encode(values[: enc.batch_size])  # load the model, warm the kernels
    chunks = batches(values, enc.batch_size)
    tensors = [enc.preprocess(chunk) for chunk in chunks]
    contenders = {
        "pipeline": lambda: enc.encode(values),
        "bare": lambda: [enc.forward_tensor(t) for t in tensors],
        "preprocess": lambda: [enc.preprocess(chunk) for chunk in chunks],
    }
    if decoded is not None:
        contenders["no_decode"] = lambda: enc.encode(decoded)
    t = race(contenders)
    n, pipeline, bare, prep = len(values), t["pipeline"], t["bare"], t["preprocess"]
    line = f"{modality:5s} {enc.name:22s} n={n:4d}  pipeline {n / pipeline:6.1f} {unit}/s"
    if decoded is not None:
        line += f" | on decoded images {n / t['no_decode']:6.1f}"
    line += f" | bare forward {n / bare:6.1f}"
    what = "decode+resize+crop" if modality == "image" else "tokenize"
    ratio = (
        f"{'':5s} pipeline / bare forward = {bare / pipeline:.2f}x"
        f" | {what} {1000 * prep / n:.1f} ms per item"
        f" | pipeline minus {what}: {bare / max(pipeline - prep, 1e-9):.2f}x"
    )
    return [line, ratio]


def audio_rows(paths: list[str]) -> list[str]:
    enc = create_encoder("audio")
    seconds = sum(sf.info(p).duration for p in paths)
    enc.encode(paths[:4])
    waves = [(load_audio_16k(p), SAMPLE_RATE) for p in paths]
    t = race(
        {
            "pipeline": lambda: enc.encode(paths),
            "decode": lambda: [load_audio_16k(p) for p in paths],
            "features": lambda: enc.encode(waves),
        }
    )
    return [
        f"audio {enc.name:22s} n={len(paths):4d}  pipeline {seconds / t['pipeline']:6.0f} s of"
        f" audio/s ({len(paths) / t['pipeline']:.0f} clips/s) | without file decode"
        f" {seconds / t['features']:6.0f} s/s",
        f"{'':5s} ({seconds:.0f} s of audio; decoding and resampling take"
        f" {100 * t['decode'] / t['pipeline']:.0f}% of the pipeline; log-mel has no model)",
    ]


# A new session on a warm cache: a fresh interpreter, so imports count (the same items as main()).
NEW_PROCESS = """
import sys, time
from mmwidgets import Dataset, load_sample
from mmwidgets.encoders import create_encoder, encode_dataset
sample = load_sample().sample(frac=1.0, random_state=0).head(int(sys.argv[1]))
dataset = Dataset.from_pandas(
    sample, id="id", text="text", image="image", audio=["speech", "sound"], validate=False
)
start = time.perf_counter()
encoders = {m: create_encoder(m) for m in dataset.modalities}
created = time.perf_counter()
result = encode_dataset(dataset, encoders, cache=sys.argv[2], progress=False)
done = time.perf_counter()
loaded = [m for m, e in encoders.items() if getattr(e, "_model", None) is not None]
print(created - start, done - created, sum(result.computed.values()), loaded or "none")
"""


def new_process_row(n: int, cache: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-c", NEW_PROCESS, str(n), str(cache)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split(maxsplit=3)
    create, encode, computed, loaded = float(out[0]), float(out[1]), out[2], out[3].strip()
    return (
        f"{'':5s} in a new process: creating the encoders {create:.2f} s (imports torch and timm)"
        f" + warm encode_dataset {1000 * encode:.0f} ms; cells computed {computed}, models"
        f" loaded {loaded}"
    )


def cache_rows(dataset: Dataset, folder: Path) -> list[str]:
    rounds = iter(range(10 * ROUNDS))

    def cold(loaded: dict[str, Any] | None) -> Any:
        encoders = loaded or {m: create_encoder(m) for m in dataset.modalities}  # lazy models
        return encode_dataset(
            dataset, encoders, cache=folder / f"cold{next(rounds)}", progress=False
        )

    loaded = {m: create_encoder(m) for m in dataset.modalities}
    cold(loaded)  # loads the models, and fills the cache the warm passes read
    warm_encoders: list[dict[str, Any]] = []

    def warm() -> Any:
        warm_encoders.append({m: create_encoder(m) for m in dataset.modalities})
        return encode_dataset(dataset, warm_encoders[-1], cache=folder / "cold0", progress=False)

    # warm passes create their encoders inside the timing, as a new session would
    t = race({"cold+load": lambda: cold(None), "cold": lambda: cold(loaded), "warm": warm})
    result = warm()
    models = [m for e in warm_encoders for m, x in e.items() if getattr(x, "_model", None)]
    stats = EmbeddingCache(folder / "cold0").stats()
    return [
        f"encode_dataset n={len(dataset)} items, {sum(result.cached.values())} cells:"
        f" cold {t['cold']:.2f} s with models loaded ({t['cold+load']:.2f} s loading them)"
        f" | warm {1000 * t['warm']:.0f} ms (encoders created inside)",
        f"{'':5s} warm / cold speed-up = {t['cold'] / t['warm']:.0f}x"
        f" ({t['cold+load'] / t['warm']:.0f}x counting model loading); models loaded by"
        f" {len(warm_encoders)} warm passes: {models or 'none'};"
        f" cache {stats.disk_bytes / 1e6:.1f} MB in {stats.shards} shards",
        new_process_row(len(dataset), folder / "cold0"),
    ]


def executor_rows(images: list[str], folder: Path, shard_size: int = 16) -> list[str]:
    from distributed import Client, LocalCluster

    from mmwidgets.encoders._shard_task import ShardTask, encode_shard

    dataset = Dataset.from_pandas(pd.DataFrame({"image": images}), image="image", validate=False)
    encoder = create_encoder("image")
    encoder.encode(images[:2])  # the model loaded, in this process as on the workers below
    turns = iter(range(100))
    stats: list[Any] = []
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster) as client:

        def run(executor: Any) -> Any:
            enc = encode_dataset(
                dataset, {"image": encoder}, cache=folder / f"x{next(turns)}",
                progress=False, executor=executor, shard_size=shard_size,
            )  # fmt: skip
            if enc.dispatch is not None:
                stats.append(enc.dispatch)
            return enc

        run(client)  # each worker loads the model once, before the timed turns
        t = race({"in-process": lambda: run(None), "cluster": lambda: run(client)})
        pool = client.get_executor(pure=False)
        empty = ShardTask(0, ())
        trips = []
        for _ in range(50):
            start = time.perf_counter()
            pool.submit(encode_shard, empty).result()
            trips.append(time.perf_counter() - start)
    last = stats[-1]
    rate_in, rate_cluster = len(images) / t["in-process"], len(images) / t["cluster"]
    commit_ms = 1000 * last.commit_s / max(1, last.shards)
    per_worker = rate_cluster / 2
    commit_rate = len(images) / max(last.commit_s, 1e-9)
    return [
        f"encode_dataset, {len(images)} images, cold cache: in-process {rate_in:.1f} img/s"
        f" | 2-worker LocalCluster {rate_cluster:.1f} img/s ({last.shards} shards of"
        f" {shard_size}) | cluster / in-process = {rate_cluster / rate_in:.2f}x",
        f"{'':5s} scheduling: an empty shard's round trip, median"
        f" {1000 * sorted(trips)[len(trips) // 2]:.1f} ms (p90 {1000 * sorted(trips)[44]:.1f} ms)"
        f" | driver commit {commit_ms:.1f} ms per shard ({commit_rate:.0f} rows/s)",
        f"{'':5s} scaling: {per_worker:.1f} img/s per worker here; one driver commits"
        f" {commit_rate:.0f} rows/s, so it keeps up with ~{commit_rate / per_worker:.0f}"
        " such workers before its commits bound the run",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=120, help="sample items to use (max ~950)")
    parser.add_argument(
        "--executor", action="store_true", help="only (d): in-process vs a 2-worker cluster"
    )
    args = parser.parse_args()
    sample = load_sample().sample(frac=1.0, random_state=0).head(args.n)
    texts = sample["text"].dropna().tolist()
    images = sample["image"].dropna().tolist()
    speech = sample["speech"].dropna().tolist()
    print(
        f"# {platform.node()} · {os.cpu_count()} CPUs · torch {torch.__version__}"
        f" ({torch.get_num_threads()} threads) · {len(texts)} texts, {len(images)} images,"
        f" {len(speech)} spoken descriptions from load_sample() · load average"
        f" {os.getloadavg()[0]:.1f} at start"
    )
    if args.executor:
        with tempfile.TemporaryDirectory() as folder:
            for line in executor_rows(images, Path(folder)):
                print(line)
        print(f"# load average {os.getloadavg()[0]:.1f} at the end")
        return
    decoded_images = [load_image(p) for p in images]
    for line in neural_rows("image", images, decoded_images, "img"):
        print(line)
    for line in neural_rows("text", texts, None, "sentences"):
        print(line)
    for line in audio_rows(speech):
        print(line)
    dataset = Dataset.from_pandas(  # the files were read above: no need to check them twice
        sample, id="id", text="text", image="image", audio=["speech", "sound"], validate=False
    )
    with tempfile.TemporaryDirectory() as folder:
        for line in cache_rows(dataset, Path(folder)):
            print(line)
    print(
        f"# load average {os.getloadavg()[0]:.1f} at the end (2 cores: above ~2 means contention)"
    )


if __name__ == "__main__":
    main()
