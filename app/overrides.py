"""'Try a number': where each prior number lives in its file, and the edited files.

Overrides live only in the session; this module turns them into downloadable texts
through ``model.priors.toml_io.edit_values`` (comments and layout kept). Nothing is written
to disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from model.priors.keys import path_part, split_key
from model.priors.spec import Entry
from model.priors.toml_io import edit_values


def entry_location(key: str) -> tuple[str, str, str] | None:
    """(file stem, TOML table, key within the table) holding the entry ``key``.

    ``None`` for numbers the line editor cannot reach (full-table rows, which are
    lists, and triage thresholds, which sit in an array of tables).

    >>> entry_location("causes:dvt.prevalence")
    ('causes', 'dvt', 'prevalence')
    >>> entry_location("causes:calf_strain.baseline.grade_2")
    ('causes', 'calf_strain.baseline', 'grade_2')
    >>> entry_location('causes:dvt.odds_ratios."recent_immobility.yes"')
    ('causes', 'dvt.odds_ratios', 'recent_immobility.yes')
    >>> entry_location('findings:palpable_gap.causes."calf_strain.grade_3"')
    ('findings', 'palpable_gap.causes', 'calf_strain.grade_3')
    >>> entry_location("risk_factors:age_group.prevalence.60_plus")
    ('risk_factors', 'age_group.prevalence', '60_plus')
    >>> entry_location("triage:rule.dvt.threshold") is None
    True
    """
    stem, parts = split_key(key)
    if stem not in ("risk_factors", "causes", "findings") or len(parts) < 2:
        return None
    if stem == "causes" and parts[1] not in ("baseline", "prevalence", "odds_ratios"):
        return None  # full-table rows are lists
    if len(parts) == 2:
        return stem, parts[0], parts[1]
    return stem, ".".join(path_part(p) for p in parts[:-1]), parts[-1]


def with_siblings(overrides: Mapping[str, float], after: Mapping[str, Entry]) -> dict[str, float]:
    """Add the co-varied prevalences of any overridden risk factor, rounded to sum to one.

    ``ModelSpec.with_values`` rescales a risk factor's other states when one changes;
    the file must carry those values too, to six decimals that sum to exactly one
    (the largest sibling absorbs the rounding). ``after`` is the overridden spec's
    ``entries``.

    >>> after = {"risk_factors:h.prevalence.a": Entry("risk_factors:h.prevalence.a", 0.3, 0, 1, ("s",)),
    ...          "risk_factors:h.prevalence.b": Entry("risk_factors:h.prevalence.b", 0.7, 0, 1, ("s",))}
    >>> with_siblings({"risk_factors:h.prevalence.a": 0.3}, after)
    {'risk_factors:h.prevalence.a': 0.3, 'risk_factors:h.prevalence.b': 0.7}
    """
    out = dict(overrides)
    for key in overrides:
        if not key.startswith("risk_factors:"):
            continue
        prefix = key.rsplit(".", 1)[0] + "."
        siblings = [k for k in after if k.startswith(prefix) and k not in overrides]
        if not siblings:
            continue
        fixed = {k: round(float(v), 6) for k, v in overrides.items() if k.startswith(prefix)}
        rest = {k: round(after[k].value, 6) for k in siblings}
        largest = max(rest, key=lambda k: rest[k])
        rest[largest] = round(
            1.0 - sum(fixed.values()) - sum(v for k, v in rest.items() if k != largest), 6
        )
        out.update(fixed)
        out.update(rest)
    return out


def edited_files(
    priors_dir: str | os.PathLike[str], overrides: Mapping[str, float]
) -> tuple[dict[str, str], list[str]]:
    """The priors files an override set changes, as edited texts by file name.

    Pass overrides through ``with_siblings`` first when they touch a risk factor.
    Returns the texts and the keys that could not be written (see ``entry_location``).
    """
    edits: dict[str, dict[tuple[str, str], float]] = {}
    skipped: list[str] = []
    for key, value in overrides.items():
        where = entry_location(key)
        if where is None:
            skipped.append(key)
            continue
        stem, table, item = where
        edits.setdefault(stem, {})[(table, item)] = value
    texts = {}
    for stem, changes in sorted(edits.items()):
        path = Path(priors_dir) / f"{stem}.toml"
        texts[path.name] = edit_values(path.read_text(encoding="utf-8"), changes)
    return texts, skipped
