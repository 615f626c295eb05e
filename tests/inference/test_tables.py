"""The compiled tables against an independent brute-force reading of the priors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from model import DiagnosticModel
from model.inference.tables import all_cpts


def brute_force(m: DiagnosticModel, evidence: dict[str, str]) -> dict[str, np.ndarray]:
    """Enumerate the full joint of the tiny network straight from the spec's numbers."""
    spec = m.spec
    variables = spec.variables
    names = list(variables)
    totals = {v: np.zeros(len(variables[v].states)) for v in names}
    for combo in itertools.product(*(variables[v].states for v in names)):
        x = dict(zip(names, combo, strict=True))
        if any(x[k] != s for k, s in evidence.items()):
            continue
        p = 1.0
        for rf in spec.risk_factors:
            p *= rf.prevalence[rf.variable.states.index(x[rf.variable.id])].value
        for c in spec.causes:
            states = c.variable.states
            if c.table is not None:
                row = next(
                    r
                    for r in c.table.rows
                    if all(x[q] == s for q, s in zip(c.table.parents, r.parent_states, strict=True))
                )
                p *= row.values[states.index(x[c.variable.id])]
                continue
            log_or = sum(math.log(o.entry.value) for o in c.odds_ratios if x[o.parent] == o.state)
            # cumulative P(Y >= k), each shifted by the same log odds ratio
            base = [e.value for e in c.baseline]
            cum = [1.0]
            for k in range(len(base)):
                q = sum(base[k:])
                cum.append(1 / (1 + math.exp(-(math.log(q / (1 - q)) + log_or))))
            cum.append(0.0)
            k = states.index(x[c.variable.id])
            p *= cum[k] - cum[k + 1]
        for f in spec.findings:
            p_no = 1 - f.leak.value
            for link in f.links:
                if x[link.cause] == link.state:
                    p_no *= (1 - link.entry.value) / (1 - f.leak.value)
            p *= p_no if x[f.variable.id] == "no" else 1 - p_no
        for v in names:
            totals[v][variables[v].states.index(x[v])] += p
    return {v: t / t.sum() for v, t in totals.items()}


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
def test_pgmpy_matches_brute_force_on_tiny(tiny: DiagnosticModel, evidence: dict[str, str]) -> None:
    expected = brute_force(tiny, evidence)
    got = tiny.engine.marginals(list(tiny.variables), evidence)
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
