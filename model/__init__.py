"""calfdx: a Bayesian network for calf and lower-leg pain in runners.

Decision support, not a diagnosis.

>>> from model import load_model
>>> load_model().diagnose({}).triage.level
'self_care'
"""

from .api import DiagnosticModel, load_model
from .diagnosis import DISCLAIMER, CauseResult, Diagnosis, Triage
from .errors import (
    CalfdxError,
    EvidenceError,
    ImpossibleEvidenceError,
    PriorsError,
    UnknownCauseError,
)

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
