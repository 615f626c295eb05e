"""Sensitivity analysis: which prior numbers drive which posteriors and triage decisions.

Every function here talks to the model only through its public API
(``model.with_values``, ``model.engine.marginals``, ``model.spec``), so it speeds up on
its own when a faster engine is plugged in. Two exact shortcuts save work today:

- a parameter whose node is d-separated from the posteriors by the evidence (the
  findings' numbers when that finding is not observed, since findings are leaves; a
  risk factor's prevalences when that risk factor is observed) cannot move any
  posterior, so it is not re-evaluated;
- a triage threshold does not move any posterior, so only the triage is recomputed.

The sweep over parameter ends is memoised per (model, evidence, parameters), so
``one_way`` for several targets, ``robustness`` and ``red_flag_influence`` on one scenario
share it; a model is treated as immutable once built.

Targets are a cause id (``"dvt"``: P(cause not in its first state)) or ``"cause.state"``
(``"calf_strain.grade_3"``: P(cause = state)).

>>> from model import load_model
>>> from model.loader import DEFAULT_PRIORS
>>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
>>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
>>> swings = one_way(tiny, scenario, "clot")
>>> swings[0].key, round(swings[0].swing, 3), swings[0].triage_low, swings[0].triage_high
('causes:clot.baseline', 0.142, 'self_care', 'urgent')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.special import betaincinv

from .api import DiagnosticModel
from .diagnosis import fires, rule_probability, triage_level
from .errors import CalfdxError, UnknownCauseError, did_you_mean, one_of
from .evidence import EvidenceLike, unknown_state
from .spec import LEVELS, Entry, Level, ModelSpec, TriageRule
from .tables import Array

if TYPE_CHECKING:
    import pandas as pd

Posteriors = dict[str, tuple[float, ...]]
Method = Literal["ratio_of_linear", "interpolated", "constant"]
Z90 = 1.6448536269514722  # standard normal 95th percentile


class UnknownParameterError(CalfdxError, KeyError):
    """A parameter key is not an entry of the model."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- evaluation through the public API -------------------------------------------------


@dataclass(frozen=True)
class _Point:
    """Every cause's distribution and the triage level at one setting of the numbers."""

    posteriors: Posteriors
    level: Level


def _posteriors(model: DiagnosticModel, evidence: Mapping[str, str]) -> Posteriors:
    marg = model.engine.marginals(model.cause_ids, evidence)
    return {c: tuple(float(p) for p in marg[c]) for c in model.cause_ids}


def _evaluate(
    model: DiagnosticModel,
    evidence: Mapping[str, str],
    values: Mapping[str, float],
    base: _Point,
) -> _Point:
    """Posteriors and triage with some numbers replaced, skipping exact no-ops."""
    if any(_affects_posteriors(model, k, evidence) for k in values):
        changed = model.with_values(values)  # the engine is updated, not rebuilt
        spec, posteriors = changed.spec, _posteriors(changed, evidence)
    else:
        spec, posteriors = model.spec.with_values(values), base.posteriors
    return _Point(posteriors, triage_level(spec, posteriors))


@lru_cache(maxsize=64)
def _owners(model: DiagnosticModel) -> dict[str, tuple[str, str]]:
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


def _affects_posteriors(model: DiagnosticModel, key: str, evidence: Mapping[str, str]) -> bool:
    kind, node = _owners(model).get(key, ("cause", ""))
    if kind == "threshold":
        return False
    if kind == "finding":
        return node in evidence  # an unobserved leaf sums out to one
    if kind == "risk_factor":
        return node not in evidence  # an observed root blocks its own prevalence
    return True


@lru_cache(maxsize=16)
def _base(model: DiagnosticModel, evidence: tuple[tuple[str, str], ...]) -> _Point:
    given = dict(evidence)
    model.diagnose(given)  # refuses impossible evidence with the model's own error
    posteriors = _posteriors(model, given)
    return _Point(posteriors, triage_level(model.spec, posteriors))


@lru_cache(maxsize=16)
def _ends(
    model: DiagnosticModel, evidence: tuple[tuple[str, str], ...], keys: tuple[str, ...]
) -> tuple[tuple[_Point, _Point], ...]:
    """The model at the low and the high end of each parameter's range (memoised)."""
    given = dict(evidence)
    base = _base(model, evidence)
    entries = model.spec.entries
    return tuple(
        (
            _evaluate(model, given, {k: entries[k].low}, base),
            _evaluate(model, given, {k: entries[k].high}, base),
        )
        for k in keys
    )


