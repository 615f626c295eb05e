"""Sensitivity functions: a posterior as an exact function of one number (ratio of linears)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.analysis.protocol import PosteriorModel
from model.evidence import EvidenceLike
from model.inference.tables import Array

if TYPE_CHECKING:
    pass

from model.analysis.sensitivity.sweep import (
    Method,
    affects_posteriors,
    base_point,
    owners,
    parse_target,
    pick,
    posteriors_at,
    prepare,
)

LINEAR_KINDS = ("risk_factor", "link", "table_row")


def _entry_role(model: PosteriorModel, key: str) -> str:
    """How an entry enters its CPT: linearly ('risk_factor', 'link', 'table_row') or not."""
    spec = model.spec
    kind, _ = owners(model).get(key, ("cause", ""))
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
    model: PosteriorModel,
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
    >>> from model.priors.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> f = sensitivity_function(tiny, scenario, "clot", "findings:swelling.causes.clot")
    >>> f.method, round(float(f(0.7)), 6)
    ('ratio_of_linear', 0.098318)
    >>> d = tiny.with_values({"findings:swelling.causes.clot": 0.7}).diagnose(scenario)
    >>> round(d.probability("clot"), 6)
    0.098318
    """
    given, (key,) = prepare(model, evidence, [key])
    goal = parse_target(model, target)
    entry = model.spec.entries[key]
    base = base_point(model, given)
    ev = dict(given)
    p0 = pick(base.posteriors, goal)
    span = entry.high - entry.low
    if span <= 0.0 or not affects_posteriors(model, key, ev):
        return SensitivityFunction(
            key, target, entry.low, entry.high, entry.value, "constant", (entry.value,), (p0,)
        )

    def at(x: float) -> float:
        return pick(posteriors_at(model.with_values({key: x}), ev), goal)

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
