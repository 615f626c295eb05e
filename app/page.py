"""calfdx explorer: answer what you know and watch the picture change.

Run with ``make run`` or ``streamlit run app/explorer.py -- --priors DIR`` (which calls
``main`` here).

The sidebar asks in a clinician's order (safety check, what happened, background:
``model.interfaces.questionnaire``); the triage banner sits above everything. The main
area has two views, chosen in the URL (``?view=expert``): for runners, plain words and
"about 1 in 8"; for clinicians, ids, log-odds, intervals, sources and the what-if tabs.

This page only draws: ``*_ui()`` functions draw widgets and return plain values, the
numbers come from ``model/`` through the cached ``get_model`` and ``diagnose``, and the
tables and chart data from the pure helpers in ``app/views.py``, ``app/graph.py`` and
``app/overrides.py``. Extra tabs plug in through ``app/panels/``. Each tab draws in an
``st.fragment``, so a widget inside it reruns only that tab.
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
from app.panels import EXTRA_PANELS, FULL_RERUN
from model import DISCLAIMER, Diagnosis, DiagnosticModel, EvidenceError, PriorsError, load_model
from model.interfaces.case import CaseError, case_json, parse_case
from model.interfaces.questionnaire import question_groups, summary
from model.interfaces.report import build_report
from model.interfaces.version import model_version
from model.priors.loader import DEFAULT_PRIORS
from model.priors.spec import LEVELS, Entry, ModelSpec, Variable
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
TAB = "tab"  # the open tab's title (widgets in tabs persist_state="page": kept while hidden)
VIEW = "view"  # the URL parameter and widget key of the runner / expert switch
VIEWS = {"runner": "For runners: plain words", "expert": "For clinicians: numbers and sources"}
CASE_UPLOAD = "case_upload"
CASE_ERROR = "case_error"
REPORT_DRAWS = 20  # the explorer's report: half the CLI's draws (about 0.2 s each)
# Banner style per level, most urgent first; a level the priors add gets the nearest style.
BANNERS = {
    "emergency": (st.error, ":material/e911_emergency:"),
    "urgent": (st.error, ":material/emergency:"),
    "see_clinician": (st.warning, ":material/warning:"),
    "self_care": (st.success, ":material/check_circle:"),
}
ALARMING = ("emergency", "urgent")  # drawn above the title


def priors_dir(argv: Sequence[str]) -> str:
    """The ``--priors DIR`` given after ``--`` on the streamlit command line (or the default)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--priors", default=str(DEFAULT_PRIORS))
    args, _ = parser.parse_known_args(list(argv))
    return str(args.priors)


# --- cached computation (everything here calls model/ only) -----------------------------


@st.cache_resource(show_spinner=False, max_entries=16)
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
            text=alt.Text("label:N"),  # views.short_pct: 0.5% is not "0%"
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


@st.cache_data(show_spinner=False, max_entries=32)
def intervals(priors: str, overrides: Overrides, evidence: Evidence) -> pd.DataFrame:
    """90% intervals of every cause (``propagate``, ``REPORT_DRAWS`` draws)."""
    from model.analysis.sensitivity import propagate

    u = propagate(get_model(priors, overrides), dict(evidence), REPORT_DRAWS, thresholds=False)
    return u.to_frame()


@st.cache_data(show_spinner=False, max_entries=8)
def ranked_chart_spec(n_causes: int) -> dict[str, Any]:
    """``ranked_chart`` as Vega-Lite, built once (see ``app/charts.py``)."""
    return charts.spec(ranked_chart(n_causes))


# --- widgets ------------------------------------------------------------------------------


def _init_answers(spec: ModelSpec) -> None:
    """Seed the question widgets and the view from the URL on the first run of a session."""
    if "answers_loaded" in st.session_state:
        return
    params = st.query_params.to_dict()
    from_url = qs.answers_from_params(params, spec.variables)
    for vid in spec.variables:
        st.session_state.setdefault(qs.widget_key(vid), from_url.get(vid, qs.UNKNOWN))
    st.session_state.setdefault(VIEW, "expert" if params.get(VIEW) == "expert" else "runner")
    st.session_state["answers_loaded"] = True


def _reset_answers(ids: Sequence[str]) -> None:
    for vid in ids:
        st.session_state[qs.widget_key(vid)] = qs.UNKNOWN


