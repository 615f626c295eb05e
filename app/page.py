"""calfdx what-if explorer: answer what you know and watch the picture change.

Run with ``make run`` or ``streamlit run app/explorer.py -- --priors DIR`` (which calls
``main`` here).

This page only draws: ``*_ui()`` functions draw widgets and return plain values, the
numbers come from ``model/`` through the cached ``get_model`` and ``diagnose``, and the
tables and chart data from the pure helpers in ``app/views.py``, ``app/graph.py`` and
``app/overrides.py``. Extra tabs plug in through ``app/panels/``.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app import charts, graph, views
from app import overrides as ov
from app import state as qs
from app.panels import EXTRA_PANELS
from model import DISCLAIMER, Diagnosis, DiagnosticModel, EvidenceError, PriorsError, load_model
from model.priors.loader import DEFAULT_PRIORS
from model.priors.spec import Entry, ModelSpec, Variable
from model.triage import Triage

Overrides = tuple[tuple[str, float], ...]
Evidence = tuple[tuple[str, str], ...]
# Streamlit's default top padding pushes the triage banner halfway down a laptop screen.
TIGHTER_TOP = (
    "<style>.block-container, [data-testid='stMainBlockContainer'] {padding-top: 2rem;}</style>"
)
OVERRIDES = "overrides"
PINNED = "pinned_answers"
CHART_DATA = "causes"
VIEW = "view"  # the open tab's title (widgets in tabs persist_state="page": kept while hidden)
BANNERS = {
    "emergency": (st.error, ":material/e911_emergency:"),
    "urgent": (st.error, ":material/emergency:"),
    "see_clinician": (st.warning, ":material/warning:"),
    "self_care": (st.success, ":material/check_circle:"),
}


def priors_dir(argv: Sequence[str]) -> str:
    """The ``--priors DIR`` given after ``--`` on the streamlit command line (or the default)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--priors", default=str(DEFAULT_PRIORS))
    args, _ = parser.parse_known_args(list(argv))
    return str(args.priors)


# --- cached computation (everything here calls model/ only) -----------------------------


@st.cache_resource(show_spinner=False)
def get_model(priors: str, overrides: Overrides = ()) -> DiagnosticModel:
    """The model from a priors folder, with some numbers overridden (one per combination)."""
    if not overrides:
        return load_model(priors)
    return get_model(priors).with_values(dict(overrides))


@st.cache_data(show_spinner=False, max_entries=512)
def diagnose(priors: str, overrides: Overrides, evidence: Evidence) -> Diagnosis:
    """Posteriors and triage for one scenario."""
    return get_model(priors, overrides).diagnose(dict(evidence))


@st.cache_data(show_spinner=False, max_entries=64)
def cause_numbers(priors: str, overrides: Overrides, cause: str) -> pd.DataFrame:
    """The numbers behind a cause as a table (see ``views.cause_numbers``)."""
    return views.cause_numbers(
        get_model(priors, overrides).spec, cause, get_model(priors).spec.entries
    )


def ranked_chart(n_causes: int) -> alt.LayerChart:
    """Horizontal bars: each cause's probability now, beside its probability with no answers.

    The rows (``views.chart_data``) come as the named dataset ``CHART_DATA``.
    """
    order = alt.EncodingSortField(field="rank", op="min", order="ascending")
    base = alt.Chart(alt.NamedData(CHART_DATA)).encode(
        y=alt.Y("cause:N", sort=order, title=None, axis=alt.Axis(labelLimit=290, labelFontSize=12)),
        yOffset=alt.YOffset("scenario:N", sort=[views.NOW, views.PRIOR]),
    )
    bars = base.mark_bar(height={"band": 0.9}).encode(
        x=alt.X(
            "probability:Q",
            title="Probability",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%", tickCount=5),
        ),
        color=alt.Color(
            "scenario:N",
            title=None,
            scale=alt.Scale(domain=[views.NOW, views.PRIOR], range=["#c0392b", "#b8c0c8"]),
            legend=None,  # the subtitle says which is which: a legend overflows half a laptop screen
        ),
        tooltip=[
            alt.Tooltip("cause:N", title="Cause"),
            alt.Tooltip("scenario:N", title="Scenario"),
            alt.Tooltip("probability:Q", title="Probability", format=".1%"),
        ],
    )
    labels = (
        base.mark_text(align="left", dx=3, fontSize=11)
        .transform_filter(alt.datum.scenario == views.NOW)
        .encode(
            x="probability:Q",
            text=alt.Text("probability:Q", format=".0%"),
            color=alt.value("#333333"),
        )
    )
    chart: alt.LayerChart = (bars + labels).properties(
        height=n_causes * 32,
        title=alt.TitleParams(
            "Causes, most likely first",
            subtitle="red: with your answers; grey: with no answers",
            anchor="start",
        ),
    )
    return chart


