"""Figures computed from a valid record: durations, causal order, overdue items, local times.

Everything a template shows that is not written in the record comes from here, so the three
formats cannot disagree about it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from postmortem.model import (
    ActionItem,
    Communication,
    Condition,
    Event,
    Incident,
    NamedNumber,
    Step,
    causes,
    step_key,
)
from postmortem.summary import ActionSummary, RecordSummary

OPEN_STATUSES = ("open", "in-progress")


def is_overdue(item: ActionItem | ActionSummary, today: date) -> bool:
    """Open (or in progress) and past its due date."""
    return item.status in OPEN_STATUSES and item.due is not None and item.due < today


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time from `start` to `end`, whatever zones they were written in.

    Python subtracts two datetimes that share one tzinfo as wall-clock times (PEP 495), which
    is an hour off across a daylight-saving change: every duration is computed here, in UTC.
    """
    return end.astimezone(UTC) - start.astimezone(UTC)


_MINUTE = 60_000_000  # microseconds


def format_duration(delta: timedelta) -> str:
    """`45s` under a minute; else to the nearest minute: `45m`, `2h 05m`, `72h 45m`.

    Hours are never folded into days, so that durations side by side (an index cell, a
    median beside a p90) read in one unit. The text is within half a second (under a
    minute) or half a minute of `delta`; test_figures pins it.
    """
    if delta < timedelta(0):
        raise ValueError(f"a duration is never negative: {delta}")  # callers say "before"
    micros = delta // timedelta(microseconds=1)
    if micros < _MINUTE - 500_000:
        return f"{(micros + 500_000) // 1_000_000}s"
    hours, minutes = divmod((micros + _MINUTE // 2) // _MINUTE, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def iso_duration(delta: timedelta) -> str:
    """ISO 8601 duration of the length of `delta`, for `<time datetime>` (e.g. `PT2H5M0S`)."""
    seconds = int(abs(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"


# The figures, each from impact start to one time of the record; the verb says which time
# came first when it came before the impact (detected on a precursor, as Roblox in 2021).
FIGURES = (
    ("duration", "Duration", "Ended"),
    ("detect", "Time to detect", "Detected"),
    ("mitigate", "Time to mitigate", "Mitigated"),
    ("resolve", "Time to resolve", "Resolved"),
)


# Format 1.1's figures, each from impact start too, shown only where the record has the time.
FIGURES_1_1 = (
    ("symptom", "Time to first symptom", "First symptom"),
    ("declare", "Time to declare", "Declared"),
    ("update", "Time to first customer update", "First customer update"),
)


def figure_ends_1_1(incident: Incident) -> dict[str, datetime | None]:
    """The time each format 1.1 figure runs to from impact start."""
    updates = [c.time for c in incident.communications]
    return {
        "symptom": incident.impact.first_symptom,
        "declare": incident.detection.declared if incident.detection else None,
        "update": min(updates, key=lambda t: t.astimezone(UTC)) if updates else None,
    }


def figure_ends(record: Incident | RecordSummary) -> dict[str, datetime | None]:
    """The time each figure runs to from impact start (none where the record has none)."""
    return {
        "duration": record.impact.end,
        "detect": record.detection.time if record.detection else None,
        "mitigate": record.resolution.mitigated,
        "resolve": record.resolution.resolved,
    }


def figure_deltas(record: Incident | RecordSummary) -> dict[str, timedelta]:
    """Elapsed time from impact start to each figure's end, where the record has that end."""
    start = record.impact.start
    return {k: elapsed(start, end) for k, end in figure_ends(record).items() if end is not None}


# Inside Clock, `date` names its method; its annotations name the class by this alias.
_Date = date


@dataclass(frozen=True)
class Clock:
    """Times shown in the record's zone, with the zone's abbreviation (`07:30 PST`).

    A record shows the same few instants many times (in the text, the tables and the
    pictures, in every format): each is converted and written once.
    """

    zone: ZoneInfo
    _memo: dict[tuple[str, datetime], str] = field(default_factory=dict, compare=False, repr=False)
    _locals: dict[datetime, datetime] = field(default_factory=dict, compare=False, repr=False)

    def local(self, when: datetime) -> datetime:
        # Equal datetimes are one instant, whatever their zone: one local time here.
        local = self._locals.get(when)
        if local is None:
            local = self._locals[when] = when.astimezone(self.zone)
        return local

    def time(self, when: datetime) -> str:
        text = self._memo.get(("time", when))
        if text is None:
            local = self.local(when)
            text = f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
            self._memo["time", when] = text
        return text

    def date(self, when: datetime) -> str:
        local = self.local(when)
        return f"{local.year}-{local.month:02d}-{local.day:02d}"  # as strftime's %Y-%m-%d

    def full(self, when: datetime) -> str:
        """`2021-12-07 07:30 PST`."""
        text = self._memo.get(("full", when))
        if text is None:
            text = self._memo["full", when] = f"{self.date(when)} {self.time(when)}"
        return text

    def short(self, when: datetime, day: _Date) -> str:
        """`07:30 PST` on `day` (the incident's date), else the full date and time."""
        return self.time(when) if self.local(when).date() == day else self.full(when)

    def iso(self, when: datetime) -> str:
        text = self._memo.get(("iso", when))
        if text is None:
            text = self._memo["iso", when] = self.local(when).isoformat()
        return text


@dataclass(frozen=True)
class Figure:
    key: str
    label: str  # "Time to detect"; "Detected" when it came before the impact began
    value: str  # "2h 05m"; "2h 23m before impact began"
    iso: str  # the length as an ISO 8601 duration
    delta: timedelta  # signed: negative when the time came before the impact began


@dataclass(frozen=True)
class StepView:
    key: str
    number: int
    step: Step
    causes: list[str]  # keys of the causes ("trigger" or step keys)
    cause_labels: list[str]


@dataclass(frozen=True)
class ServiceView:
    name: str
    start: datetime | None
    end: datetime | None
    duration: str | None  # only where both ends are written
    description: str | None
    level: str | None = None  # format 1.1: degraded, partial or down


@dataclass(frozen=True)
class EventView:
    number: int
    event: Event
    show_date: bool


@dataclass(frozen=True)
class ActionView:
    item: ActionItem
    overdue: bool


@dataclass(frozen=True)
class NumberView:
    number: NamedNumber
    text: str  # "about 1,200 servers", "40%"


def number_text(number: NamedNumber) -> str:
    """A named number as a reader says it: `about 1,200 servers`, `40%`."""
    value = number.value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = f"{value:,}"
    if number.unit:
        text += number.unit if number.unit == "%" else f" {number.unit}"
    return f"about {text}" if number.approximate else text


# Action items of a 1.1 record are listed by priority, P0 first (unset last; the file's order
# otherwise); format 1 records keep the file's order, as they always rendered.
PRIORITY_RANK = {"P0": 0, "P1": 1, "P2": 2, "P3": 3}


@dataclass(frozen=True)
class Related:
    ident: str
    title: str | None  # known when that record is rendered in the same run


@dataclass
class View:
    """Everything the templates need about one incident."""

    incident: Incident
    clock: Clock
    today: date
    figures: list[Figure] = field(default_factory=list)
    steps: list[StepView] = field(default_factory=list)
    services: list[ServiceView] = field(default_factory=list)
    timeline: list[EventView] = field(default_factory=list)
    actions: list[ActionView] = field(default_factory=list)
    related: list[Related] = field(default_factory=list)
    # Format 1.1: latent conditions, customer updates in time order, named numbers.
    conditions: list[Condition] = field(default_factory=list)
    communications: list[Communication] = field(default_factory=list)
    numbers: list[NumberView] = field(default_factory=list)

    @property
    def has_levels(self) -> bool:
        """Some service window has an impact level (the table then has a Level column)."""
        return any(s.level for s in self.services)

    @property
    def overdue_count(self) -> int:
        return sum(1 for a in self.actions if a.overdue)

    @property
    def step_by_key(self) -> dict[str, StepView]:
        return {s.key: s for s in self.steps}


def figures(incident: Incident) -> list[Figure]:
    """Duration and time to detect / mitigate / resolve, each only where its inputs exist.

    A time before the impact began is no negative duration but what it is: `Detected:
    2h 23m before impact began` (the label names the event, the value says which way).
    """
    deltas = figure_deltas(incident)
    start = incident.impact.start
    deltas |= {k: elapsed(start, t) for k, t in figure_ends_1_1(incident).items() if t}
    result = []
    for key, label, verb in FIGURES + FIGURES_1_1:
        delta = deltas.get(key)
        if delta is None:
            continue
        if delta < timedelta(0):
            value = f"{format_duration(-delta)} before impact began"
            result.append(Figure(key, verb, value, iso_duration(delta), delta))
        else:
            result.append(Figure(key, label, format_duration(delta), iso_duration(delta), delta))
    symptom, resolved = incident.impact.first_symptom, incident.resolution.resolved
    if symptom and resolved and elapsed(symptom, resolved) >= timedelta(0):
        # Counted from the first symptom, not from impact start: said in the label.
        delta = elapsed(symptom, resolved)
        label = "From first symptom to resolved"
        result.append(
            Figure("symptom-resolve", label, format_duration(delta), iso_duration(delta), delta)
        )
    return result


def causal_order(cascade: list[Step]) -> list[tuple[int, list[str]]]:
    """Step indexes with their causes, causes first; ties keep the order of the file."""
    keys = [step_key(s, i) for i, s in enumerate(cascade)]
    index = {k: i for i, k in enumerate(keys)}
    all_causes = causes(cascade)
    waiting = [sum(1 for c in cs if c in index) for cs in all_causes]
    effects: dict[int, list[int]] = {i: [] for i in range(len(cascade))}
    for i, cs in enumerate(all_causes):
        for c in cs:
            if c in index:
                effects[index[c]].append(i)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append((i, all_causes[i]))
        for j in effects[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    return order


def build_view(incident: Incident, *, today: date, titles: dict[str, str] | None = None) -> View:
    """Derive the view of one incident; `titles` maps ids rendered in this run to titles."""
    clock = Clock(incident.zone)
    view = View(incident=incident, clock=clock, today=today, figures=figures(incident))
    keys = {step_key(s, i): s for i, s in enumerate(incident.cascade)}
    conditions = {c.id: c for c in incident.conditions}
    view.conditions = list(incident.conditions)
    for number, (i, cause_keys) in enumerate(causal_order(incident.cascade), start=1):
        step = incident.cascade[i]
        labels = [_cause_label(c, keys, conditions) for c in cause_keys]
        view.steps.append(StepView(step_key(step, i), number, step, cause_keys, labels))
    for svc in incident.impact.services:
        # check refuses an end before its start: the length is never negative.
        length = format_duration(elapsed(svc.start, svc.end)) if svc.start and svc.end else None
        view.services.append(
            ServiceView(svc.name, svc.start, svc.end, length, svc.description, svc.level)
        )
    # sorted() is stable: events at the same time keep the file's order.
    events = sorted(incident.timeline, key=lambda e: e.time)
    last_day = None
    for number, event in enumerate(events, start=1):
        day = clock.date(event.time)
        view.timeline.append(EventView(number, event, day != last_day))
        last_day = day
    items = list(incident.action_items)
    if incident.format != 1:
        items.sort(key=lambda a: PRIORITY_RANK.get(a.priority or "", 4))
    for item in items:
        view.actions.append(ActionView(item, is_overdue(item, today)))
    view.communications = sorted(incident.communications, key=lambda c: c.time.astimezone(UTC))
    view.numbers = [NumberView(n, number_text(n)) for n in incident.numbers]
    titles = titles or {}
    view.related = [Related(r, titles.get(r)) for r in incident.related]
    return view


def _cause_label(key: str, steps: dict[str, Step], conditions: dict[str, Condition]) -> str:
    if key == "trigger":
        return "the trigger"
    if key in steps:
        return steps[key].component
    return f"{conditions[key].component} (latent condition)"
