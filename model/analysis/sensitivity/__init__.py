"""Sensitivity analysis: which prior numbers drive which posteriors and triage decisions.

Every function here talks to the model only through its public API
(``model.with_values``, ``model.marginals``, ``model.spec``), so it speeds up on
its own when a faster engine is plugged in. Two exact shortcuts save work today:

- a parameter whose node is d-separated from the posteriors by the evidence (the
  findings' numbers when that finding is not observed, since findings are leaves; a
  risk factor's prevalences when that risk factor is observed) cannot move any
  posterior, so it is not re-evaluated;
- a triage threshold does not move any posterior, so only the triage is recomputed.

The sweep over parameter ends is memoised per (model, evidence, parameters), so
``one_way`` for several targets, ``robustness`` and ``red_flag_influence`` on one scenario
share it; a model is treated as immutable once built.

Targets are a cause id (``"dvt"``: P(cause not in its first state)) or ``"cause.state"``
(``"calf_strain.grade_3"``: P(cause = state)).

>>> from model import load_model
>>> from model.priors.loader import DEFAULT_PRIORS
>>> tiny = load_model(DEFAULT_PRIORS.parent / "tests" / "data" / "tiny")
>>> scenario = {"trip": "no", "age": "young", "swelling": "yes", "snap": "no"}
>>> swings = one_way(tiny, scenario, "clot")
>>> swings[0].key, round(swings[0].swing, 3), swings[0].triage_low, swings[0].triage_high
('causes:clot.baseline', 0.142, 'self_care', 'urgent')
"""

from model.analysis.sensitivity.functions import SensitivityFunction, sensitivity_function
from model.analysis.sensitivity.oneway import Swing, one_way, one_way_all, tornado_frame
from model.analysis.sensitivity.robustness import Flip, flips_frame, red_flag_influence, robustness
from model.analysis.sensitivity.sweep import UnknownParameterError, targets
from model.analysis.sensitivity.uncertainty import Uncertainty, draw_values, propagate

__all__ = [
    "Flip",
    "SensitivityFunction",
    "Swing",
    "Uncertainty",
    "UnknownParameterError",
    "draw_values",
    "flips_frame",
    "one_way",
    "one_way_all",
    "propagate",
    "red_flag_influence",
    "robustness",
    "sensitivity_function",
    "targets",
    "tornado_frame",
]
