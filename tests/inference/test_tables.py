"""The compiled tables against an independent brute-force reading of the priors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from brute import brute_force

from model import DiagnosticModel
from model.inference.engines import EngineName
from model.inference.enumeration import rank_one, state_split
from model.inference.network_tables import all_cpts
from model.inference.tables import NoisyOrCPT
from model.priors.spec import Cause, OddsRatio


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"swelling": "yes"},
        {"trip": "yes", "swelling": "no"},
        {"snap": "yes", "age": "old"},
        {"bump": "present", "swelling": "yes", "snap": "no"},
    ],
)
@pytest.mark.parametrize("engine", ["fast", "pgmpy"])
def test_engines_match_brute_force_on_tiny(
    tiny: DiagnosticModel, evidence: dict[str, str], engine: EngineName
) -> None:
    expected = brute_force(tiny, evidence)
    got = DiagnosticModel(tiny.spec, engine).marginals(list(tiny.variables), evidence)
    for v in tiny.variables:
        np.testing.assert_allclose(got[v], expected[v], atol=1e-12, err_msg=v)


def with_interaction(tiny: DiagnosticModel, value: float) -> DiagnosticModel:
    """The tiny network with a ``"trip.yes & age.old"`` interaction term on the clot."""

    def add(c: Cause) -> Cause:
        if c.variable.id != "clot":
            return c
        entry = dataclasses.replace(
            c.odds_ratios[0].entry, key='causes:clot.odds_ratios."trip.yes & age.old"', value=value
        )
        also = OddsRatio("trip", "yes", entry, also=(("age", "old"),))
        return dataclasses.replace(c, odds_ratios=(*c.odds_ratios, also))

    spec = dataclasses.replace(tiny.spec, causes=tuple(add(c) for c in tiny.spec.causes))
    return DiagnosticModel(spec)


@pytest.mark.parametrize("engine", ["fast", "pgmpy"])
def test_an_interaction_term_agrees_with_brute_force(
    tiny: DiagnosticModel, engine: EngineName
) -> None:
    model = with_interaction(tiny, 3.5)
    for evidence in ({}, {"swelling": "yes"}, {"trip": "yes", "snap": "no"}, {"age": "old"}):
        expected = brute_force(model, evidence)
        got = DiagnosticModel(model.spec, engine).marginals(list(model.variables), evidence)
        for v in model.variables:
            np.testing.assert_allclose(got[v], expected[v], atol=1e-12, err_msg=v)


def test_an_interaction_term_multiplies_only_where_all_its_terms_hold(
    tiny: DiagnosticModel,
) -> None:
    """Odds of the clot in each (trip, age) cell: 1, 2 (old), 3 (trip), 3 * 2 * 0.5 (both)."""
    (clot,) = [c for c in all_cpts(with_interaction(tiny, 0.5).spec) if c.variable == "clot"]
    assert clot.parents == ("trip", "age")
    odds = clot.values[1] / clot.values[0]
    np.testing.assert_allclose(odds / odds[0, 0], [[1.0, 2.0], [3.0, 3.0]], rtol=1e-12)


def test_hard_cycling_raises_claudication_in_the_young_and_not_the_old(
    model: DiagnosticModel,
) -> None:
    """Endofibrosis, not atherosclerosis: the shipped interaction terms narrow the lift by age."""
    lift = []
    for age in model.variables["age_group"].states:
        p = [
            model.diagnose(
                {"age_group": age, "endurance_cycling": s, "exercise_timed_pain": "yes"},
                explained=False,
            ).probability("arterial_claudication")
            for s in ("no", "yes")
        ]
        lift.append(p[1] / p[0])
    assert lift == sorted(lift, reverse=True)
    assert lift[0] > 5.0
    assert lift[-1] == pytest.approx(1.0, abs=0.05)


def test_every_table_is_a_distribution(model: DiagnosticModel) -> None:
    for cpt in all_cpts(model.spec):
        assert cpt.values.min() >= 0.0, cpt
        np.testing.assert_allclose(cpt.values.sum(axis=0), 1.0, atol=1e-12, err_msg=repr(cpt))


def test_graded_odds_ratio_shifts_every_grade_up(model: DiagnosticModel) -> None:
    (strain,) = [c for c in all_cpts(model.spec) if c.variable == "calf_strain"]
    axis = 1 + strain.parents.index("age_group")
    young = np.take(strain.values, 0, axis=axis)
    old = np.take(strain.values, 3, axis=axis)
    # P(grade >= k) rises with age at every k (proportional odds with OR > 1)
    assert np.all(
        np.cumsum(old[::-1], axis=0)[::-1][1:] >= np.cumsum(young[::-1], axis=0)[::-1][1:] - 1e-12
    )


def test_a_noisy_or_table_read_off_its_factors_equals_its_table(model: DiagnosticModel) -> None:
    """``row`` and ``split`` give what the full table gives, without building it."""
    found = [c for c in all_cpts(model.spec) if isinstance(c, NoisyOrCPT)]
    assert "calf_pain_presentation" in {c.variable for c in found}
    no_links = NoisyOrCPT("f", ("no", "yes"), ("a", "b"), 0.25, (np.ones(2), np.ones(3)))
    cut = NoisyOrCPT("g", ("no", "yes"), ("a",), 0.1, (np.array([0.0, 0.5]),))
    one = NoisyOrCPT("h", ("no", "yes"), ("a", "b"), 0.0, (np.ones(2), np.array([1.0, 0.3])))
    two = NoisyOrCPT("k", ("no", "yes"), ("a", "b"), 0.1, (np.array([1.0, 0.2]),) * 2)
    for cpt in [*found, no_links, cut, one, two]:
        rows = [cpt.row(s) for s in (0, 1)]
        assert "values" not in cpt.__dict__, cpt
        splits = [state_split(cpt, s) for s in (0, 1)]
        for s in (0, 1):
            np.testing.assert_array_equal(rows[s], cpt.values[s], err_msg=repr(cpt))
            want = rank_one(cpt.values[s])
            assert (splits[s] is None) == (want is None), (cpt, s)
            if want is not None and splits[s] is not None:
                log_b, vectors = splits[s]  # type: ignore[misc]
                assert log_b == pytest.approx(want[0], abs=1e-14)
                for got, ref in zip(vectors, want[1], strict=True):
                    np.testing.assert_allclose(got, ref, rtol=1e-14, atol=0)
    assert state_split(no_links, 1) is not None and state_split(cut, 0) is None
    assert state_split(one, 1) is None and state_split(two, 1) is None  # yes at the reference: 0
    same = NoisyOrCPT("f", ("no", "yes"), ("a", "b"), 0.25, (np.ones(2), np.ones(3)))
    assert no_links.same_factors(same) and not no_links.same_factors(cut)
