"""Time the sensitivity analysis on the shipped model (a benchmark, not a timed test).

Usage: ``.venv/bin/python bench/bench_sensitivity.py [--draws 1000]``.
Targets with the fast exact engine: the full one-way analysis (every parameter, every
cause) under 1 s, and 1,000 uncertainty draws under 10 s.
"""

from __future__ import annotations

import argparse
import time

from model import load_model
from model.analysis.sensitivity import one_way_all, propagate, robustness

SCENARIOS = {
    "doms": {"mileage_jump": "large", "delayed_onset_soreness": "yes", "both_legs": "yes"},
    "dvt_after_flight": {
        "recent_immobility": "yes",
        "one_leg_swelling": "yes",
        "warmth_redness": "yes",
    },
    "achilles_rupture": {"pop_at_onset": "yes", "weak_push_off": "yes", "age_group": "30_to_44"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenario", default="dvt_after_flight", choices=sorted(SCENARIOS))
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    model = load_model()
    evidence = SCENARIOS[args.scenario]
    n_params = len(model.spec.entries)

    start = time.perf_counter()
    tables = one_way_all(model, evidence)
    one_way_s = time.perf_counter() - start
    print(
        f"one-way, {n_params} parameters x {len(tables)} targets ({args.scenario}): "
        f"{one_way_s:.2f} s"
    )

    start = time.perf_counter()
    flips = robustness(model, evidence)
    print(
        f"robustness ({len(flips)} flips, reusing the one-way sweep): "
        f"{time.perf_counter() - start:.2f} s"
    )

    start = time.perf_counter()
    u = propagate(model, evidence, draws=args.draws, seed=0)
    prop_s = time.perf_counter() - start
    print(
        f"propagate, {args.draws} draws: {prop_s:.2f} s ({1000 * prop_s / args.draws:.1f} ms/draw)"
    )
    print(u)


if __name__ == "__main__":
    main()