def _open_case(spec: ModelSpec) -> None:
    """Callback of the case upload: put the file's answers into the question widgets."""
    upload = st.session_state.get(CASE_UPLOAD)
    st.session_state.pop(CASE_ERROR, None)
    if upload is None:
        return
    try:
        answers = parse_case(
            upload.getvalue().decode("utf-8", "replace"), spec.variables, upload.name
        )
    except CaseError as err:
        st.session_state[CASE_ERROR] = views.case_problem(str(err))
        return
    for vid in spec.variables:
        if spec.variables[vid].kind != "cause":
            st.session_state[qs.widget_key(vid)] = answers.get(vid, qs.UNKNOWN)


def _labeller(var: Variable) -> Callable[[str], str]:
    return lambda s: qs.option_label(var, s)


def questions_ui(spec: ModelSpec) -> dict[str, str]:
    """The questions in the sidebar, in three groups; returns the answered ones.

    Safety check first (open), then what happened, then background; each group is
    collapsible and, once answered, summarised under its header.
    """
    _init_answers(spec)
    groups = [g for g in question_groups(spec) if g.ids]
    ids = [v for g in groups for v in g.ids]
    session = st.session_state.to_dict()
    before = qs.answers_from_widgets(session, ids)
    st.sidebar.header("Your answers")
    st.sidebar.caption("Leave a question at Unknown if you are not sure.")
    st.sidebar.button("Reset all answers", on_click=_reset_answers, args=(ids,), type="secondary")
    for number, group in enumerate(groups, 1):
        answered = sum(v in before for v in group.ids)
        first_open = number == 1 or answered > 0
        with st.sidebar.expander(
            f"**{number}. {group.title}**", expanded=first_open, key=f"group__{group.key}"
        ):
            st.caption(group.hint)
            for vid in group.ids:
                var = spec.variables[vid]
                options: list[str] = [qs.UNKNOWN, *var.states]
                st.radio(
                    var.question or var.label,
                    options,
                    key=qs.widget_key(vid),
                    format_func=_labeller(var),
                    horizontal=True,
                )
        line = summary(spec, group, qs.answers_from_widgets(st.session_state.to_dict(), group.ids))
        if line:
            st.sidebar.caption(f"{answered or len(line.split('; '))} answered: {line}")
    return qs.answers_from_widgets(st.session_state.to_dict(), ids)


def sync_url(answers: Mapping[str, str], view: str) -> None:
    """Keep the URL in step: one parameter per answer, and ``view=expert`` when chosen."""
    params = qs.params_from_answers(answers)
    if view == "expert":
        params[VIEW] = view
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


def case_ui(model: DiagnosticModel, answers: Mapping[str, str]) -> None:
    """Save the case, open a saved one, and download the report for a clinician."""
    st.sidebar.subheader("Take it with you")
    version = model_version(model.spec)
    st.sidebar.download_button(
        "Report for your clinician (HTML)",
        data=partial(build_report, model, dict(answers), REPORT_DRAWS),
        file_name="calfdx-report.html",
        mime="text/html",
        key="download_report",
        on_click="ignore",
        icon=":material/description:",
        help="One printable page: your answers, the advice and the numbers and sources behind it.",
    )
    st.sidebar.download_button(
        "Save these answers (JSON)",
        data=case_json(answers, version),
        file_name="calfdx-case.json",
        mime="application/json",
        key="download_case",
        on_click="ignore",
        icon=":material/save:",
    )
    st.sidebar.file_uploader(
        "Open saved answers",
        type=["json"],
        key=CASE_UPLOAD,
        on_change=_open_case,
        args=(model.spec,),
    )
    if CASE_ERROR in st.session_state:
        st.sidebar.error(st.session_state[CASE_ERROR])


def view_ui() -> str:
    """The runner / expert switch; returns ``runner`` or ``expert``."""
    choice: str = st.radio(
        "View",
        list(VIEWS),
        format_func=VIEWS.__getitem__,
        key=VIEW,
        horizontal=True,
        label_visibility="collapsed",
    )
    return choice


def chart_ui(d: Diagnosis) -> None:
    """The ranked chart for one scenario: the cached spec with this scenario's rows."""
    charts.draw(ranked_chart_spec(len(d.causes)), {CHART_DATA: views.chart_data(d)})


def _banner(level: str) -> tuple[Callable[..., Any], str]:
    """The banner style of a level: its own, else the nearest more urgent one known."""
    if level in BANNERS:
        return BANNERS[level]
    order: list[str] = list(LEVELS)
    if level not in order:
        return BANNERS["urgent"]
    more = [lv for lv in BANNERS if lv in order and order.index(lv) >= order.index(level)]
    return BANNERS[more[-1] if more else "urgent"]


