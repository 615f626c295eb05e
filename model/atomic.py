"""Write a file so that readers see the old or the new content, never a half-written one.

The one helper behind every file calfdx writes (priors edits, batch results, exports):

- the content goes to a hidden temporary file beside the target, named
  ``.NAME.<pid>.<random>.tmp``, renamed over the target only when complete;
- the temporary file is removed on every exit path that runs Python code (an exception,
  ``KeyboardInterrupt``, or ``SystemExit`` from the SIGTERM handler of the command line);
  one left by a killed process (SIGKILL) is removed by the next write to the same target,
  once its process id is no longer running;
- the new file gets the mode of the file it replaces, else ``0o666`` less the umask (as
  ``open`` would give), not the ``0o600`` of ``tempfile.mkstemp``;
- a target that is a symbolic link is written through: the file it points to is
  replaced and the link is kept;
- an ``OSError`` names the target, never the temporary path.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomic(folder / "a.txt", "hello")
>>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
('hello', ['a.txt'])
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process: treat as running
        return True
    return True


def _sweep(target: Path) -> None:
    """Remove temporaries of ``target`` left by processes that no longer run."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]+\.tmp$")
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        m = pattern.match(name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            (target.parent / name).unlink(missing_ok=True)


def _mode_for(target: Path) -> int:
    """The mode of the file being replaced, else what the umask gives a new file."""
    try:
        return os.stat(target).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` replaces: a symbolic link's final target, else ``path``.

    >>> resolve_target("out.csv")
    PosixPath('out.csv')
    """
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path``, else it is removed.

    Raises
    ------
    OSError
        From writing or renaming, with ``filename`` set to ``path`` (not the temporary).
    """
    target = resolve_target(path)
    folder = target.parent
    _sweep(target)
    tmp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        yield tmp
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except OSError as err:
        if err.filename in (str(tmp), tmp):
            err.filename = str(path)
        if err.filename2 in (str(tmp), tmp):
            err.filename2 = None
        raise
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through ``atomic_path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
