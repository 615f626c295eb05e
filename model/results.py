"""What a diagnosis returns: ranked causes with their state distributions, and the triage."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from model.errors import UnknownCauseError, one_of, quote, unknown_state
from model.triage import DISCLAIMER, Triage

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class CauseResult:
    """One cause's posterior: P(not in its first state) and every state's probability."""

    id: str
    label: str
    probability: float
    states: dict[str, float]
    prior: float = float("nan")

    def __repr__(self) -> str:
        return f"P({self.id}) = {self.probability:.4f}"


@dataclass(frozen=True)
class Diagnosis:
    """Posterior of every cause given the evidence, ranked, with the triage.

    ``log_evidence`` is log P(evidence) under the model.
    """

    evidence: dict[str, str]
    causes: tuple[CauseResult, ...]
    triage: Triage
    log_evidence: float = 0.0
    _by_id: dict[str, CauseResult] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.causes})

    def cause(self, cause: str) -> CauseResult:
        """The result for one cause id."""
        if not isinstance(cause, str):
            raise UnknownCauseError(f"expected a cause id as a string, found {quote(cause)}")
        if cause not in self._by_id:
            raise UnknownCauseError(f"unknown cause {quote(cause)}; {one_of(cause, self._by_id)}")
        return self._by_id[cause]

    def probability(self, cause: str, state: str | None = None) -> float:
        """P(cause present), or P(cause = state) when a state is given."""
        result = self.cause(cause)
        if state is None:
            return result.probability
        if not isinstance(state, str) or state not in result.states:
            raise UnknownCauseError(unknown_state(cause, state, list(result.states)))
        return result.states[state]

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON shape: evidence, ranked causes, triage."""
        return {
            "evidence": dict(self.evidence),
            "causes": [
                {
                    "id": c.id,
                    "label": c.label,
                    "probability": c.probability,
                    "states": dict(c.states),
                }
                for c in self.causes
            ],
            "triage": {
                "level": self.triage.level,
                "reasons": list(self.triage.reasons),
                "advice": list(self.triage.advice),
            },
            "advice": list(self.triage.advice),  # kept at the top level for older readers
            "disclaimer": DISCLAIMER,
        }

    def to_frame(self) -> pd.DataFrame:
        """The ranked causes as a pandas DataFrame (probability, prior, shift, states)."""
        import pandas as pd

        rows = [
            {
                "id": c.id,
                "label": c.label,
                "probability": c.probability,
                "prior": c.prior,
                "shift": c.probability - c.prior,
                **{f"P({s})": p for s, p in c.states.items()},
            }
            for c in self.causes
        ]
        return pd.DataFrame(rows).set_index("id")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(c.label)}</td>"
            f"<td style='text-align:right'>{c.probability:.1%}</td>"
            f"<td style='text-align:left;width:200px'><div style='background:#c0392b;height:0.8em;width:{max(1, round(c.probability * 200))}px'>"
            f"</div></td><td style='text-align:right;color:#666'>{c.prior:.1%}</td></tr>"
            for c in self.causes
        )
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.triage.reasons)
        return (
            f"<div><b>{html.escape(self.triage.title)}</b> ({self.triage.level})<ul>{reasons}</ul>"
            "<table><tr><th style='text-align:left'>cause</th><th>probability</th><th></th>"
            f"<th>before evidence</th></tr>{rows}</table>"
            f"<p><i>{html.escape(DISCLAIMER)}</i></p></div>"
        )

    def __repr__(self) -> str:
        top = ", ".join(f"{c.id} {c.probability:.2f}" for c in self.causes[:3])
        return f"Diagnosis({self.triage.level}: {top})"
