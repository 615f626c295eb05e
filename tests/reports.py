"""Score reports that tests hand to the terminal summary (so they print under parallel workers).

A test records its report with ``record_property(SCORES, text)``; ``conftest.py`` prints
every such report after the run, whichever worker ran the test.
"""

from __future__ import annotations

from collections.abc import Callable

SCORES = "score_report"
RecordProperty = Callable[[str, object], None]