def _prepare(
    model: DiagnosticModel, evidence: EvidenceLike | None, parameters: Sequence[str] | None
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    given = tuple(sorted(model.check(evidence or {}).items()))
    entries = model.spec.entries
    keys = tuple(entries) if parameters is None else tuple(parameters)
    unknown = [k for k in keys if k not in entries]
    if unknown:
        raise UnknownParameterError(
            f"unknown parameter '{unknown[0]}'{did_you_mean(unknown[0], entries)}; "
            "the keys are those of model.spec.entries"
        )
    return given, keys


def _target(model: DiagnosticModel, target: str) -> tuple[str, int | None]:
    """The cause id and the state index (``None``: P(not the first state))."""
    cause, _, state = target.partition(".")
    variables = model.variables
    if cause not in model.cause_ids:
        raise UnknownCauseError(f"unknown cause '{cause}'; {one_of(cause, model.cause_ids)}")
    if not state:
        return cause, None
    states = variables[cause].states
    if state not in states:
        raise UnknownCauseError(unknown_state(cause, state, list(states)))
    return cause, states.index(state)


def _pick(posteriors: Posteriors, target: tuple[str, int | None]) -> float:
    cause, index = target
    dist = posteriors[cause]
    return 1.0 - dist[0] if index is None else dist[index]


def targets(model: DiagnosticModel) -> list[str]:
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


# --- one-way sensitivity ---------------------------------------------------------------


@dataclass(frozen=True)
class Swing:
    """A target posterior and the triage at both ends of one parameter's range."""

    key: str
    value: float
    low: float
    high: float
    p_value: float
    p_low: float
    p_high: float
    triage_low: Level
    triage_high: Level
    sources: tuple[str, ...]

    @property
    def swing(self) -> float:
        """How far the posterior moves across the range, ``|p_high - p_low|``."""
        return abs(self.p_high - self.p_low)

    def __repr__(self) -> str:
        return f"Swing({self.key}: {self.p_low:.3f} .. {self.p_high:.3f})"


def one_way(
    model: DiagnosticModel,
    evidence: EvidenceLike | None,
    target: str,
    parameters: Sequence[str] | None = None,
) -> list[Swing]:
    """One-way sensitivity of a target posterior, ranked by swing (largest first).

    Parameters
    ----------
    model
        The model at its point values.
    evidence
        The scenario, as for ``DiagnosticModel.diagnose``.
    target
        A cause id or ``"cause.state"``.
    parameters
        Entry keys to vary one at a time (all of ``model.spec.entries`` by default).

    Returns
    -------
    list[Swing]
        One per parameter; ties keep the order of ``parameters``.

    Raises
    ------
    UnknownCauseError
        For an unknown target.
    UnknownParameterError
        For an unknown parameter key (a ``KeyError``).

    Examples
    --------
    >>> from model import load_model
    >>> from model.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> s = one_way(tiny, scenario, "clot", ["causes:clot.baseline"])[0]
    >>> round(s.p_low, 4), round(s.p_value, 4), round(s.p_high, 4), s.triage_low
    (0.0582, 0.1105, 0.2007, 'self_care')
    """
    given, keys = _prepare(model, evidence, parameters)
    goal = _target(model, target)
    base = _base(model, given)
    entries = model.spec.entries
    p0 = _pick(base.posteriors, goal)
    out = [
        Swing(
            k,
            entries[k].value,
            entries[k].low,
            entries[k].high,
            p0,
            _pick(lo.posteriors, goal),
            _pick(hi.posteriors, goal),
            lo.level,
            hi.level,
            entries[k].sources,
        )
        for k, (lo, hi) in zip(keys, _ends(model, given, keys), strict=True)
    ]
    return sorted(out, key=lambda s: -s.swing)


def one_way_all(
    model: DiagnosticModel,
    evidence: EvidenceLike | None,
    parameters: Sequence[str] | None = None,
) -> dict[str, list[Swing]]:
    """``one_way`` for every target of ``targets(model)``, sharing one sweep.

    Examples
    --------
    >>> from model import load_model
    >>> from model.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> sorted(one_way_all(tiny, {}, ["causes:clot.baseline"]))[:3]
    ['bump', 'clot', 'strain']
    """
    return {t: one_way(model, evidence, t, parameters) for t in targets(model)}


def tornado_frame(swings: Sequence[Swing]) -> pd.DataFrame:
    """The swings as a pandas DataFrame indexed by key, in the given order.

    Examples
    --------
    >>> s = Swing("k", 0.5, 0.2, 0.8, 0.3, 0.1, 0.4, "self_care", "urgent", ("a",))
    >>> tornado_frame([s]).loc["k", "swing"].round(2)
    np.float64(0.3)
    """
    import pandas as pd

    columns = [
        "key",
        "value",
        "low",
        "high",
        "p_value",
        "p_low",
        "p_high",
        "swing",
        "triage_low",
        "triage_high",
        "sources",
    ]
    rows = [[*(getattr(s, c) for c in columns[:-1]), ", ".join(s.sources)] for s in swings]
    return pd.DataFrame(rows, columns=columns).set_index("key")


# --- sensitivity functions -------------------------------------------------------------

LINEAR_KINDS = ("risk_factor", "link", "table_row")


def _entry_role(model: DiagnosticModel, key: str) -> str:
    """How an entry enters its CPT: linearly ('risk_factor', 'link', 'table_row') or not."""
    spec = model.spec
    kind, _ = _owners(model).get(key, ("cause", ""))
    if kind == "finding":
        return "leak" if any(f.leak.key == key for f in spec.findings) else "link"
    if kind == "cause":
        for cause in spec.causes:
            if cause.table is not None and any(
                r.entry is not None and r.entry.key == key for r in cause.table.rows
            ):
                return "table_row"
        return "logistic"
    return kind


@dataclass(frozen=True)
class SensitivityFunction:
    """A target posterior as a function of one parameter, over the parameter's range.

    ``method`` says how it was obtained:

    - ``"ratio_of_linear"``: exact. The parameter sets CPT entries linearly (a risk
      factor's prevalence with its siblings rescaled proportionally, a noisy-OR link
      ``p`` whose inhibitor ``(1 - p) / (1 - leak)`` is linear in ``p``, an explicit
      table row), so the posterior is ``(a t + b) / (c t + d)`` in
      ``t = (x - low) / (high - low)`` (Coupé and van der Gaag 2002), fitted from three
      evaluations; valid on the whole range and slightly beyond.
    - ``"interpolated"``: approximate. Baselines and odds ratios act through a logistic
      transform and a leak through ``1 / (1 - leak)`` in every multi-cause column, so
      the posterior is not a ratio of linear functions of the number; it is evaluated
      at ``points`` evenly spaced values and interpolated piecewise-cubically (exact at
      those values only).
    - ``"constant"``: the parameter cannot move the posterior (a threshold, a
      d-separated number, or an empty range).
    """

    key: str
    target: str
    low: float
    high: float
    value: float
    method: Method
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    coefficients: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)

    @property
    def exact(self) -> bool:
        """Whether the curve equals the model's posterior everywhere on the range."""
        return self.method != "interpolated"

    def __call__(self, x: float | Array) -> Array:
        """The posterior at parameter value(s) ``x``."""
        xv = np.asarray(x, dtype=float)
        if self.method == "constant":
            return np.full_like(xv, self.ys[0])
        if self.method == "ratio_of_linear":
            a, b, c, d = self.coefficients
            t = (xv - self.low) / (self.high - self.low)
            out: Array = (a * t + b) / (c * t + d)
            return out
        from scipy.interpolate import PchipInterpolator

        return np.asarray(PchipInterpolator(self.xs, self.ys)(xv), dtype=float)

    def __repr__(self) -> str:
        return f"P({self.target} | e) as a function of {self.key} ({self.method})"


