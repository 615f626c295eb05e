"""Answers as page state: the URL query parameters round trip and the widget values.

A scenario is a plain ``{variable id: state}`` dict holding only the answered
questions; a question left at ``UNKNOWN`` is not evidence (the model sums it out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from model.evidence import UNKNOWN as UNKNOWN  # re-exported for the page
from model.priors.spec import Variable


def answers_from_params(
    params: Mapping[str, str | list[str]], variables: Mapping[str, Variable]
) -> dict[str, str]:
    """Read answers from URL query parameters, dropping unknown ids and invalid states.

    A bookmarked or shared URL can be stale (the priors changed) or hand-edited, so
    anything the model would reject is ignored rather than raised.

    >>> from model.priors.spec import Variable
    >>> v = {"bruising": Variable("bruising", "finding", ("no", "yes"), "Bruising")}
    >>> answers_from_params({"bruising": "yes", "typo": "yes"}, v)
    {'bruising': 'yes'}
    >>> answers_from_params({"bruising": "maybe"}, v)
    {}
    """
    out: dict[str, str] = {}
    for vid, raw in params.items():
        value = raw[-1] if isinstance(raw, list) and raw else raw
        if vid in variables and isinstance(value, str) and value in variables[vid].states:
            out[vid] = value
    return out


def params_from_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """The query parameters for a scenario: answered questions only, sorted by id.

    >>> params_from_answers({"b": "yes", "a": "unknown", "c": "no"})
    {'b': 'yes', 'c': 'no'}
    """
    return {k: v for k, v in sorted(answers.items()) if v != UNKNOWN}


def evidence_key(answers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A hashable, order-free form of a scenario (for caching).

    >>> evidence_key({"b": "yes", "a": "no", "c": "unknown"})
    (('a', 'no'), ('b', 'yes'))
    """
    return tuple(sorted(params_from_answers(answers).items()))


def option_label(var: Variable, state: str) -> str:
    """The text of one answer option: 'Unknown', or the state's label, capitalised.

    >>> v = Variable("bruising", "finding", ("no", "yes"), "Bruising")
    >>> [option_label(v, s) for s in (UNKNOWN, *v.states)]
    ['Unknown', 'No', 'Yes']
    """
    if state == UNKNOWN:
        return "Unknown"
    text = var.state_label(state)
    return text[:1].upper() + text[1:]


def widget_key(var_id: str) -> str:
    """The session-state key of a question's widget."""
    return f"answer__{var_id}"


def answers_from_widgets(session: Mapping[str, object], ids: Iterable[str]) -> dict[str, str]:
    """The scenario the question widgets currently hold.

    >>> answers_from_widgets({"answer__a": "yes", "answer__b": "unknown"}, ["a", "b", "c"])
    {'a': 'yes'}
    """
    out: dict[str, str] = {}
    for vid in ids:
        value = session.get(widget_key(vid), UNKNOWN)
        if isinstance(value, str) and value != UNKNOWN:
            out[vid] = value
    return out
