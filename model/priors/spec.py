"""The validated model: small frozen objects, each checking itself on creation.

Only ``loader`` builds these from files; everything downstream trusts them.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

Kind = Literal["probability", "odds_ratio"]
Level = Literal["self_care", "see_clinician", "urgent", "emergency"]
LEVELS: tuple[Level, ...] = ("self_care", "see_clinician", "urgent", "emergency")
"""From least to most urgent: ``LEVELS.index`` orders them."""
EXPERT = "expert_estimate"
EXPERT_NEEDS_REASON = "source 'expert_estimate' needs a one-line 'reason'"
BINARY_CAUSE_STATES = ("absent", "present")
FINDING_STATES = ("no", "yes")


@dataclass(frozen=True)
class Entry:
    """One number of the priors with its plausible range and its sources.

    ``key`` names it everywhere (sensitivity tables, overrides, the explorer).

    >>> Entry("causes:dvt.prevalence", 0.004, 0.001, 0.01, ("expert_estimate",), "rare")
    causes:dvt.prevalence = 0.004 [0.001, 0.01] (expert_estimate)
    >>> Entry("x", 1.5, 0.0, 2.0, ("a",))
    Traceback (most recent call last):
    ...
    ValueError: probability must lie in [0, 1], found 1.5
    """

    key: str
    value: float
    low: float
    high: float
    sources: tuple[str, ...]
    reason: str = ""
    note: str = ""
    kind: Kind = "probability"

    def __post_init__(self) -> None:
        for name, number in (("value", self.value), ("range", self.low), ("range", self.high)):
            if self.kind == "probability" and not 0.0 <= number <= 1.0:
                what = "probability" if name == "value" else "range bound"
                raise ValueError(f"{what} must lie in [0, 1], found {number:g}")
            if self.kind == "odds_ratio" and not number > 0.0:
                raise ValueError(f"odds ratio must be positive, found {number:g}")
        if self.low > self.high:
            raise ValueError(f"range low {self.low:g} is above high {self.high:g}")
        if not self.sources:
            raise ValueError("source is missing")
        if EXPERT in self.sources and not self.reason.strip():
            raise ValueError(EXPERT_NEEDS_REASON)

    @property
    def in_range(self) -> bool:
        """Whether the value lies inside its own plausible range."""
        return self.low - 1e-12 <= self.value <= self.high + 1e-12

    def __repr__(self) -> str:
        return (
            f"{self.key} = {self.value:g} [{self.low:g}, {self.high:g}] ({', '.join(self.sources)})"
        )


Exclusion = tuple[tuple[str, str], tuple[str, str]]  # two answers that rule each other out

# words that keep their capital inside a sentence (eponyms)
PROPER = frozenset({"Achilles", "Baker's"})


def in_sentence(text: str) -> str:
    """A label as it reads mid-sentence: its first letter small unless a name or an acronym.

    >>> in_sentence("Calf muscle strain"), in_sentence("Achilles tendinopathy"), in_sentence("DVT")
    ('calf muscle strain', 'Achilles tendinopathy', 'DVT')
    """
    first = text.split(" ", 1)[0]
    if first in PROPER or any(c.isupper() for c in first[1:]):
        return text
    return text[:1].lower() + text[1:]


@dataclass(frozen=True)
class Variable:
    """A node of the network: its id, states, and how to ask about it.

    >>> Variable("bruising", "finding", ("no", "yes"), "Bruising", "Any bruising?")
    bruising:2 (finding)
    """

    id: str
    kind: Literal["risk_factor", "cause", "finding"]
    states: tuple[str, ...]
    label: str
    question: str = ""
    state_labels: tuple[str, ...] = ()
    statement: str = ""
    statement_no: str = ""

    def __post_init__(self) -> None:
        if len(self.states) < 2:
            raise ValueError(f"needs at least two states, found {list(self.states)}")
        if len(set(self.states)) != len(self.states):
            raise ValueError(f"states repeat: {list(self.states)}")
        if self.state_labels and len(self.state_labels) != len(self.states):
            raise ValueError(
                f"state_labels has {len(self.state_labels)} labels for {len(self.states)} states"
            )

    def state_label(self, state: str) -> str:
        """Plain-language label of ``state`` (the state id when none is given)."""
        if self.state_labels:
            return self.state_labels[self.states.index(state)]
        return state.replace("_", " ")

    def plain(self, state: str) -> str:
        """The answer in plain words: the yes or no ``statement``, else label and state.

        The state goes in brackets, not after a colon: triage reasons read "X is possible:
        a, b and c", and a second colon inside one of them read badly.

        >>> v = Variable("bruising", "finding", ("no", "yes"), "Bruising",
        ...              statement="the calf is bruised", statement_no="there is no bruising")
        >>> v.plain("yes"), v.plain("no")
        ('the calf is bruised', 'there is no bruising')
        >>> Variable("age_group", "risk_factor", ("under_30", "30_to_44"), "Age group").plain("30_to_44")
        'age group (30 to 44)'
        """
        if state == "yes" and self.statement:
            return self.statement
        if state == "no" and self.statement_no:
            return self.statement_no
        label = in_sentence(self.label)
        return label if state == "yes" else f"{label} ({in_sentence(self.state_label(state))})"

    def __repr__(self) -> str:
        return f"{self.id}:{len(self.states)} ({self.kind})"


@dataclass(frozen=True)
class RiskFactor:
    """A root node and the prevalence of each of its states (summing to one)."""

    variable: Variable
    prevalence: tuple[Entry, ...]

    def __post_init__(self) -> None:
        if len(self.prevalence) != len(self.variable.states):
            raise ValueError(
                f"prevalence has {len(self.prevalence)} entries for states "
                f"{list(self.variable.states)}"
            )
        total = sum(e.value for e in self.prevalence)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"prevalences sum to {total:.6g}, expected 1")

    def __repr__(self) -> str:
        return f"P({self.variable.id}:{len(self.variable.states)})"


@dataclass(frozen=True)
class OddsRatio:
    """Multiplies the odds of a cause when ``parent`` is in ``state``.

    ``also`` makes it an interaction term: it multiplies only when every parent it names is
    in its state too (``"endurance_cycling.yes & age_group.60_plus"``), on top of the terms'
    own odds ratios. It modifies its first term: triage reasons fold it into that one.

    >>> e = Entry("x", 0.5, 0.2, 1.0, ("expert_estimate",), "r", kind="odds_ratio")
    >>> o = OddsRatio("cycling", "yes", e, also=(("age", "old"),))
    >>> o.holds({"cycling": "yes", "age": "old"}), o.holds({"cycling": "yes"})
    (True, False)
    """

    parent: str
    state: str
    entry: Entry
    also: tuple[tuple[str, str], ...] = ()

    @property
    def terms(self) -> tuple[tuple[str, str], ...]:
        """Every (parent, state) the odds ratio needs, its own first."""
        return ((self.parent, self.state), *self.also)

    def holds(self, states: Mapping[str, str]) -> bool:
        """Whether every term's parent is in its state in ``states``."""
        return all(states.get(p) == s for p, s in self.terms)


