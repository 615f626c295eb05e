"""Where the tests' files are, for test modules at any depth under ``tests/``."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
DATA = TESTS / "data"
TINY = DATA / "tiny"
VIGNETTES = TESTS / "vignettes.toml"
LITERATURE = TESTS / "literature_cases.toml"
