"""Build state that never lies: the manifest after a fault, as input, and errors, not tracebacks.

Every case runs the real command (click's runner, or a subprocess where the process must die
or be limited) and looks at the output folder afterwards.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import signal
import subprocess
import sys
from dataclasses import fields, replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, png, run_cli

MANIFEST = ".postmortem-manifest.json"
TODAY = "2024-01-01"


def _record(i: int, word: str = "Generated", bulk: str = "") -> str:
    return f"""id: gen-{i:03d}
title: "{word} incident {i}"
date: 2024-03-02
summary: "{word} summary {bulk}![chart](c{i}.png)"
trigger:
  description: A configuration change.
cascade:
  - component: API
    description: Returned errors.
impact:
  start: 2024-03-02T10:00:00Z
  description: Requests failed.
resolution:
  description: The change was rolled back.
lessons:
  went_wrong: [The change was not canaried.]
action_items:
  - title: "Fix {i}"
    status: open
    due: 2024-0{1 + i % 9}-15
"""


def _corpus(folder: Path, n: int = 6, word: str = "Generated", bulk: str = "") -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"gen-{i:03d}.yaml").write_text(_record(i, word, bulk))
        (folder / f"c{i}.png").write_bytes(png(i + 1, 4))
    return folder


def _state(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file below `folder`: its mtime and bytes (the manifest included)."""
    return {
        p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _bytes(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (_, data) in _state(folder).items()}


def _render(src: Path, out: Path, *extra: str, code: int = 0) -> str:
    result = run_cli("render", str(src), "-o", str(out), "-f", "md,html", "--today", TODAY, *extra)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def _subprocess(
    *args: str, env: dict[str, str] | None = None, fsize: int | None = None
) -> subprocess.CompletedProcess[str]:
    """`postmortem ARGS` in its own process (one that may die, or hit a file-size limit)."""

    def limits() -> None:
        # Memory bounded, so that a read of /dev/zero fails fast instead of eating the machine.
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        if fsize is not None:
            # A full disk: writes past `fsize` bytes fail with EFBIG (the signal would kill).
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "postmortem", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=limits,
        check=False,
    )


# --- finding 10: state after a fault -------------------------------------------------------


@pytest.mark.parametrize("killed_at", ["gen-001", "gen-004"])
def test_a_killed_build_then_reverted_records_gives_a_clean_build(
    tmp_path: Path, killed_at: str
) -> None:
    """The killed build overwrote outputs the manifest still called current: they are made
    again, and the folder ends as a clean build of the same records leaves it."""
    src, out, clean = tmp_path / "src", tmp_path / "out", tmp_path / "clean"
    _corpus(src)
    _render(src, out)
    _corpus(src, word="Edited")
    killed = _subprocess(
        *("render", str(src), "-o", str(out), "-f", "md,html", "--today", TODAY, "-j", "1"),
        env={"POSTMORTEM_FAULT_INJECT": f"crash:{killed_at}"},
    )
    assert killed.returncode == 70, killed.stderr  # the process died mid-way
    assert b"Edited" in (out / "gen-000.md").read_bytes()  # it had written something
    _corpus(src)  # the records as the manifest knew them
    stderr = _render(src, out)
    assert "unchanged 6" not in stderr
    _render(src, clean)
    assert _bytes(out) == _bytes(clean)


def test_source_date_epoch_is_in_the_fingerprint(tmp_path: Path) -> None:
    src, out = _corpus(tmp_path / "src", 2), tmp_path / "out"
    _render(src, out)
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        stderr = _render(src, out)
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert "rendered 2, unchanged 0" in stderr


def _options_changes(tmp_path: Path) -> dict[str, object]:
    """A different value for every field of Options (but today, which counts per record)."""
    templates = tmp_path / "templates"
    templates.mkdir(exist_ok=True)
    (templates / "html.html.j2").write_text('{% extends "builtin/html.html.j2" %}')
    return {
        "formats": ("md",),
        "templates": templates,
        "page_size": "Letter",
        "source_date_epoch": 1700000000,
        "pdf_variant": "pdf/a-3b",
        "cascade": "svg",
    }


