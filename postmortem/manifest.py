"""The output folder's manifest: what each record's outputs were made from, and their bytes.

A rebuild compares fingerprints and re-renders only what changed. The manifest is input
too (it may come from a CI cache or an artifact): anything in it that is not exactly what
we write (a name that leaves the folder, a NUL, a wrong type, deep nesting) makes it no
manifest at all, which means a full rebuild, never a crash or a read of another file.

A build marks the manifest incomplete before its first write and complete at its end. A
killed build thus leaves an incomplete one, whose outputs are then believed only where
they still hash to what it recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from postmortem import __version__
from postmortem.files import read_regular
from postmortem.output import write_atomic
from postmortem.paths import name_problem

NAME = ".postmortem-manifest.json"
KIND = "postmortem-manifest"
VERSION = 2
# Far above any real site (a record's entry is ~400 bytes), far below what hurts to parse.
MAX_BYTES = 64 << 20

_HEX = re.compile(r"[0-9a-f]{64}")
_TEXT = re.compile(r"[^\x00-\x1f\x7f]+")


@dataclass
class Entry:
    source: str
    fingerprint: str
    outputs: dict[str, str] = field(default_factory=dict)  # name → sha256 of its bytes


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
    # False from a build's first write to its end: then an output is ours only if its
    # bytes still hash to what is recorded.
    complete: bool = True
    engines: dict[str, str] = field(default_factory=dict)  # what made the bytes: engines()

    def to_json(self) -> bytes:
        data: dict[str, Any] = {
            "kind": KIND,
            "version": VERSION,
            "postmortem": __version__,
            "complete": self.complete,
            "engines": self.engines,
            "records": {
                ident: {"source": e.source, "fingerprint": e.fingerprint, "outputs": e.outputs}
                for ident, e in sorted(self.records.items())
            },
        }
        if self.build:
            data.update(build=self.build, pictures=self.pictures, index=self.index)
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()


def load(outdir: Path) -> Manifest | None:
    """The manifest in `outdir`, or None when it is missing, unreadable, not ours or not
    exactly what we write."""
    try:
        raw = read_regular(outdir / NAME, MAX_BYTES, follow=False)
        if len(raw) > MAX_BYTES:
            return None
        data = json.loads(raw)
        return _parse(data)
    except (OSError, ValueError, RecursionError):  # RecursionError: nesting too deep
        return None


def _parse(data: Any) -> Manifest:
    """Validate every field's type and every name; ValueError at the first thing wrong."""
    _require(isinstance(data, dict) and data.get("kind") == KIND)
    _require(data.get("version") == VERSION and isinstance(data.get("complete"), bool))
    engines, records = data.get("engines"), data.get("records")
    _require(isinstance(engines, dict) and all(map(_is_text, [*engines, *engines.values()])))
    _require(isinstance(records, dict))
    manifest = Manifest(complete=data["complete"], engines=engines)
    for ident, e in records.items():
        _require(_is_name(ident) and "/" not in ident and isinstance(e, dict))
        source, fingerprint, outputs = e.get("source"), e.get("fingerprint"), e.get("outputs")
        _require(_is_text(source) and _is_hex(fingerprint) and isinstance(outputs, dict))
        _require(all(_is_name(n) and _is_hex(h) for n, h in outputs.items()))
        manifest.records[ident] = Entry(source, fingerprint, outputs)
    if "build" in data:
        build, pictures, index = data["build"], data.get("pictures"), data.get("index")
        _require(_is_hex(build) and isinstance(pictures, dict) and isinstance(index, list))
        for path, rels in pictures.items():
            _require(_is_text(path) and isinstance(rels, list) and all(map(_is_name, rels)))
        _require(all(map(_is_name, index)))
        manifest.build, manifest.pictures, manifest.index = build, pictures, index
    return manifest


def _require(condition: bool) -> None:
    if not condition:
        raise ValueError("not a manifest postmortem wrote")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 4096 and bool(_TEXT.fullmatch(value))


def _is_hex(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX.fullmatch(value))


def _is_name(value: object) -> bool:
    """A name a build may write (paths.output_name): `x.html`, `x/chart.png`; never `..`."""
    return isinstance(value, str) and name_problem(value) is None


def save(outdir: Path, manifest: Manifest) -> None:
    write_atomic(outdir / NAME, manifest.to_json())


def sums(outputs: dict[str, bytes]) -> dict[str, str]:
    """Output name → sha256 of its bytes, as an Entry records them."""
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(outputs.items())}


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


# Distributions whose version changes output bytes: always, and for PDF (WeasyPrint and
# what it draws, parses and writes with).
_ENGINES = ("jinja2", "markdown-it-py", "mdit-py-plugins")
_PDF_ENGINES = (
    "weasyprint",
    "pydyf",
    "fonttools",
    "pillow",
    "tinycss2",
    "cssselect2",
    "tinyhtml5",
)
# The names WeasyPrint itself dlopens (weasyprint/text/ffi.py), first match wins.
_LIBRARIES = {
    "pango": (
        "pango_version_string",
        ("libpango-1.0-0", "pango-1.0-0", "pango-1.0", "libpango-1.0.so.0", "libpango-1.0.dylib"),
    ),
    "harfbuzz": (
        "hb_version_string",
        ("libharfbuzz-0", "harfbuzz", "libharfbuzz.so.0", "libharfbuzz.0.dylib"),
    ),
    # Fonts are subset with HarfBuzz when this exists, else with fontTools: other bytes.
    "harfbuzz-subset": (
        "",
        (
            "libharfbuzz-subset-0",
            "harfbuzz-subset",
            "libharfbuzz-subset.so.0",
            "libharfbuzz-subset.0.dylib",
        ),
    ),
}


@cache
def engines(pdf: bool) -> dict[str, str]:
    """Versions of what turns a record into bytes, without importing it (WeasyPrint: 0.5 s).

    Package versions from their metadata; Pango's and HarfBuzz's as the libraries report
    them, looked up only when a PDF is asked for.
    """
    found = {name: _version(name) for name in _ENGINES + (_PDF_ENGINES if pdf else ())}
    if pdf:
        for name, (function, candidates) in _LIBRARIES.items():
            found[name] = _library_version(function, candidates)
    return found


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "absent"


def _library_version(function: str, candidates: tuple[str, ...]) -> str:
    import ctypes  # only when a PDF is asked for

    for candidate in candidates:
        try:
            library = ctypes.CDLL(candidate)
        except OSError:
            continue
        if not function:
            return "present"
        call = getattr(library, function)
        call.restype = ctypes.c_char_p
        return str(call().decode())
    return "absent"
