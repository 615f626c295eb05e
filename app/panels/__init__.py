"""Extension point: extra explorer tabs, each a ``render(model, evidence)`` function.

The explorer draws its own tabs, then one tab per entry of ``EXTRA_PANELS``, in order.
Only the open tab is drawn on a rerun: give a panel's widgets a ``key`` and
``persist_state="page"`` so that their values survive while another tab is open.
Panels run inside an ``st.fragment`` (their own widgets rerun only the panel); a
callback that changes the answers sets ``FULL_RERUN`` (below) so the page reruns.
Cache a panel's results by content (``app.cache.model_key``), never by the object's ``id``.
A panel receives the model in use (with any "Try a number" overrides applied) and the
current answers (``{variable id: state}``, unanswered questions left out), draws with
``st.*`` calls, and returns nothing. Keep its computation in ``model/`` and cache it.

To add a panel, write a module in this package with a ``render`` function and append
it to ``EXTRA_PANELS`` below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from model import DiagnosticModel

Render = Callable[[DiagnosticModel, Mapping[str, str]], None]
# Each tab draws in an ``st.fragment``: a panel callback that changes what the whole page
# shows (an answer) sets ``st.session_state[FULL_RERUN] = True`` and the page reruns.
FULL_RERUN = "full_rerun"


@dataclass(frozen=True)
class Panel:
    """A tab title and the function that draws the tab."""

    title: str
    render: Render


from app.panels import explain, sensitivity  # noqa: E402 - the registry above is what it extends

EXTRA_PANELS: list[Panel] = [
    Panel("Why this cause / next questions", explain.render),
    Panel("Sensitivity", sensitivity.render),
]
