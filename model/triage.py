"""Triage: the only place that turns posteriors (and answers) into a level, reasons and advice.

Two kinds of rule decide the level, and it is the most urgent of both:

- **red flags** (``spec.red_flags``): answers alone set a floor. Evidence only grows as
  questions are answered, so once a red flag holds no further answer lowers the level
  below it, by construction.
- **probability rules** (``spec.rules``): a cause at its state or worse reaching the
  rule's threshold raises the level, whatever else the evidence says.

The advice is one headline action for the level reached, then the specific advice of the
red flags and rules that reached it, then "meanwhile" lines (less urgent rules, likely
causes) unless their ``tags`` are among what a fired rule or red flag ``avoid``s. At urgent
or above the contract's four (``URGENT_AVOIDS``: massage, stretching, compression, running
on) are avoided whatever the fired rules list, so a priors file cannot show them there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .inference.tables import Array
from .priors.spec import LEVELS, Level, ModelSpec, RedFlag, TriageRule, in_sentence

Dist = Sequence[float] | Array  # a distribution in the variable's state order
Support = tuple[str, str, float]  # an evidence item (variable, state) and its weight

DISCLAIMER = (
    "Decision support, not a diagnosis: calfdx weighs what you report against published "
    "figures; a clinician who examines you decides."
)
LEVEL_TITLES: dict[str, str] = {
    "emergency": "Emergency: go to an emergency department or call emergency services now",
    "urgent": "Seek medical care today",
    "see_clinician": "Book an assessment with a clinician",
    "self_care": "Self-care is reasonable",
}
NO_ANSWERS = "Answer the questions about your calf pain first: there is no advice to give yet."
URGENT = LEVELS.index("urgent")
# contract: advice for a less urgent cause that involves these is never shown beside urgent care
URGENT_AVOIDS = frozenset({"massage", "stretching", "compression", "running_on"})


@dataclass(frozen=True)
class Triage:
    """The triage level, the reasons behind it in plain words, and the advice to show.

    ``advice`` is ``action`` (the headline, then the advice of what reached the level)
    followed by the ``meanwhile`` lines. ``details`` holds the numbers behind the level
    for experts (probabilities, thresholds, each answer's share in log-odds);
    ``red_flags`` and ``rules`` name what fired, by red-flag id and rule target.
    """

    level: Level
    reasons: tuple[str, ...]
    advice: tuple[str, ...]
    details: tuple[str, ...] = ()
    action: tuple[str, ...] = ()
    meanwhile: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The level in plain words."""
        return LEVEL_TITLES[self.level]


def at_least(level: Level, floor: Level) -> bool:
    """Whether ``level`` is ``floor`` or more urgent.

    >>> at_least("emergency", "urgent"), at_least("see_clinician", "urgent")
    (True, False)
    """
    return LEVELS.index(level) >= LEVELS.index(floor)


def most_urgent(levels: Iterable[Level]) -> Level:
    """The most urgent of ``levels`` (self_care when there are none).

    >>> most_urgent(["see_clinician", "emergency", "urgent"]), most_urgent([])
    ('emergency', 'self_care')
    """
    return max(levels, key=LEVELS.index, default=LEVELS[0])


def urgent_rules(spec: ModelSpec) -> tuple[TriageRule, ...]:
    """The probability rules at urgent or above: the events the red-flag questions settle.

    >>> from model.priors.loader import load_spec
    >>> sorted(r.target for r in urgent_rules(load_spec()))  # doctest: +NORMALIZE_WHITESPACE
    ['achilles_rupture', 'acute_compartment_syndrome', 'calf_strain.grade_3', 'dvt',
     'exertional_rhabdomyolysis', 'popliteal_artery_entrapment', 'superficial_thrombophlebitis']
    """
    return tuple(r for r in spec.rules if LEVELS.index(r.level) >= URGENT)


def holding_red_flags(spec: ModelSpec, evidence: Mapping[str, str]) -> list[RedFlag]:
    """The red flags the answers meet, most urgent first (file order within a level)."""
    held = [f for f in spec.red_flags if f.holds(evidence)]
    return sorted(held, key=lambda f: -LEVELS.index(f.level))


def red_flag_floor(spec: ModelSpec, evidence: Mapping[str, str]) -> Level:
    """The floor the red flags set under the level (self_care when none holds).

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> red_flag_floor(spec, {"pop_at_onset": "yes"}), red_flag_floor(spec, {"pop_at_onset": "yes", "weak_push_off": "yes"})
    ('self_care', 'urgent')
    """
    return most_urgent(f.level for f in spec.red_flags if f.holds(evidence))


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


def triage_level(
    spec: ModelSpec, marginals: Mapping[str, Dist], evidence: Mapping[str, str]
) -> Level:
    """The level ``decide_triage`` decides: the rules on ``marginals`` and the red flags on ``evidence``."""
    probs = rule_probabilities(spec, marginals)
    fired = [r.level for r in spec.rules if fires(r, probs[r.target])]
    return most_urgent([*fired, red_flag_floor(spec, evidence)])


def red_flag_floors(
    spec: ModelSpec, columns: Sequence[str], codes: NDArray[np.integer]
) -> NDArray[np.intp]:
    """The red-flag floor of many cases at once, as indices into ``LEVELS``.

    ``codes[i, j]`` is the state index of ``columns[j]`` in case ``i`` (-1 unknown); a red
    flag on a variable with no column never holds.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> codes = np.array([[1, 1], [1, 0], [-1, 1]])
    >>> [LEVELS[i] for i in red_flag_floors(spec, ["pop_at_onset", "weak_push_off"], codes)]
    ['urgent', 'self_care', 'self_care']
    """
    floor = np.zeros(len(codes), dtype=np.intp)
    variables = spec.variables
    for flag in spec.red_flags:
        holds = np.ones(len(codes), dtype=bool)
        for var, state in flag.when:
            if var not in columns:
                holds[:] = False
                break
            holds &= codes[:, list(columns).index(var)] == variables[var].states.index(state)
        floor = np.where(holds, np.maximum(floor, LEVELS.index(flag.level)), floor)
    return floor


def triage_levels(
    spec: ModelSpec, marginals: Mapping[str, Array], floors: NDArray[np.intp] | None = None
) -> NDArray[np.object_]:
    """``triage_level`` for many cases at once: ``marginals[c]`` is ``(cases, states of c)``.

    ``floors`` are the cases' red-flag floors (``red_flag_floors``), none when not given.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> dists = {c.variable.id: np.eye(len(c.variable.states))[:1] for c in spec.causes}
    >>> dists["dvt"] = np.array([[0.5, 0.5]])
    >>> triage_levels(spec, dists).tolist(), triage_levels(spec, dists, np.array([3])).tolist()
    (['urgent'], ['emergency'])
    """
    variables = spec.variables
    n = len(next(iter(marginals.values())))
    level = np.zeros(n, dtype=np.intp) if floors is None else np.asarray(floors, dtype=np.intp)
    for rule in spec.rules:
        start = variables[rule.cause].states.index(rule.state)
        probability = marginals[rule.cause][:, start:].sum(axis=1)
        fired = fires(rule, probability)  # elementwise on arrays
        level = np.where(fired, np.maximum(level, LEVELS.index(rule.level)), level)
    return np.array(LEVELS, dtype=object)[level]


def supporting_evidence(spec: ModelSpec, cause: str, evidence: Mapping[str, str]) -> list[Support]:
    """Evidence items that raise ``cause`` directly: linked findings present, risk states with OR > 1.

    Ordered by strength (likelihood ratio against the leak, or odds ratio), which is the
    weight of each item.
    """
    scored: list[Support] = []
    for finding in spec.findings:
        fid = finding.variable.id
        if evidence.get(fid) == "yes":
            strengths = [k.entry.value for k in finding.links if k.cause == cause]
            if strengths:
                scored.append((fid, "yes", max(strengths) / max(finding.leak.value, 1e-9)))
    for c in spec.causes:
        if c.variable.id == cause:
            # an interaction term that holds folds into its first term's odds ratio
            net: dict[tuple[str, str], float] = {}
            for o in c.odds_ratios:
                if o.holds(evidence):
                    net[o.parent, o.state] = net.get((o.parent, o.state), 1.0) * o.entry.value
            scored.extend((p, s, v) for (p, s), v in net.items() if v > 1.0)
    return sorted(scored, key=lambda x: -x[2])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _joined(parts: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _advice_lines(
    spec: ModelSpec,
    dists: Mapping[str, Dist],
    level: Level,
    flags: Sequence[RedFlag],
    fired: Sequence[tuple[TriageRule, float]],
) -> tuple[list[str], list[str]]:
    """(the headline and the advice of what reached ``level``, the meanwhile lines)."""
    variables = spec.variables
    avoid = frozenset().union(*(f.avoid for f in flags), *(r.avoid for r, _ in fired))
    if LEVELS.index(level) >= URGENT:
        avoid |= URGENT_AVOIDS
    action = [spec.advice.get(level, "")]
    action += [f.advice for f in flags if f.level == level]
    action += [r.advice for r, _ in fired if r.level == level]
    meanwhile: list[str] = []
    # less urgent advice at urgent or above is covered by going sooner; below that it is
    # shown unless it involves something a fired rule or red flag must not be shown with
    for r, _ in fired:
        if r.level != level and LEVELS.index(r.level) < URGENT and not (r.tags & avoid):
            meanwhile.append(r.advice)
    covered = {r.cause for r, _ in fired}
    ranked = sorted(dists, key=lambda c: -(1.0 - float(dists[c][0])))
    for c in ranked[:3]:
        dist, states = dists[c], variables[c].states
        if c in covered or 1.0 - float(dist[0]) < 0.3:
            continue
        grade = states[1 + int(np.argmax(np.asarray(dist)[1:]))]
        key = f"{c}.{grade}" if len(states) > 2 and f"{c}.{grade}" in spec.cause_advice else c
        text = spec.cause_advice.get(key)
        if text and not (spec.advice_tags.get(key, frozenset()) & avoid):
            meanwhile.append(f"{variables[c].label}: {text}")
    return action, meanwhile


def decide_triage(
    spec: ModelSpec,
    dists: Mapping[str, Dist],
    evidence: Mapping[str, str],
    why: Callable[[TriageRule], list[Support]] | None = None,
) -> Triage:
    """The most urgent level of the red flags and the rules; self-care when none fires.

    Rules are thresholds on posteriors, red flags conditions on answers, so a benign
    picture elsewhere can neither mask a rule past its threshold nor lift a red flag.
    ``why(rule)`` gives the evidence behind a fired rule with its weight
    (``supporting_evidence`` when not given); reasons name it in plain words, ``details``
    with its numbers.

    >>> from model.priors.loader import load_spec
    >>> spec = load_spec()
    >>> dists = {c.variable.id: np.eye(len(c.variable.states))[0] for c in spec.causes}
    >>> t = decide_triage(spec, {**dists, "dvt": [0.9, 0.1]}, {"one_leg_swelling": "yes"})
    >>> t.level, t.reasons[0]
    ('urgent', 'One calf or leg is swollen compared with the other, which needs a check for a blood clot today')
    """
    variables = spec.variables
    probs = rule_probabilities(spec, dists)
    fired = [(rule, probs[rule.target]) for rule in spec.rules if fires(rule, probs[rule.target])]
    fired.sort(key=lambda rp: (-LEVELS.index(rp[0].level), -rp[1]))
    flags = holding_red_flags(spec, evidence)
    level = most_urgent([*(f.level for f in flags), *(r.level for r, _ in fired)])
    reasons = [_sentence(f.reason) for f in flags]
    details = [
        f"red flag {f.id} ({', '.join(f'{v}={s}' for v, s in f.when)}): at least {f.level}"
        for f in flags
    ]
    for rule, p in fired:
        items = why(rule) if why else supporting_evidence(spec, rule.cause, evidence)
        plain = [variables[v].plain(s) for v, s, _ in items[:3]]
        reasons.append(_sentence(rule.reason) + (f": {_joined(plain)}" if plain else ""))
        weights = ", ".join(f"{v}={s} ({w:+.1f})" for v, s, w in items[:4])
        details.append(
            f"rule {rule.target}: P = {p:.1%}, at or above {rule.threshold.value:.0%}: "
            f"{rule.level}" + (f"; raised by {weights}" if weights else "")
        )
    for rule in urgent_rules(spec):
        if not fires(rule, probs[rule.target]):
            details.append(
                f"rule {rule.target}: P = {probs[rule.target]:.1%}, below "
                f"{rule.threshold.value:.0%} ({rule.level})"
            )
    if not flags and not fired:
        if not evidence:
            text = spec.advice.get("no_answers", NO_ANSWERS)
            return Triage(level, ("Nothing is answered yet",), (text,), tuple(details), (text,))
        top = max(dists, key=lambda c: 1.0 - float(dists[c][0]))
        likely = in_sentence(variables[top].label)
        reasons.append(f"No warning sign among your answers; the most likely cause is {likely}")
        details.append(f"most likely {top}: P = {1.0 - float(dists[top][0]):.1%}")
    action, meanwhile = _advice_lines(spec, dists, level, flags, fired)
    action = list(dict.fromkeys(a for a in action if a))
    meanwhile = [m for m in dict.fromkeys(meanwhile) if m not in action]
    shown = [f"Meanwhile: {m}" if level != LEVELS[0] else m for m in meanwhile]
    return Triage(
        level,
        tuple(reasons),
        (*action, *shown),
        tuple(details),
        tuple(action),
        tuple(meanwhile),
        tuple(f.id for f in flags),
        tuple(r.target for r, _ in fired),
    )
