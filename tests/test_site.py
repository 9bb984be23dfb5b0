"""Many records: the index, action items, incremental and parallel builds."""

from __future__ import annotations

import json
import math
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FIXTURES, png, run_cli

MANIFEST = ".postmortem-manifest.json"


def _record(i: int, rng: random.Random) -> tuple[str, dict[str, object]]:
    """A generated record and the facts the test knows about it."""
    day = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 900))
    start = datetime(day.year, day.month, day.day, rng.randrange(0, 20), rng.randrange(0, 60))
    detect = rng.choice([None, rng.randrange(1, 120)])
    resolve = rng.randrange(5, 3000)
    kind = rng.choice(["config", "deploy", "network", "capacity"])
    severity = rng.choice(["SEV1", "SEV2", "SEV3"])
    due = day + timedelta(days=rng.randrange(1, 400))
    status = rng.choice(["open", "in-progress", "done"])
    ident = f"gen-{i:03d}"
    end = start + timedelta(minutes=resolve)
    detection = (
        f'detection:\n  time: "{(start + timedelta(minutes=detect)).isoformat()}Z"\n'
        if detect
        else ""
    )
    text = f"""id: {ident}
title: "Generated incident {i}"
date: "{day.isoformat()}"
status: final
severity: {severity}
services: [svc-{i % 7}]
summary: Generated.
trigger:
  kind: {kind}
  description: Something changed.
cascade:
  - component: api
    description: Failed.
impact:
  start: "{start.isoformat()}Z"
  end: "{end.isoformat()}Z"
  description: Errors.
{detection}resolution:
  resolved: "{end.isoformat()}Z"
  description: Fixed.
lessons:
  went_wrong: [Something.]
action_items:
  - title: "Fix {i}"
    owner: team-{i % 3}
    status: {status}
    due: "{due.isoformat()}"
"""
    facts = {
        "id": ident,
        "day": day,
        "detect": detect,
        "resolve": resolve,
        "kind": kind,
        "severity": severity,
        "due": due,
        "status": status,
        "owner": f"team-{i % 3}",
    }
    return text, facts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    folder = tmp_path_factory.mktemp("records")
    rng = random.Random(20211207)
    facts = []
    for i in range(200):
        text, fact = _record(i, rng)
        (folder / f"{fact['id']}.yaml").write_text(text)
        facts.append(fact)
    return folder, facts


def _nearest_rank(values: list[float], p: int) -> float:
    # Independent of the implementation: the smallest value with >= p% of values at or below.
    for candidate in sorted(set(values)):
        if sum(v <= candidate for v in values) >= p / 100 * len(values):
            return candidate
    raise AssertionError