def triage_ui(t: Triage, spec: ModelSpec, plain: bool, answered: bool = True) -> None:
    """The banner: level, reasons and what to do now; then the meanwhile lines.

    The clinician view (``plain`` false) also offers the numbers behind the level. With
    nothing answered the banner is neutral: no green "self-care is reasonable" before a
    single safety question has been answered.
    """
    show, icon = _banner(t.level)
    title = t.title.upper() if t.level == "emergency" else t.title
    if not answered:
        show, icon, title = st.info, ":material/help:", "Answer the safety questions first"
    text = f"**{title}**\n\n" + "\n".join(f"- {r}" for r in t.reasons)
    if t.action:
        text += "\n\n**What to do now**\n\n" + "\n".join(f"- {a}" for a in t.action)
    with st.container(key=f"banner_{t.level}"):
        show(text, icon=icon)
    if t.meanwhile:
        with st.expander(f"Meanwhile: advice for the most likely causes ({len(t.meanwhile)})"):
            st.markdown("\n".join(f"- {a}" for a in t.meanwhile))
    if not plain and t.details:
        with st.expander("The numbers behind the level"):
            st.markdown("\n".join(f"- {d}" for d in t.details))
    st.caption(DISCLAIMER)


def overrides_notice_ui(base: DiagnosticModel, overrides: Mapping[str, float]) -> None:
    """Say plainly, above everything, that some numbers are being tried.

    The file's value comes from ``base`` (the model as the priors files have it).
    """
    if not overrides:
        return
    entries = base.spec.entries
    items = "; ".join(
        f"{views.entry_label(base.spec, k)} = {v:.4g} (file: {entries[k].value:.4g})"
        for k, v in overrides.items()
    )
    st.info(
        f"**Trying {len(overrides)} changed number(s)**, this session only, nothing saved: "
        f"{items}. See *Try a number* to undo or download.",
        icon=":material/edit:",
    )


def runner_ui(d: Diagnosis) -> None:
    """The runner's view: the likely causes in words and bars."""
    st.subheader("What is most likely")
    st.caption(
        "Out of runners who answer as you did, how many would have each cause. "
        "More than one can be true at once."
    )
    st.markdown(views.runner_list(d), unsafe_allow_html=True)
    rest = d.causes[6:]
    if rest:
        with st.expander(f"Less likely ({len(rest)} more)"):
            st.markdown(
                views.runner_list(Diagnosis(d.evidence, rest, d.triage), len(rest)),
                unsafe_allow_html=True,
            )
    st.caption(
        "Switch to the clinicians' view for the exact numbers, their sources and the what-if tools."
    )


def causes_ui(priors: str, overrides: Overrides, d: Diagnosis, model: DiagnosticModel) -> None:
    """The ranked causes as a table of numbers (90% intervals on request), and the grades."""
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**The numbers**")
        shown = st.toggle(
            "Show 90% intervals (every prior number drawn across its range; about a second)",
            key="causes_intervals",
            persist_state="page",
        )
        frame = intervals(priors, overrides, qs.evidence_key(d.evidence)) if shown else None
        st.table(views.ranking_table(d, frame))
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
            title = dx.triage.title if dx.evidence else "nothing answered yet"
            st.markdown(f"Triage: **{title}**")
            lines = views.describe_answers(ans, model.spec)
            st.markdown("\n".join(f"- {x}" for x in lines) if lines else "_No answers_")
    st.table(views.compare_table(a, d))


def network_ui(model: DiagnosticModel, d: Diagnosis, answers: Mapping[str, str]) -> None:
    """The network, top to bottom, causes shaded by their probability now."""
    whole = st.toggle("Show the whole network", key="network_whole", persist_state="page")
    st.caption(
        ("The whole network. " if whole else "Only what your answers are linked to. ")
        + "Risk factors at the top, causes in the middle (darker red is more likely), "
        "findings below; answered questions have a thick blue border."
    )
    dot = graph.network_dot(model.spec, d, answers, whole=whole)
    st.graphviz_chart(dot, width="content" if whole else "stretch")  # whole: readable, scrolls


def _follow_top(key: str, top: str) -> None:
    """Let a cause box follow the most likely cause until the user picks one."""
    picked = f"{key}__picked"
    if not st.session_state.get(picked) or key not in st.session_state:
        st.session_state[key] = top


def _picked(key: str) -> None:
    st.session_state[f"{key}__picked"] = True


