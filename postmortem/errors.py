"""Exceptions of the library; the CLI maps them to exit codes at one boundary."""

from __future__ import annotations

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
