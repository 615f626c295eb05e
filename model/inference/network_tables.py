"""The network's tables for a spec: the causes' baselines solved, then each node's table.

``tables`` holds the formula of each kind of node and ``calibration`` solves the baselines
that the presenting complaint raises to the stated prevalences; this module puts the two
together for the engines and the pgmpy adapter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from model.inference.calibration import solved_baselines
from model.inference.tables import (
    CPT,
    Array,
    categorical_cpt,
    cause_cpt,
    finding_cpt,
    risk_factor_cpt,
)
from model.priors.spec import ModelSpec


def all_cpts(spec: ModelSpec) -> list[CPT]:
    """Every table of the network in topological order (risk factors, causes, findings)."""
    return list(cpts_for(spec).values())


def cpts_for(spec: ModelSpec, nodes: Collection[str] | None = None) -> dict[str, CPT]:
    """The tables of some nodes (all when ``nodes`` is None), by id in topological order.

    Lets a caller that changed a few numbers recompute only the tables they touch.

    >>> from model.priors.loader import load_spec
    >>> list(cpts_for(load_spec(), {"dvt", "age_group"}))
    ['age_group', 'dvt']
    """
    variables = spec.variables
    cards = {k: len(v.states) for k, v in variables.items()}
    states = {k: v.states for k, v in variables.items()}

    def wanted(node: str) -> bool:
        return nodes is None or node in nodes

    out = {
        rf.variable.id: risk_factor_cpt(rf) for rf in spec.risk_factors if wanted(rf.variable.id)
    }
    solved: Mapping[str, Array] = {}
    if any(c.prevalence for c in spec.causes if wanted(c.variable.id)):
        solved = solved_baselines(spec)
    out.update(
        {
            c.variable.id: cause_cpt(c, cards, states, solved.get(c.variable.id))
            for c in spec.causes
            if wanted(c.variable.id)
        }
    )
    out.update(
        {
            f.variable.id: finding_cpt(f, cards, states)
            for f in spec.findings
            if wanted(f.variable.id)
        }
    )
    out.update(
        {
            f.variable.id: categorical_cpt(f, cards, states)
            for f in spec.categorical
            if wanted(f.variable.id)
        }
    )
    p = spec.presentation
    if p is not None and wanted(p.variable.id):
        out[p.variable.id] = finding_cpt(p, cards, states)
    return out
