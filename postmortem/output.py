"""Writing outputs safely: atomically, and only inside the output folder.

`OutputFolder` is the one way a build reads, writes or removes a file in its output folder:
by a plain relative name (paths.output_name), walking folder by folder from an open
descriptor of the output folder with O_NOFOLLOW, so that no link inside the folder is ever
followed, whatever was put there or is put there meanwhile. The output folder itself is the
user's choice (trusted, like the configuration) and may be a link.
"""

from __future__ import annotations

import errno
import hashlib
import itertools
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from postmortem.errors import PostmortemError
from postmortem.files import NotRegularFile, read_regular
from postmortem.paths import PathRefused, output_name

_DIR = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_serial = itertools.count()


class OutputFolder:
    """The output folder: every file in it read, written or removed by a checked name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        """Where `name` is, for messages and callers that list what was written."""
        return self.root / name

    @contextmanager
    def _parent(self, name: str, *, create: bool) -> Iterator[tuple[int, str] | None]:
        """An open descriptor of `name`'s folder and its last part; None if a folder is missing.

        Each folder is opened with O_NOFOLLOW: a link (or a file) where a folder should be
        is refused, so a name can never lead outside the output folder.
        """
        *folders, last = output_name(name).split("/")
        if create:
            self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, _DIR)
        try:
            for part in folders:
                if create:
                    with suppress(FileExistsError):
                        os.mkdir(part, 0o755, dir_fd=fd)
                try:
                    inner = os.open(part, _DIR | _NOFOLLOW, dir_fd=fd)
                except FileNotFoundError:
                    if create:
                        raise
                    yield None
                    return
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                        raise PathRefused(
                            f"refusing to write {name!r}: {part!r} in {self.root} is a link or "
                            "a file, not a folder"
                        ) from None
                    raise
                os.close(fd)
                fd = inner
            yield fd, last
        finally:
            os.close(fd)

    def read(self, name: str) -> bytes | None:
        """The bytes of `name`, None if there is no such file; PathRefused for a link,
        a folder or anything else that is not a regular file."""
        with self._parent(name, create=False) as parent:
            if parent is None:
                return None
            return _read_at(*parent, name)

    def is_file(self, name: str) -> bool:
        """Whether `name` is a regular file (not a link, not a folder)."""
        try:
            with self._parent(name, create=False) as parent:
                if parent is None:
                    return False
                st = os.stat(parent[1], dir_fd=parent[0], follow_symlinks=False)
        except (OSError, PathRefused):
            return False
        return stat.S_ISREG(st.st_mode)

    def holds(self, name: str, sha256: str) -> bool:
        """Whether `name` is a regular file whose bytes hash to `sha256`."""
        try:
            data = self.read(name)
        except (OSError, PathRefused):
            return False
        return data is not None and hashlib.sha256(data).hexdigest() == sha256

    def write(self, name: str, data: bytes) -> bool:
        """Write `name` atomically (its folders made as needed); False if it was unchanged."""
        try:
            with self._parent(name, create=True) as parent:
                assert parent is not None
                return _write_at(*parent, data, self.path(name))
        except PathRefused:
            raise
        except OSError as exc:  # a folder that cannot be made: read-only, full
            raise PostmortemError(
                f"cannot write {self.path(name)}: {exc.strerror or exc}"
            ) from None

    def remove(self, name: str) -> bool:
        """Remove the regular file `name` (never a link's target, never a folder); if removed."""
        with self._parent(name, create=False) as parent:
            if parent is None:
                return False
            fd, last = parent
            try:
                st = os.stat(last, dir_fd=fd, follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode):
                    return False
                os.unlink(last, dir_fd=fd)
            except FileNotFoundError:
                return False  # removed meanwhile (another build): what we wanted
            except OSError as exc:
                raise PostmortemError(f"cannot remove {self.path(name)}: {exc.strerror}") from None
            return True


def _read_at(fd: int, last: str, name: str) -> bytes | None:
    try:
        return read_regular(last, None, follow=False, dir_fd=fd)
    except FileNotFoundError:
        return None
    except NotRegularFile:
        raise PathRefused(f"{name!r} is not a regular file") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathRefused(f"{name!r} is a symbolic link; refusing to read it") from None
        raise


def write_atomic(path: Path, data: bytes) -> bool:
    """Write `data` to `path` via a temporary file and a rename; False if unchanged.

    A build killed at any moment leaves the old file whole or the new one whole. An
    output whose bytes are already right is not rewritten, so its mtime keeps telling
    when it last changed. There is no fsync: it guards against the machine losing power,
    not the process dying, and cost a docs build of small files a tenth of its time
    (outputs can always be rendered again; the records are never written).
    """
    try:
        try:
            fd = os.open(path.parent, _DIR)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path.parent, _DIR)
    except OSError as exc:  # its folder cannot be made or opened
        raise PostmortemError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        return _write_at(fd, path.name, data, path)
    finally:
        os.close(fd)


def _write_at(fd: int, last: str, data: bytes, shown: Path) -> bool:
    """write_atomic's work, for the file `last` of the folder open as `fd`."""
    try:
        st = os.stat(last, dir_fd=fd, follow_symlinks=False)
        # A regular file (not a link) of the same size: compare bytes before rewriting.
        if stat.S_ISREG(st.st_mode) and st.st_size == len(data) and _same(fd, last, data):
            return False
    except OSError:
        pass
    try:
        tmp, out = _temporary(fd, last)
    except OSError as exc:  # read-only, full: the old file stays as it was
        raise PostmortemError(f"cannot write {shown}: {exc.strerror or exc}") from None
    try:
        try:
            os.fchmod(out, 0o644)  # as any output, whatever the umask made of it
            view = memoryview(data)
            while view:  # os.write, not a file object: no buffer set-up for one write
                view = view[os.write(out, view) :]
        finally:
            os.close(out)
        # Replaces a link of that name, never writes through it.
        os.replace(tmp, last, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(tmp, dir_fd=fd)
        if isinstance(exc, OSError):  # full disk, a folder of that name: old file kept
            raise PostmortemError(f"cannot write {shown}: {exc.strerror or exc}") from None
        raise
    return True


def _same(fd: int, last: str, data: bytes) -> bool:
    file = os.open(last, os.O_RDONLY | _NOFOLLOW, dir_fd=fd)
    with os.fdopen(file, "rb") as stream:
        return stream.read() == data


def _temporary(fd: int, last: str) -> tuple[str, int]:
    """A new hidden file beside `last` in the folder `fd`: its name, an open descriptor."""
    for attempt in range(100):
        # A killed process that had our pid may have left one of these names: next serial.
        name = f".{last}.{os.getpid()}-{next(_serial)}.tmp"
        try:
            return name, os.open(name, _FLAGS, 0o600, dir_fd=fd)
        except FileExistsError:
            if attempt == 99:
                raise
    raise AssertionError("unreachable")
