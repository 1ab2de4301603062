"""Child process for the cache crash tests: writes known rows into an EmbeddingCache until done.

Usage: python _cache_writer.py CACHE_DIR FIRST LAST [BATCH] [DIM] [SEED]

Writes items FIRST..LAST-1, in shuffled batches of BATCH, under the encoder key
"text/test-writer/1". Item i's row is ``expected_rows([i], DIM)[0]``: exact in fp16 and
different for every item, so a row served for the wrong key, or half written, is caught by the
parent. Prints "ready" once imports are done, then "batch N" after each committed batch.
"""

from __future__ import annotations

import sys

import numpy as np

from mmwidgets.encoders.cache import EmbeddingCache, content_key

ENCODER = "text/test-writer/1"


def item_key(i: int) -> str:
    return content_key(f"item-{i}", "text")


def expected_rows(items: np.ndarray | list[int], dim: int) -> np.ndarray:
    # k/64 with |k| <= 1024 is exact in fp16, so a served row must equal this bit for bit
    k = (np.asarray(items, dtype=np.int64)[:, None] * 31 + np.arange(dim) * 7) % 2049 - 1024
    return k.astype(np.float32) / 64


def main(argv: list[str]) -> None:
    directory, first, last = argv[0], int(argv[1]), int(argv[2])
    batch = int(argv[3]) if len(argv) > 3 else 500
    dim = int(argv[4]) if len(argv) > 4 else 256
    rng = np.random.default_rng(int(argv[5]) if len(argv) > 5 else 0)
    cache = EmbeddingCache(directory)
    print("ready", flush=True)
    order = rng.permutation(np.arange(first, last))
    for n, start in enumerate(range(0, len(order), batch)):
        items = order[start : start + batch]
        rows = expected_rows(items, dim)
        cache.put_many(ENCODER, [item_key(int(i)) for i in items], rows)
        print(f"batch {n}", flush=True)
    cache.close()


if __name__ == "__main__":
    main(sys.argv[1:])
