"""A case saved as JSON and opened again: ``{"version": 1, "evidence": {id: state}}``.

The explorer saves and opens these files; ``calfdx diagnose --case FILE`` and
``calfdx report --case FILE`` read them. A bad file gives one line naming the file and
the problem.

>>> from model.priors.spec import Variable
>>> v = {"bruising": Variable("bruising", "finding", ("no", "yes"), "Bruising")}
>>> text = case_json({"bruising": "yes"})
>>> parse_case(text, v)
{'bruising': 'yes'}
>>> parse_case('{"evidence": {"bruising": "maybe"}}', v, "case.json")
Traceback (most recent call last):
...
model.interfaces.case.CaseError: case.json: unknown state 'maybe' for bruising; valid: no, yes
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from model.errors import CalfdxError, EvidenceError, first_repeated, quote
from model.evidence import check_evidence
from model.priors.spec import Variable

CASE_VERSION = 1
SHAPE = '{"version": 1, "evidence": {"id": "state", ...}}'


class CaseError(CalfdxError, ValueError):
    """A saved case file cannot be read."""


def case_json(evidence: Mapping[str, str], model_version: str = "") -> str:
    """The JSON text of a case: the answers given, sorted by id, and the format version."""
    out: dict[str, Any] = {"version": CASE_VERSION, "evidence": dict(sorted(evidence.items()))}
    if model_version:
        out["model_version"] = model_version
    return json.dumps(out, indent=2) + "\n"


def parse_case(text: str, variables: Mapping[str, Variable], name: str = "case") -> dict[str, str]:
    """The evidence of a case's JSON text, checked against the model's variables.

    Raises
    ------
    CaseError
        One line: ``name``, then what is wrong (not JSON, wrong shape, unknown id or
        state, an id given twice, a newer version). A ``null`` answer is unknown, as
        ``None`` is in the API; a byte-order mark is allowed.
    """
    repeated: list[str] = []  # the first key given twice in any object of the file

    def no_repeats(items: list[tuple[str, Any]]) -> dict[str, Any]:
        twice = first_repeated(k for k, _ in items)
        if twice is not None:
            repeated.append(twice)
        return dict(items)

    try:
        data = json.loads(text.removeprefix("\ufeff"), object_pairs_hook=no_repeats)
    except json.JSONDecodeError as err:
        raise CaseError(
            f"{name}: not JSON ({err.msg} at line {err.lineno}); expected {SHAPE}"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("evidence"), dict):
        raise CaseError(f"{name}: no 'evidence' object; expected {SHAPE}") from None
    version = data.get("version", CASE_VERSION)
    if not isinstance(version, int) or version > CASE_VERSION:
        raise CaseError(f"{name}: version {version!r} is not supported; valid: {CASE_VERSION}")
    if repeated:
        raise CaseError(f"{name}: {quote(repeated[0])} is given twice; give it once")
    evidence = data["evidence"]
    bad = [k for k, v in evidence.items() if not (v is None or isinstance(v, str))]
    if bad:
        raise CaseError(f"{name}: the answer to {quote(bad[0])} is not a text state")
    try:
        return check_evidence(variables, evidence)
    except EvidenceError as err:
        raise CaseError(f"{name}: {err}") from None


def read_case(path: str | os.PathLike[str], variables: Mapping[str, Variable]) -> dict[str, str]:
    """Read a case file (see ``parse_case``); a missing file is a ``CaseError`` too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError(
            f"{path}: cannot be read ({getattr(err, 'strerror', None) or err})"
        ) from None
    return parse_case(text, variables, str(path))
