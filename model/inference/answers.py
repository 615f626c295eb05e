"""The causes' marginals after each possible single answer, as "what to ask next" needs them.

An engine may answer many at once: ``EnumerationEngine.marginals_after`` weighs every
finding's answers in one pass over the cause configurations, ``NoisyOrEngine``'s sends
it those its own path cannot take. Any other engine is asked once per answer.

>>> from model.priors.loader import load_spec
>>> from model.inference.enumeration import EnumerationEngine
>>> eng = EnumerationEngine(load_spec())
>>> ev = {"calf_pain_presentation": "yes"}
>>> after = marginals_after(eng, ["dvt"], [("one_leg_swelling", "yes")], ev)
>>> after["one_leg_swelling", "yes"]["dvt"].round(3)
array([0.953, 0.047])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from model.inference.tables import Array

AnswerKey = tuple[str, str]  # (variable, state)


def marginals_after(
    engine: Any, causes: Sequence[str], answers: Sequence[AnswerKey], evidence: Mapping[str, str]
) -> dict[AnswerKey, dict[str, Array]]:
    """``P(cause | evidence, variable = state)`` for each cause and each answer.

    ``engine`` has ``marginals(variables, evidence)``, and may have ``marginals_after``
    with this signature (minus the engine), which is then used.
    """
    batch = getattr(engine, "marginals_after", None)
    if batch is not None:
        out: dict[AnswerKey, dict[str, Array]] = batch(causes, answers, evidence)
        return out
    return one_query_each(engine, causes, answers, evidence)


def one_query_each(
    engine: Any, causes: Sequence[str], answers: Sequence[AnswerKey], evidence: Mapping[str, str]
) -> dict[AnswerKey, dict[str, Array]]:
    """The same, by one ``marginals`` query per answer."""
    return {(v, s): engine.marginals(causes, {**evidence, v: s}) for v, s in answers}
