"""Explorer panel: why a cause is as probable as it is, and what to ask next.

``render(model, evidence)`` draws, for a cause chosen in a selectbox, a waterfall of each
answer's share of the change in that cause's log-odds (``model.analysis.explain``), and the
suggested next questions (``model.analysis.questions``), each answerable with one click.

Answer convention: the explorer keeps answers in the URL, one query parameter per
answered question, ``?<variable id>=<state>`` (so ``st.query_params[var_id] = state``),
and mirrors them in the question widgets, whose session-state key is
``answer__<variable id>``. A click here sets both, in the button's ``on_click``
callback (callbacks run before the rerun, when widget keys may still be written), and
Streamlit reruns the page with the new answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from app import charts
from app.cache import model_key
from app.panels import FULL_RERUN
from app.state import widget_key
from app.views import level_words
from model import DiagnosticModel
from model.analysis.explain import Explanation, explain
from model.analysis.questions import Question, ordered, rank_questions
from model.interfaces.questionnaire import answer_text
from model.interfaces.wording import one_in
from model.priors.spec import ModelSpec, in_sentence

WATERFALL = "waterfall"


@st.cache_data(show_spinner=False, max_entries=256)
def _explanation(
    _model: DiagnosticModel, key: str, evidence: tuple[tuple[str, str], ...], cause: str
) -> Explanation:
    """``explain``, cached by the model's content (``key``), the evidence and the cause."""
    return explain(_model, dict(evidence), cause)


@st.cache_data(show_spinner=False, max_entries=64)
def _questions(
    _model: DiagnosticModel, key: str, evidence: tuple[tuple[str, str], ...]
) -> list[Question]:
    """``rank_questions``, cached by the model's content (``key``) and the evidence.

    Ranked by gain about the causes; the red-flag order is a re-sort (``ordered``), so
    the toggle never recomputes the ranking.
    """
    return rank_questions(_model, dict(evidence))


def waterfall_frame(x: Explanation, spec: ModelSpec | None = None) -> pd.DataFrame:
    """One bar per step: the prior, each item's share, the posterior (log-odds).

    With ``spec`` each answer's bar is named in words ("One leg swollen: yes"), else by
    its ``id=state``.

    ``order`` numbers the bars: the chart sorts by it, so a new answer's bar lands
    before the posterior even when the chart updates in place (a chart sorted by data
    order appends new rows at the end).
    """
    rows: list[dict[str, Any]] = [
        {"step": "prior", "start": 0.0, "end": x.prior_log_odds, "kind": "prior / posterior"}
    ]
    running = x.prior_log_odds
    for c in x.contributions:
        rows.append(
            {
                "step": c.item if spec is None else answer_text(spec, c.variable, c.state),
                "start": running,
                "end": running + c.log_odds,
                "kind": "raises" if c.log_odds >= 0 else "lowers",
            }
        )
        running += c.log_odds
    rows.append(
        {
            "step": "posterior",
            "start": 0.0,
            "end": x.posterior_log_odds,
            "kind": "prior / posterior",
        }
    )
    frame = pd.DataFrame(rows)
    frame["share"] = frame["end"] - frame["start"]
    frame["order"] = range(len(frame))
    return frame


@st.cache_data(show_spinner=False)
def _waterfall_spec() -> dict[str, Any]:
    """One bar per row of ``waterfall_frame`` (the dataset ``WATERFALL``), built once."""
    chart = (
        alt.Chart(alt.NamedData(WATERFALL))
        .mark_bar()
        .encode(
            x=alt.X(
                "step:N",
                sort=alt.EncodingSortField(field="order", op="min", order="ascending"),
                title=None,
                axis=alt.Axis(labelLimit=0, labelAngle=-30),
            ),
            y=alt.Y("start:Q", title="log-odds"),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(
                    domain=["prior / posterior", "raises", "lowers"],
                    range=["#7f8c8d", "#c0392b", "#2980b9"],
                ),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("step:N", title="Answer"),
                alt.Tooltip("share:Q", title="Change in log-odds", format="+.2f"),
            ],
        )
        .properties(height=260)
    )
    return charts.spec(chart)


def _answer(var_id: str, state: str) -> None:
    st.query_params[var_id] = state
    st.session_state[widget_key(var_id)] = state
    st.session_state[FULL_RERUN] = True  # the page (banner, chart, sidebar) must follow


def _pick() -> None:
    st.session_state["explain__picked"] = True


def _cause_ui(model: DiagnosticModel, evidence: Mapping[str, str]) -> str:
    """The cause to explain: the most likely one, until the user picks another.

    The options are plain names (a probability in an option label goes stale in the
    browser after an answer changes it); the probability is printed below.
    """
    ranked = model.diagnose(evidence, explained=False).causes  # ranking only: no reasons
    labels = {c.id: c.label for c in ranked}
    if (
        not st.session_state.get("explain__picked")
        or st.session_state.get("explain__cause") not in labels
    ):
        st.session_state["explain__cause"] = ranked[0].id
    choice: str = st.selectbox(
        "Explain which cause?",
        list(labels),
        format_func=labels.__getitem__,
        key="explain__cause",
        on_change=_pick,
    )
    return choice


def render(model: DiagnosticModel, evidence: Mapping[str, str]) -> None:
    key = tuple(sorted(evidence.items()))
    mkey = model_key(model)
    cause = _cause_ui(model, evidence)
    x = _explanation(model, mkey, key, cause)
    st.markdown(
        f"**{model.variables[cause].label}**: {x.prior:.1%} with no answers, "
        f"{x.posterior:.1%} now "
        f"({one_in(x.posterior)}). "
        "Bars show each answer's share of the change in log-odds"
        + (" (averaged over every order of answering)." if x.method == "shapley" else ".")
    )
    if x.contributions:
        charts.draw(_waterfall_spec(), {WATERFALL: waterfall_frame(x, model.spec)})
        with st.expander("The numbers behind each share"):
            st.dataframe(x.to_frame(), width="stretch")
    else:
        st.caption("No answers yet: the probability is the prior.")

    red = st.toggle(
        "Rank by red flags (DVT, compartment syndrome, rupture)",
        key="explain__red",
        persist_state="page",
    )
    questions = ordered(_questions(model, mkey, key), red)[:5]
    st.markdown("**Ask next** (expected information gain, bits)")
    if not questions:
        st.caption("Every question is answered.")
    for q in questions:
        gain = q.red_flag_gain if red else q.gain
        st.markdown(f"{q.text} ({gain:.3f} bits)")
        cols = st.columns(len(q.answers))
        for col, a in zip(cols, q.answers, strict=True):
            top = max(a.causes, key=lambda c: a.causes[c])
            then = model.variables[top].label
            col.button(
                f"{a.label} ({a.probability:.0%})",
                key=f"explain__ask__{q.variable}__{a.state}",
                help=f"If {answer_text(model.spec, q.variable, a.state)}: "
                f"{in_sentence(level_words(a.level))}; most likely {then} {a.causes[top]:.0%}",
                on_click=_answer,
                args=(q.variable, a.state),
            )
