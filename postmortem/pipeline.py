"""The one build: find → check → derive → render → emit, into any sink.

`render` (a folder), `index` (the joined shards' folder) and the MkDocs plugin (memory) all
go through `build`. A record that is invalid, or that fails to render, is reported and left
out; the others are still written, and the failed record's earlier outputs are left as
they were. An error in an index template is a diagnostic at the template's line.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from postmortem.checker import (
    DEFAULT_POLICY,
    Policy,
    Result,
    check_file,
    check_unique_ids,
    discover,
    no_collection,
)
from postmortem.diagnostics import Issue
from postmortem.errors import UsageError
from postmortem.incremental import (
    Checked,
    begin,
    build_key,
    current,
    fingerprint,
    inputs_digest,
    options_digest,
    remove_stale,
    unchanged_build,
)
from postmortem.manifest import Entry, Manifest, digest, engines, sums
from postmortem.paths import Claims, PathRefused
from postmortem.sinks import FolderSink, Sink
from postmortem.summary import RecordSummary
from postmortem.workers import Rendered, Task, guarded, run, template_place
from postmortem.writers import Options

# The index's files: no record's output may take these names.
INDEX_NAMES = ("index.md", "index.html", "index-months.svg")


@dataclass
class Summary:
    """What a build did."""

    total: int = 0
    rendered: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)


def in_shard(ident: str, k: int, n: int) -> bool:
    """Whether record `ident` belongs to slice k (1-based) of n: stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(ident.encode()).digest()[:8], "big") % n == k - 1


