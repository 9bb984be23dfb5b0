"""The command line as users and scripts use it: formats, exit codes, help, entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from postmortem import __version__

from conftest import FIXTURES, ROOT, png, run_cli

BAD = "tests/fixtures/invalid/many-errors.yaml"
GOOD = "tests/fixtures/valid/full.yaml"


def test_json_format_lists_objects() -> None:
    result = run_cli("check", "--format", "json", BAD, GOOD, cwd=ROOT)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [d["rule"] for d in data] == ["required", "unknown-key", "enum", "type"]
    first = data[1]
    assert first == {
        "path": BAD,
        "line": 2,
        "column": 1,
        "message": "unknown key 'titel' (did you mean 'title'?)",
        "rule": "unknown-key",
        "field": "titel",
        "severity": "error",
    }


def test_json_format_of_valid_records_is_an_empty_list() -> None:
    result = run_cli("check", "-o", "json", GOOD, cwd=ROOT)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_github_format_annotates_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    result = run_cli("check", "--format", "github", BAD, cwd=ROOT)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[1] == (
        f"::error file={BAD},line=2,col=1,title=postmortem unknown-key::"
        "unknown key 'titel' (did you mean 'title'?)"
    )
    assert all(line.startswith("::error file=") for line in lines)


def test_github_annotations_name_files_from_the_repository_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GitHub attaches annotations to the diff only by repository paths: an absolute path
    (as the configured incidents folder gives) or one from a subfolder is made relative to
    GITHUB_WORKSPACE, else to the current folder; `--format` takes any case."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    absolute = run_cli("check", "--format", "GITHUB", str(ROOT / BAD), cwd=ROOT)
    assert absolute.exit_code == 1
    assert absolute.stdout.splitlines()[1].startswith(f"::error file={BAD},line=2,col=1,")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(ROOT))
    sub = run_cli(
        "check", "--format", "github", "fixtures/invalid/many-errors.yaml", cwd=ROOT / "tests"
    )
    assert sub.stdout.splitlines()[1].startswith(f"::error file={BAD},line=2,col=1,")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(ROOT / "postmortem"))  # the file is not in it
    outside = run_cli("check", "--format", "github", BAD, cwd=ROOT)
    assert outside.stdout.splitlines()[1].startswith(f"::error file={BAD},line=2,col=1,")


def test_text_summary_goes_to_stderr() -> None:
    result = run_cli("check", BAD, GOOD, cwd=ROOT)
    assert result.stderr == "1 of 2 record(s) invalid, 4 error(s)\n"
    ok = run_cli("check", GOOD, cwd=ROOT)
    assert (ok.stdout, ok.stderr) == ("", "1 record(s) valid\n")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", GOOD], 0),
        (["check", BAD], 1),
        (["check"], 0),  # no PATH: the incidents folder
        (["check", "no/such/file.yaml"], 2),
        (["check", "--format", "xml", GOOD], 2),
        (["check", "tests"], 1),  # folders are searched recursively
        (["bogus"], 2),
    ],
)
def test_exit_codes(args: list[str], code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "postmortem", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr


def test_folder_without_records_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 2
    assert "no *.yaml or *.yml records found" in result.stderr


def test_hidden_folders_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("not: [valid")
    (tmp_path / "ok.yml").write_text((FIXTURES / "valid" / "minimal.yaml").read_text())
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 0, result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.stdout == f"postmortem, version {__version__}\n"


@pytest.mark.parametrize(
    "command", ["check", "schema", "new", "render", "actions", "index", "config", "extract"]
)
def test_every_command_has_help_with_examples(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"postmortem {command}" in result.stdout


def _installed_entry_point() -> str:
    script = Path(sys.executable).with_name("postmortem")
    assert script.exists(), f"the console script is not installed next to {sys.executable}"
    return str(script)


def test_installed_entry_point_runs_check() -> None:
    """The console script that `pip install` wrote, in a real subprocess."""
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [_installed_entry_point(), "check", BAD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines()[1] == (
        f"{BAD}:2:1: error: unknown key 'titel' (did you mean 'title'?) [unknown-key]"
    )


def test_check_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; from postmortem.cli import main; sys.argv=['postmortem','check',"
        f"{GOOD!r}]\ntry: main()\nexcept SystemExit: pass\n"
        "print(sorted(m for m in ('weasyprint','jinja2','markdown_it') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_scripts(shell: str) -> None:
    env = {**os.environ, "_POSTMORTEM_COMPLETE": f"{shell}_source"}
    result = subprocess.run(
        [_installed_entry_point()], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert "_POSTMORTEM_COMPLETE" in result.stdout


def test_completion_offers_commands() -> None:
    env = {
        **os.environ,
        "_POSTMORTEM_COMPLETE": "bash_complete",
        "COMP_WORDS": "postmortem re",
        "COMP_CWORD": "1",
    }
    result = subprocess.run(
        [_installed_entry_point()], env=env, capture_output=True, text=True, timeout=30
    )
    assert "plain,render" in result.stdout


@pytest.mark.parametrize(
    "command", ["check", "schema", "new", "render", "actions", "index", "config", "extract"]
)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"postmortem {command}" in readme


def test_check_refuses_images_that_render_would_refuse(tmp_path: Path) -> None:
    """`check` in pre-commit must not pass a record that `render` then fails."""
    folder = tmp_path / "incidents"
    folder.mkdir()
    (folder / "shown.png").write_bytes(png())
    text = (FIXTURES / "valid" / "minimal.yaml").read_text()
    record = folder / "r.yaml"
    summary = "summary: '![a](shown.png) ![b](../secret.png) ![c](pics/nope.png)'"
    record.write_text(text.replace("summary: The API returned errors for ten minutes.", summary))
    result = run_cli("check", str(folder))
    assert result.exit_code == 1, result.stdout
    lines = [line for line in result.stdout.splitlines() if "[image]" in line]
    assert len(lines) == 2, result.stdout
    assert f"{record}:5:10: error: image '../secret.png' has an empty, '.' or '..' part" in lines[0]
    assert "image 'pics/nope.png' does not exist" in lines[1]
    assert "shown.png" not in result.stdout
    render = run_cli("render", str(folder), "-o", str(tmp_path / "out"), "-f", "md")
    assert render.exit_code == 1
    assert lines[0] in (render.stdout + render.stderr).splitlines()  # the same error


def test_a_bare_step_id_in_caused_by_gets_the_list_it_needs(tmp_path: Path) -> None:
    text = (FIXTURES / "valid" / "full.yaml").read_text()
    assert text.count("caused_by: [pool]") == 2
    record = tmp_path / "r.yaml"
    record.write_text(text.replace("caused_by: [pool]", "caused_by: pool", 1))
    result = run_cli("check", str(record))
    assert result.exit_code == 1
    assert f"{record}:28:16: error: " in result.stdout
    assert "write one step as a list: [pool]" in result.stdout


# The options `render` and `index` share, by destination name.
SHARED = ("outdir", "formats", "templates", "today", "quiet")


def test_render_and_index_declare_their_shared_options_alike() -> None:
    from postmortem.cli import cli

    def declared(command: str) -> dict[str, tuple[object, ...]]:
        params = {p.name: p for p in cli.commands[command].params}
        shape = {}
        for name in SHARED:
            info = params[name].to_info_dict()
            info.pop("help")  # each command says what the option means for it
            shape[name] = (info, params[name].callback)
        return shape

    assert declared("render") == declared("index")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--today", "2024-02-30"], "Invalid value for '--today'"),
        (["-f", "md,docx"], "docx: choose from md, html, pdf"),
        (["--formats", " , "], "nothing: choose from"),
        (["--templates", "no-such-folder"], "Invalid value for '--templates'"),
        (["-o"], "Option '-o' requires an argument"),
    ],
)
def test_render_and_index_refuse_a_shared_option_the_same_way(
    tmp_path: Path, args: list[str], message: str
) -> None:
    shard = tmp_path / "shard"
    shard.mkdir()
    errors = []
    for command, path in (
        ("render", str(FIXTURES / "valid" / "minimal.yaml")),
        ("index", str(shard)),
    ):
        result = run_cli(command, path, *args, cwd=tmp_path)
        assert result.exit_code == 2, (command, result.stderr)
        assert message in result.stderr, (command, result.stderr)
        errors.append(result.stderr.splitlines()[-1])
    assert errors[0] == errors[1]
