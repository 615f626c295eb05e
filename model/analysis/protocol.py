"""What analysis code needs of a model: its spec, exact posteriors, and a copy with new numbers.

``model.api.DiagnosticModel`` satisfies ``PosteriorModel``; analysis modules depend on this
protocol, never on the facade, so imports run one way (analysis -> inference -> priors).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from model.errors import ImpossibleEvidenceError, impossible_message
from model.evidence import EvidenceLike, check_evidence
from model.inference.tables import Array
from model.priors.spec import ModelSpec


class PosteriorModel(Protocol):
    """A compiled model: its spec, exact posteriors and log P(evidence), and re-parameterised copies."""

    @property
    def spec(self) -> ModelSpec:
        """The validated priors the model was built from."""
        ...

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable, in the variable's state order."""
        ...

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence), and the conflicting items when it is zero."""
        ...

    def marginals_after(
        self, causes: Sequence[str], answers: Sequence[tuple[str, str]], evidence: Mapping[str, str]
    ) -> dict[tuple[str, str], dict[str, Array]]:
        """P(cause | evidence, variable = state) for each cause and each single answer."""
        ...

    def with_values(self, values: Mapping[str, float]) -> PosteriorModel:
        """A model with some prior numbers replaced (keys of ``spec.entries``)."""
        ...


def checked(model: PosteriorModel, evidence: EvidenceLike | None) -> dict[str, str]:
    """Evidence validated against the model's vocabulary and refused when impossible.

    Raises
    ------
    EvidenceError
        For an unknown id or state, or two answers that rule each other out (see
        ``model.evidence.check_evidence``).
    ImpossibleEvidenceError
        When the model gives the evidence probability zero.

    Examples
    --------
    >>> from model import load_model
    >>> checked(load_model(), {"bruising": "yes", "cramping": None})
    {'bruising': 'yes'}
    """
    given = check_evidence(model.spec.variables, evidence, model.spec.exclusions)
    if given:
        log_p, conflict = model.log_evidence(given)
        if log_p == -math.inf:
            raise ImpossibleEvidenceError(impossible_message(conflict))
    return given
