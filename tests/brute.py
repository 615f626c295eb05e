"""An independent brute-force reading of a small priors folder: the full joint, enumerated."""

from __future__ import annotations

import itertools
import math

import numpy as np

from model import DiagnosticModel


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
            log_or = sum(math.log(o.entry.value) for o in c.odds_ratios if o.holds(x))
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
