"""Many records → an output folder: check, render what changed, write atomically, index.

A record that is invalid, or that fails to render, is reported and left out; the others
are still written, and the failed record's earlier outputs are left as they were. Records
render in worker processes (`jobs`); the main process alone writes files, so the output
is the same whatever the number of workers.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from sys import intern
from typing import cast

import jinja2

from postmortem import __version__
from postmortem.checker import (
    DEFAULT_POLICY,
    Policy,
    Result,
    check_bytes,
    check_file,
    check_paths,
    check_unique_ids,
    discover,
    no_collection,
)
from postmortem.derive import build_view, is_overdue
from postmortem.diagnostics import Issue
from postmortem.errors import PostmortemError, UsageError
from postmortem.loader import LoadError, read_file
from postmortem.manifest import (
    Entry,
    Manifest,
    digest,
    engines,
    load,
    save,
    sums,
    tree_digest,
)
from postmortem.model import Incident
from postmortem.output import OutputFolder
from postmortem.paths import Claims, PathRefused, Picture, picture_at, read_picture
from postmortem.render import Options, RenderContext, builtin_templates, renderer

# Test hook: "crash:<id>" makes the worker rendering <id> die, "raise:<id>" makes it raise.
FAULT_ENV = "POSTMORTEM_FAULT_INJECT"


@dataclass
class Summary:
    """What a render did."""

    total: int = 0
    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


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
        source=result.source,
        source_name=Path(task.path).name,
        pictures=tuple(pictures),
    )
    for fmt in task.options.formats:
        try:
            out.outputs[f"{incident.id}.{fmt}"] = renderer(fmt)(view, ctx)
        except jinja2.TemplateError as exc:
            where, line = _template_place(exc)
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


@dataclass
class _Checked:
    """A valid record as a build keeps it: what the index and the fingerprint need.

    The full Incident, its parsed YAML and its bytes are dropped once the record is checked
    (and, in-process, rendered), so that a build's memory does not grow with the number of
    records; a record rendered later (in a worker, or one with related links) is read and
    checked again.
    """

    path: str
    incident: Incident  # lean_copy(): no prose
    digest: str  # of the record's bytes
    pictures: list[Picture]  # the images it shows, as check found them
    inputs: str  # inputs_digest(): its bytes and its images' bytes


def _template_place(exc: jinja2.TemplateError) -> tuple[str, int | None]:
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


@dataclass(frozen=True, slots=True)
class _Part:
    """A part of a lean record: the few attributes the index reads of it."""

    kind: str = ""
    start: datetime | None = None
    end: datetime | None = None
    time: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Action:
    """An action item as the index lists it."""

    title: str
    kind: str
    owner: str | None
    priority: str | None
    status: str
    due: date | None
    link: str | None


@dataclass(frozen=True, slots=True)
class _Lean:
    id: str
    title: str
    date: date
    status: str
    severity: str | None
    services: list[str]
    trigger: _Part
    impact: _Part
    detection: _Part | None
    resolution: _Part
    action_items: list[_Action]
    related: list[str]


def _interned(word: str | None) -> str | None:
    return None if word is None else intern(word)


def lean_copy(incident: Incident) -> Incident:
    """What the index, the fingerprint and related links read of a record: a tenth of it.

    Stands in for the Incident (same attribute names) in the index's code and templates.
    """
    detection = incident.detection
    # Words that repeat across records (statuses, kinds, owners, services) kept once each.
    lean = _Lean(
        id=incident.id,
        title=incident.title,
        date=incident.date,
        status=intern(incident.status),
        severity=_interned(incident.severity),
        services=[intern(s) for s in incident.services],
        trigger=_Part(kind=intern(incident.trigger.kind)),
        impact=_Part(start=incident.impact.start, end=incident.impact.end),
        detection=_Part(time=detection.time) if detection else None,
        resolution=_Part(
            mitigated=incident.resolution.mitigated, resolved=incident.resolution.resolved
        ),
        action_items=[
            _Action(
                a.title,
                intern(a.kind),
                _interned(a.owner),
                _interned(a.priority),
                intern(a.status),
                a.due,
                a.link,
            )
            for a in incident.action_items
        ],
        related=incident.related,
    )
    return cast(Incident, lean)


def check_for_build(
    files: Sequence[Path],
    policy: Policy,
    visit: Callable[[Result, _Checked], None] | None = None,
) -> tuple[list[Result], list[_Checked]]:
    """Check every record file as `check` does, keeping only the lean part of the valid ones.

    `visit` sees each valid record while its full check is at hand (not a later record
    whose id an earlier one took): the build renders it there, and so need not read and
    check it again.
    """
    results: list[Result] = []
    keep: dict[str, _Checked] = {}
    seen: set[str] = set()
    for path in files:
        with no_collection():
            result = check_file(path, policy)
        if result.incident is not None:
            record = _Checked(
                result.path,
                lean_copy(result.incident),
                digest(result.source),
                result.pictures,
                inputs_digest(result.source, result.pictures),
            )
            keep[result.path] = record
            # The first record of an id keeps it (check_unique_ids flags the later ones).
            if visit is not None and result.incident.id not in seen:
                visit(result, record)
            seen.add(result.incident.id)
            result.incident = record.incident
            result.document = None
        result.source = b""
        results.append(result)
    check_unique_ids(results)  # may take the incident of a later duplicate away
    return results, [keep[r.path] for r in results if r.incident is not None]


def inputs_digest(source: bytes, pictures: list[Picture]) -> str:
    """A record's own inputs: its bytes and the bytes of the images it shows."""
    return digest(source, *[part for p in pictures for part in (p.name, read_picture(p))])