def _fmt_minutes(minutes: float) -> str:
    minutes = math.floor(minutes + 0.5)  # to the nearest minute, half up; never in days
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def test_index_of_200_records(corpus: tuple[Path, list[dict[str, object]]], tmp_path: Path) -> None:
    folder, facts = corpus
    today = date(2024, 1, 1)
    result = run_cli(
        "render",
        str(folder),
        "-o",
        str(tmp_path),
        "-f",
        "md,html",
        "--today",
        today.isoformat(),
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "index.html").read_text()
    md = (tmp_path / "index.md").read_text()
    for fact in facts:
        assert f'<a href="{fact["id"]}.html">Generated incident' in html
        assert f"]({fact['id']}.md)" in md
    # Newest first.
    dates = re.findall(r"^\| (\d{4}-\d{2}-\d{2}) \| \[Generated", md, flags=re.M)
    assert dates == sorted(dates, reverse=True) and len(dates) == 200

    # Incidents per month.
    per_month: dict[str, int] = {}
    for fact in facts:
        key = fact["day"].strftime("%Y-%m")  # type: ignore[attr-defined]
        per_month[key] = per_month.get(key, 0) + 1
    table = dict(re.findall(r"^\| (\d{4}-\d{2}) \| (\d+) \|$", md, flags=re.M))
    assert {k: int(v) for k, v in table.items()} == per_month
    svg = (tmp_path / "index-months.svg").read_text()
    first, last = min(per_month), max(per_month)
    span = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert svg.count('<rect class="pm-bar"') == span  # empty months get a bar of height 0

    # Median and p90 of time to resolve per quarter.
    quarters: dict[str, list[float]] = {}
    for fact in facts:
        day = fact["day"]
        quarters.setdefault(f"{day.year}-Q{(day.month - 1) // 3 + 1}", []).append(fact["resolve"])  # type: ignore[union-attr, arg-type]
    rows = {m[0]: m for m in re.findall(r"^\| (\d{4}-Q\d) \| (\d+) \|(.*)\|$", md, flags=re.M)}
    assert set(rows) == set(quarters)
    for quarter, values in quarters.items():
        cells = [c.strip() for c in rows[quarter][2].split("|")]
        resolve_median, resolve_p90 = cells[2].split(" / ")
        assert int(rows[quarter][1]) == len(values)
        ordered = sorted(values)
        n = len(ordered)
        median = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
        assert resolve_median == _fmt_minutes(median), quarter
        assert resolve_p90 == _fmt_minutes(_nearest_rank(values, 90)), quarter

    # Counts by trigger kind and severity.
    for kind in ("config", "deploy", "network", "capacity"):
        expected = sum(f["kind"] == kind for f in facts)
        assert f"| {kind} | {expected} |" in md
    for severity in ("SEV1", "SEV2", "SEV3"):
        assert f"| {severity} | {sum(f['severity'] == severity for f in facts)} |" in md

    # Open action items: open and in progress, overdue against --today, by owner.
    open_facts = [f for f in facts if f["status"] != "done"]
    overdue = [f for f in open_facts if f["due"] < today]  # type: ignore[operator]
    assert f"{len(open_facts)} open action items, **{len(overdue)} overdue**" in md
    assert md.count("**overdue** |") == len(overdue)
    for owner in ("team-0", "team-1", "team-2"):
        assert f"### {owner}" in md
        assert f"<h3>{owner}</h3>" in html


