"""Shared fixtures: the shipped model and the tiny named fixture network.

The tiny network (``tests/data/tiny``)::

    trip ----> clot ----\\
      \\                  >-- swelling (leaky noisy-OR)
       \\--> bump -------/
    age ---> strain ----/
      \\-------^   \\------> snap (no leak: snap=yes needs strain=severe)
    (clot <- trip, age)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from paths import DATA
from reports import SCORES

from model import DiagnosticModel, load_model
from model.priors.loader import DEFAULT_PRIORS

DATA = DATA
TINY = DATA / "tiny"


@pytest.fixture(scope="session")
def model() -> DiagnosticModel:
    return load_model()


@pytest.fixture(scope="session")
def tiny() -> DiagnosticModel:
    return load_model(TINY)


@pytest.fixture
def priors_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped priors, to break on purpose."""
    target = tmp_path / "priors"
    shutil.copytree(DEFAULT_PRIORS, target)
    return target


@pytest.fixture(autouse=True, scope="session")
def _baseline_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the solved-baseline cache of the test run out of the user's cache folder."""
    os.environ["CALFDX_CACHE_DIR"] = str(tmp_path_factory.mktemp("calfdx_cache"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the score reports the literature and vignette tests recorded."""
    for status in ("passed", "failed", "xfailed"):
        for report in terminalreporter.getreports(status):
            for name, text in report.user_properties:
                if name == SCORES:
                    terminalreporter.write_line(f"\n{text}")
