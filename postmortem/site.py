"""Many records → an output folder: check, render each valid record, write atomically.

A record that is invalid, or that fails to render, is reported and left out; the others
are still written, and the invalid record's earlier outputs are left as they were.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from postmortem.checker import Result, check_paths
from postmortem.derive import build_view
from postmortem.diagnostics import Issue
from postmortem.errors import PostmortemError
from postmortem.model import Incident
from postmortem.output import inside, write_atomic
from postmortem.render import Options, RenderContext, renderer
from postmortem.render.text import image_source, images, markdown_fields


@dataclass
class Summary:
    """What a render did: records rendered, files written, issues found."""

    rendered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def check_images(result: Result, incident: Incident) -> tuple[list[str], list[Issue]]:
    """Relative image paths used by the record, or issues for those that leave its folder."""
    folder = Path(result.path).parent.resolve()
    found: list[str] = []
    issues: list[Issue] = []
    assert result.document is not None
    for loc, text in markdown_fields(incident):
        for src in images(text):
            line, col = result.document.position(loc)
            rel = image_source(src)
            problem = None
            if rel is None:
                problem = "is not a relative path to a file beside the record"
            else:
                target = (folder / rel).resolve()
                if not target.is_relative_to(folder):
                    problem = "leaves the record's folder"
                elif not target.is_file():
                    problem = "does not exist"
            if problem:
                message = (
                    f"image {src!r} {problem}; images must be files in the record's folder, "
                    "written as relative paths (remote and file: URLs are refused)"
                )
                issues.append(Issue(result.path, line, col, message, "image"))
            else:
                found.append(posixpath.normpath(rel))  # type: ignore[arg-type]
    return found, issues


def render_paths(
    paths: Sequence[str | Path],
    outdir: Path,
    options: Options,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Check and render every record under `paths` into `outdir`."""
    summary = Summary()
    results = check_paths(paths)
    titles = {r.incident.id: r.incident.title for r in results if r.incident is not None}
    outdir.mkdir(parents=True, exist_ok=True)
    for result in results:
        summary.issues += result.issues
        incident = result.incident
        if incident is None:
            summary.failed.append(result.path)
            continue
        if progress:
            progress(result.path)
        pictures, issues = check_images(result, incident)
        if issues:
            summary.issues += issues
            summary.failed.append(result.path)
            continue
        try:
            summary.written += _render_one(result, incident, pictures, outdir, options, titles)
        except PostmortemError as exc:
            summary.issues.append(Issue(result.path, 0, 0, str(exc), "render"))
            summary.failed.append(result.path)
        else:
            summary.rendered.append(incident.id)
    return summary


def _render_one(
    result: Result,
    incident: Incident,
    pictures: list[str],
    outdir: Path,
    options: Options,
    titles: dict[str, str],
) -> list[Path]:
    view = build_view(incident, today=options.today, titles=titles)
    record_dir = Path(result.path).parent
    ctx = RenderContext(options=options, record_dir=record_dir, diagrams=_diagrams(view))
    outputs: dict[Path, bytes] = {}
    for fmt in options.formats:
        try:
            data = renderer(fmt)(view, ctx)
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or getattr(exc, "name", None) or "template"
            line = getattr(exc, "lineno", None)
            raise PostmortemError(
                f"{fmt}: template error in {where}{f':{line}' if line else ''}: {exc}"
            ) from None
        outputs[inside(outdir, f"{incident.id}.{fmt}")] = data
    # Render everything first, then write: a failure above leaves every old output as it was.
    written = [path for path, data in outputs.items() if write_atomic(path, data)]
    if "html" in options.formats or "md" in options.formats:
        for rel in pictures:
            target = inside(outdir, rel)
            source = (record_dir / rel).read_bytes()
            if write_atomic(target, source):
                written.append(target)
    return written


def _diagrams(view: object) -> dict[str, object]:
    """The pictures of one incident (filled in by the diagrams package when present)."""
    return {"cascade": None, "timeline": None, "mermaid": None}
