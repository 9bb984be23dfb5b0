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
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import yaml

from postmortem.checker import Result
from postmortem.diagnostics import Issue
from postmortem.files import decode
from postmortem.loader import Document
from postmortem.review_rules import CHECKS, RULES, Finding, Path

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
    """A record's text: where each scalar is written, and its silencing comments."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # Scalar spans by where they start (1-based line, column), from the pure-Python
        # scanner: its marks' `index` counts characters of `text`.
        self.spans: dict[tuple[int, int], tuple[int, int]] = {}
        content: list[tuple[int, int]] = []
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.ScalarToken):
                start, end = token.start_mark, token.end_mark
                self.spans[(start.line + 1, start.column + 1)] = (start.index, end.index)
                # A block scalar's header line (`description: >-  # ...`) may end in a
                # comment; its text starts on the next line.
                first = start.index
                if token.style in ("|", ">"):
                    first = self.line_starts[min(start.line + 1, len(self.line_starts) - 1)]
                content.append((first, end.index))
        self._starts = sorted(content)
        self.silences = list(self._find_silences())

    def where(self, index: int) -> tuple[int, int]:
        """(line, column), 1-based, of a character index."""
        line = bisect.bisect_right(self.line_starts, index)
        return line, index - self.line_starts[line - 1] + 1

    def _in_scalar(self, index: int) -> bool:
        at = bisect.bisect_right(self._starts, (index, len(self.text) + 1)) - 1
        return at >= 0 and self._starts[at][0] <= index < self._starts[at][1]

    def _find_silences(self) -> Iterable[Silence]:
        lines = self.text.split("\n")
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
                target = next(
                    (
                        n
                        for n in range(line + 1, len(lines) + 1)
                        if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")
                    ),
                    line,
                )
            body = _BODY.match(m["rest"].strip())
            rules = tuple(r.strip() for r in body["rules"].split(",")) if body else ()
            reason = (body["reason"] or "").strip() if body else ""
            yield Silence(line, column, target, tuple(r for r in rules if r), reason)

    def locate(self, document: Document, finding: Finding) -> tuple[int, int]:
        """Where a finding's words are written; else where its value (or key) starts."""
        start = document.position(finding.path)
        value = _value(document, finding.path)
        if isinstance(value, dict | list):  # a part of the record: where its key is
            return document.key_positions.get(finding.path, start)
        span = self.spans.get(start)
        if finding.start < 0 or span is None or not isinstance(value, str):
            return start
        # The same words in the source, however folding, indentation or line breaks
        # changed the white space between them; the n-th in the value is the n-th there.
        words = value[finding.start : finding.end].split()
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        nth = sum(1 for m in pattern.finditer(value, 0, finding.start))
        found = list(pattern.finditer(self.text, span[0], span[1]))
        return self.where(found[nth].start()) if nth < len(found) else start

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
    document = result.document
    source = Source(decode(result.source))
    issues: list[Issue] = []

    def add(line: int, column: int, message: str, rule: str, where: str = "") -> None:
        issues.append(Issue(result.path, line, column, message, rule, where, severity))

    for check in CHECKS:
        for finding in check(result.incident, document.data):
            if finding.rule in ignore:
                continue
            lines = source.lines_of(document, finding.path)
            silence = next(
                (
                    s
                    for s in source.silences
                    if s.target in lines and finding.rule in s.rules and s.reason
                ),
                None,
            )
            if silence is not None:
                silence.used.add(finding.rule)
                continue
            line, column = source.locate(document, finding)
            add(line, column, finding.message, finding.rule, _field(finding.path))
    for s in source.silences:
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
    return issues
