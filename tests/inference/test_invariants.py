"""Invariants over many random evidence sets."""

from __future__ import annotations

import random

import numpy as np
import pytest

from model import DiagnosticModel
from model.evidence import contradiction


def random_evidence(m: DiagnosticModel, rng: random.Random, k: int) -> dict[str, str]:
    """``k`` random answers, drawn again while two of them rule each other out."""
    observable = [v for v in m.variables.values() if v.kind != "cause"]
    while True:
        ev = {v.id: rng.choice(v.states) for v in rng.sample(observable, k)}
        if contradiction(m.spec.exclusions, ev) is None:
            return ev


@pytest.fixture(scope="module")
def evidence_sets(model: DiagnosticModel) -> list[dict[str, str]]:
    rng = random.Random(20261121)
    return [random_evidence(model, rng, rng.randint(0, 12)) for _ in range(60)]


@pytest.mark.slow
def test_every_distribution_sums_to_one(
    model: DiagnosticModel, evidence_sets: list[dict[str, str]]
) -> None:
    for ev in evidence_sets:
        d = model.diagnose(ev, explained=False)
        probs = [c.probability for c in d.causes]
        assert probs == sorted(probs, reverse=True)
        for c in d.causes:
            assert abs(sum(c.states.values()) - 1.0) < 1e-9, (ev, c)
            assert all(-1e-12 <= p <= 1 + 1e-12 for p in c.states.values())


@pytest.mark.slow
def test_observing_a_variable_fixes_its_marginal(
    model: DiagnosticModel, evidence_sets: list[dict[str, str]]
) -> None:
    # the observed variables, asked with the causes; every variable's marginal costs one
    # posterior per risk-factor state and is checked against pgmpy in test_engine.py
    for ev in evidence_sets[:25]:
        marg = model.engine.marginals([*ev, *model.cause_ids], ev)
        for var, state in ev.items():
            expected = np.array([s == state for s in model.variables[var].states], dtype=float)
            np.testing.assert_allclose(marg[var], expected, atol=1e-12)


RED_FLAG_LINKS = [
    ("one_leg_swelling", "dvt"),
    ("warmth_redness", "dvt"),
    ("pop_at_onset", "achilles_rupture"),
    ("weak_push_off", "achilles_rupture"),
    ("palpable_gap", "achilles_rupture"),
    ("tense_swollen_calf", "acute_compartment_syndrome"),
    ("cannot_bear_weight", "calf_strain"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("finding", "cause"), RED_FLAG_LINKS)
def test_red_flag_finding_never_lowers_its_only_parent(
    model: DiagnosticModel, evidence_sets: list[dict[str, str]], finding: str, cause: str
) -> None:
    """With the red-flag cause made the finding's only parent, adding finding=yes never lowers it."""
    (f,) = [x for x in model.spec.findings if x.variable.id == finding]
    assert cause in f.parents
    others = {k.entry.key: f.leak.value for k in f.links if k.cause != cause}
    only = model.with_values(others)
    for ev in evidence_sets[:20]:
        ev = {k: v for k, v in ev.items() if k != finding}
        before = only.diagnose(ev, explained=False).probability(cause)
        after = only.diagnose({**ev, finding: "yes"}, explained=False).probability(cause)
        assert after >= before - 1e-12, (ev, before, after)


def test_unknown_evidence_is_summed_out(model: DiagnosticModel) -> None:
    d = model.diagnose({"one_leg_swelling": "yes", "bruising": "unknown", "age_group": None})
    assert d.evidence == {"one_leg_swelling": "yes"}
    assert d.probability("dvt") == pytest.approx(
        model.diagnose({"one_leg_swelling": "yes"}).probability("dvt")
    )
