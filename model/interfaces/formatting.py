"""Plain-text rendering of a diagnosis, shared by the command line and the interview."""

from __future__ import annotations

from model.results import Diagnosis
from model.triage import DISCLAIMER


def format_table(d: Diagnosis, details: bool = False) -> str:
    """The triage (level, reasons, what to do), the ranked causes and the disclaimer.

    With ``details`` the numbers behind the triage follow the reasons.
    """
    # with nothing answered the level is self-care by definition, which is no advice yet
    title = d.triage.title if d.evidence else "answer the questions first"
    lines = [f"TRIAGE: {d.triage.level.upper()} - {title}"]
    lines += [f"  - {r}" for r in d.triage.reasons]
    if details and d.triage.details:
        lines += ["", "Triage numbers:"] + [f"  - {x}" for x in d.triage.details]
    lines += ["", "What to do:"] + [f"  - {a}" for a in d.triage.advice]
    lines += ["", f"{'cause':<38} {'now':>6} {'prior':>6}"]
    for c in d.causes:
        bar = "#" * round(c.probability * 20)
        lines.append(f"{c.label:<38} {c.probability:>6.1%} {c.prior:>6.1%}  {bar}")
        if len(c.states) > 2 and c.probability >= 0.01:
            grades = ", ".join(f"{s} {p:.1%}" for s, p in list(c.states.items())[1:])
            lines.append(f"{'':<40}{grades}")
    lines += ["", DISCLAIMER]
    return "\n".join(lines)
