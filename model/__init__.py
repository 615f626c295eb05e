"""calfdx: a Bayesian network for calf and lower-leg pain in runners.

Decision support, not a diagnosis.

>>> from model import load_model
>>> load_model().diagnose({}).triage.level
'self_care'
"""

from model.api import DiagnosticModel, load_model
from model.errors import (
    CalfdxError,
    EvidenceError,
    ImpossibleEvidenceError,
    PriorsError,
    UnknownCauseError,
)
from model.results import CauseResult, Diagnosis
from model.triage import DISCLAIMER, Triage

__all__ = [
    "DISCLAIMER",
    "CalfdxError",
    "CauseResult",
    "Diagnosis",
    "DiagnosticModel",
    "EvidenceError",
    "ImpossibleEvidenceError",
    "PriorsError",
    "Triage",
    "UnknownCauseError",
    "load_model",
]
