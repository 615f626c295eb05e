"""Check evidence against the model's vocabulary before any engine sees it.

Every malformed input (wrong type, a bare string, a non-string id or state, an unknown
name) raises ``EvidenceError``, a ``ValueError``; values are quoted with ``quote`` so a
message is always one line, whatever control characters the input holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from model.errors import EvidenceError, one_of, quote
from model.priors.spec import Variable

UNKNOWN = "unknown"
EvidenceLike = Mapping[str, str | None] | Iterable[tuple[str, str | None]]


def unknown_state(var_id: str, state: str, states: Sequence[str]) -> str:
    r"""The message for a state that ``var_id`` does not have.

    >>> unknown_state("bruising", "yes\nTRIAGE: SELF_CARE", ("no", "yes"))
    "unknown state 'yes\\nTRIAGE: SELF_CARE' for bruising; valid: no, yes"
    """
    return f"unknown state {quote(state)} for {var_id}; {one_of(state, states)}"


def _pairs(evidence: object) -> list[tuple[object, object]]:
    """The (id, state) pairs of a mapping or an iterable of pairs, or ``EvidenceError``."""
    if evidence is None:
        return []
    if isinstance(evidence, str | bytes):
        raise EvidenceError(
            f"expected evidence as {{id: state}} or (id, state) pairs, found the string "
            f"{quote(evidence)}; write {{'one_leg_swelling': 'yes'}}, not 'one_leg_swelling=yes'"
        )
    if isinstance(evidence, Mapping):
        return list(evidence.items())
    if not isinstance(evidence, Iterable):
        raise EvidenceError(
            f"expected evidence as {{id: state}} or (id, state) pairs, found {type(evidence).__name__}"
        )
    out: list[tuple[object, object]] = []
    for item in evidence:
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise EvidenceError(f"expected an (id, state) pair, found {quote(item)}")
        out.append((item[0], item[1]))
    return out


def check_evidence(
    variables: Mapping[str, Variable], evidence: EvidenceLike | None
) -> dict[str, str]:
    """Return evidence as ``{id: state}``, dropping unknowns (``None`` or ``"unknown"``).

    Raises
    ------
    EvidenceError
        For evidence that is not a mapping or pairs, an id or state that is not a string,
        an unknown id or state (naming the valid choices), or one id given twice with
        different states.

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
    >>> check_evidence(vs, {1: "yes"})
    Traceback (most recent call last):
    ...
    model.errors.EvidenceError: expected a variable id as a string, found 1; valid: bruising
    """
    out: dict[str, str] = {}
    for var_id, state in _pairs(evidence):
        if not isinstance(var_id, str):
            raise EvidenceError(
                f"expected a variable id as a string, found {quote(var_id)}; "
                f"{one_of('', variables)}"
            )
        if var_id not in variables:
            raise EvidenceError(f"unknown variable {quote(var_id)}; {one_of(var_id, variables)}")
        if state is None or state == UNKNOWN:
            continue
        states = variables[var_id].states
        if not isinstance(state, str):
            raise EvidenceError(
                f"expected a state of {var_id} as a string, found {quote(state)}; "
                f"{one_of('', states)}"
            )
        if state not in states:
            raise EvidenceError(unknown_state(var_id, state, states))
        if var_id in out and out[var_id] != state:
            raise EvidenceError(
                f"{var_id} is given twice, as {quote(out[var_id])} and as {quote(state)}; give it once"
            )
        out[var_id] = state
    return out
