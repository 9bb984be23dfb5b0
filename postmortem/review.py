"""A blameless review of checked records: the rules' findings as Issues, silences honoured.

`review_result` takes what `check` made of a file (checker.Result): an invalid record gets
no review (check's errors stand), a valid one gets the findings of review_rules.CHECKS,
each pointing at the value it concerns (and the words in it, where they can be found in
the source), as warnings or, with `strict`, errors.

A finding can be silenced in the record by a YAML comment, on the line of the value it
concerns (or of any key above it), or alone on the line before:

    # postmortem: ignore[action-owner] reason: the public post-mortem names no owners
    action_items:

A silence needs a reason, and one that silences nothing is a finding too (like ruff's
RUF100): otherwise it would stay behind and hide the next real finding on its lines.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import yaml

from postmortem.checker import Result
from postmortem.diagnostics import Issue
from postmortem.files import decode
from postmortem.loader import Document
from postmortem.review_rules import CHECKS, RULES, Finding, Path

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SILENCE = re.compile(r"#[ \t]*postmortem:[ \t]*ignore\b(?P<rest>[^\n]*)")
_BODY = re.compile(r"\[(?P<rules>[^\]]*)\][ \t]*(?:reason:[ \t]*(?P<reason>.*))?")


@dataclass
class Silence:
    """One `# postmortem: ignore[...] reason: ...` comment, and the line it covers."""

    line: int
    column: int
    target: int  # the line whose values (and those below their keys) it silences
    rules: tuple[str, ...]
    reason: str
    used: set[str] = field(default_factory=set)


class Source:
    """A record's text: where each scalar's text is written, and its silencing comments."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # Where each scalar's text is, by where the scalar starts (1-based line, column):
        # after a quote, or from the line after a block scalar's header (which may end in
        # a comment). Both scanners' marks count characters in `index` (the C one is ~10x
        # faster: a 1 MiB record is scanned in a fraction of a second).
        self.spans: dict[tuple[int, int], tuple[int, int]] = {}
        try:
            tokens = list(yaml.scan(text, Loader=_Loader))
        except yaml.YAMLError:  # loaded by libyaml, refused here: positions of values only
            tokens = []
        for token in tokens:
            if isinstance(token, yaml.ScalarToken):
                start, end = token.start_mark, token.end_mark
                first = start.index + (token.style in ("'", '"'))
                if token.style in ("|", ">"):
                    first = self.line_starts[min(start.line + 1, len(self.line_starts) - 1)]
                self.spans[(start.line + 1, start.column + 1)] = (first, end.index)
        self._sorted = sorted(self.spans.values())
        self._aligned: dict[tuple[int, int], list[int]] = {}
        self.silences: dict[int, list[Silence]] = {}
        for silence in self._find_silences():
            self.silences.setdefault(silence.target, []).append(silence)

    def where(self, index: int) -> tuple[int, int]:
        """(line, column), 1-based, of a character index."""
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def _in_scalar(self, index: int) -> bool:
        at = bisect.bisect_right(self._sorted, (index, len(self.text) + 1)) - 1
        return at >= 0 and self._sorted[at][0] <= index < self._sorted[at][1]

    def _find_silences(self) -> Iterable[Silence]:
        lines = self.text.split("\n")
        # For each line, the first line from it on that holds more than a comment: one
        # backward pass (a run of comment lines would otherwise be walked once per comment).
        content = [0] * (len(lines) + 2)
        for n in range(len(lines), 0, -1):
            stripped = lines[n - 1].lstrip()
            content[n] = n if stripped and not stripped.startswith("#") else content[n + 1]
        for m in _SILENCE.finditer(self.text):
            start = m.start()
            # A comment starts a line or follows white space, and is in no value: the same
            # words inside a description are text, not a silence.
            if (start and self.text[start - 1] not in " \t\n") or self._in_scalar(start):
                continue
            line, column = self.where(start)
            target = line
            if not self.text[self.line_starts[line - 1] : start].strip():
                # Alone on its line: it covers the next line that holds more than a comment.
                target = content[line + 1] or line
            body = _BODY.match(m["rest"].strip())
            rules = tuple(r.strip() for r in body["rules"].split(",")) if body else ()
            reason = (body["reason"] or "").strip() if body else ""
            yield Silence(line, column, target, tuple(r for r in rules if r), reason)

    def _alignment(self, start: tuple[int, int], value: str) -> list[int]:
        """For each character of `value`, its index in the source; -1 past a difference.

        Folding, indentation and line breaks change only white space, so the other
        characters are met in the same order; an escape (`\\n`, `''`) ends the match, and
        later words are placed at the value's start. One pass per value, whatever the
        number of findings in it.
        """
        if start in self._aligned:
            return self._aligned[start]
        mapped = [-1] * (len(value) + 1)
        j, end = self.spans.get(start, (0, 0))
        text = self.text
        for i, char in enumerate(value):
            if char.isspace():
                continue
            while j < end and text[j].isspace():
                j += 1
            if j >= end or text[j] != char:
                break
            mapped[i] = j
            j += 1
        self._aligned[start] = mapped
        return mapped

    def locate(self, document: Document, finding: Finding) -> tuple[int, int]:
        """Where a finding's words are written; else where its value (or key) starts."""
        start = document.position(finding.path)
        value = _value(document, finding.path)
        if isinstance(value, dict | list):  # a part of the record: where its key is
            return document.key_positions.get(finding.path, start)
        if finding.start < 0 or not isinstance(value, str) or start not in self.spans:
            return start
        index = self._alignment(start, value)[finding.start]
        return self.where(index) if index >= 0 else start

    def silence(self, lines: set[int], rule: str) -> Silence | None:
        """The silence with a reason, on one of `lines`, that names `rule`."""
        for line in lines:
            for silence in self.silences.get(line, ()):
                if rule in silence.rules and silence.reason:
                    return silence
        return None

    def all_silences(self) -> list[Silence]:
        """Every silencing comment, in the order written."""
        found = [s for group in self.silences.values() for s in group]
        return sorted(found, key=lambda s: (s.line, s.column))

    def lines_of(self, document: Document, path: Path) -> set[int]:
        """The lines on which the value at `path`, or one of its keys, starts."""
        lines = set()
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            for places in (document.positions, document.key_positions):
                if prefix in places:
                    lines.add(places[prefix][0])
        return lines


