"""The key that names each prior number: ``stem:path``, the file and the TOML path to it.

``path`` is the dotted TOML path, with a part quoted when it holds a dot itself
(``causes:dvt.odds_ratios."recent_immobility.yes"``). The loader builds every key with
``make_key``; everything that reads a key back (the explorer's line editor and labels,
chart labels) uses ``split_key``, so the two never drift apart. An odds ratio's own key
(``"recent_immobility.yes"``, or an interaction ``"a.x & b.y"``) is read by ``odds_ratio_terms``.
"""

from __future__ import annotations

import re

from model.errors import quote

_PART = re.compile(r'"([^"]*)"|([^.]+)')
BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def path_part(part: object) -> str:
    r"""A path part, quoted when it is not a bare TOML key (escaped, so it stays on one line).

    >>> path_part("baseline"), path_part("calf_strain.grade_3"), path_part("a\nb")
    ('baseline', '"calf_strain.grade_3"', '"a\\nb"')
    """
    text = str(part)
    return text if BARE.match(text) else '"' + quote(text, limit=10**6)[1:-1] + '"'


def make_key(stem: str, path: str) -> str:
    """The key of the number at ``path`` (parts already quoted with ``path_part``) in ``stem``.toml.

    >>> make_key("causes", 'dvt.odds_ratios."recent_immobility.yes"')
    'causes:dvt.odds_ratios."recent_immobility.yes"'
    """
    return f"{stem}:{path}"


def split_key(key: str) -> tuple[str, tuple[str, ...]]:
    """The file stem and the unquoted path parts of a key.

    >>> split_key('causes:dvt.odds_ratios."recent_immobility.yes"')
    ('causes', ('dvt', 'odds_ratios', 'recent_immobility.yes'))
    >>> split_key("triage:rule.calf_strain.grade_3.threshold")
    ('triage', ('rule', 'calf_strain', 'grade_3', 'threshold'))
    """
    stem, _, path = key.partition(":")
    return stem, tuple(a or b for a, b in _PART.findall(path))


def odds_ratio_terms(key: str) -> list[tuple[str, str]]:
    """The (parent, state) terms an odds-ratio key names, unchecked, in the key's order.

    >>> odds_ratio_terms("recent_immobility.yes")
    [('recent_immobility', 'yes')]
    >>> odds_ratio_terms("endurance_cycling.yes & age_group.60_plus")
    [('endurance_cycling', 'yes'), ('age_group', '60_plus')]
    """
    return [(p, s) for p, _, s in (t.strip().partition(".") for t in key.split("&"))]
