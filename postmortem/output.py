"""Writing outputs safely: atomically, and only inside the output folder."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from postmortem.errors import PostmortemError

# A bare file name (the usual output: `<id>.html`) cannot leave the folder by its own
# letters; only a link of that name could, which `write_atomic` replaces, never follows.
_BARE = re.compile(r"[^/\\\x00]+")


def inside(folder: Path, name: str) -> Path:
    """`folder/name`, refusing any name that would leave the folder (.., absolute, links)."""
    root = folder.resolve()
    if name not in (".", "..") and _BARE.fullmatch(name):
        return root / name
    target = (root / name).resolve() if not (root / name).is_symlink() else root / name
    if not target.is_relative_to(root) or target == root:
        raise PostmortemError(f"refusing to write {name!r}: it is outside {folder}")
    return target


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temporary file and a rename; False if unchanged.

    A build killed at any moment leaves the old file whole or the new one whole. An
    output whose bytes are already right is not rewritten, so its mtime keeps telling
    when it last changed. There is no fsync: it guards against the machine losing power,
    not the process dying, and cost a docs build of small files a tenth of its time
    (outputs can always be rendered again; the records are never written).
    """
    try:
        if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
