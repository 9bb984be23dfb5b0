"""What a rebuild may keep: fingerprints, the whole-build key, and what stale outputs go.

A record's outputs are kept only when its fingerprint covers every input that changes
their bytes (its bytes and images, every option, the policy, the templates, the versions
of postmortem and of the engines, the overdue flags, the related titles) and the outputs
still hold what the manifest says. A build marks its manifest unfinished before its first
write, so after a killed build only outputs whose bytes still hash right are believed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path

from postmortem import __version__
from postmortem.checker import Policy
from postmortem.derive import is_overdue
from postmortem.errors import PostmortemError
from postmortem.files import LoadError, read_file
from postmortem.manifest import Entry, Manifest, digest, engines, tree_digest
from postmortem.paths import PathRefused, Picture, picture_at, read_picture
from postmortem.sinks import Sink
from postmortem.summary import RecordSummary
from postmortem.writers import Options, builtin_templates


@dataclass
class Checked:
    """A valid record as a build keeps it: what the index and the fingerprint need.

    The full Incident, its parsed YAML and its bytes are dropped once the record is checked
    (and, in-process, rendered), so that a build's memory does not grow with the number of
    records; a record rendered later (in a worker, or one with related links) is read and
    checked again.
    """

    path: str
    summary: RecordSummary
    digest: str  # of the record's bytes
    pictures: list[Picture]  # the images it shows, as check found them
    inputs: str  # inputs_digest(): its bytes and its images' bytes


def inputs_digest(source: bytes, pictures: list[Picture]) -> str:
    """A record's own inputs: its bytes and the bytes of the images it shows."""
    return digest(source, *[part for p in pictures for part in (p.name, read_picture(p))])


def options_digest(options: Options, policy: Policy) -> str:
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


def fingerprint(record: Checked, options: Options, env: str, titles: dict[str, str]) -> str:
    """What one record's outputs are made of (`env` is options_digest)."""
    summary = record.summary
    parts: list[bytes | str] = [__version__, env, record.inputs]
    # Outputs depend on "today" only through the overdue flags, and on other records only
    # through the titles of related incidents.
    parts.append(repr([is_overdue(a, options.today) for a in summary.action_items]))
    parts.append(repr([titles.get(r) for r in summary.related]))
    return digest(*parts)


def build_key(inputs: dict[str, str], options: Options, env: str) -> str:
    """What a whole build was made from: every record's inputs_digest, options, today."""
    parts = [__version__, env, options.today.isoformat()]
    for path in sorted(inputs):
        parts += [path, inputs[path]]
    return digest(*parts)


def begin(sink: Sink, old: Manifest | None) -> None:
    """Make the sink ready; mark its manifest unfinished before the build's first write."""
    sink.prepare()
    if old is not None and old.complete:
        sink.save_manifest(replace(old, complete=False))


def current(sink: Sink, entry: Entry, complete: bool) -> bool:
    """Whether an entry's outputs are as its build left them: still there after a build
    that finished; after one that did not, still holding the bytes it recorded."""
    if complete:
        return all(sink.is_file(name) for name in entry.outputs)
    return all(sink.holds(name, sha) for name, sha in entry.outputs.items())


def unchanged_build(
    files: list[Path], sink: Sink, options: Options, env: str, old: Manifest
) -> list[str] | None:
    """The ids of a rebuild with nothing to do, or None when anything may have changed.

    The last build finished, rendered every record and the index from exactly these
    inputs, and its outputs are all still there: nothing is parsed, checked or rendered.
    """
    if not old.build or not old.complete:
        return None
    if sorted(map(str, files)) != sorted(old.pictures):
        return None
    if any(e.source not in old.pictures for e in old.records.values()):
        return None  # outputs of records outside this run: are they gone? the long way
    try:
        # File by file: a thousand records are never in memory at once. Each image is
        # found again as check finds it: a link that changed is a change, never a read.
        inputs = {
            path: inputs_digest(read_file(path), [picture_at(Path(path).parent, n) for n in names])
            for path, names in old.pictures.items()
        }
    except (OSError, LoadError, PostmortemError):  # a record or picture gone, or refused
        return None
    if build_key(inputs, options, env) != old.build:
        return None
    names = [name for e in old.records.values() for name in e.outputs] + old.index
    if not all(sink.is_file(name) for name in names):
        return None
    return sorted(old.records)


def remove_stale(sink: Sink, old: Manifest, new: Manifest) -> list[Path]:
    """Delete outputs of records that are gone: only files the manifest says we wrote and
    that still hold what we wrote (a file put in its place is someone else's)."""
    keep = {name for e in new.records.values() for name in e.outputs}
    removed = []
    for ident, entry in old.records.items():
        if ident in new.records:
            continue
        for name, sha in entry.outputs.items():
            if name in keep:
                continue
            try:
                if sink.holds(name, sha) and sink.remove(name):
                    removed.append(sink.path(name))
            except PathRefused:
                continue
    return removed
