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
from model.interfaces.interview import run_interview

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
def test_interview_reaches_the_vignettes_triage(vid: str) -> None:
    v = VIGNETTES[vid]
    text, asked = interview(v["evidence"])
    assert "Stopped: triage settled at " in text, text[-2000:]
    assert f"TRIAGE: {v['expect_triage'].upper()} " in text
    assert "Traceback" not in text
    assert 0 < asked < 34


def run_piped(model: DiagnosticModel, answers: str) -> str:
    """The interview in-process on piped-like input (a StringIO is not a TTY)."""
    out = io.StringIO()
    run_interview(model, io.StringIO(answers), out, max_questions=2)
    return out.getvalue()


def test_bad_answers_re_ask_with_the_choices_and_echo(model: DiagnosticModel) -> None:
    out = run_piped(model, "maybe\n7\nyes\nu\n")
    assert "answer> maybe\nplease answer one of: 1 or no, 2 or yes; u (unknown); q (quit)" in out
    assert "answer> 7\nplease answer one of" in out
    assert "Stopped: asked 2 questions." in out and "TRIAGE: " in out


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
    """With nothing known, the first question is the one most informative about red flags."""
    text = run_piped(model, "unknown\n")
    first = re.findall(r"\[(\w+)\]\n", text)[0]
    assert "(screening for red flags first)" in text
    questions = model.next_questions({}, k=40)
    assert any(a.level == "urgent" for q in questions for a in q.answers)
    best = max(q.red_flag_gain for q in questions)
    assert next(q for q in questions if q.variable == first).red_flag_gain == best
