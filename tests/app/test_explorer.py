"""The Streamlit explorer through ``streamlit.testing.v1.AppTest`` (no browser).

Each test starts from empty Streamlit caches (``st.cache_resource`` is process-wide).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from paths import ROOT
from streamlit.testing.v1 import AppTest

from app import graph, views
from app import overrides as ov
from app import state as qs
from app.page import TAB
from model import DiagnosticModel, PriorsError, load_model
from model.priors.keys import split_key
from model.priors.toml_io import read_folder

APP = str(ROOT / "app" / "explorer.py")
DVT_SCENARIO = {"one_leg_swelling": "yes", "recent_immobility": "yes", "warmth_redness": "yes"}
RUPTURE_SCENARIO = {"pop_at_onset": "yes", "weak_push_off": "yes", "palpable_gap": "yes"}


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def argv(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Set the command line the app reads (``-- --priors DIR``)."""

    def set_priors(priors: Path | None = None) -> None:
        args = ["explorer.py"] + (["--priors", str(priors)] if priors is not None else [])
        monkeypatch.setattr(sys, "argv", args)

    set_priors()
    return set_priors


def start(**params: str) -> AppTest:
    """The page as a first visit with these URL parameters (``view="expert"`` for the tables)."""
    at = AppTest.from_file(APP, default_timeout=30)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def answer(at: AppTest, **answers: str) -> AppTest:
    for vid, state in answers.items():
        at.radio(key=qs.widget_key(vid)).set_value(state)
    at.run()
    assert not at.exception, at.exception
    return at


def open_tab(at: AppTest, title: str) -> AppTest:
    """Switch tab as a click does (the tabs are stateful): the page reruns."""
    at.session_state[TAB] = title
    at.run()
    assert not at.exception, at.exception
    return at


def ranking(at: AppTest) -> list[str]:
    return list(at.table[0].value["Cause"])


def chart_ranking(at: AppTest) -> list[str]:
    """The causes of the ranked chart's rows (its named dataset), most likely first."""
    import pyarrow as pa

    (chart,) = at.get("vega_lite_chart")
    (rows,) = chart.proto.datasets
    frame = pa.ipc.open_stream(rows.data.data).read_all().to_pandas()
    now = frame[frame["scenario"] == views.NOW].sort_values("rank")
    return list(now["cause"])


def numbers_table(at: AppTest) -> str:
    """The HTML of the 'Numbers behind a cause' table."""
    return next(m.value for m in at.markdown if "cx-numbers" in m.value)


def banner(at: AppTest) -> str:
    """The triage banner's kind: error (urgent), warning, success."""
    for kind in ("error", "warning", "success"):
        if getattr(at, kind):
            return kind
    raise AssertionError("no triage banner")


def test_default_page_asks_first_with_every_question_unknown(argv) -> None:  # type: ignore[no-untyped-def]
    """Nothing answered: a neutral banner that asks, not a green "self-care is reasonable"."""
    at = start()
    assert not at.success and not at.error and not at.warning
    assert at.info[0].value.startswith("**Answer the safety questions first**")
    assert "Decision support, not a diagnosis" in at.caption[0].value
    radios = {r.key: r.value for r in at.radio if r.key.startswith("answer__")}
    assert len(radios) == len([v for v in load_model().variables.values() if v.kind != "cause"])
    assert set(radios.values()) == {qs.UNKNOWN}
    labels = [e.label for e in at.sidebar.expander]
    assert labels == [
        "**1. Safety check**",
        "**2. What happened**",
        "**3. About you and your training**",
    ]
    assert at.radio(key="view").value == "runner" and not at.tabs, "runners see plain words"
    assert any("about 1 in" in m.value for m in at.markdown)
    at.radio(key="view").set_value("expert").run()
    assert at.query_params["view"] in ("expert", ["expert"])
    assert [t.label for t in at.tabs][:5] == [
        "Causes in numbers",
        "Compare scenarios",
        "Network",
        "Numbers behind a cause",
        "Try a number",
    ]


