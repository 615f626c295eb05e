"""Why a cause is as probable as it is: each evidence item's share of the log-odds change.

The explained quantity is the log-odds of one cause event, ``P(cause present)`` (not in
its first state) or ``P(cause = state)``, and the total to split is its change from no
evidence to all the evidence::

    logit P(event | e_1..e_n) - logit P(event) = sum_i contribution_i

With at most ``SHAPLEY_MAX`` (8) items the split is the Shapley value: every item's
change in log-odds when it is added, averaged over all orders of adding the items. It
needs the posterior for every subset of the evidence (``2**n`` of them, each computed
once through ``model.inference.enumeration``). With more items the split follows one fixed order
(``sequential_order``: risk factors first, then findings, each in the order given;
then anything else), each item getting the change it makes when added after the ones
before it. Either way the parts telescope, so they sum to the total up to rounding.

Probabilities are clipped to ``[EPS, 1 - EPS]`` before taking log-odds so that evidence
which settles a cause (probability 0 or 1) still gives finite, summable numbers.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

from model.analysis.protocol import PosteriorModel
from model.errors import ImpossibleEvidenceError
from model.evidence import EvidenceLike, check_evidence, resolve_cause
from model.inference.tables import Array, logit
from model.priors.spec import Entry, ModelSpec, TriageRule

if TYPE_CHECKING:
    import pandas as pd


SHAPLEY_MAX = 8
# Triage reasons run on every diagnosis: exact Shapley over at most this many findings,
# the fixed order beyond (raise it to SHAPLEY_MAX once the engine is fast).
REASONS_SHAPLEY_MAX = 5
EPS = 1e-12
Method = Literal["shapley", "sequential"]


@dataclass(frozen=True)
class Contribution:
    """One evidence item's share of the change in log-odds, with the numbers behind it.

    ``numbers`` are the prior entries that tie the item to the cause (for a finding its
    link strength to the cause and its leak; for a risk factor the cause's odds ratio).
    """

    variable: str
    state: str
    label: str
    log_odds: float
    numbers: tuple[Entry, ...] = ()

    @property
    def item(self) -> str:
        """``id=state``."""
        return f"{self.variable}={self.state}"

    def __repr__(self) -> str:
        return f"{self.item}: {self.log_odds:+.3f}"


@dataclass(frozen=True)
class Explanation:
    """The log-odds of a cause event from no evidence to all evidence, split by item.

    ``contributions`` are ranked, largest absolute share first; they sum to
    ``total`` (posterior minus prior log-odds). ``prior`` is the probability with no
    evidence, or given only the ``background`` items when some are held fixed.
    ``evaluations`` counts the posteriors the split needed.
    """

    cause: str
    state: str | None
    label: str
    prior: float
    posterior: float
    method: Method
    contributions: tuple[Contribution, ...]
    evaluations: int = 0
    background: tuple[str, ...] = ()

    @property
    def event(self) -> str:
        """``cause`` or ``cause=state``."""
        return self.cause if self.state is None else f"{self.cause}={self.state}"

    @property
    def prior_log_odds(self) -> float:
        """Log-odds of the event with no evidence."""
        return float(logit(self.prior, EPS))

    @property
    def posterior_log_odds(self) -> float:
        """Log-odds of the event given all the evidence."""
        return float(logit(self.posterior, EPS))

    @property
    def total(self) -> float:
        """The change in log-odds that the contributions split."""
        return self.posterior_log_odds - self.prior_log_odds

    def raising(self) -> list[Contribution]:
        """Items that raised the event's log-odds, the strongest first."""
        return [c for c in self.contributions if c.log_odds > 0]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: the event, prior and posterior, and each contribution."""
        return {
            "cause": self.cause,
            "state": self.state,
            "prior": self.prior,
            "posterior": self.posterior,
            "prior_log_odds": self.prior_log_odds,
            "posterior_log_odds": self.posterior_log_odds,
            "method": self.method,
            "contributions": [
                {
                    "variable": c.variable,
                    "state": c.state,
                    "log_odds": c.log_odds,
                    "numbers": [
                        {"key": e.key, "value": e.value, "sources": list(e.sources)}
                        for e in c.numbers
                    ],
                }
                for c in self.contributions
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per item: its share, the running log-odds and the numbers behind it."""
        import pandas as pd

        running = self.prior_log_odds
        rows = []
        for c in self.contributions:
            running += c.log_odds
            rows.append(
                {
                    "item": c.item,
                    "label": c.label,
                    "log_odds": c.log_odds,
                    "running_log_odds": running,
                    "numbers": "; ".join(f"{e.key}={e.value:g}" for e in c.numbers),
                    "sources": "; ".join(dict.fromkeys(s for e in c.numbers for s in e.sources)),
                }
            )
        columns = ["item", "label", "log_odds", "running_log_odds", "numbers", "sources"]
        return pd.DataFrame(rows, columns=columns).set_index("item")

    def __str__(self) -> str:
        how = (
            "Shapley average over every order"
            if self.method == "shapley"
            else "sequential, risk factors then findings"
        )
        lines = [
            f"Why P({self.event}) = {self.posterior:.1%} (prior {self.prior:.1%}): "
            f"log-odds {self.prior_log_odds:+.2f} -> {self.posterior_log_odds:+.2f} ({how})",
        ]
        start = f"given {', '.join(self.background)}" if self.background else "prior"
        lines.append(f"  {start:<36} {self.prior_log_odds:+7.2f}")
        scale = max([abs(c.log_odds) for c in self.contributions] + [1e-9])
        for c in self.contributions:
            bar = ("+" if c.log_odds >= 0 else "-") * round(abs(c.log_odds) / scale * 20)
            lines.append(f"  {c.item:<36} {c.log_odds:+7.2f}  {bar}")
            for e in c.numbers:
                lines.append(f"      {e.key} = {e.value:g} ({', '.join(e.sources)})")
        lines.append(f"  {'= posterior':<36} {self.posterior_log_odds:+7.2f}")
        return "\n".join(lines)


def sequential_order(spec: ModelSpec, evidence: Mapping[str, str]) -> list[str]:
    """The fixed order used past ``SHAPLEY_MAX`` items: risk factors, findings, the rest.

    Within each kind the items keep the order they were given in.
    """
    variables = spec.variables
    rank = {"risk_factor": 0, "finding": 1}
    return sorted(evidence, key=lambda v: rank.get(variables[v].kind, 2))


def numbers_behind(
    spec: ModelSpec,
    cause: str,
    variable: str,
    state: str,
    cause_state: str | None = None,
    given: Mapping[str, str] | None = None,
) -> tuple[Entry, ...]:
    """The prior entries that tie ``variable=state`` to ``cause`` directly.

    A finding gives its link strengths to the cause (to ``cause_state`` only, when
    given) and its leak; a risk factor gives the cause's odds ratio for that state
    (every odds ratio of the factor when the state is the reference), or its table rows.
    An interaction term whose other parents are answered otherwise in ``given`` is left
    out. Items linked only through other causes give none.
    """
    for finding in spec.findings:
        if finding.variable.id == variable:
            links = [k for k in finding.links if k.cause == cause]
            exact = [k for k in links if k.state == cause_state]
            return (*(k.entry for k in exact or links), finding.leak) if links else ()
    for c in spec.causes:
        if c.variable.id != cause:
            continue
        if variable == cause:
            return c.baseline
        ors = [
            o
            for o in c.odds_ratios
            if variable in dict(o.terms)
            and all(p == variable or (given or {}).get(p, s) == s for p, s in o.terms)
        ]
        same = tuple(o.entry for o in ors if dict(o.terms)[variable] == state)
        if ors:
            return same or tuple(o.entry for o in ors)
        if c.table is not None and variable in c.table.parents:
            return tuple(r.entry for r in c.table.rows if r.entry is not None)
    return ()


def _target(model: PosteriorModel, cause: str, state: str | None) -> tuple[int, str]:
    variable, index = resolve_cause(model.spec.variables, cause, state)
    return (-1 if index is None else index), variable.label


def explain(
    model: PosteriorModel,
    evidence: EvidenceLike,
    cause: str,
    state: str | None = None,
    method: Method | None = None,
    background: Collection[str] = (),
    cache: dict[tuple[str, frozenset[str]], Array] | None = None,
    or_worse: bool = False,
) -> Explanation:
    """Split the change in log-odds of ``cause`` (or ``cause=state``) among the evidence.

    Parameters
    ----------
    model
        The diagnostic model; posteriors come from ``model.marginals``.
    evidence
        What is known, as for ``PosteriorModel.diagnose``.
    cause
        A cause id.
    state
        Explain ``P(cause = state)`` instead of ``P(cause present)``.
    method
        ``"shapley"`` (exact, ``2**n`` posteriors) or ``"sequential"``; by default
        Shapley for at most ``SHAPLEY_MAX`` items.
    background
        Evidence ids held fixed: the split starts from the posterior given them (the
        explanation's ``prior``) and shares out only the rest.
    cache
        Posteriors by ``(cause, items)`` to reuse across calls with the same evidence.
    or_worse
        Explain ``P(cause at state or a later state)``, the event a triage rule on a grade
        fires on (``P(grade_2 or grade_3)`` for ``calf_strain.grade_2``).

    Returns
    -------
    Explanation
        Contributions that sum to the total change in log-odds.

    Raises
    ------
    UnknownCauseError
        For an unknown cause or state.
    EvidenceError
        For bad evidence.
    ImpossibleEvidenceError
        When the evidence has probability zero.

    Examples
    --------
    >>> from model import load_model
    >>> tiny = load_model("tests/data/tiny")
    >>> x = explain(tiny, {"trip": "yes", "swelling": "yes"}, "clot")
    >>> x.method, [c.item for c in x.contributions]
    ('shapley', ['swelling=yes', 'trip=yes'])
    >>> round(sum(c.log_odds for c in x.contributions) - x.total, 12)  # the shares add up
    0.0
    >>> [e.key for e in x.contributions[0].numbers]
    ['findings:swelling.causes.clot', 'findings:swelling.leak']
    """
    given = check_evidence(model.spec.variables, evidence)
    index, label = _target(model, cause, state)
    fixed = frozenset(v for v in given if v in background)
    items = [v for v in given if v not in fixed]
    n = len(items)
    if method is None:
        method = "shapley" if n <= SHAPLEY_MAX else "sequential"
    seen: dict[frozenset[str], float] = {}
    dists = {} if cache is None else cache

    def value(subset: frozenset[str]) -> float:
        if subset not in seen:
            key = (cause, subset | fixed)
            if key not in dists:
                ev = {v: given[v] for v in key[1]}
                dists[key] = model.marginals([cause], ev)[cause]
            dist = dists[key]
            if index < 0:
                p = float(1.0 - dist[0])
            else:
                p = float(sum(dist[index:])) if or_worse else float(dist[index])
            if not math.isfinite(p):
                raise ImpossibleEvidenceError(
                    "the evidence has probability zero under this model: "
                    + ", ".join(f"{v}={given[v]}" for v in sorted(key[1]))
                )
            seen[subset] = p
        return float(logit(seen[subset], EPS))

    value(frozenset())
    value(frozenset(items))
    shares: dict[str, float] = {}
    if method == "shapley":
        weights = [
            math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)
        ]
        for item in items:
            others = [v for v in items if v != item]
            total = 0.0
            for k in range(n):
                for combo in combinations(others, k):
                    s = frozenset(combo)
                    total += weights[k] * (value(s | {item}) - value(s))
            shares[item] = total
    else:
        done: frozenset[str] = frozenset()
        for item in sequential_order(model.spec, {v: given[v] for v in items}):
            shares[item] = value(done | {item}) - value(done)
            done = done | {item}
    contributions = tuple(
        sorted(
            (
                Contribution(
                    v,
                    given[v],
                    model.spec.variables[v].label,
                    shares[v],
                    numbers_behind(model.spec, cause, v, given[v], state, given),
                )
                for v in items
            ),
            key=lambda c: -abs(c.log_odds),
        )
    )
    return Explanation(
        cause,
        state,
        label if not or_worse or state is None else f"{label} ({state} or worse)",
        seen[frozenset()],
        seen[frozenset(items)],
        method,
        contributions,
        len(seen),
        tuple(f"{v}={given[v]}" for v in given if v in fixed),
    )


