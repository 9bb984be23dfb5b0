"""Paths → records checked, each a Result: the pipeline behind `check` (and `render`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from postmortem.diagnostics import Issue
from postmortem.loader import Document, LoadError, decode, load_text, read_file
from postmortem.model import Incident
from postmortem.validate import validate

SUFFIXES = (".yaml", ".yml")


@dataclass
class Result:
    """One file's outcome: a valid Incident, or the issues that stop it."""

    path: str
    incident: Incident | None = None
    issues: list[Issue] = field(default_factory=list)
    source: bytes = b""
    document: Document | None = None

    @property
    def ok(self) -> bool:
        return self.incident is not None and not any(i.severity == "error" for i in self.issues)


def discover(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given, and `*.yaml`/`*.yml` below folders (hidden folders skipped), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(root, f) for f in sorted(files) if f.endswith(SUFFIXES)]
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def check_file(path: str | os.PathLike[str]) -> Result:
    """Load and validate one record file; bad input becomes issues, never an exception."""
    name = str(path)
    result = Result(name)
    try:
        result.source = read_file(path)
        result.document = load_text(decode(result.source))
        result.incident, result.issues = validate(result.document, name)
    except LoadError as exc:
        result.issues.append(Issue(name, exc.line, exc.column, exc.message, exc.rule))
    except Exception as exc:
        message = (
            f"internal error while checking this file ({type(exc).__name__}: {exc}); "
            "please report it"
        )
        result.issues.append(Issue(name, 0, 0, message, "internal"))
    return result


def check_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Result]:
    """Check every record under `paths`, then the rules that span records (unique ids)."""
    results = [check_file(p) for p in discover(paths)]
    check_unique_ids(results)
    return results


def check_unique_ids(results: list[Result]) -> None:
    """Two records with one id in a run would write the same files: flag the later ones."""
    first: dict[str, Result] = {}
    for result in results:
        if result.incident is None or result.document is None:
            continue
        ident = result.incident.id
        if ident in first:
            line, col = result.document.position(("id",))
            message = f"id {ident!r} is already used by {first[ident].path}"
            result.issues.append(Issue(result.path, line, col, message, "duplicate-id", "id"))
            result.incident = None
        else:
            first[ident] = result
