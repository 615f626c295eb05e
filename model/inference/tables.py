"""Conditional probability tables computed from the spec, in plain numpy.

Each table has shape ``(card, *parent_cards)``: axis 0 is the child's state and the
parents follow in ``parents`` order. ``flat()`` gives pgmpy's ``(card, prod(parent_cards))``
layout, where the last parent changes fastest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from numpy.typing import NDArray

from model.priors.spec import CategoricalFinding, Cause, Entry, Finding, RiskFactor

Array = NDArray[np.float64]


@dataclass(frozen=True)
class CPT:
    """P(variable | parents) as an array of shape ``(card, *parent_cards)``."""

    variable: str
    states: tuple[str, ...]
    parents: tuple[str, ...]
    values: Array

    def flat(self) -> Array:
        """The table as pgmpy wants it: ``(card, prod(parent_cards))``."""
        return self.values.reshape(len(self.states), -1)

    def __repr__(self) -> str:
        given = f" | {', '.join(self.parents)}" if self.parents else ""
        return f"P({self.variable}:{len(self.states)}{given})"


def logit(p: Array | float, eps: float = 0.0) -> Array:
    """Log-odds of ``p``, elementwise; ``eps > 0`` clips ``p`` to ``[eps, 1 - eps]`` first.

    >>> logit(np.array([0.5, 0.75])).round(6).tolist(), round(float(logit(1.0, 1e-12)), 2)
    ([0.0, 1.098612], 27.63)
    """
    q = np.clip(p, eps, 1.0 - eps) if eps > 0.0 else np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        return np.asarray(np.log(q) - np.log1p(-q))


def _sigmoid(x: Array) -> Array:
    out: Array = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def risk_factor_cpt(rf: RiskFactor) -> CPT:
    """The prevalence of each state of a root node."""
    values = np.array([e.value for e in rf.prevalence], dtype=float)
    return CPT(rf.variable.id, rf.variable.states, (), values / values.sum())


def cause_cpt(
    cause: Cause,
    cards: dict[str, int],
    states: dict[str, tuple[str, ...]],
    baseline: Array | None = None,
) -> CPT:
    """Logistic (proportional odds when graded) in the parents, or the explicit table.

    ``baseline`` (P(state) at the reference, one per non-reference state) overrides the
    spec's: a cause given by its ``prevalence`` needs the baseline the calibration solved.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> cards = {k: len(v.states) for k, v in spec.variables.items()}
    >>> sts = {k: v.states for k, v in spec.variables.items()}
    >>> from model.inference.calibration import solved_baselines
    >>> doms = spec.causes[0]
    >>> cpt = cause_cpt(doms, cards, sts, solved_baselines(spec)[doms.variable.id])
    >>> cpt
    P(doms:2 | mileage_jump, warm_up, forefoot_transition)
    >>> cpt.values[1, :, 0, 0].round(3)  # P(doms) by mileage jump, warm-up done, no forefoot change
    array([0.018, 0.032, 0.052])
    """
    var = cause.variable
    parents = cause.parents
    shape = tuple(cards[p] for p in parents)
    if cause.table is not None:
        rows = np.array([r.values for r in cause.table.rows], dtype=float)
        return CPT(var.id, var.states, parents, rows.T.reshape((len(var.states), *shape)))
    shift = np.zeros(shape)
    for o in cause.odds_ratios:
        axis = parents.index(o.parent)
        index: list[slice | None] = [None] * len(parents)
        index[axis] = slice(None)
        column = np.zeros(cards[o.parent])
        column[states[o.parent].index(o.state)] = np.log(o.entry.value)
        shift = shift + column[tuple(index)]
    if baseline is None:
        if cause.prevalence:
            raise ValueError(f"{var.id} is given by its prevalence: pass the solved baseline")
        baseline = np.array([e.value for e in cause.baseline], dtype=float)
    base = np.asarray(baseline, dtype=float)
    # P(Y >= k) at the reference for k = 1..K-1; the same log odds ratio shifts each.
    at_least = np.clip(np.cumsum(base[::-1])[::-1], 0.0, 1.0)
    cumulative = _sigmoid(logit(at_least)[:, None] + shift.reshape(1, -1))
    upper = np.vstack(
        [np.ones((1, cumulative.shape[1])), cumulative, np.zeros((1, cumulative.shape[1]))]
    )
    values = upper[:-1] - upper[1:]
    return CPT(
        var.id, var.states, parents, np.clip(values, 0.0, 1.0).reshape((len(var.states), *shape))
    )


def _inhibitors(
    finding: Finding, cards: dict[str, int], states: dict[str, tuple[str, ...]]
) -> dict[str, Array]:
    """Each parent's factor of P(no): ``(1 - p) / (1 - leak)`` for a linked state, else 1."""
    leak = finding.leak.value
    out = {c: np.ones(cards[c]) for c in finding.parents}
    for link in finding.links:
        inhibit = (1.0 - link.entry.value) / (1.0 - leak) if leak < 1.0 else 0.0
        out[link.cause][states[link.cause].index(link.state)] = min(1.0, max(0.0, inhibit))
    return out


