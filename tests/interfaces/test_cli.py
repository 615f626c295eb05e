"""The command line as a user runs it: the contract's examples, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from paths import ROOT, TINY

from model import load_model
from model.interfaces import cli
from model.interfaces.cli import main

CALFDX = Path(sys.executable).parent / "calfdx"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CALFDX), *args], capture_output=True, text=True, timeout=120)


def test_contract_diagnose_json_example() -> None:
    done = run("diagnose", "--json", "one_leg_swelling=yes", "age_group=45_to_59")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["evidence"] == {"one_leg_swelling": "yes", "age_group": "45_to_59"}
    probs = [c["probability"] for c in out["causes"]]
    assert probs == sorted(probs, reverse=True) and len(probs) == len(load_model().cause_ids)
    for c in out["causes"]:
        assert set(c) >= {"id", "label", "probability", "states"}
        assert abs(sum(c["states"].values()) - 1) < 1e-9
    assert out["triage"]["level"] in {"emergency", "urgent", "see_clinician", "self_care"}
    assert out["triage"]["reasons"] and out["triage"]["advice"]
    assert out["advice"] == out["triage"]["advice"]  # the old top-level key is kept


def test_contract_export_example(tmp_path: Path) -> None:
    done = run("export", "--format", "bif", str(tmp_path / "OUT.bif"))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "OUT.bif").read_text()
    assert "variable calf_strain" in text and "grade_3" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["diagnose", "one_leg_sweling=yes"],
            "unknown variable 'one_leg_sweling'; valid: .*did you mean 'one_leg_swelling'",
        ),
        (
            ["diagnose", "one_leg_swelling=maybe"],
            "unknown state 'maybe' for one_leg_swelling; valid: no, yes",
        ),
        (
            ["diagnose", "bruising=yes", "bruising=no"],
            "bruising is given twice, as 'yes' and as 'no'",
        ),
        (["diagnose", "bruising"], "expected id=state, found 'bruising'"),
        (
            ["diagnose", "--priors", "/nonexistent", "bruising=yes"],
            "/nonexistent: not a folder of priors",
        ),
        (
            ["export", "--format", "bif", "/nonexistent/dir/out.bif"],
            "calfdx: error: /nonexistent/dir/out.bif: No such file or directory",
        ),
        (
            ["report", "-o", "/nonexistent/r.html", "--draws", "-1", "bruising=yes"],
            r"--draws must be 0 \(no intervals\) or a positive whole number, found -1",
        ),
        (
            ["interview", "--max-questions", "-2"],
            "--max-questions must be 0 or a positive whole number, found -2",
        ),
        # argparse's own errors, one line too (no usage block)
        (["diagnose", "--bogus"], r"calfdx: error: unrecognized arguments: --bogus \(see"),
        ([], "calfdx: error: the following arguments are required: command"),
        (
            ["export", "--format", "xyz", "x.bif"],
            "calfdx export: error: argument --format: invalid",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    import re

    assert re.search(message, lines[0]), lines[0]


def test_impossible_evidence_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    tiny = str(TINY)
    assert main(["diagnose", "--priors", tiny, "strain=none", "snap=yes"]) == 2
    err = capsys.readouterr().err
    assert "probability zero" in err and "strain=none with snap=yes" in err


def test_table_output_says_decision_support(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diagnose", "pop_at_onset=yes", "weak_push_off=yes", "palpable_gap=yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("TRIAGE: URGENT")
    assert "Decision support, not a diagnosis" in out


def test_vocabulary_lists_every_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vocabulary", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(load_model().variables) and all(
        r["question"] or r["kind"] == "cause" for r in rows
    )


def _wrapped(cause: BaseException, layers: int = 1) -> None:
    # What CPython raises when a signal handler raises inside a compiled (numba) call:
    # once per layer (twice when the signal lands while numba unpickles a cached kernel)
    for _ in range(layers):
        try:
            raise SystemError(
                "CPUDispatcher(...) returned a result with an exception set"
            ) from cause
        except SystemError as err:
            cause = err
    raise cause


@pytest.mark.parametrize("layers", [1, 3])
@pytest.mark.parametrize(
    ("cause", "code", "message"),
    [
        (KeyboardInterrupt(), 130, "calfdx: interrupted"),
        (cli.Terminated(), 143, "calfdx: terminated"),
    ],
)
def test_a_signal_inside_compiled_code_is_still_a_clean_stop(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    cause: BaseException,
    code: int,
    message: str,
    layers: int,
) -> None:
    monkeypatch.setattr(cli, "cmd_vocabulary", lambda args: _wrapped(cause, layers))
    assert main(["vocabulary"]) == code
    assert capsys.readouterr().err.strip() == message


def test_any_other_system_error_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "cmd_vocabulary", lambda args: _wrapped(ValueError("bug"), 2))
    with pytest.raises(SystemError):
        main(["vocabulary"])


def test_an_answer_taken_as_explain_s_value_is_named() -> None:
    """``--explain one_leg_swelling=yes`` swallowed the answer and said 'unknown cause'."""
    out = subprocess.run(
        [sys.executable, "-m", "model.interfaces.cli", "diagnose", "--explain", "one_leg_swelling=yes"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "calfdx: error: --explain one_leg_swelling=yes: one_leg_swelling is an answer, not a "
        "cause; give the cause after it (--explain dvt), or write --explain= and put the answers "
        "after it"
    )