def _fit_ratio(ts: Array, ys: Array) -> tuple[float, float, float, float]:
    """Coefficients of ``(a t + b) / (c t + d)`` through three points (null space by SVD)."""
    rows = np.column_stack([ts, np.ones_like(ts), -ts * ys, -ys])
    coef = np.linalg.svd(rows)[2][-1]
    if coef[3] < 0:
        coef = -coef
    a, b, c, d = (float(v) for v in coef)
    return a, b, c, d


def sensitivity_function(
    model: DiagnosticModel,
    evidence: EvidenceLike | None,
    target: str,
    key: str,
    points: int = 9,
) -> SensitivityFunction:
    """The target posterior as a function of one parameter (see ``SensitivityFunction``).

    Parameters
    ----------
    model, evidence, target
        As for ``one_way``.
    key
        The parameter's entry key.
    points
        Evaluations for an ``"interpolated"`` function (three suffice when exact).

    Returns
    -------
    SensitivityFunction
        Callable on values of the parameter.

    Examples
    --------
    >>> from model import load_model
    >>> from model.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> f = sensitivity_function(tiny, scenario, "clot", "findings:swelling.causes.clot")
    >>> f.method, round(float(f(0.7)), 6)
    ('ratio_of_linear', 0.098318)
    >>> d = tiny.with_values({"findings:swelling.causes.clot": 0.7}).diagnose(scenario)
    >>> round(d.probability("clot"), 6)
    0.098318
    """
    given, (key,) = _prepare(model, evidence, [key])
    goal = _target(model, target)
    entry = model.spec.entries[key]
    base = _base(model, given)
    ev = dict(given)
    p0 = _pick(base.posteriors, goal)
    span = entry.high - entry.low
    if span <= 0.0 or not _affects_posteriors(model, key, ev):
        return SensitivityFunction(
            key, target, entry.low, entry.high, entry.value, "constant", (entry.value,), (p0,)
        )

    def at(x: float) -> float:
        return _pick(_posteriors(model.with_values({key: x}), ev), goal)

    role = _entry_role(model, key)
    n = 3 if role in LINEAR_KINDS else max(points, 3)
    xs = np.linspace(entry.low, entry.high, n)
    ys = np.array([at(float(x)) for x in xs])
    linear = role in LINEAR_KINDS
    return SensitivityFunction(
        key,
        target,
        entry.low,
        entry.high,
        entry.value,
        "ratio_of_linear" if linear else "interpolated",
        tuple(float(x) for x in xs),
        tuple(float(y) for y in ys),
        _fit_ratio((xs - entry.low) / span, ys) if linear else (0.0, 0.0, 0.0, 1.0),
    )


