"""Malformed evidence to the Python API: always EvidenceError, one line, with a did-you-mean."""

from __future__ import annotations

from typing import Any

import pytest

from model import DiagnosticModel
from model.errors import EvidenceError


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        ({1: "yes"}, r"expected a variable id as a string, found 1; valid: age_group"),
        ({None: "yes"}, r"expected a variable id as a string, found None"),
        (
            "one_leg_swelling=yes",
            r"found the string 'one_leg_swelling=yes'; write \{'one_leg_swelling': 'yes'\}",
        ),
        (b"x", r"found the string b'x'"),
        (5, r"expected evidence as \{id: state\} or \(id, state\) pairs, found int"),
        ([("bruising",)], r"expected an \(id, state\) pair, found \('bruising',\)"),
        (["bruising"], r"expected an \(id, state\) pair, found 'bruising'"),
        ({"bruising": 1}, r"expected a state of bruising as a string, found 1; valid: no, yes"),
        ({"bruising": True}, r"expected a state of bruising as a string, found True"),
        (
            {"bruising": "yse"},
            r"unknown state 'yse' for bruising; valid: no, yes \(did you mean 'yes'\?\)",
        ),
        ({"bruising": "eys"}, r"\(did you mean 'yes'\?\)"),
        ({"dtv": "present"}, r"unknown variable 'dtv'; .*\(did you mean 'dvt'\?\)"),
        (
            {"bruising\nTRIAGE: SELF_CARE": "yes"},
            r"unknown variable 'bruising\\nTRIAGE: SELF_CARE'",
        ),
        (
            {"bruising": "yes\nTRIAGE: SELF_CARE"},
            r"unknown state 'yes\\nTRIAGE: SELF_CARE' for bruising",
        ),
    ],
)
def test_malformed_evidence_is_one_evidence_error(
    model: DiagnosticModel, evidence: Any, message: str
) -> None:
    with pytest.raises(EvidenceError, match=message) as info:
        model.diagnose(evidence)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_every_entry_point_refuses_the_same_way(model: DiagnosticModel) -> None:
    for call in (
        lambda: model.diagnose({1: "yes"}),
        lambda: model.next_questions({1: "yes"}),
        lambda: model.explain({1: "yes"}, "dvt"),
    ):
        with pytest.raises(EvidenceError, match="expected a variable id as a string"):
            call()
