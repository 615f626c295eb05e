"""Altair charts drawn from a cached Vega-Lite spec: built once, rows attached per rerun.

``st.altair_chart`` converts its chart to Vega-Lite and validates it (jsonschema) on
every call, a large share of an explorer rerun. A chart whose encoding does not change
is built once on named datasets (``alt.NamedData``), its spec cached with
``st.cache_data``, and each rerun only sends the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a validated Vega-Lite dict, without Altair's theme defaults.

    Streamlit applies its own theme, as ``st.altair_chart`` does (so a chart's own
    ``configure_*`` settings would be dropped too: the explorer's charts have none).

    >>> s = spec(alt.Chart(alt.NamedData("rows")).mark_bar().encode(x="n:Q"))
    >>> s["data"], "config" in s
    ({'name': 'rows'}, False)
    """
    out: dict[str, Any] = chart.to_dict()
    out.pop("config", None)
    return out


def draw(chart_spec: Mapping[str, Any], rows: Mapping[str, pd.DataFrame]) -> None:
    """Draw a spec from ``spec`` with its named datasets' rows, full width."""
    st.vega_lite_chart(spec={**chart_spec, "datasets": dict(rows)}, width="stretch")
