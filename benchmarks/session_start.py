"""Time from ``Session(df)`` to its first queued item, on a new store and on a reopened one.

A text-only pool of ``n`` captions and the hashing encoder (so no model weights are read);
each figure comes from a fresh interpreter, ``mmwidgets`` already imported, so that it counts
what the constructor does, not the import. "reopened" is a second Session on a store that
already holds ``--labels`` labels. The floor is ``list(map(str, df["caption"].tolist()))``
for the same rows: what merely touching every cell once costs in Python, as a ratio
reference. Each row also says whether torch had been imported when the first item was there.
``--id-column`` takes the ids from a str column (a dict of ids) instead of the RangeIndex.

    python benchmarks/session_start.py --sizes 100000,1000000
    python benchmarks/session_start.py --sizes 1000000 --torch   # torch imported beforehand
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

LABELS = ["a", "b"]


def _frame(n: int, id_column: bool) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame({"caption": [f"item number {i} about thing {i % 97}" for i in range(n)]})
    if id_column:
        df["id"] = [f"item-{i:07d}" for i in range(n)]
    return df


def _id(i: int, id_column: bool) -> str:
    return f"item-{i:07d}" if id_column else str(i)


def _first_item(n: int, store: Path, torch_first: bool, id_column: bool) -> dict[str, object]:
    if torch_first:
        import torch  # noqa: F401

    from mmwidgets import Session

    df = _frame(n, id_column)
    start = time.perf_counter()
    session = Session(
        df, labels=LABELS, text="caption", id="id" if id_column else None,
        encoders={"text": "hashing"}, store=store, progress=False,
    )  # fmt: skip
    built = time.perf_counter() - start
    first = session.queue(1)
    seconds = time.perf_counter() - start
    torch_loaded = "torch" in sys.modules
    session.close()
    return {"built_s": built, "first_s": seconds, "item": bool(first), "torch": torch_loaded}


def _floor(n: int) -> float:
    df = _frame(n, id_column=False)
    start = time.perf_counter()
    list(map(str, df["caption"].tolist()))
    return time.perf_counter() - start


def _write_labels(store: Path, k: int, id_column: bool) -> None:
    from mmwidgets.data import LabelStore

    with LabelStore(store, labels=LABELS) as labels:
        labels.set_batch([(_id(i * 7, id_column), LABELS[i % 2]) for i in range(k)])


def _child(args: list[str]) -> dict[str, object]:
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _report(n: int, labels: int, torch_first: bool, id_column: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        flag = (["--torch"] if torch_first else []) + (["--id-column"] if id_column else [])
        floor = float(str(_child(["floor", str(n)])["floor_s"]))
        new = _child(["first", str(n), str(Path(tmp) / "new.sqlite"), *flag])
        reopened_store = Path(tmp) / "reopened.sqlite"
        _write_labels(reopened_store, labels, id_column)
        reopened = _child(["first", str(n), str(reopened_store), *flag])
    for name, row in (("new store", new), (f"reopened ({labels} labels)", reopened)):
        first = float(str(row["first_s"]))
        print(
            f"{n:>9,} | {name:<22} | {first:11.2f} | {float(str(row['built_s'])):11.2f} | "
            f"{floor:7.2f} | {first / floor:5.1f} | {row['torch']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--labels", type=int, default=500, help="labels in the reopened store")
    parser.add_argument("--torch", action="store_true", help="import torch before the Session")
    parser.add_argument(
        "--id-column", action="store_true", help="ids from a str column instead of the index"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, n = args.child[0], int(args.child[1])
        if kind == "floor":
            print(json.dumps({"floor_s": _floor(n)}))
        else:
            print(json.dumps(_first_item(n, Path(args.child[2]), args.torch, args.id_column)))
        return
    ids = "an id column" if args.id_column else "the index"
    print(f"ids from {ids}; torch imported first: {args.torch}; seconds")
    print(
        "     pool | store                  | first item  | constructor | floor   | ratio | torch"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        _report(n, args.labels, args.torch, args.id_column)


if __name__ == "__main__":
    main()
