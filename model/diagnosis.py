"""What a diagnosis returns: ranked causes, their state distributions, and the triage."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .errors import UnknownCauseError, one_of
from .evidence import unknown_state
from .spec import LEVELS, Level, ModelSpec, TriageRule
from .tables import Array

Dist = Sequence[float] | Array  # a distribution in the variable's state order

if TYPE_CHECKING:
    import pandas as pd

    from .api import DiagnosticModel
    from .explain import Explanation

DISCLAIMER = (
    "Decision support, not a diagnosis: calfdx weighs what you report against published "
    "figures; a clinician who examines you decides."
)
LEVEL_TITLES: dict[str, str] = {
    "urgent": "Seek medical care today",
    "see_clinician": "Book an assessment with a clinician",
    "self_care": "Self-care is reasonable",
}


@dataclass(frozen=True)
class CauseResult:
    """One cause's posterior: P(not in its first state) and every state's probability."""

    id: str
    label: str
    probability: float
    states: dict[str, float]
    prior: float = float("nan")

    def __repr__(self) -> str:
        return f"P({self.id}) = {self.probability:.4f}"


@dataclass(frozen=True)
class Triage:
    """The triage level, the reasons behind it, and the advice to show."""

    level: Level
    reasons: tuple[str, ...]
    advice: tuple[str, ...]

    @property
    def title(self) -> str:
        """The level in plain words."""
        return LEVEL_TITLES[self.level]


@dataclass(frozen=True)
class Diagnosis:
    """Posterior of every cause given the evidence, ranked, with the triage.

    ``log_evidence`` is log P(evidence) under the model.
    """

    evidence: dict[str, str]
    causes: tuple[CauseResult, ...]
    triage: Triage
    log_evidence: float = 0.0
    _by_id: dict[str, CauseResult] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {c.id: c for c in self.causes})

    def with_model(self, model: DiagnosticModel) -> Diagnosis:
        """Attach the model that made this diagnosis, so ``explain`` can use it.

        The model is a plain attribute, not a dataclass field: equality, ``asdict`` (which
        Streamlit's cache hashing uses) and pickles carry the numbers, never the model.
        """
        object.__setattr__(self, "_model", model)
        return self

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_model"}

    def cause(self, cause: str) -> CauseResult:
        """The result for one cause id."""
        if cause not in self._by_id:
            raise UnknownCauseError(f"unknown cause '{cause}'; {one_of(cause, self._by_id)}")
        return self._by_id[cause]

    def probability(self, cause: str, state: str | None = None) -> float:
        """P(cause present), or P(cause = state) when a state is given."""
        result = self.cause(cause)
        if state is None:
            return result.probability
        if state not in result.states:
            raise UnknownCauseError(unknown_state(cause, state, list(result.states)))
        return result.states[state]

    def explain(self, cause: str, state: str | None = None) -> Explanation:
        """Each evidence item's share of the change in log-odds of ``cause`` (see ``model.explain``).

        Raises
        ------
        UnknownCauseError
            For an unknown cause or state.
        ValueError
            When the diagnosis was not made by ``DiagnosticModel.diagnose``.
        """
        from .explain import explain

        model: DiagnosticModel | None = getattr(self, "_model", None)
        if model is None:
            raise ValueError("explain() needs a diagnosis made by DiagnosticModel.diagnose")
        return explain(model, self.evidence, cause, state)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON shape: evidence, ranked causes, triage."""
        return {
            "evidence": dict(self.evidence),
            "causes": [
                {
                    "id": c.id,
                    "label": c.label,
                    "probability": c.probability,
                    "states": dict(c.states),
                }
                for c in self.causes
            ],
            "triage": {"level": self.triage.level, "reasons": list(self.triage.reasons)},
            "advice": list(self.triage.advice),
            "disclaimer": DISCLAIMER,
        }

    def to_frame(self) -> pd.DataFrame:
        """The ranked causes as a pandas DataFrame (probability, prior, shift, states)."""
        import pandas as pd

        rows = [
            {
                "id": c.id,
                "label": c.label,
                "probability": c.probability,
                "prior": c.prior,
                "shift": c.probability - c.prior,
                **{f"P({s})": p for s, p in c.states.items()},
            }
            for c in self.causes
        ]
        return pd.DataFrame(rows).set_index("id")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(c.label)}</td>"
            f"<td style='text-align:right'>{c.probability:.1%}</td>"
            f"<td style='text-align:left;width:200px'><div style='background:#c0392b;height:0.8em;width:{max(1, round(c.probability * 200))}px'>"
            f"</div></td><td style='text-align:right;color:#666'>{c.prior:.1%}</td></tr>"
            for c in self.causes
        )
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.triage.reasons)
        return (
            f"<div><b>{html.escape(self.triage.title)}</b> ({self.triage.level})<ul>{reasons}</ul>"
            "<table><tr><th style='text-align:left'>cause</th><th>probability</th><th></th>"
            f"<th>before evidence</th></tr>{rows}</table>"
            f"<p><i>{html.escape(DISCLAIMER)}</i></p></div>"
        )

    def __repr__(self) -> str:
        top = ", ".join(f"{c.id} {c.probability:.2f}" for c in self.causes[:3])
        return f"Diagnosis({self.triage.level}: {top})"