def _fingerprint(record: _Checked, options: Options, env: str, titles: dict[str, str]) -> str:
    incident = record.incident
    parts: list[bytes | str] = [__version__, env, record.inputs]
    # Outputs depend on "today" only through the overdue flags, and on other records only
    # through the titles of related incidents.
    parts.append(repr([is_overdue(a, options.today) for a in incident.action_items]))
    parts.append(repr([titles.get(r) for r in incident.related]))
    return digest(*parts)


def render_paths(
    paths: Sequence[str | Path],
    outdir: Path,
    options: Options,
    *,
    jobs: int = 1,
    force: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    shard: tuple[int, int] | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> Summary:
    """Check every record under `paths`, render what changed into `outdir`, write the index.

    With `shard=(k, n)` only the records of slice k of n (by id) are rendered, and no index
    is written: `join_shards` makes the site of n such folders. Raises UsageError, having
    changed nothing, when `paths` hold no record or `outdir` cannot be a folder; raises
    PostmortemError when a file cannot be written (each output is then old or new, whole).
    """
    # What lives until the end of the build (modules, compiled templates, the lean records)
    # goes out of the garbage collector's way: its full collections, which rendering's many
    # allocations set off, stop walking it again and again. Not when the caller keeps
    # frozen objects of its own; and undone however the build ends.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        return _render_paths(paths, outdir, options, jobs, force, progress, shard, policy)
    finally:
        if freeze:
            gc.unfreeze()


def _render_paths(
    paths: Sequence[str | Path],
    outdir: Path,
    options: Options,
    jobs: int,
    force: bool,
    progress: Callable[[int, int, str], None] | None,
    shard: tuple[int, int] | None,
    policy: Policy,
) -> Summary:
    summary = Summary()
    files = discover(paths)
    if not files:
        # A usage error changes nothing in the output folder, not even the index.
        raise UsageError(f"no *.yaml or *.yml records found in {', '.join(map(str, paths))}")
    env = _options_digest(options, policy)
    made_by = engines("pdf" in options.formats)
    old = load(outdir)
    # What an earlier build says is current, if anything: not with --force, nor when other
    # engines made its bytes.
    trusted = None if force or old is None or old.engines != made_by else old
    if trusted is not None and shard is None:
        same = _unchanged_build(files, outdir, options, env, trusted)
        if same is not None:
            return same
    _begin(outdir, old)
    new = Manifest(engines=made_by)
    handled: set[str] = set()  # paths rendered (or found unchanged) while being checked
    folder = OutputFolder(outdir)
    claims = index_claims()
    # Files in the folder that a build of ours wrote (even under --force): the others are
    # the user's, and no record may replace them.
    ours = {n for e in old.records.values() for n in e.outputs} if old else set()

    def keep_if_current(record: _Checked, fingerprint: str) -> bool:
        """Keep the last build's outputs of `record` if they are still right; whether kept."""
        ident = record.incident.id
        entry = trusted.records.get(ident) if trusted else None
        if (
            entry is None
            or entry.fingerprint != fingerprint
            or not _current(outdir, entry, trusted.complete if trusted else False)
        ):
            return False
        owners = {p.name: str(p.path) for p in record.pictures}
        if any(claims.problem(n, owners.get(n, record.path)) for n in entry.outputs):
            return False  # rendered again, to say what is wrong
        for name in entry.outputs:
            claims.claim(name, owners.get(name, record.path))
        new.records[ident] = entry
        summary.unchanged.append(ident)
        return True

    def take(rendered: Rendered, fingerprint: str) -> None:
        """Write one record's outputs, or note why it has none."""
        if not rendered.issues and rendered.outputs:
            rendered.issues = output_problems(rendered, claims, folder, ours)
        if rendered.issues or not rendered.outputs:
            summary.issues += rendered.issues
            summary.failed.append(rendered.path)
            return
        for name, data in rendered.outputs.items():
            claims.claim(name, rendered.pictures.get(name, rendered.path))
            if folder.write(name, data):
                summary.written.append(folder.path(name))
        new.records[rendered.ident] = Entry(
            source=rendered.path, fingerprint=fingerprint, outputs=sums(rendered.outputs)
        )
        summary.rendered.append(rendered.ident)

    def render_now(result: Result, record: _Checked) -> None:
        # In-process, a record that names no related incident needs nothing of the others:
        # render it from the check at hand instead of reading and checking it again later.
        if jobs > 1 or record.incident.related:
            return
        if shard is not None and not in_shard(record.incident.id, *shard):
            return
        handled.add(record.path)
        fingerprint = _fingerprint(record, options, env, {})
        if not keep_if_current(record, fingerprint):
            task = Task(record.path, record.digest, options, {}, policy)
            take(_guarded(task, result), fingerprint)
        if progress:
            progress(len(handled), total, record.path)

    total = len(files)
    results, valid = check_for_build(files, policy, render_now)
    del files  # a thousand Path objects need not live through the build
    summary.total = len(results)
    for result in results:
        summary.issues += result.issues
        if result.incident is None:
            summary.failed.append(result.path)
    # Titles of every record, not only the shard's: related links must not depend on sharding.
    titles = {r.incident.id: r.incident.title for r in valid}
    if shard is not None:
        valid = [r for r in valid if in_shard(r.incident.id, *shard)]

    todo: list[tuple[_Checked, str]] = []
    for record in valid:
        if record.path in handled:
            continue
        fingerprint = _fingerprint(record, options, env, titles)
        if not keep_if_current(record, fingerprint):
            todo.append((record, fingerprint))

    tasks = [Task(r.path, r.digest, options, titles, policy) for r, _ in todo]
    done = total - len(tasks)
    for (_, fingerprint), rendered in zip(todo, _run(tasks, jobs), strict=True):
        take(rendered, fingerprint)
        done += 1
        if progress:
            progress(done, total, rendered.path)
    # In the order of the records, however they were rendered.
    rank = {r.incident.id: i for i, r in enumerate(valid)}
    summary.rendered.sort(key=rank.__getitem__)
    summary.unchanged.sort(key=rank.__getitem__)

    # Keep the entries of records that failed now, so their old outputs stay known.
    failed_paths = set(summary.failed)
    inputs = {r.path for r in results}
    if old:
        for ident, entry in old.records.items():
            other_shard = shard is not None and not in_shard(ident, *shard)
            # A record this run was not asked about (`render one.yaml -o site/`) is not
            # gone while its file is there: its outputs stay.
            elsewhere = entry.source not in inputs and Path(entry.source).is_file()
            if ident not in new.records and (
                entry.source in failed_paths or other_shard or elsewhere
            ):
                new.records[ident] = entry
                # Kept from a build that did not finish: the next build checks its bytes.
                new.complete = new.complete and (old.complete or _current(outdir, entry, False))
        summary.removed = _remove_stale(outdir, old, new)

    if shard is None:
        incidents = [r.incident for r in valid]
        new.index = _write_index(incidents, outdir, options, summary)
        if not summary.failed:
            new.pictures = {r.path: [p.name for p in r.pictures] for r in valid}
            new.build = _build_key({r.path: r.inputs for r in valid}, options, env)
    save(outdir, new)
    return summary


def _begin(outdir: Path, old: Manifest | None) -> None:
    """Make the output folder; mark its manifest incomplete before the build's first write.

    A build killed from here on leaves that mark, and the next one believes an output of
    it only if its bytes still hash to what the manifest recorded.
    """
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        reason = getattr(exc, "strerror", None) or exc
        raise UsageError(f"cannot use {outdir} as the output folder: {reason}") from None
    if old is not None and old.complete:
        save(outdir, replace(old, complete=False))


def _current(outdir: Path, entry: Entry, complete: bool) -> bool:
    """Whether an entry's outputs are as its build left them: still there after a build
    that finished; after one that did not, still holding the bytes it recorded."""
    folder = OutputFolder(outdir)
    if complete:
        return all(folder.is_file(name) for name in entry.outputs)
    return all(folder.holds(name, sha) for name, sha in entry.outputs.items())


def in_shard(ident: str, k: int, n: int) -> bool:
    """Whether record `ident` belongs to slice k (1-based) of n: stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(ident.encode()).digest()[:8], "big") % n == k - 1


def join_shards(
    shard_dirs: Sequence[Path], outdir: Path, options: Options, policy: Policy = DEFAULT_POLICY
) -> Summary:
    """Copy the outputs of shard folders into `outdir`, merge their manifests, write the index.

    The records are read again from the sources named in the manifests, so run this in the
    same checkout the shards were rendered from.
    """
    summary = Summary()
    merged = Manifest()
    copies: dict[str, list[OutputFolder]] = {}
    for folder in shard_dirs:
        manifest = load(folder)
        if manifest is None:
            raise PostmortemError(
                f"{folder} has no postmortem manifest: render it first with "
                f"`postmortem render --shard K/N -o {folder}`"
            )
        if not manifest.complete:
            raise PostmortemError(f"{folder}: its render did not finish; render it again")
        for ident, entry in manifest.records.items():
            seen = merged.records.get(ident)
            if seen is not None and seen.fingerprint != entry.fingerprint:
                raise PostmortemError(
                    f"{ident!r} differs between shards ({folder}): were they rendered from "
                    "the same records with the same options?"
                )
            merged.records[ident] = entry
            for name in entry.outputs:
                copies.setdefault(name, []).append(OutputFolder(folder))
    before = load(outdir)
    _begin(outdir, before)
    merged.engines = engines("pdf" in options.formats)
    ours = {n for e in before.records.values() for n in e.outputs} if before else set()
    target = OutputFolder(outdir)
    for name, sources in sorted(copies.items()):
        # Read as the build reads its own outputs: no link followed, regular files only.
        found = {source.path(name): source.read(name) for source in sources}
        for path, data in found.items():
            if data is None:
                raise PostmortemError(
                    f"{path} is listed in its shard's manifest but missing: render that shard again"
                )
        if len(set(found.values())) > 1:
            raise PostmortemError(
                f"{name!r} differs between shards ({', '.join(map(str, found))}): two records "
                "write it"
            )
        data = next(iter(found.values()))
        assert data is not None
        existing = target.read(name)
        if existing is not None and existing != data and name not in ours:
            raise PostmortemError(
                f"{target.path(name)} exists and was not written by postmortem; move it out "
                "of the output folder"
            )
        if target.write(name, data):
            summary.written.append(target.path(name))
    results = check_paths(sorted({e.source for e in merged.records.values()}), policy)
    summary.total = len(results)
    for result in results:
        summary.issues += result.issues
        if result.incident is None:
            summary.failed.append(result.path)
    incidents = [r.incident for r in results if r.incident is not None]
    summary.unchanged = sorted(merged.records)
    merged.index = _write_index(incidents, outdir, options, summary)
    if not summary.failed:  # as one full build would have recorded it
        valid = [r for r in results if r.incident is not None]
        merged.pictures = {r.path: [p.name for p in r.pictures] for r in valid}
        inputs = {r.path: inputs_digest(r.source, r.pictures) for r in valid}
        merged.build = _build_key(inputs, options, _options_digest(options, policy))
    save(outdir, merged)
    return summary


# The index's files: no record's output may take these names.
INDEX_NAMES = ("index.md", "index.html", "index-months.svg")


def index_claims() -> Claims:
    """The claims of a new build: the index's names are taken before any record's."""
    claims = Claims()
    for name in INDEX_NAMES:
        claims.claim(name, "the index")
    return claims


def output_problems(
    rendered: Rendered,
    claims: Claims,
    folder: OutputFolder | None = None,
    ours: frozenset[str] | set[str] = frozenset(),
) -> list[Issue]:
    """Why `rendered`'s outputs cannot be written (none: they can), before any is written.

    A name another output of this build has (a page, another record's image, a folder of
    one) is refused; so is a file in the folder that no build of ours wrote and whose bytes
    differ (the user's CNAME, logo.png): a record never replaces what is not its own.
    """
    problems = []
    for name, data in rendered.outputs.items():
        problem = claims.problem(name, rendered.pictures.get(name, rendered.path))
        if problem is None and folder is not None:
            try:
                existing = folder.read(name)
            except PathRefused as exc:
                problem = str(exc)
            else:
                if existing is not None and name not in ours and existing != data:
                    problem = (
                        f"{folder.path(name)} exists and was not written by postmortem; "
                        "rename the image, or move that file out of the output folder"
                    )
        if problem:
            message = f"cannot write {name!r}: {problem}"
            problems.append(Issue(rendered.path, 0, 0, message, "output"))
    return problems


def _remove_stale(outdir: Path, old: Manifest, new: Manifest) -> list[Path]:
    """Delete outputs of records that are gone: only files the manifest says we wrote and
    that still hold what we wrote (a file put in its place is someone else's)."""
    keep = {name for e in new.records.values() for name in e.outputs}
    folder = OutputFolder(outdir)
    removed = []
    for ident, entry in old.records.items():
        if ident in new.records:
            continue
        for name, sha in entry.outputs.items():
            if name in keep:
                continue
            # Only a file that still holds what we wrote: one put in its place is the user's.
            if folder.holds(name, sha) and folder.remove(name):
                removed.append(folder.path(name))
    return removed


def _write_index(
    incidents: list[Incident], outdir: Path, options: Options, summary: Summary
) -> list[str]:
    """Write the index's files (adding those that changed to `summary.written`); their names.

    An error in an index template fails the build, reported at the template's file and
    line; the pages written before it stay whole.
    """
    from postmortem.render.index import render_index

    names = []
    folder = OutputFolder(outdir)
    try:
        for name, data in render_index(incidents, options):
            if folder.write(name, data):
                summary.written.append(folder.path(name))
            names.append(name)
            del data  # written: not kept while the next page is made
    except jinja2.TemplateError as exc:
        where, line = _template_place(exc)
        message = f"index: template error: {exc}"
        summary.issues.append(Issue(where, line or 0, 0, message, "render"))
        summary.failed.append(where)
    return sorted(names)


def _options_digest(options: Options, policy: Policy) -> str:
    """Everything besides the records that every output depends on: every option (but
    today, which counts per record through the overdue flags, and the templates' path,
    whose files count), the policy, the templates and the engines' versions."""
    chosen = [(f.name, getattr(options, f.name)) for f in fields(options)]
    return digest(
        repr([item for item in chosen if item[0] not in ("today", "templates")]),
        repr(policy),
        tree_digest(builtin_templates()),
        tree_digest(options.templates),
        json.dumps(engines("pdf" in options.formats), sort_keys=True),
    )


def _build_key(inputs: dict[str, str], options: Options, env: str) -> str:
    """What a whole build was made from: every record's inputs_digest, options, today."""
    parts = [__version__, env, options.today.isoformat()]
    for path in sorted(inputs):
        parts += [path, inputs[path]]
    return digest(*parts)


def _unchanged_build(
    found: list[Path], outdir: Path, options: Options, env: str, old: Manifest
) -> Summary | None:
    """The summary of a rebuild with nothing to do, or None when anything may have changed.

    The last build finished, rendered every record and the index from exactly these
    inputs, and its outputs are all still there: nothing is parsed, checked or rendered.
    """
    if not old.build or not old.complete:
        return None
    files = [str(p) for p in found]
    if sorted(files) != sorted(old.pictures):
        return None
    if any(e.source not in old.pictures for e in old.records.values()):
        return None  # outputs of records outside this run: are they gone? the long way
    try:
        # File by file: a thousand records are never in memory at once. Each image is
        # found again as check finds it: a link that changed is a change, never a read.
        inputs = {
            path: inputs_digest(
                Path(path).read_bytes(), [picture_at(Path(path).parent, n) for n in names]
            )
            for path, names in old.pictures.items()
        }
    except (OSError, PostmortemError):  # a record or picture gone, or refused now
        return None
    if _build_key(inputs, options, env) != old.build:
        return None
    names = [name for e in old.records.values() for name in e.outputs] + old.index
    folder = OutputFolder(outdir)
    if not all(folder.is_file(name) for name in names):
        return None
    return Summary(total=len(files), unchanged=sorted(old.records))


def _run(tasks: list[Task], jobs: int) -> Iterator[Rendered]:
    """Render tasks, yielding in input order, in `jobs` worker processes (1: in-process).

    Each reads and checks its record again (the build kept only a lean copy of it).
    """
    if jobs <= 1 or len(tasks) <= 1:
        yield from (_guarded(t) for t in tasks)
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    broken_at = len(tasks)
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=context) as pool:
        futures: list[Future[Rendered] | None] = [pool.submit(_guarded, t) for t in tasks]
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
                yield single.submit(_guarded, task).result()
            except BrokenProcessPool:
                message = "the renderer's worker process died on this record"
                yield Rendered(task.path, issues=[Issue(task.path, 0, 0, message, "crash")])


def _guarded(task: Task, checked: Result | None = None) -> Rendered:
    """render_task, turning an unexpected exception into an issue for this record alone."""
    try:
        return render_task(task, checked)
    except Exception as exc:
        message = f"internal error while rendering ({type(exc).__name__}: {exc}); please report it"
        return Rendered(task.path, issues=[Issue(task.path, 0, 0, message, "internal")])
