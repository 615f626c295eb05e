"""Cost model of a noisy-OR-factorised variable elimination on the shipped model's bench sets.

Issue 12 suggests a noisy-OR-factorised join tree as one way to an exact engine that grows
slowly with the causes. This script counts, without running it, the multiply-adds such an
engine would need on the same 200 random sets as ``bench_engines.py --only shipped``, to
show whether it could meet the 2 ms p95 target where the shipped engine does not.

How the count is made (a lower bound on the work, not a timing):
- factors: each risk factor's prior, each cause's table over its parents (risk factors and
  parent causes); an observed risk factor has one state. A finding observed ``no`` folds
  into its causes' factors at no cost in width.
- a finding observed ``yes`` is decomposed sign-free: a chain of binary "fired yet?"
  variables through its parent causes, in the best of three fixed cause orders (file,
  elimination and reverse elimination order of the causes-and-risk-factors graph);
- the presenting complaint, linked to every cause, as two signed runs (as the shipped
  engine does); ``symptom_duration`` (the ``average`` rule) as ``ceil(m / 2) + 1`` runs
  (Gauss-Legendre nodes and the leak) with a binary "chosen cause passed?" chain through its
  ``m`` parents;
- elimination by greedy min-fill (weighted by state counts, ties by name); a step costs the
  size of the table it forms; the posteriors of every cause cost three times the forward
  pass (a two-pass calibration and the marginals).

Run: ``.venv/bin/python bench/ve_cost.py`` (about 20 seconds).
"""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engines import sets_for  # noqa: E402

from model.priors.loader import load_spec  # noqa: E402

SPEC = load_spec()
CARD = {k: len(v.states) for k, v in SPEC.variables.items()}
RISK = [r.variable.id for r in SPEC.risk_factors]
CAUSES = [c.variable.id for c in SPEC.causes]
FINDINGS = [f.variable.id for f in SPEC.findings]
COMPLAINT = SPEC.presentation.variable.id
DURATION = [c.variable.id for c in SPEC.categorical]
PARENTS = {v: list(SPEC.parents(v)) for v in [*CAUSES, *FINDINGS, *DURATION]}


def eliminate(
    scopes: list[set[str]], card: dict[str, int], by_degree: bool = False
) -> tuple[list[str], int]:
    """Greedy elimination of every variable in ``scopes``: the order and its multiply-adds.

    Min-fill weighted by state counts, or fewest live neighbours with ``by_degree``; ties
    by name, so the result does not depend on set order.
    """
    nb: dict[str, set[str]] = {}
    for s in scopes:
        for v in s:
            nb.setdefault(v, set()).update(s - {v})
    alive, order, total = set(nb), [], 0

    def key(v: str) -> tuple[int, int, str]:
        n = sorted(nb[v] & alive)
        if by_degree:
            return len(n), 0, v
        fill = sum(card[a] * card[b] for i, a in enumerate(n) for b in n[i + 1 :] if b not in nb[a])
        return fill, card[v] * math.prod(card[u] for u in n), v

    while alive:
        v = min(alive, key=key)
        n = nb[v] & alive
        total += card[v] * math.prod(card[u] for u in n)
        for a in n:
            nb[a].update(n - {a})
        alive.discard(v)
        order.append(v)
    return order, total


def cause_orders() -> dict[str, dict[str, int]]:
    """Orders for the causes along a chain: file order, and the risk-factor graph's."""
    order, _ = eliminate([{c, *PARENTS[c]} for c in CAUSES], CARD, by_degree=True)
    pos = {v: i for i, v in enumerate(order)}
    file = {c: i for i, c in enumerate(CAUSES)}
    return {"file": file, "elim": pos, "reverse": {c: -p for c, p in pos.items()}}


def forward(ev: dict[str, str], order: dict[str, int]) -> int:
    card = dict(CARD)
    scopes: list[set[str]] = []
    for r in RISK:
        card[r] = 1 if r in ev else CARD[r]
        scopes.append({r})
    scopes += [{c, *PARENTS[c]} for c in CAUSES]
    chains = [f for f in FINDINGS if ev.get(f) == "yes"] + [d for d in DURATION if d in ev]
    for f in chains:
        prev = None
        ps = sorted(PARENTS[f], key=order.__getitem__)
        for j, c in enumerate(ps):
            scope = {c} | ({prev} if prev else set())
            if j < len(ps) - 1:
                prev = f"{f}#{j}"
                card[prev] = 2
                scope.add(prev)
            scopes.append(scope)
    return eliminate(scopes, card)[1]


def main() -> None:
    orders = cause_orders()
    sets = [{**ev, COMPLAINT: "yes"} for ev in sets_for(SPEC, 200, seed=len(CAUSES))]
    fwd, total = [], []
    for ev in sets:
        f = min(forward(ev, o) for o in orders.values())
        runs = 2 * math.prod(math.ceil(len(PARENTS[d]) / 2) + 1 for d in DURATION if d in ev)
        fwd.append(f)
        total.append(3 * runs * f)
    fwd.sort()
    total.sort()
    p95 = math.ceil(0.95 * len(total)) - 1
    print(f"sets: {len(total)}")
    print(f"forward pass: median {statistics.median(fwd):,.0f}, p95 {fwd[p95]:,.0f} multiply-adds")
    print(
        f"every cause's posterior: median {statistics.median(total):,.0f}, p95 {total[p95]:,.0f}"
        f", max {total[-1]:,.0f} multiply-adds"
    )
    for limit in (2e6, 4e6, 8e6):
        print(f"sets under {limit:,.0f}: {sum(t < limit for t in total)}")


if __name__ == "__main__":
    main()
