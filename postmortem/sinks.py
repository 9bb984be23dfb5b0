"""Where a build's outputs go: a folder (`render`, `index`) or memory (the MkDocs plugin).

The build (pipeline.py) decides what to write, keep and remove; a sink only stores, by names
that paths.output_name accepts, and keeps the manifest that says what was written.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from postmortem.errors import UsageError
from postmortem.manifest import Manifest, load, save
from postmortem.output import OutputFolder
from postmortem.paths import output_name


class Sink(Protocol):
    """What the build needs of the place its outputs go."""

    def path(self, name: str) -> Path:
        """How `name` is shown in messages and in Summary.written."""
        ...

    def read(self, name: str) -> bytes | None:
        """The bytes stored under `name`, None if nothing is; PathRefused if it is no file."""
        ...

    def is_file(self, name: str) -> bool: ...

    def holds(self, name: str, sha256: str) -> bool:
        """Whether `name` holds bytes that hash to `sha256`."""
        ...

    def write(self, name: str, data: bytes) -> bool:
        """Store `data` under `name` whole; False if it was already there."""
        ...

    def remove(self, name: str) -> bool: ...

    def prepare(self) -> None:
        """Make the place ready for writing; UsageError if it cannot be."""
        ...

    def load_manifest(self) -> Manifest | None:
        """What the last build here wrote (None: nothing known, or not to be trusted)."""
        ...

    def save_manifest(self, manifest: Manifest) -> None: ...


class FolderSink(OutputFolder):
    """An output folder on disk, with its manifest file (`.postmortem-manifest.json`)."""

    def prepare(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
            reason = getattr(exc, "strerror", None) or exc
            raise UsageError(f"cannot use {self.root} as the output folder: {reason}") from None

    def load_manifest(self) -> Manifest | None:
        return load(self.root)

    def save_manifest(self, manifest: Manifest) -> None:
        save(self.root, manifest)


class MemorySink:
    """Outputs kept in memory, and the manifest with them: kept across the rebuilds of one
    `mkdocs serve`, so that saving one record renders only that record again."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.manifest: Manifest | None = None

    def path(self, name: str) -> Path:
        return Path(name)

    def read(self, name: str) -> bytes | None:
        return self.files.get(output_name(name))

    def is_file(self, name: str) -> bool:
        return name in self.files

    def holds(self, name: str, sha256: str) -> bool:
        data = self.files.get(name)
        return data is not None and hashlib.sha256(data).hexdigest() == sha256

    def write(self, name: str, data: bytes) -> bool:
        if self.files.get(output_name(name)) == data:
            return False
        self.files[name] = data
        return True

    def remove(self, name: str) -> bool:
        return self.files.pop(name, None) is not None

    def prepare(self) -> None:
        pass

    def load_manifest(self) -> Manifest | None:
        return self.manifest

    def save_manifest(self, manifest: Manifest) -> None:
        self.manifest = manifest
