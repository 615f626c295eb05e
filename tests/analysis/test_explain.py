"""Explanations: the parts sum to the whole, and carry the numbers behind them."""

from __future__ import annotations

import math
import tomllib

import pytest
from paths import VIGNETTES

from model import DiagnosticModel, UnknownCauseError
from model.analysis.explain import EPS, explain
from model.inference.tables import logit

VIGNETTES = {v["id"]: v for v in tomllib.loads(VIGNETTES.read_text())["vignette"]}
TINY_CASES = [
    ({}, "clot", None),
    ({"trip": "yes"}, "clot", None),
    ({"trip": "yes", "swelling": "yes", "age": "old"}, "clot", None),
    ({"trip": "no", "swelling": "yes", "age": "old"}, "strain", "severe"),
    ({"swelling": "yes", "snap": "yes"}, "strain", None),  # snap settles strain: clipped
    ({"swelling": "no", "trip": "yes"}, "bump", None),
]


@pytest.mark.parametrize("method", ["shapley", "sequential"])
@pytest.mark.parametrize(("evidence", "cause", "state"), TINY_CASES)
def test_parts_sum_to_the_total_on_tiny(
    tiny: DiagnosticModel, evidence: dict[str, str], cause: str, state: str | None, method: str
) -> None:
    x = explain(tiny, evidence, cause, state, method=method)  # type: ignore[arg-type]
    assert abs(sum(c.log_odds for c in x.contributions) - x.total) < 1e-9
    assert sorted(c.variable for c in x.contributions) == sorted(evidence)
    d = tiny.diagnose(evidence)
    assert x.posterior == pytest.approx(d.probability(cause, state), abs=1e-12)
    assert x.prior == pytest.approx(tiny.diagnose({}).probability(cause, state), abs=1e-12)


@pytest.mark.parametrize(
    "vid",
    [
        "dvt_few_signs_immobility_one_leg_swelling",
        "achilles_rupture_on_known_tendinopathy",
        "doms_after_hill_session",
        "dvt_after_long_haul_flight",
    ],
)
def test_parts_sum_to_the_total_on_shipped_vignettes(model: DiagnosticModel, vid: str) -> None:
    evidence = VIGNETTES[vid]["evidence"]
    top = model.diagnose(evidence).causes[0].id
    for cause in dict.fromkeys([top, "dvt"]):
        x = explain(model, evidence, cause)
        assert x.method == "shapley" and x.evaluations == 2 ** len(evidence)
        assert abs(sum(c.log_odds for c in x.contributions) - x.total) < 1e-9
        assert math.isclose(x.posterior_log_odds - x.prior_log_odds, x.total)


def test_shapley_of_two_items_averages_both_orders(tiny: DiagnosticModel) -> None:
    ev = {"trip": "yes", "swelling": "yes"}

    def lo(e: dict[str, str]) -> float:
        return float(logit(tiny.diagnose(e).probability("clot"), EPS))

    alone = lo({"trip": "yes"}) - lo({})
    second = lo(ev) - lo({"swelling": "yes"})
    x = explain(tiny, ev, "clot")
    share = {c.variable: c.log_odds for c in x.contributions}
    assert share["trip"] == pytest.approx((alone + second) / 2, abs=1e-12)


def test_more_than_eight_items_use_the_documented_order(model: DiagnosticModel) -> None:
    ev = {
        "one_leg_swelling": "yes", "age_group": "45_to_59", "warmth_redness": "yes",
        "recent_immobility": "yes", "bruising": "no", "pop_at_onset": "no", "cramping": "no",
        "both_legs": "no", "vascular_risk": "yes",
    }  # fmt: skip
    x = explain(model, ev, "dvt")
    assert x.method == "sequential" and x.evaluations == len(ev) + 1
    assert abs(sum(c.log_odds for c in x.contributions) - x.total) < 1e-9
    assert "sequential, risk factors then findings" in str(x)


def test_each_item_carries_its_numbers_and_sources(model: DiagnosticModel) -> None:
    x = explain(model, {"one_leg_swelling": "yes", "recent_immobility": "yes"}, "dvt")
    numbers = {c.variable: [e.key for e in c.numbers] for c in x.contributions}
    assert numbers == {
        "one_leg_swelling": [
            "findings:one_leg_swelling.causes.dvt",
            "findings:one_leg_swelling.leak",
        ],
        "recent_immobility": ['causes:dvt.odds_ratios."recent_immobility.yes"'],
    }
    assert all(e.sources for c in x.contributions for e in c.numbers)
    frame = x.to_frame()
    assert list(frame.index) == [c.item for c in x.contributions]
    assert frame["running_log_odds"].iloc[-1] == pytest.approx(x.posterior_log_odds)
    text = str(x)
    assert text.startswith("Why P(dvt) = ") and "= posterior" in text and "goodacre2005" in text


def test_an_interaction_term_is_listed_only_where_its_other_parents_allow_it(
    model: DiagnosticModel,
) -> None:
    """Cycling at 60 and over: its own odds ratio and the 60-plus term, not the other ages'."""
    given = {"age_group": "60_plus", "endurance_cycling": "yes"}
    x = explain(model, given, "arterial_claudication")
    numbers = {c.variable: [e.key for e in c.numbers] for c in x.contributions}
    both = '"endurance_cycling.yes & age_group.60_plus"'
    key = "causes:arterial_claudication.odds_ratios."
    assert numbers["endurance_cycling"] == [f'{key}"endurance_cycling.yes"', key + both]
    assert numbers["age_group"] == [f'{key}"age_group.60_plus"', key + both]


