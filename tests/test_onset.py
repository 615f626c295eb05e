"""Where the pain began (issue 13): an onset away from exercise explains the exertional causes away.

``onset_away_from_exercise`` is a finding of the model's own, beyond the contract. The
exertional causes are deliberately left unlinked (their P(yes) is the leak), so the answer
moves them only through the causes it is linked to.
"""

from __future__ import annotations

import pytest

from model import DiagnosticModel

ONSET = "onset_away_from_exercise"
# these start with a run, a session or a match
EXERTIONAL = (
    "doms",
    "exertional_fatigue",
    "cecs",
    "shin_splints",
    "tibial_stress_fracture",
    "popliteal_artery_entrapment",
    "exertional_rhabdomyolysis",
)
# these do not wait for a run
AWAY = (
    "dvt",
    "superficial_thrombophlebitis",
    "bakers_cyst_rupture",
    "lumbar_radiculopathy",
    "peripheral_neuropathy",
)


def test_the_exertional_causes_are_unlinked(model: DiagnosticModel) -> None:
    finding = next(f for f in model.spec.findings if f.variable.id == ONSET)
    assert set(finding.parents).isdisjoint(EXERTIONAL)
    assert set(AWAY) <= set(finding.parents)
    assert all(k.entry.value > finding.leak.value for k in finding.links if k.cause in AWAY)


def _risk_answers(model: DiagnosticModel) -> list[dict[str, str]]:
    return [{}] + [
        {rf.variable.id: s} for rf in model.spec.risk_factors for s in rf.variable.states
    ]


@pytest.mark.parametrize("i", range(4))
def test_yes_lowers_the_exertional_causes_and_raises_the_others(
    model: DiagnosticModel, i: int
) -> None:
    """With any one risk-factor answer (a quarter of them per case): yes < unanswered < no."""
    for base in _risk_answers(model)[i::4]:
        unanswered = model.diagnose(base, explained=False)
        yes = model.diagnose({**base, ONSET: "yes"}, explained=False)
        no = model.diagnose({**base, ONSET: "no"}, explained=False)
        for c in EXERTIONAL:
            assert yes.probability(c) < unanswered.probability(c) < no.probability(c), (base, c)
        for c in AWAY:
            assert yes.probability(c) > unanswered.probability(c) > no.probability(c), (base, c)


def test_a_clot_after_a_flight_is_sent_today_once_the_onset_is_known(
    model: DiagnosticModel,
) -> None:
    """A runner's calf pain after a long flight: the onset answer is what lifts the clot."""
    flight = {"recent_immobility": "yes", "pain_in_calf_muscle": "yes", "symptom_duration": "days"}
    before = model.diagnose(flight, explained=False)
    after = model.diagnose({**flight, ONSET: "yes"}, explained=False)
    assert after.probability("dvt") > 3 * before.probability("dvt")
    assert after.triage.level in ("urgent", "emergency")
