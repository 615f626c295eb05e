"""What to ask next: unanswered findings and risk factors ranked by value of information.

Two uncertainty targets, both in bits:

- **causes**: the sum of the causes' marginal entropies, ``sum_c H(P(c | e))``. It
  ignores the dependence between causes (the joint entropy would need the joint over
  every cause), which keeps it cheap: one posterior of the causes per possible answer.
- **red flags**: the sum, over the triage rules at urgent or above
  (``model.triage.urgent_rules``), of the binary entropy of
  ``P(rule's cause at its state or worse | e)``: the events that decide the triage.

Each answer's ``level`` is the full triage of the evidence with that answer: the rules
on its posteriors and the red flags on its answers.

The information gain of a question ``Q`` is ``H(e) - sum_q P(Q=q | e) H(e, Q=q)``. For
each cause (and each red-flag event) the expected posterior entropy never exceeds the
current one (entropy is concave and the posteriors average back to the current
marginal), so both gains are never negative; rounding below zero is clipped to zero.
A question already answered gains exactly zero.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.analysis.protocol import PosteriorModel
from model.evidence import EvidenceLike, check_evidence, contradiction
from model.inference.tables import Array
from model.priors.spec import Level, ModelSpec
from model.triage import rule_probabilities, triage_level, urgent_rules


def entropy(dist: Sequence[float] | Array) -> float:
    """Shannon entropy in bits (``0 log 0 = 0``).

    >>> entropy([0.5, 0.5]), entropy([1.0, 0.0])
    (1.0, 0.0)
    """
    return 0.0 - float(sum(p * math.log2(p) for p in dist if p > 0.0))


def cause_entropy(marginals: Mapping[str, Array], causes: Sequence[str]) -> float:
    """Sum of the causes' marginal entropies, in bits."""
    return sum(entropy(marginals[c]) for c in causes)


def red_flag_entropy(spec: ModelSpec, marginals: Mapping[str, Array]) -> float:
    """Sum of the binary entropies of the events of the rules at urgent or above, in bits."""
    probs = rule_probabilities(spec, marginals)
    return sum(entropy([probs[r.target], 1.0 - probs[r.target]]) for r in urgent_rules(spec))


@dataclass(frozen=True)
class Answer:
    """One possible answer to a question: how likely it is and where it would lead.

    ``causes`` is every cause's probability (present) after this answer, ``red_flags``
    the probabilities of the rules at urgent or above by target, ``level`` the triage it
    would give (red flags included).
    """

    state: str
    label: str
    probability: float
    causes: dict[str, float]
    red_flags: dict[str, float]
    level: Level


@dataclass(frozen=True)
class Question:
    """An unanswered variable ranked by expected information gain (bits)."""

    variable: str
    kind: str
    text: str
    gain: float
    red_flag_gain: float
    answers: tuple[Answer, ...]

    def could_change(self, level: Level) -> bool:
        """Whether some possible answer gives another triage level than ``level``."""
        return any(a.level != level for a in self.answers if a.probability > 0.0)

    def __repr__(self) -> str:
        return f"{self.variable}: {self.gain:.4f} bits ({self.red_flag_gain:.4f} red flag)"

    def __str__(self) -> str:
        top = sorted(self.answers[0].causes, key=lambda c: -max(a.causes[c] for a in self.answers))
        lines = [
            f"{self.text} [{self.variable}]  gain {self.gain:.3f} bits, "
            f"red flags {self.red_flag_gain:.3f} bits"
        ]
        for a in self.answers:
            shown = ", ".join(f"{c} {a.causes[c]:.0%}" for c in top[:3])
            flags = ", ".join(f"{t} {p:.1%}" for t, p in a.red_flags.items())
            lines.append(
                f"  {a.state:<14} P={a.probability:5.1%} -> {a.level}; {shown}; red flags: {flags}"
            )
        return "\n".join(lines)


def _gain(before: float, after: Sequence[tuple[float, float]]) -> float:
    return max(0.0, before - sum(p * h for p, h in after))


def candidates(model: PosteriorModel, evidence: Mapping[str, str]) -> list[str]:
    """Risk factors and findings not yet in the evidence, in network order."""
    return [
        v
        for v, var in model.spec.variables.items()
        if var.kind in ("risk_factor", "finding") and v not in evidence
    ]


def _derived(answer_probs: Array) -> int:
    """The answer whose posteriors follow by total probability: the likeliest."""
    return int(np.argmax(answer_probs))


def _answer_posteriors(
    model: PosteriorModel,
    evidence: Mapping[str, str],
    variable: str,
    answer_probs: Array,
    now: Mapping[str, Array],
    after: Mapping[tuple[str, str], Mapping[str, Array]] | None = None,
) -> dict[str, Mapping[str, Array]]:
    """The causes' marginals after each answer (NaN for an impossible one).

    The most probable answer's marginals follow exactly from the others' by the law of
    total probability, P(c | e) = sum_s P(s | e) P(c | e, s), which saves one query per
    question; its probability is at least 1 / (number of answers), so nothing cancels.
    ``after`` holds the others' marginals when already known (``asked_answers``).
    """
    causes = model.spec.cause_ids
    states = model.spec.variables[variable].states
    if variable in evidence:
        return {s: now for s in states}
    nan = {c: np.full(len(now[c]), np.nan) for c in causes}
    derived = states[_derived(answer_probs)]
    posts: dict[str, Mapping[str, Array]] = {}
    for state, p in zip(states, answer_probs, strict=True):
        if state != derived:
            if p <= 0.0:
                posts[state] = nan
            elif after is not None and (variable, state) in after:
                posts[state] = after[variable, state]
            else:
                posts[state] = model.marginals(causes, {**evidence, variable: state})
    p_derived = float(answer_probs[states.index(derived)])
    others = [
        (float(p), posts[s])
        for s, p in zip(states, answer_probs, strict=True)
        if s != derived and p > 0.0
    ]
    posts[derived] = {
        c: np.clip((now[c] - sum(p * post[c] for p, post in others)) / p_derived, 0.0, 1.0)
        for c in causes
    }
    return posts


