"""The compiled tables against an independent brute-force reading of the priors."""

from __future__ import annotations

import numpy as np
import pytest
from brute import brute_force

from model import DiagnosticModel
from model.inference.engines import EngineName
from model.inference.network_tables import all_cpts


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
