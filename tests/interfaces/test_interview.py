"""calfdx interview through a real pipe: answers come from a vignette's evidence."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from paths import VIGNETTES

from model import DiagnosticModel
from model.errors import EvidenceError
from model.interfaces.interview import red_flag_question, run_interview

CALFDX = str(Path(sys.executable).parent / "calfdx")
VIGNETTES = {v["id"]: v for v in tomllib.loads(VIGNETTES.read_text())["vignette"]}
PROMPT = b"answer> "


def interview(evidence: dict[str, str], timeout: float = 120.0) -> tuple[str, int]:
    """Drive the interview: answer each question from ``evidence``, else "unknown".

    Reads the output until each prompt, finds the question's [id], writes the answer.
    """
    out = b""
    asked = 0
    with subprocess.Popen(
        [CALFDX, "interview"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, bufsize=0,
    ) as proc:  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        while chunk := os.read(proc.stdout.fileno(), 65536):
            out += chunk
            if out.endswith(PROMPT):
                var = re.findall(rb"\[(\w+)\]\n", out)[-1].decode()
                proc.stdin.write((evidence.get(var, "unknown") + "\n").encode())
                asked += 1
        proc.wait(timeout)
    return out.decode(), asked


@pytest.mark.parametrize(
    "vid", ["dvt_after_long_haul_flight", "tight_calves_no_injury", "achilles_rupture_classic"]
)
def test_interview_reaches_the_vignettes_triage(model: DiagnosticModel, vid: str) -> None:
    """The interview ends at the level ``diagnose`` gives the vignette's answers."""
    v = VIGNETTES[vid]
    text, asked = interview(v["evidence"])
    level = model.diagnose(v["evidence"]).triage.level
    stop = "Stopped: emergency: go now" if level == "emergency" else "Stopped: triage settled at "
    assert stop in text, text[-2000:]
    assert f"TRIAGE: {level.upper()} " in text
    assert "Traceback" not in text
    # It settles before every question is asked (the bound was 34, all the questions there were
    # when this test was written; the vocabulary has grown since).
    questions = sum(v.kind in ("finding", "risk_factor") for v in model.variables.values())
    assert 0 < asked < questions


def run_piped(model: DiagnosticModel, answers: str) -> str:
    """The interview in-process on piped-like input (a StringIO is not a TTY)."""
    out = io.StringIO()
    run_interview(model, io.StringIO(answers), out, max_questions=2)
    return out.getvalue()


class Terminal(io.StringIO):
    """Typed input: a terminal, so a bad answer is asked again."""

    def isatty(self) -> bool:
        return True


def test_bad_answers_re_ask_with_the_choices_at_a_terminal(model: DiagnosticModel) -> None:
    out = io.StringIO()
    run_interview(model, Terminal("maybe\n7\nno\nu\n"), out, max_questions=2)
    text = out.getvalue()
    assert "'maybe' is not an answer to breathless_or_chest_pain; please answer one of: " in text
    assert "'7' is not an answer to breathless_or_chest_pain; please answer one of: 1 or no" in text
    assert "Stopped: asked 2 questions." in text and "TRIAGE: " in text


def test_a_bad_piped_answer_stops_with_its_line(model: DiagnosticModel) -> None:
    """Piped, re-asking would shift every later line onto the wrong question."""
    with pytest.raises(EvidenceError, match=r"^line 2: 'maybe' is not an answer to cold_pale_foot"):
        run_piped(model, "no\nmaybe\nyes\n")


def test_a_red_flag_the_answers_rule_out_is_not_asked(model: DiagnosticModel) -> None:
    """The gap-in-the-tendon flag is a follow-up: with no gap felt it is never asked."""
    spec, level = model.spec, "self_care"
    asked = {f.when[0][0] for f in spec.red_flags if f.when[0][0] != "gap_in_tendon"}
    evidence = {"palpable_gap": "no"}
    assert red_flag_question(spec, evidence, asked | {"palpable_gap"}, level) is None
    assert red_flag_question(spec, {}, asked, level) == "gap_in_tendon"


@pytest.mark.parametrize(
    ("answers", "stop"), [("", "end of input"), ("q\n", "stopped at your request")]
)
def test_end_of_input_and_quit_stop_and_diagnose(
    model: DiagnosticModel, answers: str, stop: str
) -> None:
    out = run_piped(model, answers)
    assert f"Stopped: {stop}." in out
    assert "Evidence: (nothing)" in out and "TRIAGE: SELF_CARE" in out


def test_red_flags_are_screened_first(model: DiagnosticModel) -> None:
    """With nothing known, the red-flag answers come first, the emergency ones first of all."""
    text = run_piped(model, "no\nno\n")
    asked = re.findall(r"\[(\w+)\]\n", text)
    assert text.count("(red-flag question: asked first, whatever else you answer)") == 2
    emergency = [f.when[0][0] for f in model.spec.red_flags if f.level == "emergency"]
    assert asked == emergency[:2]
