"""Reading files a pull request may have put there, and a record's bytes and text."""

from __future__ import annotations

import os
import stat

MAX_BYTES = 1024 * 1024


class LoadError(Exception):
    """The file is not a record we can read; `line`/`column` are 1-based (0: whole file)."""

    def __init__(self, message: str, rule: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.line = line
        self.column = column


class NotRegularFile(OSError):
    """What was opened is a folder, a FIFO, a device: not a file to read."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Non-blocking: a FIFO put where a file should be must not hang the build.
_READ = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_regular(
    path: str | os.PathLike[str],
    limit: int | None,
    *,
    follow: bool = True,
    dir_fd: int | None = None,
) -> bytes:
    """The bytes of a regular file, at most `limit` + 1 of them (the caller sees it is over).

    The one way postmortem reads a file that a pull request may have put there (a record,
    an image, a manifest, an output): opened without blocking, refused unless it is a
    regular file (NotRegularFile), and with `follow=False` never through a link at its last
    part (OSError ELOOP). OSError for anything else the system says.
    """
    fd = os.open(path, _READ | (0 if follow else _NOFOLLOW), dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(
                "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            )
        # As many bytes as the file says it has, then one read to see the end: not a
        # limit-sized buffer for every file.
        cap = None if limit is None else limit + 1
        expected = info.st_size + 1
        parts: list[bytes] = []
        total = 0
        while cap is None or total < cap:
            want = max(expected - total, 65536)
            chunk = os.read(fd, want if cap is None else min(cap - total, want))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    return b"".join(parts)


def read_file(path: str | os.PathLike[str]) -> bytes:
    """Read a record's bytes, refusing files over MAX_BYTES before reading them whole."""
    try:
        raw = read_regular(path, MAX_BYTES)
    except NotRegularFile as exc:
        raise LoadError(
            f"cannot read file: {exc.kind}; a record is a plain YAML file", "io"
        ) from None
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}", "io") from None
    if len(raw) > MAX_BYTES:
        size = os.path.getsize(path)
        raise LoadError(
            f"file is {size:,} bytes; records are limited to {MAX_BYTES:,} bytes (1 MiB)",
            "limit-size",
            1,
            1,
        )
    return raw


def decode(raw: bytes) -> str:
    """UTF-8 (a leading BOM is allowed) → text, or a LoadError at the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = raw[: exc.start]
        line = head.count(b"\n") + 1
        col = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise LoadError(
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            "encoding",
            line,
            col,
        ) from None
