"""postmortem: turn YAML incident records into post-mortem documents.

The library under the `postmortem` command (which is a thin layer of click on top):

    import postmortem

    for result in postmortem.check(["incidents/"]):     # every record, every issue
        for issue in result.issues:
            print(postmortem.format_issue(issue))
    record = postmortem.load("incidents/aws-2021-12-07-us-east-1.yaml")
    pages = postmortem.render("incidents/aws-2021-12-07-us-east-1.yaml", formats=("md",))
    summary = postmortem.build(["incidents/"], "site", formats=("md", "html"))

Nothing here imports click, and each function imports what it needs when called (WeasyPrint
only for a PDF). Errors a caller can act on are PostmortemError; an invalid record is
InvalidRecord, which carries the record's issues.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from postmortem.errors import InvalidRecord, PostmortemError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from postmortem.checker import Policy, Result
    from postmortem.diagnostics import Issue
    from postmortem.model import Incident
    from postmortem.pipeline import Summary
    from postmortem.writers import Options

__all__ = [
    "InvalidRecord",
    "PostmortemError",
    "__version__",
    "build",
    "check",
    "format_issue",
    "load",
    "options",
    "render",
]

FORMATS = ("md", "html", "pdf")


def check(paths: Sequence[str | os.PathLike[str]], policy: Policy | None = None) -> list[Result]:
    """Check every record under `paths` (files, or folders searched for *.yaml, *.yml) as
    `postmortem check` does: one Result per file, with its Incident when it is valid and
    every Issue found (ids unique across the files of the call)."""
    from postmortem.checker import DEFAULT_POLICY, check_paths

    return check_paths(paths, policy or DEFAULT_POLICY)


def load(path: str | os.PathLike[str], policy: Policy | None = None) -> Incident:
    """The valid record at `path`; InvalidRecord (with its issues) when it is not valid."""
    [result] = check([path], policy)
    if result.incident is None:
        raise InvalidRecord(str(path), result.issues)
    return result.incident


def options(
    *,
    formats: Sequence[str] = FORMATS,
    today: date | None = None,
    templates: str | os.PathLike[str] | None = None,
    page_size: str = "A4",
    source_date_epoch: int | None = None,
    pdf_variant: str | None = None,
) -> Options:
    """Render options, as `postmortem render`'s flags give them (today: the current date)."""
    from postmortem.writers import Options

    return Options(
        formats=tuple(formats),
        templates=Path(templates) if templates is not None else None,
        page_size=page_size,
        today=today or date.today(),
        source_date_epoch=source_date_epoch,
        pdf_variant=pdf_variant,
    )


def render(
    path: str | os.PathLike[str],
    *,
    formats: Sequence[str] = FORMATS,
    today: date | None = None,
    policy: Policy | None = None,
    **settings: object,
) -> dict[str, bytes]:
    """One record → the bytes of each output, by file name: `<id>.md`, `<id>.html`,
    `<id>.pdf`, and beside them the timeline chart and the images it shows. Writes
    nothing. InvalidRecord when the record is not valid or cannot be rendered.
    `settings` are the other keywords of `options()`."""
    from postmortem.checker import DEFAULT_POLICY
    from postmortem.manifest import digest
    from postmortem.workers import Task, guarded

    # settings are options()'s other keywords, passed on as given: mypy cannot match
    # `**object` to them; options() refuses an unknown one (TypeError).
    chosen = options(formats=formats, today=today, **settings)  # type: ignore[arg-type]
    [result] = check([path], policy)
    if result.incident is None:
        raise InvalidRecord(str(path), result.issues)
    task = Task(str(path), digest(result.source), chosen, {}, policy or DEFAULT_POLICY)
    rendered = guarded(task, result)
    if rendered.issues:
        raise InvalidRecord(str(path), rendered.issues)
    return rendered.outputs


def build(
    paths: Sequence[str | os.PathLike[str]],
    outdir: str | os.PathLike[str],
    *,
    formats: Sequence[str] = FORMATS,
    today: date | None = None,
    policy: Policy | None = None,
    jobs: int = 1,
    force: bool = False,
    **settings: object,
) -> Summary:
    """Check every record under `paths` and render what changed into the folder `outdir`,
    with the index, as `postmortem render` does; the Summary says what was rendered, kept,
    failed (with the issues), written and removed. PostmortemError for what stops the
    whole build (no records, a folder that cannot be written)."""
    from postmortem.checker import DEFAULT_POLICY
    from postmortem.pipeline import build as run

    # settings are options()'s other keywords, passed on as given: mypy cannot match
    # `**object` to them; options() refuses an unknown one (TypeError).
    chosen = options(formats=formats, today=today, **settings)  # type: ignore[arg-type]
    return run(
        [Path(p) for p in paths],
        Path(outdir),
        chosen,
        jobs=jobs,
        force=force,
        policy=policy or DEFAULT_POLICY,
    )


def format_issue(issue: Issue) -> str:
    """`PATH:LINE:COL: error: MESSAGE [rule]`, one safe line, as the command prints it."""
    from postmortem.diagnostics import format_text

    return format_text(issue)