# --- uncertainty propagation -----------------------------------------------------------

_KAPPAS = np.logspace(-0.5, 6.0, 400)


def _beta_parameters(entry: Entry) -> tuple[float, float] | None:
    """Beta(a, b) with mean ``value`` whose 5% and 95% quantiles best match the range.

    The concentration is chosen on a log grid, minimising the squared error of both
    quantiles in log-odds. ``None`` when the number is held fixed (value 0 or 1, or an
    empty range).
    """
    m = entry.value
    if not 0.0 < m < 1.0 or entry.high <= entry.low:
        return None
    a, b = _KAPPAS * m, _KAPPAS * (1.0 - m)
    q05, q95 = betaincinv(a, b, 0.05), betaincinv(a, b, 0.95)

    def logit(p: Array | float) -> Array:
        q = np.clip(p, 1e-9, 1.0 - 1e-9)
        return np.asarray(np.log(q) - np.log1p(-q))

    loss = (logit(q05) - logit(entry.low)) ** 2 + (logit(q95) - logit(entry.high)) ** 2
    best = int(np.nanargmin(loss))
    return float(a[best]), float(b[best])


def _lognormal_sigma(entry: Entry) -> float:
    """Sigma of the log-normal with median ``value`` whose 90% interval best fits the range."""
    return math.log(entry.high / entry.low) / (2.0 * Z90)


@dataclass(frozen=True)
class _Fits:
    """Each parameter's fitted distribution, as arrays ready for vectorised draws."""

    beta_keys: tuple[str, ...]
    alpha: Array
    beta: Array
    lognormal_keys: tuple[str, ...]
    median: Array
    sigma: Array
    fixed: dict[str, float]


