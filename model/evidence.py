"""Check evidence against the model's vocabulary before any engine sees it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from model.errors import EvidenceError, one_of
from model.priors.spec import Variable

UNKNOWN = "unknown"
EvidenceLike = Mapping[str, str | None] | Iterable[tuple[str, str | None]]


def unknown_state(var_id: str, state: str, states: Sequence[str]) -> str:
    """The message for a state that ``var_id`` does not have."""
    return f"unknown state '{state}' for {var_id}; {one_of(state, states)}"


def check_evidence(variables: Mapping[str, Variable], evidence: EvidenceLike) -> dict[str, str]:
    """Return evidence as ``{id: state}``, dropping unknowns (``None`` or ``"unknown"``).

    Raises
    ------
    EvidenceError
        For an unknown id or state (naming the valid choices), or one id given twice
        with different states.

    Examples
    --------
    >>> from model.priors.spec import Variable
    >>> vs = {"bruising": Variable("bruising", "finding", ("no", "yes"), "Bruising")}
    >>> check_evidence(vs, {"bruising": "yes"})
    {'bruising': 'yes'}
    >>> check_evidence(vs, [("bruising", "unknown")])
    {}
    >>> check_evidence(vs, {"bruising": "maybe"})
    Traceback (most recent call last):
    ...
    model.errors.EvidenceError: unknown state 'maybe' for bruising; valid: no, yes
    """
    pairs = evidence.items() if isinstance(evidence, Mapping) else evidence
    out: dict[str, str] = {}
    for var_id, state in pairs:
        if var_id not in variables:
            raise EvidenceError(f"unknown variable '{var_id}'; {one_of(var_id, variables)}")
        if state is None or state == UNKNOWN:
            continue
        states = variables[var_id].states
        if state not in states:
            raise EvidenceError(unknown_state(var_id, str(state), states))
        if var_id in out and out[var_id] != state:
            raise EvidenceError(
                f"{var_id} is given twice, as '{out[var_id]}' and as '{state}'; give it once"
            )
        out[var_id] = state
    return out
