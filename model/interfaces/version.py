"""Which model gave an answer: the package version and a digest of the priors' numbers.

>>> from model.priors.loader import load_spec
>>> spec = load_spec()
>>> fingerprint(spec) == fingerprint(load_spec()), len(fingerprint(spec))
(True, 12)
>>> model_version(spec).startswith("calfdx ")
True
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version

from model.priors.spec import ModelSpec


def package_version() -> str:
    """The installed calfdx version ("unknown" when run from a bare source tree)."""
    try:
        return version("calfdx")
    except PackageNotFoundError:
        return "unknown"


def fingerprint(spec: ModelSpec) -> str:
    """A short digest of every number of the model (keys, values, ranges) and its variables.

    Two specs with the same numbers and vocabulary give the same digest, so it keys
    caches by content and names the priors in a report.
    """
    h = hashlib.sha256()
    for vid, var in spec.variables.items():
        h.update(f"{vid}:{var.kind}:{','.join(var.states)}\n".encode())
    for key, e in sorted(spec.entries.items()):
        h.update(f"{key}={e.value!r}[{e.low!r},{e.high!r}]\n".encode())
    for rule in spec.rules:
        h.update(f"{rule.target}>{rule.level}\n".encode())
    return h.hexdigest()[:12]


def model_version(spec: ModelSpec) -> str:
    """``calfdx VERSION, priors DIGEST``: enough to reproduce a result."""
    return f"calfdx {package_version()}, priors {fingerprint(spec)}"
