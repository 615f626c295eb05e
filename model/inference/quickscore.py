"""Exact posteriors for many cases at once: Quickscore over the positive findings, vectorised.

Batch scoring's fast path (``model.analysis.batch``); ``EnumerationEngine`` answers the cases this
kernel declines, and every single ``diagnose()`` call.

How it computes
---------------
Causes joined by a cause-to-cause edge form one *unit* (Achilles tendinopathy and rupture
in the shipped priors); every other cause is a unit of its own. Given all risk factors
``r`` the units are independent, and a finding observed ``no`` is a product of one factor
per unit (noisy-OR, noisy-MAX for grades: ``P(no | x) = b_f prod_u q_fu(x_u)``). A finding
observed ``yes`` is ``1 - P(no | x)``; expanding the product over the set ``Y`` of positive
findings (Heckerman's Quickscore, 1989) gives

``P(e) = sum_r w(r) sum_{S <= Y} (-1)^|S| b_S prod_u Z_uS(r)``,
``Z_uS(r) = sum_x P(x_u | r) prod_{f in N + S} q_fu(x)``,

with ``N`` the negative findings and ``w(r)`` the prevalences of a full risk-factor
assignment that agrees with the evidence. A unit's joint ``P(x_u, e)`` is the same sum with
``Z_uS`` replaced by its summand at ``x``. Each case costs ``R 2^|Y| J`` operations, ``R``
the number of assignments of its unknown risk factors and ``J`` the unit states (30 here):
about a thousand for a case with every risk factor answered and four findings positive,
against 32,768 cause configurations for enumeration. Cases are laid out as flat
(case, assignment, subset) rows so that numpy does each step for a whole chunk at once.

What it declines
----------------
The signed sum can cancel. Its condition number ``kappa = sum |terms| / P(e)`` bounds the
error of every posterior by about ``kappa * J * 2.2e-16`` (measured: about ``kappa * 1e-16``);
a case with ``kappa`` above ``MAX_KAPPA`` (bound 7e-10, measured at most 8e-12), more than ``MAX_TERMS`` terms ``R 2^|Y|``, or of probability zero, is
returned unscored (``ok`` false) for the enumeration engine, which also names the
conflicting evidence. A model whose finding tables are not noisy-OR products, or with a
finding that a cause makes certain, gets no kernel at all (``QuickscoreKernel.build``
returns ``None``).

>>> import dataclasses
>>> import numpy as np
>>> from model.priors.loader import load_spec
>>> QuickscoreKernel.build(load_spec()) is None  # the shipped priors have a complaint node
True
>>> spec = dataclasses.replace(load_spec(), presentation=None, categorical=())
>>> kernel = QuickscoreKernel.build(spec)
>>> kernel
QuickscoreKernel(17 units, 50 unit states, 42 findings)
>>> codes = np.full((2, len(kernel.variables)), -1, dtype=np.int16)
>>> codes[:, : len(kernel.risk_factors)] = 0  # every risk factor answered, at its reference
>>> codes[0, kernel.variables.index("one_leg_swelling")] = 1
>>> out = kernel.posteriors(codes)
>>> out.ok.tolist()
[True, True]
>>> from model.inference.enumeration import EnumerationEngine
>>> evidence = {r: kernel.states[r][0] for r in kernel.risk_factors} | {"one_leg_swelling": "yes"}
>>> exact = EnumerationEngine(spec).marginals(["dvt"], evidence)["dvt"]
>>> bool(abs(out.marginals[0, kernel.columns.index("dvt=present")] - exact[1]) < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from model.inference.enumeration import dependent_groups, joint_table, state_split
from model.inference.network_tables import cpts_for
from model.inference.tables import CPT, Array
from model.priors.spec import ModelSpec

MAX_KAPPA = 1e5
MAX_TERMS = 128  # per case; enumeration (~0.4 ms) is cheaper beyond, at ~2.5 us per term
CHUNK_ROWS = 1 << 16  # (case, assignment, subset) rows per numpy pass: ~16 MB per array

Codes = NDArray[np.int16]
Index = NDArray[np.intp]


@dataclass(frozen=True)
class Posteriors:
    """Per case: every cause state's probability (``columns``), log P(e), and whether scored."""

    marginals: Array
    log_evidence: Array
    ok: NDArray[np.bool_]


@dataclass(frozen=True)
class _Unit:
    causes: tuple[str, ...]
    risk_factors: tuple[str, ...]
    prior: Array  # (prod of risk-factor cards, unit states)
    states: Index  # (unit states, len(causes)): each member's state


