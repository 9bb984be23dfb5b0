"""Issues found in records, and the reporters that print them."""

from __future__ import annotations

import json
import os
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


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Order issues by file, then position, so output is stable."""
    return sorted(issues, key=lambda i: (i.path, i.line, i.column, i.rule, i.message))


def format_text(issue: Issue) -> str:
    """`PATH:LINE:COL: error: MESSAGE [rule]`, as compilers and linters print it."""
    where = issue.path if issue.line == 0 else f"{issue.path}:{issue.line}:{issue.column}"
    return f"{where}: {issue.severity}: {issue.message} [{issue.rule}]"


def _github_escape(text: str, *, prop: bool = False) -> str:
    # Workflow commands: data escapes %, CR, LF; properties also escape : and ,
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


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
    return json.dumps([asdict(i) for i in issues], indent=2, ensure_ascii=False)


FORMATS = ("text", "json", "github")