def rule_probability(rule: TriageRule, dist: Dist, order: tuple[str, ...]) -> float:
    """P(the rule's cause is at its state or worse), from its distribution in ``order``."""
    return float(sum(dist[order.index(rule.state) :]))


def rule_probabilities(spec: ModelSpec, marginals: Mapping[str, Dist]) -> dict[str, float]:
    """P(each rule's cause at its state or worse), by the rule's target."""
    variables = spec.variables
    return {
        r.target: rule_probability(r, marginals[r.cause], variables[r.cause].states)
        for r in spec.rules
    }


def fires(rule: TriageRule, probability: float, threshold: float | None = None) -> bool:
    """Whether a rule fires at this probability (at its own threshold unless one is given)."""
    return probability >= (rule.threshold.value if threshold is None else threshold)


def triage_level(spec: ModelSpec, marginals: Mapping[str, Dist]) -> Level:
    """The level the rules give for these cause distributions: what ``decide_triage`` decides."""
    probs = rule_probabilities(spec, marginals)
    fired = [r.level for r in spec.rules if fires(r, probs[r.target])]
    return max(fired, key=LEVELS.index, default="self_care")


def triage_levels(spec: ModelSpec, marginals: Mapping[str, Array]) -> NDArray[np.object_]:
    """``triage_level`` for many cases at once: ``marginals[c]`` is ``(cases, states of c)``.

    >>> from model.loader import load_spec
    >>> spec = load_spec()
    >>> dists = {c.variable.id: np.eye(len(c.variable.states))[:1] for c in spec.causes}
    >>> dists["dvt"] = np.array([[0.5, 0.5]])
    >>> triage_levels(spec, dists).tolist()
    ['urgent']
    """
    variables = spec.variables
    level = np.zeros(len(next(iter(marginals.values()))), dtype=np.intp)
    for rule in spec.rules:
        start = variables[rule.cause].states.index(rule.state)
        probability = marginals[rule.cause][:, start:].sum(axis=1)
        fired = fires(rule, probability)  # elementwise on arrays
        level = np.where(fired, np.maximum(level, LEVELS.index(rule.level)), level)
    return np.array(LEVELS, dtype=object)[level]


def supporting_evidence(spec: ModelSpec, cause: str, evidence: Mapping[str, str]) -> list[str]:
    """Evidence items that raise ``cause`` directly: linked findings present, risk states with OR > 1.

    Ordered by strength (likelihood ratio against the leak, or odds ratio).
    """
    scored: list[tuple[float, str]] = []
    for finding in spec.findings:
        fid = finding.variable.id
        if evidence.get(fid) == "yes":
            strengths = [k.entry.value for k in finding.links if k.cause == cause]
            if strengths:
                scored.append((max(strengths) / max(finding.leak.value, 1e-9), f"{fid}=yes"))
    for c in spec.causes:
        if c.variable.id == cause:
            for o in c.odds_ratios:
                if evidence.get(o.parent) == o.state and o.entry.value > 1.0:
                    scored.append((o.entry.value, f"{o.parent}={o.state}"))
    return [item for _, item in sorted(scored, key=lambda x: -x[0])]


def decide_triage(
    spec: ModelSpec,
    causes: Mapping[str, CauseResult],
    evidence: Mapping[str, str],
    why: Callable[[TriageRule], list[str]] | None = None,
) -> Triage:
    """The highest level any rule fires; self-care when none does.

    Rules are thresholds on posteriors only, so a benign picture elsewhere cannot mask a
    red flag whose probability has crossed its threshold. ``why(rule)`` names the
    evidence behind a fired rule (``supporting_evidence`` when not given).
    """
    variables = spec.variables
    dists = {c.id: [c.states[s] for s in variables[c.id].states] for c in causes.values()}
    probs = rule_probabilities(spec, dists)
    fired = [(rule, probs[rule.target]) for rule in spec.rules if fires(rule, probs[rule.target])]
    fired.sort(key=lambda rp: (-LEVELS.index(rp[0].level), -rp[1]))
    level: Level = fired[0][0].level if fired else "self_care"
    reasons = []
    for rule, p in fired:
        items = why(rule) if why else supporting_evidence(spec, rule.cause, evidence)
        given = f", given {', '.join(items[:4])}" if items else ""
        reasons.append(
            f"{rule.reason}: {p:.0%} (raises to {rule.level} from {rule.threshold.value:.0%}){given}"
        )
    ranked = sorted(causes.values(), key=lambda c: -c.probability)
    if not fired:
        top = ranked[0]
        reasons.append(
            f"no red flag or review threshold reached; most likely {top.label.lower()} ({top.probability:.0%})"
        )
    advice = [spec.advice.get(level, "")]
    advice += [rule.advice for rule, _ in fired]
    for c in ranked[:3]:
        if c.probability >= 0.3:
            grade = max(
                c.states, key=lambda s: c.states[s] if s != variables[c.id].states[0] else -1.0
            )
            key = f"{c.id}.{grade}" if len(c.states) > 2 else c.id
            text = spec.cause_advice.get(key) or spec.cause_advice.get(c.id)
            if text:
                advice.append(f"{c.label}: {text}")
    return Triage(level, tuple(reasons), tuple(dict.fromkeys(a for a in advice if a)))
