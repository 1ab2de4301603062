"""Does the fused model earn its keep? Every model beside the baselines, in one run.

The real sample set (16 categories, pretrained encoders, the session's compact columns). Each
seed holds out 30 % of the items (as ``Session.simulate`` does) and labels the others:

1. **Fixed random labels** (100 and 200; the 100 are the first half of the 200): every fusion
   mode, each column alone, the default (``fusion="auto"``: chosen on out-of-fold predictions
   exactly as ``FusionClassifier("auto")`` and a Session do, once by accuracy and once by
   log-loss), and logistic regression on the concatenated columns (scikit-learn's
   ``StandardScaler`` + ``LogisticRegression()``; and with one scale per column, C=10).
   Held-out accuracy, and top-label ECE (15 bins) before → after the temperature fitted on
   each model's own out-of-fold predictions. Then the two goals: default ≥ best single
   column + 3 points, ≥ LogReg-concat + 1 point.
2. **Active learning to 200 labels** (10 per step, as the live loop): margin sampling with
   the StandardScaler + LogisticRegression baseline, and the default model under margin and
   hybrid sampling (``simulate_pool``), held-out accuracy at 100 and 200.

    nice -n 5 .venv/bin/python benchmarks/label_efficiency.py --seeds 10
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from mmwidgets.fusion import (
    FUSIONS,
    FusionClassifier,
    encode_targets,
    expected_calibration_error,
)
from mmwidgets.fusion.calibration import apply_temperature, proba_logits
from mmwidgets.fusion.selection import (
    AUTO_FUSIONS,
    SELECT_BY,
    Candidate,
    candidate_model,
    candidates,
    choose,
    select_model,
)

Row = dict[str, float]


def _split(usable: np.ndarray, seed: int, test_fraction: float = 0.3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)  # the held-out items of Session.simulate's seed
    pool = np.flatnonzero(usable)
    test = rng.choice(pool, size=int(len(pool) * test_fraction), replace=False)
    rest = np.random.default_rng(seed + 1000).permutation(np.setdiff1d(pool, test))
    return test, rest


def _logreg_concat(how: str) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if how == "standard":  # the tester's baseline: per-feature z-scores, default C
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    return LogisticRegression(C=10, max_iter=3000)  # on columns scaled as standardize= does


def _concat(X: dict[str, np.ndarray], rows: np.ndarray, fit_rows: np.ndarray, how: str) -> Any:
    blocks = []
    for v in X.values():
        block = np.nan_to_num(np.asarray(v[rows], dtype=np.float64))
        if how == "scaled":  # one scale per column, from the labeled rows (as standardize=)
            ref = np.nan_to_num(np.asarray(v[fit_rows], dtype=np.float64))
            block = block / max(float(np.sqrt((ref**2).sum(axis=1).mean())), 1e-12)
        blocks.append(block)
    return np.concatenate(blocks, axis=1)


def _full_proba(model: Any, a: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.full((len(a), n_classes), 1e-9)
    out[:, model.classes_] = model.predict_proba(a)
    return out / out.sum(axis=1, keepdims=True)


def fixed_labels(
    X: dict[str, np.ndarray],
    presence: np.ndarray,
    truth: np.ndarray,
    classes: list[str],
    seeds: list[int],
    sizes: list[int],
) -> dict[tuple[str, int], list[Row]]:
    """Per (model, n_labels): one row per seed with accuracy, raw and calibrated ECE."""
    columns = sorted(X)
    order = list(X)
    pres = presence[:, [order.index(c) for c in columns]]
    cols = {c: X[c] for c in columns}
    everything = [Candidate(f, f, None, 1 if f == "stack" else 2) for f in FUSIONS]
    everything += [c for c in candidates(columns, ()) if c.modalities]  # each column alone
    shipped = {c.name for c in candidates(columns, AUTO_FUSIONS)}
    codes = np.searchsorted(np.asarray(classes), truth)
    results: dict[tuple[str, int], list[Row]] = defaultdict(list)
    picks: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    template = FusionClassifier("auto", classes=classes)
    for seed in seeds:
        test, rest = _split(np.ones(len(truth), bool), seed)
        Xte = {c: v[test] for c, v in cols.items()}
        for n in sizes:
            started = time.perf_counter()
            rows = rest[:n]
            Xtr = {c: v[rows] for c, v in cols.items()}
            y = list(truth[rows])
            targets = encode_targets(y, np.asarray(classes, object), False)
            tpl = template.set_params(random_state=seed)
            # one cross-validation of every candidate, on the folds "auto" uses
            _, oof = select_model(tpl, Xtr, y, targets, pres[rows], pool=everything, seed=seed)
            pool = [c for c in everything if c.name in shipped]
            chosen = {by: choose(pool, oof, targets, select_by=by) for by in SELECT_BY}
            temps = choose(everything, oof, targets).scores
            tested: dict[str, np.ndarray] = {}
            for c in everything:
                model = candidate_model(tpl, c).fit(Xtr, y, pres[rows])
                tested[c.name] = model.logits(Xte, pres[test])
            for c in everything:
                t = temps[c.name]["temperature"]
                _record(results, (c.name, n), tested[c.name], t, codes[test])
            for by, choice in chosen.items():
                picks[(by, n)][choice.name] += 1
                _record(
                    results, (f"default (auto, by {by})", n), tested[choice.name],
                    choice.temperature, codes[test],
                )  # fmt: skip
            for c in columns:  # each column alone with the default network, for comparison
                mlp = FusionClassifier("concat", classes=classes, modalities=[c], random_state=seed)
                mlp.fit(Xtr, y, pres[rows])
                _record(results, (f"{c} only (concat MLP)", n), mlp.logits(Xte, pres[test]), 1.0,
                        codes[test])  # fmt: skip
            for how, name in (("standard", "LogReg concat (StandardScaler)"),
                              ("scaled", "LogReg concat (per-column scale, C=10)")):  # fmt: skip
                lr = _logreg_concat(how).fit(_concat(cols, rows, rows, how), codes[rows])
                p = _full_proba(lr, _concat(cols, test, rows, how), len(classes))
                _record(results, (name, n), proba_logits(p), 1.0, codes[test])
            print(f"  seed {seed}, {n} labels: {time.perf_counter() - started:.0f} s", flush=True)
    for (by, n), counter in sorted(picks.items()):
        print(f"chosen by {by} at {n} labels: {dict(counter.most_common())}")
    return results


def _record(
    results: dict[tuple[str, int], list[Row]],
    key: tuple[str, int],
    logits: np.ndarray,
    temperature: float,
    truth: np.ndarray,
) -> None:
    raw = apply_temperature(logits, 1.0)
    calibrated = apply_temperature(logits, temperature)
    results[key].append({
        "accuracy": float((raw.argmax(axis=1) == truth).mean()),
        "ece_raw": expected_calibration_error(raw, truth),
        "ece": expected_calibration_error(calibrated, truth),
    })  # fmt: skip


def active(
    X: dict[str, np.ndarray],
    presence: np.ndarray,
    fused: np.ndarray,
    truth: np.ndarray,
    classes: list[str],
    seeds: list[int],
    budget: int,
) -> dict[str, dict[int, list[float]]]:
    """Held-out accuracy per label count of the active loops (10 labels per step)."""
    from mmwidgets.active import query
    from mmwidgets.session._simulate import simulate_pool

    out: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    codes = np.searchsorted(np.asarray(classes), truth)
    for seed in seeds:
        test, _ = _split(np.ones(len(truth), bool), seed)
        pool = np.setdiff1d(np.arange(len(truth)), test)
        excluded = np.zeros(len(pool), bool)
        labeled: list[int] = []
        picked = query("cold_start", embeddings=fused[pool], labeled=excluded, n=10, seed=seed)
        while True:
            labeled += [int(i) for i in picked.indices]
            excluded[picked.indices] = True
            rows = pool[labeled]
            lr = _logreg_concat("standard").fit(_concat(X, rows, rows, "standard"), codes[rows])
            acc = float((_full_proba(lr, _concat(X, test, rows, "standard"), len(classes))
                         .argmax(axis=1) == codes[test]).mean())  # fmt: skip
            out["margin + LogReg concat (StandardScaler)"][len(labeled)].append(acc)
            if len(labeled) >= budget:
                break
            proba = _full_proba(lr, _concat(X, pool, rows, "standard"), len(classes))
            picked = query("margin", proba=proba, labeled=excluded, n=10, seed=seed + len(labeled))
        print(f"  margin + LogReg, seed {seed} done", flush=True)
    curves = simulate_pool(
        X, presence, fused, list(truth), classes, budget=budget, strategies=["margin", "hybrid"],
        fusions=["auto"], seeds=seeds, model=FusionClassifier(classes=classes),
        progress=lambda s: print(f"  {s}", flush=True),
    )  # fmt: skip
    for (strategy, n), group in curves.groupby(["strategy", "n_labels"]):
        out[f"{strategy} + default (auto)"][int(n)] = list(group["accuracy"])
    return out


def _fmt(values: list[float]) -> str:
    return f"{np.mean(values):.3f}±{np.std(values):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--no-active", action="store_true", help="skip the active-learning part")
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning, module="sklearn")
    from mmwidgets.encoders import default_cache_dir
    from mmwidgets.session.cli import sample_session

    started = time.perf_counter()
    print(f"load average at the start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or str(default_cache_dir())
        with sample_session(Path(tmp) / "bench.sqlite", cache_dir=cache) as session:
            view = session.embeddings()
            ok = set(session.dataset.ok_ids)
            keep = np.array([i in ok for i in session.dataset.ids])
            X = {m: np.asarray(v, dtype=np.float32)[keep] for m, v in view.X.items()}
            presence, fused = view.presence[keep], view.fused[keep]
            truth = np.array([str(v) for v in session.dataset.frame["category"]])[keep]
            classes = list(session.labels)
    seeds = list(range(args.seeds))
    print(f"{len(truth)} items, {len(classes)} classes, columns {list(X)}; {args.seeds} seeds")
    results = fixed_labels(X, presence, truth, classes, seeds, args.sizes)
    names = list(dict.fromkeys(name for name, _ in results))
    head = "".join(f" | acc@{n} | ECE@{n} raw → cal" for n in args.sizes)
    rule = "|---" * (1 + 2 * len(args.sizes))
    print(f"\n### Fixed random labels\n\n| model{head} |\n{rule}|")
    for name in names:
        cells = ""
        for n in args.sizes:
            rows = results[(name, n)]
            cells += (f" | {_fmt([r['accuracy'] for r in rows])} | "
                      f"{np.mean([r['ece_raw'] for r in rows]):.3f} → "
                      f"{np.mean([r['ece'] for r in rows]):.3f}")  # fmt: skip
        print(f"| {name}{cells} |")
    for n in args.sizes:
        mean = {name: float(np.mean([r["accuracy"] for r in results[(name, n)]])) for name in names}
        single = max((v, k) for k, v in mean.items() if " only" in k)
        base = mean["LogReg concat (StandardScaler)"]
        for by in ("accuracy", "log_loss"):
            d = mean[f"default (auto, by {by})"]
            print(f"{n} labels, default by {by}: {100 * (d - single[0]):+.1f} points vs the best "
                  f"single column ({single[1]}, goal +3), {100 * (d - base):+.1f} vs LogReg "
                  f"concat (StandardScaler, goal +1)")  # fmt: skip
    if not args.no_active:
        curves = active(X, presence, fused, truth, classes, seeds, max(args.sizes))
        print(
            "\n### Active learning, 10 labels per step\n\n| loop |"
            + "".join(f" acc@{n} |" for n in args.sizes)
            + "\n|---|"
            + "---|" * len(args.sizes)
        )
        for name, by_n in curves.items():
            print(f"| {name} |" + "".join(f" {_fmt(by_n[n])} |" for n in args.sizes))
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end: "
          f"{os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    main()
