"""One build, one way in (issue 14): render, index and the MkDocs plugin run the same build.

An index template sees the same documented type (`RecordSummary`) in a full build, a
sharded one and the plugin; the joined shards are a full build byte for byte, manifest
included; a broken index template is a diagnostic everywhere, never a traceback.
"""

from __future__ import annotations

import dataclasses
import shutil
import typing
from pathlib import Path

import pytest

from postmortem.summary import ActionSummary, RecordSummary

from conftest import INCIDENTS, run_cli

TODAY = "2024-03-20"


def _every_name(cls: type, prefix: str) -> list[str]:
    """Every attribute path of a summary type: `r.incident.trigger.kind`, … (a list's items
    are named by the list)."""
    names = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        options = [kind, *(() if typing.get_origin(kind) is list else typing.get_args(kind))]
        inner = [a for a in options if isinstance(a, type) and dataclasses.is_dataclass(a)]
        if inner:
            names += _every_name(inner[0], f"{prefix}.{f.name}")
        else:
            names.append(f"{prefix}.{f.name}")
    return names


def _template_reading_everything() -> str:
    """An index.md.j2 that prints every name README's Templates section lists."""
    lines = ["{% for r in ix.rows %}"]
    for name in _every_name(RecordSummary, "r.incident"):
        parent = name.rsplit(".", 1)[0]
        lines.append(f"{name}: {{{{ {name} if {parent} }}}}")
    lines.append("{% for a in r.incident.action_items %}")
    for f in dataclasses.fields(ActionSummary):
        lines.append(f"a.{f.name}: {{{{ a.{f.name} }}}}")
    lines += ["{% endfor %}", "{% endfor %}", ""]
    return "\n".join(lines)


def test_readme_lists_every_name_an_index_template_may_read() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("### What an index template reads") :]
    for name in _every_name(RecordSummary, "r.incident"):
        assert f"`{name.removeprefix('r.incident.')}`" in section, name
    for f in dataclasses.fields(ActionSummary):
        assert f"`{f.name}`" in section.split("`action_items`")[1].split("\n")[0], f.name


def test_a_custom_index_template_reads_the_same_in_a_full_and_a_sharded_build(
    tmp_path: Path,
) -> None:
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "index.md.j2").write_text(_template_reading_everything())
    common = ("-f", "md", "--today", TODAY, "--templates", str(templates))
    full = tmp_path / "full"
    assert run_cli("render", str(INCIDENTS), "-o", str(full), *common).exit_code == 0
    shards = []
    for k in (1, 2):
        shard = tmp_path / f"s{k}"
        args = ("render", str(INCIDENTS), "--shard", f"{k}/2", "-o", str(shard), *common)
        assert run_cli(*args).exit_code == 0
        shards.append(str(shard))
    joined = tmp_path / "joined"
    result = run_cli("index", *shards, "-o", str(joined), "--records", str(INCIDENTS), *common)
    assert result.exit_code == 0, result.stderr
    text = (full / "index.md").read_text()
    assert "r.incident.trigger.kind: capacity" in text and "a.owner:" in text
    for name in sorted(p.name for p in full.iterdir()):
        assert (joined / name).read_bytes() == (full / name).read_bytes(), name


def test_a_name_outside_the_summary_fails_the_same_way_everywhere(tmp_path: Path) -> None:
    """`r.incident.summary` is prose, not part of the index's type: a clean error in both."""
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "index.md.j2").write_text(
        "{% for r in ix.rows %}{{ r.incident.summary }}{% endfor %}"
    )
    common = ("-f", "md", "--today", TODAY, "--templates", str(templates))
    full = run_cli("render", str(INCIDENTS), "-o", str(tmp_path / "full"), *common)
    shard = run_cli("render", str(INCIDENTS), "--shard", "1/1", "-o", str(tmp_path / "s"), *common)
    joined = run_cli(
        "index",
        str(tmp_path / "s"),
        "-o",
        str(tmp_path / "j"),
        "--records",
        str(INCIDENTS),
        *common,
    )
    assert shard.exit_code == 0
    for result in (full, joined):
        assert result.exit_code == 1
        assert "index.md.j2:1:0: error: index: template error:" in result.stderr
        assert "has no attribute 'summary'" in result.stderr
        assert "Traceback" not in result.stderr


def test_joined_shards_are_a_full_build_byte_for_byte_manifest_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    src = tmp_path / "incidents"
    shutil.copytree(INCIDENTS, src)
    (tmp_path / "postmortem.toml").write_text('page_size = "Letter"\ntimezone = "Europe/Berlin"\n')
    monkeypatch.chdir(tmp_path)
    common = ("-f", "md,html", "--today", TODAY)
    assert run_cli("render", "incidents", "-o", "full", *common).exit_code == 0
    for k in (1, 2, 3):
        assert (
            run_cli("render", "incidents", "--shard", f"{k}/3", "-o", f"s{k}", *common).exit_code
            == 0
        )
    result = run_cli("index", "s1", "s2", "s3", "-o", "joined", *common)
    assert result.exit_code == 0, result.stderr
    full = sorted(p.relative_to(tmp_path / "full") for p in (tmp_path / "full").rglob("*"))
    joined = sorted(p.relative_to(tmp_path / "joined") for p in (tmp_path / "joined").rglob("*"))
    assert full == joined
    for rel in full:
        if (tmp_path / "full" / rel).is_file():
            assert (tmp_path / "joined" / rel).read_bytes() == (
                tmp_path / "full" / rel
            ).read_bytes(), rel


def test_a_broken_index_template_is_a_warning_in_mkdocs_not_a_traceback(tmp_path: Path) -> None:
    from test_mkdocs import make_site, mkdocs

    site = make_site(tmp_path / "project", "      today: 2024-03-20\n")
    templates = site / "tpl"
    templates.mkdir()
    (templates / "index.md.j2").write_text("{{ nope }}\n")
    (site / "postmortem.toml").write_text('templates = "tpl"\n')
    strict = mkdocs(site, "build", "--strict")
    assert strict.returncode == 1
    assert "Traceback" not in strict.stderr, strict.stderr
    assert "index.md.j2:1:0: error: index: template error: 'nope' is undefined" in strict.stderr
