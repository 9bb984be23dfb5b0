"""The index across all incidents: the table, trends and open action items.

Percentiles use the nearest-rank method (the smallest value with at least p% of the values
at or below it); the median is the middle value, or the mean of the two middle values.
A time before the impact began (detection on a precursor) counts as 0 in them: the response
was no slower than immediate, and leaving the record out would make a quarter look worse.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from xml.sax.saxutils import escape

from postmortem.actions import Action, by_owner, collect
from postmortem.derive import figure_deltas, format_duration, is_overdue
from postmortem.summary import DataSummary, RecordSummary

FIGURES = (
    ("detect", "Time to detect"),
    ("mitigate", "Time to mitigate"),
    ("resolve", "Time to resolve"),
)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Row:
    incident: RecordSummary
    duration: str | None
    detect: str | None
    resolve: str | None
    open_actions: int
    overdue_actions: int
    data: str | None = None  # format 1.1: "none", "loss confirmed", "access suspected", ...


@dataclass(frozen=True)
class QuarterStats:
    quarter: str
    count: int
    # figure key → (median, p90) formatted, or None when no record of the quarter has it
    figures: dict[str, tuple[str, str] | None]


@dataclass
class Index:
    """Everything the index templates show."""

    today: date
    rows: list[Row] = field(default_factory=list)
    months: list[tuple[str, int]] = field(default_factory=list)
    quarters: list[QuarterStats] = field(default_factory=list)
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_service: list[tuple[str, int]] = field(default_factory=list)
    by_severity: list[tuple[str, int]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    owners: list[tuple[str, list[Action]]] = field(default_factory=list)
    chart: str = ""

    @property
    def has_data(self) -> bool:
        """Some record says what happened to data: the table then has a Data column."""
        return any(r.data is not None for r in self.rows)

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.actions if a.overdue)


def _cell(delta: timedelta | None) -> str | None:
    """A row's figure: `2h 05m`, or `2h 23m before impact` (never a negative duration)."""
    if delta is None:
        return None
    if delta < timedelta(0):
        return f"{format_duration(-delta)} before impact"
    return format_duration(delta)


def data_flag(data: DataSummary | None) -> str | None:
    """A record's data impact in a few words: `none`, `loss confirmed; access unknown`."""
    if data is None:
        return None
    if data.loss == data.access == "none":
        return "none"
    return "; ".join(f"{k} {v}" for k, v in (("loss", data.loss), ("access", data.access)))


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _months(first: date, last: date) -> list[str]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _counted(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0].casefold()))


def build_index(incidents: list[RecordSummary], *, today: date) -> Index:
    """Compute the index of `incidents` (any order)."""
    ordered = sorted(incidents, key=lambda i: (i.date, i.impact.start, i.id), reverse=True)
    index = Index(today=today)
    for inc in ordered:
        deltas = figure_deltas(inc)
        open_items = [a for a in inc.action_items if a.status in ("open", "in-progress")]
        index.rows.append(
            Row(
                incident=inc,
                duration=_cell(deltas.get("duration")),
                detect=_cell(deltas.get("detect")),
                resolve=_cell(deltas.get("resolve")),
                open_actions=len(open_items),
                overdue_actions=sum(1 for a in open_items if is_overdue(a, today)),
                data=data_flag(inc.impact.data),
            )
        )
    if ordered:
        per_month = Counter(f"{i.date:%Y-%m}" for i in ordered)
        months = _months(ordered[-1].date, ordered[0].date)
        index.months = [(m, per_month.get(m, 0)) for m in months]
        index.chart = month_chart_svg(index.months)
    quarters: dict[str, list[RecordSummary]] = {}
    for inc in ordered:
        quarters.setdefault(_quarter(inc.date), []).append(inc)
    for quarter in sorted(quarters, reverse=True):
        members = quarters[quarter]
        figures: dict[str, tuple[str, str] | None] = {}
        for key, _label in FIGURES:
            values = [
                max(0.0, d.total_seconds())
                for i in members
                if (d := figure_deltas(i).get(key)) is not None
            ]
            figures[key] = (
                (
                    format_duration(timedelta(seconds=statistics.median(values))),
                    format_duration(timedelta(seconds=percentile(values, 90))),
                )
                if values
                else None
            )
        index.quarters.append(QuarterStats(quarter, len(members), figures))
    index.by_kind = _counted(Counter(i.trigger.kind for i in ordered))
    index.by_service = _counted(Counter(s for i in ordered for s in dict.fromkeys(i.services)))
    index.by_severity = _counted(Counter(i.severity or "unspecified" for i in ordered))
    index.actions = collect(ordered, today=today)
    index.owners = by_owner(index.actions)
    return index


def month_chart_svg(months: list[tuple[str, int]]) -> str:
    """Incidents per month as an accessible SVG bar chart (deterministic, text stays text)."""
    # Kept inside this function: the chart is drawn for the page as the record's pictures
    # are (one SVG unit one CSS pixel in a 640 px column), its labels 13 px: 80% of the
    # page's 16 px body text or more.
    from postmortem.diagrams import page
    from postmortem.diagrams.text import text_width

    size = 13
    peak = max((n for _, n in months), default=0) or 1
    step = max(1, math.ceil(peak / 4))
    scale_top = step * math.ceil(peak / step)
    width, height, bottom, top = int(page.WIDTH), 200, 38, 14
    # Room for the scale's numbers on the left, and for half a month label at either end.
    label_w = text_width("0000-00", size) + 10
    right = math.ceil(label_w / 2)
    left = max(math.ceil(text_width(str(scale_top), size)) + 14, right)
    plot_w, plot_h = width - left - right, height - bottom - top
    slot = plot_w / max(1, len(months))
    bar = max(1.0, min(40.0, slot * 0.7))
    # Every n-th month labelled, n as small as keeps the labels apart.
    label_every = max(1, math.ceil(label_w / slot))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-labelledby="pm-months-title pm-months-desc" '
        f'class="pm-chart" font-family="Noto Sans, sans-serif" font-size="{size}">',
        '<title id="pm-months-title">Incidents per month</title>',
        '<desc id="pm-months-desc">'
        + escape(", ".join(f"{m}: {n}" for m, n in months))
        + "</desc>",
        "<style>.pm-bar{fill:#0072b2}.pm-axis{stroke:#6b7280}.pm-label{fill:#374151}"
        "@media (prefers-color-scheme: dark){.pm-bar{fill:#56b4e9}.pm-label{fill:#d1d5db}}"
        "</style>",
    ]
    for value in range(0, scale_top + 1, step):
        y = round(top + plot_h - value / scale_top * plot_h, 1)
        parts.append(
            f'<line class="pm-axis" x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" '
            f'stroke="#6b7280" stroke-width="0.5" opacity="0.5"/>'
            f'<text class="pm-label" x="{left - 6}" y="{y + 4.5}" text-anchor="end" '
            f'fill="#374151">{value}</text>'
        )
    for i, (month, count) in enumerate(months):
        x = left + i * slot + (slot - bar) / 2
        h = round(count / scale_top * plot_h, 1)
        y = round(top + plot_h - h, 1)
        parts.append(
            f'<rect class="pm-bar" x="{x:.1f}" y="{y}" width="{bar:.1f}" height="{h}" '
            f'fill="#0072b2"><title>{month}: {count}</title></rect>'
        )
        if i % label_every == 0:
            cx = round(left + i * slot + slot / 2, 1)
            parts.append(
                f'<text class="pm-label" x="{cx}" y="{height - bottom + 19}" '
                f'text-anchor="middle" fill="#374151">{month}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
