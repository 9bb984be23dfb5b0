"""YAML bytes → plain data plus a map of where every node stood.

The record is built from the parser's event stream with an explicit stack, not from
PyYAML's constructor, so that:
- every value and key keeps its (line, column) for error messages;
- duplicate keys, anchors/aliases, non-standard tags and deep nesting are refused
  as they are met, before any tree walk could blow up (billion laughs, 100,000 levels);
- plain scalars that YAML 1.1 reads as something other than text (`no`, `12:30`,
  `0755`, an unquoted date) are remembered, so validation can say "quote the value".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from sys import intern
from typing import Any

import yaml
from yaml import events

# libyaml's parser where PyYAML was built with it (the PyPI wheels are), else pure Python.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_NODES = 100_000

_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()

Path = tuple[str | int, ...]
Pos = tuple[int, int]


class LoadError(Exception):
    """The file is not a record we can read; `line`/`column` are 1-based (0: whole file)."""

    def __init__(self, message: str, rule: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.line = line
        self.column = column


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
            loader = _Loader(text)
            try:
                self._places = _build(loader)[1]
            finally:
                loader.dispose()
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


def read_file(path: str | os.PathLike[str]) -> bytes:
    """Read a record's bytes, refusing files over MAX_BYTES before reading them whole."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            # As many bytes as the file says it has, then one read to see the end: not a
            # 1 MiB buffer for every record. Never more than MAX_BYTES + 1 in all.
            expected = os.fstat(fd).st_size + 1
            limit = MAX_BYTES + 1
            parts: list[bytes] = []
            total = 0
            while total < limit:
                chunk = os.read(fd, min(limit - total, max(expected - total, 65536)))
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
        raw = b"".join(parts)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}", "io") from None
    if len(raw) > MAX_BYTES:
        size = os.path.getsize(path)
        raise LoadError(
            f"file is {size:,} bytes; records are limited to {MAX_BYTES:,} bytes (1 MiB)",
            "limit-size",
            1,
            1,
        )
    return raw


def decode(raw: bytes) -> str:
    """UTF-8 (a leading BOM is allowed) → text, or a LoadError at the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        head = raw[: exc.start]
        line = head.count(b"\n") + 1
        col = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise LoadError(
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            "encoding",
            line,
            col,
        ) from None


def _mark(ev: events.Event) -> Pos:
    return ev.start_mark.line + 1, ev.start_mark.column + 1


def _scalar(ev: events.ScalarEvent, loader: yaml.SafeLoader) -> tuple[Any, str | None]:
    """Construct a scalar's value; second item says how YAML 1.1 read a plain one."""
    tag = ev.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
    if tag == _STD + "str":
        return ev.value, None
    if tag not in _ALLOWED_TAGS:
        raise LoadError(
            f"tag {tag!r} is not allowed: records hold plain data only", "yaml-tag", *_mark(ev)
        )
    node = yaml.ScalarNode(tag, ev.value)
    try:
        if tag.endswith(":null"):
            value: Any = None
        elif tag.endswith(":bool"):
            value = _CONSTRUCTOR.construct_yaml_bool(node)
        elif tag.endswith(":int"):
            value = _CONSTRUCTOR.construct_yaml_int(node)
        elif tag.endswith(":float"):
            value = _CONSTRUCTOR.construct_yaml_float(node)
        else:
            value = _CONSTRUCTOR.construct_yaml_timestamp(node)
    # PyYAML's constructors trust that the resolver's pattern matched; text under an
    # explicit tag was never matched, and fails in their lookups (`!!bool maybe`: KeyError,
    # `!!int ""`: IndexError, `!!timestamp x`: AttributeError), not only in int() or date().
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, yaml.YAMLError) as exc:
        if ev.implicit[0]:
            # A plain scalar that only looks like a date (2021-13-01) stays text;
            # validation then says what is wrong with it.
            return ev.value, None
        raise LoadError(
            f"{ev.value!r} is not a valid {tag[len(_STD) :]}", "yaml-tag", *_mark(ev)
        ) from exc
    if not ev.implicit[0] or value is None:
        return value, None
    return value, _reading(ev.value, value)


