"""The clinic report and saved cases: ``calfdx report``, ``calfdx diagnose --case``."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from model import DiagnosticModel
from model.interfaces.case import CaseError, case_json, parse_case, read_case
from model.interfaces.cli import main
from model.interfaces.questionnaire import question_groups
from model.interfaces.report import CRITERION_4, build_report

DVT = {"one_leg_swelling": "yes", "recent_immobility": "yes", "age_group": "45_to_59"}


def test_every_question_is_in_exactly_one_group(model: DiagnosticModel) -> None:
    ids = [v for g in question_groups(model.spec) for v in g.ids]
    asked = [v.id for v in model.variables.values() if v.kind != "cause"]
    assert sorted(ids) == sorted(asked)
    safety = question_groups(model.spec)[0]
    assert all(model.variables[v].kind == "finding" for v in safety.ids)


def test_report_holds_what_a_clinician_needs(model: DiagnosticModel) -> None:
    page = build_report(model, DVT, draws=20)
    d = model.diagnose(DVT)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "One leg swollen: yes" in text and "Recent immobility: yes" in text
    assert "Left unanswered" in text and "Is your calf tense, hard and swollen" in text
    assert d.triage.title in text and f"level: {d.triage.level}" in text
    for rule in model.spec.rules:
        assert rule.reason in text
    assert "90% interval" in text and text.count(" to ") > len(d.causes)
    for c in d.causes:
        assert c.label in text
    assert 'href="#ref-' in page and 'id="ref-' in page, "sources link to the bibliography"
    anchors = set(re.findall(r'href="#(ref-[^"]+)"', page))
    assert anchors <= set(re.findall(r'id="(ref-[^"]+)"', page)), "no dangling source link"
    assert "calfdx 0.1.0, priors " in text and CRITERION_4 in text
    assert "<script" not in page and "http://" not in page, "self-contained"


def test_report_is_reproducible(model: DiagnosticModel) -> None:
    import datetime as dt

    when = dt.datetime(2026, 1, 1)
    assert build_report(model, DVT, draws=10, when=when) == build_report(
        model, DVT, draws=10, when=when
    )


def test_case_round_trip_and_cli(model: DiagnosticModel, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "case.json"
    path.write_text(case_json(DVT, "calfdx test"))
    assert read_case(path, model.variables) == DVT
    assert main(["diagnose", "--json", "--case", str(path), "age_group=60_plus"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["evidence"] == {**DVT, "age_group": "60_plus"}, "id=state words win"
    report = tmp_path / "r.html"
    assert main(["report", "--case", str(path), "--draws", "5", "-o", str(report)]) == 0
    assert "One leg swollen: yes" in report.read_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nope", r"case.json: not JSON \(Expecting value at line 1\); expected \{"),
        ('{"answers": {}}', "case.json: no 'evidence' object"),
        ('{"version": 9, "evidence": {}}', "case.json: version 9 is not supported; valid: 1"),
        ('{"evidence": {"bruising": 1}}', "case.json: the answer to 'bruising' is not a text"),
        ('{"evidence": {"brusing": "yes"}}', "did you mean 'bruising'"),
        (
            '{"evidence": {"bruising": "maybe"}}',
            "unknown state 'maybe' for bruising; valid: no, yes",
        ),
        (
            '{"evidence": {"bruising": "yes", "bruising": "no"}}',
            "case.json: 'bruising' is given twice",
        ),
        ('{"evidence": {"bad\\nkey": 1}}', r"case.json: the answer to 'bad\\nkey' is not a text"),
    ],
)
def test_bad_case_files_give_one_line(model: DiagnosticModel, text: str, message: str) -> None:
    with pytest.raises(CaseError, match=message) as err:
        parse_case(text, model.variables, "case.json")
    assert "\n" not in str(err.value)


def test_bad_case_file_on_the_command_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["diagnose", "--case", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.json: cannot be read" in err


def test_a_case_file_may_have_a_bom_and_null_answers(model: DiagnosticModel) -> None:
    """A BOM (some editors) and JSON null (None in the API: unknown) were refused."""
    text = '\ufeff{"version": 1, "evidence": {"bruising": "yes", "cramping": null}}'
    assert parse_case(text, model.variables, "case.json") == {"bruising": "yes"}
