"""Time zones: the IANA names, local times read in a zone, and what people mean by a zone.

A record's times are shown in its zone; a time written without an offset is read in it.
Both need a zone that says when its clocks change, so an abbreviation (`PST`) or an offset
(`UTC-8`) is refused, with the zones it may mean.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo


class LocalTimeError(ValueError):
    """A wall time that a zone skips or shows twice; the message says what to write."""


@cache
def zones() -> frozenset[str]:
    """IANA zone names from the tzdata package: the same list on every machine."""
    import tzdata

    try:
        # Beside the package's __init__; importlib.resources would cost `check` 10 ms.
        text = Path(tzdata.__file__).with_name("zones").read_text(encoding="utf-8")
    except (OSError, TypeError):  # a zipped installation
        from importlib import resources

        text = (resources.files("tzdata") / "zones").read_text(encoding="utf-8")
    return frozenset(text.split())


# What people write for a zone, and the IANA zones they mean. An abbreviation names no
# rules (PST is half the year wrong for Los Angeles), and difflib would offer the legacy
# zone nearest in spelling ('PST' -> 'MST'), which is wrong advice.
_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("PST", "PDT", "PT", "PACIFIC"), ("America/Los_Angeles",)),
    **dict.fromkeys(("MDT", "MT", "MOUNTAIN"), ("America/Denver", "America/Phoenix")),
    **dict.fromkeys(("CST",), ("America/Chicago", "Asia/Shanghai", "America/Havana")),
    **dict.fromkeys(("CDT", "CT", "CENTRAL"), ("America/Chicago",)),
    **dict.fromkeys(("EDT", "ET", "EASTERN"), ("America/New_York",)),
    **dict.fromkeys(("AKST", "AKDT"), ("America/Anchorage",)),
    **dict.fromkeys(("HAST", "HADT"), ("Pacific/Honolulu",)),
    **dict.fromkeys(("CEST",), ("Europe/Berlin", "Europe/Paris")),
    **dict.fromkeys(("BST",), ("Europe/London", "Asia/Dhaka")),
    **dict.fromkeys(("IST",), ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem")),
    **dict.fromkeys(("WEST",), ("Europe/Lisbon",)),
    **dict.fromkeys(("EEST",), ("Europe/Athens", "Europe/Helsinki")),
    **dict.fromkeys(("MSK",), ("Europe/Moscow",)),
    **dict.fromkeys(("JST",), ("Asia/Tokyo",)),
    **dict.fromkeys(("KST",), ("Asia/Seoul",)),
    **dict.fromkeys(("HKT",), ("Asia/Hong_Kong",)),
    **dict.fromkeys(("SGT",), ("Asia/Singapore",)),
    **dict.fromkeys(("AEST", "AEDT"), ("Australia/Sydney", "Australia/Brisbane")),
    **dict.fromkeys(("ACST", "ACDT"), ("Australia/Adelaide",)),
    **dict.fromkeys(("AWST",), ("Australia/Perth",)),
    **dict.fromkeys(("NZST", "NZDT"), ("Pacific/Auckland",)),
    **dict.fromkeys(("BRT",), ("America/Sao_Paulo",)),
    **dict.fromkeys(("SAST",), ("Africa/Johannesburg",)),
}
# Local zones people mean by a UTC offset (in minutes east of UTC).
_BY_OFFSET: dict[int, tuple[str, ...]] = {
    -600: ("Pacific/Honolulu",),
    -540: ("America/Anchorage",),
    -480: ("America/Los_Angeles",),
    -420: ("America/Denver", "America/Phoenix"),
    -360: ("America/Chicago", "America/Mexico_City"),
    -300: ("America/New_York",),
    -240: ("America/Halifax",),
    -180: ("America/Sao_Paulo",),
    0: ("Europe/London",),
    60: ("Europe/Berlin", "Europe/Paris", "Africa/Lagos"),
    120: ("Europe/Athens", "Africa/Johannesburg"),
    180: ("Europe/Moscow", "Europe/Istanbul"),
    240: ("Asia/Dubai",),
    300: ("Asia/Karachi",),
    330: ("Asia/Kolkata",),
    345: ("Asia/Kathmandu",),
    420: ("Asia/Bangkok", "Asia/Jakarta"),
    480: ("Asia/Shanghai", "Asia/Singapore"),
    540: ("Asia/Tokyo", "Asia/Seoul"),
    570: ("Australia/Adelaide",),
    600: ("Australia/Sydney",),
    720: ("Pacific/Auckland",),
}
_OFFSET = re.compile(r"(?:UTC|GMT|Z)?\s*([-+\u2212])\s*([0-9]{1,2})(?::?([0-9]{2}))?", re.I)


def zone_advice(written: str) -> list[str]:
    """IANA zones that `written` (an abbreviation, an offset, a misspelling) may mean."""
    meant = _ABBREVIATIONS.get(written.strip().upper())
    if meant:
        return list(meant)
    offset = _OFFSET.fullmatch(written.strip())
    if offset:
        sign = 1 if offset[1] == "+" else -1
        minutes = sign * (int(offset[2]) * 60 + int(offset[3] or 0))
        advice = list(_BY_OFFSET.get(minutes, ()))
        if not minutes:
            return ["UTC", *advice]
        hours, rest = divmod(abs(minutes), 60)
        # A fixed offset, if that is really meant: POSIX-style names invert the sign.
        fixed = f"Etc/GMT{'-' if minutes > 0 else '+'}{hours}"
        if not rest and fixed in zones():
            advice.append(fixed)
        return advice
    return difflib.get_close_matches(written, sorted(zones()), n=1, cutoff=0.6)


# The zone of the record being validated (`read_in`): a time written without an offset is
# read in it by the field's own validator, so that an error has the field's position.
_RECORD_ZONE: ContextVar[ZoneInfo | None] = ContextVar("record_zone", default=None)


@contextmanager
def read_in(zone: str | None) -> Iterator[None]:
    """Read times without an offset in `zone` (an IANA name) while validating a record."""
    token = _RECORD_ZONE.set(ZoneInfo(zone) if zone in zones() else None)
    try:
        yield
    finally:
        _RECORD_ZONE.reset(token)


def record_zone() -> ZoneInfo | None:
    """The zone set by `read_in`, if a record is being validated in a valid one."""
    return _RECORD_ZONE.get()


def local_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """`wall` read in `zone`, with the fixed UTC offset it has there.

    A time the clocks skipped (spring forward) or showed twice (fall back) has no one
    reading: zoneinfo would silently pick one (PEP 495), so it is an error that names both.
    The result carries a fixed offset, never the zone itself: Python subtracts two times
    of one tzinfo as wall-clock times, an hour off across a change.
    """
    early, late = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    first, second = early.utcoffset(), late.utcoffset()
    assert first is not None and second is not None  # a ZoneInfo always has an offset
    if first == second:
        return wall.replace(tzinfo=timezone(first))
    written = wall.isoformat()
    readings = [wall.replace(tzinfo=timezone(offset)) for offset in (first, second)]
    if first > second:  # the clocks went back: the wall time was shown twice
        raise LocalTimeError(
            f"{written!r} is ambiguous in {zone.key} (it happened twice, as the clocks went "
            f"back from {early.tzname()} to {late.tzname()}): write "
            f"{readings[0].isoformat()} ({early.tzname()}) or "
            f"{readings[1].isoformat()} ({late.tzname()})",
        )
    shown = [r.astimezone(zone) for r in readings]
    raise LocalTimeError(
        f"{written!r} does not exist in {zone.key} (the clocks skipped it, going from "
        f"{early.tzname()} to {late.tzname()}): write it with the UTC offset of the clock "
        f"it was read from, "
        + " or ".join(
            f"{r.isoformat()} ({s.hour:02d}:{s.minute:02d} {s.tzname()})"
            for r, s in zip(readings, shown, strict=True)
        ),
    )


def zone_problem(value: str) -> str | None:
    """Why `value` is no IANA zone name, with the zones it may mean; None if it is one."""
    if value in zones():
        return None
    advice = zone_advice(value)
    local = [repr(name) for name in advice if not name.startswith("Etc/")]
    fixed = [f"the fixed offset {name!r}" for name in advice if name.startswith("Etc/")]
    words = [", ".join(local[:-1]) + " or " + local[-1] if len(local) > 1 else "".join(local)]
    said = ", or ".join(w for w in [*words, *fixed] if w)
    hint = f" (did you mean {said}?)" if said else " (e.g. 'UTC', 'America/Los_Angeles')"
    return f"{value!r} is not an IANA time zone name{hint}"
