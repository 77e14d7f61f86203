"""Small, safe file helpers shared by every step.

Every result file is written atomically: to a temporary file in the same
folder first, then renamed. A crash or a kill mid-write therefore never leaves
a half-written file that a later run could take as complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def current_umask() -> int:
    """The process's umask (read without changing it where /proc allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    The file gets the mode a plain ``open(path, "w")`` would give (0666 less the
    umask; ``mkstemp`` alone gives 0600) and is fsynced before the rename, and the
    folder after it, so a power cut leaves either the old file or the whole new one.
    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if tmp.exists():
            tmp.chmod(0o666 & ~current_umask())
            _fsync(tmp)
        tmp.replace(target)
        with contextlib.suppress(OSError):
            _fsync(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file for writing and rename it onto ``path`` when closed cleanly."""
    with atomic_path(path) as tmp, tmp.open(mode, **kwargs) as handle:
        yield handle


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write a tidy CSV atomically, without the index, with stable float formatting."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("float_format", "%.10g")
    with atomic_open(path, "w", newline="") as handle:
        frame.to_csv(handle, **kwargs)


def write_json(data: Any, path: str | os.PathLike[str]) -> None:
    """Write JSON atomically: sorted keys, two-space indent, trailing newline."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
        handle.write("\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    with Path(path).open(encoding="utf-8") as handle:
        return json.load(handle)
