"""Figures that never mislead (issue 15): durations, detection before impact, local times, zones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import postmortem
from postmortem.derive import build_view, format_duration
from postmortem.index import build_index
from postmortem.summary import RecordSummary

from conftest import FIXTURES, run_cli

MINIMAL: dict[str, Any] = yaml.safe_load((FIXTURES / "valid" / "minimal.yaml").read_text())
TODAY = date(2026, 1, 1)
# The documented rounding: under a minute to the second, else to the nearest minute.
SHOWN = re.compile(r"(?:(?P<s>[0-9]+)s|(?:(?P<h>[0-9]+)h )?(?P<m>[0-9]+)m)")


def _write(tmp: Path, **changes: Any) -> Path:
    data = {**MINIMAL, **changes}
    path = tmp / f"{data['id']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _impact(start: str, end: str | None = None) -> dict[str, Any]:
    return {"start": start, "description": "x", **({"end": end} if end else {})}


def _figures(path: Path) -> dict[str, str]:
    view = build_view(postmortem.load(path), today=TODAY)
    return {f.key: f"{f.label}: {f.value}" for f in view.figures}


def _seconds(shown: str) -> int:
    match = SHOWN.fullmatch(shown)
    assert match, shown
    if match["s"] is not None:
        return int(match["s"])
    return (int(match["h"] or 0) * 60 + int(match["m"])) * 60


# Finding 3: minutes dropped from long durations; one format in every cell.


def test_long_durations_keep_their_minutes() -> None:
    assert format_duration(timedelta(hours=72, minutes=45)) == "72h 45m"
    assert format_duration(timedelta(hours=37, minutes=51)) == "37h 51m"


@settings(max_examples=300, derandomize=True)
@given(st.integers(0, 400 * 86_400 * 1_000_000))
def test_a_shown_duration_reads_back_within_the_documented_rounding(micros: int) -> None:
    delta = timedelta(microseconds=micros)
    shown = format_duration(delta)
    error = abs(_seconds(shown) - delta.total_seconds())
    assert error <= (0.5 if delta < timedelta(seconds=59.5) else 30), (delta, shown)


@settings(max_examples=50, derandomize=True)
@given(st.lists(st.integers(60, 20 * 86_400), min_size=1, max_size=8))
def test_index_cells_use_one_format(durations: list[int]) -> None:
    records = []
    for i, seconds in enumerate(durations):
        start = datetime(2024, 3, 2, 10, tzinfo=UTC)
        end = start + timedelta(seconds=seconds)
        data = {**MINIMAL, "id": f"r{i}", "impact": _impact(start.isoformat(), end.isoformat())}
        data["resolution"] = {"description": "x", "resolved": end.isoformat()}
        records.append(RecordSummary.of(postmortem.model.Incident.model_validate(data)))
    index = build_index(records, today=TODAY)
    cells = [r.duration for r in index.rows] + [
        v for q in index.quarters for v in q.figures["resolve"] or ()
    ]
    for cell in cells:
        assert cell is not None and SHOWN.fullmatch(cell) and "d" not in cell, cell


# Finding 4: detection before the impact began.


def test_detection_before_impact_is_said_so(tmp_path: Path) -> None:
    # Roblox, Oct 2021: Consul trouble found at 13:37, player impact from 16:00.
    path = _write(
        tmp_path,
        id="roblox",
        timezone="America/Los_Angeles",
        impact=_impact("2021-10-28T16:00:00", "2021-10-31T16:45:00"),
        detection={"time": "2021-10-28T13:37:00"},
    )
    shown = _figures(path)
    assert shown["detect"] == "Detected: 2h 23m before impact began"
    assert shown["duration"] == "Duration: 72h 45m"
    pages = postmortem.render(path, formats=("md", "html"), today=TODAY)
    md, html = pages["roblox.md"].decode(), pages["roblox.html"].decode()
    assert "Detected: **2h 23m before impact began**" in md
    assert re.search(r"<dt>Detected</dt><dd><time[^>]*>2h 23m before impact began</time>", html)
    for page in (md, html):
        assert not re.search(r"-\s?[0-9]+[hms]\b", page), "a negative duration is shown"


def test_the_index_counts_detection_before_impact_as_zero(tmp_path: Path) -> None:
    early = _write(
        tmp_path,
        id="early",
        impact=_impact("2024-03-02T16:00:00Z"),
        detection={"time": "2024-03-02T13:37:00Z"},
    )
    late = _write(
        tmp_path,
        id="late",
        impact=_impact("2024-03-03T10:00:00Z"),
        detection={"time": "2024-03-03T10:10:00Z"},
    )
    records = [RecordSummary.of(postmortem.load(p)) for p in (early, late)]
    index = build_index(records, today=TODAY)
    row = {r.incident.id: r for r in index.rows}
    assert row["early"].detect == "2h 23m before impact"
    # Median of 0 and 10 minutes; nearest-rank p90 is 10 minutes.
    assert index.quarters[0].figures["detect"] == ("5m", "10m")


# Finding 5: durations across a daylight-saving change; times that do not exist or are ambiguous.


@pytest.mark.parametrize(
    ("start", "end", "duration"),
    [
        ("2024-03-31T01:00:00", "2024-03-31T04:00:00", "2h 00m"),  # spring: one hour skipped
        ("2024-10-27T01:00:00", "2024-10-27T04:00:00", "4h 00m"),  # autumn: one hour twice
    ],
)
def test_durations_across_a_dst_change(tmp_path: Path, start: str, end: str, duration: str) -> None:
    path = _write(tmp_path, timezone="Europe/Berlin", impact=_impact(start, end))
    assert _figures(path)["duration"] == f"Duration: {duration}"
    [row] = build_index([RecordSummary.of(postmortem.load(path))], today=TODAY).rows
    assert row.duration == duration


ZONES = ["Europe/Berlin", "America/Los_Angeles", "Australia/Sydney", "Asia/Kolkata", "UTC"]
# Days of 2024 when one of ZONES changed its clocks.
CHANGES = [datetime(2024, 3, 31), datetime(2024, 10, 27), datetime(2024, 3, 10)]
CHANGES += [datetime(2024, 11, 3), datetime(2024, 4, 7), datetime(2024, 10, 6)]


@settings(max_examples=200, derandomize=True)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(CHANGES),
    st.timedeltas(timedelta(days=-2), timedelta(days=1)),
    st.timedeltas(timedelta(0), timedelta(days=3)),
)
def test_every_figure_is_elapsed_time(
    zone: str, day: datetime, offset: timedelta, length: timedelta
) -> None:
    start = (day + offset).replace(microsecond=0)
    end = (start + length).replace(microsecond=0)
    tz = ZoneInfo(zone)
    if not all(_exists_once(t, tz) for t in (start, end)):
        return
    data = {**MINIMAL, "timezone": zone, "impact": _impact(start.isoformat(), end.isoformat())}
    incident = postmortem.model.Incident.model_validate(data)
    real = end.replace(tzinfo=tz).astimezone(UTC) - start.replace(tzinfo=tz).astimezone(UTC)
    [figure] = build_view(incident, today=TODAY).figures
    assert figure.delta == real and figure.value == format_duration(real)


def _exists_once(wall: datetime, tz: ZoneInfo) -> bool:
    a, b = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    return a.utcoffset() == b.utcoffset()


def _check(tmp_path: Path, **changes: Any) -> str:
    path = _write(tmp_path, **changes)
    result = run_cli("check", str(path))
    assert result.exit_code == 1, result.output
    return result.stdout


def _where(path: Path, text: str) -> str:
    """`:LINE:COL:` of the first `text` in the file (1-based, as diagnostics say)."""
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if text in line:
            return f":{number}:{line.index(text) + 1}:"
    raise AssertionError(text)


def test_a_local_time_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    changes = {"timezone": "America/Los_Angeles", "impact": _impact("2021-03-14T02:30:00")}
    out = _check(tmp_path, **changes)
    where = _where(_write(tmp_path, **changes), "'2021-03-14T02:30:00'")
    assert f"{where} error: impact.start: '2021-03-14T02:30:00' does not exist in " in out
    assert "2021-03-14T02:30:00-08:00 (03:30 PDT)" in out
    assert "2021-03-14T02:30:00-07:00 (01:30 PST)" in out
    assert out.rstrip().endswith("[time]")


def test_an_ambiguous_local_time_needs_an_offset(tmp_path: Path) -> None:
    out = _check(
        tmp_path,
        timezone="America/Los_Angeles",
        date="2021-11-07",
        detection={"time": "2021-11-07T01:30:00"},
        impact=_impact("2021-11-07T00:30:00"),
    )
    assert "detection.time: '2021-11-07T01:30:00' is ambiguous in America/Los_Angeles" in out
    assert "2021-11-07T01:30:00-07:00 (PDT) or 2021-11-07T01:30:00-08:00 (PST)" in out
    assert out.count("[time]") == 1


def test_an_ambiguous_time_with_its_offset_is_fine(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        timezone="America/Los_Angeles",
        impact=_impact("2021-11-07T01:30:00-07:00", "2021-11-07T01:30:00-08:00"),
    )
    assert _figures(path)["duration"] == "Duration: 1h 00m"


# Finding 7: advice for zone abbreviations and offsets.


@pytest.mark.parametrize(
    ("written", "advice"),
    [
        ("PST", "'America/Los_Angeles'"),
        ("PDT", "'America/Los_Angeles'"),
        ("PT", "'America/Los_Angeles'"),
        ("pst", "'America/Los_Angeles'"),
        ("EDT", "'America/New_York'"),
        ("CST", "'America/Chicago'"),
        ("MDT", "'America/Denver'"),
        ("CEST", "'Europe/Berlin'"),
        ("BST", "'Europe/London'"),
        ("IST", "'Asia/Kolkata', 'Europe/Dublin' or 'Asia/Jerusalem'"),
        ("JST", "'Asia/Tokyo'"),
        ("AEST", "'Australia/Sydney'"),
        ("+05:30", "'Asia/Kolkata'"),
        ("UTC-8", "'Etc/GMT+8'"),
        ("UTC-8", "'America/Los_Angeles'"),
        ("GMT+1", "'Etc/GMT-1'"),
        ("GMT+1", "'Europe/Berlin'"),
        ("-08:00", "'Etc/GMT+8'"),
        ("UTC+0", "'UTC'"),
        ("UTC\u22123", "'America/Sao_Paulo'"),
    ],
)
def test_zone_advice(tmp_path: Path, written: str, advice: str) -> None:
    out = _check(tmp_path, timezone=written)
    hint = re.search(r"\(did you mean (.*)\?\) \[timezone\]$", out.strip())
    assert hint and advice in hint[1], out
    assert "'MST'" not in out


def test_zone_advice_for_a_typo_still_works(tmp_path: Path) -> None:
    assert "(did you mean 'Europe/Berlin'?)" in _check(tmp_path, timezone="Europe/Berln")


def test_zone_advice_in_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('timezone = "PST"\n')
    _write(tmp_path)
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "(did you mean 'America/Los_Angeles'?)" in result.stderr


def test_the_configured_zone_reads_times_too(tmp_path: Path) -> None:
    (tmp_path / "postmortem.toml").write_text('timezone = "America/Los_Angeles"\n')
    _write(tmp_path, impact=_impact("2021-11-07T01:30:00"))
    result = run_cli("check", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert "is ambiguous in America/Los_Angeles" in result.stdout


# Each zone on a day it changed its clocks (both ways), and two zones that never do.
ZONE_DAYS = [(z, d) for z in ZONES[:3] for d in CHANGES] + [(z, CHANGES[0]) for z in ZONES[3:]]


@settings(max_examples=200, derandomize=True)
@given(st.sampled_from(ZONE_DAYS), st.integers(0, 4 * 60))
def test_a_local_time_is_read_once_or_refused(zone_day: tuple[str, datetime], minutes: int) -> None:
    zone, day = zone_day
    wall = day + timedelta(minutes=minutes)
    tz = ZoneInfo(zone)
    data = {**MINIMAL, "timezone": zone, "impact": _impact(wall.isoformat())}
    try:
        incident = postmortem.model.Incident.model_validate(data)
    except ValidationError as exc:
        # Refused exactly when the zone skips or repeats the wall time.
        assert not _exists_once(wall, tz)
        [error] = exc.errors()
        assert error["type"] == "time" and error["loc"] == ("impact", "start")
        return
    assert _exists_once(wall, tz)
    start = incident.impact.start
    assert start.astimezone(tz).replace(tzinfo=None) == wall  # read back as written


@settings(max_examples=200, derandomize=True)
@given(st.integers(-3 * 86_400, 3 * 86_400))
def test_a_figure_is_never_negative(seconds: int) -> None:
    start = datetime(2024, 3, 2, 10, tzinfo=UTC)
    detected = start + timedelta(seconds=seconds)
    data = {**MINIMAL, "impact": _impact(start.isoformat())}
    data["detection"] = {"time": detected.isoformat()}
    incident = postmortem.model.Incident.model_validate(data)
    [figure] = build_view(incident, today=TODAY).figures
    text = f"{figure.label}: {figure.value}"
    if seconds < 0:
        assert text.startswith("Detected: ") and text.endswith(" before impact began")
        shown = figure.value.removesuffix(" before impact began")
    else:
        assert figure.label == "Time to detect"
        shown = figure.value
    assert abs(_seconds(shown) - abs(seconds)) <= 30, text
    [row] = build_index([RecordSummary.of(incident)], today=TODAY).rows
    assert row.detect == (f"{shown} before impact" if seconds < 0 else shown)
