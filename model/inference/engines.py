"""The one place that chooses an exact inference engine for a spec.

``fast`` is ``model.inference.noisyor.NoisyOrEngine`` (guarded Quickscore, compiled with
numba on its first answer; its stable path is the fired-set sweep of ``model.inference.fired``);
``enumeration`` is ``model.inference.enumeration.EnumerationEngine`` (the cross-check, and
the fast engine's last resort where the sweep is estimated slower); ``pgmpy`` is pgmpy's variable
elimination (``model.inference.pgmpy_adapter``), imported only when asked for, so that
``import model`` and the command line never load pgmpy (nor numba).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from model.inference.answers import AnswerKey, marginals_after
from model.inference.enumeration import EnumerationEngine
from model.inference.noisyor import NoisyOrEngine
from model.inference.tables import Array
from model.priors.spec import ModelSpec

EngineName = Literal["fast", "enumeration", "pgmpy"]
ENGINES: tuple[EngineName, ...] = ("fast", "enumeration", "pgmpy")


class Engine(Protocol):
    """What an exact inference engine offers the model."""

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable, in the variable's state order."""
        ...

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence), and the conflicting items when it is zero."""
        ...


class Presenting:
    """An engine for the presenting population: the complaint is always observed ``yes``.

    The network's roots are population rates; ``spec.presentation`` (the calf-pain
    complaint) raises them to presentation rates. It is part of the population the model
    describes, not user evidence, so every query is conditioned on it here, and
    ``log_evidence`` is ``log P(evidence | complaint)``. Attributes of the wrapped engine
    (``cpts``, ``hubs``, ...) are passed through.
    """

    def __init__(self, inner: Engine, complaint: str) -> None:
        self.inner = inner
        self.complaint = complaint
        self._fixed = {complaint: "yes"}
        self.log_presentation = inner.log_evidence(self._fixed)[0]

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence, complaint)."""
        return self.inner.marginals(variables, {**evidence, **self._fixed})

    def marginals_after(
        self, causes: Sequence[str], answers: Sequence[AnswerKey], evidence: Mapping[str, str]
    ) -> dict[AnswerKey, dict[str, Array]]:
        """P(cause | evidence, answer, complaint) for each single answer."""
        return marginals_after(self.inner, causes, answers, {**evidence, **self._fixed})

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence | complaint); on zero, the conflicting items."""
        if not evidence:
            return 0.0, []
        log_p, conflict = self.inner.log_evidence({**evidence, **self._fixed})
        return log_p - self.log_presentation, [
            c for c in conflict if not c.startswith(f"{self.complaint}=")
        ]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return repr(self.inner)


def make_engine(
    spec: ModelSpec, name: EngineName = "fast", previous: Engine | None = None
) -> Engine:
    """An engine for ``spec``; ``previous`` (an engine of the same network) is updated, not rebuilt.

    With a presenting complaint in the spec the engine is wrapped in ``Presenting``.

    >>> from model.priors.loader import load_spec
    >>> make_engine(load_spec(), "fast")
    NoisyOrEngine(20 causes in 17 units, hubs: age_group, vascular_risk, recent_leg_trauma, sex, mileage_jump, hard_surfaces, footwear; 10 components, 9984 rows)
    >>> make_engine(load_spec(), "slow")
    Traceback (most recent call last):
    ...
    ValueError: unknown engine 'slow'; valid: fast, enumeration, pgmpy
    """
    inner = previous.inner if isinstance(previous, Presenting) else previous
    engine = _bare_engine(spec, name, inner)
    if spec.presentation is None:
        return engine
    return Presenting(engine, spec.presentation.variable.id)


def _bare_engine(spec: ModelSpec, name: EngineName, previous: Engine | None) -> Engine:
    if name == "fast":
        prev = previous if isinstance(previous, NoisyOrEngine) else None
        return NoisyOrEngine(spec, previous=prev)
    if name == "enumeration":
        old = previous if isinstance(previous, EnumerationEngine) else None
        return EnumerationEngine(spec, previous=old)
    if name == "pgmpy":
        from model.inference.pgmpy_adapter import VariableEliminationEngine, build_network

        return VariableEliminationEngine(build_network(spec))
    raise ValueError(f"unknown engine '{name}'; valid: {', '.join(ENGINES)}")
