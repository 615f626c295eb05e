"""The key that names each prior number: ``stem:path``, the file and the TOML path to it.

``path`` is the dotted TOML path, with a part quoted when it holds a dot itself
(``causes:dvt.odds_ratios."recent_immobility.yes"``). The loader builds every key with
``make_key``; everything that reads a key back (the explorer's line editor and labels,
chart labels) uses ``split_key``, so the two never drift apart.
"""

from __future__ import annotations

import re

_PART = re.compile(r'"([^"]*)"|([^.]+)')


def quote(part: str) -> str:
    """A path part, quoted when it holds a dot.

    >>> quote("baseline"), quote("calf_strain.grade_3")
    ('baseline', '"calf_strain.grade_3"')
    """
    return f'"{part}"' if "." in part else part


def make_key(stem: str, path: str) -> str:
    """The key of the number at ``path`` (already quoted) in ``stem``.toml.

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
