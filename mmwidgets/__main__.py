"""Command line: ``python -m mmwidgets simulate --sample ...`` (headless active-learning runs)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mmwidgets")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser(
        "simulate",
        help="label with an oracle and print learning curves (active learning vs random)",
    )
    sim.add_argument(
        "--sample",
        action="store_true",
        required=True,
        help="use the bundled sample set (Tux Paint stamps), category as the label",
    )
    sim.add_argument("--budget", type=int, default=200, help="labels per run (default 200)")
    sim.add_argument("--step", type=int, default=10, help="labels between evaluations")
    sim.add_argument("--seeds", type=int, default=5, help="runs per strategy and fusion")
    sim.add_argument("--strategies", default="random,margin,hybrid")
    sim.add_argument("--fusion", default="weighted", help="comma-separated fusion modes")
    sim.add_argument(
        "--encoders",
        default="",
        help="override encoders, e.g. text=hashing,image=pixels (default: pretrained)",
    )
    sim.add_argument("--cache-dir", default=None, help="embedding cache folder")
    sim.add_argument("--plot", default="simulate.png", help="where to write the PNG plot")
    return parser


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mmwidgets``.

    Examples
    --------
    >>> try:
    ...     main(["simulate", "--budget", "oops"])
    ... except SystemExit as exit:
    ...     print("exit code", exit.code)
    exit code 2
    """
    args = _parser().parse_args(argv)
    from mmwidgets.session.cli import run_simulate

    encoders = dict(item.split("=", 1) for item in _split(args.encoders))
    return run_simulate(
        budget=args.budget,
        step=args.step,
        seeds=args.seeds,
        strategies=_split(args.strategies),
        fusions=_split(args.fusion),
        encoders=encoders,
        cache_dir=args.cache_dir,
        plot=args.plot,
    )


if __name__ == "__main__":
    sys.exit(main())
