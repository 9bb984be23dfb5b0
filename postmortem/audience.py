"""Public and internal renditions: the marks a record may carry, and the one projection.

A record marks what only its own organisation may read; `project` turns it into an
ordinary record (no marks) for one audience, before validation, so that everything
downstream (check, derive, templates, diagrams, index, exports, the PDF's attachment)
sees only that record and knows nothing of audiences. Nothing can leak through a
template: what is internal is gone from the data, not hidden.

The marks (see docs/incident-format.md, "Public and internal"):
- `internal: true` on any mapping (a step, an event, an action item, ...): the mapping is
  left out of the public record; at the top level, the whole record is.
- `internal: [key, ...]` on any mapping: those keys are left out.
- `public: {key: text}` on any mapping: the public wording of that mapping's own keys.
- an entry of a list of text (authors, services, tags, contributing factors, lessons)
  written as `{text: ..., internal: true}` or `{text: ..., public: ...}`; a contributing
  factor's entry may carry its `id` too (format 1.1: `{id, text}`), which it keeps.
A cascade step left out is bridged: its effects are caused by its causes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel

from postmortem.diagnostics import Issue
from postmortem.loader import Document, Path, Places

AUDIENCES = ("internal", "public")
Audience = Literal["internal", "public"]
# The keys a mapping may carry as marks; and an entry of a list of text written as a mapping.
# (Format 1.1 keys: the format check refuses them in a format-1 record.)
KEYS = ("internal", "public")
ENTRY_KEYS = ("id", "text", "internal", "public")
RULE = "public-wording"
# A mark is a key, so its name stands before a colon (a quoted key may have its quote
# between). A key spelled with escapes ("\x69nternal") is missed here, and then refused by
# validation as an unknown key: the shortcut fails closed.
_MAY_MARK = re.compile(rb"(?:internal|public|text)['\"]?\s*:")


def may_mark(source: bytes) -> bool:
    """Whether a record's bytes may hold a mark (if not, the projection has nothing to do)."""
    return _MAY_MARK.search(source) is not None


@dataclass
class Projection:
    """A record for one audience: plain data (None: the record is internal as a whole)."""

    data: dict[str, Any] | None
    issues: list[Issue] = field(default_factory=list)
    # Original path → its path in `data` (None: left out); prefixes stand for what is below.
    moved: dict[Path, Path | None] = field(default_factory=dict)
    # Where the original record carries marks (for the format-1 check of format 1.1 keys).
    marks: list[Path] = field(default_factory=list)


class Projected(Document):
    """A projected record whose positions are those of the original file."""

    def __init__(self, data: dict[str, Any], original: Document, moved: dict[Path, Path | None]):
        super().__init__(data)
        self._original = original
        self._moved = moved

    def _located(self) -> Places:
        if self._places is None:
            old = self._original
            self._places = Places(
                positions=self._translated(old.positions),
                key_positions=self._translated(old.key_positions),
                readings=self._translated(old.readings),
            )
        return self._places

    def _translated(self, found: dict[Path, Any]) -> dict[Path, Any]:
        result: dict[Path, Any] = {}
        for path, value in found.items():
            new = self._to_new(path)
            if new is not None and new not in result:
                result[new] = value
        return result

    def _to_new(self, path: Path) -> Path | None:
        for end in range(len(path), 0, -1):
            head = path[:end]
            if head in self._moved:
                target = self._moved[head]
                return None if target is None else target + path[end:]
        return path


# --- the record's shape, from the model (so that keys format 1.1 adds are known too) -----