def _state(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        p.name: (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _build(src: Path, out: Path, *extra: str) -> str:
    result = run_cli(
        "render", str(src), "-o", str(out), "-f", "md,html", "--today", "2024-01-01", *extra
    )
    assert result.exit_code == 0, result.stderr
    return result.stderr


def _small_corpus(folder: Path, n: int = 6) -> None:
    rng = random.Random(7)
    folder.mkdir()
    for i in range(n):
        text, fact = _record(i, rng)
        (folder / f"{fact['id']}.yaml").write_text(text)


def test_incremental_rebuild(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src)
    assert "rendered 6, unchanged 0, failed 0" in _build(src, out)
    (out / "notes.txt").write_text("put here by hand")
    before = _state(out)

    assert "rendered 0, unchanged 6, failed 0" in _build(src, out)
    assert _state(out) == before  # nothing rewritten, not even the index

    record = src / "gen-002.yaml"
    record.write_text(record.read_text().replace("Generated incident 2", "Renamed incident 2"))
    assert "rendered 1, unchanged 5" in _build(src, out)
    after = _state(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"gen-002.md", "gen-002.html", "index.md", "index.html", MANIFEST}

    (src / "gen-004.yaml").unlink()
    stderr = _build(src, out, "-v")
    assert "rendered 0, unchanged 5" in stderr
    assert f"removed {out / 'gen-004.md'}" in stderr
    assert not (out / "gen-004.md").exists() and not (out / "gen-004.html").exists()
    assert (out / "notes.txt").read_text() == "put here by hand"
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["records"]) == ["gen-000", "gen-001", "gen-002", "gen-003", "gen-005"]

    assert "rendered 5, unchanged 0" in _build(src, out, "--force")


def test_changed_template_rerenders_everything(tmp_path: Path) -> None:
    src, out, templates = tmp_path / "src", tmp_path / "out", tmp_path / "templates"
    _small_corpus(src, 3)
    templates.mkdir()
    (templates / "html.html.j2").write_text('{% extends "builtin/html.html.j2" %}')
    _build(src, out, "--templates", str(templates))
    before = _state(out)
    (templates / "html.html.j2").write_text(
        '{% extends "builtin/html.html.j2" %}{% block header %}<p>ACME</p>{% endblock %}'
    )
    assert "rendered 3, unchanged 0" in _build(src, out, "--templates", str(templates))
    after = _state(out)
    for i in range(3):
        assert after[f"gen-00{i}.html"] != before[f"gen-00{i}.html"]


def test_overdue_date_change_rerenders_only_records_it_touches(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src, 4)
    _build(src, out)
    stderr = _build(src, out, "--today", "2024-01-02")  # flips no overdue flag
    assert "rendered 0, unchanged 4" in stderr
    stderr = _build(src, out, "--today", "2099-01-01")  # every open item now overdue
    flips = 0
    for path in src.glob("*.yaml"):
        text = path.read_text()
        due = re.search(r'due: "([\d-]+)"', text).group(1)  # type: ignore[union-attr]
        flips += "status: done" not in text and due >= "2024-01-01"
    assert 0 < flips < 4
    assert f"rendered {flips}, unchanged {4 - flips}" in stderr


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"kind": "other-tool", "version": 1}', b"[]", b""]
)
def test_corrupt_or_foreign_manifest_means_a_full_rebuild(tmp_path: Path, content: bytes) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src, 2)
    _build(src, out)
    (out / MANIFEST).write_bytes(content)
    assert "rendered 2, unchanged 0, failed 0" in _build(src, out)
    assert json.loads((out / MANIFEST).read_text())["kind"] == "postmortem-manifest"


def test_manifest_cannot_make_us_delete_files_outside_the_folder(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src, 1)
    _build(src, out)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["records"]["gone"] = {
        "source": "x.yaml",
        "fingerprint": "x",
        "outputs": ["../victim.txt", "/etc/hostname"],
    }
    (out / MANIFEST).write_text(json.dumps(manifest))
    _build(src, out)
    assert victim.read_text() == "keep me"


def _mixed_corpus(src: Path) -> None:
    """Records that link later ones, an id used twice and an invalid record, among valid ones."""
    _small_corpus(src, 4)
    first = src / "gen-000.yaml"
    first.write_text(first.read_text() + "related: [gen-003]\n")
    (src / "gen-000-again.yaml").write_text((src / "gen-002.yaml").read_text())
    (src / "broken.yaml").write_text((src / "gen-001.yaml").read_text().replace("id: ", "ident: "))


