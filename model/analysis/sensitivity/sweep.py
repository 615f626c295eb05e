"""The sweep every sensitivity analysis shares: the model at chosen numbers, memoised per model.

A parameter whose node is d-separated from the posteriors by the evidence (an unobserved
finding's numbers, an observed risk factor's prevalences) cannot move any posterior and is
not re-evaluated; a triage threshold moves only the triage. Memos live on the model object
(weakly keyed), so they are freed with it, and are bounded per model.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from model.analysis.protocol import PosteriorModel, checked
from model.errors import CalfdxError, did_you_mean
from model.evidence import EvidenceLike, check_evidence, resolve_cause
from model.priors.spec import Level
from model.triage import triage_level

if TYPE_CHECKING:
    pass

Posteriors = dict[str, tuple[float, ...]]
F = TypeVar("F", bound=Callable[..., Any])


def per_model(maxsize: int) -> Callable[[F], F]:
    """Memoise ``f(model, *args)`` on the model: freed with it, at most ``maxsize`` results each.

    Unlike ``functools.lru_cache`` the memo never keeps a model alive, and it is keyed by the
    model object, which is immutable once built (``with_values`` makes a new one).

    >>> class M: ...
    >>> calls = []
    >>> @per_model(maxsize=2)
    ... def f(model, x):
    ...     calls.append(x)
    ...     return x * 2
    >>> m = M()
    >>> f(m, 1), f(m, 1), f(m, 2), f(m, 3), f(m, 1), calls
    (2, 2, 4, 6, 2, [1, 2, 3, 1])
    """

    def wrap(f: F) -> F:
        store: weakref.WeakKeyDictionary[Any, OrderedDict[Hashable, Any]] = (
            weakref.WeakKeyDictionary()
        )

        @wraps(f)
        def inner(model: Any, *args: Hashable) -> Any:
            memo = store.setdefault(model, OrderedDict())
            if args in memo:
                memo.move_to_end(args)
                return memo[args]
            value = memo[args] = f(model, *args)
            if len(memo) > maxsize:
                memo.popitem(last=False)
            return value

        return inner  # type: ignore[return-value]

    return wrap


Method = Literal["ratio_of_linear", "interpolated", "constant"]
Z90 = 1.6448536269514722  # standard normal 95th percentile


class UnknownParameterError(CalfdxError, KeyError):
    """A parameter key is not an entry of the model."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- evaluation through the public API -------------------------------------------------


@dataclass(frozen=True)
class Point:
    """Every cause's distribution and the triage level at one setting of the numbers."""

    posteriors: Posteriors
    level: Level


def posteriors_at(model: PosteriorModel, evidence: Mapping[str, str]) -> Posteriors:
    """Every cause's distribution given the evidence."""
    marg = model.marginals(model.spec.cause_ids, evidence)
    return {c: tuple(float(p) for p in marg[c]) for c in model.spec.cause_ids}


def evaluate(
    model: PosteriorModel,
    evidence: Mapping[str, str],
    values: Mapping[str, float],
    base: Point,
) -> Point:
    """Posteriors and triage with some numbers replaced, skipping exact no-ops."""
    if any(affects_posteriors(model, k, evidence) for k in values):
        changed = model.with_values(values)  # the engine is updated, not rebuilt
        spec, posteriors = changed.spec, posteriors_at(changed, evidence)
    else:
        spec, posteriors = model.spec.with_values(values), base.posteriors
    return Point(posteriors, triage_level(spec, posteriors))


@per_model(maxsize=1)
def owners(model: PosteriorModel) -> dict[str, tuple[str, str]]:
    """For every entry key, the kind of node it belongs to and that node's id."""
    spec = model.spec
    out: dict[str, tuple[str, str]] = {}
    for rf in spec.risk_factors:
        out.update({e.key: ("risk_factor", rf.variable.id) for e in rf.prevalence})
    for f in spec.findings:
        out[f.leak.key] = ("finding", f.variable.id)
        out.update({k.entry.key: ("finding", f.variable.id) for k in f.links})
    for r in spec.rules:
        out[r.threshold.key] = ("threshold", r.target)
    return out  # cause entries are absent: they always count


def affects_posteriors(model: PosteriorModel, key: str, evidence: Mapping[str, str]) -> bool:
    """Whether changing entry ``key`` can move any posterior under this evidence."""
    kind, node = owners(model).get(key, ("cause", ""))
    if kind == "threshold":
        return False
    if kind == "finding":
        return node in evidence  # an unobserved leaf sums out to one
    if kind == "risk_factor":
        return node not in evidence  # an observed root blocks its own prevalence
    return True


@per_model(maxsize=16)
def base_point(model: PosteriorModel, evidence: tuple[tuple[str, str], ...]) -> Point:
    """The model's posteriors and triage at the file's numbers (evidence refused if impossible)."""
    given = dict(evidence)
    checked(model, given)  # refuses impossible evidence with the model's own error
    posteriors = posteriors_at(model, given)
    return Point(posteriors, triage_level(model.spec, posteriors))


@per_model(maxsize=16)
def range_ends(
    model: PosteriorModel, evidence: tuple[tuple[str, str], ...], keys: tuple[str, ...]
) -> tuple[tuple[Point, Point], ...]:
    """The model at the low and the high end of each parameter's range (memoised)."""
    given = dict(evidence)
    base = base_point(model, evidence)
    entries = model.spec.entries
    return tuple(
        (
            evaluate(model, given, {k: entries[k].low}, base),
            evaluate(model, given, {k: entries[k].high}, base),
        )
        for k in keys
    )


def prepare(
    model: PosteriorModel, evidence: EvidenceLike | None, parameters: Sequence[str] | None
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """Checked evidence as a sorted tuple, and the parameter keys (all entries by default)."""
    given = tuple(sorted(check_evidence(model.spec.variables, evidence or {}).items()))
    entries = model.spec.entries
    keys = tuple(entries) if parameters is None else tuple(parameters)
    unknown = [k for k in keys if k not in entries]
    if unknown:
        raise UnknownParameterError(
            f"unknown parameter '{unknown[0]}'{did_you_mean(unknown[0], entries)}; "
            "the keys are those of model.spec.entries"
        )
    return given, keys


def parse_target(model: PosteriorModel, target: str) -> tuple[str, int | None]:
    """The cause id and the state index (``None``: P(not the first state))."""
    cause, _, state = target.partition(".")
    return cause, resolve_cause(model.spec.variables, cause, state or None)[1]


def pick(posteriors: Posteriors, target: tuple[str, int | None]) -> float:
    """The target's probability from a point's posteriors."""
    cause, index = target
    dist = posteriors[cause]
    return 1.0 - dist[0] if index is None else dist[index]


def targets(model: PosteriorModel) -> list[str]:
    """Every target: each cause id, and ``cause.state`` for each grade of a graded cause.

    >>> from model import load_model
    >>> targets(load_model())[:4]
    ['doms', 'exertional_fatigue', 'muscle_cramp', 'calf_strain']
    """
    out = []
    for cause in model.spec.causes:
        out.append(cause.variable.id)
        if len(cause.variable.states) > 2:
            out += [f"{cause.variable.id}.{s}" for s in cause.variable.states[1:]]
    return out
