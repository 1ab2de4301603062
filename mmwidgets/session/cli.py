"""The ``simulate`` command: learning curves on the sample set, printed and plotted."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mmwidgets.session.session import Session

__all__ = ["run_simulate", "sample_session"]


def sample_session(
    store: Path, encoders: Mapping[str, str] | None = None, cache_dir: str | None = None
) -> Session:
    """A foreground Session over the whole sample set, category as the label set.

    Shared by the ``simulate`` command and the label-efficiency benchmark::

        session = sample_session(Path(tmp) / "labels.sqlite", {"text": "hashing"})
    """
    from mmwidgets.datasets import load_sample
    from mmwidgets.session.session import Session

    df = load_sample()
    return Session(
        df,
        labels=sorted(df["category"].unique()),
        id="id",
        text="text",
        image="image",
        audio=["speech", "sound"],
        store=store,
        encoders=encoders or None,
        cache_dir=cache_dir,
        background=False,
        progress=True,
    )


def run_simulate(
    *,
    budget: int,
    step: int,
    seeds: int,
    strategies: Sequence[str],
    fusions: Sequence[str],
    encoders: Mapping[str, str],
    cache_dir: str | None,
    plot: str | None,
) -> int:
    """Simulate labeling the sample set (category as the label) and report the curves.

    Examples
    --------
    The command line is the usual way in (``tests/integration/test_cli.py`` runs it)::

        run_simulate(budget=20, step=10, seeds=1, strategies=["random"],
                     fusions=["weighted"], encoders={"text": "hashing"}, cache_dir=None,
                     plot=None)  # prints the curves; returns 0
    """
    import pandas as pd

    from mmwidgets.session._simulate import area_under_curve

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        session = sample_session(Path(tmp) / "simulate.sqlite", encoders, cache_dir)
        try:
            curves = session.simulate(
                "category",
                budget=budget,
                step=step,
                seeds=seeds,
                strategies=strategies,
                fusions=fusions,
                progress=lambda what: print(f"  running {what}", file=sys.stderr),
            )
        finally:
            session.close()
    with pd.option_context("display.width", 160, "display.max_columns", 40):
        table = curves.groupby(["fusion", "strategy", "n_labels"])["accuracy"].mean().unstack(0)
        print("mean held-out accuracy by labels (columns: fusion)")
        print(table.round(3).to_string())
        print("\narea under the learning curve (mean accuracy over steps)")
        print(area_under_curve(curves).round(4).to_string(index=False))
    print(f"\n{len(curves)} points in {time.perf_counter() - started:.0f} s")
    if plot:
        _plot(curves, plot)
        print(f"plot written to {plot}")
    return 0


def _plot(curves: object, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    if not isinstance(curves, pd.DataFrame):
        raise TypeError("curves must be a DataFrame")
    fusions = sorted(curves["fusion"].unique())
    fig, axes = plt.subplots(1, len(fusions), figsize=(5 * len(fusions), 4), squeeze=False)
    for ax, fusion in zip(axes[0], fusions, strict=True):
        sub = curves[curves["fusion"] == fusion]
        for strategy, group in sub.groupby("strategy"):
            mean = group.groupby("n_labels")["accuracy"].agg(["mean", "std"])
            ax.plot(mean.index, mean["mean"], label=str(strategy))
            ax.fill_between(
                mean.index, mean["mean"] - mean["std"], mean["mean"] + mean["std"], alpha=0.15
            )
        ax.set_title(f"fusion={fusion}")
        ax.set_xlabel("labels")
        ax.set_ylabel("held-out accuracy")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
