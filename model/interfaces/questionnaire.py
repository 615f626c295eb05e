"""The questions in the order a clinician screens: safety check, what happened, background.

Data-driven: each group lists the ids it would like, in order, and keeps only those the
loaded priors have; a finding no group names joins "What happened" (in network order),
and every risk factor is background. So new variables appear without a code change.

>>> from model.priors.loader import load_spec
>>> groups = question_groups(load_spec())
>>> [g.title for g in groups]
['Safety check', 'What happened', 'About you and your training']
>>> groups[0].ids[:3]
('breathless_or_chest_pain', 'cold_pale_foot', 'tense_swollen_calf')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from model.priors.spec import ModelSpec, in_sentence

# The contract's red flags, most urgent first (a finding set alone is enough for them).
SAFETY = (
    "breathless_or_chest_pain",
    "cold_pale_foot",
    "tense_swollen_calf",
    "one_leg_swelling",
    "warmth_redness",
    "cannot_bear_weight",
    "palpable_gap",
    "calf_squeeze_no_foot_movement",
    "pop_at_onset",
    "weak_push_off",
    "dark_urine",
    "foot_drop",
)
# Onset, then timing, then where it hurts, then how long.
WHAT_HAPPENED = (
    "onset_away_from_exercise",
    "sudden_onset_during_run",
    "delayed_onset_soreness",
    "eases_within_hours",
    "cramping",
    "exercise_timed_pain",
    "pain_when_walking",
    "pain_at_rest",
    "severe_pain",
    "morning_heel_pain",
    "foot_cold_or_numb_when_running",
    "not_improving",
    "pain_in_calf_muscle",
    "pain_front_or_outer_leg",
    "local_muscle_tenderness",
    "achilles_tenderness",
    "gap_in_tendon",
    "inner_shin_pain",
    "focal_bone_tenderness",
    "hop_pain",
    "swelling_behind_knee",
    "tender_vein_cord",
    "both_legs",
    "back_pain_radiating",
    "numbness_tingling",
    "symptom_duration",
)


@dataclass(frozen=True)
class Group:
    """A titled group of question ids, with a line saying what it is for."""

    key: str
    title: str
    hint: str
    ids: tuple[str, ...]


def question_groups(spec: ModelSpec) -> tuple[Group, ...]:
    """The three groups of questions, holding every risk factor and finding of ``spec`` once."""
    variables = spec.variables
    findings = [f.variable.id for f in spec.findings] + [f.variable.id for f in spec.categorical]
    safety = tuple(v for v in SAFETY if v in variables and variables[v].kind == "finding")
    listed = [v for v in WHAT_HAPPENED if v in findings and v not in safety]
    rest = [v for v in findings if v not in safety and v not in listed]
    return (
        Group(
            "safety", "Safety check", "Warning signs first: any 'yes' here needs care soon.", safety
        ),
        Group(
            "happened",
            "What happened",
            "How it started, when it hurts, where, and for how long.",
            (*listed, *rest),
        ),
        Group(
            "background",
            "About you and your training",
            "Things that make some causes more likely.",
            tuple(rf.variable.id for rf in spec.risk_factors),
        ),
    )


def answer_text(spec: ModelSpec, var_id: str, state: str) -> str:
    """One answer as 'Label: state label', the state in lower case like any other.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> answer_text(spec, "recent_immobility", "yes"), answer_text(spec, "one_leg_swelling", "yes")
    ('Recent immobility: yes', 'One leg swollen: yes')
    """
    var = spec.variables[var_id]
    return f"{var.label}: {in_sentence(var.state_label(state))}"


def summary(spec: ModelSpec, group: Group, answers: Mapping[str, str]) -> str:
    """A group's answers in one line ('' when none is answered).

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> g = question_groups(spec)[0]
    >>> summary(spec, g, {"one_leg_swelling": "yes", "age_group": "60_plus"})
    'One leg swollen: yes'
    """
    return "; ".join(answer_text(spec, v, answers[v]) for v in group.ids if v in answers)
