"""The one place that chooses an exact inference engine for a spec.

``fast`` is ``model.inference.enumeration.EnumerationEngine``; ``pgmpy`` is pgmpy's
variable elimination (``model.inference.pgmpy_adapter``), imported only when asked for,
so that ``import model`` and the command line never load pgmpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from model.inference.enumeration import EnumerationEngine
from model.inference.tables import Array
from model.priors.spec import ModelSpec

EngineName = Literal["fast", "pgmpy"]
ENGINES: tuple[EngineName, ...] = ("fast", "pgmpy")


class Engine(Protocol):
    """What an exact inference engine offers the model."""

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable, in the variable's state order."""
        ...

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence), and the conflicting items when it is zero."""
        ...


def make_engine(
    spec: ModelSpec, name: EngineName = "fast", previous: Engine | None = None
) -> Engine:
    """An engine for ``spec``; ``previous`` (an engine of the same network) is updated, not rebuilt.

    >>> from model.priors.loader import load_spec
    >>> make_engine(load_spec(), "fast")
    EnumerationEngine(14 causes, 32768 configurations, hubs: age_group, mileage_jump)
    >>> make_engine(load_spec(), "slow")
    Traceback (most recent call last):
    ...
    ValueError: unknown engine 'slow'; valid: fast, pgmpy
    """
    if name == "fast":
        old = previous if isinstance(previous, EnumerationEngine) else None
        return EnumerationEngine(spec, previous=old)
    if name == "pgmpy":
        from model.inference.pgmpy_adapter import VariableEliminationEngine, build_network

        return VariableEliminationEngine(build_network(spec))
    raise ValueError(f"unknown engine '{name}'; valid: {', '.join(ENGINES)}")
