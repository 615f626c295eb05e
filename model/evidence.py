"""Check evidence against the model's vocabulary before any engine sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from model.errors import EvidenceError, UnknownCauseError, one_of
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


def smallest_conflict(
    evidence: Mapping[str, str], impossible: Callable[[dict[str, str]], bool]
) -> list[str]:
    """A small subset of impossible evidence that is still impossible, as ``id=state`` items.

    Items are dropped one at a time, in order, while ``impossible`` holds for the rest.

    >>> smallest_conflict({"a": "1", "b": "2", "c": "3"}, lambda e: "b" in e and "c" in e)
    ['b=2', 'c=3']
    """
    conflict = dict(evidence)
    for var in list(evidence):
        trial = {k: v for k, v in conflict.items() if k != var}
        if impossible(trial):
            conflict = trial
    return [f"{k}={v}" for k, v in conflict.items()]


def resolve_cause(
    variables: Mapping[str, Variable], cause: str, state: str | None = None
) -> tuple[Variable, int | None]:
    """The cause's variable and the index of ``state`` (``None`` when no state is given).

    Raises
    ------
    UnknownCauseError
        For an id that is not a cause, or a state the cause lacks, naming the choices.

    Examples
    --------
    >>> from model.priors.spec import Variable
    >>> vs = {"clot": Variable("clot", "cause", ("absent", "present"), "Clot")}
    >>> resolve_cause(vs, "clot", "present")[1]
    1
    >>> resolve_cause(vs, "clots")
    Traceback (most recent call last):
    ...
    model.errors.UnknownCauseError: unknown cause 'clots'; valid: clot (did you mean 'clot'?)
    """
    variable = variables.get(cause)
    if variable is None or variable.kind != "cause":
        causes = [v for v, var in variables.items() if var.kind == "cause"]
        raise UnknownCauseError(f"unknown cause '{cause}'; {one_of(cause, causes)}")
    if state is None:
        return variable, None
    if state not in variable.states:
        raise UnknownCauseError(unknown_state(cause, state, list(variable.states)))
    return variable, variable.states.index(state)
