"""The stable exact path of ``NoisyOrEngine``: a sweep over *fired sets*, with no signs.

Why
---
Quickscore writes a positive noisy-OR finding as ``1 - b prod_u Q_u`` and so sums terms of
both signs; its condition number is about ``1 / P(positives | negatives)``, measured at
1e6-1e14 on the shipped model's random sets with 5-10 positive findings (the presenting
complaint among them). This path computes the same ``P(e)`` and posteriors from
non-negative numbers only, so its relative rounding error is bounded by the depth of the
arithmetic whatever the evidence (near-impossible evidence included), and it never
visits the cause configurations (``EnumerationEngine``'s 2^21, taken in chunks of 2^18).

How
---
Each positive finding ``f`` is a *bit* of a state ``s`` ("``f`` has fired yet"), carried
along the units in a visit order (below): it starts set with the leak's probability ``1 - b_f``,
and unit ``u`` in state ``x`` leaves a clear bit clear with ``Q_fu(x)`` (``stay``), sets it
with ``1 - Q_fu(x)`` (``fire``) and leaves a set bit set (``keep = 1``); only the all-set
state counts at the end. Summed over every path that is exactly ``1 - b prod_u Q_u``,
one non-negative term per path ("the first unit that fires"). A state of an
``average``-rule finding is its leak term (a product) plus, per Gauss-Legendre node ``t_j``,
a bit with ``stay = keep = g_j`` and ``fire = h_j`` ("the one cause chosen": ``sum_c h_c
prod_{c' != c} g_{c'}``, see ``NoisyOrEngine._average_terms``); a general finding's
non-zero cells are products too. Those sums are the outer *runs* (at most
``MAX_FIRED_RUNS``), each a sweep with its own bits; their coefficients are
non-negative, except when the engine takes one noisy-OR finding as its two signed
Quickscore terms (``NoisyOrEngine._sweep_plans``: the complaint, whose bit is on every
unit), and then counts their cancellation in its guard. A unit no bit of a run touches
has a one-number operator per parent state: the kernel multiplies those per row and
passes the message through the other units only (the operators commute).

A sweep is the engine's own risk-factor split (hubs ``h``, components ``k`` with their rows
``r``, units ``u``) with a vector over ``s`` in place of a number: a unit's operator for
parent state ``p`` is ``K_u(p) = sum_x T_u[p, x] d(x) (x)_f M_f(x)``, stored as ``3^t_u``
numbers (``t_u`` the bits touching ``u``); the message entering component ``k`` is
``alpha_k(h, s)``, the sweep back ``gamma_k(h, s)``, and each unit state's joint comes from
the products of the two around it (forward-backward, no division).

Windows and the visit order
---------------------------
A bit's leak enters at the first unit it touches, so before that unit it is clear in every
state with mass; after its last unit only its set states can reach the answer (the
all-set state). A unit therefore visits only the states whose other bits its *window*
leaves free (met and not yet done): ``2^open`` of them, ``open`` the bits open across it,
not ``2^(B - t)``. The kernel may visit the components in any order and the units of each in
any order (the operators commute; the answer is the same, tested to 1e-12), and the cost
depends on the order by ``2^open``: ``Layout.visit_order`` takes the cheapest by
``order_work`` of the engine's own order and two greedy ones (the component that leaves the
fewest bits open next; the cheapest weighed by the bits it leaves open), and for a run of
more than ``SEARCH_WORK`` multiply-adds also the greedy orders from every first component,
then moves one component at a time while that lowers the estimate. The orders are
remembered by the bits' units (``MAX_ORDERS``); they cost 0.02-0.7 ms to find.

Cost model
----------
Per run: ``sum_k |R_k| (sum_{u in k} 2^open_u (4 A_u + 2 O_u) + 3 (2^open_k + 2^open_k+1))``
multiply-adds for the rows (forward twice, backward and cofactors; ``A_u`` the local pairs
the windows allow, at most ``3^t_u``; ``O_u`` the local states it writes; ``open_k`` at the
component boundaries) plus ``2 sum_u |P_u| |X_u| A_u`` for the operators and joints, and
``|H| sum_k 2^open_k`` numbers of messages (``Visit.n_live``). Polynomial in the causes, units, rows and negative
findings; exponential only in the bits open at once, at most the positive findings, like
Quickscore (``2^B`` combinations), and with no cancellation to guard against. On the shipped
model (384 hub states, 9,984 rows, 17 units) most findings read the DVT unit and the
complaint reads every unit, so the windows there are wide; each ``symptom_duration`` state
adds six runs with one more bit. On the generated networks, whose findings read two to
eight causes each, the windows cut the slowest sets' time three to five times. Measured
time is not proportional to the estimate: every run visits every live hub state and row.
``sweep_seconds`` fits a query's time to ``SWEEP_FIXED`` plus a power of each run's estimate
(``SWEEP_SECONDS``), which the engine weighs against the signed sum's time and
enumeration's (``SIGNED_SECONDS``, ``STABLE_SECONDS`` in ``model.inference.noisyor``);
``FIRED_LARGE_BUDGET`` multiply-adds bound it when the stable method would be pgmpy;
``MAX_FIRED_NUMBERS`` bounds the memory (about 32 MB).

>>> from model.priors.loader import load_spec
>>> from model.inference.noisyor import NoisyOrEngine
>>> eng = NoisyOrEngine(load_spec())
>>> ev = {"calf_pain_presentation": "yes", "pop_at_onset": "yes", "palpable_gap": "yes"}
>>> solved = eng._compute(ev, force="fired")
>>> round(float(solved.joint.sum()), 12) == float(len(eng.plan.units))
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from model.inference.tables import Array

# a query's time on the sweep, about ``SWEEP_FIXED + live ** SWEEP_HUB_POWER * sum over runs
# of SWEEP_SECONDS * work ** SWEEP_POWER`` seconds, ``live`` the share of hub states the
# evidence leaves (the kernel skips the others; ``work`` counts them all): a least-squares
# fit of log time over 950 measured queries (the shipped model with the bench's random sets
# of seeds 21 and 25, generated 20, 25 and 30 causes with seed 3; one thread; median
# relative error 18%). ``SWEEP_FIXED`` is the query's own cost (planning, the leaks, the
# tables); the power below one, that every run visits every live hub state and row.
SWEEP_FIXED = 8.5e-5
SWEEP_SECONDS = 1.71e-7
SWEEP_POWER = 0.675
SWEEP_HUB_POWER = 0.456
FIRED_LARGE_BUDGET = 4_000_000_000  # multiply-adds (seconds) when the stable method is pgmpy
FIRED_PREFER = (
    1.0  # the sweep first while its estimated time is at most this times the signed sum's
)
MAX_FIRED_NUMBERS = 1 << 22  # message numbers (32 MB) per sweep
MAX_FIRED_RUNS = 64  # outer runs (products of the general findings' terms)
MAX_ORDERS = 4096  # visit orders remembered per engine, by the units each bit touches


@dataclass(frozen=True)
class Bit:
    """One bit of the sweep: its per-unit-state factors and its mass before any unit."""

    stay: Array
    fire: Array
    keep: Array
    init0: float
    init1: float
    cond: float  # the relative rounding of ``fire`` (``fire`` computed as 1 - stay)


# one term of a finding state: coefficient, a product vector (or None) and a bit (or None)
Choice = tuple[float, Array | None, Bit | None]


def noisy_or_bit(q: Array, b: float) -> list[Choice]:
    """A positive noisy-OR finding, ``1 - b prod q``, as one bit (no outer term).

    >>> [c for c, _, _ in noisy_or_bit(np.array([1.0, 0.25]), 0.9)]
    [1.0]
    """
    fire = 1.0 - q
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(fire > 0.0, q / np.where(fire > 0.0, fire, 1.0), 0.0)
    # ``1 - q`` and the leak ``1 - b`` carry a relative rounding of eps q / (1 - q)
    leak = b / (1.0 - b) if b < 1.0 else 0.0
    bit = Bit(q, fire, np.ones_like(q), b, 1.0 - b, max(float(ratio.max(initial=0.0)), leak))
    return [(1.0, None, bit)]


def touches(bit: Bit, bounds: Array, sizes: Array) -> Any:
    """Which units (state ranges ``bounds``, ``sizes``) the bit changes anywhere."""
    off = (bit.stay != 1.0) | (bit.fire != 0.0) | (bit.keep != 1.0)
    return np.add.reduceat(off.astype(np.int64), bounds.astype(np.int64)) > 0


def touches_of(bit: Bit, hits: Mapping[int, Any], bounds: Array, sizes: Array) -> Any:
    """``touches``, taken from ``hits`` (by ``id``, computed when the engine was built) if there."""
    found = hits.get(id(bit))
    return touches(bit, bounds, sizes) if found is None else found


@dataclass(frozen=True)
class Sweeps:
    """The runs for one evidence set: coefficient, extra product vector, bits per run."""

    runs: list[tuple[float, Array | None, list[Bit]]]
    work: float
    numbers: int
    seconds: float = 0.0  # the runs' estimated time with every hub state live (``SWEEP_SECONDS``)
    orders: tuple[Visit, ...] = ()  # each run's visit order and work (``Layout.visit_order``)


def sweep_seconds(sweeps: Sweeps, live: float) -> float:
    """The query's estimated time on the sweep; ``live``: the share of hub states left.

    >>> round(sweep_seconds(Sweeps([], 0.0, 0, seconds=1e-3), 0.25) * 1e3, 3)
    0.616
    """
    return SWEEP_FIXED + math.pow(live, SWEEP_HUB_POWER) * sweeps.seconds


@dataclass(frozen=True)
class Layout:
    """The engine's structure as the sweep's estimate needs it (built once per engine)."""

    bounds: Array  # first unit state of each unit
    sizes: Array  # unit states per unit
    unit_cells: Array  # parent states x unit states per unit
    n_hub: int
    n_comp: int
    comp_units: Any  # the units of each component (int64, padded), as the kernel reads them
    comp_nunits: Any  # units per component (int64)
    comp_nrows: Any  # rows per component (float)
    orders: dict[bytes, Visit] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        bounds: Array,
        sizes: Array,
        comp_units: Sequence[Sequence[int]],
        comp_rows: Array,
        unit_cells: Array,
        n_hub: int,
    ) -> Layout:
        """From the plan's arrays."""
        rows = np.diff(comp_rows)
        padded = np.zeros((len(comp_units), max(len(us) for us in comp_units)), dtype=np.int64)
        for k, us in enumerate(comp_units):
            padded[k, : len(us)] = us
        n_units = np.array([len(us) for us in comp_units], dtype=np.int64)
        return cls(
            bounds, sizes, np.asarray(unit_cells, dtype=float), n_hub, len(comp_units), padded,
            n_units, rows.astype(float),
        )  # fmt: skip

    def visit_order(self, hit: Sequence[Any]) -> Visit:
        """The kernel's visit order for a run whose bits touch ``hit`` (one row per bit).

        Remembered by ``hit`` (``MAX_ORDERS``); ``clear_memo`` of the engine forgets them.

        >>> from model.priors.loader import load_spec
        >>> from model.inference.noisyor import NoisyOrEngine
        >>> layout = NoisyOrEngine(load_spec())._layout
        >>> everywhere = np.ones(len(layout.sizes), dtype=bool)
        >>> visit = layout.visit_order([everywhere, everywhere])
        >>> sorted(visit.corder.tolist()) == list(range(layout.n_comp)), int(visit.unit_nbits.max())
        (True, 2)
        """
        n_units = len(self.sizes)
        touch = np.stack(hit).astype(np.bool_) if len(hit) else np.zeros((0, n_units), np.bool_)
        key = bytes([len(hit)]) + touch.tobytes()
        found = self.orders.get(key)
        if found is not None:
            return found
        from model.inference._fired_kernel import plan_visit

        corder, urank, first, work, unit_bits, unit_nbits, n_live, max_live = plan_visit(
            touch, self.comp_units, self.comp_nunits, self.comp_nrows, self.unit_cells
        )
        if len(self.orders) >= MAX_ORDERS:
            self.orders.clear()
        found = Visit(
            corder, urank, first, float(work), unit_bits, unit_nbits, int(n_live), int(max_live)
        )
        self.orders[key] = found
        return found


