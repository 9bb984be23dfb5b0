"""The time axis: the window shown, tick steps a reader expects, local labels across DST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = 60
HOUR = 3600
DAY = 86400
# Steps a person counts in; the first that gives few enough ticks wins.
STEPS = (
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
)
# Beyond two weeks ticks fall on the first of a month: every n months.
MONTH_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 300, 600, 1200)
MIN_WINDOW = timedelta(minutes=5)
PAD = 0.03  # of the window, on each side, so nothing sits on the frame
# Fixed names: strftime("%b") would follow the machine's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class AxisTick:
    """One tick: its instant, the label under it, and an optional second line (date, zone)."""

    at: datetime
    label: str
    sub: str


def window(times: list[datetime]) -> tuple[datetime, datetime]:
    """The span shown: all `times`, at least five minutes, with a little air on both sides."""
    if any(t.tzinfo is None or t.utcoffset() is None for t in times):
        raise ValueError("timeline times must be timezone-aware")
    start = min(times).astimezone(UTC)
    end = max(times).astimezone(UTC)
    if end - start < MIN_WINDOW:
        extra = (MIN_WINDOW - (end - start)) / 2
        start, end = start - extra, end + extra
    pad = (end - start) * PAD
    return start - pad, end + pad


def day_label(local: datetime, *, year: bool = False) -> str:
    """A date as "Dec 7", or "Dec 7 2024" with `year`."""
    text = f"{MONTHS[local.month - 1]} {local.day}"
    return f"{text} {local.year}" if year else text


def clock_label(local: datetime) -> str:
    """A wall-clock time as "07:30"."""
    return f"{local.hour:02d}:{local.minute:02d}"


def _instants(start: datetime, end: datetime, tz: ZoneInfo, step: int) -> list[datetime]:
    """Instants whose local wall time is a multiple of `step` (days counted from day 1 CE)."""
    first = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    found: dict[datetime, None] = {}
    day = first
    while day <= last:
        if step >= DAY:
            offsets = [0] if day.toordinal() % (step // DAY) == 0 else []
        else:
            offsets = list(range(0, DAY, step))
        midnight = datetime.combine(day, time())
        for seconds in offsets:
            wall = midnight + timedelta(seconds=seconds)
            offset = tz.utcoffset(wall)
            if offset == tz.utcoffset(wall.replace(fold=1)):
                # One offset either way: the wall time exists once (most of them). A ZoneInfo
                # always has an offset; typeshed's tzinfo.utcoffset allows None.
                instant = (wall - offset).replace(tzinfo=UTC)  # type: ignore[operator]
                if start <= instant <= end:
                    found[instant] = None
                continue
            # fold=1 catches the second 01:30 of a fall-back night; skipped wall times
            # (spring forward) fail the round trip and are not ticks.
            for fold in (0, 1):
                local = wall.replace(tzinfo=tz, fold=fold)
                instant = local.astimezone(UTC)
                if instant.astimezone(tz).replace(tzinfo=None) != wall:
                    continue
                if start <= instant <= end:
                    found[instant] = None
        day += timedelta(days=1)
    return sorted(found)


def _month_instants(start: datetime, end: datetime, tz: ZoneInfo, months: int) -> list[datetime]:
    """Local midnights that start a month, every `months` months (counted from year 0)."""
    first, last = start.astimezone(tz), end.astimezone(tz)
    found = []
    for index in range(first.year * 12 + first.month - 1, last.year * 12 + last.month):
        if index % months:
            continue
        wall = datetime(index // 12, index % 12 + 1, 1)
        instant = wall.replace(tzinfo=tz).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall and start <= instant <= end:
            found.append(instant)
    return found


def ticks(start: datetime, end: datetime, tz: ZoneInfo, max_ticks: int) -> list[AxisTick]:
    """Ticks at the smallest nice step that gives at most `max_ticks` of them."""
    seconds = (end - start).total_seconds()
    instants: list[datetime] = []
    step, months = 0, 0
    for step in STEPS:
        if seconds / step > max_ticks + 1:
            continue  # surely too many: do not enumerate them
        instants = _instants(start, end, tz, step)
        if len(instants) <= max_ticks:
            break
    else:
        for months in MONTH_STEPS:
            if seconds / (months * 30 * DAY) > max_ticks + 1:
                continue
            instants = _month_instants(start, end, tz, months)
            if len(instants) <= max_ticks:
                break
    result: list[AxisTick] = []
    previous: datetime | None = None
    for instant in instants:
        local = instant.astimezone(tz)
        notes = []
        if step < DAY and (previous is None or previous.date() != local.date()):
            notes.append(day_label(local))
        if previous is not None and previous.tzname() != local.tzname():
            notes.append(local.tzname() or "")
        if months:
            label = (
                str(local.year) if months % 12 == 0 else f"{MONTHS[local.month - 1]} {local.year}"
            )
        else:
            label = clock_label(local) if step < DAY else day_label(local)
        result.append(AxisTick(instant, label, " · ".join(notes)))
        previous = local
    return result


def zone_names(start: datetime, end: datetime, tz: ZoneInfo) -> list[str]:
    """Zone abbreviations in force over the window, in order ("PDT", "PST")."""
    names: list[str] = []
    # Changes of offset are weeks apart: probing 2,000 times (at least hourly) finds them all.
    step = max(timedelta(hours=1), (end - start) / 2000)
    probe = start
    while True:
        name = min(probe, end).astimezone(tz).tzname() or ""
        if not names or names[-1] != name:
            names.append(name)
        if probe >= end:
            return names
        probe += step
