"""Batch scoring: DiagnosticModel.diagnose_many and ``calfdx batch``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY

from model import DiagnosticModel, EvidenceError, load_model
from model.interfaces.cli import main

CASES = pd.DataFrame(
    {
        "one_leg_swelling": ["yes", None, "no", "yes", ""],
        "age_group": ["45_to_59", "under_30", None, "45_to_59", "unknown"],
        "cramping": [None, "yes", "no", None, None],
    }
)


def test_diagnose_many_matches_diagnose_row_by_row(model: DiagnosticModel) -> None:
    out = model.diagnose_many(CASES)
    assert list(out.index) == list(CASES.index)
    assert "calf_strain.grade_3" in out.columns and "triage" in out.columns
    for i, row in CASES.iterrows():
        d = model.diagnose({k: v for k, v in row.items() if isinstance(v, str) and v})
        for cause in model.cause_ids:
            assert out.loc[i, cause] == pytest.approx(d.probability(cause), abs=1e-12)
        assert out.loc[i, "calf_strain.grade_3"] == pytest.approx(
            d.probability("calf_strain", "grade_3"), abs=1e-12
        )
        assert out.loc[i, "triage"] == d.triage.level
        assert out.loc[i, "log_evidence"] == pytest.approx(d.log_evidence, abs=1e-12)
    # rows 0 and 3 share their evidence: scored once, same answer
    assert out.loc[0, "dvt"] == out.loc[3, "dvt"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"bruising": ["no", "maybe"]}), "row 2: unknown state 'maybe' for bruising"),
        (pd.DataFrame({"bruisng": ["yes"]}), "row 1: unknown column 'bruisng'.*did you mean"),
    ],
)
def test_diagnose_many_names_the_first_bad_row(
    model: DiagnosticModel, frame: pd.DataFrame, message: str
) -> None:
    with pytest.raises(EvidenceError, match=message):
        model.diagnose_many(frame)


def test_unknown_column_left_empty_is_harmless(model: DiagnosticModel) -> None:
    out = model.diagnose_many(pd.DataFrame({"note": [None], "bruising": ["yes"]}))
    assert len(out) == 1


def test_impossible_row_is_a_bad_row() -> None:
    m = load_model(TINY)
    with pytest.raises(EvidenceError, match="row 2: the evidence has probability zero"):
        m.diagnose_many(pd.DataFrame({"strain": ["severe", "none"], "snap": ["yes", "yes"]}))


def write_cases(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "cases.csv"
    path.write_text("one_leg_swelling,age_group,cramping\n" + "\n".join(rows) + "\n")
    return path


def test_cli_batch_streams_chunks_and_keeps_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(tmp_path, ["yes,45_to_59,", ",under_30,yes", "no,,no"] * 3)
    out = tmp_path / "out.csv"
    assert main(["batch", str(path), "-o", str(out), "--chunksize", "2", "--quiet"]) == 0
    result = pd.read_csv(out)
    assert list(result["line"]) == list(range(2, 11))  # the header is line 1
    assert set(result["triage"]) <= {"emergency", "urgent", "see_clinician", "self_care"}
    np.testing.assert_allclose(result["dvt"].to_numpy()[:3], result["dvt"].to_numpy()[3:6])
    assert "wrote" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.tmp"))


def test_cli_batch_bad_row_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_cases(tmp_path, ["yes,45_to_59,", "maybe,,", "no,,no"])
    out = tmp_path / "out.csv"
    assert main(["batch", str(path), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "line 3: unknown state 'maybe' for one_leg_swelling" in err
    assert not out.exists() and not list(tmp_path.glob("*.tmp"))


def test_cli_batch_skip_bad_sets_rows_aside(tmp_path: Path) -> None:
    path = write_cases(tmp_path, ["yes,45_to_59,", "maybe,,", "no,ancient,no", "no,,no"])
    out = tmp_path / "out.csv"
    assert main(["batch", str(path), "-o", str(out), "--skip-bad", "--quiet"]) == 0
    result = pd.read_csv(out)
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert list(result["line"]) == [2, 5]
    assert list(errors["line"]) == [3, 4]
    assert "unknown state 'ancient' for age_group" in errors["reason"][1]
    assert len(result) + len(errors) == 4  # nothing silently dropped


def test_cli_batch_parquet_in_and_out(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    src = tmp_path / "cases.parquet"
    CASES.to_parquet(src)
    out = tmp_path / "out.parquet"
    assert main(["batch", str(src), "-o", str(out), "--chunksize", "2", "--quiet"]) == 0
    result = pd.read_parquet(out)
    assert len(result) == len(CASES) and list(result["row"]) == [1, 2, 3, 4, 5]


def test_batch_triage_matches_explained_diagnose() -> None:
    """Batch skips explaining the reasons; the level it reports is the same."""
    m = load_model()
    rows = [
        {"one_leg_swelling": "yes", "recent_immobility": "yes"},
        {"pop_at_onset": "yes", "weak_push_off": "yes"},
        {"delayed_onset_soreness": "yes", "both_legs": "yes"},
        {"exercise_timed_pain": "yes", "age_group": "under_30"},
    ]
    out = m.diagnose_many(pd.DataFrame(rows))
    for i, ev in enumerate(rows):
        d = m.diagnose(ev)
        assert out.loc[i, "triage"] == d.triage.level
        assert out.loc[i, "dvt"] == pytest.approx(d.probability("dvt"), abs=1e-12)
        assert m.diagnose(ev, explained=False).triage.level == d.triage.level
