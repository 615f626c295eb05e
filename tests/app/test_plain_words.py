"""The explorer speaks in words: no variable ids, state ids or level ids on the page (AppTest).

Deliberate exceptions stay: the "Id" column of *Causes in numbers*, the edited file names
of *Try a number* and the researchers' table under *The numbers behind each share*.
"""

from __future__ import annotations

import re
from html import unescape

import pyarrow as pa
import pytest
from paths import ROOT
from streamlit.testing.v1 import AppTest

from app import views
from app.page import TAB
from model import load_model

APP = str(ROOT / "app" / "explorer.py")
DVT_SCENARIO = {"one_leg_swelling": "yes", "recent_immobility": "yes", "age_group": "45_to_59"}
# an id as the priors write it: snake_case, or a cause and its grade joined by a dot
RAW = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b|\b[a-z]+\.[a-z]+_\d\b")


def raw_ids(text: str) -> list[str]:
    """The code-like tokens in ``text`` (and any cause id, such as ``dvt``, on its own)."""
    causes = {c.variable.id for c in load_model().spec.causes}
    words = re.findall(r"\b[a-z_.0-9]+\b", text)
    return RAW.findall(text) + [w for w in words if w in causes]


pytestmark = pytest.mark.usefixtures("fresh_explorer")


def expert(tab: str, **answers: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["view"] = "expert"
    for k, v in answers.items():
        at.query_params[k] = v
    at.run()
    at.session_state[TAB] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def test_every_number_to_try_is_named_in_words() -> None:
    at = expert("Try a number")
    options = at.selectbox(key="try_key").options
    assert len(options) == len(load_model().spec.entries)
    leaks = {o: raw_ids(o) for o in options if raw_ids(o)}
    assert not leaks, f"{len(leaks)} options name ids, e.g. {list(leaks.items())[:3]}"
    key = "triage:rule.calf_strain.grade_3.threshold"
    at.selectbox(key="try_key").set_value(key).run()
    slider = at.slider(key=f"slider__{key}")
    slider.set_value(slider.max).run()
    notice = next(i.value for i in at.info if "Trying 1 changed number" in i.value)
    assert not raw_ids(notice), notice
    assert "Calf muscle strain (grade 3 or worse)" in notice


def test_a_duration_number_of_a_strain_grade_can_be_tried() -> None:
    """It raised a KeyError (the table's quoted grade) and the tab showed a traceback."""
    key = 'findings:symptom_duration.causes."calf_strain.grade_1".days'
    at = expert("Try a number")
    at.selectbox(key="try_key").set_value(key).run()
    slider = at.slider(key=f"slider__{key}")
    slider.set_value(slider.min).run()
    assert not at.exception, at.exception
    (download,) = [b for b in at.get("download_button") if "findings.toml" in b.proto.label]
    assert download


def test_explain_panel_names_the_cause_and_the_answers_in_words() -> None:
    at = expert("Why this cause / next questions", **DVT_SCENARIO)
    at.selectbox(key="explain__cause").set_value("dvt").run()
    assert not at.exception, at.exception
    tab = next(t for t in at.tabs if t.label == "Why this cause / next questions")
    texts = [m.value for m in tab.markdown] + [b.proto.help for b in tab.button]
    head = next(t for t in texts if "with no answers" in t)
    assert "Deep vein thrombosis (DVT)" in head and not raw_ids(head), head
    steps = []
    for chart in at.get("vega_lite_chart"):
        for ds in chart.proto.datasets:
            if ds.name == "waterfall":
                steps = list(pa.ipc.open_stream(ds.data.data).read_all().to_pandas()["step"])
    assert "One leg swollen: yes" in steps and "Age group: 45 to 59" in steps, steps
    leaks = [t for t in texts + steps if raw_ids(t)]
    assert not leaks, leaks[:3]


def test_sensitivity_panel_offers_causes_by_name() -> None:
    at = expert("Sensitivity", **DVT_SCENARIO)
    box = at.selectbox(key="sensitivity_target")
    assert "Deep vein thrombosis (DVT)" in box.options
    assert "Calf muscle strain (grade 3)" in box.options
    assert not [o for o in box.options if raw_ids(o) or o == o.lower()], box.options


def test_tornado_axis_and_tooltips_speak_in_words() -> None:
    from app.panels.sensitivity import tornado
    from model.analysis.sensitivity import Swing

    spec = load_model().spec
    swings = [
        Swing(
            "causes:calf_strain.prevalence.grade_3",
            0.03,
            0.01,
            0.05,
            0.1,
            0.05,
            0.2,
            "see_clinician",
            "urgent",
            ("expert_estimate",),
        )
    ]
    chart = tornado(swings, "calf_strain.grade_3", 5, spec).to_dict()
    layer = chart["layer"][0]["encoding"]
    assert layer["x"]["title"] == "Probability of calf muscle strain (grade 3)"
    titles = [t.get("title", t.get("field")) for t in layer["tooltip"]]
    assert not [t for t in titles if raw_ids(t)], titles
    frame = next(iter(chart["datasets"].values()))
    assert frame[0]["triage at high end"] == "Seek medical care today"


def test_numbers_behind_a_cause_name_the_level_and_the_grades() -> None:
    at = expert("Numbers behind a cause")
    at.selectbox(key="numbers_cause").set_value("tibial_stress_fracture").run()
    html = unescape(next(m.value for m in at.markdown if "cx-numbers" in m.value))
    assert "see_clinician" not in html
    assert "raises triage to 'Book an assessment with a clinician'" in html
    at.session_state[TAB] = "Causes in numbers"
    at.run()
    grades = next(t.value for t in at.table if t.value.index.name == "Grade")
    assert list(grades.index)[0] == "No calf muscle strain", "not a Python None"


def test_entry_labels_have_no_ids() -> None:
    spec = load_model().spec
    leaks = {k: views.entry_label(spec, k) for k in spec.entries}
    leaks = {k: v for k, v in leaks.items() if raw_ids(v)}
    assert not leaks, list(leaks.items())[:5]
