"""The schema and the limits: typos refused, wrong shapes reported, hostile files refused."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from model import PriorsError
from model.priors.loader import load_spec
from model.priors.schema import check_file
from model.priors.toml_io import Limits, read_folder

Raw = dict[str, Any]
CALFDX = Path(sys.executable).parent / "calfdx"


def edit(folder: Path, stem: str, change: Callable[[Raw], None]) -> None:
    path = folder / f"{stem}.toml"
    data = tomllib.loads(path.read_text())
    change(data)
    path.write_text(tomli_w.dumps(data))


def rename(table: Raw, old: str, new: str) -> None:
    table[new] = table.pop(old)


CASES: list[tuple[str, str, Callable[[Raw], None], str]] = [
    (
        "rules_for_rule",
        "triage",
        lambda d: rename(d, "rule", "rules"),
        r"triage\.toml: rules: unknown table; valid: rule, red_flag, advice_tags, advice, cause_advice \(did you mean 'rule'\?\)",
    ),
    (
        "odds_ratio_for_odds_ratios",
        "causes",
        lambda d: rename(d["dvt"], "odds_ratios", "odds_ratio"),
        r"causes\.toml: dvt\.odds_ratio: unknown table; .*\(did you mean 'odds_ratios'\?\)",
    ),
    (
        "unknown_key",
        "findings",
        lambda d: d["bruising"].update(lable="x"),
        r"bruising\.lable: unknown field; .*\(did you mean 'label'\?\)",
    ),
    (
        "reserved_state",
        "risk_factors",
        lambda d: d["hydration"].update(states=["adequate", "unknown"]),
        r"hydration\.states: state name 'unknown' is reserved for unknown evidence",
    ),
    (
        "state_with_a_comma",
        "risk_factors",
        lambda d: d["hydration"].update(states=["adequate", "po,or"]),
        r"hydration\.states: state name 'po,or': use lower-case letters",
    ),
    (
        "rule_is_a_number",
        "triage",
        lambda d: d.update(rule=3),
        r"triage\.toml: rule: expected an array of \[\[rule\]\] tables, found 3",
    ),
    (
        "advice_is_a_string",
        "triage",
        lambda d: d.update(advice="go"),
        r"triage\.toml: advice: expected a table of advice text per level, found 'go'",
    ),
    (
        "advice_is_a_list",
        "triage",
        lambda d: d.update(advice=["go"]),
        r"advice: expected a table of advice text per level, found \['go'\]",
    ),
    (
        "table_row_of_strings",
        "causes",
        lambda d: d["acute_compartment_syndrome"].update(
            table={
                "parents": ["recent_leg_trauma"],
                "rows": {"yes": {"value": ["0.98", "0.02"], "source": "expert_estimate"}},
            }
        ),
        r"acute_compartment_syndrome\.table\.rows\.yes\.value: expected a list of probabilities, one per state, found \['0\.98', '0\.02'\]",
    ),
    (
        "odds_ratio_infinite",
        "causes",
        lambda d: d["dvt"]["odds_ratios"]["recent_immobility.yes"].update(value=float("inf")),
        r'dvt\.odds_ratios\."recent_immobility\.yes"\.value: expected a number, found inf',
    ),
    (
        "rule_without_threshold",
        "triage",
        lambda d: d["rule"][0].pop("threshold"),
        r"rule\[0\]\.threshold: missing; expected \{ value, range, source \}",
    ),
    (
        "label_a_number",
        "causes",
        lambda d: d["dvt"].update(label=3),
        r"dvt\.label: expected a non-empty string, found 3",
    ),
    (
        "newline_in_a_key_stays_on_one_line",
        "triage",
        lambda d: d["cause_advice"].update({"dvt\nTRIAGE: SELF_CARE": "x"}),
        r'cause_advice\."dvt\\nTRIAGE: SELF_CARE": unknown cause',
    ),
]


@pytest.mark.parametrize(
    ("stem", "change", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_shape_problems_are_reported(
    priors_copy: Path, stem: str, change: Callable[[Raw], None], message: str
) -> None:
    edit(priors_copy, stem, change)
    with pytest.raises(PriorsError, match=message) as info:
        load_spec(priors_copy)
    assert all("\n" not in p for p in info.value.problems)


def test_all_shape_problems_at_once(priors_copy: Path) -> None:
    edit(priors_copy, "triage", lambda d: (rename(d, "rule", "rules"), d.update(advice="go")))
    edit(priors_copy, "causes", lambda d: rename(d["dvt"], "odds_ratios", "odds_ratio"))
    with pytest.raises(PriorsError) as info:
        load_spec(priors_copy)
    assert len(info.value.problems) == 3


def append(folder: Path, stem: str, text: str) -> None:
    with (folder / f"{stem}.toml").open("a") as handle:
        handle.write("\n" + text + "\n")


LIMITS = [
    ("depth", "x = " + "[" * 1000 + "]" * 1000, r"nested 17 deep.*CALFDX_PRIORS_MAX_DEPTH"),
    (
        "dotted_key",
        ".".join(["a"] * 100_000) + " = 1",
        r"a key of more than 8 dotted parts.*CALFDX_PRIORS_MAX_KEY_PARTS",
    ),
    ("long_key", "k" * 500 + " = 1", r"a key part of 500 characters.*CALFDX_PRIORS_MAX_KEY_LENGTH"),
    (
        "long_string",
        'x = "' + "a" * 50_000 + '"',
        r"a string of 50,000 characters.*CALFDX_PRIORS_MAX_STRING",
    ),
    ("big_file", "# " + "a" * 3_000_000, r"file is [0-9,]+ bytes.*CALFDX_PRIORS_MAX_BYTES"),
    # a longer integer overflows a float, or (over 4,300 digits) Python will not parse it
    (
        "long_number",
        "x = " + "9" * 5_000,
        r"a number of 5,000 characters.*CALFDX_PRIORS_MAX_NUMBER",
    ),
    ("long_hex", "x = 0x" + "f" * 400, r"a number of 402 characters.*CALFDX_PRIORS_MAX_NUMBER"),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in LIMITS], ids=[c[0] for c in LIMITS])
def test_limits_checked_before_parsing(priors_copy: Path, text: str, message: str) -> None:
    append(priors_copy, "references", text)
    with pytest.raises(PriorsError, match=r"references\.toml: .*" + message):
        load_spec(priors_copy)


def test_an_integer_too_large_for_a_float_is_not_a_number() -> None:
    entry = {"value": 10**400, "range": [0.0, 1.0], "source": "seed_001"}
    [(path, message)] = check_file("causes", {"dvt": {"prevalence": entry}})
    assert path == "dvt.prevalence.value" and message.startswith("expected a number, found 1000")


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "9" * 30])
def test_a_limit_from_the_environment_must_be_a_usable_size(raw: str) -> None:
    """A huge value crashed the read (an index-sized integer); it is one line now."""
    with pytest.raises(
        PriorsError, match=r"CALFDX_PRIORS_MAX_BYTES=.*expected a whole number from 1"
    ):
        Limits.from_env({"CALFDX_PRIORS_MAX_BYTES": raw})


def test_a_file_saved_with_a_byte_order_mark_loads(priors_copy: Path) -> None:
    """Some editors save UTF-8 with a BOM; tomllib alone called it an invalid statement."""
    path = priors_copy / "findings.toml"
    path.write_text("\ufeff" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_spec(priors_copy).variables == load_spec().variables


def test_a_limit_can_be_raised_for_a_legitimate_file(priors_copy: Path) -> None:
    append(priors_copy, "references", "# " + "a" * 3_000_000)
    assert read_folder(priors_copy, Limits(max_bytes=4_000_000))["references"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_blocking(priors_copy: Path) -> None:
    (priors_copy / "triage.toml").unlink()
    os.mkfifo(priors_copy / "triage.toml")
    with pytest.raises(PriorsError, match=r"triage\.toml: not a regular file"):
        load_spec(priors_copy)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused(priors_copy: Path) -> None:
    (priors_copy / "triage.toml").unlink()
    (priors_copy / "triage.toml").symlink_to("/dev/zero")
    with pytest.raises(PriorsError, match=r"triage\.toml: not a regular file"):
        load_spec(priors_copy)


def test_not_utf8_names_the_line(priors_copy: Path) -> None:
    with (priors_copy / "references.toml").open("ab") as handle:
        handle.write(b'\nx = "caf\xe9"\n')
    with pytest.raises(PriorsError, match=r"references\.toml: line \d+: not UTF-8 \(byte 0xe9\)"):
        load_spec(priors_copy)


@pytest.mark.parametrize(
    ("stem", "change", "message"),
    [
        ("triage", lambda d: rename(d, "rule", "rules"), "did you mean 'rule'"),
        ("triage", lambda d: d.update(rule=3), "rule: expected an array"),
    ],
)
def test_validate_and_diagnose_exit_2_with_no_traceback(
    priors_copy: Path, stem: str, change: Callable[[Raw], None], message: str
) -> None:
    edit(priors_copy, stem, change)
    for args in (["validate", str(priors_copy)], ["diagnose", "--priors", str(priors_copy)]):
        done = subprocess.run([str(CALFDX), *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert message in done.stderr and "Traceback" not in done.stderr
