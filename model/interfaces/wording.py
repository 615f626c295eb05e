"""Numbers and sources in plain words, shared by the report and the explorer.

>>> one_in(0.125), short_pct(0.005), cite_short(None, "expert_estimate")
('about 1 in 8', '0.5%', 'expert estimate')
"""

from __future__ import annotations

from model.priors.spec import Reference


def _two_figures(n: float) -> int:
    """``n`` rounded to two significant figures.

    >>> _two_figures(7.6), _two_figures(77.4), _two_figures(1234)
    (8, 77, 1200)
    """
    if n < 10:
        return round(n)
    digits = len(str(int(n))) - 2
    return int(round(n, -digits))


def one_in(p: float) -> str:
    """A probability as a natural frequency a runner can picture.

    Below one half it is "about 1 in N"; from one half up, "about K in 10".

    >>> [one_in(p) for p in (0.0004, 0.013, 0.125, 0.3, 0.52, 0.97)]
    ['less than 1 in 1,000', 'about 1 in 77', 'about 1 in 8', 'about 1 in 3', 'about 5 in 10', 'more than 9 in 10']
    """
    if p < 0.001:
        return "less than 1 in 1,000"
    if p < 0.45:
        return f"about 1 in {_two_figures(1.0 / p):,}"
    if p > 0.95:
        return "more than 9 in 10"
    return f"about {round(p * 10)} in 10"


def short_pct(p: float) -> str:
    """A short percentage for a chart label: never "0%" for a probability that is not zero.

    >>> [short_pct(p) for p in (0.0, 0.0004, 0.005, 0.052, 0.55)]
    ['0%', '<0.1%', '0.5%', '5.2%', '55%']
    """
    if p <= 0.0:
        return "0%"
    if p < 0.001:
        return "<0.1%"
    if p < 0.1:
        return f"{p:.1%}"
    return f"{p:.0%}"


def cite_short(ref: Reference | None, key: str) -> str:
    """A source by title and year ("expert estimate" when it names none).

    >>> cite_short(Reference("k", "Maffulli N", 1998, "Clinical diagnosis of rupture"), "k")
    'Clinical diagnosis of rupture (1998)'
    """
    if ref is None:
        return "expert estimate" if key == "expert_estimate" else key
    return f"{ref.title} ({ref.year})" if ref.title else ref.cite()


def ref_anchor(key: str) -> str:
    """The id of a bibliography entry's anchor in a page.

    >>> ref_anchor("maffulli1998")
    'ref-maffulli1998'
    """
    return f"ref-{key}"


def ref_link(ref: Reference) -> str:
    """Where a reference can be read: its DOI as a link, else nothing.

    >>> ref_link(Reference("k", "A", 2000, "T", doi="10.1/x"))
    'https://doi.org/10.1/x'
    """
    return f"https://doi.org/{ref.doi}" if ref.doi else ""
