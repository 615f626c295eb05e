"""Value of information: never negative, zero when answered, and the top question is best."""

from __future__ import annotations

import itertools
import math
import tomllib

import numpy as np
import pytest
from paths import VIGNETTES

from model import DiagnosticModel
from model.analysis.questions import ordered, question, rank_questions

VIGNETTES = {v["id"]: v for v in tomllib.loads(VIGNETTES.read_text())["vignette"]}


def tiny_evidence_sets() -> list[dict[str, str]]:
    """Every combination of known/unknown over the tiny network's observables (possible ones)."""
    options = {
        "trip": ["no", "yes"],
        "age": ["young", "old"],
        "swelling": ["no", "yes"],
        "snap": ["no"],
    }
    sets = []
    for chosen in itertools.product(*[[None, *states] for states in options.values()]):
        sets.append({k: v for k, v in zip(options, chosen, strict=True) if v is not None})
    return sets


def entropy_bits(dist: np.ndarray) -> float:
    p = dist[dist > 0]
    return float(-(p * np.log2(p)).sum())


def expected_entropies(
    model: DiagnosticModel, evidence: dict[str, str], var: str
) -> tuple[float, float]:
    """E[sum of cause entropies] and E[red-flag entropies] after asking var, by brute force.

    P(answer) comes from log P(evidence) ratios, posteriors from the engine: nothing from
    model.questions.
    """
    log_e, _ = model.engine.log_evidence(evidence)
    urgent = [r for r in model.spec.rules if r.level in ("urgent", "emergency")]
    causes, flags = 0.0, 0.0
    for state in model.variables[var].states:
        log_eq, _ = model.engine.log_evidence({**evidence, var: state})
        if log_eq == -math.inf:
            continue
        p = math.exp(log_eq - log_e)
        post = model.engine.marginals(model.cause_ids, {**evidence, var: state})
        causes += p * sum(entropy_bits(post[c]) for c in model.cause_ids)
        for r in urgent:
            states = model.variables[r.cause].states
            q = float(post[r.cause][states.index(r.state) :].sum())
            flags += p * entropy_bits(np.array([q, 1 - q]))
    return causes, flags


@pytest.mark.parametrize("evidence", tiny_evidence_sets(), ids=str)
def test_value_of_information_is_never_negative_on_tiny(
    tiny: DiagnosticModel, evidence: dict[str, str]
) -> None:
    ranked = rank_questions(tiny, evidence)
    assert {q.variable for q in ranked} == {"trip", "age", "swelling", "snap"} - set(evidence)
    now = tiny.engine.marginals(tiny.cause_ids, evidence)
    for q in ranked:
        assert q.gain >= 0.0 and q.red_flag_gain >= 0.0
        assert sum(a.probability for a in q.answers) == pytest.approx(1.0, abs=1e-9)
        for c in tiny.cause_ids:  # the posteriors average back to the current marginal
            mean = sum(a.probability * a.causes[c] for a in q.answers if a.probability > 0)
            assert mean == pytest.approx(1 - now[c][0], abs=1e-9)


@pytest.mark.parametrize("var", ["trip", "swelling", "age"])
def test_an_answered_question_is_worth_exactly_zero(tiny: DiagnosticModel, var: str) -> None:
    evidence = {"trip": "yes", "swelling": "yes", "age": "old"}
    q = question(tiny, evidence, var)
    assert (q.gain, q.red_flag_gain) == (0.0, 0.0)
    assert var not in [q.variable for q in tiny.next_questions(evidence, k=10)]


@pytest.mark.parametrize(
    ("vid", "n_known"),
    [
        ("dvt_after_long_haul_flight", 2),
        ("grade2_strain_three_days_ago", 2),
        ("doms_minimal_report", 1),
    ],
)
def test_top_question_is_best_by_brute_force(
    model: DiagnosticModel, vid: str, n_known: int
) -> None:
    evidence = dict(list(VIGNETTES[vid]["evidence"].items())[:n_known])
    now = model.engine.marginals(model.cause_ids, evidence)
    h_now = sum(entropy_bits(now[c]) for c in model.cause_ids)
    ranked = rank_questions(model, evidence)
    brute = {q.variable: expected_entropies(model, evidence, q.variable) for q in ranked}
    best_causes = min(h for h, _ in brute.values())
    assert brute[ranked[0].variable][0] <= best_causes + 1e-9
    for q in ranked:
        assert q.gain == pytest.approx(h_now - brute[q.variable][0], abs=1e-9)
        assert q.gain >= 0.0 and q.red_flag_gain >= 0.0
    by_flags = rank_questions(model, evidence, red_flags=True)
    assert brute[by_flags[0].variable][1] <= min(f for _, f in brute.values()) + 1e-9
    # the explorer's toggle re-sorts the causes' ranking: the same order, ties included
    assert [q.variable for q in ordered(ranked, red_flags=True)] == [q.variable for q in by_flags]
    assert [q.variable for q in model.next_questions(evidence, k=3)] == [
        q.variable for q in ranked[:3]
    ]


def test_question_text_shows_answers_and_posteriors(model: DiagnosticModel) -> None:
    q = model.next_questions({"one_leg_swelling": "yes"}, k=1)[0]
    text = str(q)
    assert f"[{q.variable}]" in text and "P=" in text and "red flags: dvt" in text
    assert {a.state for a in q.answers} == set(model.variables[q.variable].states)


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"one_leg_swelling": "yes"},
        {"age_group": "60_plus", "pop_at_onset": "no", "both_legs": "yes"},
        # every query to enumeration, whose one pass gives every finding's answers
        {"symptom_duration": "weeks", "not_improving": "yes", "prior_calf_injury": "yes"},
    ],
)
def test_every_answer_preview_equals_a_direct_query(
    model: DiagnosticModel, evidence: dict[str, str]
) -> None:
    """The most probable answer's posteriors are derived, the others come from one call for
    all answers: each must match a query with that answer added."""
    for q in model.next_questions(evidence, k=40):
        for a in q.answers:
            direct = model.engine.marginals(model.cause_ids, {**evidence, q.variable: a.state})
            for cause in model.cause_ids:
                # the default engine guarantees 1e-9 (its guard bounds the rounding error)
                assert a.causes[cause] == pytest.approx(1 - direct[cause][0], abs=1e-9), (
                    q.variable,
                    a.state,
                    cause,
                )


@pytest.mark.parametrize(
    "evidence",
    [
        {"one_leg_swelling": "yes", "age_group": "45_to_59"},
        # a duration answer sends the default engine to enumeration for every query
        {"symptom_duration": "weeks", "not_improving": "yes", "prior_calf_injury": "yes"},
    ],
)
def test_answer_probabilities_equal_one_query_per_variable(
    model: DiagnosticModel, evidence: dict[str, str]
) -> None:
    """The answers' probabilities come from one query over every variable: each must
    equal the variable asked about on its own."""
    for q in rank_questions(model, evidence):
        alone = model.engine.marginals([q.variable], evidence)[q.variable]
        got = [a.probability for a in q.answers]
        assert got == pytest.approx(list(alone), abs=1e-12), q.variable
