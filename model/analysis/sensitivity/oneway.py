"""One-way sensitivity: each number at both ends of its plausible range (tornado charts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from model.analysis.protocol import PosteriorModel
from model.evidence import EvidenceLike
from model.priors.spec import Level

if TYPE_CHECKING:
    import pandas as pd

from model.analysis.sensitivity.sweep import (
    base_point,
    parse_target,
    pick,
    prepare,
    range_ends,
    targets,
)


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
    model: PosteriorModel,
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
        The scenario, as for ``PosteriorModel.diagnose``.
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
    >>> from model.priors.loader import DEFAULT_PRIORS
    >>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
    >>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
    >>> s = one_way(tiny, scenario, "clot", ["causes:clot.baseline"])[0]
    >>> round(s.p_low, 4), round(s.p_value, 4), round(s.p_high, 4), s.triage_low
    (0.0582, 0.1105, 0.2007, 'self_care')
    """
    given, keys = prepare(model, evidence, parameters)
    goal = parse_target(model, target)
    base = base_point(model, given)
    entries = model.spec.entries
    p0 = pick(base.posteriors, goal)
    out = [
        Swing(
            k,
            entries[k].value,
            entries[k].low,
            entries[k].high,
            p0,
            pick(lo.posteriors, goal),
            pick(hi.posteriors, goal),
            lo.level,
            hi.level,
            entries[k].sources,
        )
        for k, (lo, hi) in zip(keys, range_ends(model, given, keys), strict=True)
    ]
    return sorted(out, key=lambda s: -s.swing)


def one_way_all(
    model: PosteriorModel,
    evidence: EvidenceLike | None,
    parameters: Sequence[str] | None = None,
) -> dict[str, list[Swing]]:
    """``one_way`` for every target of ``targets(model)``, sharing one sweep.

    Examples
    --------
    >>> from model import load_model
    >>> from model.priors.loader import DEFAULT_PRIORS
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