def test_every_option_and_the_policy_are_in_the_fingerprint(tmp_path: Path) -> None:
    """A new field of Options or Policy fails here until the fingerprint covers it."""
    from postmortem.checker import DEFAULT_POLICY
    from postmortem.pipeline import build as render_paths
    from postmortem.writers import Options

    src, out = _corpus(tmp_path / "src", 2), tmp_path / "out"
    base = Options(formats=("md", "html"), today=date(2024, 1, 1))
    changes = _options_changes(tmp_path)
    assert {f.name for f in fields(Options)} - {"today"} == set(changes)
    policies = {
        "timezone": "Europe/Berlin",
        "severities": ("SEV1", "SEV2"),
        "audience": "public",
        "require_status": "draft",
    }
    assert {f.name for f in fields(type(DEFAULT_POLICY))} == set(policies)
    render_paths([src], out, base)
    for name, value in changes.items():
        summary = render_paths([src], out, replace(base, **{name: value}))
        assert summary.unchanged == [], name
        render_paths([src], out, base)
    for name, value in policies.items():
        policy = replace(DEFAULT_POLICY, **{name: value})
        summary = render_paths([src], out, base, policy=policy)
        assert summary.unchanged == [] or summary.failed, name
        render_paths([src], out, base)
    assert render_paths([src], out, base).unchanged == ["gen-000", "gen-001"]


def test_the_manifest_names_the_engines_that_make_the_bytes(tmp_path: Path) -> None:
    """A PDF's bytes depend on WeasyPrint and the libraries under it: the manifest's key
    names their versions, as WeasyPrint itself reports them."""
    from importlib.metadata import version

    src, out = _corpus(tmp_path / "src", 1), tmp_path / "out"
    _render(src, out, "-f", "md")
    engines = json.loads((out / MANIFEST).read_text())["engines"]
    assert engines["jinja2"] == version("jinja2")
    assert engines["markdown-it-py"] == version("markdown-it-py")
    assert engines["mdit-py-plugins"] == version("mdit-py-plugins")
    assert "weasyprint" not in engines  # no PDF asked for: not even looked up
    result = run_cli("render", str(src), "-o", str(out), "-f", "pdf", "--today", TODAY)
    assert result.exit_code == 0, result.stderr
    engines = json.loads((out / MANIFEST).read_text())["engines"]
    from weasyprint.text.ffi import harfbuzz, pango

    assert engines["weasyprint"] == version("weasyprint")
    assert engines["pydyf"] == version("pydyf")
    assert engines["fonttools"] == version("fonttools")
    number = pango.pango_version()  # as `weasyprint --info` shows it
    assert engines["pango"] == f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    major, minor, micro = (int(part) for part in engines["harfbuzz"].split("."))
    assert harfbuzz.hb_version_atleast(major, minor, micro)
    assert not harfbuzz.hb_version_atleast(major, minor, micro + 1)
    # Another engine than the one recorded: nothing the manifest says can be trusted.
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["engines"]["pango"] = "0.0.1"
    (out / MANIFEST).write_text(json.dumps(manifest))
    result = run_cli("render", str(src), "-o", str(out), "-f", "pdf", "--today", TODAY)
    assert "rendered 1, unchanged 0" in result.stderr


def test_no_records_is_a_usage_error_that_changes_nothing(tmp_path: Path) -> None:
    src, out, empty = _corpus(tmp_path / "src", 2), tmp_path / "out", tmp_path / "empty"
    empty.mkdir()
    _render(src, out)
    before = _state(out)
    stderr = _render(empty, out, code=2)
    assert "no *.yaml or *.yml records found" in stderr
    assert _state(out) == before
    _render(empty, tmp_path / "new", code=2)
    assert not (tmp_path / "new").exists()