@st.cache_data(show_spinner=False, max_entries=8)
def ranked_chart_spec(n_causes: int) -> dict[str, Any]:
    """``ranked_chart`` as Vega-Lite, built once (see ``app/charts.py``)."""
    return charts.spec(ranked_chart(n_causes))


# --- widgets ------------------------------------------------------------------------------


def _init_answers(spec: ModelSpec) -> None:
    """Seed the question widgets from the URL on the first run of a session."""
    if "answers_loaded" in st.session_state:
        return
    from_url = qs.answers_from_params(st.query_params.to_dict(), spec.variables)
    for vid in spec.variables:
        st.session_state.setdefault(qs.widget_key(vid), from_url.get(vid, qs.UNKNOWN))
    st.session_state["answers_loaded"] = True


def _reset_answers(ids: Sequence[str]) -> None:
    for vid in ids:
        st.session_state[qs.widget_key(vid)] = qs.UNKNOWN


def _labeller(var: Variable) -> Callable[[str], str]:
    return lambda s: qs.option_label(var, s)


def questions_ui(spec: ModelSpec) -> dict[str, str]:
    """The two groups of questions in the sidebar; returns the answered ones."""
    _init_answers(spec)
    groups = (
        ("About you and your training", [rf.variable for rf in spec.risk_factors]),
        ("What you notice", [f.variable for f in spec.findings]),
    )
    ids = [v.id for _, vs in groups for v in vs]
    st.sidebar.header("Your answers")
    st.sidebar.caption("Leave a question at Unknown if you are not sure.")
    st.sidebar.button("Reset all answers", on_click=_reset_answers, args=(ids,), type="secondary")
    for title, group in groups:
        with st.sidebar.expander(title, expanded=True):
            for var in group:
                options: list[str] = [qs.UNKNOWN, *var.states]
                st.radio(
                    var.question or var.label,
                    options,
                    key=qs.widget_key(var.id),
                    format_func=_labeller(var),
                    horizontal=True,
                )
    answers = qs.answers_from_widgets(st.session_state.to_dict(), ids)
    params = qs.params_from_answers(answers)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    return answers


def chart_ui(d: Diagnosis) -> None:
    """The ranked chart for one scenario: the cached spec with this scenario's rows."""
    charts.draw(ranked_chart_spec(len(d.causes)), {CHART_DATA: views.chart_data(d)})


def triage_ui(t: Triage, spec: ModelSpec) -> None:
    """The banner at the top: level, reasons, advice, and the decision-support statement."""
    show, icon = BANNERS[t.level]
    now, tips = views.split_advice(t, spec)
    reasons = "\n".join(f"- {r}" for r in t.reasons)
    advice = "\n".join(f"- {a}" for a in now)
    title = f"**{t.title.upper()}**" if t.level == "emergency" else f"**{t.title}**"
    show(f"{title}\n\n{reasons}\n\n**What to do**\n\n{advice}", icon=icon)
    if tips:
        with st.expander(f"Meanwhile: advice for the most likely causes ({len(tips)})"):
            st.markdown("\n".join(f"- {a}" for a in tips))
    st.caption(DISCLAIMER)


def overrides_notice_ui(model: DiagnosticModel, overrides: Mapping[str, float]) -> None:
    """Say plainly, above everything, that some numbers are being tried."""
    if not overrides:
        return
    entries = model.spec.entries
    items = "; ".join(
        f"{views.entry_label(model.spec, k)} = {v:.4g} (file: {entries[k].value:.4g})"
        for k, v in overrides.items()
    )
    st.info(
        f"**Trying {len(overrides)} changed number(s)**, this session only, nothing saved: "
        f"{items}. See *Try a number* to undo or download.",
        icon=":material/edit:",
    )