class QuickscoreKernel:
    """Vectorised Quickscore (see the module doc); build it with ``QuickscoreKernel.build``."""

    def __init__(self, spec: ModelSpec, cpts: Mapping[str, CPT], units: list[_Unit]) -> None:
        self.risk_factors = [rf.variable.id for rf in spec.risk_factors]
        self.causes = [c.variable.id for c in spec.causes]
        self.findings = [f.variable.id for f in spec.findings]
        self.variables = [*self.risk_factors, *self.causes, *self.findings]
        self.states = {v: cpts[v].states for v in self.variables}
        self.columns = [f"{c}={s}" for c in self.causes for s in cpts[c].states]
        self.units = units
        self.cards = np.array([len(cpts[r].states) for r in self.risk_factors])
        self.prevalence = [cpts[r].values for r in self.risk_factors]
        sizes = [len(u.states) for u in units]
        self.starts = np.cumsum([0, *sizes[:-1]])
        self.unit_of = np.repeat(np.arange(len(units)), sizes)
        n_states = sum(sizes)
        # column j (unit u, joint state x) -> output column of each member's state
        self.to_cause = np.zeros((n_states, len(self.columns)))
        self.agrees: dict[str, Array] = {}  # cause -> (states, J): unit states agreeing
        first = {c: self.columns.index(f"{c}={cpts[c].states[0]}") for c in self.causes}
        for u, unit in enumerate(units):
            for m, cause in enumerate(unit.causes):
                cols = self.starts[u] + np.arange(sizes[u])
                self.to_cause[cols, first[cause] + unit.states[:, m]] = 1.0
                agree = np.ones((len(cpts[cause].states), n_states))
                agree[:, cols] = unit.states[:, m][None, :] == np.arange(agree.shape[0])[:, None]
                self.agrees[cause] = agree
        # log q_fu(x) per finding and unit state, and log b_f; one extra zero row (padding)
        self.log_q = np.zeros((len(self.findings) + 1, n_states))
        self.log_b = np.zeros(len(self.findings) + 1)
        unit_index = {c: u for u, unit in enumerate(units) for c in unit.causes}
        for i, fid in enumerate(self.findings):
            cpt = cpts[fid]
            split = state_split(cpt, 0)
            assert split is not None  # checked by build
            self.log_b[i], vectors = split
            for parent, vector in zip(cpt.parents, vectors, strict=True):
                u = unit_index[parent]
                m = units[u].causes.index(parent)
                cols = self.starts[u] + np.arange(sizes[u])
                self.log_q[i, cols] += np.log(vector[units[u].states[:, m]])

    @classmethod
    def build(
        cls, spec: ModelSpec, cpts: Mapping[str, CPT] | None = None
    ) -> QuickscoreKernel | None:
        """The kernel for this model, or ``None`` when its findings are not noisy-OR products."""
        if spec.presentation is not None or spec.categorical:
            # not yet: the always-positive complaint and the averaged many-state finding
            # are not noisy-OR products of the evidence; the engine scores every case
            return None
        cpts = cpts_for(spec) if cpts is None else cpts
        causes = {c.variable.id for c in spec.causes}
        for finding in spec.findings:
            cpt = cpts[finding.variable.id]
            split = state_split(cpt, 0)
            if split is None or any(cause not in causes for cause in cpt.parents):
                return None
            if len(cpt.states) != 2 or min(float(v.min()) for v in split[1]) <= 0.0:
                return None
        return cls(spec, cpts, _units(spec, cpts))

    def __repr__(self) -> str:
        return (
            f"QuickscoreKernel({len(self.units)} units, {len(self.unit_of)} unit states, "
            f"{len(self.findings)} findings)"
        )

    def posteriors(self, codes: Codes) -> Posteriors:
        """Score every case: ``codes`` is ``(cases, variables)`` state indices, -1 unknown.

        Columns follow ``self.variables`` (risk factors, causes, findings).
        """
        n = len(codes)
        n_rf, n_c = len(self.risk_factors), len(self.causes)
        rf, cause, finding = codes[:, :n_rf], codes[:, n_rf : n_rf + n_c], codes[:, n_rf + n_c :]
        assignments = np.where(rf < 0, self.cards, 1).prod(axis=1)
        positives = (finding == 1).sum(axis=1)
        terms = np.where(positives < 32, assignments << np.minimum(positives, 31), MAX_TERMS + 1)
        eligible = terms <= MAX_TERMS
        marginals = np.full((n, len(self.columns)), np.nan)
        log_p = np.full(n, np.nan)
        ok = np.zeros(n, dtype=bool)
        cases = np.flatnonzero(eligible)
        ends = np.cumsum(terms[cases])  # rows used up to and including each case
        start = 0
        while start < len(cases):
            before = int(ends[start - 1]) if start else 0
            stop = max(start + 1, int(np.searchsorted(ends, before + CHUNK_ROWS, side="right")))
            chunk = cases[start:stop]
            m, lp, good = self._chunk(rf[chunk], cause[chunk], finding[chunk])
            marginals[chunk], log_p[chunk], ok[chunk] = m, lp, good
            start = stop
        return Posteriors(marginals, log_p, ok)

    def _chunk(
        self, rf: Codes, cause: Codes, finding: Codes
    ) -> tuple[Array, Array, NDArray[np.bool_]]:
        n = len(rf)
        # 1. every assignment of each case's unknown risk factors: rows (case, assignment)
        unknown = rf < 0
        per_case = np.where(unknown, self.cards, 1).prod(axis=1)
        case_of_row = np.repeat(np.arange(n), per_case)
        local = np.arange(len(case_of_row)) - np.repeat(np.cumsum(per_case) - per_case, per_case)
        full = np.empty((len(case_of_row), len(self.risk_factors)), dtype=np.intp)
        weight = np.ones(len(case_of_row))
        stride = np.ones(len(case_of_row), dtype=np.intp)
        for j, card in enumerate(self.cards):
            free = unknown[case_of_row, j]
            full[:, j] = np.where(free, (local // stride) % card, rf[case_of_row, j])
            stride = np.where(free, stride * card, stride)
            weight *= self.prevalence[j][full[:, j]]
        # 2. each unit's prior given the assignment, masked by evidence on causes
        prior = np.concatenate([self._unit_prior(u, full) for u in self.units], axis=1)
        agree = np.ones((n, prior.shape[1]))
        for c, name in enumerate(self.causes):
            seen = cause[:, c] >= 0
            if seen.any():
                agree[seen] *= self.agrees[name][cause[seen, c]]
        prior *= agree[case_of_row]
        # 3. negative findings fold into one log-factor per unit state
        negative = (finding == 0).astype(float)
        log_f = negative @ self.log_q[:-1]
        log_b = negative @ self.log_b[:-1]
        # 4. rows (case, assignment, subset S of the positive findings)
        k = (finding == 1).sum(axis=1)
        pos = np.full((n, max(1, int(k.max(initial=0)))), len(self.findings), dtype=np.intp)
        case_yes, finding_yes = np.nonzero(finding == 1)
        pos[case_yes, np.arange(len(case_yes)) - np.repeat(np.cumsum(k) - k, k)] = finding_yes
        subsets = np.left_shift(1, k[case_of_row])
        row_of = np.repeat(np.arange(len(case_of_row)), subsets)
        case = case_of_row[row_of]
        s = np.arange(len(row_of)) - np.repeat(np.cumsum(subsets) - subsets, subsets)
        log_fs = log_f[case]
        log_bs = log_b[case]
        sign = np.ones(len(s))
        for bit in range(pos.shape[1]):
            on = ((s >> bit) & 1).astype(bool)
            chosen = pos[case[on], bit]
            log_fs[on] += self.log_q[chosen]
            log_bs[on] += self.log_b[chosen]
            sign[on] = -sign[on]
        # 5. Z_uS, the terms, and the unit-state joints
        summand = prior[row_of] * np.exp(log_fs)
        z = np.add.reduceat(summand, self.starts, axis=1)
        term = sign * np.exp(log_bs) * weight[row_of] * z.prod(axis=1)
        first_of_case = np.cumsum(per_case << k) - (per_case << k)
        evidence = np.add.reduceat(term, first_of_case)
        size = np.add.reduceat(np.abs(term), first_of_case)
        others = np.divide(term[:, None], z, out=np.zeros_like(z), where=z > 0)
        joint = np.add.reduceat(others[:, self.unit_of] * summand, first_of_case, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            good = (evidence > 0) & (size <= MAX_KAPPA * evidence)
            marginals = (joint @ self.to_cause) / evidence[:, None]
            log_p = np.log(evidence)
        return marginals, log_p, good

    def _unit_prior(self, unit: _Unit, full: Index) -> Array:
        index = np.zeros(len(full), dtype=np.intp)
        for r in unit.risk_factors:
            j = self.risk_factors.index(r)
            index = index * self.cards[j] + full[:, j]
        return unit.prior[index]


def _units(spec: ModelSpec, cpts: Mapping[str, CPT]) -> list[_Unit]:
    """The causes that stay dependent given every risk factor, each group tabulated given them."""
    causes = [c.variable.id for c in spec.causes]
    risk_factors = {rf.variable.id for rf in spec.risk_factors}
    cards = {v: len(cpt.states) for v, cpt in cpts.items()}
    units = []
    for members, _ in dependent_groups(cpts, causes, risk_factors):
        rfs = tuple(dict.fromkeys(p for c in members for p in cpts[c].parents if p in risk_factors))
        table = joint_table((), rfs, members, cpts, cards)  # (1, *risk-factor cards, states)
        member_cards = [cards[c] for c in members]
        states = np.stack(np.unravel_index(np.arange(table.shape[-1]), member_cards), axis=1)
        units.append(_Unit(tuple(members), rfs, table.reshape(-1, table.shape[-1]), states))
    return units
