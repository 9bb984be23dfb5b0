"""Paths → records checked, each a Result: the pipeline behind `check` (and `render`)."""

from __future__ import annotations

import difflib
import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from postmortem.audience import RULE, Audience, document_of, dump, may_mark, project
from postmortem.diagnostics import Issue
from postmortem.fields import images, markdown_fields
from postmortem.files import LoadError, read_file
from postmortem.gate import check_gate
from postmortem.loader import Document, load_bytes
from postmortem.model import Incident
from postmortem.paths import Picture, record_problem
from postmortem.scalars import is_valid_id
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
    # The images a valid record shows, each checked (paths.picture) to be beside it.
    pictures: list[Picture] = field(default_factory=list)
    # The id of a valid record (kept when a build drops the Incident to save memory).
    ident: str = ""
    # The record as rendered, for the PDF's attachment: `source`, or the public record.
    rendition: bytes = b""
    # Internal as a whole, and the audience is public: left out of the build, not an error.
    withheld: bool = False

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


@dataclass(frozen=True)
class Policy:
    """A project's own rules on top of the format (from its configuration)."""

    timezone: str = "UTC"  # for records that name none
    severities: tuple[str, ...] | None = None  # allowed values; None: any
    require_status: str | None = None  # the least status a build publishes (gate.py)
    # Whose record is checked and rendered (audience.py): it decides the data validated,
    # so it lives here, where every command's check reads it.
    audience: Audience = "internal"


DEFAULT_POLICY = Policy()


def check_file(path: str | os.PathLike[str], policy: Policy = DEFAULT_POLICY) -> Result:
    """Load and validate one record file; bad input becomes issues, never an exception."""
    name = str(path)
    refused = record_problem(Path(path))
    if refused:
        return Result(name, issues=[Issue(name, 0, 0, f"record file {refused}", "io")])
    try:
        source = read_file(path)
    except LoadError as exc:
        return Result(name, issues=[Issue(name, exc.line, exc.column, exc.message, exc.rule)])
    return check_bytes(name, source, policy)


def check_bytes(name: str, source: bytes, policy: Policy = DEFAULT_POLICY) -> Result:
    """Validate a record's bytes, already read (a worker must see what `check` saw)."""
    result = Result(name, source=source, rendition=source)
    try:
        document = load_bytes(source)
        if policy.timezone != "UTC" and "timezone" not in document.data:
            document.data["timezone"] = policy.timezone
        _check_audiences(result, document, policy)
        if result.incident is not None and policy.severities is not None:
            _check_severity(result, policy.severities)
        if result.incident is not None:
            # Images must be files beside the record: a record render would refuse is not
            # valid. The renderers copy exactly `pictures`.
            result.pictures, pictures_issues = check_images(result, result.incident)
            if pictures_issues:
                result.issues += pictures_issues
                result.incident = None
        if result.incident is not None:
            check_gate(result, policy)  # placeholders; the status a build requires
        result.ident = result.incident.id if result.incident is not None else ""
    except LoadError as exc:
        result.issues.append(Issue(name, exc.line, exc.column, exc.message, exc.rule))
    except Exception as exc:
        message = (
            f"internal error while checking this file ({type(exc).__name__}: {exc}); "
            "please report it"
        )
        result.issues.append(Issue(name, 0, 0, message, "internal"))
    return result


def _check_audiences(result: Result, document: Document, policy: Policy) -> None:
    """Validate the record (marks dropped) and, if it has marks, its public rendition;
    keep the one of the policy's audience."""
    name = result.path
    if policy.audience == "internal" and not may_mark(result.source):
        result.document = document
        result.incident, result.issues = validate(document, name)
        return
    full = project(document, "internal", name)
    result.document = document_of(document, full)
    result.incident, result.issues = validate(result.document, name, full.marks, document)
    if full.issues:
        result.issues[:0] = full.issues
        result.incident = None
    if result.incident is None or (not full.marks and policy.audience == "internal"):
        return
    public = project(document, "public", name)
    result.issues += public.issues
    if public.data is None:
        result.withheld = policy.audience == "public"
        result.incident = None if result.withheld else result.incident
        return
    shown = document_of(document, public)
    incident, issues = validate(shown, name) if not public.issues else (None, [])
    for issue in issues:
        # A key the public rendition lacks is a public wording the record lacks.
        rule = RULE if issue.rule in ("required", "lessons-empty") else issue.rule
        message = f"in the public rendition: {issue.message}"
        result.issues.append(replace(issue, message=message, rule=rule))
    if incident is None:
        result.incident = None
    elif policy.audience == "public":
        result.document, result.incident, result.rendition = shown, incident, dump(public.data)


