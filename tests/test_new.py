"""`postmortem new`: the skeleton is a valid draft, and nothing is overwritten."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli


def test_skeleton_passes_check_as_written_and_when_filled(tmp_path: Path) -> None:
    result = run_cli("new", "db-2024-03-02", "--dir", str(tmp_path), "--date", "2024-03-02")
    assert result.exit_code == 0, result.output
    path = tmp_path / "db-2024-03-02.yaml"
    text = path.read_text()
    assert "TODO" in text and "# " in text
    assert run_cli("check", str(path)).exit_code == 0

    filled = re.sub(r"TODO[^\"\n]*", "Filled in by the author", text)
    path.write_text(filled)
    assert "TODO" not in filled
    assert run_cli("check", str(path)).exit_code == 0


def test_title_with_quotes_is_escaped(tmp_path: Path) -> None:
    run_cli("new", "q", "--dir", str(tmp_path), "--title", 'Say "hi" \\ bye')
    assert 'title: "Say \\"hi\\" \\\\ bye"' in (tmp_path / "q.yaml").read_text()
    assert run_cli("check", str(tmp_path)).exit_code == 0


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("precious")
    result = run_cli("new", "x", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "already exists" in result.stderr
    assert path.read_text() == "precious"


def test_invalid_id_is_refused(tmp_path: Path) -> None:
    for bad in ("Bad_Id", "../escape", "con", "nul.backup"):
        result = run_cli("new", bad, "--dir", str(tmp_path))
        assert result.exit_code == 2  # a usage error, as a bad option value is
        assert "Invalid value for 'ID'" in result.stderr
        assert "is not a valid id" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
