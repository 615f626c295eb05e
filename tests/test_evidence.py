"""Malformed evidence to the Python API: always EvidenceError, one line, with a did-you-mean."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pandas as pd
import pytest
from paths import ROOT

from model import DiagnosticModel
from model.analysis.batch import score
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


@pytest.mark.parametrize(
    ("evidence", "pair"),
    [
        ({"gap_in_tendon": "yes", "palpable_gap": "no"}, "gap_in_tendon=yes and palpable_gap=no"),
    ],
)  # fmt: skip
def test_answers_that_rule_each_other_out_are_refused_everywhere(
    model: DiagnosticModel, evidence: dict[str, str], pair: str
) -> None:
    """A follow-up that contradicts its question was accepted, and moved the posteriors."""
    message = f"{pair} contradict each other; change or remove one of them"
    for call in (lambda: model.diagnose(evidence), lambda: model.check(evidence)):
        with pytest.raises(EvidenceError, match=message):
            call()
    scored, bad = score(model, pd.DataFrame([evidence, {"bruising": "yes"}]))
    assert len(scored) == 1 and [b.reason for b in bad] == [message]
    out = subprocess.run(
        [sys.executable, "-m", "model.interfaces.cli", "diagnose", *(f"{k}={v}" for k, v in evidence.items())],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 2 and out.stderr.strip().endswith(message), out.stderr


def test_a_question_ruled_out_by_the_answers_is_not_asked(model: DiagnosticModel) -> None:
    asked = {q.variable for q in model.next_questions({"palpable_gap": "no"}, k=100)}
    assert "gap_in_tendon" not in asked and "not_improving" in asked
    asked = {q.variable for q in model.next_questions({"palpable_gap": "yes"}, k=100)}
    assert "gap_in_tendon" in asked


def test_a_missing_cell_is_unknown_as_in_a_table(model: DiagnosticModel) -> None:
    """``m.diagnose(frame.iloc[0].to_dict())`` works on a row with empty cells."""
    row = pd.DataFrame({"one_leg_swelling": ["yes"], "bruising": [None]}).iloc[0].to_dict()
    for missing in (float("nan"), pd.NA, None):
        d = model.diagnose({"one_leg_swelling": "yes", "bruising": missing})
        assert d.evidence == {"one_leg_swelling": "yes"}
    assert model.diagnose(row).evidence == {"one_leg_swelling": "yes"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda m: m.diagnose({}).probability(["dvt"]), r"expected a cause id as a string, found \['dvt'\]"),
        (lambda m: m.diagnose({}).probability("calf_strain", 3), r"unknown state 3 for calf_strain"),
        (lambda m: m.diagnose_many([{"bruising": "yes"}]), r"expected a pandas DataFrame of cases, .* found list"),
        (lambda m: m.diagnose_many(pd.DataFrame([["yes", "no"]], columns=["bruising", "bruising"])), r"column 'bruising' is given twice"),
        (lambda m: m.diagnose_many(pd.DataFrame({"bruising": [["yes"]]})), r"row 1: unknown state .* for bruising"),
        (lambda m: m.next_questions({}, k="a"), r"k: expected a whole number of questions, 0 or more, found 'a'"),
        (lambda m: m.next_questions({}, k=-1), r"found -1"),
    ],
)  # fmt: skip
def test_a_wrong_type_is_a_value_error_naming_it(
    model: DiagnosticModel, call: Any, message: str
) -> None:
    """These raised TypeError or AttributeError from deep inside (second reader)."""
    with pytest.raises(ValueError, match=message) as info:
        call(model)
    assert "\n" not in str(info.value)
