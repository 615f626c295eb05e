"""Server-side time of an explorer rerun after an answer change (AppTest, no browser).

Run: ``.venv/bin/python bench/bench_explorer.py [--repeats N] [--tab-passes N]``. Prints
the median and other quantiles; target: median under 100 ms. Not a test: nothing here
asserts a time.

Each timed rerun changes one answer, cycling through a few questions and states, so the
``st.cache_data`` result cache is hit only when the same scenario comes back (as when a
user toggles an answer back and forth); the first pass over each scenario is reported
separately as "cold". The page opens in the runners' view (its default state); the same
answer changes are then timed in the clinicians' view with each tab open in turn
(opened as a click does, through the tabs' session-state key); there the first pass is
new to the tab's own caches but not to the page's posteriors.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app" / "explorer.py")
CHANGES = [
    ("one_leg_swelling", "yes"),
    ("recent_immobility", "yes"),
    ("age_group", "60_plus"),
    ("one_leg_swelling", "no"),
    ("recent_immobility", "unknown"),
    ("age_group", "unknown"),
    ("one_leg_swelling", "unknown"),
]


def ms(xs: list[float]) -> str:
    """Median, count, min and max of durations in seconds, as milliseconds."""
    med, lo, hi = (f(xs) * 1e3 for f in (statistics.median, min, max))
    return f"median {med:6.1f} ms  (n={len(xs)}, min {lo:.1f}, max {hi:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=6, help="passes over the answer cycle")
    parser.add_argument("--tab-passes", type=int, default=2, help="passes with each tab open")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # bare-mode warnings, not results
    at = AppTest.from_file(APP, default_timeout=60)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    cold, warm = answer_changes(at, args.repeats)
    every = cold + warm
    print(f"first run (model load, pgmpy import): {first * 1e3:.0f} ms")
    print(f"rerun after an answer change, new scenario (cold cache): {ms(cold)}")
    print(f"rerun after an answer change, scenario seen before:      {ms(warm)}")
    print(f"rerun after an answer change, all:                       {ms(every)}")
    print("target: median under 100 ms")
    from app.page import TAB, VIEW  # imported here: the first run imports pgmpy

    at.session_state[VIEW] = "expert"
    at.run()
    print(
        f"clinicians' view, with each tab open ({args.tab_passes} passes; first pass new to the tab):"
    )
    for tab in [t.label for t in at.tabs]:
        at.session_state[TAB] = tab
        at.run()
        assert not at.exception, at.exception
        new, seen = answer_changes(at, args.tab_passes)
        print(f"  {tab:32s} first pass {ms(new)}")
        if seen:
            print(f"  {'':32s} later      {ms(seen)}")


def answer_changes(at: AppTest, passes: int) -> tuple[list[float], list[float]]:
    """Rerun times of the answer cycle through the radios: (first pass, later passes)."""
    first: list[float] = []
    later: list[float] = []
    for rep in range(passes):
        for vid, state in CHANGES:
            at.radio(key=f"answer__{vid}").set_value(state)
            t0 = time.perf_counter()
            at.run()
            (first if rep == 0 else later).append(time.perf_counter() - t0)
            assert not at.exception, at.exception
    return first, later


if __name__ == "__main__":
    main()