@dataclass(frozen=True)
class TableRow:
    """One row of an explicit table: the child's distribution for one parent combination.

    ``entry`` is the row's P(last state) as a tunable number (binary children only).
    """

    parent_states: tuple[str, ...]
    values: tuple[float, ...]
    entry: Entry | None = None

    def __post_init__(self) -> None:
        if any(not 0.0 <= v <= 1.0 for v in self.values):
            raise ValueError(f"row values must lie in [0, 1], found {list(self.values)}")
        if abs(sum(self.values) - 1.0) > 1e-6:
            raise ValueError(f"row sums to {sum(self.values):.6g}, expected 1")


@dataclass(frozen=True)
class Table:
    """An explicit conditional probability table (last parent changes fastest)."""

    parents: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Cause:
    """A cause: logistic in its parents (proportional odds when graded), or a table.

    ``baseline`` holds P(state) at the parents' reference states, one entry per
    non-reference state.
    """

    variable: Variable
    description: str
    baseline: tuple[Entry, ...] = ()
    odds_ratios: tuple[OddsRatio, ...] = ()
    table: Table | None = None
    prevalence: tuple[Entry, ...] = ()

    def __post_init__(self) -> None:
        if self.prevalence:
            if len(self.prevalence) != len(self.variable.states) - 1:
                raise ValueError(
                    f"prevalence needs one entry per state in {list(self.variable.states[1:])}"
                )
            total = sum(e.value for e in self.prevalence)
            if total >= 1.0:
                raise ValueError(f"prevalences sum to {total:.6g}, expected < 1")
        elif self.table is None:
            if len(self.baseline) != len(self.variable.states) - 1:
                raise ValueError(
                    f"baseline needs one entry per state in {list(self.variable.states[1:])}"
                )
            total = sum(e.value for e in self.baseline)
            if total >= 1.0:
                raise ValueError(f"baseline probabilities sum to {total:.6g}, expected < 1")

    @property
    def parents(self) -> tuple[str, ...]:
        """Parent ids, in the order their odds ratios (or table) first name them."""
        if self.table is not None:
            return self.table.parents
        return tuple(dict.fromkeys(p for o in self.odds_ratios for p, _ in o.terms))

    def __repr__(self) -> str:
        given = ", ".join(self.parents)
        return f"P({self.variable.id}:{len(self.variable.states)} | {given})"


