"""Conditional probability tables computed from the spec, in plain numpy.

Each table has shape ``(card, *parent_cards)``: axis 0 is the child's state and the
parents follow in ``parents`` order. ``flat()`` gives pgmpy's ``(card, prod(parent_cards))``
layout, where the last parent changes fastest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, reduce

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

    def row(self, state: int) -> Array:
        """``values[state]``: P(state | parents) over the parents' configurations."""
        out: Array = self.values[state]
        return out

    def __repr__(self) -> str:
        given = f" | {', '.join(self.parents)}" if self.parents else ""
        return f"P({self.variable}:{len(self.states)}{given})"


class NoisyOrCPT(CPT):
    """A leaky noisy-OR table kept as its factors, ``P(no | x) = (1 - leak) prod_i q_i(x_i)``.

    ``values`` (the full table) is built on first access only and then kept: the
    presenting complaint's over all 20 causes is 32 MB, and the engines that read the
    factors (``split``) never build it; ``row`` builds one state without keeping it.

    >>> t = NoisyOrCPT("f", ("no", "yes"), ("a", "b"), 0.1, (np.array([1.0, 0.5]), np.ones(2)))
    >>> t.row(1).round(3).tolist(), "values" in t.__dict__
    ([[0.1, 0.1], [0.55, 0.55]], False)
    >>> yes = t.row(1)
    >>> bool(np.array_equal(t.values[1], yes)), "values" in t.__dict__
    (True, True)
    """

    leak: float
    inhibitors: tuple[Array, ...]

    def __init__(
        self,
        variable: str,
        states: tuple[str, ...],
        parents: tuple[str, ...],
        leak: float,
        inhibitors: tuple[Array, ...],
    ) -> None:
        for name, value in (
            ("variable", variable),
            ("states", states),
            ("parents", parents),
            ("leak", leak),
            ("inhibitors", inhibitors),
        ):
            object.__setattr__(self, name, value)

    @cached_property
    def values(self) -> Array:
        """The full table, shape ``(2, *parent_cards)`` (built once, on first access)."""
        # filled in place, the last parent's outer product written straight into the
        # table: about two passes, and little beyond the table itself (one factor at a
        # time through temporaries peaked at 89 MB for the complaint's 32 MB)
        values = np.empty((2, *(len(q) for q in self.inhibitors)))
        self._fill_no(values[0])
        np.subtract(1.0, values[0], out=values[1])
        return values

    def row(self, state: int) -> Array:
        """One state's table, without building (or keeping) the whole."""
        if "values" in self.__dict__:
            kept: Array = self.values[state]
            return kept
        out: Array = np.empty(tuple(len(q) for q in self.inhibitors))
        self._fill_no(out)
        if state == 1:
            np.subtract(1.0, out, out=out)
        return out

    def _fill_no(self, out: Array) -> None:
        q = self.inhibitors
        if q:
            head = reduce(np.multiply.outer, q[:-1], np.array(1.0 - self.leak))
            np.multiply.outer(head, q[-1], out=out)
        else:
            out[...] = 1.0 - self.leak

    def split(self, state: int) -> tuple[float, list[Array]] | None:
        """``rank_one(row(state))`` read off the factors: ``(log_base, vectors)`` or ``None``.

        ``no`` is ``exp(log_base) * outer(q_i / q_i[0])``; ``yes``, ``1 - (1 - leak) prod_i
        q_i``, is such a product only when at most one parent moves it (every other
        ``q_i`` all ones): then it is that parent's vector (a one-parent finding always).
        """
        if state == 1:
            moving = [i for i, v in enumerate(self.inhibitors) if bool((v != 1.0).any())]
            if len(moving) > 1:
                return None
            vectors = [np.ones(len(v)) for v in self.inhibitors]
            if not moving:
                return (math.log(self.leak), vectors) if self.leak > 0.0 else None
            j = moving[0]
            yes = 1.0 - (1.0 - self.leak) * self.inhibitors[j]
            if yes[0] <= 0.0:
                return None
            vectors[j] = yes / yes[0]
            return math.log(float(yes[0])), vectors
        base = (1.0 - self.leak) * math.prod(float(v[0]) for v in self.inhibitors)
        if base <= 0.0:
            return None
        return math.log(base), [v / v[0] for v in self.inhibitors]

    def same_factors(self, other: CPT) -> bool:
        """Whether ``other`` is the same noisy-OR (then the tables are equal too)."""
        return (
            isinstance(other, NoisyOrCPT)
            and (self.states, self.parents, self.leak) == (other.states, other.parents, other.leak)
            and len(self.inhibitors) == len(other.inhibitors)
            and all(
                np.array_equal(a, b) for a, b in zip(self.inhibitors, other.inhibitors, strict=True)
            )
        )


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
    if baseline is None:
        if cause.prevalence:
            raise ValueError(f"{var.id} is given by its prevalence: pass the solved baseline")
        baseline = np.array([e.value for e in cause.baseline], dtype=float)
    values = logistic_values(log_odds_shift(cause, cards, states), baseline)
    return CPT(var.id, var.states, parents, values)


def log_odds_shift(
    cause: Cause, cards: dict[str, int], states: dict[str, tuple[str, ...]]
) -> Array:
    """The sum of a logistic cause's log odds ratios at every parent state (shape: parents)."""
    parents = cause.parents
    shift = np.zeros(tuple(cards[p] for p in parents))
    for o in cause.odds_ratios:
        # the cells where every term holds (one term: a slab; an interaction: their crossing)
        cells: list[slice | int] = [slice(None)] * len(parents)
        for parent, state in o.terms:
            cells[parents.index(parent)] = states[parent].index(state)
        shift[tuple(cells)] += np.log(o.entry.value)
    return shift


def logistic_values(shift: Array, baseline: Array) -> Array:
    """The table (states x parents) of a cause: ``baseline`` at the reference, moved by ``shift``.

    >>> logistic_values(np.zeros(2), np.array([0.25])).round(3).tolist()
    [[0.75, 0.75], [0.25, 0.25]]
    """
    base = np.asarray(baseline, dtype=float)
    # P(Y >= k) at the reference for k = 1..K-1; the same log odds ratio shifts each.
    at_least = np.clip(np.cumsum(base[::-1])[::-1], 0.0, 1.0)
    cumulative = _sigmoid(logit(at_least)[:, None] + shift.reshape(1, -1))
    upper = np.vstack(
        [np.ones((1, cumulative.shape[1])), cumulative, np.zeros((1, cumulative.shape[1]))]
    )
    values = upper[:-1] - upper[1:]
    out: Array = np.clip(values, 0.0, 1.0).reshape((len(base) + 1, *shift.shape))
    return out


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


def finding_cpt(
    finding: Finding, cards: dict[str, int], states: dict[str, tuple[str, ...]]
) -> NoisyOrCPT:
    """Leaky noisy-OR (noisy-MAX for graded causes) of the linked causes.

    P(no | causes) = (1 - leak) * prod_i q_i(state_i), with q_i = (1 - p_i) / (1 - leak)
    for a linked state and 1 for the cause's reference state. Kept as those factors
    (``NoisyOrCPT``): the full table is built only for whoever reads ``values``.
    """
    inhibitors = tuple(_inhibitors(finding, cards, states).values())
    return NoisyOrCPT(
        finding.variable.id,
        finding.variable.states,
        finding.parents,
        float(finding.leak.value),
        inhibitors,
    )


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
