"""Case tables on disk: read CSV or Parquet in chunks, write results atomically.

The format follows the file name: ``.parquet`` (needs pyarrow), anything else is CSV
(UTF-8, a byte-order mark allowed). Every cell is read as text; only an empty cell is
missing (so a state called ``NA`` or ``None`` is not silently turned into "unknown").

Each chunk comes with the number of each of its rows: for CSV its line in the file (the
header is line 1, blank lines count), for Parquet its row (1 is the first). A line with
nothing on it is skipped (a row of empty cells, ``,,``, is a case with no evidence). A quoted cell that spans
lines shifts the numbers of the rows after it (pandas does not report physical lines).

Every problem reading the file raises ``TableError`` naming the file and, for CSV, the
line (and column where known): a ragged row, an unclosed quote, an empty or header-only
file, text that is not UTF-8. With ``skip_bad`` a ragged row is set aside instead.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from model.atomic import atomic_path
from model.errors import CalfdxError, first_repeated, quote


class TableError(CalfdxError, ValueError):
    """A case table cannot be read: the message names the file and line."""


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether the file name asks for Parquet.

    >>> is_parquet("cases.parquet"), is_parquet("cases.csv")
    (True, False)
    """
    return Path(path).suffix.lower() in (".parquet", ".pq")


@dataclass
class Chunk:
    """Rows of a case table, each row's number (line or row) and rows set aside."""

    frame: pd.DataFrame
    numbers: NDArray[np.int64]
    unit: str
    ragged: list[tuple[int, str]] = field(default_factory=list)
    blank: int = 0


def encoding_problem(path: Path) -> str:
    """Where a CSV file stops being UTF-8: ``line L, column C: ...`` (or the UTF-16 mark)."""
    with path.open("rb") as handle:
        head = handle.read(2)
        if head in (b"\xff\xfe", b"\xfe\xff"):
            return "line 1: the file is UTF-16; save it as UTF-8"
        handle.seek(0)
        for lineno, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as err:
                column = len(raw[: err.start].decode("utf-8", "replace")) + 1
                return (
                    f"line {lineno}, column {column}: byte {raw[err.start]:#04x} is not UTF-8 "
                    "(Latin-1 or Windows text?); save the file as UTF-8"
                )
    return "not UTF-8; save the file as UTF-8"


_TOKENIZE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")
_EOF_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


def _parser_problem(message: str) -> str:
    m = _TOKENIZE.search(message)
    if m:
        expected, line, saw = m.groups()
        return f"line {line}: expected {expected} fields (as in the header), found {saw}"
    m = _EOF_QUOTE.search(message)
    if m:
        return f"line {int(m.group(1)) + 1}: a quoted cell is never closed"
    return f"cannot be read as CSV: {message.splitlines()[-1] if message else message}"


def _blank_lines(path: Path) -> NDArray[np.int64]:
    """The numbers of the lines of ``path`` that hold only white space."""
    with path.open("rb") as handle:
        found = [n for n, raw in enumerate(handle, 1) if not raw.strip()]
    return np.array(found, dtype=np.int64)


