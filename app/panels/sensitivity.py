"""Explorer panel: a tornado chart of one cause's posterior for the current scenario.

Thin by design: the computation is ``model.analysis.sensitivity.one_way``; this only draws widgets
and the chart. It caches nothing (the explorer decides what to cache).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import streamlit as st

from model import DiagnosticModel
from model.analysis.sensitivity import Swing, one_way, targets, tornado_frame
from model.analysis.sensitivity.plots import short_label


def target_ui(model: DiagnosticModel, evidence: Mapping[str, str]) -> tuple[str, int]:
    """Widgets: which cause (default: the most probable) and how many bars."""
    options = targets(model)
    top = model.diagnose(evidence, explained=False).causes[0].id  # ranking only
    target = st.selectbox(
        "Cause",
        options,
        index=options.index(top),
        format_func=lambda t: t.replace("_", " ").replace(".", ": "),
        key="sensitivity_target",
        persist_state="page",
    )
    bars = st.slider("Numbers shown", 5, 30, 12, key="sensitivity_bars", persist_state="page")
    return str(target), int(bars)


def tornado(swings: Sequence[Swing], target: str, bars: int) -> alt.LayerChart:
    """An Altair tornado: each number moved from its low to its high end, one at a time."""
    frame = tornado_frame(swings[:bars]).reset_index()
    frame["number"] = frame["key"].map(short_label)
    frame["at low end"] = frame["p_low"]
    frame["at high end"] = frame["p_high"]
    order = list(frame["number"])
    y = alt.Y("number:N", sort=order, title=None)
    tooltip = [
        "key",
        "value",
        "low",
        "high",
        "p_low",
        "p_high",
        "triage_low",
        "triage_high",
        "sources",
    ]
    low = (
        alt.Chart(frame)
        .mark_bar(color="#a6bddb")
        .encode(x=alt.X("p_value:Q", title=f"P({target})"), x2="at low end", y=y, tooltip=tooltip)
    )
    high = (
        alt.Chart(frame)
        .mark_bar(color="#2c7fb8")
        .encode(x="p_value:Q", x2="at high end", y=y, tooltip=tooltip)
    )
    point = alt.Chart(frame.head(1)).mark_rule(color="black").encode(x="p_value:Q")
    layered: alt.LayerChart = (low + high + point).properties(height=22 * len(frame) + 40)
    return layered


def render(model: DiagnosticModel, evidence: Mapping[str, str]) -> None:
    """Draw the Sensitivity panel for the current scenario."""
    st.subheader("Sensitivity")
    st.caption(
        "Each bar moves one number of the priors from the low to the high end of its plausible "
        "range (light: low end, dark: high end) and shows where the probability goes."
    )
    target, bars = target_ui(model, evidence)
    # Every answer change reruns the open tab: compute only when asked, so that answering
    # a question stays fast.
    if not st.toggle(
        "Run the analysis for this scenario", key="sensitivity_run", persist_state="page"
    ):
        st.info("Switch on to move every number across its range (a few seconds).")
        return
    swings = one_way(model, evidence, target)
    st.altair_chart(tornado(swings, target, bars), width="stretch")
    level = model.diagnose(evidence, explained=False).triage.level
    changes = [s for s in swings if {s.triage_low, s.triage_high} != {level}]
    if changes:
        st.warning(
            f"{len(changes)} number(s) change the triage level ({level}) within their range, "
            "e.g. " + ", ".join(short_label(s.key) for s in changes[:3])
        )
    else:
        st.success(f"No single number changes the triage level ({level}) within its range.")
