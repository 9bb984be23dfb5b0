"""Shared helpers: fixture paths, the CLI runner, golden-file comparison."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from postmortem.cli import cli

# No timing assertions in tests: Hypothesis's per-example deadline is one, and it failed
# properties on a loaded machine that pass on a quiet one. Every @settings inherits this.
settings.register_profile("postmortem", deadline=None)
settings.load_profile("postmortem")

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
    """Compare text with one golden file; rewrite it under `make golden`."""
    _check_golden({expected_path.name: actual}, expected_path.parent, whole=False)


def assert_golden_tree(files: dict[str, str], folder: Path) -> None:
    """Compare a whole tree of texts (relative name -> text) with a golden folder.

    Every file is compared, and a golden file that is no longer produced is a difference
    too; `make golden` rewrites the folder to hold exactly these files.
    """
    _check_golden(files, folder, whole=True)


def _check_golden(files: dict[str, str], folder: Path, *, whole: bool) -> None:
    """Report every missing, differing (as a unified diff) and, for a tree, extra file."""
    extra: list[str] = []
    if whole:
        kept = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        extra = sorted(kept - set(files))
    if UPDATE_GOLDEN:
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8", newline="")
        for name in extra:
            (folder / name).unlink()
        return
    problems = [f"{folder / name}: no longer produced" for name in extra]
    for name, actual in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{path}: missing")
            continue
        expected = path.read_text(encoding="utf-8")
        if actual != expected:
            problems.append(
                "".join(
                    difflib.unified_diff(
                        expected.splitlines(keepends=True),
                        actual.splitlines(keepends=True),
                        str(path),
                        "actual",
                    )
                )
            )
    if problems:
        pytest.fail(
            f"output differs from the golden files in {folder} (run `make golden` if "
            "intended, and review `git diff`):\n" + "\n".join(problems)
        )


def png(width: int = 4, height: int = 4, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real PNG image of the given size (records may show PNG, JPEG, GIF and WebP)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()
