"""Check evidence against the model's vocabulary before any engine sees it.

Every malformed input (wrong type, a bare string, a non-string id or state, an unknown
name) raises ``EvidenceError``, a ``ValueError``; values are quoted with ``quote`` so a
message is always one line, whatever control characters the input holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from model.errors import EvidenceError, UnknownCauseError, one_of, quote, unknown_state
from model.priors.spec import Exclusion, Variable

UNKNOWN = "unknown"
EvidenceLike = Mapping[str, str | None] | Iterable[tuple[str, str | None]]


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


def _missing(state: object) -> bool:
    """None, or pandas' and numpy's missing values (``NaN``, ``pd.NA``): a cell left empty."""
    if state is None or (isinstance(state, float) and math.isnan(state)):
        return True
    return type(state).__name__ in ("NAType", "NaTType")  # without importing pandas


def check_evidence(
    variables: Mapping[str, Variable],
    evidence: EvidenceLike | None,
    exclusions: Iterable[Exclusion] = (),
) -> dict[str, str]:
    """Return evidence as ``{id: state}``, dropping unknowns (``None``, ``"unknown"``, NaN).

    Raises
    ------
    EvidenceError
        For evidence that is not a mapping or pairs, an id or state that is not a string,
        an unknown id or state (naming the valid choices), one id given twice with
        different states, or two answers that ``exclusions`` says rule each other out
        (``contradiction``).

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
        if _missing(state) or state == UNKNOWN:
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
    both = contradiction(exclusions, out)
    if both is not None:
        raise EvidenceError(both)
    return out


def contradiction(exclusions: Iterable[Exclusion], evidence: Mapping[str, str]) -> str | None:
    """The message for two answers that rule each other out (a finding's ``excludes``), or None.

    >>> contradiction([(("gap_in_tendon", "yes"), ("palpable_gap", "no"))],
    ...               {"gap_in_tendon": "yes", "palpable_gap": "no"})
    'gap_in_tendon=yes and palpable_gap=no contradict each other; change or remove one of them'
    >>> contradiction([(("gap_in_tendon", "yes"), ("palpable_gap", "no"))], {"gap_in_tendon": "yes"})
    """
    for pair in exclusions:
        (a, sa), (b, sb) = pair
        if evidence.get(a) == sa and evidence.get(b) == sb:
            return contradiction_message(pair)
    return None


def contradiction_message(pair: Exclusion) -> str:
    """The one line for two answers that rule each other out."""
    (a, sa), (b, sb) = pair
    return f"{a}={sa} and {b}={sb} contradict each other; change or remove one of them"


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
    if not isinstance(cause, str) or not (state is None or isinstance(state, str)):
        wrong = cause if not isinstance(cause, str) else state
        raise UnknownCauseError(f"expected a cause id and a state as strings, found {quote(wrong)}")
    variable = variables.get(cause)
    if variable is None or variable.kind != "cause":
        causes = [v for v, var in variables.items() if var.kind == "cause"]
        raise UnknownCauseError(f"unknown cause {quote(cause)}; {one_of(cause, causes)}")
    if state is None:
        return variable, None
    if state not in variable.states:
        raise UnknownCauseError(unknown_state(cause, state, list(variable.states)))
    return variable, variable.states.index(state)
