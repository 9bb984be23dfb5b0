"""Issues found in records, and the reporters that print them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import PurePath


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in one file. Line and column are 1-based; 0 means 'the whole file'."""

    path: str
    line: int
    column: int
    message: str
    rule: str
    field: str = ""
    severity: str = "error"


# What must never reach a log or a terminal raw from a file name or a record: line breaks
# of every kind (CI runners and `str.splitlines` split on more than \n), other control
# characters (terminal escapes), lone surrogates (undecodable file names, which cannot be
# encoded for printing) and bidirectional overrides (which make text read out of order).
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# json.dumps escapes C0 controls itself; the only raw ones in its output are its indents.
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")


def _repr_escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def printable(text: str) -> str:
    """Foreign text (a file name, a record's value) made one safe line, escaped as `repr` would."""
    return _UNSAFE.sub(_repr_escape, text)


def printable_path(path: str) -> str:
    """A path to start a line with: printable, and never read as a CI workflow command.

    GitHub Actions runs any output line that starts (after white space) with `::`; a
    relative path is the same file with `./` before it.
    """
    shown = printable(path)
    return "./" + shown if shown.lstrip().startswith("::") else shown


def dumps_json(data: object) -> str:
    """JSON, indented, non-ASCII kept, but every character `printable` escapes as `\\uXXXX`."""
    # Otherwise U+2028, C1 controls and lone surrogates would go out raw (a lone surrogate
    # even fails to print); each can only be inside a string, where \\uXXXX means the same.
    return _UNSAFE_IN_JSON.sub(_json_escape, json.dumps(data, indent=2, ensure_ascii=False))


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Order issues by file, then position, so output is stable."""
    return sorted(issues, key=lambda i: (i.path, i.line, i.column, i.rule, i.message))


def format_text(issue: Issue) -> str:
    """`PATH:LINE:COL: error: MESSAGE [rule]`, as compilers and linters print it."""
    path = printable_path(issue.path)
    where = path if issue.line == 0 else f"{path}:{issue.line}:{issue.column}"
    return f"{where}: {issue.severity}: {printable(issue.message)} [{issue.rule}]"


def _github_escape(text: str, *, prop: bool = False) -> str:
    # Workflow commands: data escapes %, CR, LF; properties also escape : and ,
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return printable(text)


def _repository_path(path: str) -> str:
    """`path` relative to the repository (GITHUB_WORKSPACE, else the current folder).

    GitHub attaches an annotation to the diff only by a path from the repository's root;
    a record found through the configuration's incidents folder has an absolute path, and
    one checked from a subfolder a `../` one.
    """
    root = os.path.abspath(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    full = os.path.abspath(path)
    if os.path.commonpath([root, full]) != root:
        return path  # outside the repository: as found
    return PurePath(os.path.relpath(full, root)).as_posix()


def format_github(issue: Issue) -> str:
    """A GitHub Actions workflow command that annotates the line in the pull request."""
    props = [f"file={_github_escape(_repository_path(issue.path), prop=True)}"]
    if issue.line:
        props += [f"line={issue.line}", f"col={issue.column}"]
    props.append(f"title={_github_escape('postmortem ' + issue.rule, prop=True)}")
    return f"::{issue.severity} {','.join(props)}::{_github_escape(issue.message)}"


def format_json(issues: list[Issue]) -> str:
    """A JSON list of objects: path, line, column, message, rule, field, severity."""
    return dumps_json([asdict(i) for i in issues])


FORMATS = ("text", "json", "github")
