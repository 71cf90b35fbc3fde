"""Files that several processes write and read at once (the data folder's caches).

Workers starting together, on one machine or on several sharing a folder, may all build the
same cache. Each writes its own temporary file in the cache's folder (a name no other
process or machine can pick: `tempfile.mkstemp`, not a pid, which machines share) and
renames it over the cache in one step (`os.replace`): a reader sees the old file, the new
one, or none, never half of one. The last writer wins; the writers' contents are equal.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomically"]

# The mode a plain `open(path, "w")` would give (mkstemp's is 0600): the folder may be
# shared with other users' processes.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Write `path` through a unique temporary file in its folder, then rename it over `path`.

    Args:
        path: the file to write; its folder is made if missing.
        write: called with the temporary file, open for writing bytes.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_UMASK)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())   # the data is on disk before the name points at it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
