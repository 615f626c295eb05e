"""Matplotlib charts of the sensitivity analysis (tornado, intervals), for notebooks and reports.

Matplotlib is imported only when a chart is drawn, so ``model`` does not need it.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from model.analysis.sensitivity import Swing
>>> s = Swing("causes:dvt.prevalence", 0.004, 0.001, 0.01, 0.3, 0.1, 0.6, "urgent", "urgent", ("a",))
>>> ax = tornado_chart([s], title="P(DVT)")
>>> ax.get_title()
'P(DVT)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from model.analysis.sensitivity import Swing, Uncertainty
from model.priors.keys import odds_ratio_terms, split_key

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def short_label(key: str) -> str:
    """A parameter key in fewer words, for chart labels.

    >>> short_label('causes:dvt.odds_ratios."recent_immobility.yes"')
    'dvt: OR recent_immobility=yes'
    >>> short_label('causes:c.odds_ratios."cycling.yes & age_group.60_plus"')
    'c: OR cycling=yes & age_group=60_plus'
    >>> short_label("findings:one_leg_swelling.causes.dvt")
    'P(one_leg_swelling | dvt)'
    >>> short_label("causes:calf_strain.baseline.grade_3")
    'calf_strain: baseline rate grade_3'
    >>> short_label("findings:one_leg_swelling.leak")
    'P(one_leg_swelling | no cause)'
    """
    section, parts = split_key(key)
    rest = ".".join(parts)
    if section == "causes":
        cause, _, what = rest.partition(".")
        what = what.replace("odds_ratios.", "OR ").replace("table.rows.", "row ")
        what = (
            "baseline rate" if what == "baseline" else what.replace("baseline.", "baseline rate ")
        )
        if what.startswith("OR "):
            terms = odds_ratio_terms(what[3:])
            what = "OR " + " & ".join(f"{parent}={state}" for parent, state in terms)
        return f"{cause}: {what}"
    if section == "findings":
        finding, _, what = rest.partition(".")
        given = "no cause" if what == "leak" else what.removeprefix("causes.")
        return f"P({finding} | {given})"
    if section == "risk_factors":
        factor, _, state = rest.rpartition(".")
        return f"P({factor.removesuffix('.prevalence')}={state})"
    if section == "triage":
        return f"threshold {rest.removeprefix('rule.').removesuffix('.threshold')}"
    return key


def _legend_below(ax: Axes) -> None:
    """The legend in a row under the axis label, where it cannot cover a bar."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(
            handles,
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncols=len(handles),
            fontsize=8,
            frameon=False,
        )


def tornado_chart(
    swings: Sequence[Swing],
    top: int = 12,
    threshold: float | None = None,
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars from the posterior at each parameter's low end to its high end.

    The largest swing is on top; the point estimate is a vertical line, the rule's
    threshold a dashed one. A bar end is marked with the triage level reached there
    when it differs from the point estimate's.
    """
    import matplotlib.pyplot as plt

    shown = list(swings[:top])[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.38 * len(shown) + 1.4), layout="constrained")
    for i, s in enumerate(shown):
        ax.barh(i, s.p_high - s.p_value, left=s.p_value, color="#2c7fb8", height=0.6)
        ax.barh(i, s.p_low - s.p_value, left=s.p_value, color="#a6bddb", height=0.6)
    if shown:
        ax.axvline(shown[0].p_value, color="black", linewidth=1, label="point estimate")
    if threshold is not None:
        ax.axvline(threshold, color="#c0392b", linestyle="--", linewidth=1, label="threshold")
    ax.set_yticks(range(len(shown)), [short_label(s.key) for s in shown], fontsize=8)
    ax.set_xlabel("posterior probability (light: parameter at its low end, dark: high end)")
    ax.set_title(title)
    _legend_below(ax)
    ax.grid(axis="x", alpha=0.3)
    return ax


def interval_chart(
    u: Uncertainty,
    thresholds: Mapping[str, float] | None = None,
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Each target's median and 90% interval across the draws, and the point estimate.

    The axis is logarithmic so that rare causes stay visible; ``thresholds`` (target to
    probability, e.g. the urgent rules') are marked with red crosses.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    frame = u.to_frame().iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.32 * len(frame) + 1.4), layout="constrained")
    y = list(range(len(frame)))
    ax.hlines(y, frame["q05"], frame["q95"], color="#2c7fb8", linewidth=3, label="90% interval")
    ax.plot(frame["median"], y, "o", color="#2c7fb8", label="median")
    ax.plot(frame["point"], y, "|", color="black", markersize=12, label="point estimate")
    marks = [
        (i, thresholds[t]) for i, t in enumerate(frame.index) if thresholds and t in thresholds
    ]
    if marks:
        ax.plot(
            [m[1] for m in marks],
            [m[0] for m in marks],
            "x",
            color="#c0392b",
            markersize=8,
            label="triage threshold",
        )
    ax.set_yticks(y, list(frame.index), fontsize=8)
    ax.set_xscale("log")
    low = float(np.nanmin(frame["q05"].to_numpy()))
    ax.set_xlim(max(1e-4, 0.5 * low) if low > 0 else 1e-4, 1.0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{100 * x:g}%"))
    ax.set_xlabel(f"posterior probability, log scale ({u.draws} draws of every number)")
    ax.set_title(title)
    _legend_below(ax)
    ax.grid(axis="x", alpha=0.3)
    return ax
