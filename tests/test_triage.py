"""Safe triage (issue 11): red-flag floors hold whatever else is answered, in every surface.

The contract's red-flag table is written out here, not read from the priors, so a floor
dropped or weakened in ``priors/triage.toml`` fails these tests.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from paths import LITERATURE

from model import DiagnosticModel
from model.evidence import contradiction
from model.interfaces.interview import run_interview
from model.priors.spec import LEVELS, Level
from model.triage import at_least, triage_level, urgent_rules

CALFDX = str(Path(sys.executable).parent / "calfdx")
CONTRACT_RED_FLAGS: list[tuple[dict[str, str], Level]] = [
    ({"breathless_or_chest_pain": "yes"}, "emergency"),
    ({"cold_pale_foot": "yes"}, "emergency"),
    ({"tense_swollen_calf": "yes"}, "emergency"),
    ({"one_leg_swelling": "yes"}, "urgent"),
    ({"warmth_redness": "yes"}, "urgent"),
    ({"cannot_bear_weight": "yes"}, "urgent"),
    ({"palpable_gap": "yes"}, "urgent"),
    ({"calf_squeeze_no_foot_movement": "yes"}, "urgent"),
    ({"pop_at_onset": "yes", "weak_push_off": "yes"}, "urgent"),
    ({"dark_urine": "yes"}, "urgent"),
    ({"foot_drop": "yes"}, "urgent"),
]
# The model's own flags beyond the contract's table: two signs of compartment syndrome
# together (ulmer2002), each an emergency, and a tender cord along a vein (a clot sign).
MODEL_RED_FLAGS: list[tuple[dict[str, str], Level]] = [
    ({"pain_on_passive_stretch": "yes", "numbness_tingling": "yes"}, "emergency"),
    ({"pain_on_passive_stretch": "yes", "foot_drop": "yes"}, "emergency"),
    ({"tender_vein_cord": "yes"}, "urgent"),
    ({"gap_in_tendon": "yes"}, "urgent"),
]
RED_FLAGS = CONTRACT_RED_FLAGS + MODEL_RED_FLAGS
IDS = ["+".join(w) for w, _ in RED_FLAGS]
PAIRS_PER_FLAG = 150
CONTRADICTING = ("RICE", "foam roll", "Foam roll", "massage the knots", "stretch the calf")
NO_STRETCH_OR_MASSAGE = ("foam roll", "Foam roll", "massage the knots", "stretch")
CLOT_OR_COMPARTMENT = {
    "dvt",
    "acute_compartment_syndrome",
    "one_leg_swelling",
    "warmth_redness",
    "tense_swollen_calf",
}


def answers(model: DiagnosticModel, skip: dict[str, str]) -> list[tuple[str, str]]:
    """Every single answer (risk factor or finding, any state) not about ``skip``'s ids."""
    return [
        (v, s)
        for v, var in model.variables.items()
        if var.kind in ("risk_factor", "finding") and v not in skip
        for s in var.states
    ]


def possible(model: DiagnosticModel, ev: dict[str, str]) -> bool:
    """No two answers of ``ev`` rule each other out (those are refused, tested elsewhere)."""
    return contradiction(model.spec.exclusions, ev) is None


def cases(model: DiagnosticModel, when: dict[str, str], seed: int) -> list[dict[str, str]]:
    """The red flag alone, with each single answer added, and a seeded sample of pairs."""
    singles = answers(model, when)
    rng = random.Random(seed)
    pairs = []
    while len(pairs) < PAIRS_PER_FLAG:
        (v1, s1), (v2, s2) = rng.sample(singles, 2)
        if v1 != v2 and possible(model, {**when, v1: s1, v2: s2}):
            pairs.append({**when, v1: s1, v2: s2})
    one_more = [{**when, v: s} for v, s in singles]
    return [dict(when), *(ev for ev in one_more if possible(model, ev)), *pairs]


@pytest.mark.parametrize(("when", "floor"), RED_FLAGS, ids=IDS)
def test_no_further_answer_lowers_a_red_flag(
    model: DiagnosticModel, when: dict[str, str], floor: Level
) -> None:
    """Python and batch: every single answer and a seeded sample of pairs keep the floor."""
    evidence_sets = cases(model, when, seed=len(IDS[0]) + len(when))
    below = []
    for ev in evidence_sets:
        level = model.diagnose(ev, explained=False).triage.level
        if not at_least(level, floor):
            below.append((ev, level))
    assert not below, f"{len(below)} of {len(evidence_sets)} below {floor}: {below[:3]}"
    batch = model.diagnose_many(pd.DataFrame(evidence_sets))
    low = [lv for lv in batch["triage"] if not at_least(lv, floor)]
    assert not low, f"batch: {len(low)} rows below {floor}"
    assert len(batch) == len(evidence_sets)


