"""The output folder's manifest: what each record's outputs were made from.

A rebuild compares fingerprints and re-renders only what changed. A missing, corrupt or
foreign manifest means a full rebuild, never a crash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from postmortem import __version__
from postmortem.output import write_atomic

NAME = ".postmortem-manifest.json"
KIND = "postmortem-manifest"
VERSION = 1


@dataclass
class Entry:
    source: str
    fingerprint: str
    outputs: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    records: dict[str, Entry] = field(default_factory=dict)
    # A build in which every record rendered: the fingerprint of all its inputs (record
    # bytes, their pictures, options, templates, today), each record's pictures, and the
    # index's files. A rebuild with the same inputs has nothing to do, and knows it
    # without parsing a record. Empty when the build had a failure.
    build: str = ""
    pictures: dict[str, list[str]] = field(default_factory=dict)
    index: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        data = {
            "kind": KIND,
            "version": VERSION,
            "postmortem": __version__,
            "records": {
                ident: {"source": e.source, "fingerprint": e.fingerprint, "outputs": e.outputs}
                for ident, e in sorted(self.records.items())
            },
        }
        if self.build:
            data.update(build=self.build, pictures=self.pictures, index=self.index)
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


def load(outdir: Path) -> Manifest | None:
    """The manifest in `outdir`, or None when it is missing, unreadable or not ours."""
    try:
        data: Any = json.loads((outdir / NAME).read_bytes())
        if data.get("kind") != KIND or data.get("version") != VERSION:
            return None
        records = {
            str(ident): Entry(
                source=str(e["source"]),
                fingerprint=str(e["fingerprint"]),
                outputs=[str(o) for o in e["outputs"]],
            )
            for ident, e in data["records"].items()
        }
        manifest = Manifest(records)
        if isinstance(data.get("build"), str):
            manifest.build = data["build"]
            manifest.pictures = {
                str(path): [str(rel) for rel in rels] for path, rels in data["pictures"].items()
            }
            manifest.index = [str(name) for name in data["index"]]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return manifest


def save(outdir: Path, manifest: Manifest) -> None:
    write_atomic(outdir / NAME, manifest.to_json())


def digest(*parts: bytes | str) -> str:
    """sha256 over length-prefixed parts (so that no two part lists collide)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def tree_digest(folder: Path | None) -> str:
    """A fingerprint of every file below `folder` (names and bytes)."""
    if folder is None:
        return ""
    parts: list[bytes | str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parts += [path.relative_to(folder).as_posix(), path.read_bytes()]
    return digest(*parts)
