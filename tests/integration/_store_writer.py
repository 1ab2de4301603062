"""Child process for the store durability tests: label items and report each one.

Usage: ``python _store_writer.py LOCATION ANNOTATOR PREFIX COUNT PAUSE_MS``. Prints ``ready`` once
the store is open, waits for a line on stdin (so several writers start together), then labels
``PREFIX0 … PREFIX{COUNT-1}``, printing each id only after ``set()`` has returned, and resting up
to PAUSE_MS between labels.
"""

from __future__ import annotations

import random
import sys
import time

from mmwidgets.data import open_store

LABELS = ("cat", "dog", "bird")


def main(location: str, annotator: str, prefix: str, count: int, pause_ms: float) -> None:
    # a path opens SQLite, a postgresql:// URL the server: the same promises on both
    with open_store(location, labels=LABELS) as store:
        print("ready", flush=True)
        sys.stdin.readline()
        for i in range(count):
            item_id = f"{prefix}{i}"
            store.set(item_id, LABELS[i % len(LABELS)], annotator=annotator, reason="test")
            # The parent trusts every id it reads here to be on disk already.
            print(item_id, flush=True)
            if pause_ms:
                time.sleep(random.uniform(0, pause_ms) / 1000)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
