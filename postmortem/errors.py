"""Exceptions of the library; the CLI maps them to exit codes at one boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from postmortem.diagnostics import Issue

# Exit codes are part of the interface (README, "Exit codes").
EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class PostmortemError(Exception):
    """An error the user can act on; its message is shown as `Error: …`."""

    exit_code = EXIT_INVALID


class UsageError(PostmortemError):
    """The command was asked for something it cannot do (bad option value, existing file)."""

    exit_code = EXIT_USAGE


class InvalidRecord(PostmortemError):
    """A record that is not valid (or could not be rendered); `issues` says why."""

    def __init__(self, path: str, issues: list[Issue]) -> None:
        self.path = path
        self.issues = issues
        first = issues[0].message if issues else "invalid"
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(f"{path}: {first}{more}")
