"""Exact posteriors whose cost is polynomial in the causes: Quickscore with a numerical guard.

Why not enumeration
-------------------
``EnumerationEngine`` touches every joint cause state (2^causes); at the shipped 20 causes
that is 2^19 x 4 numbers per answer (10-50 ms on one thread), a chunk of 2^18 at a time. This engine
never forms a joint over the causes. It uses three facts about the model:

1. Given *all* risk factors, the causes are independent, except causes joined by a
   cause-to-cause edge (achilles_tendinopathy -> achilles_rupture), which form one *unit*
   ``u`` with a small joint table ``T_u[p, x] = P(x_u | p)``, ``p`` the unit's risk-factor
   parents.
2. A finding observed in a state whose row of its table is a product of one factor per
   cause (noisy-OR/-MAX ``no``: ``P(no | x) = b prod_c q_c(x_c)``) is a per-unit factor: it
   folds into a vector ``d`` over unit states and costs nothing more. Unobserved findings
   are barren and never enter.
3. A finding observed in a state whose row is ``1 - b prod_c q_c`` (noisy-OR ``yes``)
   expands into two such products with signs (Heckerman's Quickscore). The presenting
   complaint (``spec.presentation``, a noisy-OR over every cause that ``Presenting`` in
   ``model.inference.engines`` adds to every query as ``yes``) is one such finding, always
   observed. A finding with the ``average`` rule (``symptom_duration``: the mean of the
   present linked causes' distributions) is, per state, a sum of ``1 + m ceil(m / 2)``
   non-negative products (``1 / n`` as an exact Gauss-Legendre integral of
   ``t^(n - 1)``; see ``_average_terms``), checked against its table at build time. Any
   other row (a logistic or inhibiting table) is written as the sum, over its parents'
   configurations ``z`` with a non-zero entry, of ``row(z) * prod_c [x_c = z_c]``: exact
   for any table, with as many terms as the table has non-zero cells (so polynomial while
   the table is small).

A risk factor that only one unit reads (``oestrogen``, ``active_cancer``, ... of the DVT
unit) is summed into that unit's table by its prevalence (masked and re-summed, memoised,
when it is observed), so it never multiplies the rows. The other risk factors are summed
by conditioning plus enumeration: a few *hub* risk factors ``H``
(chosen at build time, greedily, to minimise the cost below) are conditioned on; the
units then fall into *components* that share no other risk factor, and each component
enumerates the joint states ``r`` of its own risk factors (its *rows*). For one choice
``t`` of a term per expanded finding (coefficient ``c_t``, vectors ``v_t``):

``Z_u(p) = sum_x T_u[p, x] d(x) v_t(x)``, ``G_k(h) = sum_{r in k} w(h, r) prod_{u in k} Z_u(p_u(h, r))``
``P(e) = sum_t c_t sum_h w(h) prod_k G_k(h)``

and each unit state's joint ``P(x_u, e)`` is the same sum with ``Z_u`` replaced by its
summand (one more pass with the products of the other units: prefix and suffix products,
no division). Risk-factor posteriors come from the same pass (each row's share).

Cost model
----------
Per term combination: ``sum_u |P_u| |X_u|`` (the ``Z``) plus ``|H| sum_k |R_k| |U_k|``
(the rows) multiply-adds, times three for the posteriors, one combination per
``2^positives``; linear in the causes, the negative findings and the rows, exponential
only in the positive (or general) findings observed (the complaint counts as one, an
``average`` finding as its term count). The shipped 20 causes make 17 units, 7 hubs (384
hub states), 10 components and 9,984 rows; bench/RESULTS.md has the measured times.
Evidence on risk factors zeroes rows, which the kernel skips.

The guard
---------
The signed sum can cancel. All the arithmetic inside one combination is on non-negative
numbers, so each combination's value carries a relative rounding error of about
``depth * eps`` (``depth``: the roundings along one product, counted from the structure,
sums counted as balanced trees; a model of the error, not a worst-case proof, hence the
factor ten of margin below); the sum of their absolute values over ``P(e)`` is the
condition number ``kappa``, and every posterior is then within ``2 kappa depth eps`` of
exact (a unit's posteriors share the combinations of ``P(e)``). When that bound exceeds
``TOLERANCE`` (1e-10, ten times under the promised 1e-9) the engine tries, in order, the
tiers below. With ``PRECHECK_FINDINGS`` or more positive findings each one's own ``kappa``
is measured first (two combinations each), and a sum whose product of them passes
``HOPELESS`` times the limit is not run at all.

1. *The fired-set sweep* (``model.inference.fired``): the same ``P(e)`` and posteriors
   from non-negative numbers only, a bit per positive finding ("has it fired yet?")
   carried along the units through the same hubs, components and rows, so no
   cancellation whatever the evidence (near-impossible evidence included). The engine
   goes to it *first* when its estimated time is at most ``FIRED_PREFER`` times the signed
   sum's (both least-squares fits of measured queries; the signed sum's grows with each
   positive finding, as its guard trips more often), or when the signed sum exceeds its
   budget; on the shipped model the signed sum's ``kappa`` was measured at 1e6-1e14 with
   five to ten positive findings (the complaint counts). The
   finding whose bit touches the most units (the complaint's: every unit) is kept out of
   the bits, as its two signed terms (two runs), when that is estimated cheaper: a unit
   no other bit touches is then one number per row, multiplied out by the kernel. That
   sum cancels only by about ``2 / P(complaint | rest)``, at most about ``2 / leak`` (200
   with the shipped leak 0.01), which the same guard measures; if it trips, the sweep
   with every bit answers (``stats["fired_signed"]`` counts the signed ones). It is taken
   only while its estimated time (``sweep_seconds``, ``model.inference.fired``) is below
   enumeration's (``_stable_seconds``: 9-50 ms on the shipped model, less when risk factors
   that are hubs are answered), or within ``FIRED_LARGE_BUDGET`` multiply-adds when the
   stable method would be pgmpy, and within ``MAX_FIRED_NUMBERS`` numbers of working memory.
2. *Sign-free terms for the worst findings.* A noisy-OR ``yes`` row is also, without any
   sign, ``(1 - b) + sum_j b prod_{i<j} Q_i (1 - Q_j)`` over its parent units ``j`` in a
   fixed order ("the first unit that fires is j"): one term per parent unit plus the
   leak, all non-negative, so that finding adds nothing to ``kappa``. Each positive
   finding's own ``kappa`` is measured (two combinations each) and the worst ones are
   switched to this form while the combinations fit ``WORK_BUDGET``.
3. *Double-double.* The same signed sum in double-double arithmetic (about 106 bits,
   ``DD_COST`` times the work), when cheaper than the stable method: tolerates ``kappa``
   up to about 1e18.
4. *The stable method*: ``EnumerationEngine`` while the model has at most
   ``STABLE_CONFIGS`` (2^22, enumeration's own limit) cause configurations and its plan
   fits (10-50 ms at the shipped 21 binary-equivalent causes; about 15 MB beyond this engine's own, measured
   by tracemalloc: two 6 MB blocks of the DVT component, without and with risk-factor
   evidence, the complaint's table over one chunk and a few working chunks, 2 MB each, of
   the configurations), else pgmpy's variable
   elimination. It answers evidence on which the sweep is estimated slower (on the shipped
   model, from about six positive findings besides the complaint, or two with
   ``symptom_duration``) and the signed sum too (``_signed_seconds``, whose fit counts the
   guard's retries: on a small network, enumeration's 0.5 ms beats eight or more positive
   findings), evidence whose ``P(e)`` computes to zero (it names the items that conflict),
   and general findings with more than ``MAX_GENERAL_TERMS`` terms.

``stats`` counts the queries that took each path (``quickscore`` includes the telescoped
and double-double answers, ``fired`` the signed-runs sweeps, counted again under their own
names).

Compilation
-----------
The kernels (``model.inference._noisyor_kernel``, and ``model.inference._fired_kernel`` for
the sweep) are compiled by numba with ``cache=True`` on the first query that needs each,
never at import: ``import model`` and ``calfdx --help`` do not load numba.

Rebuilding
----------
``NoisyOrEngine(spec, previous=old)`` keeps the old engine's plan (hubs, components,
rows) when the network is the same, and recomputes only the unit tables, prevalences and
finding terms whose spec entries changed (the same table objects are reused, as in
``EnumerationEngine``; calibrated baselines can move every cause's table). The stable
engine is updated from the old one on first need only.

>>> from model.priors.loader import load_spec
>>> eng = NoisyOrEngine(load_spec())
>>> eng.plan.private[eng.causes.index("doms")], len(eng.plan.components)
((), 10)
>>> p = eng.marginals(["dvt"], {"one_leg_swelling": "yes", "calf_pain_presentation": "yes"})["dvt"]
>>> bool(abs(p.sum() - 1.0) < 1e-12)
True
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from model.inference.answers import AnswerKey, marginals_after
from model.inference.enumeration import (
    MAX_CONFIGS,
    EnumerationEngine,
    _updated_cpts,
    dependent_groups,
    enumeration_plan,
    joint_table,
    rank_one,
    state_split,
)
from model.inference.fired import (
    FIRED_LARGE_BUDGET,
    FIRED_PREFER,
    SWEEP_FIXED,
    Bit,
    Choice,
    Layout,
    Sweeps,
    noisy_or_bit,
    plan_runs,
    sweep,
    sweep_seconds,
    touches,
)
from model.inference.tables import CPT, Array
from model.priors.spec import CategoricalFinding, ModelSpec

MAX_ROWS = 1 << 18  # risk-factor rows over all components (each ~100 bytes of plan)
MAX_COMBOS = 1 << 16  # term combinations per query (the work budget usually binds first)
WORK_BUDGET = 4_000_000  # multiply-adds per query (about 2 ms) before enumeration is cheaper
LARGE_BUDGET = 60_000_000  # the same when the stable method is pgmpy (slower still)
MAX_GENERAL_TERMS = 64  # non-zero cells of a general finding row
TOLERANCE = 1e-10  # the bound on any posterior's rounding error before the guard trips
EPS = 2.0**-53
DD_EPS = 4.0 * 2.0**-104  # double-double: a few units of 2^-104 per operation
DD_COST = 12  # a double-double operation costs about this many double ones
PRECHECK_FINDINGS = 6  # positive findings from which the sum's kappa is estimated first
HOPELESS = 1e5  # estimated kappa over the guard's limit beyond which the sum is not run
DD_BUDGET = 40_000_000  # double-double multiply-adds (about 10 ms) before the stable path
STABLE_CONFIGS = MAX_CONFIGS  # enumeration as the stable method up to this many configurations
STABLE_OPS = 40  # enumeration's work per cause configuration and posterior (numpy passes)
# enumeration's time per cause configuration, weighed against the sweep's estimate: fixed,
# per hub state the evidence leaves, per observed finding beyond its first state (a least
# squares fit of 228 cold queries: literature cases and bench sets, one thread, median
# relative error 7%; 9-50 ms at the shipped 2^21)
STABLE_SECONDS = 4.2e-9
STABLE_SECONDS_PER_HUB = 2.75e-11
STABLE_SECONDS_PER_FINDING = 4.2e-10
# the signed sum's time, about ``SIGNED_FIXED + SIGNED_SECONDS * split_work ** SIGNED_POWER *
# live ** SIGNED_HUB_POWER * SIGNED_PER_FINDING ** positives`` (the last for the guard's
# retries, likelier with each positive finding): a least-squares fit of log time over the
# 871 queries it answered among the sets of the sweep's fit (``model.inference.fired``);
# median relative error 25%, 31% on the shipped model. Weighed against the sweep's time.
SIGNED_FIXED = 4.5e-5
SIGNED_SECONDS = 6.4e-10
SIGNED_POWER = 1.018
SIGNED_HUB_POWER = 0.385
SIGNED_PER_FINDING = 1.37


def _prod(values: Sequence[int]) -> int:
    return math.prod(values) if values else 1


@dataclass(frozen=True)
class _Plan:
    """The structure: units, hubs, components and their rows (shared across rebuilds)."""

    units: list[tuple[tuple[str, ...], tuple[str, ...]]]  # (causes, risk-factor parents)
    hubs: list[str]
    components: list[tuple[list[int], list[str]]]  # (unit ids, own risk factors)
    arrays: dict[str, Any]
    n_rows: int
    # per unit: the risk factors no other unit reads, summed into the unit's table
    private: tuple[tuple[str, ...], ...] = ()


@dataclass
class _Solved:
    log_p: float
    joint: Array  # per unit state, normalised
    hub_share: Array
    row_share: Array
    path: str = "quickscore"
    signed_runs: bool = False  # a fired-set sweep with one finding as two signed runs


class NoisyOrEngine:
    """Exact posteriors by guarded Quickscore (see the module doc).

    Parameters
    ----------
    spec
        The validated model.
    previous
        An engine of the same network to update (``ModelSpec.with_values``).
    """

    def __init__(
        self,
        spec: ModelSpec,
        previous: NoisyOrEngine | None = None,
        tables: Mapping[str, CPT] | None = None,
    ) -> None:
        self.spec = spec
        # ``tables``: every table, given directly (a finding table the spec cannot express yet)
        self._custom = tables is not None
        cpts: dict[str, CPT] = (
            dict(tables) if tables is not None else _updated_cpts(spec, previous)  # type: ignore[arg-type]
        )
        if previous is not None and not _same_structure(previous.cpts, cpts):
            previous = None
        self._cpts = cpts
        self.states = {k: c.states for k, c in cpts.items()}
        self.risk_factors = [rf.variable.id for rf in spec.risk_factors]
        self.causes = [c.variable.id for c in spec.causes]
        self.findings = list(spec.network_findings)
        known = {*self.risk_factors, *self.causes, *self.findings}
        self.findings += [k for k in cpts if k not in known]  # extra findings in ``tables``
        self._kinds = {v: "risk_factor" for v in self.risk_factors}
        self._kinds.update({v: "cause" for v in self.causes})
        self._kinds.update({v: "finding" for v in self.findings})
        self._lock = threading.Lock()
        self._last: tuple[Any, _Solved | None] | None = None
        self.stats = {
            "quickscore": 0, "fired": 0, "stable": 0, "double_double": 0, "telescoped": 0,
            "fired_signed": 0,
        }  # fmt: skip
        self._stable_engine: EnumerationEngine | None = None
        # the previous stable engine, updated on first need only (most updates never ask)
        self._stable_prev: EnumerationEngine | None = None
        if previous is not None and not self._custom:
            old = previous._stable_engine or previous._stable_prev
            self._stable_prev = old if isinstance(old, EnumerationEngine) else None
        causes = set(self.causes)
        self.supported = all(set(cpts[f].parents) <= causes for f in self.findings)
        if not self.supported:
            return
        self.plan: _Plan = previous.plan if previous is not None else self._make_plan()
        self.supported = self.plan.n_rows <= MAX_ROWS
        if not self.supported:
            return
        self._build_tables(previous)
        self._build_findings(previous)

    # -- structure ----------------------------------------------------------------------

    @property
    def cpts(self) -> Mapping[str, CPT]:
        """The model's tables as this engine computed them (``model.tables``)."""
        return self._cpts

    def _make_plan(self) -> _Plan:
        cpts, rfs = self._cpts, set(self.risk_factors)
        full = []
        for members, _ in dependent_groups(cpts, self.causes, rfs):
            parents = tuple(dict.fromkeys(p for c in members for p in cpts[c].parents if p in rfs))
            full.append((tuple(members), parents))
        # a risk factor read by one unit only is summed into that unit's table (by its
        # prevalence, masked when observed): it never becomes a row
        readers: dict[str, int] = {}
        for _, ps in full:
            for p in ps:
                readers[p] = readers.get(p, 0) + 1
        private = tuple(tuple(p for p in ps if readers[p] == 1) for _, ps in full)
        units = [(members, tuple(p for p in ps if readers[p] > 1)) for members, ps in full]
        card = {v: len(s) for v, s in self.states.items()}
        used = [r for r in self.risk_factors if any(r in u[1] for u in units)]

        def components(hubs: set[str]) -> list[tuple[list[int], list[str]]]:
            parent = list(range(len(units)))

            def find(i: int) -> int:
                while parent[i] != i:
                    parent[i] = parent[parent[i]]
                    i = parent[i]
                return i

            owner: dict[str, int] = {}
            for i, (_, ps) in enumerate(units):
                for p in ps:
                    if p in hubs:
                        continue
                    if p in owner:
                        parent[find(i)] = find(owner[p])
                    owner[p] = i
            groups: dict[int, list[int]] = {}
            for i in range(len(units)):
                groups.setdefault(find(i), []).append(i)
            out = []
            for members in groups.values():
                own = [r for r in used if r not in hubs and any(r in units[i][1] for i in members)]
                out.append((members, own))
            return out

        def cost(hubs: list[str]) -> int:
            n_hub = _prod([card[h] for h in hubs])
            return n_hub * sum(
                _prod([card[r] for r in own]) * (len(members) + 1)
                for members, own in components(set(hubs))
            )

        hubs: list[str] = []
        best = cost(hubs)
        while True:
            trials = [(cost([*hubs, r]), r) for r in used if r not in hubs]
            if not trials:
                break
            c, pick = min(trials)
            if c >= best:
                break
            best, hubs = c, [*hubs, pick]
        comps = components(set(hubs))
        # the units most findings read first, in the component holding the first: the
        # fired-set sweep (``model.inference.fired``) meets most bits there, while every
        # state is still clear (order is free: the products commute)
        touched = [sum(1 for f in self.findings if set(cpts[f].parents) & set(m)) for m, _ in units]
        comps = [(sorted(m, key=lambda u: -touched[u]), own) for m, own in comps]
        comps.sort(key=lambda c: -max(touched[u] for u in c[0]))
        n_rows = sum(
            _prod([card[h] for h in hubs]) * _prod([card[r] for r in own]) for _, own in comps
        )
        if n_rows > MAX_ROWS:
            return _Plan(units, hubs, comps, {}, n_rows, private)
        arrays = self._plan_arrays(units, hubs, comps)
        return _Plan(units, hubs, comps, arrays, n_rows, private)

    def _plan_arrays(
        self,
        units: list[tuple[tuple[str, ...], tuple[str, ...]]],
        hubs: list[str],
        comps: list[tuple[list[int], list[str]]],
    ) -> dict[str, Any]:
        card = {v: len(s) for v, s in self.states.items()}
        rf_index = {r: i for i, r in enumerate(self.risk_factors)}
        hub_cards = [card[h] for h in hubs]
        n_hub = _prod(hub_cards)
        hub_codes = (
            np.stack(np.unravel_index(np.arange(n_hub), hub_cards), axis=1)
            if hubs
            else np.zeros((1, 0), dtype=np.int64)
        )
        max_rf = max([len(own) for _, own in comps] + [1])
        max_units = max([len(m) for m, _ in comps] + [1])
        comp_rows, row_hub, row_codes, row_pidx = [0], [], [], []
        comp_rfs = np.zeros((len(comps), max_rf), dtype=np.int64)
        comp_units = np.zeros((len(comps), max_units), dtype=np.int64)
        for k, (members, own) in enumerate(comps):
            comp_rfs[k, : len(own)] = [rf_index[r] for r in own]
            comp_units[k, : len(members)] = members
            own_cards = [card[r] for r in own]
            n_own = _prod(own_cards)
            own_codes = (
                np.stack(np.unravel_index(np.arange(n_own), own_cards), axis=1)
                if own
                else np.zeros((1, 0), dtype=np.int64)
            )
            hh = np.repeat(np.arange(n_hub), n_own)
            rr = np.tile(np.arange(n_own), n_hub)
            codes = np.zeros((len(hh), max_rf), dtype=np.int64)
            codes[:, : len(own)] = own_codes[rr]
            value = {h: hub_codes[hh, j] for j, h in enumerate(hubs)}
            value.update({r: own_codes[rr, j] for j, r in enumerate(own)})
            pidx = np.zeros((len(hh), max_units), dtype=np.int64)
            for j, u in enumerate(members):
                flat = np.zeros(len(hh), dtype=np.int64)
                for p in units[u][1]:
                    flat = flat * card[p] + value[p]
                pidx[:, j] = flat
            row_hub.append(hh)
            row_codes.append(codes)
            row_pidx.append(pidx)
            comp_rows.append(comp_rows[-1] + len(hh))
        offsets = np.cumsum([0] + [card[r] for r in self.risk_factors])
        unit_nx = np.array([_prod([card[c] for c in m]) for m, _ in units], dtype=np.int64)
        unit_np = np.array([_prod([card[p] for p in ps]) for _, ps in units], dtype=np.int64)
        return {
            "rf_off": offsets[:-1].astype(np.int64),
            "hub_codes": hub_codes.astype(np.int64),
            "hub_vars": np.array([rf_index[h] for h in hubs], dtype=np.int64),
            "comp_rows": np.array(comp_rows, dtype=np.int64),
            "comp_rfs": comp_rfs,
            "comp_nrf": np.array([len(own) for _, own in comps], dtype=np.int64),
            "comp_units": comp_units,
            "comp_nunits": np.array([len(m) for m, _ in comps], dtype=np.int64),
            "row_hub": np.concatenate(row_hub).astype(np.int64),
            "row_codes": np.concatenate(row_codes),
            "row_pidx": np.concatenate(row_pidx),
            "unit_xs": np.concatenate([[0], np.cumsum(unit_nx)[:-1]]).astype(np.int64),
            "unit_nx": unit_nx,
            "unit_np": unit_np,
            "t_off": np.concatenate([[0], np.cumsum(unit_nx * unit_np)[:-1]]).astype(np.int64),
        }

    def _build_tables(self, previous: NoisyOrEngine | None) -> None:
        """Unit tables, unit-state layout and prevalences (reusing unchanged unit tables)."""
        plan, cpts = self.plan, self._cpts
        card = {v: len(s) for v, s in self.states.items()}
        tables, fulls = [], []
        for i, (members, parents) in enumerate(plan.units):
            private = plan.private[i]
            same = previous is not None and all(cpts[c] is previous.cpts[c] for c in members)
            if same:
                assert previous is not None
                fulls.append(previous._unit_full[i])
                if all(cpts[r] is previous.cpts[r] for r in private):
                    tables.append(previous._unit_tables[i])
                    continue
            else:
                t = joint_table(
                    (), (*parents, *private), members, {c: cpts[c] for c in members}, card
                )
                n_shared = _prod([card[p] for p in parents])
                fulls.append(np.ascontiguousarray(t.reshape(n_shared, -1, t.shape[-1])))
            weights = outer_vectors([cpts[r].values for r in private])
            tables.append(np.ascontiguousarray(np.einsum("spx,p->sx", fulls[-1], weights)))
        self._unit_full: list[Array] = fulls  # (shared parents, private parents, unit states)
        self._unit_tables: list[Array] = tables
        self._private_of = {r: i for i, ps in enumerate(plan.private) for r in ps}
        self._t_memo: dict[tuple[tuple[str, int], ...], Array] = {}
        self._t_flat = np.concatenate([t.ravel() for t in tables])
        self.n_xs = int(sum(t.shape[1] for t in tables))
        # each cause's state at every unit state, and where its unit's states are
        self._cause_state: dict[str, tuple[int, int, Array]] = {}
        self._cause_cols: dict[str, tuple[int, int]]
        start = 0
        for (members, _), t in zip(plan.units, tables, strict=True):
            n = t.shape[1]
            states = np.unravel_index(np.arange(n), [card[c] for c in members])
            for c, s in zip(members, states, strict=True):
                self._cause_state[c] = (start, start + n, np.asarray(s))
            start += n
        # unit state -> each cause state, so that every cause marginal is one product
        self._cause_cols = {}
        col = 0
        for c in self.causes:
            self._cause_cols[c] = (col, col + len(self.states[c]))
            col += len(self.states[c])
        self._to_cause = np.zeros((self.n_xs, col))
        for c, (lo, hi, idx) in self._cause_state.items():
            self._to_cause[np.arange(lo, hi), self._cause_cols[c][0] + idx] = 1.0
        self._rfw = np.concatenate([cpts[r].values for r in self.risk_factors]).astype(float)
        used = {p for _, ps in plan.units for p in ps} | set(self._private_of)
        self._orphans = {r for r in self.risk_factors if r not in used}
        self._unit_bounds = plan.arrays["unit_xs"]
        a = plan.arrays
        rows_units = int(np.diff(a["comp_rows"]) @ (a["comp_nunits"] + 1))
        self._work_per_combo = 3 * rows_units + 2 * int(a["unit_np"] @ a["unit_nx"])
        # roundings along one term's product, bounded from the structure (the guard's depth)
        self._depth = (
            len(plan.units) + len(self.risk_factors) + 2 * math.log2(max(2, plan.n_rows)) + 16
        )
        n_configs = _prod([len(self.states[c]) for c in self.causes])
        n_hub = _prod([len(self.states[h]) for h in plan.hubs])
        # what the stable method costs: enumeration while it fits and its plan allows (about
        # STABLE_OPS operations, STABLE_SECONDS, per cause configuration), else pgmpy
        # (counted as huge; always pgmpy for tables given directly, see ``_stable``)
        self._stable_hubs: dict[str, int] | None
        if previous is not None and not self._custom:
            self._stable_hubs = previous._stable_hubs
        else:
            self._stable_hubs = self._enumeration_hubs(n_configs)
        stable = self._stable_hubs is not None
        self._stable_work = n_configs * STABLE_OPS if stable else 10**12
        self._n_configs = n_configs
        self._hub_cards = {h: len(self.states[h]) for h in plan.hubs}
        self._budget = min(LARGE_BUDGET, max(WORK_BUDGET, self._stable_work))
        comp_of_unit = np.zeros(len(plan.units), dtype=np.int64)
        for k, (unit_ids, _) in enumerate(plan.components):
            comp_of_unit[unit_ids] = k
        unit_of_cause = {c: i for i, (unit_causes, _) in enumerate(plan.units) for c in unit_causes}
        self._finding_comps = {
            f: sorted({int(comp_of_unit[unit_of_cause[c]]) for c in cpts[f].parents})
            for f in self.findings
            if set(cpts[f].parents) <= set(unit_of_cause)
        }
        rows = np.diff(a["comp_rows"])
        self._comp_work = 3 * rows * (a["comp_nunits"] + 1) + 2 * np.array(
            [sum(int(a["unit_np"][u] * a["unit_nx"][u]) for u in m) for m, _ in plan.components]
        )
        self._n_hub = n_hub

    def _unit_vector(self, factors: Mapping[str, Array]) -> Array:
        """A per-cause factor (cause -> vector over its states) laid out over unit states."""
        out = np.ones(self.n_xs)
        for c, vec in factors.items():
            lo, hi, s = self._cause_state[c]
            out[lo:hi] *= np.asarray(vec, dtype=float)[s]
        return out

    def _build_findings(self, previous: NoisyOrEngine | None) -> None:
        """For every finding and state: fold (rank one), expand (terms), or decline."""
        entries: dict[tuple[str, int], tuple[Any, ...]] = {}
        # the same states as the fired-set sweep's non-negative terms (``model.inference.fired``)
        fired: dict[tuple[str, int], list[Choice] | None] = {}
        for f in self.findings:
            cpt = self._cpts[f]
            if previous is not None and cpt is previous.cpts[f]:
                old: dict[tuple[str, int], tuple[Any, ...]] = previous._entry_src
                for s in range(len(cpt.states)):
                    entries[(f, s)] = old[(f, s)]
                    fired[(f, s)] = previous._fired_src[(f, s)]
                continue
            average = self._average_rule.get(f)
            for s in range(len(cpt.states)):
                found = None if average is None else self._average_terms(average, cpt, s)
                if found is not None:
                    entries[(f, s)], fired[(f, s)] = found
                    continue
                entries[(f, s)] = entry = self._classify(cpt, s)
                fired[(f, s)] = _fired_form(entry)
        self._entry_src: dict[tuple[str, int], tuple[Any, ...]] = entries
        self._fired_src: dict[tuple[str, int], list[Choice] | None] = fired
        a = self.plan.arrays
        self._layout = Layout.of(
            self._unit_bounds,
            a["unit_nx"],
            [m for m, _ in self.plan.components],
            a["comp_rows"],
            a["unit_np"] * a["unit_nx"],
            self._n_hub,
        )
        # which units each bit touches, by id (the bits live in ``_fired_src``)
        self._bit_hits = {
            id(bit): touches(bit, self._unit_bounds, a["unit_nx"])
            for form in fired.values()
            for _, _, bit in form or []
            if bit is not None
        }
        folds: list[Array] = []
        terms_v: list[Array] = []
        terms_c: list[float] = []
        self._entry: dict[tuple[str, int], tuple[Any, ...]] = {}
        for key, entry in entries.items():
            if entry[0] == "fold":
                self._entry[key] = ("fold", len(folds), entry[1])
                folds.append(entry[2])
            elif entry[0] == "expand":
                start = len(terms_c)
                terms_c.extend(entry[1])
                terms_v.extend(entry[2])
                tele = (len(terms_c), len(entry[3])) if len(entry) > 3 else (start, len(entry[1]))
                if len(entry) > 3:
                    terms_c.extend(entry[3])
                    terms_v.extend(entry[4])
                self._entry[key] = ("expand", start, len(entry[1]), *tele)
            else:
                self._entry[key] = ("decline",)
        self._fold_v = np.array(folds) if folds else np.ones((1, self.n_xs))
        self._term_v = np.array(terms_v) if terms_v else np.ones((1, self.n_xs))
        self._term_c = np.array(terms_c, dtype=float) if terms_c else np.ones(1)

    def _classify(self, cpt: CPT, s: int) -> tuple[Any, ...]:
        # a noisy-OR's split is read off its factors: its table (the complaint's is 32 MB)
        # is never built here
        split = state_split(cpt, s)
        if split is not None:
            log_b, vectors = split
            return ("fold", log_b, self._unit_vector(dict(zip(cpt.parents, vectors, strict=True))))
        # a two-state table's other row is 1 - row exactly as built (finding_cpt): split
        # it, not 1 - row, whose rounding would hide the product form
        two = len(cpt.states) == 2
        other = state_split(cpt, 1 - s) if two else rank_one(1.0 - cpt.values[s])
        if other is not None:
            log_b, vectors = other
            per_cause = dict(zip(cpt.parents, vectors, strict=True))
            q = self._unit_vector(per_cause)
            b = math.exp(log_b)
            # the same row without signs: the leak fires, or the first unit (in a fixed
            # order) that fires is unit j: (1 - b) + sum_j b prod_{i<j} Q_i (1 - Q_j)
            coefs, vecs = [1.0 - b], [np.ones(self.n_xs)]
            before = np.ones(self.n_xs)
            for lo, hi in self._units_of(cpt.parents):
                fires = np.ones(self.n_xs)
                fires[lo:hi] = 1.0 - q[lo:hi]
                coefs.append(b)
                vecs.append(before * fires)
                before = before.copy()
                before[lo:hi] = q[lo:hi]
            return ("expand", [1.0, -b], [np.ones(self.n_xs), q], coefs, vecs)
        row = cpt.row(s)
        cells = np.argwhere(row > 0.0)
        if len(cells) > MAX_GENERAL_TERMS:
            return ("decline",)
        coefs, vecs = [], []
        for z in cells:
            picks = {}
            for c, zc in zip(cpt.parents, z, strict=True):
                v = np.zeros(len(self.states[c]))
                v[zc] = 1.0
                picks[c] = v
            coefs.append(float(row[tuple(z)]))
            vecs.append(self._unit_vector(picks))
        if not coefs:  # a state the finding never takes: P = 0 whatever the causes
            return ("expand", [0.0], [np.zeros(self.n_xs)])
        return ("expand", coefs, vecs)

    @property
    def _average_rule(self) -> dict[str, CategoricalFinding]:
        if self._custom:
            return {}
        return {f.variable.id: f for f in self.spec.categorical if f.rule == "average"}

    def _average_terms(
        self, cat: CategoricalFinding, cpt: CPT, s: int
    ) -> tuple[tuple[Any, ...], list[Choice]] | None:
        """State ``s`` of an ``average``-rule finding as a sum of non-negative product terms.

        With ``m`` linked causes, ``P(s | x) = [none present] leak(s) + (1 / n) sum_c
        [x_c present] d_{c, x_c}(s)`` for ``n >= 1`` present; ``1 / n = int_0^1 t^(n - 1) dt``
        and ``t^(n - 1)`` is a polynomial of degree below ``m``, so Gauss-Legendre with
        ``ceil(m / 2)`` nodes ``t_j`` (weights ``w_j``) integrates it exactly:
        ``sum_j w_j sum_c h_c(x_c) prod_{c' != c} g_{c'}(x_{c'}, t_j)``, ``g = t_j`` on a
        present state and 1 elsewhere. ``1 + m ceil(m / 2)`` terms, none negative (so the
        guard's ``kappa`` does not grow). Checked against the table; ``None`` if it differs.
        Also returns the same sum as the fired-set sweep's terms (``model.inference.fired``).
        """
        parents = list(cpt.parents)
        card = {c: len(self.states[c]) for c in parents}
        present = {c: np.zeros(card[c]) for c in parents}
        dist = {c: np.zeros(card[c]) for c in parents}
        for link in cat.links:
            k = self.states[link.cause].index(link.state)
            v = np.array([e.value for e in link.entries], dtype=float)
            present[link.cause][k] = 1.0
            dist[link.cause][k] = v[s] / v.sum()
        leak = np.array([e.value for e in cat.leak], dtype=float)
        nodes, weights = np.polynomial.legendre.leggauss(max(1, math.ceil(len(parents) / 2)))
        coefs: list[float] = [float(leak[s] / leak.sum())]
        factors: list[dict[str, Array]] = [{c: 1.0 - present[c] for c in parents}]
        for x, w in zip(nodes, weights, strict=True):
            t = 0.5 * (x + 1.0)
            for c in parents:
                factor = {o: 1.0 + (t - 1.0) * present[o] for o in parents if o != c}
                factor[c] = dist[c]
                coefs.append(0.5 * float(w))
                factors.append(factor)
        # the check, accumulated per node as a dual number over the parents (``a`` the
        # product of the g, ``b`` the sum with one factor swapped for its d): about four
        # times cheaper than the terms one by one
        rebuilt = coefs[0] * outer_vectors([factors[0][c] for c in parents])
        for x, w in zip(nodes, weights, strict=True):
            t = 0.5 * (x + 1.0)
            a, b = np.ones(1), np.zeros(1)
            for c in parents:
                g = 1.0 + (t - 1.0) * present[c]
                a, b = (
                    np.multiply.outer(a, g),
                    np.multiply.outer(b, g) + np.multiply.outer(a, dist[c]),
                )
            rebuilt = rebuilt + 0.5 * float(w) * b.ravel()
        if not np.allclose(rebuilt, cpt.values[s].ravel(), rtol=1e-12, atol=1e-15):
            return None
        vecs = [self._unit_vector(f) for f in factors]
        # the fired-set form: the leak term, and per node one bit "the cause chosen" with
        # stay = keep = g_j (the product of every unit's g) and fire = h_j (its unit's share)
        choices: list[Choice] = [(coefs[0], vecs[0], None)]
        m = len(parents)
        for j in range(len(nodes)):
            t = 0.5 * (nodes[j] + 1.0)
            g = self._unit_vector({o: 1.0 + (t - 1.0) * present[o] for o in parents})
            h = np.zeros(self.n_xs)
            for i, c in enumerate(parents):
                lo, hi, _ = self._cause_state[c]
                h[lo:hi] += vecs[1 + j * m + i][lo:hi]
            choices.append((coefs[1 + j * m], None, Bit(g, h, g, 1.0, 0.0, 0.0)))
        return ("expand", coefs, vecs), choices

    def _split_work(self, touch: Any, counts: Any) -> float:
        """Multiply-adds of ``quickscore_split`` for these findings' term counts."""
        n_comp = len(self._comp_work)
        local = np.where(touch, counts[None, :], 1).prod(axis=1) if len(counts) else np.ones(n_comp)
        outer = float(np.prod(counts)) * self._n_hub * len(self._comp_work) * 3
        return float(local @ self._comp_work) + outer

    def _units_of(self, causes: Sequence[str]) -> list[tuple[int, int]]:
        """The unit-state ranges of the units that hold these causes, each once."""
        return list(dict.fromkeys(self._cause_state[c][:2] for c in causes))

    def __repr__(self) -> str:
        if not self.supported:
            return f"NoisyOrEngine({len(self.causes)} causes, unsupported structure: stable engine)"
        p = self.plan
        return (
            f"NoisyOrEngine({len(self.causes)} causes in {len(p.units)} units, "
            f"hubs: {', '.join(p.hubs)}; {len(p.components)} components, {p.n_rows} rows)"
        )

    # -- answering ----------------------------------------------------------------------

    def _stable(self) -> Any:
        if self._custom:
            if self._stable_engine is None:
                from model.inference.pgmpy_adapter import VariableEliminationEngine

                self._stable_engine = VariableEliminationEngine(network_from_tables(self._cpts))  # type: ignore[assignment]
            return self._stable_engine
        if self._stable_engine is None:
            engine = EnumerationEngine(
                self.spec, max_configs=STABLE_CONFIGS, previous=self._stable_prev
            )
            with self._lock:
                self._stable_engine, self._stable_prev = engine, None
        return self._stable_engine

    def _solve(self, evidence: Mapping[str, str]) -> _Solved | None:
        """The guarded Quickscore answer, or ``None`` when the stable method must answer."""
        key = tuple(sorted(evidence.items()))
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        out = self._compute(evidence)
        with self._lock:
            self._last = (key, out)
            self.stats[out.path if out is not None else "stable"] += 1
            if out is not None and out.signed_runs:
                self.stats["fired_signed"] += 1
        return out

    def _compute(self, evidence: Mapping[str, str], force: str | None = None) -> _Solved | None:
        """The answer by the cheapest path that is exact to ``TOLERANCE`` (``None``: stable engine).

        ``force="fired"`` takes the fired-set sweep whenever it can (tests, doctests).
        """
        if not self.supported:
            return None
        a = self.plan.arrays
        rfw = self._rfw.copy()
        d = np.ones(self.n_xs)
        log_scale = 0.0
        folds: list[int] = []
        exp_start: list[int] = []
        exp_count: list[int] = []
        tele: list[tuple[int, int]] = []
        exp_ids: list[str] = []
        exp_keys: list[tuple[str, int]] = []
        private: list[tuple[str, int]] = []
        rf_off = a["rf_off"]
        for var, state in evidence.items():
            kind = self._kinds[var]
            s = self.states[var].index(state)
            if kind == "risk_factor":
                j = self.risk_factors.index(var)
                if var in self._orphans:
                    p = float(rfw[rf_off[j] + s])
                    if p <= 0.0:
                        return None
                    log_scale += math.log(p)
                    continue
                if var in self._private_of:
                    private.append((var, s))
                    continue
                lo = rf_off[j]
                keep = rfw[lo + s]
                rfw[lo : lo + len(self.states[var])] = 0.0
                rfw[lo + s] = keep
            elif kind == "cause":
                lo, hi, cs = self._cause_state[var]
                d[lo:hi] *= cs == s
            else:
                entry = self._entry[(var, s)]
                if entry[0] == "fold":
                    folds.append(entry[1])
                    log_scale += entry[2]
                elif entry[0] == "expand":
                    exp_start.append(entry[1])
                    exp_count.append(entry[2])
                    tele.append((entry[3], entry[4]))
                    exp_ids.append(var)
                    exp_keys.append((var, s))
                else:
                    return None
        combos = _prod(exp_count)
        touch = np.zeros((len(self.plan.components), len(exp_start)), dtype=np.bool_)
        for i, f in enumerate(exp_ids):
            touch[self._finding_comps[f], i] = True
        counts0 = np.array(exp_count, dtype=np.int64)
        split_work = self._split_work(touch, counts0)
        signed_fits = combos <= MAX_COMBOS and split_work <= self._budget
        live = _prod([n for h, n in self._hub_cards.items() if h not in evidence]) / self._n_hub
        stable_s = self._stable_seconds(evidence, len(exp_start))
        signed_s = _signed_seconds(split_work, live, len(exp_start))
        if signed_fits and stable_s is not None and signed_s > stable_s and force is None:
            # estimated dearer than the stable method (its fit counts the guard's retries):
            # on a generated 14-cause network, 8-13 positive findings took 1.3-7.5 ms by the
            # sum and its telescoped retry against 0.4-0.6 ms by enumeration
            signed_fits = False

        def plan_sweeps() -> tuple[Sweeps | None, Sweeps | None]:
            sweeps, plain = self._sweep_plans(exp_keys)
            if plain is not None and not _pays(plain, live, stable_s) and force != "fired":
                plain = None
            if sweeps is not None and not _pays(sweeps, live, stable_s) and force != "fired":
                sweeps, plain = plain, None
            return sweeps, plain

        # a signed sum estimated below the sweep's fixed cost goes first whatever the sweep's
        # plan says, so that plan (its visit-order search) waits for the guard to trip
        deferred = signed_fits and force is None and signed_s * FIRED_PREFER < SWEEP_FIXED
        sweeps, plain = (None, None) if deferred else plan_sweeps()
        if not signed_fits and sweeps is None:
            return None
        # the sweep first when it costs about as much: the signed sum may still trip the guard
        fired_first = sweeps is not None and (
            force == "fired"
            or not signed_fits
            or sweep_seconds(sweeps, live) <= FIRED_PREFER * signed_s
        )
        mask = d.copy()
        if folds:
            d *= self._fold_v[folds].prod(axis=0)
        top = np.maximum.reduceat(d, self._unit_bounds)
        if not np.all(top > 0.0):
            return None
        d /= np.repeat(top, a["unit_nx"])
        log_scaled = log_scale + float(np.log(top).sum())  # of P(e) from the rescaled ``d``
        from model.inference._noisyor_kernel import quickscore_dd, quickscore_split

        starts = np.array(exp_start, dtype=np.int64)
        counts = np.array(exp_count, dtype=np.int64)
        t_flat = self._t_flat_given(tuple(sorted(private))) if private else self._t_flat
        common = (
            rfw, a["rf_off"], a["hub_codes"], a["hub_vars"], a["comp_rows"], a["comp_rfs"],
            a["comp_nrf"], a["comp_units"], a["comp_nunits"], a["row_hub"], a["row_codes"],
            a["row_pidx"], a["unit_xs"], a["unit_nx"], a["unit_np"], a["t_off"], t_flat,
        )  # fmt: skip

        if fired_first:
            assert sweeps is not None
            return self._fired(sweeps, common, d, log_scaled, plain)

        depth = self._depth + len(exp_start)
        # the guard, ``2 kappa depth eps <= TOLERANCE``: the kernel checks it before the
        # posteriors, so a sum that trips it costs about a third of one that passes
        max_kappa = TOLERANCE / (2.0 * depth * EPS)

        def run(starts: Any, counts: Any) -> tuple[Any, ...]:
            return quickscore_split(  # type: ignore[no-any-return]
                *common, d, self._term_v, self._term_c, starts, counts, touch, max_kappa
            )

        def single_kappas() -> list[float]:
            # each finding's own cancellation: P(e) and its size with that finding's terms
            # only (``max_kappa`` -1: no posteriors), two combinations each
            out = []
            for i in range(len(exp_start)):
                t1, s1 = quickscore_split(
                    *common, d, self._term_v, self._term_c, starts[i : i + 1],
                    counts[i : i + 1], touch[:, i : i + 1], -1.0,
                )[:2]  # fmt: skip
                out.append(s1 / t1 if t1 > 0.0 else math.inf)
            return out

        # with many positive findings the product of their own kappas, an estimate of the
        # sum's, is measured first (a few per cent of the sum's work): a sum it puts beyond
        # ``HOPELESS`` times the guard's limit is not run (on the shipped model, seven to
        # nine positives: estimates 1e11-1e16, sums 1e8-1e13 against a limit of 5e3, each
        # failed sum 12-25 ms before the stable method answered)
        kappas = single_kappas() if len(exp_start) >= PRECHECK_FINDINGS else None
        hopeless = max_kappa * HOPELESS
        ok = False
        if kappas is None or math.prod(kappas) <= hopeless:
            total, size, joint, hub_share, row_share, ok = run(starts, counts)
        if not ok and deferred:
            sweeps, plain = plan_sweeps()
        if not ok and sweeps is not None:
            # the stable path: the same sum over fired sets, without signs
            found = self._fired(sweeps, common, d, log_scaled, plain)
            if found is not None:
                return found
        if not ok and len(exp_start) > 1:
            # first tier, again: drop the signs of the worst-conditioned findings (measured
            # one at a time) by their telescoped form, while the work stays in the budget
            ks = kappas if kappas is not None else single_kappas()
            order = sorted(range(len(exp_start)), key=lambda i: -ks[i])
            new_starts, new_counts = starts.copy(), counts.copy()
            estimate = math.prod(ks)
            changed = False
            for i in order:
                if estimate * depth * 2.0 * EPS <= TOLERANCE or ks[i] < 1.5:
                    break
                trial = new_counts.copy()
                trial[i] = tele[i][1]
                if self._split_work(touch, trial) > self._budget:
                    continue
                new_starts[i], new_counts[i] = tele[i]
                estimate /= ks[i]
                changed = True
            if changed and estimate <= hopeless:
                total, size, joint, hub_share, row_share, ok = run(new_starts, new_counts)
                if ok:
                    self.stats["telescoped"] += 1
        if ok:
            log_p = math.log(total) + log_scaled
            return _Solved(log_p, joint / total, hub_share / total, row_share / total)
        # second tier: the same sum in double-double, unless the stable method is cheaper
        dd_work = DD_COST * combos * self._work_per_combo
        if dd_work > max(DD_BUDGET, self._budget) or dd_work > self._stable_work:
            return None
        hi, lo, size, log2_scale, joint, hub_share, row_share = quickscore_dd(
            *common, mask, np.array(folds, dtype=np.int64), self._fold_v, self._term_v,
            self._term_c, starts, counts,
        )  # fmt: skip
        total = hi + lo
        if not total > 0.0 or 2.0 * (size / total) * depth * DD_EPS > TOLERANCE:
            return None
        self.stats["double_double"] += 1
        log_p = math.log(total) + log_scale + log2_scale * math.log(2.0)
        return _Solved(log_p, joint / total, hub_share / total, row_share / total)

    def _sweeps(
        self, keys: Sequence[tuple[str, int]], signed: tuple[str, int] | None = None
    ) -> Sweeps | None:
        """The fired-set sweep's runs for these expanded finding states, or ``None``.

        ``signed``: one noisy-OR ``yes`` among them taken as its two signed Quickscore
        terms (``1`` and ``-b Q``: two runs) instead of a bit.
        """
        forms = [self._fired_src[k] for k in keys]
        if any(f is None for f in forms):
            return None
        if signed is not None:
            entry = self._entry_src[signed]
            forms[list(keys).index(signed)] = [(1.0, None, None), (entry[1][1], entry[2][1], None)]
        return plan_runs(forms, self._layout, self._bit_hits)  # type: ignore[arg-type]

    def _sweep_plans(self, keys: Sequence[tuple[str, int]]) -> tuple[Sweeps | None, Sweeps | None]:
        """The sweep to try first, and the sweep with every bit to fall back on (or ``None``).

        A bit on every unit (the presenting complaint's) makes every unit's operator
        carry the message; without it, a unit no other bit touches is one number per row
        (the kernel multiplies those out). So the finding whose bit touches the most
        units is taken as two signed runs, which cancel only by about
        ``1 / P(it | the rest)``, which ``_fired``'s guard measures; when the guard
        trips, the sweep with every bit answers. Without such a finding, or when the
        signed runs are estimated dearer, the plain sweep only.
        """
        plain = self._sweeps(keys)
        if plain is None:
            return None, None
        noisy = [k for k in keys if len(self._entry_src[k]) > 3]
        if not noisy:
            return plain, None
        widest = max(noisy, key=lambda k: int(self._hits_of(k).sum()))
        if 2 * int(self._hits_of(widest).sum()) < len(self.plan.units):
            return plain, None
        signed = self._sweeps(keys, widest)
        if signed is None or signed.seconds > plain.seconds:
            return plain, None
        return signed, plain

    def _enumeration_hubs(self, n_configs: int) -> dict[str, int] | None:
        """Enumeration's hubs and their state counts; ``None`` when the stable method is pgmpy."""
        if self._custom or n_configs > STABLE_CONFIGS:
            return None
        hubs, _, too_large = enumeration_plan(self._cpts, self.causes, self.risk_factors)
        return None if too_large else {h: len(self.states[h]) for h in hubs}

    def _stable_seconds(self, evidence: Mapping[str, str], n_findings: int) -> float | None:
        """Enumeration's estimated time for this evidence (``None``: the stable method is pgmpy).

        Its hub product runs over the states of its hubs that the evidence leaves;
        ``n_findings``: the observed findings that are not folded.
        """
        if self._stable_hubs is None:
            return None
        hubs = _prod([n for h, n in self._stable_hubs.items() if h not in evidence])
        per_config = (
            STABLE_SECONDS + STABLE_SECONDS_PER_HUB * hubs + STABLE_SECONDS_PER_FINDING * n_findings
        )
        return self._n_configs * per_config

    def _hits_of(self, key: tuple[str, int]) -> Any:
        """The units the bit of a noisy-OR ``yes`` touches (a boolean per unit)."""
        form = self._fired_src[key]
        assert form is not None and form[0][2] is not None
        return self._bit_hits[id(form[0][2])]

    def _fired(
        self,
        sweeps: Sweeps,
        common: tuple[Any, ...],
        d: Array,
        log_scale: float,
        fallback: Sweeps | None = None,
    ) -> _Solved | None:
        """The fired-set sweep (``model.inference.fired``): no cancellation but its runs' signs.

        Runs with a negative coefficient (``_sweep_plans``) make ``kappa``, the sum of
        the runs' absolute values over ``P(e)``, exceed one, and the guard counts it as
        for the signed Quickscore; when it trips, ``fallback`` (no signs) answers.
        """
        total = size = 0.0
        joint, hub_share = np.zeros(self.n_xs), np.zeros(self._n_hub)
        row_share = np.zeros(self.plan.n_rows)
        worst = 0.0
        for (coef, vec, bits), visit in zip(sweeps.runs, sweeps.orders, strict=True):
            if coef == 0.0:
                continue
            dv = d if vec is None else d * vec
            t, j, hs, rs = sweep(common, dv, bits, self._layout, visit)
            total += coef * t
            size += abs(coef) * t
            joint += coef * j
            hub_share += coef * hs
            row_share += coef * rs
            worst = max([worst, *(b.cond + 4 * len(bits) for b in bits)])
        # every number of a run is a sum of products of non-negative ones: a relative
        # error of (roundings along a product) x eps, plus ``fire = 1 - stay``'s own
        # rounding; the runs' signs multiply it by kappa (exactly one without signs)
        depth = self._depth + len(self.plan.units) * worst
        if not total > 0.0 or 2.0 * depth * EPS * (size / total) > TOLERANCE:
            if fallback is not None:
                return self._fired(fallback, common, d, log_scale)
            return None
        log_p = math.log(total) + log_scale
        signed = fallback is not None
        return _Solved(log_p, joint / total, hub_share / total, row_share / total, "fired", signed)

    def _t_flat_given(self, seen: tuple[tuple[str, int], ...]) -> Array:
        """The unit tables with observed private risk factors clamped (memoised)."""
        found = self._t_memo.get(seen)
        if found is not None:
            return found
        clamped = dict(seen)
        t_flat = self._t_flat.copy()
        t_off = self.plan.arrays["t_off"]
        for i in sorted({self._private_of[r] for r in clamped}):
            vectors = []
            for r in self.plan.private[i]:
                w = np.array(self._cpts[r].values, dtype=float)
                if r in clamped:
                    keep = w[clamped[r]]
                    w[:] = 0.0
                    w[clamped[r]] = keep
                vectors.append(w)
            table = np.einsum("spx,p->sx", self._unit_full[i], outer_vectors(vectors))
            t_flat[t_off[i] : t_off[i] + table.size] = table.ravel()
        with self._lock:
            if len(self._t_memo) >= 64:
                self._t_memo.pop(next(iter(self._t_memo)), None)
            self._t_memo[seen] = t_flat
        return t_flat

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable (risk factor, cause or finding).

        Returns NaNs for a variable when the evidence has probability zero.

        >>> from model.priors.loader import load_spec
        >>> eng = NoisyOrEngine(load_spec())
        >>> m = eng.marginals(["age_group", "bruising"], {"dvt": "present"})
        >>> [round(float(m["bruising"].sum()), 12), m["age_group"].shape]
        [1.0, (4,)]
        """
        solved = self._solve(evidence)
        if solved is None:
            stable: dict[str, Array] = self._stable().marginals(variables, evidence)
            return stable
        out: dict[str, Array] = {}
        by_cause = solved.joint @ self._to_cause
        rest: list[str] = []  # the variables whose marginal the stable method must give
        for v in variables:
            if v in evidence:
                out[v] = np.array([1.0 if s == evidence[v] else 0.0 for s in self.states[v]])
                continue
            kind = self._kinds[v]
            if kind == "cause":
                lo, hi = self._cause_cols[v]
                out[v] = by_cause[lo:hi]
                continue
            if kind == "risk_factor":
                dist = self._rf_marginal(v, evidence, solved)
            else:
                dist = self._finding_marginal(v, evidence, solved)
            if dist is None:
                rest.append(v)
            else:
                out[v] = dist
        if rest:  # one call: enumeration weighs all of them in one pass
            out.update(self._stable().marginals(rest, evidence))
        return {v: out[v] for v in variables}

    def marginals_after(
        self, causes: Sequence[str], answers: Sequence[AnswerKey], evidence: Mapping[str, str]
    ) -> dict[AnswerKey, dict[str, Array]]:
        """The causes' marginals given ``evidence`` plus each single ``(variable, state)``.

        Each answer takes this engine's own path when it can; the rest go to the stable
        engine in one call (enumeration weighs every finding's answers in one pass).
        """
        out: dict[AnswerKey, dict[str, Array]] = {}
        rest: list[AnswerKey] = []
        for var, state in answers:
            solved = self._solve({**evidence, var: state})
            if solved is None:
                rest.append((var, state))
                continue
            by_cause = solved.joint @ self._to_cause
            out[var, state] = {
                c: by_cause[self._cause_cols[c][0] : self._cause_cols[c][1]] for c in causes
            }
        if rest:
            out.update(marginals_after(self._stable(), causes, rest, evidence))
        return {a: out[a] for a in answers}

    def _rf_marginal(self, v: str, evidence: Mapping[str, str], solved: _Solved) -> Array | None:
        n = len(self.states[v])
        j = self.risk_factors.index(v)
        if v in self._orphans:
            return np.array(self._cpts[v].values, dtype=float)
        if v in self._private_of:  # summed into its unit's table: clamp it to each state
            probs = []
            for s in self.states[v]:
                sub = self._compute({**evidence, v: s})
                if sub is None:
                    return None
                probs.append(math.exp(sub.log_p - solved.log_p))
            dist: Array = np.array(probs)
            return dist / float(dist.sum())
        a = self.plan.arrays
        if v in self.plan.hubs:
            col = self.plan.hubs.index(v)
            hub: Array = np.bincount(
                a["hub_codes"][:, col], weights=solved.hub_share, minlength=n
            ).astype(float)
            return hub
        for k, (_, own) in enumerate(self.plan.components):
            if v in own:
                lo, hi = a["comp_rows"][k], a["comp_rows"][k + 1]
                col = own.index(v)
                own_dist: Array = np.bincount(
                    a["row_codes"][lo:hi, col], weights=solved.row_share[lo:hi], minlength=n
                ).astype(float)
                return own_dist
        raise AssertionError(f"risk factor {v} (#{j}) is in no component")

    def _finding_marginal(
        self, v: str, evidence: Mapping[str, str], solved: _Solved
    ) -> Array | None:
        states = self.states[v]
        probs = []
        for s in states[:-1] if len(states) == 2 else states:
            sub = self._compute({**evidence, v: s})
            if sub is None:
                return None
            probs.append(math.exp(sub.log_p - solved.log_p))
        if len(states) == 2:
            probs.append(1.0 - probs[0])
        dist: Array = np.clip(np.array(probs), 0.0, 1.0)
        return dist / float(dist.sum())

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence); on zero, ``-inf`` and a small set of ``"id=state"`` that conflict.

        >>> from model.priors.loader import load_spec
        >>> NoisyOrEngine(load_spec()).log_evidence({})
        (0.0, [])
        """
        if not evidence:
            return 0.0, []
        solved = self._solve(evidence)
        if solved is None:
            answer: tuple[float, list[str]] = self._stable().log_evidence(evidence)
            return answer
        return solved.log_p, []

    def clear_memo(self) -> None:
        """Forget the last answer, the sweep's orders and the stable engine's memos (cold timings)."""
        self._last = None
        if self.supported:
            self._layout.orders.clear()
        clear = getattr(self._stable_engine, "clear_memo", None)
        if clear is not None:
            clear()


def _pays(sweeps: Sweeps, live: float, stable_seconds: float | None) -> bool:
    """Whether the sweep is estimated faster than the stable method (``None``: pgmpy).

    ``live``: the share of hub states the evidence leaves, which the kernel visits.
    """
    if stable_seconds is None:
        return sweeps.work <= FIRED_LARGE_BUDGET
    return sweep_seconds(sweeps, live) <= stable_seconds


def _signed_seconds(split_work: float, live: float, positives: int) -> float:
    """The signed sum's estimated time (``SIGNED_SECONDS``); ``live``: share of hub states left.

    >>> round(_signed_seconds(1e6, 1.0, 2) * 1e3, 2)
    1.59
    """
    return SIGNED_FIXED + SIGNED_SECONDS * math.pow(split_work, SIGNED_POWER) * math.pow(
        live, SIGNED_HUB_POWER
    ) * math.pow(SIGNED_PER_FINDING, positives)


def _fired_form(entry: tuple[Any, ...]) -> list[Choice] | None:
    """A finding state's non-negative terms for the fired-set sweep (``None``: declined)."""
    if entry[0] != "expand":
        return None
    if len(entry) > 3:  # noisy-OR yes: [1, -b] times [1, q]
        return noisy_or_bit(entry[2][1], -entry[1][1])
    return [(float(c), v, None) for c, v in zip(entry[1], entry[2], strict=True)]


def _same_structure(a: Mapping[str, CPT], b: Mapping[str, CPT]) -> bool:
    return list(a) == list(b) and all(
        (a[k].states, a[k].parents) == (b[k].states, b[k].parents) for k in a
    )


def outer_vectors(vectors: Sequence[Array]) -> Array:
    """The outer product of vectors, flattened (C order)."""
    return reduce(np.multiply.outer, vectors, np.ones(1)).ravel()


def network_from_tables(cpts: Mapping[str, CPT]) -> Any:
    """A pgmpy network from tables in topological order (``model.inference.pgmpy_adapter.build_network``'s twin)."""
    from pgmpy.factors.discrete import TabularCPD

    from model.inference.pgmpy_adapter import DiscreteBayesianNetwork

    net = DiscreteBayesianNetwork()
    net.add_nodes_from(cpts)
    net.add_edges_from((p, c.variable) for c in cpts.values() for p in c.parents)
    for c in cpts.values():
        names = {c.variable: list(c.states), **{p: list(cpts[p].states) for p in c.parents}}
        net.add_cpds(
            TabularCPD(
                c.variable,
                len(c.states),
                c.flat(),
                evidence=list(c.parents) or None,
                evidence_card=[len(cpts[p].states) for p in c.parents] or None,
                state_names=names,
            )
        )
    net.check_model()
    return net
