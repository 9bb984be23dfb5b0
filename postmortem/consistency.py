"""Rules across fields: cause links, step ids, the order of times; on the valid parts of a record.

A record that fails validation is still checked here, on whatever passed it: the values
pydantic refused are left out (their error is reported already), so that one wrong value
neither hides another nor is reported twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from difflib import SequenceMatcher
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from postmortem.crossrefs import Named, check_named
from postmortem.diagnostics import Issue
from postmortem.loader import Document, Path
from postmortem.model import Incident, Step, causes, step_key
from postmortem.scalars import MAX_CAUSES, Time, is_valid_id
from postmortem.zones import read_in


def field_path(loc: Path) -> str:
    """`cascade[1].caused_by[0]`: a path as the messages write it."""
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in loc).replace(".[", "[")


@dataclass
class Facts:
    """What the cross-field rules read of a record: only values that passed validation."""

    # None: the cascade itself is unusable (not a list, empty, too long).
    steps: list[Step] | None
    # Ids written but refused: a link to one of them is not a second error.
    refused_ids: list[str] = field(default_factory=list)
    # (step, entry) of cause links refused by validation: not looked up.
    refused_links: set[tuple[int, int]] = field(default_factory=set)
    # The valid instants, in UTC, by where they are written.
    times: dict[Path, datetime] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # impact.services[i].name, if valid
    # Ids beyond the cascade, what action items address (format 1.1: crossrefs.py).
    named: Named = field(default_factory=Named)

    @classmethod
    def of(cls, incident: Incident) -> Facts:
        """The facts of a valid record."""
        facts = cls(list(incident.cascade), named=Named.of(incident))
        parts: dict[str, Any] = {"trigger": incident.trigger, "detection": incident.detection}
        parts.update(resolution=incident.resolution, impact=incident.impact)
        for part, key in _PLACES:
            facts.add_time((part, key), getattr(parts[part], key, None))
        for i, svc in enumerate(incident.impact.services):
            facts.names[i] = svc.name
            facts.add_time(("impact", "services", i, "start"), svc.start)
            facts.add_time(("impact", "services", i, "end"), svc.end)
        return facts

    @classmethod
    def salvage(cls, data: dict[str, Any], refused: Iterable[Path]) -> Facts:
        """The facts of a record that failed validation at the `refused` paths."""
        bad = _Refused(refused)
        facts = cls(_salvage_steps(data.get("cascade"), bad), named=Named.salvage(data, bad))
        if facts.steps is not None:
            facts.refused_ids, facts.refused_links = _salvage_links(data["cascade"], bad)
        zone = None if bad(("timezone",)) else data.get("timezone", "UTC")
        impact = data.get("impact")
        services = impact.get("services") if isinstance(impact, dict) else None
        if not isinstance(services, list) or bad(("impact", "services")):
            services = []
        # Read by the time field's own validator, in the record's zone as the model reads
        # them; with the zone refused, times without an offset are left out.
        with read_in(zone if isinstance(zone, str) else None):
            for loc, raw in _written_times(data, services):
                if raw is not None and not bad(loc):
                    facts.add_time(loc, _time(raw))
        for i, svc in enumerate(services):
            name = svc.get("name") if isinstance(svc, dict) else None
            if isinstance(name, str) and not bad(("impact", "services", i, "name")):
                facts.names[i] = name.strip()
        return facts

    def add_time(self, loc: Path, value: datetime | None) -> None:
        """Keep `value` in UTC; a time without an offset (its zone unknown) is left out."""
        if value is None or value.tzinfo is None:
            return
        # Aware times of one tzinfo compare as wall-clock times (PEP 495): compare in UTC.
        self.times[loc] = value.astimezone(UTC)


class _Refused:
    """Whether validation refused the value at a path, or one that holds it."""

    def __init__(self, refused: Iterable[Path]) -> None:
        self.paths = set(refused)

    def __call__(self, loc: Path) -> bool:
        return any(loc[:n] in self.paths for n in range(1, len(loc) + 1))


@cache
def _time_adapter() -> TypeAdapter[datetime]:
    return TypeAdapter(Time)


def _time(raw: object) -> datetime | None:
    """A time validation accepted, read again by the same validator."""
    try:
        return _time_adapter().validate_python(raw)
    except ValidationError:  # pragma: no cover - only values validation accepted come here
        return None


# The times the order rules read, besides each service's start and end.
_PLACES = [
    ("trigger", "time"),
    ("detection", "time"),
    ("resolution", "mitigated"),
    ("resolution", "resolved"),
    ("impact", "start"),
    ("impact", "end"),
]


def _written_times(data: dict[str, Any], services: list[Any]) -> list[tuple[Path, Any]]:
    """(path, value as written) of every time the order rules read."""
    found: list[tuple[Path, Any]] = []
    for part, key in _PLACES:
        mapping = data.get(part)
        found.append(((part, key), mapping.get(key) if isinstance(mapping, dict) else None))
    for i, svc in enumerate(services):
        for key in ("start", "end"):
            value = svc.get(key) if isinstance(svc, dict) else None
            found.append((("impact", "services", i, key), value))
    return found


def _salvage_steps(cascade: object, bad: _Refused) -> list[Step] | None:
    """The steps, each with its id and causes if valid (refused links kept, to be skipped)."""
    if not isinstance(cascade, list) or ("cascade",) in bad.paths:
        return None  # not a list, empty, too long: no rule can read it
    steps = []
    for i, raw in enumerate(cascade):
        if not isinstance(raw, dict) or ("cascade", i) in bad.paths:
            steps.append(Step.model_construct(id=None, caused_by=[]))
            continue
        ident = raw.get("id") if not bad(("cascade", i, "id")) else None
        written = raw.get("caused_by")
        if written is None:
            cause: list[str] | None = None  # the default: the step before
        elif written == "trigger":
            cause = ["trigger"]
        elif isinstance(written, list):
            cause = [c if isinstance(c, str) else "" for c in written]
        else:
            cause = []  # refused whole: no link from it is known
        steps.append(Step.model_construct(id=ident, caused_by=cause))
    return steps


def _salvage_links(cascade: list[Any], bad: _Refused) -> tuple[list[str], set[tuple[int, int]]]:
    """Ids written but refused; (step, entry) of the cause links validation refused."""
    ids: list[str] = []
    links: set[tuple[int, int]] = set()
    for i, raw in enumerate(cascade):
        if not isinstance(raw, dict):
            continue
        if bad(("cascade", i, "id")) and isinstance(raw.get("id"), str):
            ids.append(raw["id"])
        written = raw.get("caused_by")
        if isinstance(written, list) and bad(("cascade", i, "caused_by")):
            for j, cause in enumerate(written):
                if not (isinstance(cause, str) and is_valid_id(cause)):
                    links.add((i, j))
    return ids, links


class Closest:
    """ "Did you mean": `difflib.get_close_matches(word, candidates, n=1)`, on a budget.

    difflib compares two strings in time proportional to the product of their lengths:
    400 unknown cause links against 200 long ids alike took over two minutes for one
    record. Past the budget (a fraction of a second of work) no more hints are given.
    """

    BUDGET = 1_000_000  # characters looked at, and products of lengths compared in full

    def __init__(self) -> None:
        self.spent = 0

    def __call__(self, word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
        """The closest candidate scoring at least `cutoff`, or None (also past the budget)."""
        matcher = SequenceMatcher()
        matcher.set_seq2(word)
        best: tuple[float, str] | None = None
        for candidate in candidates:
            if not self._spend(len(candidate) + len(word)):
                break
            matcher.set_seq1(candidate)
            if matcher.real_quick_ratio() < cutoff or matcher.quick_ratio() < cutoff:
                continue
            if not self._spend(len(candidate) * len(word)):
                break
            score = matcher.ratio()
            if score >= cutoff and (best is None or (score, candidate) > best):
                best = (score, candidate)
        return best[1] if best else None

    def _spend(self, cost: int) -> bool:
        """Take `cost` from the budget; False (and nothing more given) when it is not there."""
        if self.spent + cost > self.BUDGET:
            self.spent = self.BUDGET
            return False
        self.spent += cost
        return True


_Add = Callable[[Path, str, str], None]
# The latest a service's window may reach, what that is, and how to move it.
Last = tuple[datetime, str, str] | None


def check_facts(facts: Facts, doc: Document, path: str) -> list[Issue]:
    """Every cross-field rule on the facts of one record."""
    issues: list[Issue] = []

    def add(loc: Path, message: str, rule: str) -> None:  # a message starts with its field
        where = field_path(loc)
        issues.append(Issue(path, *doc.position(loc), f"{where}: {message}", rule, where))

    closest = Closest()
    step_ids = {} if facts.steps is None else _check_cascade(facts, doc, add, closest)
    check_named(facts.named, step_ids, facts.refused_ids, closest, add)
    _check_order(facts, add)
    return issues


def _check_cascade(facts: Facts, doc: Document, add: _Add, closest: Closest) -> dict[str, int]:
    """Step ids, cause links (to steps, the trigger or conditions), cycles; the step ids."""
    steps = facts.steps or []
    keys: dict[str, int] = {}
    ill_defined = False  # a duplicate or reserved id: the graph has no one meaning
    for i, step in enumerate(steps):
        if step.id == "trigger":
            add(("cascade", i, "id"), "'trigger' names the trigger; choose another step id", "id")
            ill_defined = True
        elif step.id is not None and step.id in keys:
            message = f"step id {step.id!r} is already used by cascade[{keys[step.id]}]"
            add(("cascade", i, "id"), message, "duplicate-id")
            ill_defined = True
        keys.setdefault(step_key(step, i), i)
    step_ids = {k: i for k, i in keys.items() if steps[i].id == k and k != "trigger"}

    all_causes = causes(steps)
    over = _past_cause_limit(all_causes)
    if over is not None:
        # Refused before the links are looked at one by one: a record far past the limit
        # costs no more to check than one at it. An implied link has no entry: name the step.
        i, j = over
        loc: Path = ("cascade", i, "caused_by", j)
        if steps[i].caused_by is None:
            loc = ("cascade", i)
        message = (
            f"cause link number {MAX_CAUSES + 1:,} of the cascade "
            f"(written or implied); the limit is {MAX_CAUSES:,}"
        )
        add(loc, message, "limit-items")
        return step_ids

    # A condition (format 1.1) is a root of its own: a step may name it as a cause.
    conditions = [c for _, c in facts.named.conditions]
    known = ["trigger", *keys, *conditions]
    kinds = "a step or condition id" if conditions else "a step id"
    refused = facts.refused_ids + facts.named.refused_ids
    for i, step in enumerate(steps):
        for j, cause in enumerate(step.caused_by or ()):
            if cause in keys or cause == "trigger" or (i, j) in facts.refused_links:
                continue
            if cause in conditions:
                continue
            # A link to a step whose id was refused is that id's error, not a second one.
            if refused and closest(cause, refused):
                continue
            loc = ("cascade", i, "caused_by", j)
            if loc not in doc.positions:
                loc = loc[:-1]
            close = closest(cause, known)
            hint = f" (did you mean {close!r}?)" if close else ""
            add(loc, f"{cause!r} is not {kinds}{hint}", "unknown-step")

    # An unknown link is left out of the graph; a duplicate or reserved id is reported alone.
    cycle = None if ill_defined else _find_cycle(steps, all_causes, keys)
    if cycle is not None:
        first = keys[cycle[0]]
        add(("cascade", first, "caused_by"), "forms a cycle: " + " → ".join(cycle), "cycle")
    return step_ids


def _check_order(facts: Facts, add: _Add) -> None:
    """Ends after starts, detection after the trigger, services inside the impact window."""
    t = facts.times
    start, end = t.get(("impact", "start")), t.get(("impact", "end"))
    if start is not None and end is not None and end < start:
        add(("impact", "end"), "comes before impact.start", "end-before-start")
        end = None  # wrong already: not a bound for the services' windows
    trigger, detected = t.get(("trigger", "time")), t.get(("detection", "time"))
    if trigger is not None and detected is not None and detected < trigger:
        message = (
            "comes before trigger.time: an incident is detected after its trigger "
            "(check both times and their UTC offsets)"
        )
        add(("detection", "time"), message, "detected-before-trigger")
    mitigated, resolved = t.get(("resolution", "mitigated")), t.get(("resolution", "resolved"))
    if mitigated is not None and resolved is not None and resolved < mitigated:
        message = (
            "comes before resolution.mitigated: service is fully restored at or after the "
            "impact is mitigated (the same time for both is fine)"
        )
        add(("resolution", "resolved"), message, "resolved-before-mitigated")
    # A service may stay impacted after the headline window (impact.end) until the
    # incident is resolved, as Cloudflare's WAF rules did in 2019; not after both. An
    # impact without an end goes on: no service's window can be past it.
    last: Last = None
    if end is not None and resolved is None:
        fix = "move impact.end later, or write resolution.resolved if it recovered after"
        last = (end, "impact.end", fix)
    elif end is not None and resolved is not None:
        last = (max(end, resolved), "impact.end and resolution.resolved", "move one later")
    for i in sorted({int(loc[2]) for loc in t if loc[:2] == ("impact", "services")}):
        _check_service(facts, i, start, last, add)


def _check_service(facts: Facts, i: int, start: datetime | None, last: Last, add: _Add) -> None:
    """One service's window: its end after its start, and both within the incident's."""
    own_start = facts.times.get(("impact", "services", i, "start"))
    own_end = facts.times.get(("impact", "services", i, "end"))
    name = repr(facts.names[i]) if i in facts.names else "this service"
    at: Path = ("impact", "services", i)
    inside = "a service's window lies within the incident's"
    if own_start is not None and start is not None and own_start < start:
        message = f"{name} starts before impact.start: {inside}; move impact.start earlier"
        add((*at, "start"), message, "service-outside-impact")
    elif own_start is not None and last is not None and own_start > last[0]:
        message = f"{name} starts after {last[1]}: {inside}; {last[2]}"
        add((*at, "start"), message, "service-outside-impact")
    first = own_start or start
    if own_end is not None and first is not None and own_end < first:
        which = "its start" if own_start is not None else "impact.start"
        add((*at, "end"), f"the end of {name} is before {which}", "end-before-start")
    elif own_end is not None and last is not None and own_end > last[0]:
        message = f"{name} ends after {last[1]}: {inside}; {last[2]}"
        add((*at, "end"), message, "service-outside-impact")


def _past_cause_limit(all_causes: list[list[str]]) -> tuple[int, int] | None:
    """(step, entry) of the cause link that passes MAX_CAUSES, or None within the limit."""
    total = 0
    for i, step_causes in enumerate(all_causes):
        if total + len(step_causes) > MAX_CAUSES:
            return i, MAX_CAUSES - total
        total += len(step_causes)
    return None


def _find_cycle(
    steps: list[Step], all_causes: list[list[str]], keys: dict[str, int]
) -> list[str] | None:
    """A cycle among the steps, cause → effect, its first key repeated at the end; or None."""
    graph = {
        step_key(step, i): [c for c in all_causes[i] if c in keys] for i, step in enumerate(steps)
    }
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for begin in graph:
        if state.get(begin):
            continue
        stack: list[tuple[str, int]] = [(begin, 0)]
        trail: list[str] = []
        while stack:
            node, i = stack.pop()
            if i == 0:
                state[node] = 1
                trail.append(node)
            nexts = graph[node]
            if i < len(nexts):
                stack.append((node, i + 1))
                nxt = nexts[i]
                if state.get(nxt) == 1:
                    loop = trail[trail.index(nxt) :]
                    # The trail follows 'caused by'; print it cause → effect.
                    return [nxt, *reversed(loop)]
                if not state.get(nxt):
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                trail.pop()
    return None
