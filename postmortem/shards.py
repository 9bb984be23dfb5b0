"""Joining shard folders (`render --shard K/N`) into one site, through the one build.

The shards' outputs are copied (read as the build reads its own: no link followed, regular
files only) and their manifests merged; then `build` runs over the records they name, finds
every one unchanged, and writes the index and the manifest exactly as a full build would.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from postmortem.checker import DEFAULT_POLICY, Policy, discover
from postmortem.diagnostics import printable
from postmortem.errors import PostmortemError
from postmortem.incremental import begin
from postmortem.manifest import Manifest, load
from postmortem.output import OutputFolder
from postmortem.pipeline import Summary, build
from postmortem.sinks import FolderSink
from postmortem.writers import Options


def join_shards(
    shard_dirs: Sequence[Path],
    outdir: Path,
    options: Options,
    policy: Policy = DEFAULT_POLICY,
    records: Sequence[Path] = (Path("incidents"),),
) -> Summary:
    """Copy the outputs of shard folders into `outdir`, merge their manifests, write the index.

    The records are read again, so run this in the checkout the shards were rendered from,
    with the same options. Only records found under `records` are read: a shard folder is an
    artifact another job uploaded, and its manifest could name any file on this machine.
    """
    known = {path.resolve(): path for path in discover(records)}
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
        if merged.records and manifest.engines != merged.engines:
            raise PostmortemError(
                f"{folder} was rendered with other versions of postmortem's engines than "
                "the shards before it; render every shard on one kind of machine"
            )
        merged.engines = manifest.engines
        for ident, entry in manifest.records.items():
            seen = merged.records.get(ident)
            if seen is not None and seen.fingerprint != entry.fingerprint:
                raise PostmortemError(
                    f"{ident!r} differs between shards ({folder}): were they rendered from "
                    "the same records with the same options?"
                )
            if Path(entry.source).resolve() not in known:
                raise PostmortemError(
                    f"{folder}: its manifest names {printable(entry.source)}, which is not one "
                    f"of the records in {', '.join(map(str, records))}: render the shards from "
                    "those records, or name the records the shards were rendered from with "
                    "--records"
                )
            merged.records[ident] = entry
            for name in entry.outputs:
                copies.setdefault(name, []).append(OutputFolder(folder))
    target = FolderSink(outdir)
    before = target.load_manifest()
    begin(target, before)
    ours = {n for e in before.records.values() for n in e.outputs} if before else set()
    for name, shards in sorted(copies.items()):
        found = {shard.path(name): shard.read(name) for shard in shards}
        for path, data in found.items():
            if data is None:
                raise PostmortemError(
                    f"{path} is listed in its shard's manifest but missing: render that shard again"
                )
        if len(set(found.values())) > 1:
            raise PostmortemError(
                f"{name!r} differs between shards ({', '.join(map(str, found))}): two "
                "records write it"
            )
        data = next(iter(found.values()))
        assert data is not None
        existing = target.read(name)
        if existing is not None and existing != data and name not in ours:
            raise PostmortemError(
                f"{target.path(name)} exists and was not written by postmortem; move it out "
                "of the output folder"
            )
        target.write(name, data)
    # The merged manifest says every copied output is current: the build keeps them all
    # (a record whose inputs changed since is rendered again), and adds the index.
    merged.complete = True
    target.save_manifest(merged)
    # The paths found here, not the manifest's text: nothing a manifest says is a path we read.
    sources = sorted({str(known[Path(e.source).resolve()]) for e in merged.records.values()})
    return build(sources, target, options, policy=policy)