def test_batch_triage_equals_diagnose_with_red_flags(model: DiagnosticModel) -> None:
    rng = random.Random(11)
    singles = answers(model, {})
    sets = [dict(rng.sample(singles, 3)) for _ in range(300)]
    sets = [s for s in sets if len(s) == 3 and possible(model, s)]
    out = model.diagnose_many(pd.DataFrame(sets))
    for i, ev in enumerate(sets):
        assert out.loc[i, "triage"] == model.diagnose(ev, explained=False).triage.level, ev


def test_probability_rules_still_fire_whatever_else(model: DiagnosticModel) -> None:
    """On random answer sets the level is never below a fired rule or a holding red flag."""
    rng = random.Random(7)
    singles = answers(model, {})
    fired_levels = set()
    for _ in range(400):
        ev = dict(rng.sample(singles, rng.randint(1, 5)))
        if not possible(model, ev):
            continue
        d = model.diagnose(ev, explained=False)
        spec = model.spec
        for rule in spec.rules:
            dist = list(d.cause(rule.cause).states.values())
            start = spec.variables[rule.cause].states.index(rule.state)
            if sum(dist[start:]) >= rule.threshold.value:
                fired_levels.add(rule.level)
                assert at_least(d.triage.level, rule.level), (ev, rule.target)
        for flag in spec.red_flags:
            if flag.holds(ev):
                assert at_least(d.triage.level, flag.level), (ev, flag.id)
    assert {"urgent", "emergency"} <= fired_levels  # the sample does reach the urgent rules


def test_urgent_rules_are_the_rules_at_urgent_or_above(model: DiagnosticModel) -> None:
    rules = urgent_rules(model.spec)
    assert rules and all(at_least(r.level, "urgent") for r in rules)
    assert {r.target for r in rules} >= {"dvt", "acute_compartment_syndrome", "achilles_rupture"}
    assert "acute_compartment_syndrome" in {r.target for r in rules if r.level == "emergency"}


# --- the issue's scenarios, pinned ---------------------------------------------------

RUPTURE_STORY = {
    "age_group": "30_to_44",
    "sudden_onset_during_run": "yes",
    "weak_push_off": "yes",
    "achilles_tenderness": "yes",
    "pop_at_onset": "no",
    "cannot_bear_weight": "no",
}


@pytest.mark.parametrize(
    ("evidence", "level", "reason"),
    [
        (RUPTURE_STORY, "urgent", "The Achilles tendon may be torn"),
        ({"warmth_redness": "yes"}, "urgent", "The calf is warm and red"),
        ({"warmth_redness": "yes", "achilles_tenderness": "yes"}, "urgent", "warm and red"),
        ({"one_leg_swelling": "yes"}, "urgent", "One calf or leg is swollen"),
        ({"one_leg_swelling": "yes", "morning_heel_pain": "yes"}, "urgent", "is swollen"),
        ({"cannot_bear_weight": "yes"}, "urgent", "You cannot walk or bear weight"),
        ({"palpable_gap": "yes"}, "urgent", "A gap, dent or bulge"),
        (
            {"recent_immobility": "yes", "one_leg_swelling": "yes", "local_muscle_tenderness": "yes", "pain_not_eased_by_stretch": "no"},
            "urgent",
            "A blood clot in the leg (deep vein thrombosis) is possible",
        ),
        (
            {"recent_immobility": "yes", "local_muscle_tenderness": "yes", "pain_when_walking": "yes"},
            "urgent",
            "A blood clot in the leg (deep vein thrombosis) is possible",
        ),
        ({"tense_swollen_calf": "yes"}, "emergency", "The calf is tense, hard and swollen"),
        ({"breathless_or_chest_pain": "yes"}, "emergency", "New breathlessness"),
        ({"cold_pale_foot": "yes"}, "emergency", "The foot is cold, pale"),
    ],
    ids=[
        "rupture_story",
        "warmth",
        "warmth_and_achilles",
        "swelling",
        "swelling_and_heel",
        "cannot_bear_weight",
        "palpable_gap",
        "flight_swollen_tender_stretch_eases",
        "flight_tender_walking_pain",
        "tense_calf",
        "breathless",
        "cold_foot",
    ],
)  # fmt: skip
def test_issue_scenarios(model: DiagnosticModel, evidence: dict[str, str], level: Level, reason: str) -> None:  # fmt: skip
    t = model.diagnose(evidence).triage
    assert t.level == level, t.reasons
    assert any(r.startswith(reason) or reason in r for r in t.reasons), t.reasons
    assert t.advice[0] == model.spec.advice[level]  # one headline action first
    for text in t.reasons:  # plain words: no ids, no log-odds
        assert "_" not in text and "(+" not in text and "%" not in text, text
    shown = " ".join(t.advice)
    if CLOT_OR_COMPARTMENT & {*t.rules, *t.red_flags}:
        assert not any(word in shown for word in CONTRADICTING), t.advice
    if at_least(level, "urgent"):
        assert not any(word in shown for word in NO_STRETCH_OR_MASSAGE), t.advice


