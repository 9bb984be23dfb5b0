"""YAML bytes → plain data plus a map of where every node stood.

The record is built from the parser's event stream with an explicit stack, not from
PyYAML's constructor, so that:
- every value and key keeps its (line, column) for error messages: recorded when asked,
  else found by the same builder on first use (one builder, one error policy);
- duplicate keys, anchors/aliases, non-standard tags and deep nesting are refused
  as they are met, before any tree walk could blow up (billion laughs, 100,000 levels);
- plain scalars that YAML 1.1 reads as something other than text (`no`, `12:30`,
  `0755`, an unquoted date) are remembered, so validation can say "quote the value".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern
from typing import Any

import yaml
from yaml import events

from postmortem.files import LoadError, decode
from postmortem.yaml_scalars import STD, colon_hint, position_of, scalar

# libyaml's parser where PyYAML was built with it (the PyPI wheels are), else pure Python.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 20
MAX_NODES = 100_000

Path = tuple[str | int, ...]
Pos = tuple[int, int]


@dataclass
class Places:
    """Where each part of a record was written, and how YAML 1.1 read its plain scalars."""

    positions: dict[Path, Pos] = field(default_factory=dict)
    key_positions: dict[Path, Pos] = field(default_factory=dict)
    # Plain scalars that YAML 1.1 turned into a non-string: path → how it read them.
    readings: dict[Path, str] = field(default_factory=dict)


class Document:
    """A loaded record: plain data, and where each part of it was written.

    Positions are only needed to report an error, and recording ~600 of them per record
    costs as much as parsing it: they are found on first use, by parsing the text again
    (the same text gives the same positions).
    """

    def __init__(
        self, data: dict[str, Any], text: str | bytes = "", places: Places | None = None
    ) -> None:
        self.data = data
        self._text = text  # or the bytes it was decoded from (a checker keeps those anyway)
        self._places = places

    def _located(self) -> Places:
        if self._places is None:
            text = self._text if isinstance(self._text, str) else decode(self._text)
            places = Places()
            _parse(text, places)
            self._places = places
        return self._places

    @property
    def positions(self) -> dict[Path, Pos]:
        return self._located().positions

    @property
    def key_positions(self) -> dict[Path, Pos]:
        return self._located().key_positions

    @property
    def readings(self) -> dict[Path, str]:
        return self._located().readings

    def position(self, path: Path) -> Pos:
        """Where `path` was written, or its closest written ancestor."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


def load_bytes(raw: bytes, *, positions: bool = False) -> Document:
    """Decode and parse a record's bytes (as `load_text(decode(raw))`), or raise LoadError.

    The Document keeps `raw`, not the text, to find positions again if they are asked for.
    """
    return load_text(decode(raw), raw, positions=positions)


def load_text(text: str, source: bytes | None = None, *, positions: bool = False) -> Document:
    """Parse one YAML document into a Document, or raise LoadError.

    With `positions`, where each part stood is recorded while parsing; without, it is
    found on first use (most records have nothing to report, and recording costs as much
    as parsing).
    """
    keep = text if source is None else source
    places = Places() if positions else None
    try:
        data = _parse(text, places)
    except _PositionsNeeded:
        # The one error that names an earlier place (a duplicate key's first line): parse
        # again, recording, and the builder raises it worded in full.
        places = Places()
        data = _parse(text, places)
    return Document(data, keep, places)


class _PositionsNeeded(Exception):
    """Raised by the builder, when not recording, at an error whose message needs them."""