def test_jobs_1_and_2_give_identical_folders(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _mixed_corpus(src)
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = run_cli("render", str(src), "-o", str(out), "--today", "2024-01-01", "-j", jobs)
        assert result.exit_code == 1, result.stderr
        assert "rendered 4, unchanged 0, failed 2" in result.stderr
        assert "duplicate-id" in result.stderr or "already used by" in result.stderr
        outputs[jobs] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert outputs["1"] == outputs["2"]
    assert any(name.endswith(".pdf") for name in outputs["1"])
    assert b"Generated incident 3" in outputs["1"]["gen-000.html"]  # the related link's title


def test_in_process_a_record_is_read_and_checked_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one job the build renders each record from the check it just made; only a record
    that links others waits for their titles, and is read and checked again then."""
    import postmortem.workers as workers
    from postmortem.pipeline import build
    from postmortem.writers import Options

    src = tmp_path / "src"
    _mixed_corpus(src)
    again: list[str] = []
    real = workers.check_bytes
    monkeypatch.setattr(
        workers, "check_bytes", lambda path, *a: again.append(path) or real(path, *a)
    )
    options = Options(formats=("md", "html"), today=date(2024, 1, 1))
    summary = build([src], tmp_path / "out", options, jobs=1)
    # In the order of the files; gen-000-again.yaml is the first to claim gen-002.
    assert summary.rendered == ["gen-002", "gen-000", "gen-001", "gen-003"]
    assert again == [str(src / "gen-000.yaml")]
    assert "Generated incident 3" in (tmp_path / "out" / "gen-000.md").read_text()


@pytest.mark.parametrize("fault", ["crash", "raise"])
def test_a_record_that_breaks_its_worker_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src, 5)
    monkeypatch.setenv("POSTMORTEM_FAULT_INJECT", f"{fault}:gen-001")
    result = run_cli(
        "render", str(src), "-o", str(out), "-f", "md,html", "-j", "2", "--today", "2024-01-01"
    )
    assert result.exit_code == 1
    assert "rendered 4, unchanged 0, failed 1" in result.stderr
    rule = "crash" if fault == "crash" else "internal"
    assert re.search(rf"gen-001\.yaml: error: .*\[{rule}\]", result.stderr), result.stderr
    assert not (out / "gen-001.html").exists()
    assert all((out / f"gen-00{i}.html").exists() for i in (0, 2, 3, 4))


def test_summary_line_and_verbosity(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _small_corpus(src, 2)
    quiet = run_cli("render", str(src), "-o", str(tmp_path / "q"), "-f", "md", "-q")
    assert quiet.stderr == ""
    verbose = run_cli("render", str(src), "-o", str(tmp_path / "v"), "-f", "md", "-v")
    assert f"wrote {tmp_path / 'v' / 'gen-000.md'}" in verbose.stderr
    assert re.search(r"^rendered 2, unchanged 0, failed 0 in \d+\.\ds$", verbose.stderr, flags=re.M)
    assert "\r" not in verbose.stderr  # no progress bar when stderr is not a terminal


def test_actions_command(tmp_path: Path) -> None:
    # The format 1 records (valid/ also holds the 1.1 example, with action items of its own).
    valid = str(FIXTURES / "valid" / "full.yaml")
    text = run_cli("actions", valid, "--today", "2024-03-20")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].startswith("OVERDUE  2024-03-15  open") and "(full-example.2024_03)" in lines[0]
    assert len(lines) == 2  # the done item is not listed by default
    data = json.loads(run_cli("actions", valid, "--format", "json", "--status", "done").stdout)
    assert [d["title"] for d in data] == ["Add jitter to retries"]
    csv_out = run_cli(
        "actions", valid, "-o", "csv", "--owner", "PAYMENTS-team", "--today", "2024-03-20"
    ).stdout
    assert csv_out.splitlines()[0].startswith("incident,incident_title,title,kind,owner")
    assert len(csv_out.splitlines()) == 2
    assert run_cli("actions", valid, "--overdue", "--today", "2024-03-01").stdout == ""
    gate = run_cli("actions", valid, "--today", "2024-03-20", "--fail-on-overdue")
    assert gate.exit_code == 1 and "1 overdue action item(s)" in gate.stderr
    assert run_cli("actions", valid, "--today", "2024-03-01", "--fail-on-overdue").exit_code == 0


def test_shards_joined_equal_one_full_build(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _small_corpus(src, 9)
    common = ["-f", "md,html", "--today", "2024-01-01", "-q"]
    assert run_cli("render", str(src), "-o", str(tmp_path / "full"), *common).exit_code == 0
    shards = []
    for k in (1, 2, 3):
        out = tmp_path / f"shard-{k}"
        result = run_cli("render", str(src), "-o", str(out), "--shard", f"{k}/3", *common)
        assert result.exit_code == 0, result.stderr
        assert not (out / "index.html").exists()
        shards.append(str(out))
    # Every record is in exactly one shard.
    names = [p.name for s in shards for p in Path(s).iterdir() if p.suffix == ".html"]
    assert sorted(names) == sorted(f"gen-00{i}.html" for i in range(9))
    joined = run_cli(
        "index",
        *shards,
        "-o",
        str(tmp_path / "joined"),
        "-f",
        "md,html",
        "--today",
        "2024-01-01",
        "--records",
        str(src),
    )
    assert joined.exit_code == 0, joined.stderr
    full = {p.name: p.read_bytes() for p in (tmp_path / "full").iterdir()}
    together = {p.name: p.read_bytes() for p in (tmp_path / "joined").iterdir()}
    assert together == full


def test_shard_option_is_checked() -> None:
    for bad in ("0/2", "3/2", "x", "1/0"):
        result = run_cli("render", str(FIXTURES / "valid"), "--shard", bad)
        assert result.exit_code == 2
        assert "write K/N" in result.stderr


def test_index_of_a_folder_without_manifest_is_an_error(tmp_path: Path) -> None:
    result = run_cli("index", str(tmp_path), "-o", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "has no postmortem manifest" in result.stderr


def test_a_rebuild_with_nothing_changed_parses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-build shortcut: same records, pictures, options and day: no record is read
    as YAML. Anything else that changed falls back to the fingerprint of each record."""
    import postmortem.pipeline as site
    from postmortem.writers import Options

    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src, 3)
    record = src / "gen-001.yaml"
    record.write_text(
        record.read_text().replace("summary: Generated.", 'summary: "![chart](c.png)"')
    )
    picture = src / "c.png"
    picture.write_bytes(png(4, 4))
    options = Options(formats=("md", "html"), today=date(2024, 1, 1))
    checks: list[object] = []
    real = site.check_for_build
    monkeypatch.setattr(site, "check_for_build", lambda *a, **k: checks.append(a) or real(*a, **k))

    def build(**changes: object) -> site.Summary:
        checks.clear()
        return site.build([src], out, Options(**{**options.__dict__, **changes}))

    assert len(build().rendered) == 3 and len(checks) == 1
    summary = build()
    assert (
        checks == []
        and summary.total == 3
        and summary.unchanged
        == [
            "gen-000",
            "gen-001",
            "gen-002",
        ]
    )
    picture.write_bytes(png(5, 5))
    summary = build()
    assert len(checks) == 1 and summary.rendered == ["gen-001"]
    assert build().rendered == [] and checks == []
    (out / "gen-002.html").unlink()
    assert build().rendered == ["gen-002"] and len(checks) == 1
    (out / "index.html").unlink()
    build()
    assert len(checks) == 1 and (out / "index.html").is_file()
    build(today=date(2024, 1, 2))  # overdue flags may change: the index is made again
    assert len(checks) == 1
    (src / "gen-003.yaml").write_text(
        (src / "gen-000.yaml").read_text().replace("gen-000", "gen-003")
    )
    assert build().rendered == ["gen-003"] and len(checks) == 1
    (src / "gen-003.yaml").write_text("id: [broken\n")
    summary = build()
    assert summary.failed and len(checks) == 1
    summary = build()  # a failed record is reported again, never skipped
    assert summary.failed and len(checks) == 1


def test_rendering_one_record_into_the_site_keeps_the_others(tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    _small_corpus(src, 3)
    _build(src, out)
    stderr = _build(src / "gen-001.yaml", out, "-v")
    assert "removed" not in stderr
    for i in range(3):
        assert (out / f"gen-00{i}.html").is_file() and (out / f"gen-00{i}.md").is_file()
    assert sorted(json.loads((out / MANIFEST).read_text())["records"]) == [
        "gen-000",
        "gen-001",
        "gen-002",
    ]
    (src / "gen-002.yaml").unlink()  # now it is gone: its outputs go
    _build(src / "gen-001.yaml", out)
    assert not (out / "gen-002.html").exists() and (out / "gen-000.html").is_file()
