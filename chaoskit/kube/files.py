"""Files that hold secrets (private keys, tokens, Secret data in snapshots, audit trails): created
owner-only from their first byte, and replaced atomically so that a crash never leaves half a file.

Why ``os.open`` with a mode rather than chmod after writing: between the create and the chmod the
file exists with the umask's permissions, readable by others for a moment. And why not set the
umask: it is process-wide state a library must not touch, and it can only narrow a mode, so a mode
given to ``os.open``/``os.mkdir`` is the one place where the permissions are decided.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".chaoskit-tmp"


def private_dir(path: Path) -> Path:
    """Create ``path`` and each missing parent 0700 (an existing directory is left as it is)."""
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it in between: fine
            os.mkdir(directory, DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def write_private(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` atomically, 0600 from the start.

    The bytes go to a new temporary file in the same directory (``O_EXCL``: never through a file
    or symlink someone left there), are fsynced, renamed over ``path``, and the directory is
    fsynced so the rename itself survives a power cut. A reader sees the old file or the new one,
    never a mix; a crash mid-write leaves the old file and a temporary that :func:`remove_temps`
    clears.
    """
    directory = private_dir(path.parent)
    tmp = directory / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode() if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Make a rename or create in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_temps(directory: Path) -> list[Path]:
    """Delete the temporaries a killed writer left in ``directory``; returns what was removed.

    Only call it while holding the directory (a lock): a live writer's temporary would go too.
    """
    removed = []
    for leftover in directory.glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


def open_append_private(path: Path) -> IO[str]:
    """Open a log for appending, creating it 0600.

    A log an older chaoskit created readable by others is narrowed to 0600 on open (fchmod on the
    open descriptor, so there is no window where another file could be changed instead).
    """
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, "a", encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise
