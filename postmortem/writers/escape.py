"""Record text as Markdown text that every reader shows as written, and nothing more.

The one escaper of text for the Markdown output: `&`, `<`, `>`, `|`, `~`, `{` as
entities, Markdown's marks with a backslash, the line breaks a template or a reader would
part lines at as references; and, only where it could start one, the first character of
what a Markdown extension acts on: a preprocessor's mark (writers/inert.py) or an inline
construct of pymdownx, which Backstage's techdocs-core turns on.
"""

from __future__ import annotations

import re

from postmortem.writers.inert import BREAKS
from postmortem.writers.tokens import LINE_START as _LINE_START

# `<` and `{` as entities also break every preprocessor's mark (writers/inert.py).
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "~": "&#126;", "{": "&#123;"}
# Backslash escapes that CommonMark and Python-Markdown both understand.
_BACKSLASHED = set("\\`*_[]#")
LINE_BREAKS = "\n" + "".join(BREAKS)


# Every kind of escape in one table, for str.translate (the templates print many values).
_ESCAPES = (
    {ord(ch): "\\" + ch for ch in _BACKSLASHED}
    | {ord(k): v for k, v in _ENTITIES.items()}
    | {ord(k): v for k, v in BREAKS.items()}
)


# What an inline extension of techdocs-core (pymdownx, read in .venv-techdocs) would give
# a meaning to, by the one character that starts it; only where it could start one, so
# prose keeps its `:`, `/`, `.` and `=`. Each is then written as a reference (Python-
# Markdown has no backslash escape for most of them) or a backslash escape, which a
# reader turns into a placeholder before any extension's pattern looks at the text:
# - `:` before `:` (`::uml::`, a PlantUML block), `//` (a URL: magiclink) or a name and
#   `:` (`:a:`, an emoji);
# - `.` after `www` (magiclink's `www.x.org`), `@` before a name (an address, `@user`);
# - `(` of `(c)`, `(tm)`, `(r)`, and `/` between `+ = c` and `- = o` (`+/-`, `=/=`, `c/o`)
#   or in a fraction of one digit each (`1/2`, not `10/28`): smartsymbols; `-->` has `>`
#   as `&gt;` anyway;
# - `=` before `=` (`==a==`, mark) and every `^` (`^a^`, `^^a^^`: caret);
# - where a site turns magiclink's shorthand on: `!` or `?` before a number (`repo!2`,
#   `?3`; `#` is escaped anyway) and the first of exactly 40 hex digits (a commit).
# Each alternative starts with the character it escapes: a search then tries the
# lookarounds only at those characters (5x faster than lookbehinds first).
_CONSTRUCT = re.compile(
    r":(?=:|//|[+\-\w]+:)|\.(?<=[wW]{3}\.)|@(?=[-.\w])|\((?=(?:c|tm|r)\))"
    r"|/(?:(?<=[+=c]/)(?=[-=o])|(?<=[1-7]/)(?<!\d\d/)(?=[2-8](?!\d)))|=(?==)|\^|[!?](?=[1-9])"
)
_CONSTRUCT_ESCAPES = {".": "\\.", "(": "\\(", "!": "\\!"}
# A commit's hash: looked for only in text that is long enough.
_COMMIT = re.compile(r"[0-9a-f]{40}")
_COMMIT_START = re.compile(r"(?<![0-9a-f])[0-9a-f](?=[0-9a-f]{39}(?![0-9a-f]))")


def _construct(match: re.Match[str]) -> str:
    char = match.group()
    return _CONSTRUCT_ESCAPES.get(char) or f"&#{ord(char)};"


# Any character `_ESCAPES` changes, or a construct: most text has none, and a search
# costs less than translate.
_ESCAPABLE = re.compile(
    "[" + re.escape("\\`*_[]#&<>|~{" + "".join(BREAKS)) + "]|" + _CONSTRUCT.pattern
)


def escaped(text: str) -> str:
    """`text` as Markdown text that shows as written (line breaks kept)."""
    commit = len(text) >= 40 and _COMMIT.search(text) is not None
    if not commit and _ESCAPABLE.search(text) is None:
        return text
    # After translate: the references it writes hold no construct's character.
    text = _CONSTRUCT.sub(_construct, text.translate(_ESCAPES))
    return _COMMIT_START.sub(_construct, text) if commit else text


def escape_inline(text: str) -> str:
    """Plain text → Markdown that renders as exactly this text, on one line."""
    return guard_line_start(escaped(text.replace("\n", " ")))


def guard_line_start(text: str) -> str:
    """`text` with a mark that would make its line a block (a list item, ...) escaped."""
    # A list marker, setext underline or ordered-list number at the start of a line.
    first = text[:1]
    if first and not (first in "-+=:!?" or first.isdigit() or first.isspace()):
        return text  # most text starts with a letter: no marker can follow
    match = _LINE_START.match(text)
    if not match:
        return text
    lead, marker = match.groups()
    if marker[-1] in ".)":
        return f"{lead}{marker[:-1]}\\{marker[-1]}{text[match.end() :]}"
    return f"{lead}&#{ord(marker[0])};{marker[1:]}{text[match.end() :]}"
