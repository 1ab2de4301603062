"""Child process for the driver-crash test: encodes a pool on a process pool until killed.

Usage: python _executor_driver.py CACHE_DIR N_ITEMS

Prints "progress DONE TOTAL" after every shard committed, then "done COMPUTED CACHED".
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
from _slow_encoder import SlowHashing, pool_texts

from mmwidgets import Dataset
from mmwidgets.encoders import encode_dataset


def main() -> None:
    folder, n = sys.argv[1], int(sys.argv[2])
    ds = Dataset.from_pandas(pd.DataFrame({"t": pool_texts(n)}), text="t")
    with ProcessPoolExecutor(2) as pool:
        enc = encode_dataset(
            ds,
            {"text": SlowHashing(delay=0.01)},
            cache=folder,
            progress=False,
            executor=pool,
            shard_size=20,
            on_progress=lambda done, total: print(f"progress {done} {total}", flush=True),
        )
    print(f"done {enc.computed['text']} {enc.cached['text']}", flush=True)


if __name__ == "__main__":
    main()
