"""Triage: the only place that turns posteriors (and answers) into a level, reasons and advice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .inference.tables import Array
from .priors.spec import LEVELS, Level, ModelSpec, TriageRule

Dist = Sequence[float] | Array  # a distribution in the variable's state order

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
class Triage:
    """The triage level, the reasons behind it, and the advice to show."""

    level: Level
    reasons: tuple[str, ...]
    advice: tuple[str, ...]

    @property
    def title(self) -> str:
        """The level in plain words."""
        return LEVEL_TITLES[self.level]


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

    >>> from model.priors.loader import load_spec
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
    dists: Mapping[str, Dist],
    evidence: Mapping[str, str],
    why: Callable[[TriageRule], list[str]] | None = None,
) -> Triage:
    """The highest level any rule fires; self-care when none does.

    Rules are thresholds on posteriors only, so a benign picture elsewhere cannot mask a
    red flag whose probability has crossed its threshold. ``why(rule)`` names the
    evidence behind a fired rule (``supporting_evidence`` when not given).
    """
    variables = spec.variables
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
    ranked = sorted(dists, key=lambda c: -(1.0 - float(dists[c][0])))
    if not fired:
        top = ranked[0]
        reasons.append(
            "no red flag or review threshold reached; most likely "
            f"{variables[top].label.lower()} ({1.0 - float(dists[top][0]):.0%})"
        )
    advice = [spec.advice.get(level, "")]
    advice += [rule.advice for rule, _ in fired]
    for c in ranked[:3]:
        dist, states = dists[c], variables[c].states
        if 1.0 - float(dist[0]) >= 0.3:
            grade = states[1 + int(np.argmax(np.asarray(dist)[1:]))]
            key = f"{c}.{grade}" if len(states) > 2 else c
            text = spec.cause_advice.get(key) or spec.cause_advice.get(c)
            if text:
                advice.append(f"{variables[c].label}: {text}")
    return Triage(level, tuple(reasons), tuple(dict.fromkeys(a for a in advice if a)))