def _tamper(out: Path, change: str) -> None:
    """Make the manifest hostile in one way (it may come from a cache or an artifact)."""
    text = (out / MANIFEST).read_text()
    data = json.loads(text)
    record = data["records"]["gen-001"]
    first = next(iter(data["pictures"]))
    if change == "deep":
        (out / MANIFEST).write_text("[" * 100_000 + "]" * 100_000)
        return
    if change == "nul-output":
        record["outputs"] = {"gen-001\x00.html": "0" * 64}
    elif change == "dotdot-output":
        record["outputs"] = {"../src/gen-001.yaml": "0" * 64}
    elif change == "absolute-output":
        record["outputs"] = {"/etc/hostname": "0" * 64}
    elif change == "dev-zero-picture":
        data["pictures"][first] = ["/dev/zero"]
    elif change == "nul-picture":
        data["pictures"][first] = ["c\x00.png"]
    elif change == "nul-source":
        record["source"] = "x\x00.yaml"
    elif change == "wrong-types":
        record["outputs"] = [1, 2]
        data["pictures"] = {"a": 5}
    elif change == "bad-ident":
        data["records"]["../x"] = data["records"].pop("gen-001")
    (out / MANIFEST).write_text(json.dumps(data))


@pytest.mark.parametrize(
    "change",
    [
        "deep",
        "nul-output",
        "dotdot-output",
        "absolute-output",
        "dev-zero-picture",
        "nul-picture",
        "nul-source",
        "wrong-types",
        "bad-ident",
    ],
)
def test_a_hostile_manifest_means_a_full_rebuild(tmp_path: Path, change: str) -> None:
    src, out = _corpus(tmp_path / "src", 3), tmp_path / "out"
    args = ("render", str(src), "-o", str(out), "-f", "md,html", "--today", TODAY, "-j", "1")
    assert _subprocess(*args).returncode == 0
    _tamper(out, change)
    result = _subprocess(*args)
    assert result.returncode == 0, result.stderr
    assert "rendered 3, unchanged 0, failed 0" in result.stderr
    assert (src / "gen-001.yaml").is_file()
    assert _subprocess(*args).stderr.startswith("rendered 0, unchanged 3")  # trusted again


def test_cleanup_keeps_a_file_the_user_replaced(tmp_path: Path) -> None:
    src, out = _corpus(tmp_path / "src", 3), tmp_path / "out"
    _render(src, out)
    (out / "gen-001.html").write_text("my own page now")
    (src / "gen-001.yaml").unlink()
    stderr = _render(src, out, "-v")
    assert f"removed {out / 'gen-001.md'}" in stderr
    assert (out / "gen-001.html").read_text() == "my own page now"
    assert "gen-001" not in json.loads((out / MANIFEST).read_text())["records"]


# --- finding 12: errors, never a traceback, never a lost good output -----------------------


def test_an_output_folder_under_a_file_is_a_usage_error(tmp_path: Path) -> None:
    src = _corpus(tmp_path / "src", 1)
    (tmp_path / "file").write_text("not a folder")
    stderr = _render(src, tmp_path / "file" / "site", code=2)
    assert stderr.startswith(f"Error: cannot use {tmp_path / 'file' / 'site'} as the output")
    assert "is a file" in _render(src, tmp_path / "file", code=2)  # click's own check
    assert (tmp_path / "file").read_text() == "not a folder"


def test_an_output_that_is_a_folder_fails_its_record_cleanly(tmp_path: Path) -> None:
    src, out = _corpus(tmp_path / "src", 3), tmp_path / "out"
    _render(src, out)
    good = _bytes(out)
    (out / "gen-001.html").unlink()
    (out / "gen-001.html").mkdir()
    _corpus(src, word="Edited")
    stderr = _render(src, out, code=1)
    assert "cannot write 'gen-001.html': 'gen-001.html' is not a regular file [output]" in stderr
    for name, data in _bytes(out).items():  # every output old-and-whole or new-and-whole
        # A new record's picture, or the index of more records.
        new = b"Edited" in data or name.endswith(".png") or name.startswith("index")
        assert good.get(name) == data or new or name == MANIFEST, name
    (out / "gen-001.html").rmdir()
    _render(src, out)
    assert "Edited" in (out / "gen-001.html").read_text()