def build(
    paths: Sequence[str | Path],
    sink: Sink | Path,
    options: Options,
    *,
    jobs: int = 1,
    force: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
    shard: tuple[int, int] | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> Summary:
    """Check every record under `paths`, render what changed into `sink`, write the index.

    `sink` is a folder (a Path), or any Sink (sinks.py). With `shard=(k, n)` only the
    records of slice k of n (by id) are rendered, and no index is written: `join_shards`
    makes the site of n such folders. Raises UsageError, having changed nothing, when
    `paths` hold no record or the sink cannot be written; raises PostmortemError when a
    file cannot be written (each output is then old or new, whole).
    """
    place = FolderSink(sink) if isinstance(sink, Path) else sink
    # What lives until the end of the build (modules, compiled templates, the summaries)
    # goes out of the garbage collector's way: its full collections, which rendering's many
    # allocations set off, stop walking it again and again. Not when the caller keeps
    # frozen objects of its own; and undone however the build ends.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        return _Build(paths, place, options, jobs, force, progress, shard, policy).run()
    finally:
        if freeze:
            gc.unfreeze()


class _Build:
    """One run of `build`: its inputs, and what it has decided so far."""

    def __init__(
        self,
        paths: Sequence[str | Path],
        sink: Sink,
        options: Options,
        jobs: int,
        force: bool,
        progress: Callable[[int, int, str], None] | None,
        shard: tuple[int, int] | None,
        policy: Policy,
    ) -> None:
        self.paths, self.sink, self.options, self.jobs = paths, sink, options, jobs
        self.force, self.progress, self.shard, self.policy = force, progress, shard, policy
        self.summary = Summary()
        self.env = options_digest(options, policy)
        self.new = Manifest(engines=engines("pdf" in options.formats))
        self.old: Manifest | None = None
        self.trusted: Manifest | None = None
        self.claims = index_claims()
        self.ours: set[str] = set()
        self.handled: set[str] = set()  # paths rendered (or found unchanged) while checked
        self.total = 0

    def run(self) -> Summary:
        files = discover(self.paths)
        if not files:
            # A usage error changes nothing in the output folder, not even the index.
            where = ", ".join(map(str, self.paths))
            raise UsageError(f"no *.yaml or *.yml records found in {where}")
        self.old = self.sink.load_manifest()
        # What an earlier build says is current, if anything: not with --force, nor when
        # other engines made its bytes.
        old = self.old
        if not self.force and old is not None and old.engines == self.new.engines:
            self.trusted = old
            if self.shard is None:
                same = unchanged_build(files, self.sink, self.options, self.env, old)
                if same is not None:
                    return Summary(total=len(files), unchanged=same)
        begin(self.sink, old)
        # Files a build of ours wrote (even under --force): the others are the user's, and
        # no record may replace them.
        self.ours = {n for e in old.records.values() for n in e.outputs} if old else set()
        self.total = len(files)
        results, valid = check_for_build(files, self.policy, self._render_now)
        del files  # a thousand Path objects need not live through the build
        self._render_rest(results, valid)
        return self._finish(results, valid)

    def _keep_if_current(self, record: Checked, fingerprint: str) -> bool:
        """Keep the last build's outputs of `record` if they are still right; whether kept."""
        trusted = self.trusted
        entry = trusted.records.get(record.summary.id) if trusted else None
        if (
            trusted is None
            or entry is None
            or entry.fingerprint != fingerprint
            or not current(self.sink, entry, trusted.complete)
        ):
            return False
        owners = {p.name: str(p.path) for p in record.pictures}
        if any(self.claims.problem(n, owners.get(n, record.path)) for n in entry.outputs):
            return False  # rendered again, to say what is wrong
        for name in entry.outputs:
            self.claims.claim(name, owners.get(name, record.path))
        self.new.records[record.summary.id] = entry
        self.summary.unchanged.append(record.summary.id)
        return True

    def _take(self, rendered: Rendered, fingerprint: str) -> None:
        """Write one record's outputs, or note why it has none."""
        if not rendered.issues and rendered.outputs:
            rendered.issues = output_problems(rendered, self.claims, self.sink, self.ours)
        if rendered.issues or not rendered.outputs:
            self.summary.issues += rendered.issues
            self.summary.failed.append(rendered.path)
            return
        for name, data in rendered.outputs.items():
            self.claims.claim(name, rendered.pictures.get(name, rendered.path))
            if self.sink.write(name, data):
                self.summary.written.append(self.sink.path(name))
        self.new.records[rendered.ident] = Entry(
            source=rendered.path, fingerprint=fingerprint, outputs=sums(rendered.outputs)
        )
        self.summary.rendered.append(rendered.ident)

    def _wanted(self, ident: str) -> bool:
        return self.shard is None or in_shard(ident, *self.shard)

    def _render_now(self, result: Result, record: Checked) -> None:
        """In-process, a record that names no related incident needs nothing of the others:
        render it from the check at hand instead of reading and checking it again later."""
        if self.jobs > 1 or record.summary.related or not self._wanted(record.summary.id):
            return
        self.handled.add(record.path)
        made_of = fingerprint(record, self.options, self.env, {})
        if not self._keep_if_current(record, made_of):
            task = Task(record.path, record.digest, self.options, {}, self.policy)
            self._take(guarded(task, result), made_of)
        if self.progress:
            self.progress(len(self.handled), self.total, record.path)

    def _render_rest(self, results: list[Result], valid: list[Checked]) -> None:
        """Render the records not rendered while checking (in workers, or with related)."""
        for result in results:
            self.summary.issues += result.issues
            # A record internal as a whole is not in a public build: left out, not failed.
            if not result.ident and not result.withheld:
                self.summary.failed.append(result.path)
        self.summary.total = len(results)
        # Titles of every record, not only the shard's: related links must not depend on
        # sharding.
        titles = {r.summary.id: r.summary.title for r in valid}
        todo: list[tuple[Checked, str]] = []
        for record in valid:
            if record.path in self.handled or not self._wanted(record.summary.id):
                continue
            made_of = fingerprint(record, self.options, self.env, titles)
            if not self._keep_if_current(record, made_of):
                todo.append((record, made_of))
        tasks = [Task(r.path, r.digest, self.options, titles, self.policy) for r, _ in todo]
        done = self.total - len(tasks)
        for (_, made_of), rendered in zip(todo, run(tasks, self.jobs), strict=True):
            self._take(rendered, made_of)
            done += 1
            if self.progress:
                self.progress(done, self.total, rendered.path)
        # In the order of the records, however they were rendered.
        rank = {r.summary.id: i for i, r in enumerate(valid)}
        self.summary.rendered.sort(key=rank.__getitem__)
        self.summary.unchanged.sort(key=rank.__getitem__)

    def _finish(self, results: list[Result], valid: list[Checked]) -> Summary:
        """Keep what failed now, remove what is gone, write the index and the manifest."""
        summary, new, old = self.summary, self.new, self.old
        # Keep the entries of records that failed now, so their old outputs stay known.
        failed_paths = set(summary.failed)
        inputs = {r.path for r in results}
        if old:
            for ident, entry in old.records.items():
                other_shard = not self._wanted(ident)
                # A record this run was not asked about (`render one.yaml -o site/`) is not
                # gone while its file is there: its outputs stay.
                elsewhere = entry.source not in inputs and Path(entry.source).is_file()
                if ident not in new.records and (
                    entry.source in failed_paths or other_shard or elsewhere
                ):
                    new.records[ident] = entry
                    # Kept from a build that did not finish: the next build checks its bytes.
                    new.complete = new.complete and (
                        old.complete or current(self.sink, entry, False)
                    )
            summary.removed = remove_stale(self.sink, old, new)
        if self.shard is None:
            new.index = write_index([r.summary for r in valid], self.sink, self.options, summary)
            if not summary.failed:
                new.pictures = {r.path: [p.name for p in r.pictures] for r in valid}
                new.build = build_key({r.path: r.inputs for r in valid}, self.options, self.env)
        self.sink.save_manifest(new)
        return summary


def check_for_build(
    files: Sequence[Path],
    policy: Policy,
    visit: Callable[[Result, Checked], None] | None = None,
) -> tuple[list[Result], list[Checked]]:
    """Check every record file as `check` does, keeping only the summary of the valid ones.

    `visit` sees each valid record while its full check is at hand (not a later record
    whose id an earlier one took): the build renders it there, and so need not read and
    check it again.
    """
    results: list[Result] = []
    keep: dict[str, Checked] = {}
    seen: set[str] = set()
    for path in files:
        with no_collection():
            result = check_file(path, policy)
        if result.incident is not None:
            record = Checked(
                result.path,
                RecordSummary.of(result.incident),
                digest(result.source),
                result.pictures,
                inputs_digest(result.source, result.pictures),
            )
            keep[result.path] = record
            # The first record of an id keeps it (check_unique_ids flags the later ones).
            if visit is not None and result.ident not in seen:
                visit(result, record)
            seen.add(result.ident)
        result.incident, result.document = None, None
        result.source = result.rendition = b""
        results.append(result)
    check_unique_ids(results)  # may take the id of a later duplicate away
    return results, [keep[r.path] for r in results if r.ident]


def index_claims() -> Claims:
    """The claims of a new build: the index's names are taken before any record's."""
    claims = Claims()
    for name in INDEX_NAMES:
        claims.claim(name, "the index")
    return claims


def output_problems(rendered: Rendered, claims: Claims, sink: Sink, ours: set[str]) -> list[Issue]:
    """Why `rendered`'s outputs cannot be written (none: they can), before any is written.

    A name another output of this build has (a page, another record's image, a folder of
    one) is refused; so is a file in the sink that no build of ours wrote and whose bytes
    differ (the user's CNAME, logo.png): a record never replaces what is not its own.
    """
    problems = []
    for name, data in rendered.outputs.items():
        problem = claims.problem(name, rendered.pictures.get(name, rendered.path))
        if problem is None:
            try:
                existing = sink.read(name)
            except PathRefused as exc:
                problem = str(exc)
            else:
                if existing is not None and name not in ours and existing != data:
                    problem = (
                        f"{sink.path(name)} exists and was not written by postmortem; "
                        "rename the image, or move that file out of the output folder"
                    )
        if problem:
            message = f"cannot write {name!r}: {problem}"
            problems.append(Issue(rendered.path, 0, 0, message, "output"))
    return problems


def write_index(
    records: list[RecordSummary], sink: Sink, options: Options, summary: Summary
) -> list[str]:
    """Write the index's files (adding those that changed to `summary.written`); their names.

    An error in an index template fails the build, reported at the template's file and
    line; the pages written before it stay whole.
    """
    from postmortem.writers.index import render_index

    names = []
    try:
        for name, data in render_index(records, options):
            if sink.write(name, data):
                summary.written.append(sink.path(name))
            names.append(name)
            del data  # written: not kept while the next page is made
    except jinja2.TemplateError as exc:
        where, line = template_place(exc)
        message = f"index: template error: {exc}"
        summary.issues.append(Issue(where, line or 0, 0, message, "render"))
        summary.failed.append(where)
    return sorted(names)
