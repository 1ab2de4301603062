"""Why ``import mmwidgets`` sets ``OMP_WAIT_POLICY=PASSIVE``: one small fusion fit, side by side.

Each measurement runs in a fresh process (the policy is read when torch loads): one
``FusionClassifier("weighted")`` fit on 475 x (384 + 1280) random inputs, 16 classes, 60 epochs.
"idle" runs alone; "loaded" runs next to a competing process that trains the same model in a loop
with the same policy (as a background trainer beside a notebook kernel would).

    python benchmarks/omp_wait_policy.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

FIT = """
import os, time, numpy as np
import mmwidgets as mm
rng = np.random.default_rng(0)
X = {"text": rng.normal(size=(475, 384)).astype(np.float32),
     "image": rng.normal(size=(475, 1280)).astype(np.float32)}
y = rng.integers(0, 16, 475).astype(str)
mm.FusionClassifier("weighted", epochs=2).fit(X, y)  # warm-up
while True:
    t = time.perf_counter()
    mm.FusionClassifier("weighted", random_state=0).fit(X, y)
    print(round(time.perf_counter() - t, 2), flush=True)
    if os.environ.get("MMW_LOOP") != "1":
        break
"""


def fit_seconds(policy: str, loaded: bool) -> float:
    env = dict(os.environ, OMP_WAIT_POLICY=policy)
    competitor = None
    if loaded:
        competitor = subprocess.Popen(
            [sys.executable, "-c", FIT], env=dict(env, MMW_LOOP="1"), stdout=subprocess.DEVNULL
        )
        time.sleep(8)  # let it get going
    try:
        out = subprocess.run(
            [sys.executable, "-c", FIT], env=env, capture_output=True, text=True, check=True
        )
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    return float(out.stdout.split()[-1])


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| machine | ACTIVE (spin) | PASSIVE |\n|---|---|---|")
    for loaded in (False, True):
        active = fit_seconds("ACTIVE", loaded)
        passive = fit_seconds("PASSIVE", loaded)
        name = "beside a competing trainer" if loaded else "idle"
        print(f"| {name} | {active:.1f} s | {passive:.1f} s |")


if __name__ == "__main__":
    main()
