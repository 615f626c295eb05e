"""The solved baselines reproduce the presentation prevalences the priors state."""

from __future__ import annotations

import numpy as np

from model import DiagnosticModel
from model.inference.calibration import presentation_marginals, solved_baselines


def test_no_evidence_gives_the_stated_presentation_prevalences(model: DiagnosticModel) -> None:
    """P(cause state | complaint), from the engine with no user evidence, matches causes.toml."""
    checked = 0
    for cause in model.spec.causes:
        if not cause.prevalence:
            continue
        dist = model.marginals([cause.variable.id], {})[cause.variable.id]
        stated = np.array([e.value for e in cause.prevalence])
        assert np.allclose(dist[1:], stated, rtol=1e-6, atol=1e-12), cause.variable.id
        checked += 1
    assert checked == len(model.spec.causes)


def test_the_solver_and_the_engine_agree(model: DiagnosticModel) -> None:
    direct = presentation_marginals(model.spec, solved_baselines(model.spec))
    engine = model.marginals(list(model.cause_ids), {})
    for c in model.cause_ids:
        assert np.allclose(direct[c], engine[c], atol=1e-12), c


def test_population_baselines_are_below_presentation_rates(model: DiagnosticModel) -> None:
    """The complaint raises every cause: its population baseline is lower than its share."""
    solved = solved_baselines(model.spec)
    for cause in model.spec.causes:
        stated = sum(e.value for e in cause.prevalence)
        assert 0.0 < solved[cause.variable.id].sum() < stated, cause.variable.id


def test_a_cause_that_explains_the_complaint_lowers_the_others(model: DiagnosticModel) -> None:
    """Explaining away: with a grade 3 strain known, every other cause falls."""
    before = model.marginals(list(model.cause_ids), {})
    after = model.marginals(list(model.cause_ids), {"calf_strain": "grade_3"})
    for c in model.cause_ids:
        if c not in ("calf_strain", "dvt"):  # a strain raises DVT through its own link
            assert after[c][0] > before[c][0], c


def test_an_edited_number_is_recalibrated(model: DiagnosticModel) -> None:
    edited = model.with_values({"causes:doms.prevalence": 0.2})
    assert abs(edited.priors["doms"].probability - 0.2) < 1e-6
    assert abs(edited.priors["dvt"].probability - 0.005) < 1e-6