def test_a_suspected_clot_gets_no_rice_massage_or_compression(model: DiagnosticModel) -> None:
    """A swollen, warm calf after a flight, no injury: clot advice, nothing that contradicts it."""
    ev = {
        "recent_immobility": "yes",
        "one_leg_swelling": "yes",
        "warmth_redness": "yes",
        "recent_leg_trauma": "no",
    }
    t = model.diagnose(ev).triage
    assert t.level == "urgent" and "dvt" in t.rules
    shown = " ".join(t.advice)
    assert "blood clot" in shown
    assert not any(word in shown for word in CONTRADICTING), t.advice
    tags = model.spec.advice_tags
    for line in t.meanwhile:  # whatever is shown meanwhile carries no avoided tag
        key = next((k for k, text in model.spec.cause_advice.items() if line.endswith(text)), None)
        assert key is None or not (tags.get(key, frozenset()) & {"massage", "compression"})


def test_nothing_urgent_care_contradicts_is_shown_beside_it(model: DiagnosticModel) -> None:
    """Contract: at urgent or emergency, no less urgent advice involves massage, stretching,
    compression or running on, whichever rule or red flag set the level.

    Two sets a second reader found (a cramp beside dark urine was told to stretch, a likely
    rupture to use RICE) and 400 random ones; every meanwhile line is traced to its tags.
    """
    spec = model.spec
    tags = {f"{spec.variables[k.split('.')[0]].label}: {text}": spec.advice_tags.get(k, frozenset())
            for k, text in spec.cause_advice.items() if k.split(".")[0] in spec.variables}  # fmt: skip
    tags.update({r.advice: r.tags for r in spec.rules})
    rng = random.Random(17)
    answerable = [v for v in spec.variables.values() if v.kind != "cause"]
    sets = [
        {"dark_urine": "yes", "cramping": "yes"},
        {"pop_at_onset": "yes", "weak_push_off": "yes", "sudden_onset_during_run": "yes"},
    ]
    sets += [
        {v.id: rng.choice(v.states) for v in rng.sample(answerable, rng.randint(1, 8))}
        for _ in range(400)
    ]
    contradicting = {"massage", "stretching", "compression", "running_on"}
    urgent = 0
    for ev in sets:
        try:
            t = model.diagnose(ev, explained=False).triage
        except ValueError:  # an impossible combination
            continue
        if not at_least(t.level, "urgent"):
            continue
        urgent += 1
        for line in t.meanwhile:
            assert line in tags, line
            assert not tags[line] & contradicting, (ev, line)
    assert urgent > 100


@pytest.mark.parametrize(("when", "floor"), RED_FLAGS, ids=IDS)
def test_advice_is_never_shown_twice(
    model: DiagnosticModel, when: dict[str, str], floor: Level
) -> None:
    """A flag and a rule that give the same line (the tense calf and compartment syndrome) show it once."""
    for extra in ({}, {"tense_swollen_calf": "yes"}, {"one_leg_swelling": "yes"}):
        advice = model.diagnose({**when, **extra}, explained=False).triage.advice
        assert len(advice) == len(set(advice)), advice


def test_with_nothing_answered_it_asks_and_advises_nothing(model: DiagnosticModel) -> None:
    t = model.diagnose({}).triage
    assert t.level == "self_care"
    assert t.advice == (model.spec.advice["no_answers"],)
    assert "RICE" not in " ".join(t.advice)
    from model.interfaces.formatting import format_table

    headline = format_table(model.diagnose({})).splitlines()[0]
    assert headline == "TRIAGE: SELF_CARE - answer the questions first"  # not "is reasonable"


