"""The JSON Schema: valid Draft 2020-12, and in agreement with `check` on structure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import FIXTURES, INCIDENTS, run_cli

# Records whose problems a JSON Schema can express (cross-field rules and YAML 1.1 traps
# it cannot: those are `check`'s alone, and left out here on purpose).
STRUCTURAL = [
    "required",
    "required-nested",
    "unknown-key",
    "unknown-key-nested",
    "format",
    "enum",
    "type-list",
    "type-mapping",
    "cascade-empty",
    "lessons-empty",
    "id",
    "id-device",
    "url",
    "timezone",
    "empty-text",
    "date",
    "time-bad",
    "time-bare-date",
    "single-line",
    "many-errors",
    "limit-length",
    "limit-items",
]
VALID = sorted((FIXTURES / "valid").glob("*.yaml")) + sorted(INCIDENTS.glob("*.yaml"))
INVALID = [FIXTURES / "invalid" / f"{name}.yaml" for name in STRUCTURAL]


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_cli("schema")
    assert result.exit_code == 0
    path = tmp_path_factory.mktemp("schema") / "incident.schema.json"
    path.write_text(result.stdout)
    return path


def test_schema_is_valid_draft_2020_12(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "id",
        "title",
        "date",
        "summary",
        "trigger",
        "cascade",
        "impact",
        "resolution",
        "lessons",
    }


def _check_jsonschema(schema_file: Path, record: Path) -> int:
    exe = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(exe), "--schemafile", str(schema_file), str(record)], capture_output=True
    ).returncode


@pytest.mark.parametrize("record", VALID + INVALID, ids=lambda p: p.stem)
def test_check_jsonschema_agrees_with_check(schema_file: Path, record: Path) -> None:
    ours = run_cli("check", "-q", str(record)).exit_code
    theirs = _check_jsonschema(schema_file, record)
    assert ours == theirs
    assert ours == (0 if record in VALID else 1)