def _reading(text: str, value: Any) -> str | None:
    """Describe a surprising YAML 1.1 reading of a plain scalar, or None if unsurprising."""
    if isinstance(value, bool):
        return f"YAML 1.1 reads {text} as the boolean {str(value).lower()}"
    if isinstance(value, int | float) and ":" in text:
        return f"YAML 1.1 reads {text} as the base-60 number {value}"
    if isinstance(value, int) and text.lstrip("+-").startswith("0") and text.strip("+-0"):
        return f"YAML 1.1 reads {text} as the octal number {value}"
    if isinstance(value, float) and str(value) != text:
        return f"YAML 1.1 reads {text} as the number {value}"
    if not isinstance(value, int | float):
        return f"YAML reads {text} as a date"
    return f"YAML reads {text} as a number"


def load_bytes(raw: bytes) -> Document:
    """Decode and parse a record's bytes (as `load_text(decode(raw))`), or raise LoadError.

    The Document keeps `raw`, not the text, to find positions again if they are asked for.
    """
    return load_text(decode(raw), raw)


def load_text(text: str, source: bytes | None = None) -> Document:
    """Parse one YAML document into a Document, or raise LoadError."""
    keep = text if source is None else source
    loader = _Loader(text)
    try:
        return Document(_build_data(loader), keep)
    except Exception:  # noqa: S110 - any doubt: the careful builder decides, and says why
        pass
    finally:
        loader.dispose()
    loader = _Loader(text)
    try:
        data, places = _build(loader)
        return Document(data, keep, places)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        rule = "yaml-syntax"
        if "maximum nesting depth" in problem:
            problem, rule = f"nesting deeper than {MAX_DEPTH} levels", "limit-depth"
        elif mark is not None and text[mark.index : mark.index + 1] == "\t":
            problem = "a tab character here: indent with spaces, not tabs"
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
    finally:
        loader.dispose()


class _Unsure(Exception):
    """The fast builder met something only the careful one can judge (or word)."""


# Plain scalar → its resolved tag: keys and enum values repeat across every record.
_RESOLVED: dict[str, str] = {}
_STR = _STD + "str"
_COLLECTION_TAGS = (None, "!", _STD + "map", _STD + "seq")


def _build_data(loader: yaml.SafeLoader) -> dict[str, Any]:
    """The record's data alone, for a record with nothing to report: the common case.

    It takes the data as `_build` would, without recording positions, and raises
    _Unsure at anything `_build` would refuse (and at anything unusual), so that
    `_build` then finds the error and its position. Keep the two in step.
    """
    get_event = loader.get_event
    resolve = loader.resolve
    resolved = _RESOLVED
    scalar_event = events.ScalarEvent
    mapping_start = events.MappingStartEvent
    sequence_start = events.SequenceStartEvent
    collection_end = (events.MappingEndEvent, events.SequenceEndEvent)
    no_key = _Unsure  # a sentinel: never a key
    stack: list[list[Any]] = []  # [container, pending key (mappings) or no_key]
    root: Any = no_key
    documents = nodes = 0
    while True:
        ev = get_event()
        kind = ev.__class__
        if kind is scalar_event:
            if ev.anchor is not None:
                raise _Unsure
            tag = ev.tag
            value = ev.value
            if tag is None or tag == "!":
                if ev.implicit[0]:
                    tag = resolved.get(value)
                    if tag is None:
                        tag = resolve(yaml.ScalarNode, value, ev.implicit)
                        if len(value) <= 64 and len(resolved) < 4096:
                            resolved[value] = tag
                else:
                    tag = _STR
            if tag != _STR:
                if tag not in _ALLOWED_TAGS:
                    raise _Unsure
                value = _scalar(ev, loader)[0]
        elif kind is mapping_start or kind is sequence_start:
            if ev.anchor is not None or ev.tag not in _COLLECTION_TAGS or len(stack) >= MAX_DEPTH:
                raise _Unsure
            value = {} if kind is mapping_start else []
        elif kind in collection_end:
            stack.pop()
            continue
        elif kind is events.StreamEndEvent:
            break
        elif kind is events.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Unsure
            continue
        elif kind is events.StreamStartEvent or kind is events.DocumentEndEvent:
            continue
        else:  # an alias, or an event this loop does not know
            raise _Unsure
        nodes += 1
        if nodes > MAX_NODES:
            raise _Unsure
        if not stack:
            if root is not no_key:
                raise _Unsure
            root = value
        else:
            frame = stack[-1]
            container = frame[0]
            if container.__class__ is list:
                container.append(value)
            elif frame[1] is no_key:
                if value.__class__ is not str or value in container:
                    raise _Unsure
                # One string per key name across all records, not one per occurrence.
                frame[1] = intern(value)
                continue
            else:
                container[frame[1]] = value
                frame[1] = no_key
        if kind is not scalar_event:
            stack.append([value, no_key])
    if root.__class__ is not dict:
        raise _Unsure
    return root