class Visit(NamedTuple):
    """A run's visit order, as the kernel reads it (``plan_visit``)."""

    corder: Any  # the components in visit order
    urank: Any  # each unit's rank (units of a component visited by increasing rank)
    first: Any  # the first unit each bit touches in that order (-1: none)
    work: float  # the estimated multiply-adds (``order_work``)
    unit_bits: Any  # the bits touching each unit, first ``unit_nbits[u]`` of its row
    unit_nbits: Any
    n_live: int  # live states summed over the component boundaries (the messages' size)
    max_live: int  # the most live states at one boundary


def plan_runs(
    forms: Sequence[list[Choice]], layout: Layout, hits: Mapping[int, Any]
) -> Sweeps | None:
    """Combine the findings' terms into runs, with their work; ``None`` if too many.

    ``hits``: each bit's ``touches`` by ``id`` (computed once, when the engine is built).
    """
    n_runs = math.prod(len(f) for f in forms)
    if n_runs > MAX_FIRED_RUNS:
        return None
    runs: list[tuple[float, Array | None, list[Bit]]] = [(1.0, None, [])]
    for form in forms:
        grown = []
        for coef, vec, bits in runs:
            for c, v, bit in form:
                nv = vec if v is None else (v if vec is None else vec * v)
                grown.append((coef * c, nv, [*bits, bit] if bit is not None else bits))
        runs = grown
    work, numbers, seconds = 0.0, 0, 0.0
    orders = []
    for _, _, bits in runs:
        n_bits = len(bits)
        hit = [touches_of(bit, hits, layout.bounds, layout.sizes) for bit in bits]
        visit = layout.visit_order(hit)
        orders.append(visit)
        run_work = visit.work
        work += run_work
        seconds += SWEEP_SECONDS * math.pow(run_work, SWEEP_POWER)
        # messages (alpha at every boundary's live states, gamma twice at one boundary's),
        # the row scratch over all 2^B states, operators and cofactors (3^t at most)
        pairs = 3.0 ** np.sum(hit, axis=0) if hit else np.ones(len(layout.sizes))
        cells = layout.unit_cells
        tables = 2.0 * float((cells // layout.sizes) @ pairs) + float(layout.sizes @ pairs)
        messages = layout.n_hub * (visit.n_live + 2 * visit.max_live)
        scratch = 2 * (int(layout.comp_nunits.max()) + 1) << n_bits
        numbers = max(numbers, messages + scratch + int(tables))
    if numbers > MAX_FIRED_NUMBERS:
        return None
    return Sweeps(runs, work, numbers, seconds, tuple(orders))


def _leak_at_first(bit: Bit, first: int, bounds: Array, sizes: Array) -> Bit:
    """The bit with its leak moved into ``first``, the first unit it touches (-1: none).

    Before that unit the bit is then clear in every state with mass, which the kernel
    skips: ``stay' = init0 stay``, ``fire' = init0 fire + init1 keep``, both non-negative.
    """
    if first < 0 or (bit.init0 == 1.0 and bit.init1 == 0.0):
        return bit
    lo, hi = int(bounds[first]), int(bounds[first]) + int(sizes[first])
    stay, fire = bit.stay.copy(), bit.fire.copy()
    stay[lo:hi] = bit.init0 * bit.stay[lo:hi]
    fire[lo:hi] = bit.init0 * bit.fire[lo:hi] + bit.init1 * bit.keep[lo:hi]
    return Bit(stay, fire, bit.keep, 1.0, 0.0, bit.cond)


def sweep(
    common: tuple[Any, ...],
    d: Array,
    bits: list[Bit],
    layout: Layout,
    visit: Visit,
) -> tuple[float, Array, Array, Array]:
    """One compiled sweep: P(e) (scaled as ``d``), unit-state joints, hub and row shares.

    The kernel visits the units in the order ``visit`` (``layout.visit_order`` of these
    bits, planned with the run), each bit's leak moved into the first unit it touches there.
    """
    from model.inference._fired_kernel import fired_sweep

    n_xs = len(d)
    bounds, sizes = layout.bounds, layout.sizes
    bits = [
        _leak_at_first(b, int(u), bounds, sizes) for b, u in zip(bits, visit.first, strict=True)
    ]
    if bits:
        stay = np.stack([b.stay for b in bits])
        fire = np.stack([b.fire for b in bits])
        keep = np.stack([b.keep for b in bits])
    else:
        stay = fire = keep = np.ones((1, n_xs))[:0]
    init0 = np.array([b.init0 for b in bits], dtype=float)
    init1 = np.array([b.init1 for b in bits], dtype=float)
    total, joint, hub_share, row_share = fired_sweep(  # type: ignore[call-arg]
        *common, d, stay, fire, keep, init0, init1, visit.unit_bits, visit.unit_nbits,
        visit.corder, visit.urank,
    )  # fmt: skip
    return float(total), joint, hub_share, row_share
