"""Configuration: file < environment < flag, every config error, and what each key does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import FIXTURES, run_cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder with records in docs/incidents, and no POSTMORTEM_* in the env."""
    for key in (
        "INCIDENTS",
        "OUTPUT",
        "FORMATS",
        "PAGE_SIZE",
        "TEMPLATES",
        "TIMEZONE",
        "SEVERITIES",
        "TODAY",
    ):
        monkeypatch.delenv(f"POSTMORTEM_{key}", raising=False)
    records = tmp_path / "docs" / "incidents"
    records.mkdir(parents=True)
    shutil.copy(FIXTURES / "valid" / "full.yaml", records)
    return tmp_path


def _config(project: Path) -> dict[str, dict[str, object]]:
    result = run_cli("config", "--format", "json", cwd=project)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["settings"]


def test_defaults_without_a_file(project: Path) -> None:
    settings = _config(project)
    assert settings["output"] == {"value": "site", "source": "default"}
    assert settings["formats"]["value"] == ["md", "html", "pdf"]


def test_precedence_file_then_environment_then_flag(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "postmortem.toml").write_text(
        'incidents = "docs/incidents"\noutput = "public"\nformats = ["md"]\ntoday = "2024-03-20"\n'
    )
    settings = _config(project)
    assert settings["output"] == {"value": str(project / "public"), "source": "postmortem.toml:2"}
    assert settings["today"]["source"] == "postmortem.toml:4"

    monkeypatch.setenv("POSTMORTEM_OUTPUT", "from-env")
    settings = _config(project)
    assert settings["output"] == {"value": "from-env", "source": "environment POSTMORTEM_OUTPUT"}

    # Flags beat both: render writes where -o says, in the formats the file says.
    result = run_cli("render", "-o", "from-flag", "-q", cwd=project)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (project / "from-flag").iterdir() if p.suffix == ".md") == [
        "full-example.2024_03.md",
        "index.md",
    ]
    assert not (project / "from-env").exists() and not (project / "public").exists()
    # `today` from the file drives the overdue flags.
    md = (project / "from-flag" / "full-example.2024_03.md").read_text()
    assert "**1 overdue** as of 2024-03-20" in md


def test_pyproject_table_is_found_from_a_subfolder(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.postmortem]\nincidents = "docs/incidents"\n'
        'severities = ["SEV2", "SEV3"]\n'
    )
    sub = project / "docs"
    result = run_cli("check", cwd=sub)  # no PATH: the configured folder, found upwards
    assert result.exit_code == 1
    assert (
        "full.yaml:7:11: error: severity: 'SEV1' is not one of the project's: SEV2, SEV3 "
        "(did you mean 'SEV3'?) [severity]\n"
    ) in result.stdout


def test_default_timezone_applies_to_records_without_one(project: Path) -> None:
    record = project / "docs" / "incidents" / "tz.yaml"
    record.write_text(
        (FIXTURES / "valid" / "minimal.yaml")
        .read_text()
        .replace("2024-03-02T10:00:00Z", "2024-03-02T10:00:00")
    )
    (project / "postmortem.toml").write_text('timezone = "Asia/Tokyo"\nformats = ["md"]\n')
    assert run_cli("render", str(record), "-o", "out", cwd=project).exit_code == 0
    assert "From 2024-03-02 10:00 JST, **ongoing**." in (project / "out" / "minimal.md").read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'ouput = "x"\n',
            "postmortem.toml:1:1: error: unknown key 'ouput' (did you mean 'output'?)",
        ),
        (
            '\n\nformats = ["md", "docx"]\n',
            "postmortem.toml:3:1: error: formats: docx: choose from",
        ),
        ('page_size = "A5"\n', "postmortem.toml:1:1: error: page_size: expected 'A4' or 'Letter'"),
        (
            'timezone = "Mars/Olympus"\n',
            "postmortem.toml:1:1: error: timezone: 'Mars/Olympus' is not",
        ),
        ("severities = []\n", "postmortem.toml:1:1: error: severities: expected a non-empty list"),
        ('today = "soon"\n', "postmortem.toml:1:1: error: today: expected a date, YYYY-MM-DD"),
        ("output = 3\n", "postmortem.toml:1:1: error: output: expected a path"),
        ("formats = [\n", "postmortem.toml:2:1: error: invalid TOML:"),
    ],
)
def test_config_errors(project: Path, text: str, expected: str) -> None:
    (project / "postmortem.toml").write_text(text)
    for command in (["config"], ["check", "docs/incidents"], ["render", "docs/incidents"]):
        result = run_cli(*command, cwd=project)
        assert result.exit_code == 2, command
        assert result.stderr.startswith(expected), result.stderr
        assert "Traceback" not in result.stderr


def test_environment_errors_name_the_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTMORTEM_TODAY", "tomorrow")
    result = run_cli("check", "docs/incidents", cwd=project)
    assert result.exit_code == 2
    assert result.stderr.startswith("environment POSTMORTEM_TODAY: error: today: expected a date")


def test_new_writes_into_the_configured_folder(project: Path) -> None:
    (project / "postmortem.toml").write_text('incidents = "docs/incidents"\n')
    assert run_cli("new", "fresh", cwd=project).exit_code == 0
    assert (project / "docs" / "incidents" / "fresh.yaml").is_file()


def test_new_takes_the_first_allowed_severity(project: Path) -> None:
    (project / "postmortem.toml").write_text(
        'incidents = "docs/incidents"\nseverities = ["P1", "P2 \\"major\\""]\n'
    )
    assert run_cli("new", "graded", cwd=project).exit_code == 0
    text = (project / "docs" / "incidents" / "graded.yaml").read_text()
    assert 'severity: "P1"  # one of: P1, P2 "major"' in text
    result = run_cli("check", "docs/incidents/graded.yaml", cwd=project)
    assert result.exit_code == 0, result.stdout


def test_missing_default_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert (
        "no PATH given, and the incidents folder incidents (default) does not exist"
        in result.stderr
    )