def finding_cpt(finding: Finding, cards: dict[str, int], states: dict[str, tuple[str, ...]]) -> CPT:
    """Leaky noisy-OR (noisy-MAX for graded causes) of the linked causes.

    P(no | causes) = (1 - leak) * prod_i q_i(state_i), with q_i = (1 - p_i) / (1 - leak)
    for a linked state and 1 for the cause's reference state.
    """
    parents = finding.parents
    # filled in place, the last parent's outer product written straight into the table:
    # about two passes, and little beyond the table itself (the complaint's over 20
    # parents is 32 MB; one factor at a time through temporaries peaked at 89 MB)
    values = np.empty((2, *(cards[p] for p in parents)))
    p_no = values[0]
    inhibitors = list(_inhibitors(finding, cards, states).values())
    if inhibitors:
        head = reduce(np.multiply.outer, inhibitors[:-1], np.array(1.0 - finding.leak.value))
        np.multiply.outer(head, inhibitors[-1], out=p_no)
    else:
        p_no[...] = 1.0 - finding.leak.value
    np.subtract(1.0, p_no, out=values[1])
    return CPT(finding.variable.id, finding.variable.states, parents, values)


def noisy_or_chain(
    finding: Finding, cards: dict[str, int], states: dict[str, tuple[str, ...]]
) -> list[CPT]:
    """``finding_cpt`` as a chain of small tables (parent divorcing), for tools that store tables.

    ``{id}__leak`` is yes with the leak; each next node ``{id}__{cause}`` is yes when the one
    before is, or else when its cause fires (``1 - q`` of ``finding_cpt``); the last node
    carries the finding's id. Summing the chain out gives ``finding_cpt`` exactly, with at
    most ``2 * 2 * card`` numbers per table instead of ``2 * prod(cards)``.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec(); f = spec.findings[0]
    >>> cards = {k: len(v.states) for k, v in spec.variables.items()}
    >>> sts = {k: v.states for k, v in spec.variables.items()}
    >>> chain = noisy_or_chain(f, cards, sts)
    >>> [c.variable for c in chain][-1] == f.variable.id, max(c.values.size for c in chain)
    (True, 16)
    """
    fid, yn = finding.variable.id, finding.variable.states
    leak = finding.leak.value
    chain = [CPT(f"{fid}__leak", yn, (), np.array([1.0 - leak, leak]))]
    inhibitors = _inhibitors(finding, cards, states)
    for i, (cause, q) in enumerate(inhibitors.items()):
        name = fid if i == len(finding.parents) - 1 else f"{fid}__{cause}"
        no = np.stack(
            [q, np.zeros_like(q)]
        )  # P(no | before = no, cause), P(no | before = yes, cause)
        chain.append(CPT(name, yn, (chain[-1].variable, cause), np.stack([no, 1.0 - no])))
    return chain


def categorical_cpt(
    finding: CategoricalFinding, cards: dict[str, int], states: dict[str, tuple[str, ...]]
) -> CPT:
    """The ``average`` rule: the mean of the present linked causes' distributions, else the leak.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> cards = {k: len(v.states) for k, v in spec.variables.items()}
    >>> sts = {k: v.states for k, v in spec.variables.items()}
    >>> cpt = categorical_cpt(spec.categorical[0], cards, sts)
    >>> bool(np.allclose(cpt.values.sum(axis=0), 1.0))
    True
    """
    parents = finding.parents
    shape = tuple(cards[p] for p in parents)
    n = len(finding.variable.states)

    def dist(entries: Sequence[Entry]) -> Array:
        v: Array = np.array([e.value for e in entries], dtype=float)
        out: Array = v / v.sum()
        return out

    total = np.zeros((n, *shape))
    count = np.zeros(shape)
    for axis, cid in enumerate(parents):
        index: list[slice | None] = [None] * len(parents)
        index[axis] = slice(None)
        table = np.zeros((n, cards[cid]))
        present = np.zeros(cards[cid])
        for link in finding.links:
            if link.cause == cid:
                k = states[cid].index(link.state)
                table[:, k] = dist(link.entries)
                present[k] = 1.0
        total = total + table[(slice(None), *index)]
        count = count + present[tuple(index)]
    leak = dist(finding.leak).reshape((n,) + (1,) * len(parents))
    values = np.where(count > 0, total / np.maximum(count, 1.0), leak)
    return CPT(finding.variable.id, finding.variable.states, parents, values)
