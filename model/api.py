"""The model facade: ``load_model()`` and ``DiagnosticModel``, the public entry points.

Everything here delegates: evidence checks to ``model.evidence``, posteriors to the engine
``model.inference.engines`` chooses, triage to ``model.triage``, explanations, questions
and batch scoring to ``model.analysis``. pgmpy and pandas are imported on first use only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING

from model.analysis.explain import Explanation, explain, raised_by
from model.analysis.protocol import checked
from model.analysis.questions import Question, next_questions
from model.errors import EvidenceError, first_repeated, quote
from model.evidence import EvidenceLike, check_evidence
from model.inference.answers import AnswerKey, marginals_after
from model.inference.engines import Engine, EngineName, make_engine
from model.inference.quickscore import QuickscoreKernel
from model.inference.tables import Array
from model.priors.loader import load_spec
from model.priors.spec import ModelSpec, Variable
from model.results import CauseResult, Diagnosis
from model.triage import decide_triage

if TYPE_CHECKING:
    import pandas as pd
    from pgmpy.models import DiscreteBayesianNetwork

    from model.inference.formats import Format


class DiagnosticModel:
    """The calf-pain network compiled from a validated spec.

    ``engine="fast"`` (the default) answers with ``model.inference.noisyor`` (guarded
    Quickscore); ``engine="enumeration"`` with ``model.inference.enumeration`` (a
    cross-check); ``engine="pgmpy"`` with pgmpy's variable elimination, the reference.

    >>> m = load_model()
    >>> d = m.diagnose({"one_leg_swelling": "yes", "age_group": "45_to_59"})
    >>> d.triage.level, round(d.probability("dvt"), 3)
    ('urgent', 0.052)
    """

    def __init__(
        self, spec: ModelSpec, engine: EngineName = "fast", previous: Engine | None = None
    ) -> None:
        self._spec = spec
        self.engine_name: EngineName = engine
        # ``previous``: an engine of the same network to update (see ``with_values``)
        self.engine: Engine = make_engine(spec, engine, previous)

    @property
    def spec(self) -> ModelSpec:
        """The validated priors the model was built from."""
        return self._spec

    @property
    def variables(self) -> dict[str, Variable]:
        """Every variable by id (risk factors, causes, findings): ``spec.variables``."""
        return self.spec.variables

    @property
    def cause_ids(self) -> tuple[str, ...]:
        """The causes, in network order: ``spec.cause_ids``."""
        return self.spec.cause_ids

    def check(self, evidence: EvidenceLike) -> dict[str, str]:
        """Validate evidence (see ``model.evidence.check_evidence``)."""
        return check_evidence(self.spec.variables, evidence, self.spec.exclusions)

    @cached_property
    def network(self) -> DiscreteBayesianNetwork:
        """The pgmpy network (built on first use: the fast engine does not need it).

        calfdx conditions every answer on the presenting complaint, the node
        ``calf_pain_presentation`` (a runner who comes with calf or lower-leg pain); query
        the network, or its export, with it set to "yes" for the same numbers:

        >>> m = load_model()
        >>> net = m.network
        >>> from pgmpy.inference import VariableElimination
        >>> evidence = {"calf_pain_presentation": "yes", "one_leg_swelling": "yes"}
        >>> q = VariableElimination(net).query(["dvt"], evidence, show_progress=False)
        >>> d = m.diagnose({"one_leg_swelling": "yes"})
        >>> round(float(q.values[1]), 4), round(d.probability("dvt"), 4)
        (0.0467, 0.0467)
        """
        from model.inference.pgmpy_adapter import build_network

        return build_network(self.spec)

    @cached_property
    def quickscore(self) -> QuickscoreKernel | None:
        """The vectorised kernel batch scoring tries first (``model.inference.quickscore``)."""
        cpts = getattr(self.engine, "cpts", None)
        return None if cpts is None else QuickscoreKernel.build(self.spec, cpts)

    def marginals(self, variables: Sequence[str], evidence: Mapping[str, str]) -> dict[str, Array]:
        """P(variable | evidence) for each variable id, in the variable's state order."""
        return self.engine.marginals(variables, evidence)

    def log_evidence(self, evidence: Mapping[str, str]) -> tuple[float, list[str]]:
        """Log P(evidence), and the conflicting items when it is zero."""
        return self.engine.log_evidence(evidence)

    def marginals_after(
        self, causes: Sequence[str], answers: Sequence[AnswerKey], evidence: Mapping[str, str]
    ) -> dict[AnswerKey, dict[str, Array]]:
        """P(cause | evidence, variable = state) for each cause and each ``(variable, state)``."""
        return marginals_after(self.engine, causes, answers, evidence)

    @cached_property
    def priors(self) -> dict[str, CauseResult]:
        """Each cause's distribution with no evidence."""
        return {c.id: c for c in self._results(self.marginals(self.spec.cause_ids, {}), {})}

    def _results(
        self, marginals: Mapping[str, Array], prior: Mapping[str, CauseResult]
    ) -> list[CauseResult]:
        out = []
        for cause in self.spec.causes:
            var = cause.variable
            dist = marginals[var.id]
            states = {s: float(p) for s, p in zip(var.states, dist, strict=True)}
            p = float(1.0 - dist[0])
            before = prior[var.id].probability if var.id in prior else p
            out.append(CauseResult(var.id, var.label, p, states, before))
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
        given = checked(self, evidence)
        log_p = self.engine.log_evidence(given)[0] if given else 0.0
        marginals = self.engine.marginals(self.spec.cause_ids, given)
        results = self._results(marginals, self.priors)
        ranked = tuple(sorted(results, key=lambda c: -c.probability))
        why = partial(raised_by, self, given, cache={}) if explained else None
        triage = decide_triage(self.spec, marginals, given, why)
        return Diagnosis(given, ranked, triage, log_p)

    def explain(self, evidence: EvidenceLike, cause: str, state: str | None = None) -> Explanation:
        """Each evidence item's share of the change in log-odds of a cause (``model.analysis.explain``)."""
        return explain(self, evidence, cause, state)

    def next_questions(
        self, evidence: EvidenceLike | None = None, k: int = 5, red_flags: bool = False
    ) -> list[Question]:
        """The ``k`` most informative unanswered questions (``model.analysis.questions``)."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 0:
            raise EvidenceError(
                f"k: expected a whole number of questions, 0 or more, found {quote(k)}"
            )
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
        import pandas as pd

        from model.analysis.batch import diagnose_frame

        if not isinstance(cases, pd.DataFrame):
            raise EvidenceError(
                f"expected a pandas DataFrame of cases, one column per id, found "
                f"{type(cases).__name__}"
            )
        twice = first_repeated(str(c) for c in cases.columns)
        if twice is not None:
            raise EvidenceError(f"column {quote(twice)} is given twice; give it once")
        return diagnose_frame(self, cases)

    def with_values(self, values: Mapping[str, float]) -> DiagnosticModel:
        """A new model with some prior numbers replaced (see ``ModelSpec.with_values``).

        The engine is updated rather than rebuilt: only what depends on the changed tables
        is recomputed.
        """
        return DiagnosticModel(self.spec.with_values(values), self.engine_name, self.engine)

    def export(self, path: str | os.PathLike[str], fmt: Format = "bif") -> None:
        """Write the network as BIF or XMLBIF, with state names."""
        from model.inference.pgmpy_adapter import write_network

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
