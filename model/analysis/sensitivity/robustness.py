"""Decision robustness: which numbers, moved within their range, flip a red-flag rule."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.analysis.protocol import PosteriorModel
from model.evidence import EvidenceLike
from model.priors.spec import Level, ModelSpec, TriageRule
from model.triage import fires, rule_probability, urgent_rules

if TYPE_CHECKING:
    import pandas as pd

from model.analysis.sensitivity.sweep import (
    Point,
    Posteriors,
    base_point,
    evaluate,
    prepare,
    range_ends,
)


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
    spec: ModelSpec, rule: TriageRule, point: Point, values: Mapping[str, float]
) -> bool:
    threshold = values.get(rule.threshold.key, rule.threshold.value)
    return fires(rule, _rule_probability(spec, rule, point.posteriors), threshold)


def robustness(
    model: PosteriorModel,
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
    >>> from model.priors.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> flips = robustness(tiny, scenario, ["causes:clot.baseline"])
    >>> flips[0].rule, flips[0].level_after, round(flips[0].flip_at, 4)
    ('clot', 'self_care', 0.009)
    """
    given, keys = prepare(model, evidence, parameters)
    ev = dict(given)
    base = base_point(model, given)
    entries = model.spec.entries
    spec = model.spec
    urgent = urgent_rules(spec)
    flips: list[Flip] = []
    for key, ends in zip(keys, range_ends(model, given, keys), strict=True):
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
                        _rule_fires(spec, rule, evaluate(model, ev, {key: mid}, base), {key: mid})
                        == before
                    ):
                        inside = mid
                    else:
                        outside = mid
                after = evaluate(model, ev, {key: outside}, base).level
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
    model: PosteriorModel,
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
    >>> from model.priors.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> frame = red_flag_influence(tiny, scenario)
    >>> top = frame[frame["rule"] == "clot"].iloc[0]
    >>> top["key"], float(round(top["ratio_low"], 2)), float(round(top["ratio_high"], 2))
    ('triage:rule.clot.threshold', 2.21, 0.55)
    """
    import pandas as pd

    given, keys = prepare(model, evidence, parameters)
    base = base_point(model, given)
    spec = model.spec
    entries = spec.entries
    rows = []
    for rule in urgent_rules(spec):
        p0 = _rule_probability(spec, rule, base.posteriors)
        r0 = p0 / rule.threshold.value
        for key, (lo, hi) in zip(keys, range_ends(model, given, keys), strict=True):
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
