"""The shipped model keeps every id and state promised in the contract, exactly."""

from __future__ import annotations

import pytest

from model import DiagnosticModel, EvidenceError, UnknownCauseError

YN, AP = ("no", "yes"), ("absent", "present")
RISK_FACTORS = {
    "age_group": ("under_30", "30_to_44", "45_to_59", "60_plus"),
    "mileage_jump": ("none", "moderate", "large"),
    "footwear": ("good", "worn_or_unsuitable"),
    "forefoot_transition": YN,
    "hydration": ("adequate", "poor"),
    "warm_up": ("done", "skipped"),
    "hard_surfaces": YN,
    "prior_calf_injury": YN,
    "recent_immobility": YN,
    "diabetes": YN,
    "vascular_risk": YN,
    "recent_leg_trauma": YN,
    "sex": ("female", "male"),
    "previous_vte": YN,
    "active_cancer": YN,
    "oestrogen": YN,
    "tendon_risk_medication": YN,
    "low_energy_availability": YN,
}
# Risk factors of the model's own, beyond the contract (which allows additions): listed here so
# that each one is added on purpose.
OWN_RISK_FACTORS = {"knee_problem": YN, "endurance_cycling": YN}
CAUSES = {
    "doms": AP,
    "exertional_fatigue": AP,
    "muscle_cramp": AP,
    "calf_strain": ("none", "grade_1", "grade_2", "grade_3"),
    "myofascial_tightness": AP,
    "achilles_tendinopathy": AP,
    "achilles_rupture": AP,
    "cecs": AP,
    "acute_compartment_syndrome": AP,
    "dvt": AP,
    "arterial_claudication": AP,
    "shin_splints": AP,
    "plantar_fasciitis": AP,
    "peripheral_neuropathy": AP,
    "tibial_stress_fracture": AP,
    "popliteal_artery_entrapment": AP,
    "bakers_cyst_rupture": AP,
    "superficial_thrombophlebitis": AP,
    "lumbar_radiculopathy": AP,
    "exertional_rhabdomyolysis": AP,
}
FINDINGS = [
    "one_leg_swelling",
    "pop_at_onset",
    "exercise_timed_pain",
    "sudden_onset_during_run",
    "delayed_onset_soreness",
    "eases_within_hours",
    "cramping",
    "cannot_bear_weight",
    "bruising",
    "warmth_redness",
    "pain_not_eased_by_stretch",
    "achilles_tenderness",
    "weak_push_off",
    "palpable_gap",
    "numbness_tingling",
    "both_legs",
    "morning_heel_pain",
    "inner_shin_pain",
    "local_muscle_tenderness",
    "pain_at_rest",
    "tense_swollen_calf",
    "pain_when_walking",
    "calf_squeeze_no_foot_movement",
    "gap_in_tendon",
    "pain_on_passive_stretch",
    "foot_drop",
    "dark_urine",
    "cold_pale_foot",
    "breathless_or_chest_pain",
    "pitting_oedema",
    "focal_bone_tenderness",
    "hop_pain",
    "not_improving",
    "swelling_behind_knee",
    "tender_vein_cord",
    "back_pain_radiating",
    "foot_cold_or_numb_when_running",
]
DURATION = ("days", "weeks", "months")


def test_vocabulary(model: DiagnosticModel) -> None:
    v = model.variables
    promised = {
        **RISK_FACTORS,
        **OWN_RISK_FACTORS,
        **CAUSES,
        **{f: YN for f in FINDINGS},
        "symptom_duration": DURATION,
    }
    for vid, states in promised.items():
        assert v[vid].states == states, vid
    assert {k for k, x in v.items() if x.kind == "risk_factor"} == {
        *RISK_FACTORS,
        *OWN_RISK_FACTORS,
    }
    assert set(model.cause_ids) == set(CAUSES)
    assert model.network.check_model()


def test_python_example(model: DiagnosticModel) -> None:
    d = model.diagnose({"one_leg_swelling": "yes", "age_group": "45_to_59"})
    assert [c.probability for c in d.causes] == sorted(
        (c.probability for c in d.causes), reverse=True
    )
    assert d.probability("dvt") == pytest.approx(d.cause("dvt").states["present"], abs=1e-12)
    strain = d.cause("calf_strain")
    assert d.probability("calf_strain") == pytest.approx(1 - strain.states["none"])
    assert d.probability("calf_strain", "grade_3") == strain.states["grade_3"]
    assert d.triage.level in ("emergency", "urgent", "see_clinician", "self_care")


def test_errors_are_value_errors_naming_choices(model: DiagnosticModel) -> None:
    with pytest.raises(ValueError, match=r"unknown variable 'age'; valid: .*age_group"):
        model.diagnose({"age": "30_to_44"})
    with pytest.raises(
        EvidenceError,
        match=r"unknown state '50' for age_group; valid: under_30, 30_to_44, 45_to_59, 60_plus",
    ):
        model.diagnose({"age_group": "50"})
    with pytest.raises(UnknownCauseError, match=r"unknown cause 'dvtt'.*did you mean 'dvt'"):
        model.diagnose({}).probability("dvtt")
    # code that catches ValueError, as for bad evidence, gets a bad cause or state too
    with pytest.raises(ValueError, match=r"unknown state 'grade_9' for calf_strain"):
        model.diagnose({}).probability("calf_strain", "grade_9")


def test_no_evidence_is_self_care_and_red_flags_are_rare(model: DiagnosticModel) -> None:
    d = model.diagnose({})
    assert d.triage.level == "self_care"
    for cause in ("dvt", "acute_compartment_syndrome", "achilles_rupture"):
        assert d.probability(cause) < 0.02
