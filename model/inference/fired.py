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
along the units in a fixed order: it starts set with the leak's probability ``1 - b_f``,
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

Cost model
----------
Per run with ``B`` bits: at most ``4 sum_k |R_k| sum_{u in k} 3^t_u 2^(B - t_u)``
multiply-adds for the rows (forward; prefix, suffix and cofactors backward; the forward
passes skip the states of bits not met yet, since a bit's leak enters at the first unit it
touches and units are visited most-read first; the first unit keeps only its ``2^t``
pairs from the clear state, and the message back out of it is never formed) plus
``2 sum_u |P_u| |X_u| 3^t_u`` for the operators and joints, and ``|H| 2^B (K + 3)`` numbers
of messages. Polynomial in the causes, units, rows and negative findings; exponential
only in the positive findings, like Quickscore (``2^B`` states against its ``2^B``
combinations), at about ``1.5^t`` times its work per combination, and with no
cancellation to guard against. On the shipped model (384 hub states, 9,984 rows, 17
units; the DVT unit, which most findings read, first) the estimate is about 10^6
multiply-adds with the complaint alone, 10^7 with four positive findings (the complaint
among them) and 2 x 10^8 with eight; each ``symptom_duration`` state adds six runs with
one more bit. Measured time is not proportional to the estimate: a run costs about 0.3-0.5
ms whatever its bits (every run visits every live hub state and row), and runs with more bits
go faster per multiply-add (1.3 ns with none, 0.25 ns with eight). ``Sweeps.seconds`` is
a fit of each run's time to a power of its estimate (``SWEEP_SECONDS``), which the engine weighs
against enumeration's time (``STABLE_SECONDS`` per cause configuration, in
``model.inference.noisyor``); ``FIRED_LARGE_BUDGET`` multiply-adds bound it when the stable
method would be pgmpy; ``MAX_FIRED_NUMBERS`` bounds the memory (about 32 MB).

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
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.inference.tables import Array

# a run's time, about ``SWEEP_SECONDS * work ** SWEEP_POWER * live ** SWEEP_HUB_POWER``
# seconds, ``live`` the share of hub states the evidence leaves (the kernel skips the
# others; ``work`` counts them all): a log-log least-squares fit of 1,660 measured runs
# (shipped model, one thread, bench sets of seeds 21 and 25; median relative error 24%).
# The power below one is the fixed cost of every run.
SWEEP_SECONDS = 1.74e-8
SWEEP_POWER = 0.816
SWEEP_HUB_POWER = 0.669
FIRED_LARGE_BUDGET = 4_000_000_000  # multiply-adds (seconds) when the stable method is pgmpy
FIRED_PREFER = 1.5  # the sweep first while it costs at most this times the signed sum
MAX_FIRED_NUMBERS = 1 << 22  # message numbers (32 MB) per sweep
MAX_FIRED_RUNS = 64  # outer runs (products of the general findings' terms)


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
    seconds: float = 0.0  # estimated time with every hub state live (``SWEEP_SECONDS``)


