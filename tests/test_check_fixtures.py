"""Every rule: one invalid record, and the exact messages `check` prints for it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import FIXTURES, INCIDENTS, ROOT, assert_golden, run_cli

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml")) + sorted(INCIDENTS.glob("*.yaml"))


def test_there_is_a_fixture_for_every_rule() -> None:
    rules = {
        line.rsplit("[", 1)[1].rstrip("]")
        for path in INVALID
        for line in path.with_suffix(".expected").read_text().splitlines()
    }
    assert rules >= {
        "yaml-syntax",
        "yaml-tag",
        "yaml-alias",
        "yaml-multidoc",
        "duplicate-key",
        "key-type",
        "encoding",
        "empty",
        "type",
        "limit-size",
        "limit-depth",
        "required",
        "unknown-key",
        "format",
        "single-line",
        "id",
        "time",
        "date",
        "url",
        "timezone",
        "enum",
        "lessons-empty",
        "duplicate-id",
        "unknown-step",
        "cycle",
        "end-before-start",
        "detected-before-trigger",
        "resolved-before-mitigated",
        "service-outside-impact",
        "limit-length",
        "limit-items",
    }


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_record_messages(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    result = run_cli("check", "--quiet", rel, cwd=ROOT)
    assert result.exit_code == 1, result.output
    assert_golden(result.stdout, path.with_suffix(".expected"))
    for line in result.stdout.splitlines():
        assert line.startswith(rel + ":")
        assert ": error: " in line


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_records_pass(path: Path) -> None:
    result = run_cli("check", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_every_error_in_every_file_is_reported() -> None:
    result = run_cli("check", "-q", "tests/fixtures/invalid", cwd=ROOT)
    assert result.exit_code == 1
    files = {line.split(":", 1)[0] for line in result.stdout.splitlines()}
    assert len(files) == len(INVALID)
    many = [ln for ln in result.stdout.splitlines() if "many-errors" in ln]
    assert len(many) == 4


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    source = (FIXTURES / "valid" / "minimal.yaml").read_text()
    (tmp_path / "a.yaml").write_text(source)
    (tmp_path / "b.yaml").write_text(source)
    result = run_cli("check", "-q", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout == (
        f"{tmp_path / 'b.yaml'}:2:5: error: id 'minimal' is already used by "
        f"{tmp_path / 'a.yaml'} [duplicate-id]\n"
    )


@pytest.mark.parametrize("case", ["alias-bomb", "deep-nesting", "too-large"])
def test_hostile_input_is_refused_fast(case: str) -> None:
    start = time.perf_counter()
    result = run_cli("check", "-q", str(FIXTURES / "invalid" / f"{case}.yaml"))
    assert result.exit_code == 1
    # Generous: the point is "not exponential", not a benchmark.
    assert time.perf_counter() - start < 5
