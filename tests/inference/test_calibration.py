"""The solved baselines reproduce the presentation prevalences the priors state."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tomli_w

from model import DiagnosticModel, PriorsError, load_model
from model.inference import calibration
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
    """Explaining away: with a grade 3 strain known, every other cause falls, but DVT, which
    a tear raises through its own link (delgado2002), rises against no answer too."""
    before = model.marginals(list(model.cause_ids), {})
    after = model.marginals(list(model.cause_ids), {"calf_strain": "grade_3"})
    for c in model.cause_ids:
        if c == "dvt":
            assert after[c][0] < before[c][0]
        elif c != "calf_strain":
            assert after[c][0] > before[c][0], c


def test_a_cause_known_present_raises_its_children_and_lowers_the_rest(
    model: DiagnosticModel,
) -> None:
    """The links whose studies give a coexistence rate above the child's share of presentations
    (a tear or a superficial clot raises DVT) beat explaining away: against the parent known
    absent the child rises, every other cause falls. (Symptomatic tendinopathy, most ruptures
    having had none, does not beat it.)"""
    causes = list(model.cause_ids)
    links = {
        "calf_strain": "dvt",
        "superficial_thrombophlebitis": "dvt",
    }
    by_id = {c.variable.id: c for c in model.spec.causes}
    assert all(parent in by_id[child].parents for parent, child in links.items())
    for parent in links:
        states = model.spec.variables[parent].states
        absent = model.marginals(causes, {parent: states[0]})
        present = model.marginals(causes, {parent: states[-1]})
        for cause in model.spec.causes:
            c = cause.variable.id
            if c == parent:
                continue
            if parent in cause.parents:
                assert present[c][0] < absent[c][0], (parent, c)
            else:
                assert present[c][0] > absent[c][0], (parent, c)


def test_an_edited_number_is_recalibrated(model: DiagnosticModel) -> None:
    edited = model.with_values({"causes:doms.prevalence": 0.2})
    assert abs(edited.priors["doms"].probability - 0.2) < 1e-6
    assert abs(edited.priors["dvt"].probability - 0.005) < 1e-6


def test_a_nearby_solve_with_the_jacobian_takes_fewer_steps_to_the_same_baselines(
    model: DiagnosticModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chord method: an edited spec solved from its parent's solution and Jacobian.

    Both solves meet the prevalences to the solver's tolerance; with the parent's inverse
    Jacobian (the sensitivity sweeps' case: one number at an end of its range) the solve
    evaluates the marginals fewer times.
    """
    steps = {"n": 0}
    original = calibration._Problem.marginals

    def counted(self: Any, baselines: Any) -> Any:
        steps["n"] += 1
        return original(self, baselines)

    monkeypatch.setattr(calibration._Problem, "marginals", counted)
    base = model.spec
    inverse = calibration.inverse_jacobian(base)
    assert inverse is not None
    for key, value in (
        ('causes:dvt.odds_ratios."recent_immobility.yes"', 6.0),
        ("causes:doms.prevalence", 0.2),
        ('findings:calf_pain_presentation.causes."calf_strain.grade_2"', 0.80),
    ):
        edited = base.with_values({key: value})
        warm = edited.derived["warm_start"]
        counts = []
        answers = []
        for chord in (None, inverse):
            steps["n"] = 0
            answers.append(calibration.solve(edited, warm, chord))
            counts.append(steps["n"])
        assert counts[1] < counts[0], (key, counts)
        for c, plain in answers[0].items():
            np.testing.assert_allclose(answers[1][c], plain, rtol=1e-7, atol=1e-12, err_msg=c)
        assert edited.derived["warm_from"]() is base


def test_the_jacobian_is_computed_only_for_a_spec_that_serves_many_edits() -> None:
    """One edit solves without it; the ``CHORD_AFTER + 1``-th edit of one spec computes it."""
    from model.priors.loader import load_spec

    base = load_spec()
    solved_baselines(base)
    for i in range(1, calibration.CHORD_AFTER + 2):
        edited = base.with_values({"causes:doms.prevalence": 0.2 + 0.01 * i})
        doms = presentation_marginals(edited, solved_baselines(edited))["doms"][1]
        assert abs(doms - 0.2 - 0.01 * i) < 1e-8, i
        assert ("inverse_jacobian" in base.derived) == (i > calibration.CHORD_AFTER), i
    assert base.derived["inverse_jacobian"] is not None


def test_prevalences_out_of_reach_name_the_furthest_first(priors_copy: Path) -> None:
    """An extreme odds ratio: the message named all 20 causes, alphabetically, and no key."""
    path = priors_copy / "causes.toml"
    data = tomllib.loads(path.read_text())
    data["dvt"]["odds_ratios"]["recent_immobility.yes"].update(value=1e20, range=[1.0, 1e20])
    path.write_text(tomli_w.dumps(data))
    with pytest.raises(
        PriorsError, match=r"causes\.toml: dvt\.prevalence, .* cannot be reached"
    ) as info:
        load_model(priors_copy).diagnose({})
    assert len(info.value.problems) == 1
