"""The public entry point: ``load_model()`` and ``DiagnosticModel.diagnose()``."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING, Literal, Protocol

from .diagnosis import CauseResult, Diagnosis, decide_triage
from .engine import EnumerationEngine
from .errors import ImpossibleEvidenceError, impossible_message
from .evidence import EvidenceLike, check_evidence
from .explain import Explanation, explain, raised_by
from .loader import load_spec
from .network import Format, VariableEliminationEngine, build_network, write_network
from .questions import Question, next_questions
from .quickscore import QuickscoreKernel
from .spec import ModelSpec, Variable
from .tables import Array

if TYPE_CHECKING:
    import pandas as pd

    from .network import DiscreteBayesianNetwork

EngineName = Literal["fast", "pgmpy"]


class Engine(Protocol):
    """What an exact inference engine offers the model."""

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable, in the variable's state order."""
        ...

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence), and the conflicting items when it is zero."""
        ...


class DiagnosticModel:
    """The calf-pain network compiled from a validated spec.

    ``engine="fast"`` (the default) answers with ``model.engine.EnumerationEngine``;
    ``engine="pgmpy"`` with pgmpy's variable elimination, the reference.

    >>> m = load_model()
    >>> d = m.diagnose({"one_leg_swelling": "yes", "age_group": "45_to_59"})
    >>> 0.0 <= d.probability("dvt") <= 1.0
    True
    >>> d.triage.level in ("urgent", "see_clinician", "self_care")
    True
    """

    def __init__(
        self,
        spec: ModelSpec,
        engine: EngineName = "fast",
        previous: EnumerationEngine | None = None,
    ) -> None:
        self.spec = spec
        self.engine_name: EngineName = engine
        if engine == "fast":
            # ``previous``: a fast engine of the same network to update (see ``with_values``)
            self.engine: Engine = EnumerationEngine(spec, previous=previous)
        elif engine == "pgmpy":
            self.engine = VariableEliminationEngine(self.network)
        else:
            raise ValueError(f"unknown engine '{engine}'; valid: fast, pgmpy")

    @cached_property
    def network(self) -> DiscreteBayesianNetwork:
        """The pgmpy network (built on first use: the fast engine does not need it)."""
        return build_network(self.spec)

    @cached_property
    def quickscore(self) -> QuickscoreKernel | None:
        """The vectorised kernel batch scoring uses first (fast engine only; see ``model.quickscore``)."""
        if not isinstance(self.engine, EnumerationEngine):
            return None
        return QuickscoreKernel.build(self.spec, self.engine.cpts)

    @cached_property
    def variables(self) -> dict[str, Variable]:
        """Every variable by id (risk factors, causes, findings)."""
        return self.spec.variables

    @property
    def cause_ids(self) -> list[str]:
        """The causes, in network order."""
        return [c.variable.id for c in self.spec.causes]

    def check(self, evidence: EvidenceLike) -> dict[str, str]:
        """Validate evidence (see ``model.evidence.check_evidence``)."""
        return check_evidence(self.variables, evidence)

    @cached_property
    def priors(self) -> dict[str, CauseResult]:
        """Each cause's posterior with no evidence."""
        return {c.id: c for c in self._results({})}

    def _results(self, evidence: Mapping[str, str]) -> list[CauseResult]:
        marginals = self.engine.marginals(self.cause_ids, evidence)
        prior = self.__dict__.get("priors", {})
        out = []
        for cause in self.spec.causes:
            var = cause.variable
            dist = marginals[var.id]
            states = {s: float(p) for s, p in zip(var.states, dist, strict=True)}
            before = prior[var.id].probability if var.id in prior else float("nan")
            out.append(CauseResult(var.id, var.label, float(1.0 - dist[0]), states, before))
        if not prior:
            out = [CauseResult(c.id, c.label, c.probability, c.states, c.probability) for c in out]
        return out

    def diagnose(
        self, evidence: EvidenceLike | None = None, *, explained: bool = True
    ) -> Diagnosis:
        """Posterior of every cause given the evidence, ranked, with the triage.

        Evidence not given is unknown and summed out. With ``explained=False`` the triage
        reasons name the linked evidence without computing each item's share (the level is
        the same); batch scoring uses it, since explaining costs dozens of posteriors.

        Raises
        ------
        EvidenceError
            For an unknown id or state, or one id given twice with different states.
        ImpossibleEvidenceError
            When the model gives the evidence probability zero.
        """
        given = self.check(evidence or {})
        log_p, conflict = self.engine.log_evidence(given) if given else (0.0, [])
        if log_p == -math.inf:
            raise ImpossibleEvidenceError(impossible_message(conflict))
        self.priors  # noqa: B018 - computed first so results carry the no-evidence prior
        results = self._results(given)
        ranked = tuple(sorted(results, key=lambda c: -c.probability))
        why = partial(raised_by, self, given, cache={}) if explained else None
        triage = decide_triage(self.spec, {c.id: c for c in results}, given, why)
        return Diagnosis(given, ranked, triage, log_p).with_model(self)

    def explain(self, evidence: EvidenceLike, cause: str, state: str | None = None) -> Explanation:
        """Each evidence item's share of the change in log-odds of a cause (``model.explain``)."""
        return explain(self, evidence, cause, state)

    def next_questions(
        self, evidence: EvidenceLike | None = None, k: int = 5, red_flags: bool = False
    ) -> list[Question]:
        """The ``k`` most informative unanswered questions (``model.questions``)."""
        return next_questions(self, evidence or {}, k, red_flags)

    def diagnose_many(self, cases: pd.DataFrame) -> pd.DataFrame:
        """Posteriors and triage for a table of cases, one row per case, in input order.

        ``cases`` has one column per variable id; an empty cell is unknown. The result has
        each cause's probability (and each grade of a graded cause), ``triage`` and
        ``log_evidence``, indexed like ``cases``. Rows with the same evidence are scored once.

        Raises
        ------
        EvidenceError
            For the first bad row (unknown column or state, impossible evidence), naming its
            row number (1 is the first row of data).

        Examples
        --------
        >>> import pandas as pd
        >>> m = load_model()
        >>> out = m.diagnose_many(pd.DataFrame({"one_leg_swelling": ["yes", None]}))
        >>> list(out["triage"]), bool(out.loc[0, "dvt"] > out.loc[1, "dvt"])
        (['urgent', 'self_care'], True)
        """
        from .batch import diagnose_frame

        return diagnose_frame(self, cases)

    def with_values(self, values: Mapping[str, float]) -> DiagnosticModel:
        """A new model with some prior numbers replaced (see ``ModelSpec.with_values``).

        The fast engine is updated rather than rebuilt: only what depends on the changed
        tables is recomputed (``EnumerationEngine(spec, previous=...)``).
        """
        previous = self.engine if isinstance(self.engine, EnumerationEngine) else None
        return DiagnosticModel(self.spec.with_values(values), self.engine_name, previous)

    def export(self, path: str | os.PathLike[str], fmt: Format = "bif") -> None:
        """Write the network as BIF or XMLBIF, with state names."""
        write_network(self.network, path, fmt)

    def __repr__(self) -> str:
        s = self.spec
        return (
            f"DiagnosticModel({len(s.risk_factors)} risk factors, {len(s.causes)} causes, "
            f"{len(s.findings)} findings from {s.source_dir})"
        )


def load_model(priors_dir: str | os.PathLike[str] | None = None) -> DiagnosticModel:
    """Load and compile the model from a priors folder (the shipped ``priors/`` by default).

    Raises
    ------
    PriorsError
        Listing every problem of the folder.
    """
    return DiagnosticModel(load_spec(priors_dir))