def _parse(text: str, places: Places | None) -> dict[str, Any]:
    """Build a record from `text`, turning PyYAML's errors into LoadErrors."""
    try:
        loader = _Loader(text)  # PyYAML's own reader (no libyaml) refuses characters here
        try:
            return _build(loader, places)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        rule = "yaml-syntax"
        if "maximum nesting depth" in problem:
            problem, rule = f"nesting deeper than {MAX_DEPTH} levels", "limit-depth"
        elif mark is not None and text[mark.index : mark.index + 1] == "\t":
            problem = "a tab character here: indent with spaces, not tabs"
        elif mark is not None and problem.startswith("mapping values are not allowed"):
            # libyaml says "in this context", PyYAML's own parser "here": one wording.
            problem = "mapping values are not allowed here" + colon_hint(text, mark.index)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = problem if rule == "limit-depth" else f"invalid YAML: {problem}"
        raise LoadError(message, rule, line, col) from None
    except yaml.reader.ReaderError as exc:
        head = text[: exc.position]
        line = head.count("\n") + 1
        col = exc.position - (head.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise LoadError(
            f"invalid character U+{ord(char):04X}: control characters are not allowed in YAML",
            "encoding",
            line,
            col,
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"invalid YAML: {exc}".splitlines()[0], "yaml-syntax", 1, 1) from None


# Plain scalar → its resolved tag: keys and enum values repeat across every record.
_RESOLVED: dict[str, str] = {}
_STR = STD + "str"
_COLLECTION_TAGS = (None, "!", STD + "map", STD + "seq")
_NOTHING: Any = object()  # a sentinel: never a key, never a value


def _build(loader: yaml.SafeLoader, places: Places | None) -> dict[str, Any]:
    """The record from the event stream, refusing YAML's traps as they are met.

    Where each part stood goes into `places` if given; without it, no path is built.
    A node is checked in the order the messages promise: the node limit, its anchor, its
    tag, the depth; a key must be text and new in its mapping.
    """
    # Locals: this loop runs once per event (~370 per record of the benchmark corpus) and
    # is most of `check`'s Python time: whatever is added to it is paid per event.
    # PyYAML's stubs leave these two untyped. An event is Any here: the loop dispatches on
    # its exact class (`kind is ...`), which mypy cannot narrow on, and isinstance would cost.
    get_event: Callable[[], Any] = loader.get_event
    resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = loader.resolve
    resolved = _RESOLVED
    nothing = _NOTHING
    str_tag = _STR
    max_nodes = MAX_NODES
    scalar_event = events.ScalarEvent
    mapping_start = events.MappingStartEvent
    sequence_start = events.SequenceStartEvent
    collection_end = (events.MappingEndEvent, events.SequenceEndEvent)
    # Frames: [container, its path (when recording), pending key (mappings) or nothing].
    stack: list[list[Any]] = []
    root: Any = nothing
    root_at: Pos = (1, 1)
    path: Path = ()  # of the node at hand, when recording
    reading: str | None = None  # how YAML 1.1 read the scalar at hand; reset once recorded
    documents = nodes = 0
    while True:
        ev = get_event()
        kind = ev.__class__
        if kind is scalar_event:
            nodes += 1
            if nodes > max_nodes:
                raise _too_many_nodes(ev)
            if ev.anchor is not None:
                raise _anchor(ev)
            value = ev.value
            tag = ev.tag
            if tag is None:
                if ev.implicit[0]:  # plain: how YAML 1.1 reads it (else quoted: text)
                    tag = resolved.get(value)
                    if tag is None:
                        tag = resolve(yaml.ScalarNode, value, ev.implicit)
                        if len(value) <= 64 and len(resolved) < 4096:
                            resolved[value] = tag
                    if tag != str_tag:
                        value, reading = scalar(ev, tag)
            else:
                if tag == "!":  # the non-specific tag: resolved as if plain
                    tag = resolve(yaml.ScalarNode, value, ev.implicit)
                if tag != str_tag:
                    value, reading = scalar(ev, tag)
        elif kind is mapping_start or kind is sequence_start:
            nodes += 1
            if nodes > max_nodes:
                raise _too_many_nodes(ev)
            if ev.anchor is not None:
                raise _anchor(ev)
            if ev.tag not in _COLLECTION_TAGS:
                raise LoadError(
                    f"tag {ev.tag!r} is not allowed: records hold plain data only",
                    "yaml-tag",
                    *position_of(ev),
                )
            if len(stack) >= MAX_DEPTH:
                raise LoadError(
                    f"nesting deeper than {MAX_DEPTH} levels", "limit-depth", *position_of(ev)
                )
            value = {} if kind is mapping_start else []
        elif kind in collection_end:
            stack.pop()
            continue
        elif kind is events.StreamEndEvent:
            break
        elif kind is events.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise LoadError(
                    "more than one YAML document: a record file holds one incident",
                    "yaml-multidoc",
                    *position_of(ev),
                )
            continue
        elif kind is events.AliasEvent:
            raise LoadError(
                "YAML aliases (*name) are not allowed: write the value out",
                "yaml-alias",
                *position_of(ev),
            )
        else:  # the stream's start, a document's end
            continue

        if places is not None:
            path = _record(places, stack, ev, value, reading)
            reading = None
        if not stack:
            if root is not nothing:  # pragma: no cover - the parser allows one root per document
                raise LoadError("unexpected content", "yaml-syntax", *position_of(ev))
            root, root_at = value, position_of(ev)
        else:
            frame = stack[-1]
            container = frame[0]
            if container.__class__ is list:
                container.append(value)
            else:
                key = frame[2]
                if key is nothing:  # `value` is a key
                    if value.__class__ is not str or value in container:
                        raise _bad_key(ev, value)
                    # One string per key name across all records, not one per occurrence.
                    frame[2] = intern(value)
                    continue
                container[key] = value
                frame[2] = nothing
        if kind is not scalar_event:
            stack.append([value, path, nothing])

    if root is nothing or root is None:
        raise LoadError("the file is empty: expected a mapping with id, title, …", "empty", 1, 1)
    if root.__class__ is not dict:
        kind = "a list" if isinstance(root, list) else f"a {type(root).__name__}"
        raise LoadError(
            f"the top level is {kind}; a record is a mapping of keys (id, title, date, …)",
            "type",
            *root_at,
        )
    return root


def _too_many_nodes(ev: events.Event) -> LoadError:
    return LoadError(
        f"more than {MAX_NODES:,} YAML nodes: too large for an incident record",
        "limit-nodes",
        *position_of(ev),
    )


def _anchor(ev: events.NodeEvent) -> LoadError:
    return LoadError(
        f"YAML anchors (&{ev.anchor}) are not allowed: write the value out",
        "yaml-alias",
        *position_of(ev),
    )


def _record(
    places: Places, stack: list[list[Any]], ev: events.Event, value: Any, reading: str | None
) -> Path:
    """Note where the node of `ev` stands, before it is placed; return its path.

    A key is refused here if it is not text or not new, so that a duplicate's message can
    name the first one's line.
    """
    if not stack:
        path: Path = ()
    else:
        container, parent, key = stack[-1]
        if container.__class__ is list:
            path = (*parent, len(container))
        elif key is _NOTHING:  # `value` is a key
            if value.__class__ is not str:
                raise _bad_key(ev, value)
            path = (*parent, value)
            first = places.key_positions.get(path)
            if first is not None:
                raise LoadError(
                    f"duplicate key {value!r} (first defined at line {first[0]}); YAML would "
                    "silently keep only the last one",
                    "duplicate-key",
                    *position_of(ev),
                )
            places.key_positions[path] = position_of(ev)
            return path
        else:
            path = (*parent, key)
    places.positions[path] = position_of(ev)
    if reading:
        places.readings[path] = reading
    return path


def _bad_key(ev: events.Event, key: Any) -> Exception:
    """The error for a key that is not text, or (positions not recorded) not new."""
    if key.__class__ is not str:
        return LoadError(
            f"keys must be text; YAML reads this key as {type(key).__name__}: quote it",
            "key-type",
            *position_of(ev),
        )
    return _PositionsNeeded()