def asked_answers(
    model: PosteriorModel, variables: Sequence[str], probs: Mapping[str, Array]
) -> list[tuple[str, str]]:
    """The answers ``_answer_posteriors`` queries: every possible one but the likeliest."""
    out = []
    for v in variables:
        states = model.spec.variables[v].states
        derived = _derived(probs[v])
        out += [(v, s) for i, s in enumerate(states) if i != derived and probs[v][i] > 0.0]
    return out


def question(
    model: PosteriorModel,
    evidence: Mapping[str, str],
    variable: str,
    answer_probs: Array | None = None,
    now: Mapping[str, Array] | None = None,
    after_answers: Mapping[tuple[str, str], Mapping[str, Array]] | None = None,
) -> Question:
    """Score one question against checked evidence (gain zero when it is already answered).

    ``answer_probs`` is ``P(variable | evidence)``, ``now`` the causes' marginals given
    the evidence and ``after_answers`` those given each answer (``asked_answers``), when already
    known.
    """
    spec = model.spec
    causes = model.spec.cause_ids
    var = model.spec.variables[variable]
    if now is None:
        now = model.marginals(causes, evidence)
    h_causes, h_flags = cause_entropy(now, causes), red_flag_entropy(spec, now)
    if answer_probs is None:
        answer_probs = model.marginals([variable], evidence)[variable]
    answers = []
    after: list[tuple[float, float]] = []
    after_flags: list[tuple[float, float]] = []
    flags = urgent_rules(spec)
    posts = _answer_posteriors(model, evidence, variable, answer_probs, now, after_answers)
    for state, p in zip(var.states, answer_probs, strict=True):
        p = float(p)
        post = posts[state]
        if p > 0.0:
            after.append((p, cause_entropy(post, causes)))
            after_flags.append((p, red_flag_entropy(spec, post)))
        probs = rule_probabilities(spec, post) if p > 0.0 else {}
        answers.append(
            Answer(
                state,
                var.state_label(state),
                p,
                {c: float(1.0 - post[c][0]) for c in causes},
                {r.target: probs.get(r.target, math.nan) for r in flags},
                triage_level(spec, post, {**evidence, variable: state}) if p > 0.0 else "self_care",
            )
        )
    if variable in evidence:
        gain = flag_gain = 0.0
    else:
        gain, flag_gain = _gain(h_causes, after), _gain(h_flags, after_flags)
    return Question(variable, var.kind, var.question or var.label, gain, flag_gain, tuple(answers))


def rank_questions(
    model: PosteriorModel,
    evidence: EvidenceLike,
    red_flags: bool = False,
    exclude: Collection[str] = (),
) -> list[Question]:
    """Every unanswered risk factor and finding, most informative first.

    Ranked by gain about the causes, or about the red flags when ``red_flags`` is set
    (ties broken by the other gain, then by network order). Variables in ``exclude``
    (asked already, answered "unknown") are left out, and so is a question one of whose
    answers the answers given rule out (``gap_in_tendon``, the follow-up to a felt gap,
    once no gap is felt).
    """
    given = check_evidence(model.spec.variables, evidence)
    spec = model.spec
    pending = [
        v
        for v in candidates(model, given)
        if v not in exclude
        and not any(
            contradiction(spec.exclusions, {**given, v: s}) for s in spec.variables[v].states
        )
    ]
    if not pending:
        return []
    # one query for every answer's probability and the causes: an engine that falls back
    # to enumeration then weighs every finding in one pass over the cause configurations,
    # once instead of once per finding; pgmpy's asks in small groups by itself
    causes = model.spec.cause_ids
    now = model.marginals([*causes, *pending], given)
    # and one call for the causes after every answer: enumeration weighs all the
    # findings' answers in one pass, and reuses the passes of the risk factors' states
    after = model.marginals_after(causes, asked_answers(model, pending, now), given)
    scored = [question(model, given, v, now[v], now, after) for v in pending]
    return ordered(scored, red_flags)


def ordered(questions: Sequence[Question], red_flags: bool = False) -> list[Question]:
    """Most informative first, by gain about the causes (or the red flags, ``red_flags``).

    Ties are broken by the other gain, then by the given order, so one ranking serves
    both orders (the explorer's red-flag toggle re-sorts it).
    """
    if red_flags:
        return sorted(questions, key=lambda q: (-q.red_flag_gain, -q.gain))
    return sorted(questions, key=lambda q: (-q.gain, -q.red_flag_gain))


def next_questions(
    model: PosteriorModel, evidence: EvidenceLike, k: int = 5, red_flags: bool = False
) -> list[Question]:
    """The ``k`` most informative unanswered questions (see ``rank_questions``).

    Examples
    --------
    >>> from model import load_model
    >>> tiny = load_model("tests/data/tiny")
    >>> qs = next_questions(tiny, {"trip": "yes"}, k=2)
    >>> [q.variable for q in qs]
    ['snap', 'swelling']
    >>> all(q.gain >= 0 for q in qs), round(sum(a.probability for a in qs[0].answers), 9)
    (True, 1.0)
    """
    return rank_questions(model, evidence, red_flags)[:k]
