"""Case tables on disk: read CSV or Parquet in chunks, write results atomically.

The format follows the file name: ``.parquet`` (needs pyarrow), anything else is CSV.
Every cell is read as text; only an empty cell is missing (so a state called ``NA`` or
``None`` is not silently turned into "unknown").
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether the file name asks for Parquet.

    >>> is_parquet("cases.parquet"), is_parquet("cases.csv")
    (True, False)
    """
    return Path(path).suffix.lower() in (".parquet", ".pq")


def read_chunks(path: str | os.PathLike[str], chunksize: int) -> Iterator[pd.DataFrame]:
    """Yield the table ``chunksize`` rows at a time, every cell as text (empty = missing)."""
    if is_parquet(path):
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunksize):
            yield batch.to_pandas().astype("string").astype(object)
        return
    reader = pd.read_csv(
        path, chunksize=chunksize, dtype=str, keep_default_na=False, na_values=[""]
    )
    with reader:
        yield from reader


class AtomicTableWriter:
    """Append chunks to a temporary file beside ``path``; rename it into place on success.

    On an exception nothing is left behind: no partial output, no temporary file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        os.close(fd)
        self.tmp = Path(tmp)
        self._parquet: Any = None
        self._started = False

    def write(self, frame: pd.DataFrame) -> None:
        """Append one chunk (the first one also writes the header or schema)."""
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
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if kind is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
