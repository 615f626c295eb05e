"""Uncertainty propagation: draw every number from its range, report posterior intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import betaincinv

from model.analysis.protocol import PosteriorModel
from model.evidence import EvidenceLike
from model.inference.tables import Array, logit
from model.priors.spec import LEVELS, Entry, Level

if TYPE_CHECKING:
    import pandas as pd

from model.analysis.sensitivity.sweep import (
    Z90,
    base_point,
    evaluate,
    parse_target,
    per_model,
    pick,
    prepare,
    targets,
)

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

    loss = (logit(q05, 1e-9) - logit(entry.low, 1e-9)) ** 2 + (
        logit(q95, 1e-9) - logit(entry.high, 1e-9)
    ) ** 2
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


@per_model(maxsize=1)
def _fits(model: PosteriorModel) -> _Fits:
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
    model: PosteriorModel, rng: np.random.Generator, thresholds: bool = True
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
    >>> m.spec.entries["causes:dvt.prevalence"].value, round(v["causes:dvt.prevalence"], 5)
    (0.005, 0.00334)
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
    model: PosteriorModel,
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
    >>> from model.priors.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> u = propagate(tiny, {"swelling": "yes"}, draws=5, seed=1)
    >>> u.draws, u.to_frame().loc["clot", "q05"] <= u.to_frame().loc["clot", "q95"]
    (5, np.True_)
    """
    given, _ = prepare(model, evidence, ())
    ev = dict(given)
    goals = [(t, parse_target(model, t)) for t in targets(model)]
    base = base_point(model, given)
    rng = np.random.default_rng(seed)
    rows, levels = [], []
    for _ in range(draws):
        point = evaluate(model, ev, draw_values(model, rng, thresholds), base)
        rows.append([pick(point.posteriors, g) for _, g in goals])
        levels.append(point.level)
    return Uncertainty(
        ev,
        tuple(t for t, _ in goals),
        tuple(pick(base.posteriors, g) for _, g in goals),
        np.array(rows, dtype=float).reshape(draws, len(goals)),
        tuple(levels),
        base.level,
        seed,
    )
