"""The one module that knows the priors are TOML: read a folder, write an edited file.

Before ``tomllib`` sees a file, ``read_folder`` checks it against ``Limits``: a regular
file (a FIFO or device is refused without opening it for a blocking read), at most
``max_bytes`` (never reading more than that plus one byte), UTF-8, nesting of arrays and
inline tables at most ``max_depth`` deep, keys of at most ``max_key_parts`` dotted parts
of ``max_key_length`` characters, strings of at most ``max_string`` characters, numbers
of at most ``max_number`` characters (a longer integer overflows a float). Each
limit is far above what the shipped priors need; a legitimate file that exceeds one can
raise it with the environment variable named in the message (``CALFDX_PRIORS_MAX_BYTES``
and so on, see ``Limits.from_env``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.atomic import write_text_atomic
from model.errors import PriorsError

FILES = ("references", "risk_factors", "causes", "findings", "triage")


MAX_LIMIT = 1 << 31  # a limit raised through the environment stays a size Python can index


@dataclass(frozen=True)
class Limits:
    """What a priors file may hold before it is parsed (each overridable, see ``from_env``).

    >>> Limits().max_bytes
    2000000
    """

    max_bytes: int = 2_000_000
    max_depth: int = 16
    max_key_parts: int = 8
    max_key_length: int = 200
    max_string: int = 20_000
    max_number: int = 100

    @staticmethod
    def env_name(field: str) -> str:
        """The environment variable that overrides ``field``.

        >>> Limits.env_name("max_bytes")
        'CALFDX_PRIORS_MAX_BYTES'
        """
        return f"CALFDX_PRIORS_{field.upper()}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with any ``CALFDX_PRIORS_<FIELD>`` environment variable applied.

        >>> Limits.from_env({"CALFDX_PRIORS_MAX_DEPTH": "40"}).max_depth
        40
        """
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(cls.env_name(f.name))
            if raw is not None:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    values[f.name] = 0
                if not 1 <= values[f.name] <= MAX_LIMIT:
                    raise PriorsError(
                        [
                            f"{cls.env_name(f.name)}={raw[:40]!r}: expected a whole number "
                            f"from 1 to {MAX_LIMIT:,}"
                        ]
                    ) from None
        return cls(**values)

    def exceeded(self, field: str, what: str) -> str:
        """The message for a file over one limit, saying how to raise it."""
        limit = getattr(self, field)
        return (
            f"{what}, above the limit of {limit:,} ({field}); if the file is legitimate, "
            f"set the environment variable {self.env_name(field)} to raise it"
        )


_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"{3,5}'  # multi-line basic string
    r"|'''.*?'{3,5}"  # multi-line literal string
    r'|"(?:[^"\\\n]|\\.)*"'  # basic string
    r"|'[^'\n]*'"  # literal string
    r"|#[^\n]*"  # comment
    r"|\n"
    r"|[\[\]{}=,.]"
    r"|[^\s\[\]{}=,.\"'#]+"  # bare key, number, date, true/false
    r"|[ \t\r]+"
    r"|.",
    re.DOTALL,
)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def scan(text: str, limits: Limits) -> Iterator[str]:
    r"""Yield every limit ``text`` breaks, each with its line, without parsing it.

    A light tokenizer (strings, comments, brackets, keys) that is linear in the size of
    the text, so a hostile file cannot make it slow.

    >>> list(scan("a.b.c = 1", Limits(max_key_parts=2)))  # doctest: +ELLIPSIS
    ['line 1: a key of more than 2 dotted parts, above the limit of 2 (max_key_parts); ...']
    >>> list(scan("x = [[[1]]]", Limits(max_depth=2)))[0][:50]
    'line 1: arrays or inline tables nested 3 deep, abo'
    >>> list(scan('[t]\nk = { a = "b", c.d = [1, 2] }', Limits()))
    []
    """
    depth = 0
    brackets: list[str] = []  # the open value brackets, innermost last
    in_key = True  # at the start of a line or after '{' / ',' inside an inline table
    parts = 1
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok[0] in " \t\r" or tok[0] == "#":
            continue
        if tok[0] in "\"'" and len(tok) - 2 > limits.max_string:
            where = f"line {_line_of(text, m.start())}"
            yield f"{where}: " + limits.exceeded(
                "max_string", f"a string of {len(tok) - 2:,} characters"
            )
            return
        if in_key:
            if tok in "\n[]":  # a new line, or the brackets of a [table] or [[array]] header
                parts = 1
            elif tok == ".":
                parts += 1
                if parts > limits.max_key_parts:
                    yield f"line {_line_of(text, m.start())}: " + limits.exceeded(
                        "max_key_parts", f"a key of more than {limits.max_key_parts:,} dotted parts"
                    )
                    return
            elif tok == "=":
                in_key, parts = False, 1
            elif tok == "}" and brackets:
                brackets.pop()
                depth -= 1
                in_key = False
            elif len(tok) > limits.max_key_length:
                yield f"line {_line_of(text, m.start())}: " + limits.exceeded(
                    "max_key_length", f"a key part of {len(tok):,} characters"
                )
                return
            continue
        # in a value
        if tok in "[{":
            brackets.append(tok)
            depth += 1
            if depth > limits.max_depth:
                yield f"line {_line_of(text, m.start())}: " + limits.exceeded(
                    "max_depth", f"arrays or inline tables nested {depth:,} deep"
                )
                return
            in_key = tok == "{"
        elif tok in "]}" and brackets:
            brackets.pop()
            depth -= 1
        elif tok == "," and brackets and brackets[-1] == "{":
            in_key = True
        elif tok[0] not in "\"'\n" and len(tok) > limits.max_number:
            yield f"line {_line_of(text, m.start())}: " + limits.exceeded(
                "max_number", f"a number of {len(tok):,} characters"
            )
            return
        elif tok == "\n" and not brackets:
            in_key = True


