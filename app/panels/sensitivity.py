"""Explorer panel: a tornado chart of one cause's posterior for the current scenario.

Thin by design: the computation is ``model.analysis.sensitivity.one_way``; this only draws widgets
and the chart. It caches nothing (the explorer decides what to cache).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import streamlit as st

from app.views import entry_label, level_words, target_label
from model import DiagnosticModel
from model.analysis.sensitivity import Swing, one_way, targets, tornado_frame
from model.analysis.sensitivity.plots import short_label
from model.interfaces.wording import cite_short
from model.priors.spec import ModelSpec, in_sentence


def target_ui(model: DiagnosticModel, evidence: Mapping[str, str]) -> tuple[str, int]:
    """Widgets: which cause (default: the most probable) and how many bars."""
    options = targets(model)
    top = model.diagnose(evidence, explained=False).causes[0].id  # ranking only
    target = st.selectbox(
        "Cause",
        options,
        index=options.index(top),
        format_func=lambda t: target_label(model.spec, t),
        key="sensitivity_target",
        persist_state="page",
    )
    bars = st.slider("Numbers shown", 5, 30, 12, key="sensitivity_bars", persist_state="page")
    return str(target), int(bars)


def tornado(
    swings: Sequence[Swing], target: str, bars: int, spec: ModelSpec | None = None
) -> alt.LayerChart:
    """An Altair tornado: each number moved from its low to its high end, one at a time.

    Every bar is drawn with dots at both ends, so a number that barely moves the answer
    still shows; the axis zooms to the bars; labels are never cut. With ``spec`` the
    numbers, the cause, the levels and the sources are named in words
    (``app.views.entry_label``).
    """
    frame = tornado_frame(swings[:bars]).reset_index()
    name = (lambda k: entry_label(spec, k)) if spec is not None else short_label
    frame["number"] = [f"{i + 1}. {name(k)}" for i, k in enumerate(frame["key"])]
    frame["at low end"] = frame["p_low"]
    frame["at high end"] = frame["p_high"]
    frame["triage at low end"] = [level_words(v) for v in frame["triage_low"]]
    frame["triage at high end"] = [level_words(v) for v in frame["triage_high"]]
    if spec is not None:
        frame["sources"] = [
            "; ".join(cite_short(spec.references.get(k), k) for k in s.sources)
            for s in swings[:bars]
        ]
    what = in_sentence(target_label(spec, target)) if spec is not None else target
    order = list(frame["number"])
    y = alt.Y("number:N", sort=order, title=None, axis=alt.Axis(labelLimit=0, labelFontSize=12))
    ends = frame[["p_low", "p_high", "p_value"]].to_numpy()
    lo, hi = float(ends.min()), float(ends.max())
    pad = max(0.002, 0.05 * (hi - lo))
    scale = alt.Scale(domain=[max(0.0, lo - pad), min(1.0, hi + pad)], zero=False)
    tooltip = [
        alt.Tooltip("number:N", title="Number"),
        alt.Tooltip("value:Q", title="In the file", format=".4g"),
        alt.Tooltip("low:Q", title="Low end", format=".4g"),
        alt.Tooltip("high:Q", title="High end", format=".4g"),
        alt.Tooltip("p_low:Q", title="Probability at low end", format=".1%"),
        alt.Tooltip("p_high:Q", title="Probability at high end", format=".1%"),
        alt.Tooltip("triage at low end:N", title="Triage at low end"),
        alt.Tooltip("triage at high end:N", title="Triage at high end"),
        alt.Tooltip("sources:N", title="Sources"),
    ]
    x = alt.X("p_value:Q", title=f"Probability of {what}", scale=scale, axis=alt.Axis(format="%"))
    low = (
        alt.Chart(frame)
        .mark_bar(color="#a6bddb", height=14)
        .encode(x=x, x2="at low end", y=y, tooltip=tooltip)
    )
    high = (
        alt.Chart(frame)
        .mark_bar(color="#2c7fb8", height=14)
        .encode(x=x, x2="at high end", y=y, tooltip=tooltip)
    )
    dots = [
        alt.Chart(frame)
        .mark_point(filled=True, size=40, color=colour)
        .encode(x=alt.X(f"{field}:Q", scale=scale), y=y, tooltip=tooltip)
        for field, colour in (("at low end", "#7a9cc6"), ("at high end", "#1f5f8b"))
    ]
    point = alt.Chart(frame.head(1)).mark_rule(color="black").encode(x=x)
    layered: alt.LayerChart = (low + high + dots[0] + dots[1] + point).properties(
        height=26 * len(frame) + 50
    )
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
        st.info(
            f"Switch on to move each of the {len(model.spec.entries)} numbers to both ends "
            "of its range, one at a time (up to a minute: a number that moves the causes' "
            "solved baselines is solved again each time)."
        )
        return
    with st.spinner("Moving every number across its range..."):
        swings = one_way(model, evidence, target)
    st.altair_chart(tornado(swings, target, bars, model.spec), width="stretch")
    level = model.diagnose(evidence, explained=False).triage.level
    words = in_sentence(level_words(level))
    changes = [s for s in swings if {s.triage_low, s.triage_high} != {level}]
    if changes:
        st.warning(
            f"{len(changes)} number(s) change the triage level ({words}) within their range, "
            "e.g. " + "; ".join(entry_label(model.spec, s.key) for s in changes[:3])
        )
    else:
        st.success(f"No single number changes the triage level ({words}) within its range.")
