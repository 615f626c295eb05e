"""The explorer's Sensitivity panel renders a tornado for the current scenario (AppTest)."""

from __future__ import annotations

from paths import ROOT
from streamlit.testing.v1 import AppTest

SCRIPT = f"""
import importlib.util
from model import load_model

spec = importlib.util.spec_from_file_location("panel", {str(ROOT / "app" / "panels" / "sensitivity.py")!r})
panel = importlib.util.module_from_spec(spec)
spec.loader.exec_module(panel)
panel.render(load_model({str(ROOT / "tests" / "data" / "tiny")!r}), EVIDENCE)
"""


def _app(evidence: dict[str, str]) -> AppTest:
    return AppTest.from_string(f"EVIDENCE = {evidence!r}\n" + SCRIPT, default_timeout=30)


def test_panel_draws_tornado_and_reports_a_fragile_call() -> None:
    at = _app({"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}).run()
    assert not at.exception
    assert not at.get("vega_lite_chart"), "nothing is computed until the user asks"
    assert at.selectbox(key="sensitivity_target").value == "strain"
    at.toggle(key="sensitivity_run").set_value(True).run()
    at.selectbox(key="sensitivity_target").set_value("clot").run()
    assert not at.exception
    assert "change the triage level (seek medical care today)" in at.warning[0].value
    assert at.get("vega_lite_chart")  # the tornado


def test_panel_says_when_the_call_is_robust() -> None:
    at = _app({"swelling": "no", "snap": "no"}).run()
    at.toggle(key="sensitivity_run").set_value(True).run()
    assert not at.exception
    assert (
        "No single number changes the triage level (self-care is reasonable)" in at.success[0].value
    )
