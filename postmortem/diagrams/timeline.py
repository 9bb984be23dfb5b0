"""The timeline picture: impact and service bars, markers and numbered events on a local axis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from postmortem.diagrams import axis, metrics, page, place, svg
from postmortem.diagrams.labels import row_labels
from postmortem.diagrams.text import clean, ellipsize, text_width
from postmortem.diagrams.types import LEVELS, Span, Timeline

WIDTH = page.WIDTH
MARGIN = 12.0
SIZE = 11.0  # labels, markers and axis
COLUMN_MAX = 170.0  # widest the label column may get
COLUMN_GAP = 14.0
ROW = 20.0
LINE = 14.0  # a label's second line (the ink of 11 px text is 13.7 px): its row grows by this
BAR = 10.0
MARKER_ROW = 16.0
FLAG_OFFSET = 4.0
EVENT_SIZE = 10.0
EVENT_ROW = 13.0
EVENT_ROWS = 3
DOT = 3.0
NOTE_SIZE = 9.5
ONGOING = "ongoing"
ONGOING_STUB = 14.0
LABEL_GAP = 6.0
ROUND = (2, 5, 10, 20, 50, 100, 200, 500, 1000)
NOTE = "some left unnumbered"
MARKER_KINDS = ("trigger", "detected", "mitigated", "resolved")
MARKER_DASH = {"trigger": "", "detected": "5 3", "mitigated": "7 3 2 3", "resolved": ""}
# Impact levels as shades of the service colour, outlined: three greys on a black and white
# page, told apart by the legend below the axis.
SHADE = {"down": "1", "partial": "0.45", "degraded": "0.12"}
LEGEND_ROW = 18.0
LEGEND = "Impact level"
SWATCH = 16.0


@dataclass(frozen=True)
class _Frame:
    """The horizontal decisions: the window shown and where it maps to."""

    start: datetime
    end: datetime
    column: float  # width of the label column
    x0: float  # left end of the axis
    x1: float  # right end of the axis
    zones: int = 1  # zone abbreviations in force over the window ("PDT", "PST": 2)

    def x(self, when: datetime) -> float:
        """Horizontal position of an instant."""
        total = (self.end - self.start).total_seconds()
        return self.x0 + (when.astimezone(UTC) - self.start).total_seconds() / total * (
            self.x1 - self.x0
        )


def _ink(size: float) -> float:
    return (metrics.ASCENT + metrics.DESCENT) * size


def _mid_baseline(mid: float, size: float) -> float:
    """Baseline that centres capital letters on `mid`."""
    return mid + metrics.CAP_HEIGHT * size / 2


def _marker_class(label: str) -> str:
    kind = clean(label).lower()
    return f"pm-marker-{kind if kind in MARKER_KINDS else 'other'}"


def _roundness(number: int) -> int:
    """How round a number is (200 beats 50 beats 10 beats 5 beats 2 beats 7)."""
    return max((k for k in ROUND if number % k == 0), default=1)


def _number_events(
    xs: list[float], numbers: list[int], lo: float, hi: float
) -> tuple[bool, list[tuple[int, place.Slot]]]:
    """Which event numbers to show in which row: all if they fit, else round numbers first.

    Returns whether all fit, and (event index, slot) pairs. Labels never overlap.
    """
    items = [(x, text_width(str(n), EVENT_SIZE)) for x, n in zip(xs, numbers, strict=True)]
    slots = place.pack(items, rows=EVENT_ROWS, gap=3.0, lo=lo, hi=hi)
    if not all(slots):
        # Where crowded, round numbers win the room; the rest are numbered where it is left.
        order = sorted(range(len(numbers)), key=lambda i: (-_roundness(numbers[i]), numbers[i], i))
        slots = place.pack_by_priority(items, order, rows=EVENT_ROWS, gap=3.0, lo=lo, hi=hi)
    return all(slots), [(i, slot) for i, slot in enumerate(slots) if slot]


def timeline_svg(t: Timeline, *, title: str, desc: str, id_prefix: str = "pm") -> str:
    """Draw the timeline as an inline `<svg>`, 720 units wide, as tall as its rows need.

    Bars for the impact window and each service (open-ended to `t.until` when ongoing),
    marker lines with staggered labels, numbered event dots, and an axis in `t.tz` with
    the zone abbreviation. Labels never overlap: event numbers are staggered in rows and,
    where too dense, round numbers are kept and others dropped. ValueError on naive datetimes.
    """
    prefix = svg.check_prefix(id_prefix)
    spans = ([t.impact] if t.impact else []) + list(t.services)
    # One row per label: a service's windows (one per impact level over time) share it.
    rows: dict[str, list[Span]] = {}
    for span in spans:
        rows.setdefault(span.label, []).append(span)
    levels = [level for level in LEVELS if any(s.level == level for s in spans)]
    times = [t.until, *[m.time for m in t.markers], *[e.time for e in t.events]]
    times += [s.start for s in spans] + [s.end for s in spans if s.end is not None]
    start, end = axis.window(times)
    zones = axis.zone_names(start, end, t.tz)
    zone_text = " → ".join(zones)
    events = sorted(t.events, key=lambda e: (e.time.astimezone(UTC), e.number))
    ongoing = any(s.end is None for s in spans)

    # Horizontal placement first: it decides how many rows the labels need. The label
    # column is as wide as its longest label (within limits), the events note included.
    # Labels wrap to two lines and never look alike (labels.py); the events row is a row too.
    shown = row_labels([*rows, *(["Events"] if events else [])], COLUMN_MAX, SIZE)
    widths = [text_width(line, SIZE) for lines in shown for line in lines]
    widths += [text_width(LEGEND, SIZE)] if levels else []
    column = min(COLUMN_MAX, max([40.0, text_width(zone_text, SIZE), *widths]))
    while True:
        x1 = WIDTH - MARGIN - (ONGOING_STUB + 4 + text_width(ONGOING, EVENT_SIZE) if ongoing else 0)
        frame = _Frame(start, end, column, MARGIN + column + COLUMN_GAP, x1, len(zones))
        event_x = [frame.x(e.time) for e in events]
        numbers = [e.number for e in events]
        all_numbered, event_slots = _number_events(event_x, numbers, frame.x0 - 8, WIDTH - MARGIN)
        wanted = 0.0 if all_numbered else text_width(NOTE, NOTE_SIZE)
        if wanted <= column or column >= COLUMN_MAX:
            break
        column = min(COLUMN_MAX, wanted)
    groups, flag_texts, flag_slots = _plan_flags(t, frame)

    # Vertical layout, top to bottom: marker labels, bars, events, axis.
    flag_rows = max((slot.row + 1 for slot in flag_slots), default=0)
    event_rows = max((slot.row + 1 for _, slot in event_slots), default=0)
    chart_top = MARGIN + flag_rows * MARKER_ROW + (4 if flag_rows else 0)
    span_mids = []
    y = chart_top
    for lines in shown[: len(rows)]:
        grown = ROW + LINE * (len(lines) - 1)
        span_mids.append(y + grown / 2)
        y += grown
    dot_y = y + event_rows * EVENT_ROW + 8
    axis_y = (dot_y + 8 if events else y) + 4
    ticks = axis.ticks(start, end, t.tz, max(2, min(10, int((frame.x1 - frame.x0) // 52))))
    legend_y = axis_y + 6 + 15 + (15 if any(tick.sub for tick in ticks) else 0)
    height = legend_y + (LEGEND_ROW + 4 if levels else 0) + MARGIN

    back, front, texts = _axis(frame, ticks, zone_text, chart_top, axis_y)
    for i, (row, mid) in enumerate(zip(rows.values(), span_mids, strict=True)):
        cls = "pm-impact" if t.impact is not None and i == 0 else "pm-service"
        texts += _row_label(shown[i], mid)
        back += [_bar(span, frame, t.until, mid, cls) for span in row]
    if levels:
        back += _legend(levels, frame, legend_y + 4 + LEGEND_ROW / 2)

    # Markers: a line from the axis up to a flag label beside it.
    for (when, ids), text, slot in zip(groups.items(), flag_texts, flag_slots, strict=True):
        row_top = MARGIN + (flag_rows - 1 - slot.row) * MARKER_ROW
        back += [_marker_line(t, i, frame.x(when), row_top + 1, axis_y) for i in ids]
        base = _mid_baseline(row_top + MARKER_ROW / 2, SIZE)
        # With many markers a line may have to pass a label: it passes behind it.
        patch = {"x": slot.left - 2, "y": row_top + 1, "width": slot.right - slot.left + 4}
        front.append(svg.painted("rect", "pm-halo", {**patch, "height": MARKER_ROW - 2}))
        texts.append(svg.text(slot.left, base, text, SIZE))

    # Events: dots on one row, numbers in the rows above, each on a patch of background.
    for e, x in zip(events, event_x, strict=True):
        attrs: dict[str, svg.Attr] = {
            "data-event": str(e.number),
            "cx": x,
            "cy": dot_y,
            "r": DOT,
            "stroke-width": "1",
        }
        front.append(svg.painted("circle", "pm-event", attrs))
    ink = _ink(EVENT_SIZE)
    for i, slot in event_slots:
        bottom = dot_y - DOT - 3 - slot.row * EVENT_ROW
        patch = {"x": slot.left - 1, "y": bottom - ink, "width": slot.right - slot.left + 2}
        front.append(svg.painted("rect", "pm-halo", {**patch, "height": ink}))
        base = bottom - metrics.DESCENT * EVENT_SIZE
        front.append(svg.text(slot.left, base, str(events[i].number), EVENT_SIZE))
    if events:
        texts += _row_label(shown[-1], dot_y)
        if not all_numbered:
            note = ellipsize(NOTE, column, NOTE_SIZE)
            base = _mid_baseline(dot_y - 15 - LINE / 2 * (len(shown[-1]) - 1), NOTE_SIZE)
            texts.append(svg.text(MARGIN, base, note, NOTE_SIZE, cls="pm-text-muted"))

    body = "".join(back + front + texts)
    return svg.document(
        "timeline", WIDTH, height, title_text=title, desc_text=desc, id_prefix=prefix, body=body
    )


def _row_label(lines: list[str], mid: float) -> list[str]:
    """A row's label, one or two lines, centred on the row's middle."""
    first = mid - LINE / 2 * (len(lines) - 1)
    return [
        svg.text(MARGIN, _mid_baseline(first + LINE * k, SIZE), line, SIZE)
        for k, line in enumerate(lines)
    ]


def _plan_flags(
    t: Timeline, frame: _Frame
) -> tuple[dict[datetime, list[int]], list[str], list[place.Slot]]:
    """Markers grouped by instant (one label per group), their texts and label slots."""
    groups: dict[datetime, list[int]] = {}
    for i, m in sorted(enumerate(t.markers), key=lambda im: (im[1].time.astimezone(UTC), im[0])):
        groups.setdefault(m.time.astimezone(UTC), []).append(i)
    texts = []
    for when, ids in groups.items():
        names = " · ".join(clean(t.markers[i].label) for i in ids)
        texts.append(ellipsize(f"{names} {_when(t, frame, when)}", WIDTH - 2 * MARGIN, SIZE))
    items = [
        (frame.x(when), text_width(text, SIZE)) for when, text in zip(groups, texts, strict=True)
    ]
    slots = place.flags(items, gap=10.0, offset=FLAG_OFFSET, lo=MARGIN, hi=WIDTH - MARGIN)
    return groups, texts, slots


def _marker_line(t: Timeline, i: int, x: float, top: float, bottom: float) -> str:
    """The vertical line of marker i; colour and dash pattern tell the kinds apart."""
    cls = _marker_class(t.markers[i].label)
    attrs: dict[str, svg.Attr] = {"data-marker": str(i), "x1": x, "y1": top, "x2": x, "y2": bottom}
    attrs["stroke-width"] = "1.5"
    if dash := MARKER_DASH.get(cls.removeprefix("pm-marker-"), "3 3"):
        attrs["stroke-dasharray"] = dash
    return svg.painted("line", cls, attrs)


def _when(t: Timeline, frame: _Frame, when: datetime) -> str:
    """A marker's time as labelled: with the date over several days, the zone if it changes."""
    local = when.astimezone(t.tz)
    shown = axis.clock_label(local)
    if local.second and (frame.end - frame.start).total_seconds() < 3600:
        shown += f":{local.second:02d}"
    first, last = frame.start.astimezone(t.tz), frame.end.astimezone(t.tz)
    if first.date() != last.date():
        shown = f"{axis.day_label(local, year=first.year != last.year)} {shown}"
    return f"{shown} {local.tzname()}" if frame.zones > 1 else shown