def raised_by(
    model: PosteriorModel,
    evidence: Mapping[str, str],
    rule: TriageRule,
    cache: dict[tuple[str, frozenset[str]], Array] | None = None,
) -> list[tuple[str, str, float]]:
    """The answers that raised a triage rule's event most, as ``(id, state, log-odds share)``.

    The event is the one the rule fires on: the cause present, or for a graded rule the
    named grade or worse. The change is split in two parts that add up to the whole: the
    risk factors' from no answers to the risk factors alone, then the findings' given the
    risk factors (so a long flight behind a suspected clot is named beside the findings).
    Each part is Shapley over at most ``REASONS_SHAPLEY_MAX`` items (``2**items``
    posteriors, shared through ``cache`` across rules), the fixed order beyond. The
    strongest come first.
    """
    state = None if rule.state == "present" else rule.state
    risk = [v for v in evidence if model.spec.variables[v].kind == "risk_factor"]
    parts = [(dict(evidence), risk), ({v: evidence[v] for v in risk}, [])]
    shares: list[Contribution] = []
    for given, background in parts[: 2 if risk else 1]:
        n = len(given) - len(background)
        method: Method = "shapley" if n <= REASONS_SHAPLEY_MAX else "sequential"
        x = explain(model, given, rule.cause, state, method, background, cache, or_worse=True)
        shares.extend(x.raising())
    shares.sort(key=lambda c: -c.log_odds)
    return [(c.variable, c.state, c.log_odds) for c in shares]