def read_limited(path: Path, limits: Limits) -> str:
    """The text of one priors file, refusing what breaks ``limits`` before parsing it.

    Raises
    ------
    PriorsError
        For a missing file, anything but a regular file, a file over ``max_bytes``
        (read no further than one byte past it), text that is not UTF-8, or a limit of
        ``scan`` broken.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise PriorsError([f"{path}: file is missing"]) from None
    except OSError as err:
        raise PriorsError([f"{path}: cannot be read: {err.strerror or err}"]) from None
    if not stat.S_ISREG(info.st_mode):
        raise PriorsError(
            [f"{path}: not a regular file (a folder, FIFO or device); expected a TOML file"]
        )
    if info.st_size > limits.max_bytes:
        size = f"file is {info.st_size:,} bytes"
        raise PriorsError([f"{path}: " + limits.exceeded("max_bytes", size)])
    try:
        # O_NONBLOCK: if the file was swapped for a FIFO since the stat, open does not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise PriorsError([f"{path}: not a regular file; expected a TOML file"])
            data = handle.read(limits.max_bytes + 1)
    except OSError as err:
        raise PriorsError([f"{path}: cannot be read: {err.strerror or err}"]) from None
    if len(data) > limits.max_bytes:
        raise PriorsError([f"{path}: " + limits.exceeded("max_bytes", "file grew while read")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise PriorsError(
            [
                f"{path}: line {line}: not UTF-8 (byte {data[err.start]:#04x}); save the file as UTF-8"
            ]
        ) from None
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors save UTF-8
    broken = list(scan(text, limits))
    if broken:
        raise PriorsError([f"{path}: {b}" for b in broken])
    return text


def read_folder(
    folder: str | os.PathLike[str], limits: Limits | None = None
) -> dict[str, dict[str, Any]]:
    """Parse every priors file of ``folder`` into plain dicts keyed by file stem.

    Raises
    ------
    PriorsError
        Listing every missing, oversized or malformed file (with the line TOML reports).
    """
    root = Path(folder)
    if not root.is_dir():
        raise PriorsError([f"{root}: not a folder of priors (expected {', '.join(FILES)}.toml)"])
    limits = Limits.from_env() if limits is None else limits
    data: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for stem in FILES:
        path = root / f"{stem}.toml"
        try:
            data[stem] = tomllib.loads(read_limited(path, limits))
        except PriorsError as err:
            problems += err.problems
        except tomllib.TOMLDecodeError as err:
            problems.append(f"{path}: malformed TOML: {err}")
        except ValueError:  # an integer of more than 4,300 digits (max_number raised); backstop
            problems.append(f"{path}: " + limits.exceeded("max_number", "a number too long"))
        except RecursionError:  # the depth limit makes this unreachable; kept as a backstop
            problems.append(f"{path}: " + limits.exceeded("max_depth", "nested too deep"))
    if problems:
        raise PriorsError(problems)
    return data


def _entry_line(lines: list[str], table: str, key: str) -> int | None:
    """Index of the line holding ``key = {... value = ...}`` inside ``[table]``.

    Headers are compared without their quotes, ``table`` too: ``a.causes."b.c"`` (as
    ``app.overrides.entry_location`` writes it) is the header ``[a.causes."b.c"]``.
    """
    header = re.compile(r"^\s*\[(.+?)\]\s*(#.*)?$")
    table = table.replace('"', "")
    current = ""
    quoted = re.escape(key)
    pattern = re.compile(rf'^\s*("{quoted}"|{quoted})\s*=\s*\{{.*\bvalue\s*=')
    for i, line in enumerate(lines):
        m = header.match(line)
        if m:
            current = m.group(1).strip().replace('"', "")
            continue
        if current == table and pattern.match(line):
            return i
    return None


def edit_values(text: str, edits: dict[tuple[str, str], float]) -> str:
    r"""Return ``text`` with the ``value`` of entries replaced, keeping comments and layout.

    ``edits`` maps (table header, key within it) to the new value.

    >>> edit_values('[dvt]\nbaseline = { value = 0.004, range = [0.001, 0.01] }\n',
    ...             {("dvt", "baseline"): 0.005})
    '[dvt]\nbaseline = { value = 0.005, range = [0.001, 0.01] }\n'
    """
    lines = text.splitlines(keepends=True)
    for (table, key), value in edits.items():
        i = _entry_line(lines, table, key)
        if i is None:
            raise KeyError(f"no entry '{key}' in table [{table}]")
        lines[i] = re.sub(r"\bvalue\s*=\s*[-+0-9.eE]+", f"value = {value:.6g}", lines[i], count=1)
    edited = "".join(lines)
    tomllib.loads(edited)  # never hand back a file the loader cannot read
    return edited


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` so no half-written file is ever seen (``model.atomic``)."""
    write_text_atomic(path, text)