def _csv_chunks(
    path: Path, chunksize: int, skip_bad: bool, leading: tuple[tuple[int, str], ...] = ()
) -> Iterator[Chunk]:
    """The chunks of a CSV file; ``leading``: first rows already set aside as too long.

    pandas reads a first row with more fields than the header as row labels and shifts
    every cell of the file one column over, silently; such a row is refused (a
    ``ParserError`` like any long row), or with ``skip_bad`` set aside and the file read
    again without it.
    """
    skipped = [line for line, _ in leading]  # lines left out, which shift the numbers after them
    pending = list(leading)  # set aside before the first chunk: reported with it
    blank_lines: NDArray[np.int64] | None = None  # found only if some row is all empty
    reader = pd.read_csv(
        path,
        chunksize=chunksize,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        skiprows=[line - 1 for line in skipped] or None,
        encoding="utf-8-sig",
        on_bad_lines="warn" if skip_bad else "error",
    )
    with reader:
        position = 0
        chunks = iter(reader)
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", pd.errors.ParserWarning)
                frame = next(chunks, None)
            ragged, pending = pending, []
            for w in caught:
                for line, expected, saw in _SKIPPED.findall(str(w.message)):
                    skipped.append(int(line))
                    ragged.append(
                        (int(line), f"expected {expected} fields (as in the header), found {saw}")
                    )
            if frame is None:
                if ragged:
                    yield Chunk(pd.DataFrame(), np.zeros(0, dtype=np.int64), "line", ragged)
                return
            numbers = np.arange(position, position + len(frame), dtype=np.int64) + 2
            for line in sorted(skipped):
                numbers[numbers >= line] += 1
            if position == 0 and not isinstance(frame.index, pd.RangeIndex):
                line, fields = int(numbers[0]), len(frame.columns)
                found = fields + frame.index.nlevels
                if not skip_bad:
                    raise pd.errors.ParserError(
                        f"Expected {fields} fields in line {line}, saw {found}"
                    )
                reason = f"expected {fields} fields (as in the header), found {found}"
                reader.close()
                yield from _csv_chunks(path, chunksize, skip_bad, (*leading, (line, reason)))
                return
            position += len(frame)
            empty = frame.isna().all(axis=1).to_numpy().copy()
            if empty.any():  # a blank line, or a case with every cell empty (kept)?
                blank_lines = _blank_lines(path) if blank_lines is None else blank_lines
                empty &= np.isin(numbers, blank_lines)
            yield Chunk(frame[~empty], numbers[~empty], "line", ragged, int(empty.sum()))


def _csv_header(path: Path) -> list[str]:
    """The header's names, stripped (pandas renames a repeated one ``x.1``); [] if none."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = next(csv.reader(handle), [])
    return [name.strip() for name in first]


def read_chunks(
    path: str | os.PathLike[str], chunksize: int, skip_bad: bool = False
) -> Iterator[Chunk]:
    """Yield the table ``chunksize`` rows at a time, every cell as text (empty = missing).

    Raises
    ------
    TableError
        For a file that cannot be read as a table, naming the file and line.
    """
    source = Path(path)
    where = str(path)
    if is_parquet(source):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            first = 1
            for batch in pq.ParquetFile(source).iter_batches(batch_size=chunksize):
                frame = batch.to_pandas().astype("string").astype(object)
                numbers = np.arange(first, first + len(frame), dtype=np.int64)
                first += len(frame)
                yield Chunk(frame, numbers, "row")
        except (pa.ArrowException, OSError) as err:
            if isinstance(err, FileNotFoundError):
                raise
            text = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise TableError(f"{where}: not a readable Parquet file: {text}") from None
        return
    try:
        twice = first_repeated(_csv_header(source))
        if twice is not None:
            raise TableError(f"{where}: line 1: column {quote(twice)} is given twice; give it once")
        for chunk in _csv_chunks(source, chunksize, skip_bad):
            chunk.frame.columns = [str(c).strip() for c in chunk.frame.columns]
            yield chunk
    except pd.errors.EmptyDataError:
        raise TableError(
            f"{where}: line 1: the file is empty; expected a header of variable ids"
        ) from None
    except pd.errors.ParserError as err:
        raise TableError(f"{where}: {_parser_problem(str(err))}") from None
    except UnicodeDecodeError:
        raise TableError(f"{where}: {encoding_problem(source)}") from None


class AtomicTableWriter:
    """Append chunks to a temporary file beside ``path``; rename it into place on success.

    Built on ``model.atomic.atomic_path``: on an exception (or Ctrl-C, or SIGTERM through
    the command line's handler) nothing is left behind, and the output's mode follows the
    umask.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._context: AbstractContextManager[Path] = atomic_path(self.path)
        self.tmp: Path | None = None
        self._parquet: Any = None
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append one chunk (the first one also writes the header or schema)."""
        assert self.tmp is not None, "use AtomicTableWriter as a context manager"
        if is_parquet(self.path):
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.tmp, table.schema)
            self._parquet.write_table(table)
        else:
            frame.to_csv(self.tmp, mode="a", header=not self._started, index=False)
        self._started = True

    def __enter__(self) -> AtomicTableWriter:
        self.tmp = self._context.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._parquet is not None:
                self._parquet.close()
        finally:
            self._context.__exit__(kind, value, traceback)


def describe_columns(columns: list[str]) -> str:
    """The columns of a file, for a message.

    >>> describe_columns(["a", "b"])
    "'a', 'b'"
    """
    return ", ".join(quote(c) for c in columns)