def _build(loader: yaml.SafeLoader) -> tuple[dict[str, Any], Places]:
    doc = Places()
    # Frames: [container, path, pending key or None]; a mapping's key waits in slot 2.
    stack: list[list[Any]] = []
    root: Any = None
    root_seen = False
    documents = 0
    nodes = 0
    while True:
        ev = loader.get_event()
        if isinstance(ev, events.StreamEndEvent):
            break
        if isinstance(ev, events.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise LoadError(
                    "more than one YAML document: a record file holds one incident",
                    "yaml-multidoc",
                    *_mark(ev),
                )
            continue
        if isinstance(ev, events.StreamStartEvent | events.DocumentEndEvent):
            continue
        if isinstance(ev, events.AliasEvent):
            raise LoadError(
                "YAML aliases (*name) are not allowed: write the value out",
                "yaml-alias",
                *_mark(ev),
            )
        if isinstance(ev, events.CollectionEndEvent):
            stack.pop()
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise LoadError(
                f"more than {MAX_NODES:,} YAML nodes: too large for an incident record",
                "limit-nodes",
                *_mark(ev),
            )
        if ev.anchor is not None:
            raise LoadError(
                f"YAML anchors (&{ev.anchor}) are not allowed: write the value out",
                "yaml-alias",
                *_mark(ev),
            )
        reading = None
        if isinstance(ev, events.ScalarEvent):
            value, reading = _scalar(ev, loader)
        else:
            if ev.tag not in (None, "!", _STD + "map", _STD + "seq"):
                raise LoadError(
                    f"tag {ev.tag!r} is not allowed: records hold plain data only",
                    "yaml-tag",
                    *_mark(ev),
                )
            if len(stack) >= MAX_DEPTH:
                raise LoadError(
                    f"nesting deeper than {MAX_DEPTH} levels", "limit-depth", *_mark(ev)
                )
            value = {} if isinstance(ev, events.MappingStartEvent) else []

        if not stack:
            if root_seen:  # pragma: no cover - the parser allows one root per document
                raise LoadError("unexpected content", "yaml-syntax", *_mark(ev))
            root, root_seen, path = value, True, ()
        else:
            frame = stack[-1]
            container, parent = frame[0], frame[1]
            if isinstance(container, list):
                path = (*parent, len(container))
                container.append(value)
            elif frame[2] is None:
                _take_key(doc, frame, ev, value)
                continue
            else:
                path = (*parent, frame[2])
                container[frame[2]] = value
                frame[2] = None
        doc.positions[path] = _mark(ev)
        if reading:
            doc.readings[path] = reading
        if isinstance(value, dict | list):
            stack.append([value, path, None])

    if not root_seen or root is None:
        raise LoadError("the file is empty: expected a mapping with id, title, …", "empty", 1, 1)
    if not isinstance(root, dict):
        kind = "a list" if isinstance(root, list) else f"a {type(root).__name__}"
        raise LoadError(
            f"the top level is {kind}; a record is a mapping of keys (id, title, date, …)",
            "type",
            *doc.positions[()],
        )
    return root, doc


def _take_key(doc: Places, frame: list[Any], ev: events.Event, key: Any) -> None:
    """Store a mapping key in its frame, refusing non-text and duplicate keys."""
    if not isinstance(key, str):
        raise LoadError(
            f"keys must be text; YAML reads this key as {type(key).__name__}: quote it",
            "key-type",
            *_mark(ev),
        )
    path = (*frame[1], key)
    if key in frame[0] or path in doc.key_positions:
        first = doc.key_positions[path]
        raise LoadError(
            f"duplicate key {key!r} (first defined at line {first[0]}); YAML would silently "
            "keep only the last one",
            "duplicate-key",
            *_mark(ev),
        )
    doc.key_positions[path] = _mark(ev)
    frame[0][key] = None  # reserve, so a duplicate is seen even before its value arrives
    frame[2] = key
