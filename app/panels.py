"""Extension point: extra explorer tabs, each a ``render(model, evidence)`` function.

The explorer draws its own tabs, then one tab per entry of ``EXTRA_PANELS``, in order.
A panel receives the model in use (with any "Try a number" overrides applied) and the
current answers (``{variable id: state}``, unanswered questions left out), draws with
``st.*`` calls, and returns nothing. Keep its computation in ``model/`` and cache it.

To add a panel, write a module with a ``render`` function and append it here::

    from app import sensitivity
    EXTRA_PANELS.append(Panel("Sensitivity", sensitivity.render))

Planned (not implemented yet):

- **Sensitivity**: which prior numbers, moved across their ranges, change the current
  ranking or triage the most (a tornado chart over ``model.spec.entries``).
- **Why this cause / next questions**: the evidence that supports the top causes, and
  the unanswered questions whose answer would change the picture most.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from model import DiagnosticModel

Render = Callable[[DiagnosticModel, Mapping[str, str]], None]


@dataclass(frozen=True)
class Panel:
    """A tab title and the function that draws the tab."""

    title: str
    render: Render


EXTRA_PANELS: list[Panel] = []
# EXTRA_PANELS.append(Panel("Sensitivity", sensitivity.render))          # planned
# EXTRA_PANELS.append(Panel("Why this cause / next questions", why.render))  # planned