@cache
def _shape(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Each key of `model`: ("model", M), ("models", M), ("texts", None) or ("value", None)."""
    shape: dict[str, tuple[str, Any]] = {}
    for key, info in model.model_fields.items():
        shape[key] = _kind(info.annotation)
    return shape


def _kind(annotation: Any) -> tuple[str, Any]:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        # A model of entry keys only (a factor's {id, text}) is an entry of a list of text.
        if set(annotation.model_fields) <= set(ENTRY_KEYS):
            return "value", None
        return "model", annotation
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        inner = _kind(item)
        return ("models", inner[1]) if inner[0] == "model" else ("texts", None)
    if len(args) == 1 and get_origin(annotation) is not list:
        return _kind(args[0]) if args[0] is not annotation else ("value", None)
    for arg in args:
        found = _kind(arg)
        if found[0] != "value":
            return found
    return "value", None


def _required(model: type[BaseModel], key: str) -> bool:
    info = model.model_fields.get(key)
    return info is not None and info.is_required()


# --- the projection -------------------------------------------------------------------


def project(document: Document, audience: Audience, name: str) -> Projection:
    """`document`'s record for `audience`: marks checked and dropped, internal parts gone."""
    from postmortem.model import Incident

    out = Projection(None)
    walker = _Walker(document, audience, name, out)
    data = walker.mapping(document.data, Incident, (), ())
    if data is not None and audience == "public":
        walker.bridge(document.data, data)
        walker.unlink(document.data, data)
    out.data = data
    return out


def document_of(document: Document, projection: Projection) -> Document:
    """The projected record as a Document whose positions are the original file's."""
    assert projection.data is not None
    if not projection.marks:
        return document  # nothing moved: the original positions hold
    return Projected(projection.data, document, projection.moved)


def dump(data: dict[str, Any]) -> bytes:
    """A projected record as YAML text, deterministically (no comments: they may be internal)."""
    text = yaml.dump(
        data,
        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )
    return text.encode()


class _Walker:
    def __init__(self, doc: Document, audience: Audience, name: str, out: Projection) -> None:
        self.doc, self.public, self.name, self.out = doc, audience == "public", name, out

    def issue(self, at: Path, message: str, key: bool = False) -> None:
        place = self.doc.key_positions.get(at) if key else None
        line, col = place or self.doc.position(at)
        self.out.issues.append(Issue(self.name, line, col, message, RULE, _dotted(at)))

    def mapping(
        self, data: dict[str, Any], model: type[BaseModel] | None, old: Path, new: Path
    ) -> dict[str, Any] | None:
        """A mapping for the audience; None when it is left out."""
        out = self.out
        shape = _shape(model) if model is not None else {}
        internal = data.get("internal", False)
        public = data.get("public", {})
        hidden: set[str] = set()
        for mark in KEYS:
            if mark in data:
                out.marks.append((*old, mark))
                out.moved[(*old, mark)] = None
        if internal is True:
            if self.public:
                return None
        elif isinstance(internal, list) and all(isinstance(k, str) for k in internal):
            for k in internal:
                if k not in shape or k in KEYS:
                    self.issue((*old, "internal"), f"internal names {k!r}, not a key here")
            hidden.update(internal)
        elif internal is not False:
            self.issue((*old, "internal"), "internal: expected true, false or a list of keys")
        if not isinstance(public, dict):
            self.issue((*old, "public"), "public: expected a mapping of keys to public wordings")
            public = {}
        for k, text in public.items():
            if shape.get(k, ("", None))[0] != "value" or k in KEYS:
                self.issue((*old, "public", k), f"public: {k!r} is not a text key here", True)
            elif not isinstance(text, str):
                self.issue((*old, "public", k), f"public.{k}: expected text")
            elif k not in data:
                self.issue((*old, "public", k), f"public.{k}: there is no {k!r} to reword", True)
        result: dict[str, Any] = {}
        for key, value in data.items():
            if key in KEYS:
                continue
            at_old, at_new = (*old, key), (*new, key)
            if self.public and key in public and isinstance(public[key], str):
                result[key] = public[key]
                out.moved[at_old] = None
                out.moved[(*old, "public", key)] = at_new
                continue
            if self.public and key in hidden:
                out.moved[at_old] = None
                if model is not None and _required(model, key):
                    self.issue(
                        at_old,
                        f"{_dotted(at_old)} is required and internal: give its public wording "
                        f"(public: {{{key}: ...}})",
                        True,
                    )
                continue
            kind, inner = shape.get(key, ("value", None))
            if kind == "model" and isinstance(value, dict):
                value = self.mapping(value, inner, at_old, at_new)
                if value is None:
                    out.moved[at_old] = None
                    if model is not None and _required(model, key):
                        self.issue(at_old, f"{_dotted(at_old)} is required and internal", True)
                    continue
            elif kind in ("models", "texts") and isinstance(value, list):
                value = self.items(value, inner if kind == "models" else None, at_old, at_new)
                if not value and data[key]:
                    # Every entry internal: the key goes too, as if written public by hand
                    # (a required list then has no entry: check says so).
                    out.moved[at_old] = None
                    continue
            result[key] = value
        return result

    def items(
        self, entries: list[Any], model: type[BaseModel] | None, old: Path, new: Path
    ) -> list[Any]:
        """A list's entries for the audience, each moved to its new index."""
        kept: list[Any] = []
        for i, entry in enumerate(entries):
            at_old, at_new = (*old, i), (*new, len(kept))
            if model is not None and isinstance(entry, dict):
                value = self.mapping(entry, model, at_old, at_new)
            elif model is None and isinstance(entry, dict) and "text" in entry:
                value = self.entry(entry, at_old, at_new)
            else:
                value = entry
            self.out.moved[at_old] = None if value is None else at_new
            if value is not None:
                kept.append(value)
        return kept

    def entry(self, entry: dict[str, Any], old: Path, new: Path) -> Any:
        """An entry of a list of text written as `{id:, text:, internal:, public:}`.

        Its text (or public wording), or `{id, text}` when it has an id (validation says
        where an id is not allowed).
        """
        if "id" not in entry or "internal" in entry or "public" in entry:
            self.out.marks.append(old)  # a factor's plain {id, text} carries no mark
        for key in entry:
            if key not in ENTRY_KEYS:
                self.issue((*old, key), f"unknown key {key!r} in a text entry", True)
        internal, public = entry.get("internal", False), entry.get("public")
        if not isinstance(internal, bool):
            self.issue((*old, "internal"), "internal: expected true or false")
        if public is not None and not isinstance(public, str):
            self.issue((*old, "public"), "public: expected text")
            public = None
        ident = entry.get("id")
        at = new if ident is None else (*new, "text")
        if self.public and internal is True and public is None:
            return None
        if self.public and public is not None:
            self.out.moved[(*old, "text")] = None
            self.out.moved[(*old, "public")] = at
            text = public
        else:
            self.out.moved[(*old, "text")] = at
            text = entry["text"]
        return text if ident is None else {"id": ident, "text": text}

    def bridge(self, original: dict[str, Any], data: dict[str, Any]) -> None:
        """Give the kept steps the causes of the steps left out (transitively)."""
        steps = original.get("cascade")
        if not isinstance(steps, list) or not isinstance(data.get("cascade"), list):
            return
        kept = [i for i in range(len(steps)) if self.out.moved.get(("cascade", i)) is not None]
        if len(kept) == len(steps):
            return
        # The roots: the trigger (-1) and the latent conditions (-2, -3, ...; format 1.1).
        roots = ["trigger", *sorted(_ids({"conditions": original.get("conditions")}))]
        graph = _causes(steps, roots)
        if graph is None:
            return  # a malformed cascade: validation says what is wrong
        memo: dict[int, list[int]] = {}

        def through(i: int) -> list[int]:
            # The kept causes (or a root) of step i, bridging over those left out.
            if i in memo:
                return memo[i]
            memo[i] = []  # a cycle (validation reports it) ends here
            found: list[int] = []
            for c in graph[i]:
                for k in [c] if c < 0 or c in kept_set else through(c):
                    if k not in found:
                        found.append(k)
            memo[i] = found
            return found

        kept_set = set(kept)
        for position, i in enumerate(kept):
            want = through(i)
            if want == graph[i]:
                continue  # its causes are all kept: as written, or as implied
            default = [kept[position - 1] if position else -1]
            idents = [roots[-k - 1] if k < 0 else steps[k].get("id") for k in want]
            step = data["cascade"][position]
            self.out.moved[("cascade", i, "caused_by")] = None
            if want == default and ("caused_by" not in steps[i] or None in idents):
                step.pop("caused_by", None)  # implied by the step before it
                continue
            for k, ident in zip(want, idents, strict=True):
                if not isinstance(ident, str):
                    self.issue(
                        ("cascade", k),
                        f"cascade[{k}] needs an id: the public rendition names it as a cause "
                        f"of cascade[{i}], whose written causes are internal",
                    )
                    return
            step["caused_by"] = idents

    def unlink(self, original: dict[str, Any], data: dict[str, Any]) -> None:
        """Drop links to the conditions and factors left out (format 1.1): a step's cause, an
        action item's `addresses`. A step caused by nothing else is an issue: a cause invented
        for it would be false."""
        gone = _ids(original) - _ids(data)
        if not gone:
            return
        for key, links in (("cascade", "caused_by"), ("action_items", "addresses")):
            entries = data.get(key)
            for position, entry in enumerate(entries if isinstance(entries, list) else ()):
                written = entry.get(links) if isinstance(entry, dict) else None
                if not isinstance(written, list) or not gone & set(map(str, written)):
                    continue
                kept = [w for w in written if w not in gone]
                old = next((o for o, n in self.out.moved.items() if n == (key, position)), None)
                if old is None:
                    continue
                self.out.moved[(*old, links)] = None  # its entries moved: point at the item
                if kept or key == "action_items":
                    entry[links] = kept
                else:
                    self.issue(
                        (*old, links),
                        f"{_dotted(old)} is caused only by what is internal: make the step "
                        "internal too, or give a public condition or step as its cause",
                    )


def _ids(data: dict[str, Any]) -> set[str]:
    """The ids of steps, conditions and contributing factors written in a record."""
    found: set[str] = set()
    for key in ("cascade", "conditions", "contributing_factors"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found.add(entry["id"])
    return found


def _causes(steps: list[Any], roots: list[str]) -> list[list[int]] | None:
    """Each step's causes as indices (root j: -j-1), as model.causes reads them."""
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            return None
        if isinstance(step.get("id"), str):
            index.setdefault(step["id"], i)
    graph: list[list[int]] = []
    for i, step in enumerate(steps):
        written = step.get("caused_by")
        if written is None:
            graph.append([i - 1])
            continue
        names = [written] if isinstance(written, str) else written
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return None
        found = []
        for n in names:
            if n in roots:
                found.append(-roots.index(n) - 1)
            elif n in index:
                found.append(index[n])
            else:
                return None
        graph.append(found)
    return graph


def _dotted(loc: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in loc).replace(".[", "[")


def rendition(raw: bytes, audience: Audience, label: str) -> bytes:
    """A record's bytes for `audience`: as they are (internal), or its public record's YAML.

    Raises PostmortemError when the record cannot be read or is internal as a whole.
    """
    from postmortem.errors import PostmortemError
    from postmortem.files import LoadError
    from postmortem.loader import load_bytes

    if audience == "internal":
        return raw
    try:
        projection = project(load_bytes(raw), "public", label)
    except LoadError as exc:
        raise PostmortemError(f"{label}: the record is not valid YAML: {exc.message}") from None
    if projection.issues:
        raise PostmortemError(f"{label}: {projection.issues[0].message}")
    if projection.data is None:
        raise PostmortemError(f"{label}: the record is internal as a whole: it has no public one")
    return dump(projection.data)


def with_marks(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of the format, accepting the marks where `project` reads them."""
    internal = {
        "description": "true: internal (left out of the public rendition); or the keys that are",
        "anyOf": [{"type": "boolean"}, {"type": "array", "items": {"type": "string"}}],
    }
    public = {
        "description": "Public wordings of this mapping's own text keys",
        "type": "object",
        "additionalProperties": {"type": "string"},
    }
    for part in [schema, *schema.get("$defs", {}).values()]:
        properties = part.get("properties")
        if part.get("type") != "object" or properties is None:
            continue
        for value in properties.values():
            items = value.get("items")
            if value.get("type") == "array" and isinstance(items, dict) and "$ref" not in items:
                entry = {
                    "type": "object",
                    "properties": {
                        "text": items,
                        "internal": {"type": "boolean"},
                        "public": {"type": "string"},
                    },
                    "required": ["text"],
                    "additionalProperties": False,
                }
                value["items"] = {"anyOf": [items, entry]}
        properties.update({"internal": internal, "public": public})
    return schema
