"""The explorer's explain panel, run headless with Streamlit's AppTest on the tiny model."""

from __future__ import annotations

import pyarrow as pa
from streamlit.testing.v1 import AppTest


def script() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path.cwd()))
    import streamlit as st

    from app.panels.explain import render
    from model import load_model

    model = load_model("tests/data/tiny")
    evidence = {k: v for k, v in st.query_params.items() if k in model.variables}
    render(model, evidence)


def test_panel_draws_the_waterfall_and_a_click_answers_a_question() -> None:
    at = AppTest.from_function(script, default_timeout=60)
    at.query_params["trip"] = "yes"
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="explain__cause").value == "strain"
    assert "**Strain**: " in at.markdown[0].value
    (chart,) = at.get("vega_lite_chart")  # the waterfall, with its rows attached
    (rows,) = chart.proto.datasets
    steps = list(pa.ipc.open_stream(rows.data.data).read_all().to_pandas()["step"])
    assert rows.name == "waterfall" and steps[0] == "prior" and steps[-1] == "posterior"
    button = at.button(key="explain__ask__swelling__yes")
    button.click().run()
    assert not at.exception, at.exception
    assert at.query_params["swelling"] == "yes"
    assert at.session_state["answer__swelling"] == "yes"
