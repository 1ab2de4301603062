import subprocess
import sys

import pytest


@pytest.mark.slow
def test_simulate_command_prints_curves_and_writes_a_plot(tmp_path):
    plot = tmp_path / "curves.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmwidgets",
            "simulate",
            "--sample",
            "--budget",
            "20",
            "--seeds",
            "1",
            "--strategies",
            "random,hybrid",
            "--fusion",
            "weighted",
            "--encoders",
            "text=hashing,image=pixels",
            "--plot",
            str(plot),
            "--cache-dir",
            str(tmp_path / "cache"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "mean held-out accuracy" in result.stdout
    assert "area under the learning curve" in result.stdout
    assert "hybrid" in result.stdout
    assert "random" in result.stdout
    assert plot.stat().st_size > 1000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_simulate_requires_a_data_source():
    result = subprocess.run(
        [sys.executable, "-m", "mmwidgets", "simulate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--sample" in result.stderr
