"""The one module that knows the priors are TOML: read a folder, write an edited file."""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from model.errors import PriorsError

FILES = ("references", "risk_factors", "causes", "findings", "triage")


def read_folder(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Parse every priors file of ``folder`` into plain dicts keyed by file stem.

    Raises
    ------
    PriorsError
        Listing every missing or malformed file (with the line TOML reports).
    """
    root = Path(folder)
    if not root.is_dir():
        raise PriorsError([f"{root}: not a folder of priors (expected {', '.join(FILES)}.toml)"])
    data: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for stem in FILES:
        path = root / f"{stem}.toml"
        try:
            with path.open("rb") as handle:
                data[stem] = tomllib.load(handle)
        except FileNotFoundError:
            problems.append(f"{path}: file is missing")
        except tomllib.TOMLDecodeError as err:
            problems.append(f"{path}: malformed TOML: {err}")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{path}: cannot be read: {err}")
    if problems:
        raise PriorsError(problems)
    return data


def _entry_line(lines: list[str], table: str, key: str) -> int | None:
    """Index of the line holding ``key = {... value = ...}`` inside ``[table]``."""
    header = re.compile(r"^\s*\[(.+?)\]\s*(#.*)?$")
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
    """Write ``text`` to ``path`` through a temporary file, so no half-written file is left."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