def numbers_ui(priors: str, overrides: Overrides, model: DiagnosticModel, d: Diagnosis) -> None:
    """The numbers behind a chosen cause (the most likely by default), with their sources."""
    causes = {c.variable.id: c for c in model.spec.causes}
    _follow_top("numbers_cause", d.causes[0].id)
    cid = st.selectbox(
        "Cause",
        list(causes),
        format_func=lambda c: causes[c].variable.label,
        key="numbers_cause",
        on_change=_picked,
        args=("numbers_cause",),
    )
    st.markdown(f"_{causes[cid].description}_")
    table = cause_numbers(priors, overrides, cid)
    spec = model.spec
    st.markdown(views.numbers_html(spec, table), unsafe_allow_html=True)
    st.caption(
        "Baseline: P(cause) with every risk factor at its lowest-risk state. Odds ratios multiply its odds. Finding strength: P(finding) when that cause alone is present. Ranges are the plausible values the sensitivity analysis tries."
    )
    keys = [k for key in table["Key"] for k in spec.entries[key].sources]
    st.markdown("**Sources**")
    st.markdown(views.bibliography_html(spec, keys), unsafe_allow_html=True)


def _step(e: Entry) -> float:
    span = e.high - e.low
    return float(10 ** math.floor(math.log10(span / 100))) if span > 0 else 0.001


def _set_override(key: str) -> None:
    st.session_state[OVERRIDES][key] = float(st.session_state[f"slider__{key}"])
    st.session_state[FULL_RERUN] = True  # every probability on the page changes


def _undo_override(key: str) -> None:
    st.session_state[OVERRIDES].pop(key, None)
    st.session_state.pop(f"slider__{key}", None)
    st.session_state[FULL_RERUN] = True


def _clear_overrides() -> None:
    for key in list(st.session_state[OVERRIDES]):
        _undo_override(key)


def try_number_ui(priors: str, base: DiagnosticModel, model: DiagnosticModel) -> None:
    """Override any prior number within its range; download the edited priors file."""
    spec = base.spec
    entries = spec.entries
    current: dict[str, float] = st.session_state[OVERRIDES]
    keys = sorted(entries, key=lambda k: views.entry_label(spec, k))
    default = keys.index("causes:dvt.prevalence") if "causes:dvt.prevalence" in keys else 0
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


def _tab(title: str, draw: Callable[[], None]) -> None:
    """Draw a tab's content in a fragment: its own widgets rerun only it.

    A callback that changes what the whole page shows (an answer, a tried number) sets
    ``FULL_RERUN``; the fragment then reruns the page.
    """
    draw()
    if st.session_state.pop(FULL_RERUN, False):
        st.rerun(scope="app")


def expert_ui(
    priors: str,
    overrides: Overrides,
    base: DiagnosticModel,
    model: DiagnosticModel,
    answers: dict[str, str],
    d: Diagnosis,
) -> None:
    """The clinicians' view: the ranked chart and the what-if tabs (only the open one drawn)."""
    chart_ui(d)
    # Extension point: panels registered in app/panels/__init__.py.
    contents: list[tuple[str, Callable[[], None]]] = [
        ("Causes in numbers", lambda: causes_ui(priors, overrides, d, model)),
        ("Compare scenarios", lambda: compare_ui(priors, overrides, model, answers, d)),
        ("Network", lambda: network_ui(model, d, answers)),
        ("Numbers behind a cause", lambda: numbers_ui(priors, overrides, model, d)),
        ("Try a number", lambda: try_number_ui(priors, base, model)),
    ] + [(p.title, partial(p.render, model, answers)) for p in EXTRA_PANELS]
    # Stateful tabs: switching tab reruns the page, and only the open tab is drawn, so an
    # answer change does not rebuild the hidden ones (a plain st.tabs runs them all).
    tabs = st.tabs([title for title, _ in contents], key=TAB, on_change="rerun")
    for tab, (title, draw) in zip(tabs, contents, strict=True):
        if tab.open:
            with tab:
                st.fragment(_tab, key=f"fragment__{title}")(title, draw)


def main() -> None:
    """Draw the explorer."""
    st.set_page_config(page_title="calfdx: calf pain explorer", page_icon="🦵", layout="wide")
    priors = priors_dir(sys.argv[1:])
    st.markdown(TIGHTER_TOP + views.RUNNER_CSS, unsafe_allow_html=True)  # both views
    try:
        base = get_model(priors)
    except PriorsError as err:
        st.title("Calf pain in runners")
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
    case_ui(model, answers)
    view = str(st.session_state.get(VIEW, "runner"))
    alarming = d.triage.level in ALARMING
    if alarming:  # above everything, the title included
        triage_ui(d.triage, model.spec, plain=view == "runner", answered=bool(d.evidence))
    st.title("Calf pain in runners")
    view = view_ui()
    sync_url(answers, view)
    if not alarming:
        triage_ui(d.triage, model.spec, plain=view == "runner", answered=bool(d.evidence))
    overrides_notice_ui(base, dict(overrides))
    if view == "runner":
        runner_ui(d)
    else:
        expert_ui(priors, overrides, base, model, answers, d)
