"""The sensitivity notebook runs end to end with few draws, and is committed without outputs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from paths import ROOT

from model import DiagnosticModel

NOTEBOOK = ROOT / "notebooks" / "sensitivity_analysis.ipynb"
# Papermill-style injection: a cell right after the one tagged `parameters`.
CI_PARAMETERS = "DRAWS = 8\nEVERY = 7"


def _with_parameters(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "the notebook needs exactly one cell tagged 'parameters'"
    nb.cells.insert(tagged[0] + 1, nbformat.v4.new_code_cell(source))
    return nb


def test_notebook_is_committed_without_outputs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nbstripout", "--verify", str(NOTEBOOK)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow
def test_notebook_runs(tmp_path: Path) -> None:
    from nbclient import NotebookClient

    nb = _with_parameters(nbformat.read(NOTEBOOK, as_version=4), CI_PARAMETERS)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on any failing cell
    streams = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
    ]
    assert not [o.text for o in streams if o.name == "stderr"]
    images = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 3  # one figure (tornado + intervals) per scenario


def test_diagnosis_shows_itself_in_jupyter(tiny: DiagnosticModel) -> None:
    d = tiny.diagnose({"trip": "no", "age": "young", "swelling": "yes", "snap": "no"})
    page = d._repr_html_()
    assert "Seek medical care today" in page and "Possible clot: swelling" in page
    assert page.index("Strain") < page.index("Clot") < page.index("Bump")  # ranked
    assert "<th>before evidence</th>" in page and "1.7%" in page  # the clot prior
    frame = d.to_frame()
    assert list(frame.index) == ["strain", "clot", "bump"]
    assert frame.loc["clot", "shift"] == pytest.approx(d.probability("clot") - 0.016579, abs=1e-6)