@lru_cache(maxsize=8)
def _fits(model: DiagnosticModel) -> _Fits:
    beta_keys, alpha, beta, ln_keys, median, sigma = [], [], [], [], [], []
    fixed: dict[str, float] = {}
    for e in model.spec.entries.values():
        if e.kind == "odds_ratio":
            ln_keys.append(e.key)
            median.append(e.value)
            sigma.append(_lognormal_sigma(e))
            continue
        ab = _beta_parameters(e)
        if ab is None:
            fixed[e.key] = e.value
        else:
            beta_keys.append(e.key)
            alpha.append(ab[0])
            beta.append(ab[1])
    return _Fits(
        tuple(beta_keys),
        np.array(alpha),
        np.array(beta),
        tuple(ln_keys),
        np.array(median),
        np.array(sigma),
        fixed,
    )


def draw_values(
    model: DiagnosticModel, rng: np.random.Generator, thresholds: bool = True
) -> dict[str, float]:
    """One random setting of every parameter, each drawn from a distribution matched to its range.

    Probabilities: Beta with mean = value and 90% central interval close to the range
    (see ``_beta_parameters``); a probability of exactly 0 or 1, or with an empty range,
    stays fixed. Odds ratios: log-normal with median = value and 90% interval spanning
    the range (least squares in log space). A risk factor's drawn prevalences are
    renormalised to sum to one; a graded baseline whose draws sum to 0.99 or more is
    scaled down to 0.99. A drawn noisy-OR link below the drawn leak adds nothing (the
    tables clip it). The fits are computed once per model.

    Examples
    --------
    >>> from model import load_model
    >>> m = load_model()
    >>> v = draw_values(m, np.random.default_rng(0))
    >>> len(v) == len(m.spec.entries)
    True
    """
    spec = model.spec
    fits = _fits(model)
    out = dict(fits.fixed)
    out.update(zip(fits.beta_keys, rng.beta(fits.alpha, fits.beta).tolist(), strict=True))
    normal = rng.standard_normal(len(fits.lognormal_keys))
    out.update(
        zip(fits.lognormal_keys, (fits.median * np.exp(fits.sigma * normal)).tolist(), strict=True)
    )
    for rf in spec.risk_factors:
        total = sum(out[e.key] for e in rf.prevalence)
        for e in rf.prevalence:
            out[e.key] = out[e.key] / total
    for cause in spec.causes:
        total = sum(out[e.key] for e in cause.baseline)
        if total >= 0.99:
            for e in cause.baseline:
                out[e.key] = out[e.key] * 0.99 / total
    if not thresholds:
        for rule in spec.rules:
            out[rule.threshold.key] = rule.threshold.value
    return out


@dataclass(frozen=True)
class Uncertainty:
    """Posterior uncertainty for one scenario from random draws of every parameter.

    ``samples`` has one row per draw and one column per target of ``targets``;
    ``levels`` is the triage level of each draw.
    """

    evidence: dict[str, str]
    targets: tuple[str, ...]
    point: tuple[float, ...]
    samples: Array
    levels: tuple[Level, ...]
    point_level: Level
    seed: int

    @property
    def draws(self) -> int:
        """Number of draws."""
        return len(self.levels)

    @property
    def triage_changed(self) -> float:
        """Fraction of draws whose triage level differs from the point estimate's."""
        return sum(lv != self.point_level for lv in self.levels) / max(1, self.draws)

    @property
    def level_counts(self) -> dict[str, int]:
        """How many draws ended at each triage level."""
        return {lv: self.levels.count(lv) for lv in LEVELS}

    def to_frame(self) -> pd.DataFrame:
        """Per target: point estimate, median, 5% and 95% quantiles, and interval width."""
        import pandas as pd

        q05, med, q95 = np.quantile(self.samples, [0.05, 0.5, 0.95], axis=0)
        frame = pd.DataFrame(
            {
                "point": self.point,
                "median": med,
                "q05": q05,
                "q95": q95,
                "width": q95 - q05,
            },
            index=pd.Index(self.targets, name="target"),
        )
        return frame

    def __repr__(self) -> str:
        return (
            f"Uncertainty({self.draws} draws, triage {self.point_level}, "
            f"changed in {self.triage_changed:.0%})"
        )


