"""Rendering records one by one: in-process or in worker processes, never raising.

A task is plain data (it goes to a worker process); its answer is the outputs' bytes, or
the issues that stopped it. A record that crashes its worker fails alone. The main process
alone writes files, so the output is the same whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from postmortem.checker import DEFAULT_POLICY, Policy, Result, check_bytes
from postmortem.derive import build_view
from postmortem.diagnostics import Issue
from postmortem.errors import PostmortemError
from postmortem.files import LoadError, read_file
from postmortem.manifest import digest
from postmortem.paths import read_picture
from postmortem.writers import Options, RenderContext, renderer

# Test hook: "crash:<id>" makes the worker rendering <id> die, "raise:<id>" makes it raise.
FAULT_ENV = "POSTMORTEM_FAULT_INJECT"


@dataclass(frozen=True)
class Task:
    """One record to render; plain data, so it can go to a worker process."""

    path: str
    digest: str  # of the bytes the build checked: the renderer reads the file again
    options: Options
    titles: dict[str, str]
    policy: Policy = DEFAULT_POLICY


@dataclass
class Rendered:
    """A worker's answer: output name → bytes, or the issues that stopped it."""

    path: str
    ident: str = ""
    outputs: dict[str, bytes] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    # Output name -> the file its bytes come from, for the images among the outputs.
    pictures: dict[str, str] = field(default_factory=dict)


def render_task(task: Task, checked: Result | None = None) -> Rendered:
    """Render one record (in a worker or in-process); never raises for a record's problem.

    `checked` is a check of the record this process already made (else it reads the file).
    """
    from postmortem.diagrams_adapter import diagrams_for

    out = Rendered(task.path)
    if checked is not None:
        result = checked
    else:
        try:
            source = read_file(task.path)
        except LoadError as exc:
            out.issues = [Issue(task.path, exc.line, exc.column, exc.message, exc.rule)]
            return out
        if digest(source) != task.digest:
            out.issues = [Issue(task.path, 0, 0, "record changed while rendering: run again", "io")]
            return out
        result = check_bytes(task.path, source, task.policy)
    if result.incident is None:
        out.issues = result.issues or [
            Issue(task.path, 0, 0, "record changed while rendering", "io")
        ]
        return out
    incident = result.incident
    out.ident = incident.id
    fault = os.environ.get(FAULT_ENV, "")
    if fault == f"crash:{incident.id}":
        os._exit(70)
    if fault == f"raise:{incident.id}":
        raise RuntimeError("injected fault")
    pictures = result.pictures  # each checked to be a file beside the record
    view = build_view(incident, today=task.options.today, titles=task.titles)
    record_dir = Path(task.path).parent
    ctx = RenderContext(
        options=task.options,
        record_dir=record_dir,
        diagrams=diagrams_for(view),
        source=result.rendition,  # the record of the audience (the PDF attaches it)
        source_name=Path(task.path).name,
        pictures=tuple(pictures),
    )
    for fmt in task.options.formats:
        try:
            out.outputs[f"{incident.id}.{fmt}"] = renderer(fmt)(view, ctx)
        except jinja2.TemplateError as exc:
            where, line = template_place(exc)
            message = f"{fmt}: template error in {where}{f':{line}' if line else ''}: {exc}"
            out.issues.append(Issue(task.path, 0, 0, message, "render"))
            out.outputs.clear()
            return out
        except PostmortemError as exc:
            out.issues.append(Issue(task.path, 0, 0, f"{fmt}: {exc}", "render"))
            out.outputs.clear()
            return out
    if "md" in task.options.formats and ctx.diagrams["timeline"] is not None:
        # Markdown cannot hold SVG inline: the timeline chart goes beside it as a file.
        out.outputs[ctx.diagrams["timeline_file"]] = str(ctx.diagrams["timeline"]).encode()
    if "html" in task.options.formats or "md" in task.options.formats:
        for shown in pictures:
            out.outputs[shown.name] = read_picture(shown)
            out.pictures[shown.name] = str(shown.path)
    return out


def template_place(exc: jinja2.TemplateError) -> tuple[str, int | None]:
    """The template file and line of an error: a syntax error names them; an error while
    rendering (an undefined name) is found in the traceback, which Jinja writes in terms
    of the templates' own files and lines."""
    where = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if where and line:
        return where, line
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return frame.filename, frame.lineno
    return where or "template", line


def run(tasks: list[Task], jobs: int) -> Iterator[Rendered]:
    """Render tasks, yielding in input order, in `jobs` worker processes (1: in-process).

    Each reads and checks its record again (the build kept only a lean copy of it).
    """
    if jobs <= 1 or len(tasks) <= 1:
        yield from (guarded(t) for t in tasks)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    broken_at = len(tasks)
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures: list[Future[Rendered] | None] = [pool.submit(guarded, t) for t in tasks]
        for i, future in enumerate(futures):
            assert future is not None
            futures[i] = None  # its outputs go once written, not at the end of the build
            try:
                yield future.result()
            except BrokenProcessPool:
                broken_at = i
                break
    # A worker died (the pool is then broken for every task in flight): redo the rest one
    # at a time, each in a fresh worker, so that only the record that kills it fails.
    for task in tasks[broken_at:]:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as single:
            try:
                yield single.submit(guarded, task).result()
            except BrokenProcessPool:
                message = "the renderer's worker process died on this record"
                yield Rendered(task.path, issues=[Issue(task.path, 0, 0, message, "crash")])


def guarded(task: Task, checked: Result | None = None) -> Rendered:
    """render_task, turning an unexpected exception into an issue for this record alone."""
    try:
        return render_task(task, checked)
    except Exception as exc:
        message = f"internal error while rendering ({type(exc).__name__}: {exc}); please report it"
        return Rendered(task.path, issues=[Issue(task.path, 0, 0, message, "internal")])
