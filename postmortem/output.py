"""Writing outputs safely: atomically, and only inside the output folder."""

from __future__ import annotations

import itertools
import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from postmortem.errors import PostmortemError

# A bare file name (the usual output: `<id>.html`) cannot leave the folder by its own
# letters; only a link of that name could, which `write_atomic` replaces, never follows.
_BARE = re.compile(r"[^/\\\x00]+")


def inside(folder: Path, name: str) -> Path:
    """`folder/name`, refusing any name that would leave the folder (.., absolute, links)."""
    return places_in(folder)(name)


def places_in(folder: Path) -> Callable[[str], Path]:
    """`inside(folder, name)` for many names: the folder is resolved once."""
    root = folder.resolve()

    def place(name: str) -> Path:
        if name not in (".", "..") and _BARE.fullmatch(name):
            return root / name
        target = (root / name).resolve() if not (root / name).is_symlink() else root / name
        if not target.is_relative_to(root) or target == root:
            raise PostmortemError(f"refusing to write {name!r}: it is outside {folder}")
        return target

    return place


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temporary file and a rename; False if unchanged.

    A build killed at any moment leaves the old file whole or the new one whole. An
    output whose bytes are already right is not rewritten, so its mtime keeps telling
    when it last changed. There is no fsync: it guards against the machine losing power,
    not the process dying, and cost a docs build of small files a tenth of its time
    (outputs can always be rendered again; the records are never written).
    """
    try:
        st = os.lstat(path)
        # A regular file (not a link) of the same size: compare bytes before rewriting.
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    try:
        tmp, fd = _temporary(path)
    except OSError as exc:  # no such folder, read-only, full: the old file stays as it was
        raise PostmortemError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        try:
            os.fchmod(fd, 0o644)  # as any output, whatever the umask made of it
            view = memoryview(data)
            while view:  # os.write, not a file object: no buffer set-up for one write
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # full disk, a folder of that name: old file kept
            raise PostmortemError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return True


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_serial = itertools.count()


def _temporary(path: Path) -> tuple[str, int]:
    """A new hidden file beside `path` (its folder made if need be): its name, an open fd."""
    name = os.path.join(path.parent, f".{path.name}.{os.getpid()}-{next(_serial)}.tmp")
    try:
        return name, os.open(name, _FLAGS, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        pass  # left by a killed process that had our pid: let tempfile pick a name
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    return name, fd