def causes_ui(d: Diagnosis, model: DiagnosticModel) -> None:
    """The ranked causes as a table of numbers, and the strain grades."""
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**The numbers**")
        st.table(views.ranking_table(d))
    with right:
        st.markdown("**Calf strain by grade**")
        st.table(
            views.grade_table(d, model.priors["calf_strain"].states, model.spec).set_index("Grade")
        )
        st.caption("Grade 3 is a full rupture of the muscle.")


def _pin(answers: Mapping[str, str]) -> None:
    st.session_state[PINNED] = dict(answers)


def compare_ui(
    priors: str, overrides: Overrides, model: DiagnosticModel, answers: dict[str, str], d: Diagnosis
) -> None:
    """Pin the current answers as A, change answers, see A and B side by side."""
    pinned: dict[str, str] | None = st.session_state.get(PINNED)
    c1, c2 = st.columns(2)
    c1.button("Pin current answers as scenario A", on_click=_pin, args=(answers,), type="primary")
    if pinned is not None:
        c2.button("Clear scenario A", on_click=lambda: st.session_state.pop(PINNED, None))
    if pinned is None:
        st.info(
            "Pin the current answers as scenario A, then change answers: the page compares A with what you answer now (B)."
        )
        return
    a = diagnose(priors, overrides, qs.evidence_key(pinned))
    col_a, col_b = st.columns(2)
    for col, name, ans, dx in (
        (col_a, "A (pinned)", pinned, a),
        (col_b, "B (current)", answers, d),
    ):
        with col:
            st.subheader(f"Scenario {name}")
            st.markdown(f"Triage: **{dx.triage.title}**")
            lines = views.describe_answers(ans, model.spec)
            st.markdown("\n".join(f"- {x}" for x in lines) if lines else "_No answers_")
    st.table(views.compare_table(a, d))


def network_ui(model: DiagnosticModel, d: Diagnosis, answers: Mapping[str, str]) -> None:
    """The network drawn with causes shaded by their probability now."""
    only = st.toggle(
        "Show only the questions you answered", key="network_only", persist_state="page"
    )
    st.caption(
        "Causes are shaded by their probability with your answers (darker red is more likely); answered questions have a thick blue border."
    )
    st.graphviz_chart(
        graph.network_dot(model.spec, d, answers, answered_only=only), width="stretch"
    )


def numbers_ui(priors: str, overrides: Overrides, model: DiagnosticModel) -> None:
    """The numbers behind a chosen cause, with their sources and ranges."""
    causes = {c.variable.id: c for c in model.spec.causes}
    cid = st.selectbox(
        "Cause",
        list(causes),
        format_func=lambda c: causes[c].variable.label,
        key="numbers_cause",
        persist_state="page",
    )
    st.markdown(f"_{causes[cid].description}_")
    table = cause_numbers(priors, overrides, cid)
    st.table(table.drop(columns="Key").set_index("Kind"))  # st.table wraps the long sources
    st.caption(
        "Baseline: P(cause) with every risk factor at its lowest-risk state. Odds ratios multiply its odds. Finding strength: P(finding) when that cause alone is present. Ranges are the plausible values the sensitivity analysis tries."
    )


def _step(e: Entry) -> float:
    span = e.high - e.low
    return float(10 ** math.floor(math.log10(span / 100))) if span > 0 else 0.001


def _set_override(key: str) -> None:
    st.session_state[OVERRIDES][key] = float(st.session_state[f"slider__{key}"])


def _undo_override(key: str) -> None:
    st.session_state[OVERRIDES].pop(key, None)
    st.session_state.pop(f"slider__{key}", None)


def _clear_overrides() -> None:
    for key in list(st.session_state[OVERRIDES]):
        _undo_override(key)


def try_number_ui(priors: str, base: DiagnosticModel, model: DiagnosticModel) -> None:
    """Override any prior number within its range; download the edited priors file."""
    spec = base.spec
    entries = spec.entries
    current: dict[str, float] = st.session_state[OVERRIDES]
    keys = sorted(entries, key=lambda k: views.entry_label(spec, k))
    default = keys.index("causes:dvt.baseline") if "causes:dvt.baseline" in keys else 0
    key = st.selectbox(
        "Number to try",
        keys,
        index=default,
        format_func=lambda k: views.entry_label(spec, k),
        key="try_key",
        persist_state="page",
    )
    e = entries[key]
    st.caption(
        f"In the file: **{e.value:.4g}**, plausible range {e.low:.4g} to {e.high:.4g}. Source: {views._cite(spec, e)}"
    )
    step = _step(e)
    decimals = max(0, -int(math.floor(math.log10(step))))
    st.slider(
        "Value to try",
        min_value=float(e.low),
        max_value=float(e.high),
        value=float(current.get(key, e.value)),
        step=step,
        format=f"%.{decimals}f",
        key=f"slider__{key}",
        on_change=_set_override,
        args=(key,),
    )
    c1, c2 = st.columns(2)
    c1.button("Undo this number", on_click=_undo_override, args=(key,), disabled=key not in current)
    c2.button("Undo all changed numbers", on_click=_clear_overrides, disabled=not current)
    if not current:
        st.caption(
            "Move the slider: every probability on the page updates. Nothing is written to disk."
        )
        return
    st.markdown("**Changed numbers (this session only)**")
    st.table(
        {
            "Number": [views.entry_label(spec, k) for k in current],
            "In the file": [f"{entries[k].value:.4g}" for k in current],
            "Trying": [f"{v:.4g}" for (v,) in ((current[k],) for k in current)],
        }
    )
    texts, skipped = ov.edited_files(priors, ov.with_siblings(current, model.spec.entries))
    for name, text in texts.items():
        st.download_button(
            f"Download edited {name}",
            text,
            file_name=name,
            mime="application/toml",
            key=f"download__{name}",
        )
    if skipped:
        st.caption(
            "Not written to a file (edit by hand): "
            + ", ".join(views.entry_label(spec, k) for k in skipped)
        )


def priors_error_ui(priors: str, err: PriorsError) -> None:
    """The loader's messages on the page instead of a traceback."""
    st.error(
        f"**The priors folder `{priors}` cannot be used.** {len(err.problems)} problem(s):\n\n"
        + "\n".join(f"- {p}" for p in err.problems)
    )
    st.caption(
        "Fix the file(s) named above (`calfdx validate DIR` lists the same problems) and reload the page."
    )


# --- the page -----------------------------------------------------------------------------


def main() -> None:
    """Draw the explorer."""
    st.set_page_config(page_title="calfdx: what-if explorer", page_icon="🦵", layout="wide")
    priors = priors_dir(sys.argv[1:])
    st.markdown(TIGHTER_TOP, unsafe_allow_html=True)
    st.title("Calf pain in runners: what-if explorer")
    try:
        base = get_model(priors)
    except PriorsError as err:
        priors_error_ui(priors, err)
        st.stop()
        return
    st.session_state.setdefault(OVERRIDES, {})
    overrides: Overrides = tuple(sorted(st.session_state[OVERRIDES].items()))
    model = get_model(priors, overrides)
    answers = questions_ui(base.spec)
    try:
        d = diagnose(priors, overrides, qs.evidence_key(answers))
    except EvidenceError as err:
        st.error(f"These answers cannot be combined: {err}")
        st.stop()
        return
    overrides_notice_ui(model, dict(overrides))
    left, right = st.columns([5, 6], gap="medium")
    with left:
        triage_ui(d.triage, model.spec)
    with right:
        chart_ui(d)
    # Extension point: panels registered in app/panels/__init__.py.
    contents: list[tuple[str, Callable[[], None]]] = [
        ("Causes in numbers", lambda: causes_ui(d, model)),
        ("Compare scenarios", lambda: compare_ui(priors, overrides, model, answers, d)),
        ("Network", lambda: network_ui(model, d, answers)),
        ("Numbers behind a cause", lambda: numbers_ui(priors, overrides, model)),
        ("Try a number", lambda: try_number_ui(priors, base, model)),
    ] + [(p.title, partial(p.render, model, answers)) for p in EXTRA_PANELS]
    # Stateful tabs: switching tab reruns the page, and only the open tab is drawn, so an
    # answer change does not rebuild the hidden ones (a plain st.tabs runs them all).
    tabs = st.tabs([title for title, _ in contents], key=VIEW, on_change="rerun")
    for tab, (_, draw) in zip(tabs, contents, strict=True):
        if tab.open:
            with tab:
                draw()
