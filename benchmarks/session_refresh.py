"""Refresh cycle of the session loop on large pools, and label() latency during a retrain.

Embeddings of realistic widths (text 384 + image 1280 + audio 128) are written as fp16
memory-mapped files, as the embedding cache stores them; 200 labeled items of 10 classes.
Measures, per pool size: time from a new label to the reordered queue (train warm-start +
score every item + rank), LabelStore.set() latency while that retrain runs on another thread,
and peak RSS.

    python benchmarks/session_refresh.py --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from mmwidgets.data import LabelStore
from mmwidgets.fusion import FusionClassifier
from mmwidgets.session import PoolView
from mmwidgets.session._loop import next_generation
from mmwidgets.session._pool import fused_embeddings
from mmwidgets.session._state import Generation

DIMS = {"text": 384, "image": 1280, "audio": 128}
CLASSES = [f"class{i}" for i in range(10)]


def _memmaps(n: int, folder: Path, rng: np.random.Generator) -> dict[str, np.ndarray]:
    centers = {m: rng.normal(size=(10, d)).astype(np.float32) for m, d in DIMS.items()}
    truth = rng.integers(0, 10, n)
    out = {}
    for m, d in DIMS.items():
        mm = np.lib.format.open_memmap(
            folder / f"{m}.npy", mode="w+", dtype=np.float16, shape=(n, d)
        )
        for start in range(0, n, 50_000):
            stop = min(start + 50_000, n)
            block = centers[m][truth[start:stop]] + rng.normal(size=(stop - start, d)) * 2
            mm[start:stop] = block.astype(np.float16)
        mm.flush()
        out[m] = np.load(folder / f"{m}.npy", mmap_mode="r")
    return out, truth


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        X, truth = _memmaps(n, Path(tmp), rng)
        presence = np.ones((n, len(DIMS)), dtype=bool)
        presence[rng.random(n) < 0.5, 2] = False  # half the items have no audio
        t0 = time.perf_counter()
        fused = fused_embeddings(X, presence)
        fused_s = time.perf_counter() - t0
        labeled = rng.choice(n, 200, replace=False)
        labels = [CLASSES[t] for t in truth[labeled]]
        excluded = np.zeros(n, dtype=bool)
        excluded[labeled] = True

        def make_model() -> FusionClassifier:
            return FusionClassifier("weighted", classes=CLASSES)

        common = dict(
            view=PoolView(X=X, presence=presence, fused=fused),
            ids=[str(i) for i in range(n)],
            excluded=excluded,
            make_model=make_model,
            strategy="hybrid",
            class_names=CLASSES,
            multi_label=False,
            queue_size=20,
            seed=0,
        )
        first = next_generation(
            Generation(), labeled_rows=labeled, labels=labels, full_refit=True, **common
        )
        # one more label arrives: warm-start retrain, rescore, rerank (what label() triggers)
        new = int(np.flatnonzero(~excluded)[0])
        excluded[new] = True
        rows = np.append(labeled, new)
        labels2 = [*labels, CLASSES[truth[new]]]
        store = LabelStore(Path(tmp) / "labels.sqlite", labels=CLASSES)
        latencies: list[float] = []
        done = threading.Event()

        def annotate() -> None:
            i = 0
            while not done.is_set():
                t = time.perf_counter()
                store.set(f"item{i}", CLASSES[i % 10])
                latencies.append(time.perf_counter() - t)
                i += 1
                time.sleep(0.01)

        annotator = threading.Thread(target=annotate)
        annotator.start()
        t0 = time.perf_counter()
        second = next_generation(
            first,
            labeled_rows=rows,
            labels=labels2,
            full_refit=False,
            **{**common, "excluded": excluded},
        )
        refresh_s = time.perf_counter() - t0
        done.set()
        annotator.join()
        store.close()
        assert second.version == 2
        assert len(second.queue) == 20
        lat = sorted(latencies)
        return {
            "n": n,
            "refresh_s": refresh_s,
            "first_fit_s": first.seconds,
            "fused_projection_s": fused_s,
            "label_p50_ms": 1000 * statistics.median(lat),
            "label_p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))],
            "labels_during_refresh": len(lat),
            "peak_rss_mb": _rss_mb(),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    print(
        f"{'pool':>9} {'refresh s':>10} {'first fit s':>12} {'fused s':>8} "
        f"{'label p50 ms':>13} {'label p95 ms':>13} {'labels':>7} {'peak RSS MB':>12}"
    )
    run(2000)  # warm-up: torch's first backward pass loads lazy machinery (seconds, once)
    for n in (int(s) for s in args.sizes.split(",")):
        r = run(n)
        print(
            f"{r['n']:>9} {r['refresh_s']:>10.2f} {r['first_fit_s']:>12.2f} "
            f"{r['fused_projection_s']:>8.2f} {r['label_p50_ms']:>13.2f} "
            f"{r['label_p95_ms']:>13.2f} {r['labels_during_refresh']:>7} "
            f"{r['peak_rss_mb']:>12.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