def test_the_render_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    from postmortem.errors import PostmortemError
    from postmortem.pipeline import build as render_paths
    from postmortem.writers import Options

    src, out = _corpus(tmp_path / "src", 2), tmp_path / "file" / "out"
    (tmp_path / "file").write_text("a file where the output folder's parent should be")
    assert gc.get_freeze_count() == 0
    with pytest.raises(PostmortemError):
        render_paths([src], out, Options(formats=("md",), today=date(2024, 1, 1)))
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("limit", [4_000, 24_000])
def test_a_full_disk_fails_cleanly_and_keeps_every_good_output(tmp_path: Path, limit: int) -> None:
    src, out = _corpus(tmp_path / "src", 3), tmp_path / "out"
    args = ("render", str(src), "-o", str(out), "-f", "md,html", "--today", TODAY, "-j", "1")
    assert _subprocess(*args).returncode == 0
    good = _bytes(out)
    _corpus(src, 3, word="Edited", bulk="many words " * 2000)  # bigger outputs than the disk takes
    result = _subprocess(*args, fsize=limit)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith(f"Error: cannot write {out}"), result.stderr
    assert "Traceback" not in result.stderr
    for name, data in _bytes(out).items():
        assert data == good.get(name) or b"Edited" in data or name == MANIFEST, name
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    result = _subprocess(*args)  # room again: the build finishes, and tells the truth
    assert result.returncode == 0 and "rendered 3" in result.stderr, result.stderr


def test_two_renders_at_once_remove_stale_outputs_without_a_traceback(tmp_path: Path) -> None:
    """Each removes the ~800 outputs of 399 records that are gone (before the fix, one of
    them crashed on a file the other had just removed, in 4 of 5 rounds)."""
    src, out = _corpus(tmp_path / "src", 400), tmp_path / "out"
    args = ("render", str(src), "-o", str(out), "-f", "md", "--today", TODAY, "-j", "1")
    for _ in range(3):
        assert _subprocess(*args).returncode == 0
        for i in range(1, 400):
            (src / f"gen-{i:03d}.yaml").unlink()
        both = [
            subprocess.Popen(
                [sys.executable, "-m", "postmortem", *args],
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for proc in both:
            _, stderr = proc.communicate(timeout=120)
            assert proc.returncode == 0 and "Traceback" not in stderr, stderr
        assert sorted(p.name for p in out.iterdir() if p.name.startswith("gen-")) == ["gen-000.md"]
        _corpus(src, 400)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[tool]\npostmortem = 5\n", "pyproject.toml:2:1: error: [tool.postmortem] is not a table"),
        ("tool = 5\n", None),
        (
            "[tool.postmortem]\ntoday = 2024-06-30T10:00:00\n",
            "pyproject.toml:2:1: error: today: expected a date, YYYY-MM-DD",
        ),
        (
            '[tool.postmortem]\noutput = "si\\u0000te"\n',
            "pyproject.toml:2:1: error: output: a path cannot hold control characters",
        ),
    ],
)
def test_config_values_that_crashed_are_errors(
    tmp_path: Path, text: str, expected: str | None
) -> None:
    _corpus(tmp_path / "incidents", 1)
    (tmp_path / "pyproject.toml").write_text(text)
    result = run_cli("render", "-f", "md", "--today", TODAY, cwd=tmp_path)
    if expected is None:  # not our table: as if there were no configuration
        assert result.exit_code == 0, result.stderr
        return
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert not (tmp_path / "site").exists()


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_any_output_setting_is_a_folder_or_an_error(tmp_path: Path, name: str) -> None:
    """Whatever `output` a configuration names, the command answers with a result or an error."""
    from postmortem.config import ConfigError, load_settings

    (tmp_path / "postmortem.toml").write_text(f"output = {json.dumps(name)}\n")
    try:
        settings_ = load_settings(tmp_path, environ={})
    except ConfigError as exc:
        assert exc.issues and all(i.rule == "config" for i in exc.issues)
        return
    assert "\x00" not in str(settings_["output"])
