"""Pain at the front or outer side of the leg (issue 13): it tells the shin from the tendon.

``pain_front_or_outer_leg`` is a finding of the model's own, beyond the contract. A "no" to
``pain_in_calf_muscle`` lumps the front of the leg with the tendon and the heel; this answer
splits them. The causes felt in the calf, at the tendon or the heel are left unlinked (their
P(yes) is the leak), so a "yes" argues against them through the causes it is linked to.
"""

from __future__ import annotations

import pytest

from model import DiagnosticModel

FRONT = "pain_front_or_outer_leg"
# felt at the front or outer side of the lower leg in most cases
THERE = ("acute_compartment_syndrome", "cecs", "tibial_stress_fracture", "lumbar_radiculopathy")
# felt in the calf, at the tendon, the heel or behind the knee
ELSEWHERE = (
    "calf_strain",
    "dvt",
    "achilles_tendinopathy",
    "achilles_rupture",
    "plantar_fasciitis",
    "popliteal_artery_entrapment",
    "muscle_cramp",
)


def test_the_calf_tendon_and_heel_causes_are_unlinked(model: DiagnosticModel) -> None:
    finding = next(f for f in model.spec.findings if f.variable.id == FRONT)
    assert set(finding.parents).isdisjoint(ELSEWHERE)
    assert set(THERE) <= set(finding.parents)
    assert all(k.entry.value > finding.leak.value for k in finding.links if k.cause in THERE)


def _risk_answers(model: DiagnosticModel) -> list[dict[str, str]]:
    return [{}] + [
        {rf.variable.id: s} for rf in model.spec.risk_factors for s in rf.variable.states
    ]


@pytest.mark.parametrize("i", range(4))
def test_yes_raises_the_front_of_leg_causes_and_lowers_the_others(
    model: DiagnosticModel, i: int
) -> None:
    """With any one risk-factor answer (a quarter of them per case): no < unanswered < yes."""
    for base in _risk_answers(model)[i::4]:
        unanswered = model.diagnose(base, explained=False)
        yes = model.diagnose({**base, FRONT: "yes"}, explained=False)
        no = model.diagnose({**base, FRONT: "no"}, explained=False)
        for c in THERE:
            assert no.probability(c) < unanswered.probability(c) < yes.probability(c), (base, c)
        for c in ELSEWHERE:
            assert no.probability(c) > unanswered.probability(c) > yes.probability(c), (base, c)


def test_exertional_pain_at_the_front_of_the_shin_is_not_read_as_a_tendon_or_heel_problem(
    model: DiagnosticModel,
) -> None:
    """Not in the calf, began with exercise: before the answer the tendon ranks with the shin."""
    shin = {"pain_in_calf_muscle": "no", "onset_away_from_exercise": "no"}
    before = model.diagnose(shin, explained=False)
    after = model.diagnose({**shin, FRONT: "yes"}, explained=False)
    for benign in ("achilles_tendinopathy", "plantar_fasciitis"):
        assert after.probability("cecs") > after.probability(benign)
        assert after.probability(benign) < before.probability(benign) / 2
    assert after.probability("cecs") > 2 * before.probability("cecs")
