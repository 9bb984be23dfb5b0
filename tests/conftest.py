"""Shared helpers: fixture paths, the CLI runner, golden-file comparison."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from postmortem.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
INCIDENTS = ROOT / "incidents"
# `make golden` sets this to rewrite expected files instead of comparing with them.
UPDATE_GOLDEN = os.environ.get("POSTMORTEM_UPDATE_GOLDEN") == "1"


def run_cli(*args: str, cwd: Path | None = None) -> Result:
    """Run `postmortem ARGS` in-process through click's runner (stdout and stderr apart)."""
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def assert_golden(actual: str, expected_path: Path) -> None:
    """Compare with a golden file, showing a unified diff; rewrite it under `make golden`."""
    if UPDATE_GOLDEN:
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(actual, encoding="utf-8", newline="")
        return
    if not expected_path.exists():
        pytest.fail(f"missing golden file {expected_path}; run `make golden` and review it")
    expected = expected_path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                str(expected_path),
                "actual",
            )
        )
        pytest.fail(
            f"output differs from {expected_path.name} (run `make golden` if intended):\n{diff}"
        )


def png(width: int = 4, height: int = 4, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG image of the given size (records may show PNG, JPEG, GIF and WebP)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()