def propagate(
    model: DiagnosticModel,
    evidence: EvidenceLike | None,
    draws: int = 1000,
    seed: int = 0,
    thresholds: bool = True,
) -> Uncertainty:
    """Draw every parameter (see ``draw_values``) and collect each target's posterior.

    Parameters
    ----------
    model, evidence
        As for ``one_way``.
    draws
        Number of random parameter settings.
    seed
        Seed of the ``numpy.random.Generator``: the same seed gives the same result.
    thresholds
        Whether triage thresholds are drawn too (else they stay at their values).

    Returns
    -------
    Uncertainty
        Samples, quantiles (``to_frame``) and how often the triage level changed.

    Examples
    --------
    >>> from model import load_model
    >>> from model.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> u = propagate(tiny, {"swelling": "yes"}, draws=5, seed=1)
    >>> u.draws, u.to_frame().loc["clot", "q05"] <= u.to_frame().loc["clot", "q95"]
    (5, np.True_)
    """
    given, _ = _prepare(model, evidence, ())
    ev = dict(given)
    goals = [(t, _target(model, t)) for t in targets(model)]
    base = _base(model, given)
    rng = np.random.default_rng(seed)
    rows, levels = [], []
    for _ in range(draws):
        point = _evaluate(model, ev, draw_values(model, rng, thresholds), base)
        rows.append([_pick(point.posteriors, g) for _, g in goals])
        levels.append(point.level)
    return Uncertainty(
        ev,
        tuple(t for t, _ in goals),
        tuple(_pick(base.posteriors, g) for _, g in goals),
        np.array(rows, dtype=float).reshape(draws, len(goals)),
        tuple(levels),
        base.level,
        seed,
    )


# --- decision robustness ---------------------------------------------------------------


@dataclass(frozen=True)
class Flip:
    """A parameter whose movement within its range flips one red-flag rule.

    The rule stops firing (or starts to) at ``flip_at``, found by bisection to ``tol`` of
    the range; ``distance`` is ``|flip_at - value| / (high - low)``. ``level_after`` is
    the overall triage level just past the flip: it equals ``level_before`` when another
    rule holds the level (``changes_level`` is then False).
    """

    rule: str
    key: str
    value: float
    low: float
    high: float
    flip_at: float
    distance: float
    fired_before: bool
    level_before: Level
    level_after: Level

    @property
    def changes_level(self) -> bool:
        """Whether the overall triage level changes too."""
        return self.level_after != self.level_before

    def __repr__(self) -> str:
        verb = "stops firing" if self.fired_before else "fires"
        return (
            f"Flip({self.rule} {verb} at {self.key} = {self.flip_at:.4g} (now {self.value:g}); "
            f"{self.level_before} -> {self.level_after})"
        )


def _rule_probability(spec: ModelSpec, rule: TriageRule, posteriors: Posteriors) -> float:
    """P(the rule's cause at its state or worse)."""
    return rule_probability(rule, posteriors[rule.cause], spec.variables[rule.cause].states)


def _rule_fires(
    spec: ModelSpec, rule: TriageRule, point: _Point, values: Mapping[str, float]
) -> bool:
    threshold = values.get(rule.threshold.key, rule.threshold.value)
    return fires(rule, _rule_probability(spec, rule, point.posteriors), threshold)


def robustness(
    model: DiagnosticModel,
    evidence: EvidenceLike | None,
    parameters: Sequence[str] | None = None,
    tol: float = 1e-4,
) -> list[Flip]:
    """For each urgent (red-flag) rule, the parameters that flip it within their range.

    A parameter counts for a rule when, at one end of its range, the rule's firing
    differs from the point estimate's. The flip value is found by bisection between the
    current value and that end (a posterior is monotone in one linearly entering
    parameter; for the others the crossing found is one of possibly several).

    Parameters
    ----------
    model, evidence, parameters
        As for ``one_way``.
    tol
        Bisection tolerance as a fraction of the range.

    Returns
    -------
    list[Flip]
        Sorted by distance (the easiest flips first).

    Examples
    --------
    >>> from model import load_model
    >>> from model.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> flips = robustness(tiny, scenario, ["causes:clot.baseline"])
    >>> flips[0].rule, flips[0].level_after, round(flips[0].flip_at, 4)
    ('clot', 'self_care', 0.009)
    """
    given, keys = _prepare(model, evidence, parameters)
    ev = dict(given)
    base = _base(model, given)
    entries = model.spec.entries
    spec = model.spec
    urgent = [r for r in spec.rules if r.level == "urgent"]
    flips: list[Flip] = []
    for key, ends in zip(keys, _ends(model, given, keys), strict=True):
        e = entries[key]
        span = e.high - e.low
        for rule in urgent:
            before = _rule_fires(spec, rule, base, {})
            for end_value, end in zip((e.low, e.high), ends, strict=True):
                if _rule_fires(spec, rule, end, {key: end_value}) == before:
                    continue
                inside, outside = e.value, end_value
                while abs(outside - inside) > tol * span:
                    mid = 0.5 * (inside + outside)
                    if (
                        _rule_fires(spec, rule, _evaluate(model, ev, {key: mid}, base), {key: mid})
                        == before
                    ):
                        inside = mid
                    else:
                        outside = mid
                after = _evaluate(model, ev, {key: outside}, base).level
                flips.append(
                    Flip(
                        rule.target,
                        key,
                        e.value,
                        e.low,
                        e.high,
                        outside,
                        abs(outside - e.value) / span,
                        before,
                        base.level,
                        after,
                    )
                )
    return sorted(flips, key=lambda f: (f.distance, f.rule, f.key))


