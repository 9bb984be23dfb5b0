"""Settings: `[tool.postmortem]` in pyproject.toml or a postmortem.toml, the environment, flags.

Precedence, lowest first: built-in default < config file < environment (POSTMORTEM_<KEY>) <
command-line flag. The config file is the first `postmortem.toml`, or `pyproject.toml`
with a `[tool.postmortem]` table, found from the working folder upwards.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postmortem.diagnostics import Issue
from postmortem.zones import zone_problem

if TYPE_CHECKING:
    from postmortem.checker import Policy
    from postmortem.writers import Options

FORMATS = ("md", "html", "pdf")


class ConfigError(Exception):
    """The configuration is wrong; carries issues with file, line and column."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(i.message for i in issues))
        self.issues = issues


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected a path (text)")
    if re.search(r"[\x00-\x1f\x7f]", value):  # a NUL no system call takes; the rest: typos
        raise ValueError("a path cannot hold control characters")
    return Path(value)


def _formats(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError('expected a list of formats such as ["md", "html"]')
    chosen = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise ValueError(f"{', '.join(bad) or 'nothing'}: choose from {', '.join(FORMATS)}")
    return chosen


def _page_size(value: Any) -> str:
    if not isinstance(value, str) or value.lower() not in ("a4", "letter"):
        raise ValueError("expected 'A4' or 'Letter'")
    return "A4" if value.lower() == "a4" else "Letter"


def _timezone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an IANA time zone name")
    problem = zone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _severities(value: Any) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if (
        not isinstance(items, list | tuple)
        or not items
        or not all(isinstance(i, str) for i in items)
    ):
        raise ValueError('expected a non-empty list of severities such as ["SEV1", "SEV2"]')
    return tuple(i.strip() for i in items if i.strip())


def _status(value: Any) -> str:
    from postmortem.gate import parse_status  # the format's statuses, in order

    return parse_status(value)


def _audience(value: Any) -> str:
    from postmortem.audience import AUDIENCES

    if not isinstance(value, str) or value.strip().lower() not in AUDIENCES:
        raise ValueError(f"expected one of {', '.join(AUDIENCES)}")
    return value.strip().lower()


def _today(value: Any) -> date:
    if isinstance(value, datetime):  # a TOML date-time: which day it is depends on the zone
        raise ValueError("expected a date, YYYY-MM-DD, not a date and time")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError("expected a date, YYYY-MM-DD") from None


def _rules(value: Any) -> tuple[str, ...]:
    from postmortem.review_rules import RULES  # only a table of names; no heavy import

    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError('expected a list of review rules such as ["action-due"]')
    chosen = tuple(dict.fromkeys(i.strip() for i in items if i.strip()))
    for rule in chosen:
        if rule not in RULES:
            close = difflib.get_close_matches(rule, list(RULES), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{rule!r} is not a review rule{hint}; see docs/review.md")
    return chosen


# key → (parser, default, what it is for)
KEYS: dict[str, tuple[Callable[[Any], Any], Any, str]] = {
    "incidents": (_path, Path("incidents"), "folder of records, when no PATH is given"),
    "output": (_path, Path("site"), "output folder of `render`"),
    "formats": (_formats, FORMATS, "formats `render` writes"),
    "page_size": (_page_size, "A4", "PDF page size"),
    "templates": (_path, None, "folder of your own templates"),
    "timezone": (_timezone, "UTC", "time zone of records that name none"),
    "severities": (_severities, None, "allowed severity values (none: any)"),
    "today": (_today, None, "the date open action items are overdue against (none: today)"),
    "review_ignore": (_rules, None, "review rules switched off (none: every rule is on)"),
    "require_status": (_status, None, "the least status `render` publishes (none: any)"),
    "audience": (_audience, "internal", "whose rendition `render`, `index`, `actions` write"),
}


@dataclass
class Settings:
    """Effective settings, and where each came from."""

    values: dict[str, Any] = field(default_factory=lambda: {k: v[1] for k, v in KEYS.items()})
    sources: dict[str, str] = field(default_factory=lambda: dict.fromkeys(KEYS, "default"))
    file: Path | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def set(self, key: str, value: Any, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source

    @property
    def today(self) -> date:
        return self.values["today"] or date.today()

    def policy(self, *, publish: bool = False, audience: bool | None = None) -> Policy:
        """The checker's policy; `publish` (render, index, the MkDocs plugin): with the gate;
        `audience` (by default as `publish`; `actions` too): for the configured audience,
        else the full record (`check` checks both renditions anyway)."""
        from postmortem.checker import Policy

        return Policy(
            timezone=self["timezone"],
            severities=self["severities"],
            require_status=self["require_status"] if publish else None,
            audience=self["audience"]
            if (publish if audience is None else audience)
            else "internal",
        )

    def render_options(self, pdf_variant: str | None = None) -> Options:
        """The render options of `render`, `index` (which must match the shards') and the
        MkDocs plugin: one place. Raises PostmortemError for a bad SOURCE_DATE_EPOCH."""
        from postmortem.writers import Options, source_date_epoch

        return Options(
            formats=self["formats"],
            templates=self["templates"],
            page_size=self["page_size"],
            today=self.today,
            source_date_epoch=source_date_epoch(),
            pdf_variant=pdf_variant.lower() if pdf_variant else None,
        )


def find_file(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest postmortem.toml, or pyproject.toml with [tool.postmortem], upwards."""
    for folder in (start, *start.parents):
        own = folder / "postmortem.toml"
        if own.is_file():
            return own, _read(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _read(pyproject).get("tool")
            # `tool = 5` is not our table (nor a valid pyproject.toml): as if it were absent.
            table = tool.get("postmortem") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return pyproject, table
            if table is not None:
                issue = Issue(_shown(pyproject), *_table_position(pyproject), _NOT_TABLE, "config")
                raise ConfigError([issue])
    return None


_NOT_TABLE = "[tool.postmortem] is not a table: write its keys under a [tool.postmortem] line"


def _shown(path: Path) -> str:
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def _table_position(path: Path) -> tuple[int, int]:
    """Where `postmortem` is given a value that is not a table (the file is small)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if re.match(r"\s*(tool\.)?postmortem\s*=", line):
            return number, line.index("postmortem") + 1
    return 0, 0


def _read(path: Path) -> dict[str, Any]:
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Issue(shown, 0, 0, f"cannot read: {exc}", "config")]) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (text.count("\n") + 1, 1)
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        issue = Issue(shown, line, col, f"invalid TOML: {message}", "config")
        raise ConfigError([issue]) from None


def _key_position(path: Path, key: str) -> tuple[int, int]:
    """Where `key` is written (TOML parsers give no positions; the file is small)."""
    in_table = path.name == "postmortem.toml"
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = path.name == "postmortem.toml" or stripped.replace(" ", "") in (
                "[tool.postmortem]",
            )
            continue
        if in_table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number, line.index(key) + 1
    return 0, 0


def load_settings(cwd: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the config file, then POSTMORTEM_* environment variables."""
    settings = Settings()
    here = (cwd or Path.cwd()).resolve()
    found = find_file(here)
    issues: list[Issue] = []
    if found is not None:
        path, table = found
        if path.is_relative_to(here):
            path = path.relative_to(here)  # shorter in messages; the folder is the same
        settings.file = path
        for key, value in table.items():
            line, col = _key_position(found[0], key)  # `path` may be relative to `cwd`
            if key not in KEYS:
                close = difflib.get_close_matches(key, list(KEYS), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                message = f"unknown key {key!r}{hint}; known keys: {', '.join(KEYS)}"
                issues.append(Issue(str(path), line, col, message, "config"))
                continue
            try:
                parsed = KEYS[key][0](value)
            except ValueError as exc:
                issues.append(Issue(str(path), line, col, f"{key}: {exc}", "config"))
                continue
            if key in ("incidents", "output", "templates"):
                # Relative to the config file's folder, wherever the command runs from.
                parsed = parsed if parsed.is_absolute() else found[0].parent / parsed
            settings.set(key, parsed, f"{path}:{line}" if line else str(path))
    env = os.environ if environ is None else environ
    for key, (parser, _, _) in KEYS.items():
        name = f"POSTMORTEM_{key.upper()}"
        if name in env:
            try:
                settings.set(key, parser(env[name]), f"environment {name}")
            except ValueError as exc:
                issues.append(Issue(f"environment {name}", 0, 0, f"{key}: {exc}", "config"))
    if issues:
        raise ConfigError(issues)
    return settings