def test_meanwhile_lines_for_a_non_contradicting_cause(model: DiagnosticModel) -> None:
    """Less urgent advice that does not contradict is kept, marked as meanwhile."""
    ev = {"palpable_gap": "yes", "sudden_onset_during_run": "yes", "bruising": "yes"}
    t = model.diagnose(ev).triage
    assert t.level == "urgent"
    assert all(a.startswith("Meanwhile: ") for a in t.advice[len(t.action) :])
    assert not any("stretch" in a.lower() for a in t.advice)


def test_details_keep_the_numbers_for_experts(model: DiagnosticModel) -> None:
    t = model.diagnose({"one_leg_swelling": "yes", "recent_immobility": "yes"}).triage
    assert any(
        d.startswith("rule dvt: P = ") and "raised by one_leg_swelling=yes (+" in d
        for d in t.details
    )
    assert any(d.startswith("red flag one_leg_swelling") for d in t.details)


def test_reasons_read_every_yes_or_no_answer_as_a_statement(model: DiagnosticModel) -> None:
    """A no that raised a rule reads as a sentence ("only one leg is affected"), not "both legs
    (no)"; every yes or no variable with a yes statement has a no statement too."""
    for v in model.variables.values():
        if v.kind != "cause" and v.states == ("no", "yes") and v.statement:
            assert v.statement_no, v.id
    for case in tomllib.loads(LITERATURE.read_text())["case"]:
        for reason in model.diagnose(case["evidence"]).triage.reasons:
            assert " (no)" not in reason and " (yes)" not in reason, (case["id"], reason)


def test_triage_level_matches_decide_triage(model: DiagnosticModel) -> None:
    for ev in ({"dark_urine": "yes"}, {"pop_at_onset": "yes", "weak_push_off": "yes"}, {}):
        marginals = model.marginals(model.cause_ids, ev)
        assert triage_level(model.spec, marginals, ev) == model.diagnose(ev).triage.level


# --- the other surfaces ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "floor"),
    [
        (["tense_swollen_calf=yes", "delayed_onset_soreness=yes", "both_legs=yes"], "emergency"),
        (["one_leg_swelling=yes", "morning_heel_pain=yes"], "urgent"),
        (
            ["pop_at_onset=yes", "weak_push_off=yes", "cramping=yes", "eases_within_hours=yes"],
            "urgent",
        ),
    ],
)
def test_cli_keeps_the_floor_in_table_and_json(items: list[str], floor: Level) -> None:
    done = subprocess.run(
        [CALFDX, "diagnose", "--json", *items], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert at_least(out["triage"]["level"], floor)
    assert out["triage"]["advice"] and out["advice"] == out["triage"]["advice"]
    table = subprocess.run(
        [CALFDX, "diagnose", *items], capture_output=True, text=True, timeout=120
    )
    assert table.stdout.startswith(f"TRIAGE: {out['triage']['level'].upper()} - ")


def test_interview_asks_red_flags_first_and_stops_on_an_emergency(model: DiagnosticModel) -> None:
    out = io.StringIO()
    evidence = run_interview(model, io.StringIO("yes\n"), out)
    text = out.getvalue()
    assert evidence == {"breathless_or_chest_pain": "yes"}
    assert "Stopped: emergency: go now" in text
    assert "TRIAGE: EMERGENCY" in text


def test_interview_keeps_an_urgent_floor(model: DiagnosticModel) -> None:
    """Answer no to the emergency flags, yes to swelling, unknown to everything else."""
    out = io.StringIO()
    lines = "no\nno\nno\nno\nyes\n" + "u\n" * 60
    evidence = run_interview(model, io.StringIO(lines), out)
    text = out.getvalue()
    asked = [line for line in text.splitlines() if line.startswith("Q")]
    assert [a.rsplit("[", 1)[1] for a in asked[:5]] == [
        "breathless_or_chest_pain]",
        "cold_pale_foot]",
        "tense_swollen_calf]",
        "pain_on_passive_stretch]",  # both two-sign emergency flags need it: 'no' drops both
        "one_leg_swelling]",
    ]
    assert evidence["one_leg_swelling"] == "yes"
    level = text.split("TRIAGE: ")[1].split(" ")[0].lower()
    assert level in LEVELS and at_least(level, "urgent")  # type: ignore[arg-type]