@dataclass(frozen=True)
class Link:
    """P(finding | only this cause, in ``state``, is present), leak included."""

    cause: str
    state: str
    entry: Entry


@dataclass(frozen=True)
class Finding:
    """A finding as a leaky noisy-OR (noisy-MAX for graded causes) of its causes."""

    variable: Variable
    leak: Entry
    links: tuple[Link, ...]

    @property
    def parents(self) -> tuple[str, ...]:
        """Linked cause ids in file order."""
        return tuple(dict.fromkeys(link.cause for link in self.links))

    def __repr__(self) -> str:
        return f"P({self.variable.id}:2 | {', '.join(self.parents)})"


@dataclass(frozen=True)
class StateLink:
    """P(each state of a many-state finding | only this cause, in ``state``, is present)."""

    cause: str
    state: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class CategoricalFinding:
    """A finding with more than two states: per linked cause a distribution over its states.

    Combined by the ``average`` rule: with linked causes present, P(finding | causes) is the
    mean of their distributions (each present cause is equally likely to be the one that
    sets the answer); with none present, the ``leak`` distribution. A cause whose
    distribution leans away from a state therefore makes that state less likely, which a
    noisy-OR link cannot do. Distributions are renormalised when one number is moved.
    """

    variable: Variable
    leak: tuple[Entry, ...]
    links: tuple[StateLink, ...]
    rule: Literal["average"] = "average"

    def __post_init__(self) -> None:
        n = len(self.variable.states)
        for what, entries in [("leak", self.leak), *((k.cause, k.entries) for k in self.links)]:
            if len(entries) != n:
                raise ValueError(
                    f"{what}: expected one entry per state {list(self.variable.states)}"
                )
            total = sum(e.value for e in entries)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"{what}: the distribution sums to {total:.6g}, expected 1")

    @property
    def parents(self) -> tuple[str, ...]:
        """Linked cause ids in file order."""
        return tuple(dict.fromkeys(link.cause for link in self.links))

    def __repr__(self) -> str:
        return f"P({self.variable.id}:{len(self.variable.states)} | {', '.join(self.parents)})"


@dataclass(frozen=True)
class Accuracy:
    """A published sensitivity and specificity of a finding for a cause (a check)."""

    finding: str
    cause: str
    sensitivity: Entry
    specificity: Entry


@dataclass(frozen=True)
class TriageRule:
    """Raise triage to ``level`` when P(cause at ``state`` or worse) reaches the threshold.

    ``tags`` are the kinds of action its own advice involves (massage, stretching, ...),
    ``avoid`` the tags of advice that must not be shown beside it (``triage.toml``'s
    ``[advice_tags]`` lists them).
    """

    cause: str
    state: str
    level: Level
    threshold: Entry
    reason: str
    advice: str
    tags: frozenset[str] = frozenset()
    avoid: frozenset[str] = frozenset()

    @property
    def target(self) -> str:
        """``cause`` for a binary cause, ``cause.state`` for a grade."""
        return self.cause if self.state == "present" else f"{self.cause}.{self.state}"


@dataclass(frozen=True)
class RedFlag:
    """A floor under the triage level, set by answers alone: every ``when`` pair must hold.

    More answers never remove one already given, so nothing answered later lowers it.

    >>> f = RedFlag("gap", (("palpable_gap", "yes"),), "urgent", "a gap", "Go today.", ("boyd2015",))
    >>> f.holds({"palpable_gap": "yes", "bruising": "no"}), f.holds({"palpable_gap": "no"})
    (True, False)
    """

    id: str
    when: tuple[tuple[str, str], ...]
    level: Level
    reason: str
    advice: str
    sources: tuple[str, ...]
    avoid: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.when:
            raise ValueError("a red flag needs at least one answer in 'when'")
        if self.level == LEVELS[0]:
            raise ValueError(f"a red flag's level must be above {LEVELS[0]}")

    def holds(self, evidence: Mapping[str, str]) -> bool:
        """Whether every answer of ``when`` is in the evidence."""
        return all(evidence.get(v) == s for v, s in self.when)


