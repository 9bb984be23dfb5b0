"""The source record inside every PDF: named when rendering, written back out by `extract`.

A post-mortem kept for years should be checkable against, and renderable from, the record
it came from. render/pdf.py embeds the record's bytes as the attachment `<id>.yaml`;
`extract_record` finds it again and returns exactly those bytes. A PDF given to `extract`
may come from anywhere, so every failure to read it becomes a `PostmortemError`.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from postmortem.audience import Audience, rendition
from postmortem.errors import PostmortemError
from postmortem.output import write_atomic

RECORD_SUFFIXES = (".yaml", ".yml")
# RFC 9512; fixed here so that the PDF does not depend on the machine's mimetypes files.
RECORD_MIME_TYPE = "application/yaml"
ATTACHMENT_DESCRIPTION = (
    "The incident record this document was rendered from; "
    "`postmortem extract` writes it back out unchanged."
)
# A PDF may start with a little junk before its header (ISO 32000-1, 7.5.2 notes readers
# accept it within the first 1024 bytes).
HEADER_WINDOW = 1024
# An attachment name we are willing to use as a file name in the current folder.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


@dataclass(frozen=True)
class EmbeddedRecord:
    """A record found inside a PDF: the attachment's name and its exact bytes."""

    name: str
    data: bytes


def attachment_name(ident: str) -> str:
    """The name under which a record is attached to its PDF."""
    return f"{ident}.yaml"


def extract_record(
    pdf: bytes, label: str = "the file", audience: Audience = "internal"
) -> EmbeddedRecord:
    """The one `.yaml`/`.yml` attachment of `pdf`, checked against its stored MD5 if any;
    for the public `audience`, the public rendition of it (audience.rendition)."""
    if b"%PDF-" not in pdf[:HEADER_WINDOW]:
        raise PostmortemError(f"{label} is not a PDF (it does not start with %PDF-)")
    import pypdf  # only `extract` needs a PDF reader

    try:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        found = [
            (entry.name, entry.content, entry.checksum)
            for entry in reader.attachment_list
            if entry.name.lower().endswith(RECORD_SUFFIXES)
        ]
    except Exception as exc:  # a damaged PDF makes pypdf raise many kinds of errors
        raise PostmortemError(f"{label} is not a readable PDF: {exc}") from None
    if not found:
        raise PostmortemError(
            f"{label} holds no incident record: it has no .yaml attachment "
            "(was it rendered by postmortem?)"
        )
    if len(found) > 1:
        names = ", ".join(sorted(name for name, _, _ in found))
        raise PostmortemError(f"{label} holds more than one record ({names}); expected one")
    name, data, checksum = found[0]
    # pypdf may read the 16-byte string as text; its original bytes are the digest.
    digest = getattr(checksum, "original_bytes", checksum)
    if isinstance(digest, bytes) and hashlib.md5(data, usedforsecurity=False).digest() != digest:
        raise PostmortemError(
            f"{label}: the embedded {name} does not match its stored checksum (damaged file?)"
        )
    return EmbeddedRecord(name, rendition(data, audience, f"{label}: {name}"))


def default_output(record: EmbeddedRecord, label: str) -> Path:
    """Where `extract` writes without `-o`: the attachment's own name, in the current folder."""
    name = record.name
    if not SAFE_NAME.fullmatch(name) or not name.lower().endswith(RECORD_SUFFIXES):
        # The name comes from the PDF, which may come from anyone: never a path.
        raise PostmortemError(
            f"{label}: the embedded record's name {name!r} is not a plain file name; "
            "choose one with -o"
        )
    return Path(name)


def extract_to(
    pdf_path: Path,
    output: Path | None = None,
    *,
    force: bool = False,
    audience: Audience = "internal",
) -> Path:
    """Write the record embedded in `pdf_path` to `output` (default: its own name); the path."""
    try:
        pdf = pdf_path.read_bytes()
    except OSError as exc:
        raise PostmortemError(f"cannot read {pdf_path}: {exc.strerror}") from None
    record = extract_record(pdf, str(pdf_path), audience)
    target = output if output is not None else default_output(record, str(pdf_path))
    if target.is_dir():
        raise PostmortemError(f"{target} is a folder; give a file name with -o")
    if (target.exists() or target.is_symlink()) and not force:
        raise PostmortemError(f"{target} already exists; use --force to overwrite it")
    try:
        write_atomic(target, record.data)
    except OSError as exc:
        raise PostmortemError(f"cannot write {target}: {exc.strerror}") from None
    return target
