"""Which path answers a query with ``symptom_duration`` observed, and what each path costs.

The shipped model's p95 misses issue 12's 2 ms mostly on sets that observe the duration
(the ``average`` rule: a leak term and one run per Gauss-Legendre node, ``ceil(m / 2)``
nodes for its ``m`` parents). This script times, cold (memos cleared) and one thread, the
engine's own choice, the fired-set sweep forced, and the stable method (enumeration) on a
few clinic-like sets with and without the duration, to show where that time goes.

Run: ``.venv/bin/python bench/duration_paths.py`` (about 6 seconds).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from model.inference.engines import make_engine
from model.inference.noisyor import NoisyOrEngine
from model.priors.loader import load_spec

COMPLAINT = {"calf_pain_presentation": "yes"}
SETS = {
    "complaint only": COMPLAINT,
    "+ calf muscle pain": {**COMPLAINT, "pain_in_calf_muscle": "yes"},
    "+ swelling, walking pain, tender spot": {
        **COMPLAINT,
        "one_leg_swelling": "yes",
        "pain_when_walking": "yes",
        "local_muscle_tenderness": "yes",
    },
}
REPEATS = 5


def cold_ms(engine: NoisyOrEngine, call: Callable[[], object]) -> float:
    """Median wall time of ``call`` in ms, every memo cleared before each repeat."""
    times = []
    for _ in range(REPEATS):
        engine.clear_memo()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main() -> None:
    """Print one row per set and duration: the path taken and the three times."""
    engine = make_engine(load_spec(), "fast").inner
    assert isinstance(engine, NoisyOrEngine)
    parents = len(engine.cpts["symptom_duration"].parents)
    print(f"symptom_duration: {parents} parents; cold medians of {REPEATS}, ms")
    print("| set | duration | path taken | default | sweep forced | enumeration |")
    print("|---|---|---|---|---|---|")
    for name, base in SETS.items():
        for duration in (None, "days", "months"):
            ev = dict(base) if duration is None else {**base, "symptom_duration": duration}
            before = dict(engine.stats)
            default = cold_ms(engine, lambda ev=ev: engine.marginals(engine.causes, ev))
            path = ", ".join(k for k in before if engine.stats[k] > before[k])
            swept = cold_ms(engine, lambda ev=ev: engine._compute(ev, force="fired"))
            stable = cold_ms(engine, lambda ev=ev: engine._stable().marginals(engine.causes, ev))
            print(
                f"| {name} | {duration or '-'} | {path} | {default:.2f} | {swept:.2f} "
                f"| {stable:.2f} |"
            )


if __name__ == "__main__":
    main()
