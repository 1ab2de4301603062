"""The session loop on large pools: a real Session over fp16 memmaps, against the bare floor.

Per pool size, in a fresh process each (so peak RSS is that pool's alone): embeddings of
realistic widths (text 384 + image 1280 + audio 128, half the items without audio) as fp16
``.npy`` files, as the embedding cache stores them, given to ``Session(embeddings=)``; a store
already holding 500 labels of 10 classes (so the Session resumes); ``weighted`` fusion,
``hybrid`` strategy, the trainer on its background thread.

Figures:
- reopen → first item: ``Session(...)`` until ``queue(1)`` returns an item (the library
  imported already);
- reopen → model: until the first model has scored the whole pool;
- label → rerank: ``label()`` until a queue ranked by a model trained on that label is
  published (candidate rescoring), median of 3 quiet labels;
- label → full rescore: until the whole pool carries that model's scores and is ranked;
- ``label()`` p50/p95 and the longest lag of the served model behind acknowledged labels,
  while a thread labels 2 items a second for 8 s;
- peak RSS of the process (before the floors below run), and the part that was there before
  the Session was made (Python, numpy, pandas, torch, scikit-learn and the DataFrame);
- floors, same process, same pool: the bare torch forward of the same weighted-fusion net over
  the compact inputs the session scores (``net``), and over the raw 1792-d embeddings (``raw
  net``, what a rescore cost before compact inputs).

    python benchmarks/session_refresh.py --sizes 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

DIMS = {"text": 384, "image": 1280, "audio": 128}
CLASSES = [f"class{i}" for i in range(10)]
N_LABELS = 500


def _write_pool(n: int, folder: Path) -> None:
    """fp16 .npy files written with plain file writes (the measuring process maps nothing)."""
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 10, n).astype(np.int8)
    np.save(folder / "truth.npy", truth)
    no_audio = rng.random(n) < 0.5
    for m, d in DIMS.items():
        centers = rng.normal(size=(10, d)).astype(np.float32)
        path = folder / f"{m}.npy"
        np.lib.format.open_memmap(path, mode="w+", dtype=np.float16, shape=(n, d)).flush()
        offset = np.load(path, mmap_mode="r").offset
        with open(path, "r+b") as f:
            f.seek(offset)
            for start in range(0, n, 50_000):
                stop = min(start + 50_000, n)
                noise = rng.standard_normal((stop - start, d), dtype=np.float32) * 2
                block = centers[truth[start:stop]] + noise
                if m == "audio":
                    block[no_audio[start:stop]] = np.nan
                f.write(block.astype(np.float16).tobytes())


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare_forward(X: dict[str, np.ndarray], hidden: int) -> float:
    """Seconds for an untrained WeightedFusion of the same shape over every row of ``X``."""
    import torch

    from mmwidgets.encoders.compact import iter_blocks
    from mmwidgets.fusion.modes.weighted import WeightedFusion

    names = list(X)
    net = WeightedFusion(
        [X[m].shape[1] for m in names], len(CLASSES), hidden=hidden, dropout=0.1, multi_label=False
    ).eval()
    start = time.perf_counter()
    with torch.inference_mode():
        for blocks in zip(*(iter_blocks(X[m], 65536) for m in names), strict=True):
            xs = [torch.from_numpy(np.asarray(b)).float() for _, b in blocks]
            present = torch.stack([~x.isnan().any(dim=1) for x in xs], dim=1)
            net([torch.nan_to_num_(x, nan=0.0) for x in xs], present)
    return time.perf_counter() - start


def _wait(cond: Any, timeout: float = 600.0) -> float:
    start = time.perf_counter()
    while not cond():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the session did not get there in time")
        time.sleep(0.01)
    return time.perf_counter() - start


def measure(n: int, folder: Path) -> dict[str, float]:
    import pandas as pd

    import mmwidgets as mm
    from mmwidgets.data import LabelStore

    raw = {m: np.load(folder / f"{m}.npy", mmap_mode="r") for m in DIMS}
    truth = np.load(folder / "truth.npy")
    image = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"  # one real file
    df = pd.DataFrame({"text": [f"item {i}" for i in range(n)], "image": str(image), "audio": None})
    store_path = folder / f"labels-{n}.sqlite"
    store = LabelStore(store_path, labels=CLASSES)
    seed_rows = np.random.default_rng(1).choice(n, N_LABELS, replace=False)
    store.set_batch([(str(i), CLASSES[truth[i]]) for i in seed_rows])
    store.close()

    session_class = mm.Session  # the library's one-time import (sklearn, ~1.5 s) comes first
    import torch  # noqa: F401  (loaded by the first fit anyway: part of the baseline)

    base_rss = _rss_mb()
    t0 = time.perf_counter()
    s = session_class(
        df, text="text", image="image", audio="audio", store=store_path, progress=False,
        embeddings=raw, model=mm.FusionClassifier("weighted"), strategy="hybrid",
    )  # fmt: skip
    assert s.queue(1)
    first_item = time.perf_counter() - t0
    _wait(lambda: s.model_version >= 1 and not s.status()["rescoring"])
    first_model = time.perf_counter() - t0

    published: list[tuple[float, int]] = []  # (time, labels the model saw)
    s.events.subscribe(
        lambda e: published.append((time.perf_counter(), e.data["n_labels"])),
        kinds=["model_updated"],
    )
    rerank, full = [], []
    for _ in range(3):
        _wait(lambda: s.status()["training"] is False and not s.status()["rescoring"])
        item = s.queue(1)[0]
        count = len(s.store) + 1
        t = time.perf_counter()
        s.label(item.id, CLASSES[truth[int(item.id)]])
        rerank.append(_wait(lambda c=count: any(k >= c for _, k in published)))
        _wait(lambda c=count: s.status()["trained_on"] >= c and not s.status()["rescoring"])
        full.append(time.perf_counter() - t)

    acked: list[float] = []
    latencies: list[float] = []
    stop = threading.Event()

    def annotate() -> None:
        while not stop.is_set():
            item = s.queue(1)[0]
            t = time.perf_counter()
            s.label(item.id, CLASSES[truth[int(item.id)]])
            done = time.perf_counter()
            latencies.append(done - t)
            acked.append(done)
            time.sleep(0.5)

    base = len(s.store)
    thread = threading.Thread(target=annotate)
    thread.start()
    time.sleep(8.0)
    stop.set()
    thread.join()
    total = len(s.store)
    _wait(lambda: s.status()["trained_on"] >= total)
    lag = _longest_lag(acked, published, base)
    peak = _rss_mb()
    view = s.embeddings()
    s.close()
    lat = sorted(latencies)
    return {
        "n": n,
        "first_item_s": first_item,
        "first_model_s": first_model,
        "rerank_s": statistics.median(rerank),
        "full_s": statistics.median(full),
        "label_p50_ms": 1000 * statistics.median(lat),
        "label_p95_ms": 1000 * lat[int(0.95 * (len(lat) - 1))],
        "lag_s": lag,
        "peak_rss_mb": peak,
        "base_rss_mb": base_rss,
        "net_s": _bare_forward(dict(view.X), hidden=128),
        "raw_net_s": _bare_forward(raw, hidden=128),
    }


def _longest_lag(acked: list[float], published: list[tuple[float, int]], base: int) -> float:
    """Longest time any acknowledged label waited for a published model that had seen it."""
    worst = 0.0
    for k, t in enumerate(acked):
        need = base + k + 1
        seen = [pt for pt, count in published if count >= need and pt >= t]
        worst = max(worst, (min(seen) if seen else time.perf_counter()) - t)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, Path(args.folder))), flush=True)
        return
    print(f"load average {os.getloadavg()[0]:.2f} at the start")
    head = (
        f"{'pool':>9} {'first item':>10} {'model':>7} {'rerank':>7} {'full':>6} "
        f"{'net':>6} {'full/net':>8} {'raw net':>7} {'label p50/p95 ms':>17} {'lag':>5} "
        f"{'RSS MB':>7} {'of which base':>13}"
    )
    print(head)
    for n in (int(v) for v in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            _write_pool(n, Path(tmp))
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(n), "--folder", tmp],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{n:>9} {r['first_item_s']:>9.2f}s {r['first_model_s']:>6.1f}s "
            f"{r['rerank_s']:>6.2f}s {r['full_s']:>5.2f}s {r['net_s']:>5.2f}s "
            f"{r['full_s'] / r['net_s']:>7.1f}x {r['raw_net_s']:>6.2f}s "
            f"{r['label_p50_ms']:>8.1f} / {r['label_p95_ms']:<6.1f} {r['lag_s']:>4.1f}s "
            f"{r['peak_rss_mb']:>7.0f} {r['base_rss_mb']:>13.0f}",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