def flips_frame(flips: Sequence[Flip]) -> pd.DataFrame:
    """The flips as a pandas DataFrame, one row each, in the given order."""
    import pandas as pd

    columns = [
        "rule",
        "key",
        "value",
        "low",
        "high",
        "flip_at",
        "distance",
        "fired_before",
        "level_before",
        "level_after",
        "changes_level",
    ]
    return pd.DataFrame([[getattr(f, c) for c in columns] for f in flips], columns=columns)


def red_flag_influence(
    model: DiagnosticModel,
    evidence: EvidenceLike | None,
    parameters: Sequence[str] | None = None,
) -> pd.DataFrame:
    """How far each parameter moves each red-flag rule relative to its threshold.

    For each urgent rule and parameter, ``ratio_low`` and ``ratio_high`` are the rule's
    probability divided by its threshold at the parameter's low and high end (a ratio
    of 1 is the decision boundary; thresholds are parameters too). ``influence`` is
    ``|log(ratio_high / ratio_low)|``, how many e-folds the parameter moves the rule;
    ``reach`` is the share of the log distance between the point estimate and the
    threshold that the parameter can close within its range (0: it only moves the rule
    away; 1 or more: it flips the rule, and ``flips`` is True). Rows are sorted by
    reach, then influence.

    Examples
    --------
    >>> from model import load_model
    >>> from model.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> frame = red_flag_influence(tiny, scenario)
    >>> top = frame[frame["rule"] == "clot"].iloc[0]
    >>> top["key"], float(round(top["ratio_low"], 2)), float(round(top["ratio_high"], 2))
    ('triage:rule.clot.threshold', 2.21, 0.55)
    """
    import pandas as pd

    given, keys = _prepare(model, evidence, parameters)
    base = _base(model, given)
    spec = model.spec
    entries = spec.entries
    rows = []
    for rule in (r for r in spec.rules if r.level == "urgent"):
        p0 = _rule_probability(spec, rule, base.posteriors)
        r0 = p0 / rule.threshold.value
        for key, (lo, hi) in zip(keys, _ends(model, given, keys), strict=True):
            e = entries[key]
            ratios = []
            for x, point in ((e.low, lo), (e.high, hi)):
                threshold = x if key == rule.threshold.key else rule.threshold.value
                ratios.append(_rule_probability(spec, rule, point.posteriors) / threshold)
            with np.errstate(divide="ignore", invalid="ignore"):
                logs = np.log(np.array(ratios))
                influence = abs(float(logs[1] - logs[0]))
                gap = float(np.log(r0))
                reach = float(np.max((logs - gap) * -np.sign(gap))) / abs(gap)
            rows.append(
                {
                    "rule": rule.target,
                    "key": key,
                    "ratio_point": r0,
                    "ratio_low": ratios[0],
                    "ratio_high": ratios[1],
                    "influence": 0.0 if math.isnan(influence) else influence,
                    "reach": max(0.0, reach) if not math.isnan(reach) else 0.0,
                    "flips": any((r >= 1.0) != (r0 >= 1.0) for r in ratios),
                }
            )
    frame = pd.DataFrame(rows, columns=list(rows[0]) if rows else None)
    order = frame.sort_values(["reach", "influence"], ascending=False, kind="stable")
    return order.reset_index(drop=True)
