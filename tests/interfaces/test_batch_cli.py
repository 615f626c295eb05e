"""``calfdx batch`` and ``export`` through the real command: one line per problem, nothing left behind."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from model import DiagnosticModel

CALFDX = Path(sys.executable).parent / "calfdx"
HEADER = "one_leg_swelling,age_group\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CALFDX), *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def clean(folder: Path) -> list[str]:
    """Hidden or temporary files left in ``folder``."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


BAD_FILES: list[tuple[str, str, bytes, list[str], str]] = [
    (
        "ragged",
        "cases.csv",
        (HEADER + "yes,45_to_59\nno,a,b\n").encode(),
        [],
        r"cases\.csv: line 3: expected 2 fields \(as in the header\), found 3",
    ),
    (
        # pandas would read such a first row as row labels and shift every cell over one
        "long_first_row",
        "cases.csv",
        (HEADER + "yes,45_to_59,x\nno,\n").encode(),
        [],
        r"cases\.csv: line 2: expected 2 fields \(as in the header\), found 3",
    ),
    (
        "header_only",
        "cases.csv",
        HEADER.encode(),
        [],
        r"cases\.csv: line 2: no cases after the header",
    ),
    ("empty", "cases.csv", b"", [], r"cases\.csv: line 1: the file is empty"),
    (
        "latin1",
        "cases.csv",
        HEADER.encode() + b"yes,caf\xe9\n",
        [],
        r"cases\.csv: line 2, column 8: byte 0xe9 is not UTF-8",
    ),
    (
        "utf16",
        "cases.csv",
        HEADER.encode("utf-16"),
        [],
        r"cases\.csv: line 1: the file is UTF-16; save it as UTF-8",
    ),
    (
        "unclosed_quote",
        "cases.csv",
        (HEADER + '"yes,45_to_59\nno,\n').encode(),
        [],
        r"cases\.csv: line 2: a quoted cell is never closed",
    ),
    (
        "junk_parquet",
        "cases.parquet",
        os.urandom(300),
        [],
        r"cases\.parquet: not a readable Parquet file",
    ),
    (
        "chunksize_0",
        "cases.csv",
        (HEADER + "yes,\n").encode(),
        ["--chunksize", "0"],
        r"--chunksize must be a positive whole number, found 0",
    ),
    (
        "bad_row_named_by_line",
        "cases.csv",
        (HEADER + "yes,\n\n\nmaybe,\n").encode(),
        [],
        r"cases\.csv: line 5: unknown state 'maybe' for one_leg_swelling",
    ),
    (
        "id_column_without_id",
        "cases.csv",
        ("case_id," + HEADER + "A,yes,\n").encode(),
        [],
        r"unknown column 'case_id'.*give it with --id COLUMN",
    ),
    (
        "header_repeats_a_column",
        "cases.csv",
        b"one_leg_swelling,bruising,one_leg_swelling\nyes,no,no\n",
        [],
        r"cases\.csv: line 1: column 'one_leg_swelling' is given twice; give it once",
    ),
    (
        "missing_id_column",
        "cases.csv",
        (HEADER + "yes,\n").encode(),
        ["--id", "case_id"],
        r"--id 'case_id': no such column; columns: one_leg_swelling, age_group",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [c[1:] for c in BAD_FILES],
    ids=[c[0] for c in BAD_FILES],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    tmp_path: Path, name: str, content: bytes, extra: list[str], message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    done = run("batch", name, "-o", "out.csv", "--quiet", *extra, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out.csv").exists() and clean(tmp_path) == []


def test_ragged_row_with_skip_bad_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(HEADER + "yes,45_to_59\nno,a,b\nno,\n")
    done = run("batch", "cases.csv", "-o", "out.csv", "--quiet", "--skip-bad", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert list(pd.read_csv(tmp_path / "out.csv")["line"]) == [2, 4]
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert list(errors["line"]) == [3] and "expected 2 fields" in errors["reason"][0]


def test_long_first_rows_with_skip_bad_are_set_aside_unshifted(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(HEADER + "no,45_to_59,yes\nno,a,b,c\nyes,60_plus\n")
    done = run("batch", "cases.csv", "-o", "out.csv", "--quiet", "--skip-bad", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = pd.read_csv(tmp_path / "out.csv")
    assert list(result["line"]) == [4] and list(result["triage"]) == ["urgent"]
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert list(errors["line"]) == [2, 3]
    assert list(errors["reason"]) == [
        "expected 2 fields (as in the header), found 3",
        "expected 2 fields (as in the header), found 4",
    ]


@pytest.mark.parametrize(
    ("out", "given"),
    [
        ("cases.csv", "cases.csv"),
        ("./cases.csv", "cases.csv"),
        ("link.csv", "cases.csv"),
        ("cases.csv", "cases.errors.csv"),
    ],
    ids=["same", "spelled_otherwise", "symlink", "errors_file"],
)
def test_the_input_is_never_replaced_or_removed(tmp_path: Path, out: str, given: str) -> None:
    content = (HEADER + "yes,45_to_59\n").encode()
    (tmp_path / given).write_bytes(content)
    (tmp_path / "link.csv").symlink_to(given)
    done = run("batch", given, "-o", out, "--quiet", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is the input file" in lines[0], done.stderr
    assert (tmp_path / given).read_bytes() == content and clean(tmp_path) == []


def test_ids_carried_through_and_stale_errors_replaced(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(
        "case_id," + HEADER + "A1,yes,45_to_59\n\nB2,maybe,\nC3,no,\n"
    )
    args = ("batch", "cases.csv", "-o", "out.csv", "--quiet", "--skip-bad", "--id", "case_id")
    assert run(*args, cwd=tmp_path).returncode == 0
    result = pd.read_csv(tmp_path / "out.csv")
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert list(result["case_id"]) == ["A1", "C3"] and list(result["line"]) == [2, 5]
    assert list(errors["case_id"]) == ["B2"] and list(errors["line"]) == [4]
    (tmp_path / "cases.csv").write_text("case_id," + HEADER + "A1,yes,45_to_59\n")
    assert run(*args, cwd=tmp_path).returncode == 0
    assert not (tmp_path / "out.errors.csv").exists()  # the clean rerun removed the stale one
    assert clean(tmp_path) == []


def test_output_follows_the_umask(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(HEADER + "yes,\n")
    old = os.umask(0o002)
    try:
        assert run("batch", "cases.csv", "-o", "out.csv", "--quiet", cwd=tmp_path).returncode == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o664


def test_output_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(HEADER + "yes,\n")
    (tmp_path / "results").mkdir()
    done = run("batch", "cases.csv", "-o", "results", "--quiet", cwd=tmp_path)
    assert done.returncode == 2 and "-o results: is a folder" in done.stderr
    assert list((tmp_path / "results").iterdir()) == []


def _default_signals() -> None:
    """In the child, before exec: the default SIGINT action, and neither signal blocked.

    A shell that starts the tests in the background ignores SIGINT, the child inherits
    that, and Python then installs no Ctrl-C handler. A blocked signal is inherited too
    and stays pending: the batch then runs to the end with exit 0, which is how this test
    once failed in a full run (the cause there is not known; blocking SIGINT in the
    parent reproduces that failure exactly).
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code", "message"),
    [(signal.SIGINT, 130, "calfdx: interrupted"), (signal.SIGTERM, 143, "calfdx: terminated")],
)
def test_interrupted_batch_leaves_nothing(
    model: DiagnosticModel, tmp_path: Path, sig: signal.Signals, code: int, message: str
) -> None:
    # distinct cases, so the batch is still scoring when the signal comes: four patterns
    # repeated were scored once each and the whole file was written before a loaded
    # machine got round to the signal (exit 0 in a parallel run)
    binary = [f.variable.id for f in model.spec.findings if f.variable.states == ("no", "yes")]
    columns = binary[:12]
    rng = random.Random(5)
    rows = [",".join(rng.choice(("no", "yes", "")) for _ in columns) for _ in range(20_000)]
    (tmp_path / "cases.csv").write_text(",".join(columns) + "\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [str(CALFDX), "batch", "cases.csv", "-o", "out/res.csv", "--quiet", "--chunksize", "500"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )
    deadline = time.monotonic() + 60
    while not any(out.iterdir()) and time.monotonic() < deadline:  # wait for the temporary
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and err.strip() == message, err
    assert list(out.iterdir()) == []


def test_killed_run_temporary_is_swept_by_the_next(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(HEADER + "yes,\n")
    stale = tmp_path / ".out.csv.99999999.abcd.tmp"  # above pid_max: its process is gone
    stale.write_text("half")
    assert run("batch", "cases.csv", "-o", "out.csv", "--quiet", cwd=tmp_path).returncode == 0
    assert clean(tmp_path) == []


def test_export_infers_format_and_writes_through_a_symlink(tmp_path: Path) -> None:
    done = run("export", "net.xmlbif", cwd=tmp_path)
    assert done.returncode == 0 and "(xmlbif, from the extension)" in done.stdout
    assert "<BIF" in (tmp_path / "net.xmlbif").read_text()[:500]
    done = run("export", "net.net", cwd=tmp_path)
    assert done.returncode == 2
    assert "cannot tell the format of 'net.net' from its extension" in done.stderr
    (tmp_path / "real").mkdir()
    (tmp_path / "link.bif").symlink_to("real/net.bif")
    assert run("export", "link.bif", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.bif").is_symlink() and (tmp_path / "real/net.bif").stat().st_size
    assert clean(tmp_path) == [] and clean(tmp_path / "real") == []


def test_spaces_around_header_names_are_ignored(tmp_path: Path) -> None:
    """Cells were stripped but header names were not: ' one_leg_swelling' was unknown."""
    (tmp_path / "cases.csv").write_text(" one_leg_swelling , bruising\nyes,no\n")
    done = run("batch", "cases.csv", "-o", "out.csv", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(tmp_path / "out.csv")["triage"].tolist() == ["urgent"]