def _axis(
    frame: _Frame, ticks: list[axis.AxisTick], zone_text: str, chart_top: float, axis_y: float
) -> tuple[list[str], list[str], list[str]]:
    """Gridlines, the axis with its ticks, and the tick labels (dropped rather than touching)."""
    grid: list[str] = []
    for tick in ticks:
        x = frame.x(tick.at)
        grid.append(
            svg.painted("line", "pm-grid", {"x1": x, "y1": chart_top, "x2": x, "y2": axis_y})
        )
        grid.append(
            svg.painted("line", "pm-axis", {"x1": x, "y1": axis_y, "x2": x, "y2": axis_y + 4})
        )
    axis_line = {"x1": frame.x0, "y1": axis_y, "x2": frame.x1, "y2": axis_y}
    front = [svg.painted("line", "pm-axis", axis_line)]
    column_right = MARGIN + frame.column
    zone = ellipsize(zone_text, frame.column, SIZE)
    base = _mid_baseline(axis_y + 6 + 7.5, SIZE)
    labels = [svg.text(column_right, base, zone, SIZE, anchor="end", cls="pm-text-muted")]
    for row, attr in ((0, "label"), (1, "sub")):
        end_of_last = column_right
        for tick in ticks:
            content = getattr(tick, attr)
            if not content:
                continue
            width = text_width(content, SIZE)
            left = max(frame.x(tick.at) - width / 2, column_right + LABEL_GAP)
            left = min(left, WIDTH - MARGIN - width)
            if left < end_of_last + LABEL_GAP:
                continue
            end_of_last = left + width
            base = _mid_baseline(axis_y + 6 + 7.5 + 15 * row, SIZE)
            cls = "pm-text" if row == 0 else "pm-text-muted"
            labels.append(svg.text(left, base, content, SIZE, cls=cls))
    return grid, front, labels