def test_answers_change_ranking_and_triage(argv) -> None:  # type: ignore[no-untyped-def]
    at = start(view="expert")
    before = ranking(at)
    answer(at, delayed_onset_soreness="yes", both_legs="yes", mileage_jump="large")
    after = ranking(at)
    assert after != before
    assert after[0] == "Delayed onset muscle soreness (DOMS)"
    assert chart_ranking(at) == after, "the chart shows the current answers"
    answer(
        at,
        delayed_onset_soreness="no",
        both_legs="no",
        sudden_onset_during_run="yes",
        pain_when_walking="yes",
        local_muscle_tenderness="yes",
    )
    assert banner(at) in ("warning", "error")
    assert ranking(at)[0] == "Calf muscle strain"
    assert chart_ranking(at) == ranking(at)


@pytest.mark.parametrize(
    ("scenario", "top"),
    [(DVT_SCENARIO, "Deep vein thrombosis (DVT)"), (RUPTURE_SCENARIO, None)],
    ids=["dvt", "rupture"],
)
def test_red_flags_show_the_urgent_banner(argv, scenario: dict[str, str], top: str | None) -> None:  # type: ignore[no-untyped-def]
    at = answer(start(view="expert"), **scenario)
    assert banner(at) == "error"
    triage = load_model().diagnose(scenario).triage
    assert triage.title.lower() in at.error[0].value.lower()
    if triage.level == "emergency":  # shown as such: its own title, in capitals
        assert at.error[0].value.startswith(f"**{triage.title.upper()}**")
    if top:
        assert ranking(at)[0] == top


def test_answers_go_to_the_url_and_reset_clears_them(argv) -> None:  # type: ignore[no-untyped-def]
    at = answer(start(), one_leg_swelling="yes", age_group="60_plus")
    assert at.query_params["one_leg_swelling"] in ("yes", ["yes"])
    assert at.query_params["age_group"] in ("60_plus", ["60_plus"])
    at.sidebar.button[0].click().run()
    assert {r.value for r in at.radio if r.key.startswith("answer__")} == {qs.UNKNOWN}
    assert "one_leg_swelling" not in at.query_params
    assert not at.error and at.info[0].value.startswith("**Answer the safety questions first**")


def test_url_restores_answers(argv) -> None:  # type: ignore[no-untyped-def]
    at = start(**DVT_SCENARIO, bogus="yes", bruising="maybe", view="expert")
    assert at.radio(key=qs.widget_key("one_leg_swelling")).value == "yes"
    assert at.radio(key=qs.widget_key("bruising")).value == qs.UNKNOWN
    assert banner(at) == "error"
    assert ranking(at)[0] == "Deep vein thrombosis (DVT)"


def test_compare_scenarios_shows_a_and_b(argv) -> None:  # type: ignore[no-untyped-def]
    at = open_tab(answer(start(view="expert"), delayed_onset_soreness="yes"), "Compare scenarios")
    pin = next(b for b in at.button if b.label.startswith("Pin current answers"))
    pin.click().run()
    answer(at, **DVT_SCENARIO)
    headers = [h.value for h in at.subheader]
    assert "Scenario A (pinned)" in headers and "Scenario B (current)" in headers
    table = next(t.value for t in at.table if "B - A" in t.value.columns)
    assert list(table.columns) == ["Cause", "A (pinned)", "B (current)", "B - A"]
    dvt = table[table["Cause"] == "Deep vein thrombosis (DVT)"].iloc[0]
    assert dvt["B - A"].startswith("+")