def test_diagnosis_explain_and_triage_reasons_use_it(model: DiagnosticModel) -> None:
    d = model.diagnose(
        {"one_leg_swelling": "yes", "warmth_redness": "yes", "recent_immobility": "yes"}
    )
    x = model.explain(d.evidence, "dvt")
    assert x.posterior == pytest.approx(d.probability("dvt"))
    dvt_detail = next(r for r in d.triage.details if r.startswith("rule dvt:"))
    top = x.raising()[0]
    assert f"raised by {top.item} (+" in dvt_detail
    dvt_reason = next(r for r in d.triage.reasons if r.startswith("A blood clot"))
    assert model.variables[top.variable].statement in dvt_reason  # in plain words
    assert "_" not in dvt_reason and "(+" not in dvt_reason


def test_a_rule_s_reasons_name_the_risk_factors_behind_it(model: DiagnosticModel) -> None:
    """A long flight is named behind a suspected clot, and the two parts add up to the whole.

    Before, the risk factors were the background of the split and the reason named only the
    findings (and the command line, which does not split, named the flight: two answers).
    """
    from model.analysis.explain import logit, raised_by

    given = {
        "age_group": "45_to_59",
        "recent_immobility": "yes",
        "not_improving": "yes",
        "pain_not_eased_by_stretch": "yes",
    }
    rule = next(r for r in model.spec.rules if r.target == "dvt")
    shares = raised_by(model, given, rule)
    assert shares[0][:2] == ("recent_immobility", "yes")  # the strongest answer here
    assert [w for *_, w in shares] == sorted((w for *_, w in shares), reverse=True)
    d = model.diagnose(given)
    reason = next(r for r in d.triage.reasons if r.startswith("A blood clot"))
    assert model.variables["recent_immobility"].plain("yes") in reason
    assert "recent_immobility=yes (+" in next(
        r for r in d.triage.details if r.startswith("rule dvt")
    )
    # the risk factors' part and the findings' part telescope to the whole change
    risk = {v: given[v] for v in ("age_group", "recent_immobility")}
    risk_x = explain(model, risk, "dvt")
    rest_x = explain(model, given, "dvt", background=list(risk))
    whole = logit(d.probability("dvt")) - logit(model.diagnose({}).probability("dvt"))
    parts = sum(c.log_odds for x in (risk_x, rest_x) for c in x.contributions)
    assert parts == pytest.approx(whole)


def test_raised_by_explains_the_event_a_graded_rule_fires_on(model: DiagnosticModel) -> None:
    """A rule on calf_strain.grade_2 fires on P(grade_2 or grade_3): that is what is split."""
    from model.analysis.explain import logit, raised_by

    rule = next(r for r in model.spec.rules if r.target == "calf_strain.grade_2")
    evidence = {"age_group": "30_to_44", "sudden_onset_during_run": "yes", "bruising": "yes"}
    shares = raised_by(model, evidence, rule)
    background = model.marginals(["calf_strain"], {"age_group": "30_to_44"})["calf_strain"]
    everything = model.marginals(["calf_strain"], evidence)["calf_strain"]
    total = logit(float(sum(everything[2:]))) - logit(float(sum(background[2:])))
    assert sum(w for _, _, w in shares) == pytest.approx(total)  # both findings raise it
    assert {v for v, _, _ in shares} == {"sudden_onset_during_run", "bruising"}
    only_grade_2 = logit(float(everything[2])) - logit(float(background[2]))
    assert abs(total - only_grade_2) > 1e-3  # not the P(grade_2) it explained before


@pytest.mark.parametrize(
    ("cause", "state", "message"),
    [
        (
            "clots",
            None,
            r"unknown cause 'clots'; valid: clot, strain, bump \(did you mean 'clot'\?\)",
        ),
        ("strain", "worst", "unknown state 'worst' for strain"),
        ("trip", None, "unknown cause 'trip'"),
    ],
)
def test_bad_cause_names_the_choices(
    tiny: DiagnosticModel, cause: str, state: str | None, message: str
) -> None:
    with pytest.raises(UnknownCauseError, match=message):
        tiny.explain({"trip": "yes"}, cause, state)


def test_cli_prints_the_waterfall_after_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    from model.interfaces.cli import main

    assert (
        main(
            [
                "diagnose",
                "--priors",
                "tests/data/tiny",
                "--explain",
                "strain=severe",
                "swelling=yes",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.index("TRIAGE:") < out.index("Why P(strain=severe) = ")
    assert 'findings:swelling.causes."strain.severe" = 0.5 (made_up_2020)' in out


def test_cli_json_includes_the_explanation(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from model.interfaces.cli import main

    assert (
        main(
            [
                "diagnose",
                "--json",
                "--priors",
                "tests/data/tiny",
                "--explain",
                "clot",
                "trip=yes",
                "swelling=yes",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    x = out["explanation"]
    assert x["cause"] == "clot" and x["method"] == "shapley"
    total = sum(c["log_odds"] for c in x["contributions"])
    assert total == pytest.approx(x["posterior_log_odds"] - x["prior_log_odds"], abs=1e-9)


def test_cli_bad_explain_cause_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    from model.interfaces.cli import main

    assert main(["diagnose", "--priors", "tests/data/tiny", "--explain", "clott"]) == 2
    assert capsys.readouterr().err.startswith("calfdx: error: unknown cause 'clott'")


def test_a_pickled_diagnosis_carries_only_numbers(tiny: DiagnosticModel) -> None:
    import pickle

    d = tiny.diagnose({"trip": "yes"})
    back = pickle.loads(pickle.dumps(d))
    assert back == d and back.triage == d.triage
    assert len(pickle.dumps(d)) < 5000  # no model, engine or spec inside
