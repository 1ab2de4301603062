"""The Dashboard says which model serves and why, how well calibrated it is, and what each
column is worth, in real JupyterLab and Chromium; all as text, from the session's own numbers."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from test_dashboard import _setup
from test_labeler import widget

pytestmark = pytest.mark.ui


def test_the_model_line_and_the_importance_come_from_the_session(notebook, tmp_path):
    nb = notebook([_setup(tmp_path / "labels.sqlite"), "dash"])
    nb.run_all()
    root = widget(nb, 1, ".mmw-dashboard")
    metrics = json.loads(nb.execute("print(json.dumps(session.metrics().as_dict()))"))
    data = json.loads(nb.execute("print(json.dumps(dash.data['importance']))"))
    choice = metrics["model_choice"]
    assert choice["reason"].startswith("model: ")
    expect(root.locator(".mmw-model-choice[data-name=model_choice]")).to_have_text(choice["reason"])
    calibration = root.locator(".mmw-calibration[data-name=calibration]")
    expect(calibration).to_contain_text(f"top-label ECE {metrics['ece']:.3f}")
    expect(calibration).to_contain_text(f"({metrics['ece_uncalibrated']:.3f} uncalibrated)")
    expect(calibration).to_contain_text(f"temperature {metrics['temperature']:.2f}")
    importance = root.locator(".mmw-importance[data-name=importance]")
    expect(importance).to_contain_text("importance (accuracy lost without the column): ")
    for column, drop in data.items():
        expect(importance).to_contain_text(f"{column} {'+' if drop > 0 else ''}{drop:.2f}")
    assert root.locator(".mmw-weights").count() == 0  # learned weights are not shown