def _shaded(level: str, rect: dict[str, svg.Attr]) -> str:
    """A bar or swatch of an impact level: the service colour at the level's shade."""
    attrs = {**rect, "fill-opacity": SHADE[level], "stroke-width": "1", "data-level": level}
    return svg.painted("rect", "pm-level", attrs)


def _legend(levels: list[str], frame: _Frame, mid: float) -> list[str]:
    """A swatch and the name of each impact level shown, below the axis."""
    parts = [svg.text(MARGIN, _mid_baseline(mid, SIZE), LEGEND, SIZE, cls="pm-text-muted")]
    x = frame.x0
    for level in levels:
        rect: dict[str, svg.Attr] = {"x": x, "y": mid - BAR / 2, "width": SWATCH, "height": BAR}
        parts.append(_shaded(level, rect))
        parts.append(svg.text(x + SWATCH + 5, _mid_baseline(mid, SIZE), level, SIZE))
        x += SWATCH + 5 + text_width(level, SIZE) + 16
    return parts


def _bar(span: Span, frame: _Frame, until: datetime, mid: float, cls: str) -> str:
    """One bar; an ongoing one stops at `until` with a dashed stub and the word "ongoing"."""
    left = frame.x(span.start)
    right = frame.x(span.end if span.end is not None else until)
    left, right = min(left, right), max(left, right)
    right = max(right, left + 2)  # a zero-length span stays visible
    rect: dict[str, svg.Attr] = {
        "x": left,
        "y": mid - BAR / 2,
        "width": right - left,
        "height": BAR,
        "rx": "2",
    }
    title = clean(span.label) + (f" ({span.level})" if span.level else "")
    bar = _shaded(span.level, rect) if span.level else svg.painted("rect", cls, rect)
    parts = [svg.title(title), bar]
    if span.end is None:
        parts.append(
            svg.painted(
                "line",
                f"{cls}-ongoing",
                {
                    "x1": right,
                    "y1": mid,
                    "x2": right + ONGOING_STUB,
                    "y2": mid,
                    "stroke-width": "3",
                    "stroke-dasharray": "3 2",
                },
            )
        )
        parts.append(
            svg.text(
                right + ONGOING_STUB + 4,
                _mid_baseline(mid, EVENT_SIZE),
                ONGOING,
                EVENT_SIZE,
                cls="pm-text-muted",
            )
        )
    return svg.el("g", {"class": "pm-span"}, "".join(parts))