def test_try_a_number_updates_posteriors_and_offers_download(argv) -> None:  # type: ignore[no-untyped-def]
    at = answer(start(view="expert"), one_leg_swelling="yes")
    before = at.table[0].value.set_index("Cause")
    open_tab(at, "Try a number")
    at.selectbox(key="try_key").set_value("causes:dvt.prevalence").run()
    slider = at.slider(key="slider__causes:dvt.prevalence")
    slider.set_value(slider.max).run()
    assert not at.exception
    assert any("Trying 1 changed number" in i.value for i in at.info)
    assert at.get("download_button"), "an edited priors file is offered"
    after = open_tab(at, "Causes in numbers").table[0].value.set_index("Cause")
    dvt = "Deep vein thrombosis (DVT)"
    assert float(after.loc[dvt, views.NOW].rstrip("%")) > float(
        before.loc[dvt, views.NOW].rstrip("%")
    )
    open_tab(at, "Numbers behind a cause")
    at.selectbox(key="numbers_cause").set_value("dvt").run()
    assert "(tried; file: 0.50%)" in numbers_table(at)
    open_tab(at, "Try a number")
    assert at.selectbox(key="try_key").value == "causes:dvt.prevalence", "kept while hidden"
    next(b for b in at.button if b.label == "Undo all changed numbers").click().run()
    assert not any("Trying" in i.value for i in at.info)


# What only each tab draws (its content runs only while it is open).
TAB_MARKS = {
    "Causes in numbers": lambda at: any("Calf strain by grade" in m.value for m in at.markdown),
    "Compare scenarios": lambda at: any(b.label.startswith("Pin current") for b in at.button),
    "Network": lambda at: bool(at.get("graphviz_chart")),
    "Numbers behind a cause": lambda at: any("cx-numbers" in m.value for m in at.markdown),
    "Try a number": lambda at: any(s.key.startswith("slider__") for s in at.slider),
    "Why this cause / next questions": lambda at: any(
        s.key == "explain__cause" for s in at.selectbox
    ),
    "Sensitivity": lambda at: any(s.key == "sensitivity_target" for s in at.selectbox),
}


def test_only_the_open_tab_is_drawn_and_every_tab_draws(argv) -> None:  # type: ignore[no-untyped-def]
    at = answer(start(view="expert"), **RUPTURE_SCENARIO)
    assert [t.label for t in at.tabs] == list(TAB_MARKS)
    for title in TAB_MARKS:
        open_tab(at, title)
        drawn = {name for name, mark in TAB_MARKS.items() if mark(at)}
        assert drawn == {title}, title
        assert banner(at) == "error", "the banner stays above every tab"
    open_tab(at, "Numbers behind a cause")
    for cause in ("calf_strain", "acute_compartment_syndrome", "achilles_rupture"):
        at.selectbox(key="numbers_cause").set_value(cause).run()
        assert not at.exception
        assert "Baseline" in numbers_table(at) or "Finding strength" in numbers_table(at)


def test_network_tab_redraws_with_answers_and_keeps_its_toggle(argv) -> None:  # type: ignore[no-untyped-def]
    at = open_tab(start(view="expert"), "Network")
    assert '"bruising"' not in at.get("graphviz_chart")[0].proto.spec, "no answers: causes only"
    answer(at, bruising="yes")
    dot = at.get("graphviz_chart")[0].proto.spec
    assert "penwidth=3" in dot and '"bruising"' in dot and '"cramping"' not in dot
    assert "rankdir=TB" in dot and "rank=same" in dot
    at.toggle(key="network_whole").set_value(True).run()
    assert '"cramping"' in at.get("graphviz_chart")[0].proto.spec
    open_tab(open_tab(at, "Causes in numbers"), "Network")
    assert at.toggle(key="network_whole").value, "kept while another tab was open"


def test_broken_priors_folder_shows_the_loader_messages(argv, priors_copy: Path) -> None:  # type: ignore[no-untyped-def]
    path = priors_copy / "causes.toml"
    text = path.read_text()
    broken = text.replace(
        "value = 0.15, range = [0.08, 0.30]", "value = 1.7, range = [0.08, 0.30]", 1
    )
    assert broken != text
    path.write_text(broken)
    argv(priors_copy)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.error, "the problems are shown on the page"
    message = at.error[0].value
    assert "cannot be used" in message and "causes" in message and "doms.prevalence" in message


