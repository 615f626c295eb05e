"""Findings that split the causes by where, when or how badly it hurts (issue 13).

``onset_away_from_exercise`` and ``pain_front_or_outer_leg`` are findings of the model's own,
beyond the contract. Each links the causes it points to and leaves the others unlinked (their
P(yes) is the leak), so a "yes" raises the linked causes and lowers the rest through the causes
it is linked to, whatever single risk factor is answered beside it.

- An onset away from exercise explains the exertional causes away: a clot, a leaking cyst,
  nerve-root pain and neuropathy do not wait for a run.
- Pain at the front or outer side of the leg tells the shin from the tendon and the heel,
  which ``pain_in_calf_muscle = no`` lumps together.
- Severe pain (``severe_pain``, also the model's own) is linked to nearly every cause, weakly
  to the aches: a "yes" raises the causes that damage tissue and lowers the aches, which stay
  linked (so only the second check applies to it).
"""

from __future__ import annotations

import pytest

from model import DiagnosticModel

ONSET = "onset_away_from_exercise"
FRONT = "pain_front_or_outer_leg"
SEVERE = "severe_pain"
# finding: (the causes a "yes" raises, the unlinked causes it lowers)
SPLITS = {
    ONSET: (
        # these do not wait for a run
        ("dvt", "superficial_thrombophlebitis", "bakers_cyst_rupture", "lumbar_radiculopathy",
         "peripheral_neuropathy"),
        # these start with a run, a session or a match
        ("doms", "exertional_fatigue", "cecs", "shin_splints", "tibial_stress_fracture",
         "popliteal_artery_entrapment", "exertional_rhabdomyolysis"),
    ),
    FRONT: (
        # felt at the front or outer side of the lower leg in most cases
        ("acute_compartment_syndrome", "cecs", "tibial_stress_fracture", "lumbar_radiculopathy"),
        # felt in the calf, at the tendon, the heel or behind the knee
        ("calf_strain", "dvt", "achilles_tendinopathy", "achilles_rupture", "plantar_fasciitis",
         "popliteal_artery_entrapment", "muscle_cramp"),
    ),
}  # fmt: skip
SHIFTS = {
    **SPLITS,
    SEVERE: (
        # severe in most cases
        ("acute_compartment_syndrome", "exertional_rhabdomyolysis", "bakers_cyst_rupture"),
        # an ache in most cases
        ("doms", "exertional_fatigue", "myofascial_tightness", "achilles_tendinopathy",
         "shin_splints"),
    ),
}  # fmt: skip


@pytest.mark.parametrize("finding", SPLITS)
def test_the_lowered_causes_are_unlinked(model: DiagnosticModel, finding: str) -> None:
    raised, lowered = SPLITS[finding]
    spec = next(f for f in model.spec.findings if f.variable.id == finding)
    assert set(spec.parents).isdisjoint(lowered)
    assert set(raised) <= set(spec.parents)
    assert all(k.entry.value > spec.leak.value for k in spec.links if k.cause in raised)


@pytest.mark.parametrize("i", range(4))
@pytest.mark.parametrize("finding", SHIFTS)
def test_yes_raises_the_linked_causes_and_lowers_the_others(
    model: DiagnosticModel, finding: str, i: int
) -> None:
    """With any one risk-factor answer (a quarter of them per case): no < unanswered < yes for
    the linked causes, the reverse for the others."""
    raised, lowered = SHIFTS[finding]
    bases = [{}] + [
        {rf.variable.id: s} for rf in model.spec.risk_factors for s in rf.variable.states
    ]
    for base in bases[i::4]:
        unanswered = model.diagnose(base, explained=False)
        yes = model.diagnose({**base, finding: "yes"}, explained=False)
        no = model.diagnose({**base, finding: "no"}, explained=False)
        for c in raised:
            assert no.probability(c) < unanswered.probability(c) < yes.probability(c), (base, c)
        for c in lowered:
            assert yes.probability(c) < unanswered.probability(c) < no.probability(c), (base, c)


def test_a_clot_after_a_flight_is_sent_today_once_the_onset_is_known(
    model: DiagnosticModel,
) -> None:
    """A runner's calf pain after a long flight: the onset answer is what lifts the clot."""
    flight = {"recent_immobility": "yes", "pain_in_calf_muscle": "yes", "symptom_duration": "days"}
    before = model.diagnose(flight, explained=False)
    after = model.diagnose({**flight, ONSET: "yes"}, explained=False)
    assert after.probability("dvt") > 3 * before.probability("dvt")
    assert after.triage.level in ("urgent", "emergency")


def test_exertional_pain_at_the_front_of_the_shin_is_not_read_as_a_tendon_or_heel_problem(
    model: DiagnosticModel,
) -> None:
    """Not in the calf, began with exercise: before the answer the tendon ranks with the shin."""
    shin = {"pain_in_calf_muscle": "no", ONSET: "no"}
    before = model.diagnose(shin, explained=False)
    after = model.diagnose({**shin, FRONT: "yes"}, explained=False)
    for benign in ("achilles_tendinopathy", "plantar_fasciitis"):
        assert after.probability("cecs") > after.probability(benign)
        assert after.probability(benign) < before.probability(benign) / 2
    assert after.probability("cecs") > 2 * before.probability("cecs")
