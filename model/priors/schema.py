"""The shape of every priors file, declared once and checked before anything is built.

``check_file(stem, data)`` walks the parsed TOML of one file against ``SCHEMA[stem]`` and
returns every problem as ``(key path, message)``: an unknown key or table (with a
did-you-mean), a value of the wrong type or shape, a reserved or malformed state name.
The loader runs it on all files first, so its own checks (sums, ranges, references,
parents) only ever see well-shaped data and never raise a ``TypeError``.

Extending the schema
--------------------
Each kind of table is one declaration below. To add a field to a kind, add it to that
``Fields``; to add a new kind of table to a file, declare it and add it to the file's
entry. For example, ``[[red_flag]]`` tables in ``triage.toml``::

    RED_FLAG = Fields("a red flag", {
        "id": Field(Text("an id", nonempty=True), required=True),
        "level": Field(Text("a triage level"), required=True),
        ...
    })
    TRIAGE = Fields("the triage file", {..., "red_flag": Field(ArrayOf(..., RED_FLAG))})

and read it in ``loader._Reader.triage``. Everything not declared is refused, so a typo
(``[[rules]]``, ``[dvt.odds_ratio]``) is an error instead of being silently ignored.

Examples
--------
>>> check_file("triage", {"rules": [{}], "advice": "go"})  # doctest: +NORMALIZE_WHITESPACE
[('rules', "unknown table; valid: rule, red_flag, advice_tags, advice, cause_advice (did you mean 'rule'?)"),
 ('advice', "expected a table of advice text per level, found 'go'")]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from model.errors import one_of, quote
from model.priors.keys import path_part

Problem = tuple[str, str]
RESERVED_STATES = ("unknown",)  # the word for unknown evidence (model.evidence.UNKNOWN)
STATE = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def join(path: str, key: object) -> str:
    """``path.key``, quoting a key that is not bare (escaped, so it stays on one line).

    >>> join("dvt.odds_ratios", "age_group.60_plus"), join("", "dvt")
    ('dvt.odds_ratios."age_group.60_plus"', 'dvt')
    """
    part = path_part(key)
    return f"{path}.{part}" if path else part


def found(value: Any) -> str:
    """What was found, for a message: a short repr, or the kind of a container.

    >>> found("low"), found({"a": 1}), found([1, 2]), found(True)
    ("'low'", 'a table', '[1, 2]', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return "an array of tables"
    return quote(value)


class Node(Protocol):
    """One declared shape: describes itself and checks a value against itself."""

    @property
    def what(self) -> str:
        """What the value should be, for 'expected ...'."""
        ...

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """Append a problem for each way ``value`` (found at ``path``) breaks the shape."""
        ...


def _expected(node: Node, value: Any, path: str, out: list[Problem]) -> None:
    out.append((path, f"expected {node.what}, found {found(value)}"))


@dataclass(frozen=True)
class Text:
    """A string (non-empty when ``nonempty``)."""

    what: str = "a string"
    nonempty: bool = False

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not isinstance(value, str) or (self.nonempty and not value.strip()):
            out.append((path, f"expected a non-empty string, found {found(value)}"))


@dataclass(frozen=True)
class Integer:
    """A whole number (not a boolean)."""

    what: str = "an integer"

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if isinstance(value, bool) or not isinstance(value, int):
            _expected(self, value, path, out)


@dataclass(frozen=True)
class Boolean:
    """``true`` or ``false``."""

    what: str = "true or false"

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not isinstance(value, bool):
            _expected(self, value, path, out)


def _number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float
        return False


@dataclass(frozen=True)
class Number:
    """A finite number (``nan`` and ``inf`` are refused)."""

    what: str = "a number"

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not _number(value):
            _expected(self, value, path, out)


@dataclass(frozen=True)
class Numbers:
    """A list of finite numbers, at least ``min_len`` of them."""

    what: str = "a list of numbers"
    min_len: int = 1
    exact_len: int | None = None

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        ok = isinstance(value, list) and all(_number(v) for v in value)
        if ok and self.exact_len is not None:
            ok = len(value) == self.exact_len
        if not ok or len(value) < self.min_len:
            _expected(self, value, path, out)


@dataclass(frozen=True)
class Sources:
    """A reference key, or a non-empty list of them."""

    what: str = "a reference key or 'expert_estimate' (or a list of them)"

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if isinstance(value, str):
            return
        if not (value and isinstance(value, list) and all(isinstance(v, str) for v in value)):
            _expected(self, value, path, out)


@dataclass(frozen=True)
class States:
    """State names: lower-case words (digits and ``_`` allowed), none reserved."""

    what: str = "a list of state names"

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not (isinstance(value, list) and all(isinstance(s, str) for s in value)):
            _expected(self, value, path, out)
            return
        for s in value:
            if s in RESERVED_STATES:
                out.append(
                    (path, f"state name {quote(s)} is reserved for unknown evidence; rename it")
                )
            elif not STATE.match(s):
                out.append((path, f"state name {quote(s)}: use lower-case letters, digits and '_'"))


@dataclass(frozen=True)
class Strings:
    """A list of strings."""

    what: str = "a list of strings"

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not (isinstance(value, list) and all(isinstance(s, str) for s in value)):
            _expected(self, value, path, out)


@dataclass(frozen=True)
class Field:
    """A declared key of a ``Fields`` table: its shape and whether it must be given."""

    node: Node
    required: bool = False


@dataclass(frozen=True)
class Fields:
    """A table with a fixed set of keys; any other key is refused with a did-you-mean."""

    what: str
    fields: Mapping[str, Field]

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not isinstance(value, dict):
            _expected(self, value, path, out)
            return
        names = list(self.fields)
        for key, item in value.items():
            spec = self.fields.get(key)
            if spec is None:
                kind = "table" if found(item) in ("a table", "an array of tables") else "field"
                out.append((join(path, key), f"unknown {kind}; {one_of(str(key), names)}"))
                continue
            spec.node.check(item, join(path, key), out)
        for key, spec in self.fields.items():
            if spec.required and key not in value:
                out.append((join(path, key), f"missing; expected {spec.node.what}"))


@dataclass(frozen=True)
class Keyed:
    """A table whose keys are free (ids, states, ``parent.state``), each value one shape."""

    what: str
    value: Node

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not isinstance(value, dict):
            _expected(self, value, path, out)
            return
        for key, item in value.items():
            self.value.check(item, join(path, key), out)


@dataclass(frozen=True)
class ArrayOf:
    """An array of tables (``[[name]]``), each one shape; paths read ``name[i]``."""

    what: str
    item: Node

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        if not isinstance(value, list):
            _expected(self, value, path, out)
            return
        for i, item in enumerate(value):
            self.item.check(item, f"{path}[{i}]", out)


@dataclass(frozen=True)
class Either:
    """One of several shapes, chosen by ``pick`` from the value (``None``: none fits)."""

    what: str
    pick: Callable[[Any], Node | None] = field(repr=False)

    def check(self, value: Any, path: str, out: list[Problem]) -> None:
        """See ``Node.check``."""
        node = self.pick(value)
        if node is None:
            _expected(self, value, path, out)
        else:
            node.check(value, path, out)


# -- one declaration per kind of table ----------------------------------------------------


def _entry(value: Node) -> Fields:
    return Fields(
        "{ value, range, source }",
        {
            "value": Field(value),
            "range": Field(Numbers("[low, high]", exact_len=2)),
            "source": Field(Sources()),
            "reason": Field(Text()),
            "note": Field(Text()),
        },
    )


ENTRY = _entry(Number())
TABLE_ROW = _entry(Numbers("a list of probabilities, one per state"))
PER_STATE = Keyed("a table with one entry per state", ENTRY)
BASELINE = Either(
    "{ value, range, source }",
    lambda v: (ENTRY if "value" in v else PER_STATE) if isinstance(v, dict) else None,
)
VARIABLE_FIELDS = {
    "label": Field(Text("a label")),
    "statement": Field(Text("a plain sentence for a 'yes' answer, used in triage reasons")),
    "statement_no": Field(Text("a plain sentence for a 'no' answer, used in triage reasons")),
    "question": Field(Text()),
    "states": Field(States()),
    "state_labels": Field(Keyed("a table of a label per state", Text())),
}
REFERENCE = Fields(
    "a reference",
    {
        "authors": Field(Text()),
        "year": Field(Integer("a year as an integer")),
        "title": Field(Text()),
        "journal": Field(Text()),
        "doi": Field(Text()),
        "url": Field(Text()),
        "file": Field(Text()),
        "note": Field(Text()),
    },
)
RISK_FACTOR = Fields(
    "a risk factor",
    {**VARIABLE_FIELDS, "prevalence": Field(PER_STATE)},
)
CAUSE_TABLE = Fields(
    "parents = [...] and rows = {...}",
    {
        "parents": Field(Strings("a list of parent ids"), required=True),
        "rows": Field(Keyed('a table of rows "state,..." = { value = [...] }', TABLE_ROW), True),
    },
)
CAUSE = Fields(
    "a cause",
    {
        **VARIABLE_FIELDS,
        "description": Field(Text()),
        "baseline": Field(BASELINE),
        "prevalence": Field(BASELINE),
        "odds_ratios": Field(Keyed('a table of "parent.state" (or "a.x & b.y") entries', ENTRY)),
        "table": Field(CAUSE_TABLE),
    },
)
ACCURACY = Fields(
    "{ sensitivity, specificity }",
    {"sensitivity": Field(ENTRY), "specificity": Field(ENTRY)},
)
FINDING = Fields(
    "a finding",
    {
        **VARIABLE_FIELDS,
        "rule": Field(Text('a combination rule ("average" for a many-state finding)')),
        "presentation": Field(Boolean("true for the presenting complaint, always observed")),
        "leak": Field(BASELINE),
        "causes": Field(Keyed("a table linking at least one cause", BASELINE)),
        "reported_accuracy": Field(Keyed("a table of accuracy per cause", ACCURACY)),
        "excludes": Field(Keyed("a table of the answers a yes rules out", Text())),
    },
)
RULE = Fields(
    "a triage rule",
    {
        "id": Field(Text("an id, for a second rule on the same cause", nonempty=True)),
        "cause": Field(Text("a cause id, or cause.state"), required=True),
        "level": Field(Text("a triage level"), required=True),
        "threshold": Field(ENTRY, required=True),
        "reason": Field(Text()),
        "advice": Field(Text()),
        "tags": Field(Strings("a list of advice tags")),
        "avoid": Field(Strings("a list of advice tags")),
    },
)
RED_FLAG = Fields(
    "a red flag",
    {
        "id": Field(Text("an id", nonempty=True), required=True),
        "when": Field(Keyed('a table of answers, e.g. { finding = "yes" }', Text()), required=True),
        "level": Field(Text("a triage level"), required=True),
        "reason": Field(Text(nonempty=True)),
        "advice": Field(Text(nonempty=True)),
        "source": Field(Sources()),
        "avoid": Field(Strings("a list of advice tags")),
    },
)
LEVEL_ADVICE = Fields(
    "a table of advice text per level",
    {
        level: Field(Text(nonempty=True))
        for level in ("emergency", "urgent", "see_clinician", "self_care", "no_answers")
    },
)
CAUSE_ADVICE_TABLE = Fields(
    "cause advice",
    {
        "text": Field(Text(nonempty=True), required=True),
        "tags": Field(Strings("a list of advice tags")),
    },
)
CAUSE_ADVICE = Either(
    "an advice text, or { text, tags }",
    lambda v: CAUSE_ADVICE_TABLE if isinstance(v, dict) else Text(nonempty=True),
)
TRIAGE = Fields(
    "the triage file",
    {
        "rule": Field(ArrayOf("an array of [[rule]] tables", RULE)),
        "red_flag": Field(ArrayOf("an array of [[red_flag]] tables", RED_FLAG)),
        "advice_tags": Field(Keyed("a table of a description per advice tag", Text(nonempty=True))),
        "advice": Field(LEVEL_ADVICE),
        "cause_advice": Field(Keyed("a table of advice per cause", CAUSE_ADVICE)),
    },
)

SCHEMA: dict[str, Node] = {
    "references": Keyed("reference tables", REFERENCE),
    "risk_factors": Keyed("risk-factor tables", RISK_FACTOR),
    "causes": Keyed("cause tables", CAUSE),
    "findings": Keyed("finding tables", FINDING),
    "triage": TRIAGE,
}


def check_file(stem: str, data: Any) -> list[Problem]:
    """Every way the parsed file ``stem`` breaks its declared shape, as (path, message).

    >>> check_file("causes", {"dvt": {"label": "DVT", "odds_ratio": {}}})
    [('dvt.odds_ratio', "unknown table; valid: label, statement, statement_no, question, states, state_labels, description, baseline, prevalence, odds_ratios, table (did you mean 'odds_ratios'?)")]
    >>> check_file("risk_factors", {"x": {"states": ["no", "unknown"]}})
    [('x.states', "state name 'unknown' is reserved for unknown evidence; rename it")]
    """
    out: list[Problem] = []
    SCHEMA[stem].check(data, "", out)
    return out