def test_other_priors_folder_is_used(argv, priors_copy: Path) -> None:  # type: ignore[no-untyped-def]
    path = priors_copy / "triage.toml"
    # a DVT threshold of 0.03 (inside its range) leaves pain at rest alone (DVT 2.5%) below it
    text = path.read_text()
    assert "threshold = { value = 0.02, range = [0.01, 0.03]," in text
    path.write_text(text.replace("threshold = { value = 0.02,", "threshold = { value = 0.03,", 1))
    argv(priors_copy)
    at = answer(start(), pain_at_rest="yes")
    default = load_model().diagnose({"pain_at_rest": "yes"}).triage.level
    changed = load_model(priors_copy).diagnose({"pain_at_rest": "yes"}).triage.level
    colours = {"emergency": "error", "urgent": "error", "see_clinician": "warning"}
    assert banner(at) == colours.get(changed, "success")
    assert default == "urgent" and changed != "urgent"


# --- the pure helpers behind the page ------------------------------------------------------


def test_query_params_round_trip(model: DiagnosticModel) -> None:
    answers = {"age_group": "45_to_59", "one_leg_swelling": "yes", "bruising": qs.UNKNOWN}
    params = qs.params_from_answers(answers)
    assert qs.answers_from_params(params, model.variables) == {
        "age_group": "45_to_59",
        "one_leg_swelling": "yes",
    }


def test_every_entry_has_a_label_and_editable_ones_a_location(model: DiagnosticModel) -> None:
    data = read_folder(model.spec.source_dir)
    for key in model.spec.entries:
        assert views.entry_label(model.spec, key)
        where = ov.entry_location(key)
        if where is None:
            assert key.startswith("triage:") or ".table." in key, key
            continue
        stem, table, item = where
        node = data[stem]
        for part in split_key(f"{stem}:{table}")[1]:
            node = node[part]
        assert node[item]["value"] == model.spec.entries[key].value, key


@pytest.mark.parametrize(
    "key",
    [
        "causes:dvt.prevalence",
        "causes:calf_strain.prevalence.grade_3",
        'findings:palpable_gap.causes."calf_strain.grade_3"',
        'causes:dvt.odds_ratios."recent_immobility.yes"',
        "risk_factors:age_group.prevalence.60_plus",
    ],
)
def test_downloaded_file_loads_to_the_overridden_model(
    model: DiagnosticModel, tmp_path: Path, key: str
) -> None:
    e = model.spec.entries[key]
    value = round(e.low + 0.37 * (e.high - e.low), 6)
    tried = model.with_values({key: value})
    texts, skipped = ov.edited_files(
        model.spec.source_dir, ov.with_siblings({key: value}, tried.spec.entries)
    )
    assert not skipped and len(texts) == 1
    import shutil

    shutil.copytree(model.spec.source_dir, tmp_path / "p")
    for name, text in texts.items():
        (tmp_path / "p" / name).write_text(text)
    reloaded = load_model(tmp_path / "p")
    for k, entry in tried.spec.entries.items():
        assert reloaded.spec.entries[k].value == pytest.approx(entry.value, abs=1e-6), k


def test_broken_folder_error_type(priors_copy: Path) -> None:
    (priors_copy / "findings.toml").unlink()
    with pytest.raises(PriorsError, match="file is missing"):
        load_model(priors_copy)


def test_network_dot_marks_evidence_and_shades_causes(model: DiagnosticModel) -> None:
    d = model.diagnose(DVT_SCENARIO)
    dot = graph.network_dot(model.spec, d, DVT_SCENARIO)
    assert dot.count("penwidth=3") == 3
    assert '"bruising"' not in dot
    assert graph.shade(d.probability("dvt")) in dot
    # hovering a node or an edge shows names: an SVG's default title is the DOT id
    assert '"dvt" [label=' in dot and 'tooltip="Deep vein thrombosis (DVT)"' in dot
    assert dot.count("->") == dot.count(" → ") and 'tooltip="recent_immobility' not in dot