@dataclass(frozen=True)
class Reference:
    """One entry of the bibliography."""

    key: str
    authors: str
    year: int
    title: str
    journal: str = ""
    doi: str = ""
    file: str = ""

    def cite(self) -> str:
        """Authors, year, journal: the short citation shown to users.

        >>> Reference("k", "Maffulli N", 1998, "Clinical diagnosis", "Am J Sports Med").cite()
        'Maffulli N (1998) Am J Sports Med'
        """
        where = self.journal or self.file
        return f"{self.authors} ({self.year}) {where}".strip()


@dataclass(frozen=True)
class ModelSpec:
    """Everything the priors folder says, validated, in network order."""

    risk_factors: tuple[RiskFactor, ...]
    causes: tuple[Cause, ...]
    findings: tuple[Finding, ...]
    rules: tuple[TriageRule, ...]
    advice: Mapping[str, str]
    cause_advice: Mapping[str, str]
    references: Mapping[str, Reference]
    accuracy: tuple[Accuracy, ...] = ()
    source_dir: str = ""
    red_flags: tuple[RedFlag, ...] = ()
    advice_tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """The tags of each ``cause_advice`` text, by its key (untagged texts are absent)."""
    categorical: tuple[CategoricalFinding, ...] = ()
    presentation: Finding | None = None
    exclusions: tuple[Exclusion, ...] = ()
    """Pairs of answers that cannot be given together (a finding's ``excludes``)."""
    _entries: dict[str, Entry] = field(default_factory=dict, repr=False, compare=False)
    # numbers derived from the spec by model.inference (the solved baselines), filled on
    # first need; never copied by ``with_values``, which gives it only a warm start
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_entries", {e.key: e for e in self._walk()})

    def _walk(self) -> Iterator[Entry]:
        for rf in self.risk_factors:
            yield from rf.prevalence
        for cause in self.causes:
            yield from _cause_entries(cause)
        for finding in self.findings:
            yield from _finding_entries(finding)
        for cat in self.categorical:
            yield from _categorical_entries(cat)
        if self.presentation is not None:
            yield from _finding_entries(self.presentation)
        yield from (rule.threshold for rule in self.rules)

    @cached_property
    def network_findings(self) -> tuple[str, ...]:
        """Every finding node of the network: the answers, then the presenting complaint."""
        ids = [f.variable.id for f in self.findings] + [f.variable.id for f in self.categorical]
        if self.presentation is not None:
            ids.append(self.presentation.variable.id)
        return tuple(ids)

    @cached_property
    def cause_ids(self) -> tuple[str, ...]:
        """The causes' ids, in network order."""
        return tuple(c.variable.id for c in self.causes)

    @cached_property
    def variables(self) -> dict[str, Variable]:
        """Every variable by id: risk factors, then causes, then findings."""
        nodes: list[RiskFactor | Cause | Finding | CategoricalFinding] = [
            *self.risk_factors,
            *self.causes,
            *self.findings,
            *self.categorical,
        ]
        return {n.variable.id: n.variable for n in nodes}

    def parents(self, var_id: str) -> tuple[str, ...]:
        """The parents of a node in the network."""
        extra = [self.presentation] if self.presentation is not None else []
        nodes: list[Cause | Finding | CategoricalFinding] = [
            *self.causes,
            *self.findings,
            *self.categorical,
            *extra,
        ]
        for node in nodes:
            if node.variable.id == var_id:
                return node.parents
        return ()

    @property
    def entries(self) -> dict[str, Entry]:
        """Every number of the model by key (thresholds included)."""
        return dict(self._entries)

    def with_values(self, values: Mapping[str, float]) -> ModelSpec:
        """Return a copy with some numbers replaced, by entry key.

        Setting one prevalence of a risk factor rescales its other states so they still
        sum to one (proportional co-variation). Values are not checked against their
        ranges: that is the caller's choice.
        """
        unknown = sorted(set(values) - set(self._entries))
        if unknown:
            raise KeyError(f"unknown parameter key(s): {', '.join(unknown)}")

        def swap(e: Entry) -> Entry:
            return dataclasses.replace(e, value=float(values[e.key])) if e.key in values else e

        def swap_rf(rf: RiskFactor) -> RiskFactor:
            changed = [i for i, e in enumerate(rf.prevalence) if e.key in values]
            if not changed:
                return rf
            new = [swap(e) for e in rf.prevalence]
            fixed = sum(new[i].value for i in changed)
            rest = [i for i in range(len(new)) if i not in changed]
            old_rest = sum(rf.prevalence[i].value for i in rest)
            for i in rest:
                share = rf.prevalence[i].value / old_rest if old_rest > 0 else 1 / len(rest)
                new[i] = dataclasses.replace(new[i], value=max(0.0, 1.0 - fixed) * share)
            return dataclasses.replace(rf, prevalence=tuple(new))

        def swap_cause(c: Cause) -> Cause:
            if not any(e.key in values for e in _cause_entries(c)):
                return c  # untouched nodes stay the same objects (cheap, and easy to spot)
            table = c.table
            if table is not None:
                rows = []
                for r in table.rows:
                    if r.entry is not None and r.entry.key in values:
                        p = float(values[r.entry.key])
                        r = TableRow(r.parent_states, (1.0 - p, p), swap(r.entry))
                    rows.append(r)
                table = Table(table.parents, tuple(rows))
            return dataclasses.replace(
                c,
                baseline=tuple(swap(e) for e in c.baseline),
                prevalence=tuple(swap(e) for e in c.prevalence),
                odds_ratios=tuple(
                    dataclasses.replace(o, entry=swap(o.entry)) for o in c.odds_ratios
                ),
                table=table,
            )

        def swap_finding(f: Finding) -> Finding:
            if not any(e.key in values for e in _finding_entries(f)):
                return f
            return dataclasses.replace(
                f,
                leak=swap(f.leak),
                links=tuple(dataclasses.replace(k, entry=swap(k.entry)) for k in f.links),
            )

        def swap_categorical(f: CategoricalFinding) -> CategoricalFinding:
            if not any(e.key in values for e in _categorical_entries(f)):
                return f

            def norm(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
                new = [swap(e) for e in entries]
                total = sum(e.value for e in new) or 1.0
                return tuple(dataclasses.replace(e, value=e.value / total) for e in new)

            return dataclasses.replace(
                f,
                leak=norm(f.leak),
                links=tuple(dataclasses.replace(k, entries=norm(k.entries)) for k in f.links),
            )

        new = dataclasses.replace(
            self,
            risk_factors=tuple(swap_rf(rf) for rf in self.risk_factors),
            causes=tuple(swap_cause(c) for c in self.causes),
            findings=tuple(swap_finding(f) for f in self.findings),
            categorical=tuple(swap_categorical(f) for f in self.categorical),
            presentation=None if self.presentation is None else swap_finding(self.presentation),
            rules=tuple(
                dataclasses.replace(r, threshold=swap(r.threshold))
                if r.threshold.key in values
                else r
                for r in self.rules
            ),
        )
        if "baselines" in self.derived:
            # The baselines depend on the risk factors, the causes and the complaint only: a
            # changed finding link, leak or threshold keeps them; otherwise they warm-start
            # the calibration solver.
            complaint = "" if self.presentation is None else self.presentation.variable.id
            keeps = all(
                k.startswith("triage:")
                or (k.startswith("findings:") and not k.startswith(f"findings:{complaint}."))
                for k in values
            )
            new.derived["baselines" if keeps else "warm_start"] = self.derived["baselines"]
            if not keeps:
                # its Jacobian speeds the solve (calibration); weak, so that a chain of
                # edits does not keep every earlier spec alive
                new.derived["warm_from"] = weakref.ref(self)
        return new


def _categorical_entries(finding: CategoricalFinding) -> Iterator[Entry]:
    yield from finding.leak
    for link in finding.links:
        yield from link.entries


def _cause_entries(cause: Cause) -> Iterator[Entry]:
    yield from cause.prevalence
    yield from cause.baseline
    yield from (o.entry for o in cause.odds_ratios)
    if cause.table is not None:
        yield from (r.entry for r in cause.table.rows if r.entry is not None)


def _finding_entries(finding: Finding) -> Iterator[Entry]:
    yield finding.leak
    yield from (link.entry for link in finding.links)
