"""Every error branch of the loader, on a broken copy of the shipped priors, message pinned."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from model import PriorsError
from model.interfaces.cli import main
from model.priors.loader import DEFAULT_PRIORS, load_spec

Raw = dict[str, Any]
# a copied flag is appended after the shipped ones: its index is their count
N_RED_FLAGS = len(tomllib.loads((DEFAULT_PRIORS / "triage.toml").read_text())["red_flag"])


def edit(folder: Path, stem: str, change: Callable[[Raw], None]) -> None:
    path = folder / f"{stem}.toml"
    data = tomllib.loads(path.read_text())
    change(data)
    path.write_text(tomli_w.dumps(data))


def first_or(data: Raw) -> tuple[str, str]:
    """The first cause with odds ratios, and its first odds-ratio key."""
    for cid, t in data.items():
        if t.get("odds_ratios"):
            return cid, next(iter(t["odds_ratios"]))
    raise AssertionError("no odds ratios")


def as_table(d: Raw) -> dict[str, Any]:
    """Give acute compartment syndrome as an explicit table (the shipped file has odds ratios)."""
    acs = d["acute_compartment_syndrome"]
    for key in ("prevalence", "odds_ratios"):
        acs.pop(key, None)
    acs["table"] = {
        "parents": ["recent_leg_trauma"],
        "rows": {
            "no": {"value": [0.9995, 0.0005], "source": "mcqueen2000"},
            "yes": {"value": [0.98, 0.02], "source": "mcqueen2000"},
        },
    }
    table: dict[str, Any] = acs["table"]
    return table


def set_dvt_baseline(field: str, value: Any) -> Callable[[Raw], None]:
    def change(d: Raw) -> None:
        if value is None:
            del d["dvt"]["prevalence"][field]
        else:
            d["dvt"]["prevalence"][field] = value

    return change


def rename_parent(new: str) -> Callable[[Raw], None]:
    def change(d: Raw) -> None:
        ors = d["dvt"]["odds_ratios"]
        ors[new] = ors.pop(next(iter(ors)))

    return change


CASES: list[tuple[str, str, Callable[[Raw], None], str]] = [
    (
        "probability_above_one",
        "causes",
        set_dvt_baseline("value", 1.5),
        r"causes\.toml: dvt\.prevalence: probability must lie in \[0, 1\], found 1\.5",
    ),
    (
        "value_outside_range",
        "causes",
        set_dvt_baseline("range", [0.5, 0.6]),
        r"dvt\.prevalence: value [0-9.e-]+ lies outside its range \[0\.5, 0\.6\]",
    ),
    (
        "missing_source",
        "causes",
        set_dvt_baseline("source", None),
        r"dvt\.prevalence\.source: source is missing",
    ),
    (
        "unknown_reference",
        "causes",
        set_dvt_baseline("source", "smith1999"),
        r"dvt\.prevalence\.source: unknown reference 'smith1999'; valid: .*expert_estimate",
    ),
    (
        "expert_without_reason",
        "causes",
        lambda d: d["dvt"]["prevalence"].update(source="expert_estimate", reason=""),
        r"dvt\.prevalence: source 'expert_estimate' needs a one-line 'reason'",
    ),
    (
        "typo_in_field",
        "causes",
        lambda d: d["dvt"]["prevalence"].update(vlaue=1),
        r"dvt\.prevalence\.vlaue: unknown field; valid: value, range, source, reason, note \(did you mean 'value'\?\)",
    ),
    (
        "range_not_a_pair",
        "causes",
        set_dvt_baseline("range", [0.1]),
        r"dvt\.prevalence\.range: expected \[low, high\], found \[0\.1\]",
    ),
    (
        "value_not_a_number",
        "causes",
        set_dvt_baseline("value", "low"),
        r"dvt\.prevalence\.value: expected a number, found 'low'",
    ),
    (
        "entry_not_a_table",
        "causes",
        lambda d: d["dvt"].update(prevalence=0.01),
        r"dvt\.prevalence: expected \{ value, range, source \}, found 0\.01",
    ),
    (
        "unknown_parent_id",
        "causes",
        rename_parent("recent_imobility.yes"),
        r"unknown parent 'recent_imobility'; valid: .* \(did you mean 'recent_immobility'\?\)",
    ),
    (
        "unknown_parent_state",
        "causes",
        rename_parent("recent_immobility.maybe"),
        r"state 'maybe' of recent_immobility: valid: yes",
    ),
    (
        "reference_state_odds_ratio",
        "causes",
        rename_parent("recent_immobility.no"),
        r"state 'no' of recent_immobility: the reference state has odds ratio 1 by definition",
    ),
    (
        "unknown_parent_in_interaction",
        "causes",
        rename_parent("recent_immobility.yes & age_grup.60_plus"),
        r"unknown parent 'age_grup'; valid: .* \(did you mean 'age_group'\?\)",
    ),
    (
        "interaction_given_twice",
        "causes",
        lambda d: d["arterial_claudication"]["odds_ratios"].update(
            {
                "age_group.60_plus&endurance_cycling.yes": d["arterial_claudication"][
                    "odds_ratios"
                ]["endurance_cycling.yes & age_group.60_plus"]
            }
        ),
        r"the same parent states as 'endurance_cycling\.yes & age_group\.60_plus'",
    ),
    (
        "interaction_with_a_reference_state",
        "causes",
        rename_parent("recent_immobility.yes & age_group.under_30"),
        r"state 'under_30' of age_group: an interaction term names non-reference states only",
    ),
    (
        "interaction_names_a_parent_twice",
        "causes",
        rename_parent("recent_immobility.yes & recent_immobility.yes"),
        r"an interaction names each parent once; recent_immobility twice",
    ),
    (
        "odds_ratio_not_positive",
        "causes",
        lambda d: d["dvt"]["odds_ratios"][next(iter(d["dvt"]["odds_ratios"]))].update(
            value=0.0, range=[0.0, 1.0]
        ),
        r"dvt\.odds_ratios\.\S+: odds ratio must be positive, found 0",
    ),
    (
        "cycle",
        "causes",
        lambda d: (
            d["achilles_tendinopathy"]
            .setdefault("odds_ratios", {})
            .update(
                {
                    "achilles_rupture.present": {
                        "value": 2.0,
                        "range": [1.0, 3.0],
                        "source": "seed_000",
                    }
                }
            )
        ),
        r"cycle among causes: achilles_\w+ -> achilles_\w+ -> achilles_\w+",
    ),
    (
        "graded_baseline_sums_to_one",
        "causes",
        lambda d: d["calf_strain"]["prevalence"]["grade_1"].update(value=0.99, range=[0.0, 1.0]),
        r"calf_strain\.prevalence: prevalences sum to 1\.\d+, expected < 1",
    ),
    (
        "prevalence_sum",
        "risk_factors",
        lambda d: d["hydration"]["prevalence"]["poor"].update(value=0.0, range=[0.0, 1.0]),
        r"risk_factors\.toml: hydration\.prevalence: prevalences sum to 0\.\d+, expected 1",
    ),
    (
        "prevalence_unknown_state",
        "risk_factors",
        lambda d: d["hydration"]["prevalence"].update(
            {"awful": {"value": 0.0, "range": [0.0, 0.1], "source": "seed_001"}}
        ),
        r"hydration\.prevalence\.awful: unknown state; valid: adequate, poor",
    ),
    (
        "finding_unknown_cause",
        "findings",
        lambda d: d["one_leg_swelling"]["causes"].update(
            dvtt={"value": 0.5, "range": [0.4, 0.6], "source": "seed_001"}
        ),
        r"findings\.toml: one_leg_swelling\.causes\.dvtt: unknown cause 'dvtt'; valid: .*\(did you mean 'dvt'\?\)",
    ),
    (
        "link_below_leak",
        "findings",
        lambda d: d["one_leg_swelling"]["causes"]["dvt"].update(value=0.0, range=[0.0, 1.0]),
        r"one_leg_swelling\.causes\.dvt: 0 is below the leak [0-9.]+; a cause cannot make",
    ),
    (
        "graded_link_missing_grade",
        "findings",
        lambda d: d["pop_at_onset"]["causes"].pop("calf_strain.grade_1"),
        r"pop_at_onset\.causes: calf_strain is linked but state\(s\) grade_1 have no entry",
    ),
    (
        "triage_unknown_level",
        "triage",
        lambda d: d["rule"][0].update(level="panic"),
        r"triage\.toml: rule\[0\]\.level: unknown level 'panic'; valid: see_clinician, urgent",
    ),
    (
        "triage_unknown_cause",
        "triage",
        lambda d: d["rule"][0].update(cause="calf_strain.grade_4"),
        r"rule\[0\]\.cause: unknown state 'grade_4' of calf_strain; valid: grade_1, grade_2, grade_3 \(did you mean 'grade_\d'\?\)",
    ),
    (
        "reference_without_year",
        "references",
        lambda d: d[next(iter(d))].update(year="1998"),
        r"references\.toml: \w+\.year: expected a year as an integer, found '1998'",
    ),
    (
        "table_row_expert_estimate_without_reason",
        "causes",
        lambda d: as_table(d)["rows"]["no"].update(source="expert_estimate"),
        r"acute_compartment_syndrome\.table\.rows\.no: source 'expert_estimate' needs a one-line "
        r"'reason'",
    ),
    (
        "rule_on_a_two_state_finding",
        "findings",
        lambda d: d["bruising"].update(rule="average"),
        r"bruising\.rule: a rule combines the causes of a many-state finding; a no/yes finding is "
        r"a noisy-OR: remove `rule` or give more states",
    ),
    (
        "excludes_unknown_answer",
        "findings",
        lambda d: d["gap_in_tendon"].update(excludes={"palpable_gapp": "no"}),
        r"gap_in_tendon\.excludes\.palpable_gapp: unknown answer 'palpable_gapp'; .*did you mean "
        r"'palpable_gap'",
    ),
    (
        "excludes_unknown_state",
        "findings",
        lambda d: d["not_improving"].update(excludes={"symptom_duration": "hours"}),
        r"not_improving\.excludes\.symptom_duration: unknown state 'hours' for symptom_duration; "
        r"valid: days, weeks, months",
    ),
    (
        "accuracy_on_a_many_state_finding",
        "findings",
        lambda d: d["symptom_duration"].update(
            reported_accuracy=d["weak_push_off"]["reported_accuracy"]
        ),
        r"symptom_duration\.reported_accuracy: checked only for a no/yes finding that is not the "
        r"presenting complaint",
    ),
    (
        "cause_advice_for_the_absent_state",
        "triage",
        lambda d: d["cause_advice"].update({"dvt.absent": "Nothing to do."}),
        r"cause_advice\.\"dvt\.absent\": advice for the cause absent is never shown; valid: dvt, "
        r"dvt\.present",
    ),
    (
        "table_beside_odds_ratios",
        "causes",
        lambda d: d["acute_compartment_syndrome"].update(
            table={
                "parents": ["recent_leg_trauma"],
                "rows": {
                    "no": {"value": [0.9995, 0.0005], "source": "mcqueen2000"},
                    "yes": {"value": [0.98, 0.02], "source": "mcqueen2000"},
                },
            }
        ),
        r"acute_compartment_syndrome\.odds_ratios: a cause given as a `table` takes its numbers "
        r"from the table alone; remove `odds_ratios` or the table",
    ),
    (
        "red_flag_names_the_complaint",
        "triage",
        lambda d: d["red_flag"][0].update(when={"calf_pain_presentation": "yes"}),
        r"red_flag\[0\]\.when\.calf_pain_presentation: the presenting complaint is 'yes' on "
        r"every query, not an answer; a red flag cannot name it",
    ),
    (
        "statement_no_without_a_no_state",
        "risk_factors",
        lambda d: d["hydration"].update(statement_no="you drink enough"),
        r"hydration\.statement_no: needs a 'no' state; states: adequate, poor",
    ),
    (
        "state_label_for_unknown_state",
        "risk_factors",
        lambda d: d["hydration"].setdefault("state_labels", {}).update(awful="Awful"),
        r"hydration\.state_labels\.awful: unknown state; valid: adequate, poor",
    ),
    (
        "states_not_a_list",
        "risk_factors",
        lambda d: d["hydration"].update(states="adequate,poor"),
        r"hydration\.states: expected a list of state names, found 'adequate,poor'",
    ),
    (
        "repeated_state",
        "risk_factors",
        lambda d: d["hydration"].update(states=["poor", "poor"]),
        r"hydration\.states: states repeat: \['poor', 'poor'\]",
    ),
    (
        "bad_id",
        "causes",
        lambda d: d.update({"DVT-2": d["dvt"]}),
        r"causes\.toml: DVT-2: ids are lower_case_with_underscores",
    ),
    (
        "cause_id_taken_by_risk_factor",
        "causes",
        lambda d: d.update(diabetes=d["dvt"]),
        r"causes\.toml: diabetes: id is already a risk factor",
    ),
    (
        "table_row_missing",
        "causes",
        lambda d: as_table(d)["rows"].pop("yes"),
        r"acute_compartment_syndrome\.table\.rows\.yes: expected \{ value = \[2 probabilities for absent, present\] \}",
    ),
    (
        "table_row_not_a_distribution",
        "causes",
        lambda d: as_table(d)["rows"]["yes"].update(value=[0.5, 0.6], range=[0.0, 1.0]),
        r"acute_compartment_syndrome\.table\.rows\.yes: row sums to 1\.1, expected 1",
    ),
    (
        "finding_without_causes",
        "findings",
        lambda d: d["bruising"].pop("causes"),
        r"findings\.toml: bruising\.causes: expected a table linking at least one cause",
    ),
    (
        "accuracy_for_unknown_cause",
        "findings",
        lambda d: d["weak_push_off"]["reported_accuracy"].update(achilles_rapture={}),
        r"weak_push_off\.reported_accuracy\.achilles_rapture: unknown cause 'achilles_rapture'.*did you mean 'achilles_rupture'",
    ),
    (
        "advice_missing_for_a_level",
        "triage",
        lambda d: d["advice"].pop("urgent"),
        r"triage\.toml: advice: missing advice text for level\(s\) urgent",
    ),
    (
        "cause_advice_unknown_cause",
        "triage",
        lambda d: d["cause_advice"].update(doms_x="rest"),
        r"cause_advice\.doms_x: unknown cause 'doms_x'; valid: .*did you mean 'doms'",
    ),
    (
        "red_flag_unknown_finding",
        "triage",
        lambda d: d["red_flag"][0]["when"].update(breathles_or_chest_pain="yes"),
        r"triage\.toml: red_flag\[0\]\.when\.breathles_or_chest_pain: unknown finding or risk factor "
        r"'breathles_or_chest_pain'; valid: .*did you mean 'breathless_or_chest_pain'",
    ),
    (
        "red_flag_unknown_state",
        "triage",
        lambda d: d["red_flag"][0]["when"].update(breathless_or_chest_pain="maybe"),
        r"red_flag\[0\]\.when\.breathless_or_chest_pain: unknown state 'maybe'; valid: no, yes",
    ),
    (
        "red_flag_unknown_level",
        "triage",
        lambda d: d["red_flag"][0].update(level="emergancy"),
        r"red_flag\[0\]\.level: unknown level 'emergancy'; valid: see_clinician, urgent, emergency.*did you mean 'emergency'",
    ),
    (
        "red_flag_without_source",
        "triage",
        lambda d: d["red_flag"][0].pop("source"),
        r"red_flag\[0\]\.source: source is missing: give a reference key or 'expert_estimate'",
    ),
    (
        "red_flag_without_answers",
        "triage",
        lambda d: d["red_flag"][0].update(when={}),
        r"red_flag\[0\]\.when: expected \{ finding = \"yes\", \.\.\. \}, found \{\}",
    ),
    (
        "red_flag_unknown_field",
        "triage",
        lambda d: d["red_flag"][0].update(levle="urgent"),
        r"red_flag\[0\]\.levle: unknown field; valid: .*did you mean 'level'",
    ),
    (
        "red_flag_twice",
        "triage",
        lambda d: d["red_flag"].append(dict(d["red_flag"][0])),
        rf"red_flag\[{N_RED_FLAGS}\]\.id: red flag 'breathless_or_chest_pain' is given twice",
    ),
    (
        "unknown_advice_tag",
        "triage",
        lambda d: d["rule"][0].update(avoid=["masage"]),
        r"rule\[0\]\.avoid: unknown advice tag 'masage'; valid: .*did you mean 'massage'",
    ),
    (
        "cause_advice_unknown_tag",
        "triage",
        lambda d: d["cause_advice"]["doms"].update(tags=["stretch"]),
        r"cause_advice\.doms\.tags: unknown advice tag 'stretch'; valid: .*did you mean 'stretching'",
    ),
    (
        "prevalence_zero",
        "causes",
        lambda d: d["dvt"]["prevalence"].update(value=0.0, range=[0.0, 0.012]),
        r"causes\.toml: dvt\.prevalence: a presentation prevalence and its range must lie above 0 "
        r"\(the baseline is solved on log-odds\), found 0 in \[0, 0\.012\]",
    ),
    (
        "graded_prevalence_range_reaches_zero",
        "causes",
        lambda d: d["calf_strain"]["prevalence"]["grade_3"].update(range=[0.0, 0.02]),
        r"calf_strain\.prevalence\.grade_3: a presentation prevalence and its range must lie above 0",
    ),
    (
        "table_parent_twice",
        "causes",
        lambda d: as_table(d).update(
            parents=["recent_leg_trauma", "recent_leg_trauma"],
            rows={
                f"{a},{b}": {"value": [0.99, 0.01], "source": "mcqueen2000"}
                for a in ("no", "yes")
                for b in ("no", "yes")
            },
        ),
        r"acute_compartment_syndrome\.table\.parents: parent 'recent_leg_trauma' is listed twice",
    ),
    (
        "link_given_twice",
        "findings",
        lambda d: d["one_leg_swelling"]["causes"].update(
            {"dvt.present": {"value": 0.9, "range": [0.5, 1.0], "source": "seed_001"}}
        ),
        r"one_leg_swelling\.causes\.\"dvt\.present\": the same cause and state as 'dvt'",
    ),
    (
        "categorical_link_given_twice",
        "findings",
        lambda d: d["symptom_duration"]["causes"].update(
            {"dvt.present": d["symptom_duration"]["causes"]["dvt"]}
        ),
        r"symptom_duration\.causes\.\"dvt\.present\": the same cause and state as 'dvt'",
    ),
    (
        "rule_without_reason",
        "triage",
        lambda d: d["rule"][0].update(reason=""),
        r"rule\[0\]\.reason: expected a non-empty string, found ''",
    ),
]


@pytest.mark.parametrize(
    ("stem", "change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_priors_are_reported(
    priors_copy: Path, stem: str, change: Callable[[Raw], None], message: str
) -> None:
    edit(priors_copy, stem, change)
    with pytest.raises(PriorsError, match=message):
        load_spec(priors_copy)


def test_malformed_toml_names_file_and_line(priors_copy: Path) -> None:
    with (priors_copy / "findings.toml").open("a") as handle:
        handle.write("\nbroken = = 1\n")
    with pytest.raises(PriorsError, match=r"findings\.toml: malformed TOML: .*line \d+"):
        load_spec(priors_copy)


def test_missing_file(priors_copy: Path) -> None:
    (priors_copy / "triage.toml").unlink()
    with pytest.raises(PriorsError, match=r"triage\.toml: file is missing"):
        load_spec(priors_copy)


@pytest.mark.parametrize(("stem", "what"), [("causes", "cause"), ("risk_factors", "risk factor"), ("findings", "finding"), ("references", "reference")])  # fmt: skip
def test_an_emptied_file_is_one_problem(priors_copy: Path, stem: str, what: str) -> None:
    """An empty causes.toml says so once, not 'unknown cause ...; valid: ' at every link."""
    (priors_copy / f"{stem}.toml").write_text("# emptied\n")
    with pytest.raises(PriorsError) as info:
        load_spec(priors_copy)
    assert info.value.problems == [f"{priors_copy / stem}.toml: defines no {what}: each {what} "
                                   f"is a [{what.replace(' ', '_')}_id] table"]  # fmt: skip


def test_not_a_folder(tmp_path: Path) -> None:
    with pytest.raises(PriorsError, match=r"nowhere: not a folder of priors"):
        load_spec(tmp_path / "nowhere")


def test_all_problems_of_a_folder_at_once(priors_copy: Path) -> None:
    edit(priors_copy, "causes", set_dvt_baseline("value", 1.5))
    edit(
        priors_copy,
        "risk_factors",
        lambda d: d["hydration"]["prevalence"]["poor"].update(value=0.0, range=[0.0, 1.0]),
    )
    with pytest.raises(PriorsError) as info:
        load_spec(priors_copy)
    assert len(info.value.problems) == 2
    assert str(info.value).startswith("2 problems in the priors:")


def test_validate_command(priors_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(priors_copy)]) == 0
    assert "implied prevalence with no evidence" in capsys.readouterr().out
    edit(priors_copy, "causes", set_dvt_baseline("value", 1.5))
    assert main(["validate", str(priors_copy)]) == 2
    err = capsys.readouterr().err
    assert "dvt.prevalence: probability must lie in [0, 1], found 1.5" in err
    assert "Traceback" not in err


def test_a_red_flag_can_name_a_many_state_finding(priors_copy: Path) -> None:
    """Evidence takes ``symptom_duration``, so a red flag may name it too (it was refused)."""
    flag = {
        "id": "months_of_pain",
        "when": {"symptom_duration": "months"},
        "level": "see_clinician",
        "reason": "pain for more than six weeks",
        "advice": "Book an assessment.",
        "source": "expert_estimate",
    }
    edit(priors_copy, "triage", lambda d: d["red_flag"].append(flag))
    spec = load_spec(priors_copy)
    assert ("symptom_duration", "months") in spec.red_flags[-1].when