def check_images(result: Result, incident: Incident) -> tuple[list[Picture], list[Issue]]:
    """The images the record shows (paths.picture decides each), or issues for those refused."""
    from postmortem.paths import PathRefused, picture

    folder = Path(result.path).parent
    found: dict[str, Picture] = {}
    issues: list[Issue] = []
    assert result.document is not None
    decided: dict[str, Picture | PathRefused] = {}  # an image shown twice is found once
    for loc, text in markdown_fields(incident):
        for src in images(text):
            if src not in decided:
                try:
                    decided[src] = picture(folder, src)
                except PathRefused as exc:
                    decided[src] = exc
            shown = decided[src]
            if isinstance(shown, PathRefused):
                line, col = result.document.position(loc)
                message = (
                    f"image {src!r} {shown}; images must be PNG, JPEG, GIF or WebP files in the "
                    "record's folder, written as relative paths"
                )
                issues.append(Issue(result.path, line, col, message, "image"))
            else:
                found[shown.name] = shown
    return [found[name] for name in sorted(found)], issues


def _check_severity(result: Result, allowed: tuple[str, ...]) -> None:
    assert result.incident is not None and result.document is not None
    severity = result.incident.severity
    if severity is None or severity in allowed:
        return
    close = difflib.get_close_matches(severity, allowed, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    line, col = result.document.position(("severity",))
    message = f"severity: {severity!r} is not one of the project's: {', '.join(allowed)}{hint}"
    result.issues.append(Issue(result.path, line, col, message, "severity", "severity"))
    result.incident = None


def check_paths(
    paths: Sequence[str | os.PathLike[str]], policy: Policy = DEFAULT_POLICY
) -> list[Result]:
    """Check every record under `paths`, then the rules that span records.

    Ids are unique across the run. `related` ids are looked up in the run only when it
    searched a folder: files named one by one (as pre-commit names the changed ones) are
    not all the records, and a missing id there says nothing.
    """
    with no_collection():
        results = [check_file(p, policy) for p in discover(paths)]
    check_unique_ids(results)
    if any(Path(p).is_dir() for p in paths):
        check_related(results)
    return results


@contextmanager
def no_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while records pile up.

    Checking a record makes no reference cycles, so there is nothing for the collector to
    find; but every full collection walks all the results so far again (a sixth of the time
    of checking 1,000 records). Reference counting still frees everything as usual.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _id_position(result: Result) -> tuple[int, int]:
    """Where the record's id is written (a lean build dropped its document: read it again)."""
    document = result.document
    if document is None:
        try:
            document = load_bytes(read_file(result.path))
        except LoadError:
            return 0, 0
    return document.position(("id",))


def check_unique_ids(results: list[Result]) -> None:
    """Two records with one id in a run would write the same files: flag the later ones."""
    first: dict[str, Result] = {}
    for result in results:
        ident = result.ident
        if not ident:
            continue
        if ident in first:
            line, col = _id_position(result)
            message = f"id {ident!r} is already used by {first[ident].path}"
            result.issues.append(Issue(result.path, line, col, message, "duplicate-id", "id"))
            result.incident, result.ident = None, ""
        else:
            first[ident] = result


def _written(result: Result, key: str) -> Any:
    """A top-level value as written in the record (None when it was not loaded)."""
    return result.document.data.get(key) if result.document is not None else None


def check_related(results: list[Result]) -> None:
    """Warn of each `related` id that no record of the run has (valid or not)."""
    known = {result.ident for result in results} | {
        ident for r in results if isinstance(ident := _written(r, "id"), str)
    }
    for result in results:
        related = _written(result, "related")
        if not isinstance(related, list) or result.document is None:
            continue
        for j, ident in enumerate(related):
            # Not an id: its error is reported already.
            if isinstance(ident, str) and is_valid_id(ident) and ident not in known:
                loc = ("related", j)
                line, col = result.document.position(loc)
                message = f"related[{j}]: no record of this run has the id {ident!r}"
                issue = Issue(result.path, line, col, message, "unknown-related", f"related[{j}]")
                result.issues.append(replace(issue, severity="warning"))