def _value(document: Document, path: Path) -> object:
    value: object = document.data
    for part in path:
        value = value[part]  # type: ignore[index]
    return value


def _field(path: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


def review_result(
    result: Result, *, ignore: Collection[str] = (), strict: bool = False
) -> list[Issue]:
    """The review's findings on one checked record; none for an invalid one."""
    if not result.ok or result.incident is None or result.document is None:
        return []
    severity = "error" if strict else "warning"
    issues: list[Issue] = []

    def add(line: int, column: int, message: str, rule: str, where: str = "") -> None:
        issues.append(Issue(result.path, line, column, message, rule, where, severity))

    try:
        _review(result, ignore, add)
    except Exception as exc:  # a bug of ours must not hide the other records' findings
        message = (
            f"internal error while reviewing this file ({type(exc).__name__}: {exc}); "
            "please report it"
        )
        issues.append(Issue(result.path, 0, 0, message, "internal"))
    return issues


def _review(result: Result, ignore: Collection[str], add: Callable[..., None]) -> None:
    """Run every rule on a valid record, and review its silences; report through `add`."""
    assert result.incident is not None and result.document is not None
    document = result.document
    source = Source(decode(result.source))
    for check in CHECKS:
        for finding in check(result.incident, document.data):
            if finding.rule in ignore:
                continue
            silence = source.silence(source.lines_of(document, finding.path), finding.rule)
            if silence is not None:
                silence.used.add(finding.rule)
                continue
            line, column = source.locate(document, finding)
            add(line, column, finding.message, finding.rule, _field(finding.path))
    for s in source.all_silences():
        unknown = [r for r in s.rules if r not in RULES]
        if not s.rules or unknown:
            if "silence-invalid" not in ignore:
                named = ", ".join(unknown) or "no rule"
                message = f"the silence names {named}; known rules: {', '.join(RULES)}"
                add(s.line, s.column, message, "silence-invalid")
        elif not s.reason:
            if "silence-invalid" not in ignore:
                message = (
                    "a silence needs a reason: `# postmortem: ignore[RULE] reason: why this "
                    "finding is wrong here`"
                )
                add(s.line, s.column, message, "silence-invalid")
        elif "silence-unused" not in ignore:
            # A rule switched off in the configuration silences nothing: not the comment's fault.
            for rule in s.rules:
                if rule not in s.used and rule not in ignore:
                    message = f"the silence of {rule} silences nothing here: remove it"
                    add(s.line, s.column, message, "silence-unused")
