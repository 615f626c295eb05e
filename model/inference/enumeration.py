"""A fast exact engine: enumeration over the joint cause states, compiled once from the spec.

How it computes
---------------
Every configuration ``x`` of the causes (``N = prod(cause cards)``, 2^19 * 4 = 2,097,152 for
the shipped priors) is one cell of a fixed tensor. For evidence ``e``,

``W(x) = pi_e(x) * prod_{f observed} P(f = e_f | x)``  and  ``P(e) = sum_x W(x)``,

where ``pi_e(x) = sum_r P(r) [r agrees with e] P(x | r)`` sums the risk factors out. Unobserved
findings are barren and drop out.

*Risk factors.* A few "hub" risk factors ``H`` (chosen at compile time to minimise the work
below; for the shipped priors age, mileage, ...) are conditioned on; given them, the causes
fall apart into independent components ``k``, each with its own non-hub risk factors ``R_k``.
For each component a table ``T_k[h, r_k, x_k] = prod_{c in k} P(x_c | parents)`` gives
risk-factor evidence as one matrix-vector product per component (``A_k = T_k @ w_k`` with
``w_k`` the masked prevalences), and the hubs are summed out by one matrix product:
``pi_e = sum_h prod_k A_k[h]``, over the hub states that agree with the evidence only (with
age and sex answered, 48 of the shipped 384). ``T_k`` is built on first need, i.e. the first evidence on
one of ``R_k``; without such evidence ``A_k`` is the precomputed block with ``R_k`` summed
out, contracted directly from the cause tables and prevalences (einsum along a path found
once per structure), far cheaper than ``T_k``'s ``|H| |R_k| |X_k|`` numbers.

The block for one pattern of risk-factor evidence is memoised per component (at most
``CACHE_NUMBERS`` numbers each), since callers ask about the same person many times.

*Chunks.* ``W`` is never formed whole (at the shipped ``N`` it is 16 MB, and its products
with the findings' tables made the peak several times that). The configurations are taken a
chunk at a time, each chunk fixing the first few axes of the tensor (the ``head``; causes
in ``order``, components smallest first, so the head falls in the small components): the
fewest axes that leave at most ``CHUNK_NUMBERS`` numbers (2^18, 2 MB) both in the chunk and
in the hub product beside it. A component inside the head is one column of its block, a
vector over the hub states multiplied into the hub weights; the rest enter as in the
unchunked sum, the last one through the matrix product, so the multiply-adds are the same
and only the last block is re-read per chunk (eight chunks at the shipped ``N``: with one
BLAS thread, as the bench runs, the eight products measured within 10% of one and whole
queries as fast as unchunked; with two threads on a loaded two-core machine each product
pays the threads' hand-off, measured about twice as slow). Each chunk is multiplied by its
slices of the findings' factors (views of the prepared tables; a noisy-OR over more than a
chunk's causes, the presenting complaint's over all of them, is kept as its inhibitors'
product over one chunk's axes, times one number per chunk, ``ProductFactor``) and then
reduced to its sums: its total, every cause's marginal (the head's causes get the chunk's
total at their fixed state, the others its halving sums) and the asked findings' weighted
sums. The sums accumulate with a running log scale: each chunk's are added relative to the
largest chunk so far, rescaling the running ones when a larger arrives, so none overflows
and no chunk's share is lost to the scale of another.

Those sums are all that is kept (``Sums``), for the last ``PASS_MEMO`` evidence sets,
since ``diagnose`` asks for the log-evidence and the marginals of the same set.

*Rebuilding.* ``EnumerationEngine(spec, previous=old)`` updates an engine for a spec with
the same network and new numbers (``ModelSpec.with_values``; ``DiagnosticModel.with_values``
does this). It keeps ``old``'s hubs, components and contraction paths, recomputes only the
tables whose spec entries changed, then only what reads them: a cause's table its
component's summed-out block (``T_k`` is rebuilt on first need), a risk factor's prevalence
that block and the component's memo (``T_k`` is shared), a finding's table its own factor,
a triage threshold nothing. Reused arrays come from the same inputs through the same code,
so the result equals a fresh build exactly.

*Findings.* A finding observed in its first state (``no``) has a noisy-OR table that is a
product of one factor per cause (``rank_one`` checks this on the table from
``model.inference.tables``), so it is folded into the components' blocks before the hub sum and never
touches ``N`` numbers. A finding observed ``yes`` multiplies ``W`` by its table broadcast
over its parents: one pass over ``N`` numbers each (small ones are merged first). Both
forms are prepared when the finding is first observed. Cause evidence and the folded
findings multiply the blocks of small components directly; for a component whose block
exceeds a quarter chunk (the shipped DVT component: 384 x 2048) they are one more small
factor of ``W`` instead, so that the block is never copied.

*Marginals.* Cause marginals come from one pass of halving sums over each chunk (about
``2N`` additions for all causes); a finding's marginal is one more weighted sum per state,
and the halving sums of that weighted chunk give the causes' marginals after that answer
(``marginals_after``: "what to ask next" gets every finding's answers from one pass, not
one pass per answer); a risk factor's marginal repeats the computation with the factor
clamped to each of its states (memoised, so its answers reuse those passes).

Scaling and limits
------------------
Time per posterior is ``O(N * (|H| + F_yes + 3) + sum_k |H| |R_k| |X_k|)``: linear in the
findings, exponential in the number of causes (each binary cause doubles ``N``). Memory is
``O(CHUNK_NUMBERS + sum_k |H| |X_k|)`` numbers of working set (a few chunk-sized arrays at
once: the chunk, a factor's slice, a product beside it; and the blocks), plus the
``T_k`` tables and memoised blocks once risk-factor evidence needs them: bounded, whatever
``N``. At the shipped priors a query's working set is about 7 MB beyond the blocks (two
of 6 MB: the DVT component's, without and with risk-factor evidence); the query that sent
the bench's fast engine to this one peaked at 22 MB with this engine's build
(tracemalloc), and at 70 MB when ``W`` (16 MB) was formed whole beside the complaint's
laid-out table (16 MB more). Beyond ``MAX_CONFIGS = 2**22`` cause configurations (twice
the shipped work per posterior), or component tables above ``MAX_TABLE`` numbers, the
engine falls back to pgmpy's exact variable elimination, so a user who adds causes gets a
slower answer, never a wrong one or an out-of-memory crash.

Numerics: each chunk is rescaled to a maximum of one every few findings, the scale kept as
a logarithm, and the chunks' sums meet on the running log scale above, so ``log P(e)``
does not underflow; a true zero stays zero (a chunk adds to the sums only when its total
is positive) and is reported with the evidence items that conflict.

>>> from model.priors.loader import load_spec
>>> eng = EnumerationEngine(load_spec())
>>> eng
EnumerationEngine(20 causes, 2097152 configurations, hubs: age_group, vascular_risk, recent_leg_trauma, sex, mileage_jump, hard_surfaces, footwear)
>>> eng.marginals(["dvt"], {"one_leg_swelling": "yes", "calf_pain_presentation": "yes"})["dvt"].round(3)
array([0.953, 0.047])
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial, reduce
from typing import TYPE_CHECKING, Any

import numpy as np

from model.evidence import smallest_conflict
from model.inference.answers import AnswerKey, one_query_each
from model.inference.network_tables import cpts_for
from model.inference.tables import CPT, Array, NoisyOrCPT
from model.priors.spec import CategoricalFinding, Cause, Finding, ModelSpec, RiskFactor

if TYPE_CHECKING:
    from model.inference.pgmpy_adapter import VariableEliminationEngine

MAX_CONFIGS = 2**22
MAX_TABLE = 2**24
RESCALE_EVERY = 8
CHUNK_NUMBERS = 2**18  # numbers per chunk of W (2 MB) and of the hub product beside it
PASS_MEMO = 64  # evidence sets whose sums are kept (a few small arrays each): enough for
# every risk-factor state that "what to ask next" clamps, so its answers reuse those passes
CACHE_NUMBERS = 2**21  # per component: memoised risk-factor blocks, 16 MB at most
EINSUM_AXES = 52  # numpy's einsum names at most 52 axes


@dataclass(frozen=True, eq=False)
class Component:
    """Causes that stay dependent given the hubs, with their own risk factors.

    ``table`` has shape ``(n_hub_states, *risk_factor_cards, n_cause_states)`` and is built
    by ``build`` on first use (only risk-factor evidence in the component needs it);
    ``base`` is it with the risk factors summed out, ``(n_hub_states, n_cause_states)``,
    contracted directly from the causes' tables.
    """

    causes: tuple[str, ...]
    risk_factors: tuple[str, ...]
    base: Array
    build: Callable[[], Array] = field(repr=False)

    @cached_property
    def table(self) -> Array:
        """The joint table (computed once, on first use)."""
        return self.build()


_Groups = list[tuple[list[str], list[str]]]


@dataclass(frozen=True, eq=False)
class ProductFactor:
    """A finding state too large to lay out: ``base * prod_c q_c(x_c)``, or one minus it.

    A noisy-OR row over many causes (the presenting complaint's covers all of them:
    ``N`` numbers) is kept as its inhibitors: those on the first ``lead`` axes (fixed in
    each chunk) as vectors, the rest as their product over one chunk's axes (``tail``, at
    most a chunk's numbers, the same for every chunk). A chunk of it is then ``tail``
    times one number, or one minus that: two passes (``chunk``).

    >>> f = ProductFactor.of(0.5, (np.array([1.0, 0.5]), np.array([1.0, 0.2])), (0, 2), True, 3, 1)
    >>> f.tail.shape, f.chunk((1,)).round(3).tolist()
    ((1, 2), [[0.75, 0.95]])
    """

    base: float
    head: tuple[tuple[int, Array], ...]  # (axis, inhibitor) on the fixed axes
    tail: Array
    complement: bool
    lead: int  # the axes a chunk fixes (the engine's chunking it was laid out for)

    @classmethod
    def of(
        cls,
        base: float,
        vectors: Sequence[Array],
        axes: Sequence[int],
        complement: bool,
        ndim: int,
        lead: int,
    ) -> ProductFactor:
        """From the inhibitors (``axes``: theirs in the engine's order, increasing)."""
        head = tuple((a, v) for a, v in zip(axes, vectors, strict=True) if a < lead)
        rest = [(a, v) for a, v in zip(axes, vectors, strict=True) if a >= lead]
        shape = [1] * (ndim - lead)
        for a, v in rest:
            shape[a - lead] = len(v)
        tail = reduce(np.multiply.outer, [v for _, v in rest], np.array(1.0)).reshape(shape)
        return cls(base, head, np.ascontiguousarray(tail, dtype=float), complement, lead)

    def chunk(self, head: tuple[int, ...]) -> Array:
        """The factor over the configurations that start with ``head``, broadcastable."""
        scale = self.base * math.prod(float(v[head[a]]) for a, v in self.head)
        out: Array = np.multiply(self.tail, scale)
        if self.complement:
            np.subtract(1.0, out, out=out)
        return out


Factor = Array | ProductFactor


def chunk_of(factor: Factor, head: tuple[int, ...]) -> Array:
    """A finding's factor over the configurations that start with ``head`` (a view if laid out).

    >>> chunk_of(np.arange(6.0).reshape(2, 1, 3), (1, 0)).tolist()
    [3.0, 4.0, 5.0]
    """
    if isinstance(factor, ProductFactor):
        return factor.chunk(head)
    index = tuple(0 if factor.shape[i] == 1 else h for i, h in enumerate(head))
    out: Array = factor[index]
    return out


@dataclass(frozen=True)
class Sums:
    """One evidence set's sums over ``W``, each scaled by ``exp(-log_scale)``.

    ``total`` is ``P(e)``'s; ``causes`` every cause's unnormalised marginal (in the
    engine's order); ``findings`` the finding states' ``sum_x W(x) P(f = k | x)``;
    ``after[f][k]`` every cause's unnormalised marginal with ``f = k`` added to ``e``
    (``sum_x W(x) P(f = k | x) [x_c = s]``, for the findings asked that way).
    """

    log_scale: float
    total: float
    causes: list[Array]
    findings: dict[str, Array]
    after: dict[str, list[list[Array]]]


def _prod(values: Sequence[int]) -> int:
    return math.prod(values) if values else 1


def dependent_groups(
    cpts: Mapping[str, CPT], causes: Sequence[str], hubs: set[str]
) -> list[tuple[list[str], list[str]]]:
    """Group causes linked by a shared non-hub risk factor or a cause-to-cause edge."""
    parent = {c: c for c in causes}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    owner: dict[str, str] = {}
    for c in causes:
        for p in cpts[c].parents:
            if p in parent:
                parent[find(c)] = find(p)
            elif p not in hubs:
                if p in owner:
                    parent[find(c)] = find(owner[p])
                owner[p] = c
    groups: dict[str, list[str]] = {}
    for c in causes:
        groups.setdefault(find(c), []).append(c)
    out = []
    for members in groups.values():
        rfs = [p for c in members for p in cpts[c].parents if p not in parent and p not in hubs]
        out.append((members, list(dict.fromkeys(rfs))))
    return out


def _plan_cost(
    cpts: Mapping[str, CPT], causes: Sequence[str], hubs: set[str], n_configs: int
) -> int:
    cards = {k: len(v.states) for k, v in cpts.items()}
    n_hub = _prod([cards[h] for h in hubs])
    cost = n_hub * n_configs
    for members, rfs in dependent_groups(cpts, causes, hubs):
        cost += n_hub * _prod([cards[r] for r in rfs]) * _prod([cards[c] for c in members])
    return cost


def choose_hubs(
    cpts: Mapping[str, CPT], causes: Sequence[str], risk_factors: Sequence[str]
) -> list[str]:
    """Greedily add the risk factor whose conditioning most lowers the work per posterior."""
    n_configs = _prod([len(cpts[c].states) for c in causes])
    hubs: list[str] = []
    best = _plan_cost(cpts, causes, set(), n_configs)
    while True:
        trials = [
            (_plan_cost(cpts, causes, {*hubs, r}, n_configs), r)
            for r in risk_factors
            if r not in hubs
        ]
        if not trials:
            return hubs
        cost, pick = min(trials)
        if cost >= best:
            return hubs
        best, hubs = cost, [*hubs, pick]


def enumeration_plan(
    cpts: Mapping[str, CPT], causes: Sequence[str], risk_factors: Sequence[str]
) -> tuple[list[str], _Groups, bool]:
    """Enumeration's hubs, its components, and whether it must fall back to pgmpy.

    A component whose joint table would exceed ``MAX_TABLE`` contracts its block for each
    risk-factor evidence pattern directly (see ``EnumerationEngine._block``), so only the
    einsum axis limit forces the fallback.
    """
    hubs = choose_hubs(cpts, causes, risk_factors)
    groups = dependent_groups(cpts, causes, set(hubs))
    too_large = any(len(hubs) + len(rfs) + len(members) > EINSUM_AXES for members, rfs in groups)
    return hubs, groups, too_large


class EnumerationEngine:
    """Exact posteriors by enumeration over the cause configurations (see the module doc).

    Parameters
    ----------
    spec
        The validated model.
    max_configs, max_table
        Size limits beyond which queries go to pgmpy's variable elimination instead.
    previous
        An engine of the same network to update (``ModelSpec.with_values``).
    chunk_numbers
        The working set: numbers of ``W`` (and of the hub product beside it) per chunk.
    """

    def __init__(
        self,
        spec: ModelSpec,
        max_configs: int = MAX_CONFIGS,
        max_table: int = MAX_TABLE,
        previous: EnumerationEngine | None = None,
        chunk_numbers: int = CHUNK_NUMBERS,
    ) -> None:
        self.spec = spec
        self._limits = (max_configs, max_table)
        cpts = _updated_cpts(spec, previous)
        if previous is not None and not previous._same_structure(cpts, self._limits):
            previous = None
        self._cpts = cpts
        self.states = {k: c.states for k, c in cpts.items()}
        self.risk_factors = [rf.variable.id for rf in spec.risk_factors]
        self.causes = [c.variable.id for c in spec.causes]
        self.findings = list(spec.network_findings)
        self._finding_ids = set(self.findings)
        self.prevalence = {r: cpts[r].values for r in self.risk_factors}
        self.n_configs = _prod([len(self.states[c]) for c in self.causes])
        self._fallback_engine: VariableEliminationEngine | None = None
        self._paths: list[list[Any]] = []
        self._direct: set[tuple[str, ...]] = set()
        if previous is None:
            self.hubs, self._groups, self.too_large = self._plan(max_configs, max_table)
        else:
            self.hubs, self._groups = previous.hubs, previous._groups
            self.too_large = previous.too_large
            self._direct = previous._direct
            self._paths = previous._paths
        self.components: list[Component] = []
        if self.too_large:
            return
        self._lock = threading.Lock()
        self._sums: dict[tuple[tuple[str, str], ...], Sums] = {}
        self._blocks: list[dict[tuple[tuple[int, int], ...], Array]] = []
        if previous is None:
            self._paths = [self._base_path(members, rfs) for members, rfs in self._groups]
        for k, (members, rfs) in enumerate(self._groups):
            comp, cache = self._reuse_component(k, members, rfs, previous)
            self.components.append(comp)
            self._blocks.append(cache)
        self.order = [c for comp in self.components for c in comp.causes]
        self.shape = tuple(len(self.states[c]) for c in self.order)
        self._spans: list[tuple[int, int]] = []  # each component's axes in ``order``
        for comp in self.components:
            start = self._spans[-1][1] if self._spans else 0
            self._spans.append((start, start + len(comp.causes)))
        self._lead = self._chunk_lead(chunk_numbers)
        placed = {*self.hubs, *(r for comp in self.components for r in comp.risk_factors)}
        self._orphans = [r for r in self.risk_factors if r not in placed]  # no children
        # each finding's broadcast table and noisy-OR split, prepared on first use
        self._findings: dict[tuple[str, int], Factor] = {}
        self._rank_one: dict[str, tuple[float, dict[str, Array]] | None] = {}
        if previous is not None:
            self._keep_findings(previous)

    @property
    def cpts(self) -> Mapping[str, CPT]:
        """The model's tables as this engine computed them (``model.inference.tables``)."""
        return self._cpts

    def _plan(self, max_configs: int, max_table: int) -> tuple[list[str], _Groups, bool]:
        """Hubs, components (smallest first) and whether the plan exceeds the limits."""
        if self.n_configs > max_configs:
            return [], [], True
        hubs, groups, too_large = enumeration_plan(self._cpts, self.causes, self.risk_factors)
        n_hub = _prod([len(self.states[h]) for h in hubs])
        self._direct = {
            tuple(members)
            for members, rfs in groups
            if n_hub
            * _prod([len(self.states[r]) for r in rfs])
            * _prod([len(self.states[c]) for c in members])
            > max_table // 8
        }
        groups.sort(key=lambda g: _prod([len(self.states[c]) for c in g[0]]))
        return hubs, groups, too_large

    def _same_structure(self, cpts: Mapping[str, CPT], limits: tuple[int, int]) -> bool:
        """Whether ``cpts`` has this engine's variables, states and parents (and limits)."""
        return (
            limits == self._limits
            and list(cpts) == list(self._cpts)
            and all(
                (c.states, c.parents) == (self._cpts[k].states, self._cpts[k].parents)
                for k, c in cpts.items()
            )
        )

    def _reuse_component(
        self, k: int, members: list[str], rfs: list[str], previous: EnumerationEngine | None
    ) -> tuple[Component, dict[tuple[tuple[int, int], ...], Array]]:
        """Component ``k`` and its memo, reused from ``previous`` where its tables are unchanged.

        The joint table depends on the causes' tables only; ``base`` and the memoised
        blocks also depend on the component's risk-factor prevalences.
        """
        if previous is None or any(self._cpts[c] is not previous._cpts[c] for c in members):
            return self._component(k, members, rfs), {}
        old = previous.components[k]
        if all(self._cpts[r] is previous._cpts[r] for r in rfs):
            return old, dict(previous._blocks[k])
        # share the table if it is built, else its builder (which holds no engine)
        build = partial(_given, old.table) if "table" in old.__dict__ else old.build
        return Component(old.causes, old.risk_factors, self._base(k, members, rfs), build), {}

    def _keep_findings(self, previous: EnumerationEngine) -> None:
        """Take over ``previous``'s prepared findings whose tables are unchanged."""
        for (f, k), factor in list(previous._findings.items()):
            laid_for = factor.lead if isinstance(factor, ProductFactor) else self._lead
            if self._cpts[f] is previous._cpts[f] and laid_for == self._lead:
                self._findings[(f, k)] = factor
        for f, split in list(previous._rank_one.items()):
            if self._cpts[f] is previous._cpts[f]:
                self._rank_one[f] = split

    def _factor(self, f: str, k: int) -> Factor:
        """State ``k`` of the finding's table laid out to broadcast over ``W`` (prepared once).

        Prepared per state, only for the states the evidence asks for, in the engine's axis
        order (``_finding_factor``): a noisy-OR row over more cells than a chunk holds (the
        complaint's covers every cause) becomes a ``ProductFactor``, another large table a
        view, a small one a contiguous copy.
        """
        key = (f, k)
        factor = self._findings.get(key)
        if factor is None:
            factor = self._findings[key] = self._finding_factor(self._cpts[f], k)
        return factor

    def _split_of(self, f: str) -> tuple[float, dict[str, Array]] | None:
        """The finding's first state as ``exp(log_base) * prod_c q_c``, if it is one (once)."""
        if f not in self._rank_one:
            cpt = self._cpts[f]
            split = state_split(cpt, 0)
            self._rank_one[f] = (
                None if split is None else (split[0], dict(zip(cpt.parents, split[1], strict=True)))
            )
        return self._rank_one[f]

    @property
    def _n_hub(self) -> int:
        return _prod([len(self.states[h]) for h in self.hubs])

    def _component(self, k: int, members: list[str], rfs: list[str]) -> Component:
        cpts = {c: self._cpts[c] for c in members}
        cards = {v: len(self.states[v]) for v in (*self.hubs, *rfs, *members)}
        build = partial(joint_table, self.hubs, rfs, members, cpts, cards)
        return Component(tuple(members), tuple(rfs), self._base(k, members, rfs), build)

    def _base_operands(
        self, members: list[str], rfs: list[str], weights: Mapping[str, Array] | None = None
    ) -> list[Any]:
        """The interleaved einsum operands of ``base``: tables, prevalences, output axes.

        ``weights`` replaces some prevalences (masked by risk-factor evidence).
        """
        axes = {v: i for i, v in enumerate((*self.hubs, *rfs, *members))}
        ops: list[Any] = []
        for c in members:
            ops += [self._cpts[c].values, [axes[v] for v in (c, *self._cpts[c].parents)]]
        for r in rfs:
            w = self.prevalence[r] if weights is None or r not in weights else weights[r]
            ops += [w, [axes[r]]]
        for h in self.hubs:  # a hub none of the causes reads still indexes the output
            ops += [np.ones(len(self.states[h])), [axes[h]]]
        return [*ops, [axes[v] for v in (*self.hubs, *members)]]

    def _base_path(self, members: list[str], rfs: list[str]) -> list[Any]:
        """The contraction order for ``base`` (fixed by the structure, so found once)."""
        path: list[Any] = np.einsum_path(*self._base_operands(members, rfs), optimize="greedy")[0]
        return path

    def _base(self, k: int, members: list[str], rfs: list[str]) -> Array:
        """``A_k`` without evidence: the risk factors summed out by their prevalences."""
        ops = self._base_operands(members, rfs)
        out: Array = np.einsum(*ops, optimize=self._paths[k])
        return np.ascontiguousarray(out.reshape(self._n_hub, -1), dtype=float)

    def _finding_factor(self, cpt: CPT, k: int) -> Factor:
        """State ``k`` of the finding's table laid out to broadcast over the configuration tensor.

        Past a chunk's cells it is not copied: a noisy-OR stays its inhibitors
        (``ProductFactor``, its chunks written out on use), any other table a view of its
        own values.
        """
        src = list(cpt.parents)
        dst = [c for c in self.order if c in src]
        size = _prod([len(self.states[c]) for c in src])
        if isinstance(cpt, NoisyOrCPT) and size > self._chunk_size:
            axes = {c: self.order.index(c) for c in src}
            pairs = sorted(zip(src, cpt.inhibitors, strict=True), key=lambda cv: axes[cv[0]])
            return ProductFactor.of(
                1.0 - cpt.leak,
                [np.asarray(v, dtype=float) for _, v in pairs],
                [axes[c] for c, _ in pairs],
                complement=k == 1,
                ndim=len(self.order),
                lead=self._lead,
            )
        values = np.moveaxis(cpt.row(k), [src.index(c) for c in dst], range(len(dst)))
        missing = [i for i, c in enumerate(self.order) if c not in src]
        laid: Array = np.expand_dims(values, tuple(missing))  # a view
        return laid if size > self._chunk_size else np.ascontiguousarray(laid)

    def __repr__(self) -> str:
        if self.too_large:
            return f"EnumerationEngine({len(self.causes)} causes, too large: pgmpy fallback)"
        return (
            f"EnumerationEngine({len(self.causes)} causes, {self.n_configs} configurations, "
            f"hubs: {', '.join(self.hubs)})"
        )

    # -- evidence ----------------------------------------------------------------------

    def _weights(self, evidence: Mapping[str, str], var: str) -> Array:
        """Prevalence (risk factors) or ones (causes), zeroed where the evidence disagrees."""
        base = self.prevalence[var] if var in self.prevalence else np.ones(len(self.states[var]))
        if var not in evidence:
            return base
        out = np.zeros(len(base))
        i = self.states[var].index(evidence[var])
        out[i] = base[i]
        return out

    def _outer(self, evidence: Mapping[str, str], variables: Sequence[str]) -> Array:
        vectors = [self._weights(evidence, v) for v in variables]
        return reduce(np.multiply.outer, vectors, np.ones(1)).ravel()

    @property
    def _chunk_size(self) -> int:
        """Configurations per chunk of ``W`` (those after the ``_lead`` first axes)."""
        return _prod(self.shape[self._lead :])

    def _chunk_lead(self, budget: int) -> int:
        """How many leading axes of ``order`` each chunk fixes: the fewest within ``budget``.

        Both a chunk's part of ``W`` and, with two or more components left past the fixed
        axes, its hub product of all but the last (``_chunk``) must fit. With only the
        last axis left there is no such product, so a lead always fits.
        """
        n_hub = self._n_hub
        for lead in range(len(self.shape)):
            size = _prod(self.shape[lead:])
            parts = [(lo, hi) for lo, hi in self._spans if hi > lead]
            last = _prod(self.shape[max(lead, parts[-1][0]) :])
            hub_product = n_hub * (size // last) if len(parts) > 1 else 0
            if max(size, hub_product) <= budget:
                return lead
        return max(0, len(self.shape) - 1)

    def _chunk(self, blocks: Sequence[Array], hub: Array, head: tuple[int, ...]) -> Array:
        """``W`` before the findings over the configurations that start with ``head``.

        Components inside ``head`` are one column of their block (a vector over the hub
        states); the one it cuts is sliced; the rest enter whole, as in the unchunked sum.
        """
        lead = len(head)
        vec = hub
        parts: list[Array] = []
        for (lo, hi), a in zip(self._spans, blocks, strict=True):
            if hi <= lead:
                vec = vec * a[:, int(np.ravel_multi_index(head[lo:hi], self.shape[lo:hi]))]
            elif lo < lead:
                index: tuple[slice | int, ...] = (slice(None), *head[lo:])
                cut = a.reshape(len(a), *self.shape[lo:hi])[index]
                parts.append(cut.reshape(len(a), -1))
            else:
                parts.append(a)
        if len(parts) == 1:
            flat: Array = vec @ parts[0]
        else:
            acc = parts[0] * vec[:, None]
            for a in parts[1:-1]:
                acc = (acc[:, :, None] * a[:, None, :]).reshape(len(vec), -1)
            flat = acc.T @ parts[-1]
        return flat.reshape(self.shape[lead:])

    def _evidence_sums(self, evidence: Mapping[str, str], findings: Sequence[str] = ()) -> Sums:
        """``Sums`` of ``W`` for ``evidence``, with the states of ``findings`` (memoised).

        The last ``PASS_MEMO`` evidence sets are kept, so ``diagnose`` (log-evidence and
        marginals of the answers, then the priors: with a presenting complaint, the
        complaint alone) makes one pass over ``W`` for each.
        """
        key = tuple(sorted(evidence.items()))
        found = self._sums.get(key)
        if found is not None and all(f in found.findings for f in findings):
            return found
        wanted = [*(found.findings if found is not None else ()), *findings]
        sums = self._compute_sums(evidence, list(dict.fromkeys(wanted)))
        with self._lock:
            self._sums.pop(key, None)
            while len(self._sums) >= PASS_MEMO:
                del self._sums[next(iter(self._sums))]  # the oldest
            self._sums[key] = sums
        return sums

    def _compute_sums(self, evidence: Mapping[str, str], findings: Sequence[str]) -> Sums:
        """One pass over ``W``, a chunk at a time (see the module doc).

        Each state of an asked finding weighs the chunk (``N`` products) for its sum, and
        that weighted chunk's halving sums (about ``2 N`` more) give the causes' marginals
        with that answer added (``Sums.after``), which "what to ask next" wants beside the
        finding's marginal: one pass for every answer instead of one per answer.
        """
        hub = self._outer(evidence, self.hubs)
        cause_vectors, log_base = self._cause_vectors(evidence)
        blocks: list[Array] = []
        factors: list[Factor] = []
        for k, comp in enumerate(self.components):
            a = self._block(k, comp, evidence)
            if any(c in cause_vectors for c in comp.causes):
                full = [cause_vectors.get(c, np.ones(len(self.states[c]))) for c in comp.causes]
                vector = reduce(np.multiply.outer, full)
                if a.size <= self._chunk_size // 4:
                    a = a * vector.ravel()
                else:  # a large block is not copied: its causes' factor multiplies W
                    lo, hi = self._spans[k]
                    shape = (1,) * lo + vector.shape + (1,) * (len(self.shape) - hi)
                    factors.append(vector.reshape(shape))
            blocks.append(a)
        for r in self._orphans:  # a risk factor without children only scales P(e)
            if r in evidence:
                p = float(self.prevalence[r][self.states[r].index(evidence[r])])
                hub = hub * p if p == 0.0 else hub
                log_base += math.log(p) if p > 0.0 else 0.0
        live = np.flatnonzero(hub)
        if 0 < len(live) < len(hub):  # hubs observed: only their states enter the products
            hub = hub[live]
            blocks = [a[live] for a in blocks]
        observed = [
            f
            for f in self.findings
            if f in evidence and (evidence[f] != self.states[f][0] or self._split_of(f) is None)
        ]
        factors += [self._factor(f, self.states[f].index(evidence[f])) for f in observed]
        asked = {f: [self._factor(f, k) for k in range(len(self.states[f]))] for f in findings}
        lead, tail = self._lead, self.shape[self._lead :]
        # the running sums, scaled by exp(-scale): each chunk enters relative to the
        # largest seen so far, so none overflows and the scale never loses the total
        scale = -math.inf
        total = 0.0
        causes = [np.zeros(n) for n in self.shape]
        found = {f: np.zeros(len(fs)) for f, fs in asked.items()}
        tilted = {f: [[np.zeros(n) for n in self.shape] for _ in fs] for f, fs in asked.items()}
        running = [*causes, *(a for per in tilted.values() for state in per for a in state)]
        for head in np.ndindex(*self.shape[:lead]):
            w = self._chunk(blocks, hub, head)
            log_w = log_base
            parts = merge_small([chunk_of(f, head) for f in factors], self._chunk_size // 4)
            for i, factor in enumerate(parts):
                if i and i % RESCALE_EVERY == 0:
                    w, log_w = _rescale(w, log_w)
                np.multiply(w, factor, out=w)
            s = float(w.sum())
            if s <= 0.0:
                continue
            size = log_w + math.log(s)
            if size > scale:  # the new largest chunk: the sums so far shrink to its scale
                shrink = math.exp(scale - size)
                total *= shrink
                for arr in (*running, *found.values()):
                    arr *= shrink
                scale = size
            # this chunk's total over the largest one's (at most 1), and its sums as shares
            # of its own total: no factor of exp(-log_w) that could overflow for a tiny ``s``
            share = math.exp(size - scale)
            total += share
            for i, h in enumerate(head):
                causes[i][h] += share
            for i, dist in enumerate(axis_sums(w.ravel(), tail), start=lead):
                causes[i] += share * (dist / s)
            for f, fs in asked.items():
                for k, g in enumerate(fs):
                    wg = w * chunk_of(g, head)
                    part = share * float(wg.sum()) / s
                    found[f][k] += part
                    into = tilted[f][k]
                    for i, h in enumerate(head):
                        into[i][h] += part
                    for i, dist in enumerate(axis_sums(wg.ravel(), tail), start=lead):
                        into[i] += share * (dist / s)
        if total == 0.0:
            scale = 0.0
        return Sums(scale, total, causes, found, tilted)

    def clear_memo(self) -> None:
        """Forget the memoised risk-factor blocks and evidence sums (for cold timings)."""
        with self._lock:
            self._sums.clear()
            for cache in self._blocks:
                cache.clear()

    def _block(self, k: int, comp: Component, evidence: Mapping[str, str]) -> Array:
        """``A_k[h, x_k]``: the component's risk factors clamped or summed out (memoised)."""
        seen = tuple(
            (i, self.states[r].index(evidence[r]))
            for i, r in enumerate(comp.risk_factors)
            if r in evidence
        )
        if not seen:
            return comp.base
        cache = self._blocks[k]
        found = cache.get(seen)
        if found is not None:
            return found
        if comp.causes in self._direct:  # too large to tabulate: contract with masked weights
            rfs = list(comp.risk_factors)
            ops = self._base_operands(
                list(comp.causes),
                rfs,
                {r: self._weights(evidence, r) for r in rfs if r in evidence},
            )
            direct: Array = np.einsum(*ops, optimize=self._paths[k]).reshape(self._n_hub, -1)
            with self._lock:
                _remember(cache, seen, direct)
            return direct
        clamped = dict(seen)
        index = tuple(clamped.get(i, slice(None)) for i in range(len(comp.risk_factors)))
        part = comp.table[(slice(None), *index, slice(None))]
        free = [r for i, r in enumerate(comp.risk_factors) if i not in clamped]
        weight = math.prod(
            float(self.prevalence[comp.risk_factors[i]][s]) for i, s in clamped.items()
        )
        a: Array = np.matmul(
            weight * self._outer({}, free), part.reshape(len(part), -1, part.shape[-1])
        )
        with self._lock:  # the explorer may share one engine between threads
            _remember(cache, seen, a)
        return a

    def _cause_vectors(self, evidence: Mapping[str, str]) -> tuple[dict[str, Array], float]:
        """Per-cause factors: cause evidence and every finding observed in its first state.

        A noisy-OR finding's first state (``no``) is a product of one factor per cause
        (times ``1 - leak``, returned as a log), so it never touches the full tensor.
        """
        vectors: dict[str, Array] = {}
        log_scale = 0.0
        for c in self.causes:
            if c in evidence:
                vectors[c] = self._weights(evidence, c)
        for f in self.findings:
            split = self._split_of(f) if evidence.get(f) == self.states[f][0] else None
            if split is not None:
                log_base, factors = split
                log_scale += log_base
                for c, q in factors.items():
                    vectors[c] = vectors[c] * q if c in vectors else q
        return vectors, log_scale

    # -- the Engine protocol ---------------------------------------------------------------

    def _fallback(self) -> VariableEliminationEngine:
        if self._fallback_engine is None:
            from model.inference.pgmpy_adapter import VariableEliminationEngine, build_network

            self._fallback_engine = VariableEliminationEngine(build_network(self.spec))
        return self._fallback_engine

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable (risk factor, cause or finding).

        Returns NaNs for a variable when the evidence has probability zero.

        >>> from model.priors.loader import load_spec
        >>> eng = EnumerationEngine(load_spec())
        >>> m = eng.marginals(["age_group", "bruising"], {"dvt": "present"})
        >>> [round(float(m["bruising"].sum()), 12), m["age_group"].shape]
        [1.0, (4,)]
        """
        if self.too_large:
            return self._fallback().marginals(variables, evidence)
        asked = [v for v in variables if v in self._finding_ids and v not in evidence]
        sums = self._evidence_sums(evidence, asked)
        total = sums.total
        wanted = set(variables)
        out: dict[str, Array] = {}
        if total <= 0.0:
            return {v: np.full(len(self.states[v]), np.nan) for v in variables}
        if wanted & set(self.causes):
            for cause, dist in zip(self.order, sums.causes, strict=True):
                out[cause] = dist / total
        for v in variables:
            if v in out:
                continue
            if v in evidence:
                out[v] = np.array([1.0 if s == evidence[v] else 0.0 for s in self.states[v]])
            elif v in self._finding_ids:  # binary or many-state: one weighted sum per state
                out[v] = sums.findings[v] / total
            else:  # a risk factor: P(e, v = s) for each state, relative to the largest
                logs = []
                for s in self.states[v]:
                    clamped = self._evidence_sums({**evidence, v: s})
                    positive = clamped.total > 0.0
                    logs.append(
                        math.log(clamped.total) + clamped.log_scale if positive else -math.inf
                    )
                dist = np.exp(np.array(logs) - max(logs))
                out[v] = dist / dist.sum()
        return {v: out[v] for v in variables}

    def marginals_after(
        self, causes: Sequence[str], answers: Sequence[AnswerKey], evidence: Mapping[str, str]
    ) -> dict[AnswerKey, dict[str, Array]]:
        """The causes' marginals given ``evidence`` plus each single ``(variable, state)``.

        The answers of unobserved findings all come from one pass over ``W`` (each
        state's weighted chunks summed along every axis); any other answer from the pass
        of its own evidence (memoised: ``marginals`` of a risk factor makes the same).
        NaNs for an answer of probability zero.

        >>> from model.priors.loader import load_spec
        >>> eng = EnumerationEngine(load_spec())
        >>> ev = {"one_leg_swelling": "yes", "calf_pain_presentation": "yes"}
        >>> got = eng.marginals_after(["dvt"], [("bruising", "yes")], ev)
        >>> one = eng.marginals(["dvt"], {**ev, "bruising": "yes"})
        >>> bool(abs(got["bruising", "yes"]["dvt"] - one["dvt"]).max() < 1e-12)
        True
        """
        if self.too_large:
            return one_query_each(self._fallback(), causes, answers, evidence)
        tilted = [v for v, _ in answers if v in self._finding_ids and v not in evidence]
        sums = self._evidence_sums(evidence, list(dict.fromkeys(tilted)))
        out: dict[AnswerKey, dict[str, Array]] = {}
        for var, state in answers:
            if var in sums.after:
                k = self.states[var].index(state)
                parts, total = sums.after[var][k], float(sums.findings[var][k])
            else:
                total = 0.0
            if not total > 0.0:  # not tilted, or too small beside the pass's scale: its own
                clamped = self._evidence_sums({**evidence, var: state})
                parts, total = clamped.causes, clamped.total
            if total <= 0.0:
                out[var, state] = {c: np.full(len(self.states[c]), np.nan) for c in causes}
                continue
            by_cause = dict(zip(self.order, parts, strict=True))
            out[var, state] = {c: by_cause[c] / total for c in causes}
        return out

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence); on zero, ``-inf`` and a small set of ``"id=state"`` that conflict.

        >>> from model.priors.loader import load_spec
        >>> EnumerationEngine(load_spec()).log_evidence({})
        (0.0, [])
        """
        if self.too_large:
            return self._fallback().log_evidence(evidence)
        if not evidence:
            return 0.0, []
        sums = self._evidence_sums(evidence)
        if sums.total > 0.0:
            return math.log(sums.total) + sums.log_scale, []
        return -math.inf, smallest_conflict(
            evidence, lambda trial: self._evidence_sums(trial).total <= 0.0
        )


def _remember(cache: dict[Any, Array], key: Any, block: Array) -> None:
    """Keep ``block`` under ``key``, dropping the oldest blocks to stay within the bound.

    The cache holds at most ``CACHE_NUMBERS`` numbers; a block larger than that is not kept.

    >>> cache = {}
    >>> for k in range(4):
    ...     _remember(cache, k, np.zeros(CACHE_NUMBERS // 2))
    >>> sorted(cache)
    [2, 3]
    """
    while cache and (len(cache) + 1) * block.size > CACHE_NUMBERS:
        del cache[next(iter(cache))]
    if block.size <= CACHE_NUMBERS:
        cache[key] = block


def joint_table(
    hubs: Sequence[str],
    rfs: Sequence[str],
    members: Sequence[str],
    cpts: Mapping[str, CPT],
    cards: Mapping[str, int],
) -> Array:
    """``T_k[h, r_k, x_k]``: the product of the component's cause tables, broadcast."""
    axes = [*hubs, *rfs, *members]
    index = {v: i for i, v in enumerate(axes)}
    dims = [cards[v] for v in axes]
    joint: Array = np.ones([1] * len(axes))
    for c in _small_first(
        members, {c: {index[v] for v in (c, *cpts[c].parents)} for c in members}, dims
    ):
        # an outer product: broadcasting beats einsum's path search here
        src = [index[v] for v in (c, *cpts[c].parents)]
        layout = np.moveaxis(cpts[c].values, range(len(src)), np.argsort(np.argsort(src)))
        shape = [dims[i] if i in src else 1 for i in range(len(axes))]
        joint = joint * layout.reshape(shape)
    n_hub = _prod([cards[h] for h in hubs])
    rf_cards = [cards[r] for r in rfs]
    full = np.broadcast_to(joint, dims)
    return np.ascontiguousarray(full, dtype=float).reshape(n_hub, *rf_cards, -1)


def _given(value: Array) -> Array:
    return value


def _updated_cpts(spec: ModelSpec, previous: EnumerationEngine | None) -> dict[str, CPT]:
    """Every table of ``spec``, keeping ``previous``'s table objects where they are unchanged.

    Only nodes whose spec entry differs are recomputed; a recomputed table with equal
    values is replaced by the old object too, so ``is`` then tells which tables changed.
    """
    if previous is None:
        return cpts_for(spec)
    old, before = previous._cpts, _nodes(previous.spec)
    nodes = _nodes(spec)
    changed = {k for k, n in nodes.items() if before.get(k) != n}
    if changed and any(c.prevalence for c in spec.causes):
        # solved baselines couple the causes: any change can move every cause's table
        changed |= set(spec.cause_ids)
    fresh = cpts_for(spec, changed)
    out: dict[str, CPT] = {}
    for k in nodes:
        new = fresh.get(k)
        keep = new is None or (k in old and _same_table(new, old[k]))
        out[k] = old[k] if keep or new is None else new
    return out


def _nodes(spec: ModelSpec) -> dict[str, RiskFactor | Cause | Finding | CategoricalFinding]:
    extra = [spec.presentation] if spec.presentation is not None else []
    nodes: list[RiskFactor | Cause | Finding | CategoricalFinding] = [
        *spec.risk_factors,
        *spec.causes,
        *spec.findings,
        *spec.categorical,
        *extra,
    ]
    return {n.variable.id: n for n in nodes}


def _same_table(a: CPT, b: CPT) -> bool:
    if isinstance(a, NoisyOrCPT) and isinstance(b, NoisyOrCPT):
        return a.same_factors(b)  # without building the tables
    return (a.states, a.parents) == (b.states, b.parents) and np.array_equal(a.values, b.values)


def _small_first(
    items: Sequence[str], axes: Mapping[str, set[int]], cards: Sequence[int]
) -> list[str]:
    """Order factors so the running product's axes grow as slowly as possible (greedy)."""
    left, held, out = list(items), set[int](), []
    while left:
        pick = min(left, key=lambda i: _prod([cards[a] for a in held | axes[i]]))
        out.append(pick)
        held |= axes[pick]
        left.remove(pick)
    return out


def merge_small(factors: Sequence[Array], limit: int) -> list[Array]:
    """Multiply neighbouring broadcastable factors together while the product stays small.

    Each factor covers only its finding's causes; merging the small ones first means fewer
    passes over the full configuration tensor.

    >>> a, b = np.ones((2, 1, 1)), np.ones((1, 2, 1))
    >>> [f.shape for f in merge_small([a, b, np.ones((2, 2, 2))], limit=4)]
    [(2, 2, 1), (2, 2, 2)]
    """
    out: list[Array] = []
    current: Array | None = None
    for factor in sorted(factors, key=lambda f: f.size):
        if current is None:
            current = factor
        elif math.prod(np.broadcast_shapes(current.shape, factor.shape)) <= limit:
            current = current * factor
        else:
            out.append(current)
            current = factor
    if current is not None:
        out.append(current)
    return out


def _rescale(w: Array, log_scale: float) -> tuple[Array, float]:
    top = float(w.max())
    if top <= 0.0 or top == 1.0:
        return w, log_scale
    return w / top, log_scale + math.log(top)


def axis_sums(flat: Array, shape: Sequence[int]) -> list[Array]:
    """Every one-axis marginal of a tensor by halving sums (about two passes over it).

    >>> t = np.arange(24.0)
    >>> [a.tolist() for a in axis_sums(t, (2, 3, 4))]
    [[66.0, 210.0], [60.0, 92.0, 124.0], [60.0, 66.0, 72.0, 78.0]]
    """
    if len(shape) == 1:
        return [flat]
    mid = len(shape) // 2
    matrix = flat.reshape(_prod(shape[:mid]), -1)
    return axis_sums(matrix.sum(axis=1), shape[:mid]) + axis_sums(matrix.sum(axis=0), shape[mid:])


def state_split(cpt: CPT, state: int) -> tuple[float, list[Array]] | None:
    """``rank_one(cpt.values[state])``, read off the factors of a noisy-OR (no table built)."""
    if isinstance(cpt, NoisyOrCPT):
        return cpt.split(state)
    return rank_one(cpt.values[state])


def rank_one(table: Array) -> tuple[float, list[Array]] | None:
    """Split a table into ``exp(log_base) * outer(vectors)`` when it is such a product.

    Noisy-OR's P(no | parents) is; ``None`` when the table is not (or is zero at the
    reference state, where the split is undefined).

    >>> t = np.multiply.outer([0.9, 0.45], [1.0, 0.2])
    >>> log_base, (a, b) = rank_one(t)
    >>> [round(math.exp(log_base), 12), a.tolist(), b.tolist()]
    [0.9, [1.0, 0.5], [1.0, 0.2]]
    """
    ref = (0,) * table.ndim
    base = float(table[ref])
    if base <= 0.0:
        return None
    vectors = []
    for axis in range(table.ndim):
        index: list[int | slice] = [0] * table.ndim
        index[axis] = slice(None)
        vectors.append(table[tuple(index)] / base)
    # checked a block at a time along the leading axes (the complaint's table has 2^21
    # cells, and its full product with allclose's temporaries took 50 MB), each block as
    # np.allclose with atol 0 would, in a quarter of its passes
    lead = 0
    while lead < table.ndim and table[(0,) * lead].size > 1 << 16:
        lead += 1
    block = reduce(np.multiply.outer, vectors[lead:], np.ones(()))
    for head in np.ndindex(*table.shape[:lead]):
        scale = base * math.prod(float(v[i]) for v, i in zip(vectors, head, strict=False))
        cells = table[head]
        gap = np.abs(scale * block - cells)
        if not bool((gap <= 1e-12 * np.abs(cells)).all()):
            return None
    return math.log(base), vectors