@dataclass(frozen=True)
class Layout:
    """The engine's structure as the sweep's estimate needs it (built once per engine)."""

    bounds: Array  # first unit state of each unit
    sizes: Array  # unit states per unit
    order: Any  # the units in the order the kernel visits them (int64)
    unit_rows: Array  # rows of each unit's component
    unit_cells: Array  # parent states x unit states per unit
    n_hub: int
    n_comp: int

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
        unit_rows = np.zeros(len(sizes))
        for k, us in enumerate(comp_units):
            unit_rows[list(us)] = rows[k]
        order = np.array([u for us in comp_units for u in us], dtype=np.int64)
        return cls(bounds, sizes, order, unit_rows, unit_cells, n_hub, len(comp_units))


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
    n_units = len(layout.sizes)
    pos = np.empty(n_units, dtype=np.int64)
    pos[layout.order] = np.arange(n_units)
    first = int(layout.order[0])
    for _, _, bits in runs:
        n_bits = len(bits)
        hit = np.zeros((n_bits, n_units), dtype=np.bool_)
        for i, bit in enumerate(bits):
            hit[i] = touches_of(bit, hits, layout.bounds, layout.sizes)
        t = hit.sum(axis=0)
        # forward passes skip the states of bits not met yet (leaks at the first unit)
        first_pos = np.where(hit, pos[None, :], n_units).min(axis=1, initial=n_units)
        before = first_pos[:, None] < pos[None, :]
        old = (hit & before).sum(axis=0)
        met = before.sum(axis=0)
        forward = 2.0**n_bits + 3.0**old * 2.0 ** (t - old + met - old)
        backward = 3.0**t * 2.0 ** (n_bits - t)
        backward[first] = 0.0  # the message back out of the first unit: unused
        pairs = 3.0**t
        pairs[first] = 2.0 ** t[first]  # the first unit meets its bits clear: 2^t pairs
        run_work = float(layout.unit_rows @ (3.0 * forward + backward))
        run_work += 2.0 * float(layout.unit_cells @ pairs)
        work += run_work
        seconds += SWEEP_SECONDS * math.pow(run_work, SWEEP_POWER)
        # messages (alpha per component, gamma twice), operators and cofactors
        cells = layout.unit_cells
        tables = 2.0 * float((cells // layout.sizes) @ pairs) + float(layout.sizes @ pairs)
        numbers = max(numbers, layout.n_hub * (layout.n_comp + 3) * (1 << n_bits) + int(tables))
    if numbers > MAX_FIRED_NUMBERS:
        return None
    return Sweeps(runs, work, numbers, seconds)


def _leak_at_first(bit: Bit, hit: Any, order: Sequence[int], bounds: Array, sizes: Array) -> Bit:
    """The bit with its leak moved into the first unit it touches (in sweep order).

    Before that unit the bit is then clear in every state with mass, which the kernel
    skips: ``stay' = init0 stay``, ``fire' = init0 fire + init1 keep``, both non-negative.
    """
    first = next((u for u in order if hit[u]), None)
    if first is None or (bit.init0 == 1.0 and bit.init1 == 0.0):
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
    bounds: Array,
    sizes: Array,
    order: Sequence[int],
    hits: Mapping[int, Any],
) -> tuple[float, Array, Array, Array]:
    """One compiled sweep: P(e) (scaled as ``d``), unit-state joints, hub and row shares.

    ``order``: the units in the order the kernel visits them (components, then units);
    ``hits``: each bit's ``touches`` by ``id``, where known.
    """
    from model.inference._fired_kernel import fired_sweep

    n_xs = len(d)
    n_units = len(sizes)
    hit = [touches_of(b, hits, bounds, sizes) for b in bits]
    bits = [_leak_at_first(b, h, order, bounds, sizes) for b, h in zip(bits, hit, strict=True)]
    if bits:
        stay = np.stack([b.stay for b in bits])
        fire = np.stack([b.fire for b in bits])
        keep = np.stack([b.keep for b in bits])
        touch = np.stack(hit, axis=1)
    else:
        stay = fire = keep = np.ones((1, n_xs))[:0]
        touch = np.zeros((n_units, 0), dtype=np.bool_)
    init0 = np.array([b.init0 for b in bits], dtype=float)
    init1 = np.array([b.init1 for b in bits], dtype=float)
    unit_nbits = touch.sum(axis=1).astype(np.int64)
    unit_bits = np.zeros((n_units, max(1, len(bits))), dtype=np.int64)
    for u in range(n_units):
        ids = np.flatnonzero(touch[u])
        unit_bits[u, : len(ids)] = ids
    total, joint, hub_share, row_share = fired_sweep(  # type: ignore[call-arg]
        *common, d, stay, fire, keep, init0, init1, unit_bits, unit_nbits
    )
    return float(total), joint, hub_share, row_share
