"""A record file's bytes and text: reading within the size limit, decoding, LoadError."""

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


def read_file(path: str | os.PathLike[str]) -> bytes:
    """Read a record's bytes, refusing files over MAX_BYTES before reading them whole."""
    try:
        # Non-blocking: a FIFO named like a record must not hang the build.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
                raise LoadError(f"cannot read file: {kind}; a record is a plain YAML file", "io")
            # As many bytes as the file says it has, then one read to see the end: not a
            # 1 MiB buffer for every record. Never more than MAX_BYTES + 1 in all.
            expected = os.fstat(fd).st_size + 1
            limit = MAX_BYTES + 1
            parts: list[bytes] = []
            total = 0
            while total < limit:
                chunk = os.read(fd, min(limit - total, max(expected - total, 65536)))
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
        raw = b"".join(parts)
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
