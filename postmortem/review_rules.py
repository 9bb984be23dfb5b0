"""The rules of a blameless review: each a function of a valid record → findings.

A finding names the value it concerns by its path in the record (and, for a word, where
in that value it stands); `review.py` turns it into an Issue with a line and column.
Why each rule exists, and its source, is in docs/review.md (one section per rule id).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from postmortem import gate

if TYPE_CHECKING:  # the config reads RULES: no pydantic import for that
    from postmortem.model import Incident

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """One review finding: a rule, the value it concerns, and where in it (offsets)."""

    rule: str
    path: Path
    message: str
    start: int = -1  # offset of the words in the value at `path`; -1: the whole value
    end: int = -1


# rule id → what it finds, in one line (the `why` and the sources are in docs/review.md).
RULES: dict[str, str] = {
    "blame-word": "words that judge people, or a person as the subject of a failure",
    "person-cause": "a person (a role or a name) given as a cause in the trigger or cascade",
    "single-cause": "a trigger with no contributing factors: a root cause alone",
    "action-owner": "an open action item with no owner and no link to where it is tracked",
    "action-due": "an open action item with an owner but no due date and no link",
    "action-vague": "an action item that says no what: 'be more careful', 'improve monitoring'",
    "went-wrong-empty": "lessons with nothing under went_wrong",
    "placeholder": "a TODO placeholder left from `postmortem new`",
    "silence-invalid": "a silencing comment without a reason, or naming no known rule",
    "silence-unused": "a silencing comment that silences nothing",
}

# Keys whose values are not prose: ids, times, enums, links. Blame is looked for elsewhere.
_NOT_PROSE = frozenset(
    {
        *("id", "format", "date", "time", "start", "end", "mitigated", "resolved", "due"),
        *("timezone", "status", "kind", "priority", "method", "caused_by", "link", "url"),
        *("related", "tags", "authors", "owner", "severity"),
        # Format 1.1: times, enums, ids and figures; responders are names, roles, companies.
        *("first_symptom", "declared", "since", "completed", "ticket", "addresses"),
        *("level", "loss", "access", "value", "unit", "approximate", "channel", "responders"),
    }
)
_OPEN = ("open", "in-progress")

# People, as a role or a pronoun. "we" is left out on purpose: a team writing "we should
# have canaried it" reflects on itself, and flagging it would make the rule too noisy. A
# singular role needs its article ("the operator"), so that "Kubernetes operator" or "the
# admin console" is not read as a person.
_ONE = (
    r"(?:engineer|developer|operator|admin|administrator|sre|on-?call(?:\s+(?:engineer|person))?"
    r"|employee|staff\s+member|team\s+member|intern|contractor|human|person)"
)
_MANY = (
    r"(?:engineers|developers|operators|admins|administrators|sres|employees|staff"
    r"|team\s+members|interns|contractors|humans|people|persons)"
)
_ARTICLE = r"(?:the|an?|our|one|their|his|her|that|this|some)\s+"
_ADJ = r"(?:(?:new|junior|senior|responsible|same|primary|secondary|on-?call)\s+)?"
_FAULT = (
    r"(?:failed\s+to|forgot\s+to|neglected\s+to|should\s+have|should've|should\s+not\s+have"
    r"|shouldn't\s+have|ought\s+to\s+have|didn't\s+bother|did\s+not\s+bother"
    r"|made\s+an?\s+(?:mistake|error)|messed\s+up|screwed\s+up|mistakenly|carelessly"
    r"|ignored|overlooked|was\s+responsible\s+for|is\s+to\s+blame)"
)
# Between the person and the failure, at most a place ("the engineer on call failed to",
# "an engineer on the firewall team ignored"), never a noun of its own: in "the on-call
# rotation failed to page" or "the engineer's deploy failed to", something else failed.
_BETWEEN = r"(?:\s+(?:on|in|at|from|of)(?:\s+the)?\s+[\w-]+(?:\s+team)?)?\s+"


def _person(names: list[str]) -> str:
    """A regular expression for a person: a role, a pronoun, or one of `names`."""
    alternatives = [
        rf"(?:{_ARTICLE})?{_ADJ}{_MANY}",
        rf"{_ARTICLE}{_ADJ}{_ONE}",
        r"someone|somebody|he|she",
        *(f"(?-i:{re.escape(n)})" for n in names),  # a name keeps its capitals
    ]
    return rf"(?<![\w-])(?:{'|'.join(alternatives)})(?![\w-])"


# (pattern, suggestion) for words that judge a person wherever they are written.
_JUDGING: list[tuple[str, str]] = [
    (
        r"(?:human|operator|user|pilot|engineer)\s+error",
        "name the condition that made the action possible or likely, e.g. 'the tool "
        "accepted an input that removed all capacity'",
    ),
    (
        r"careless(?:ly|ness)?|negligen(?:t|tly|ce)|sloppy|sloppiness|lazy|laziness"
        r"|incompeten(?:t|ce)|reckless(?:ly|ness)?|stupid(?:ity)?|idiot(?:ic)?|pebkac"
        r"|fat-?finger(?:ed|s)?",
        "describe what happened and what made it look right at the time",
    ),
    (
        r"(?:(?:his|her|their|the\s+engineer's|the\s+operator's)\s+fault)|to\s+blame|blamed",
        "describe what happened and the conditions around it, not who is at fault",
    ),
]
_JUDGING_RE = [(re.compile(rf"\b(?:{p})\b", re.IGNORECASE), s) for p, s in _JUDGING]


def person_names(incident: Incident) -> list[str]:
    """Names of people the record itself gives (authors, owners, responders): full and first."""
    names: list[str] = []
    given = [*incident.authors, *(a.owner or "" for a in incident.action_items)]
    for text in [*given, *(r.name or "" for r in incident.responders)]:
        words = text.split()
        # "Ada Lovelace" is a person; "Amazon Web Services", "payments-team" are not.
        if (
            2 <= len(words) <= 3
            and all(re.fullmatch(r"[A-Z][a-z]+", w) for w in words)
            and not {"Services", "Team", "Inc", "Ltd", "Corp", "Group"} & set(words)
        ):
            names += [text, words[0]]
    return sorted(set(names), key=len, reverse=True)


def prose(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """Every text value of a record that is prose (not an id, time, enum or link)."""

    def walk(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                if key not in _NOT_PROSE:
                    yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, (*path, i))
        elif isinstance(value, str):
            yield path, value

    yield from walk(data, ())


def _without_code(text: str) -> str:
    """`text` with inline code blanked (same length): `rm -rf` is not a word of the author."""
    return re.sub(r"`[^`\n]*`", lambda m: " " * len(m.group()), text)


def blame_word(incident: Incident, data: dict[str, Any]) -> Iterator[Finding]:
    """Words that judge people; a person as the subject of 'failed to', 'should have'."""
    subject = re.compile(rf"{_person(person_names(incident))}{_BETWEEN}{_FAULT}\b", re.IGNORECASE)
    for path, raw in prose(data):
        text = _without_code(raw)
        for pattern, suggestion in _JUDGING_RE:
            for m in pattern.finditer(text):
                yield Finding(
                    "blame-word",
                    path,
                    f"{m.group()!r} judges a person; {suggestion}",
                    m.start(),
                    m.end(),
                )
        for m in subject.finditer(text):
            yield Finding(
                "blame-word",
                path,
                f"{m.group()!r} makes a person the subject of a failure (hindsight); say what "
                "happened and why it made sense then, e.g. 'the check was not run: the "
                "runbook did not list it'",
                m.start(),
                m.end(),
            )


def person_cause(incident: Incident, data: dict[str, Any]) -> Iterator[Finding]:
    """A person as a cascade step, as what a cause is pinned on, or named in the cause."""
    names = person_names(incident)
    person = _person(names)
    is_person = re.compile(rf"(?:{_ARTICLE})?{_ADJ}(?:{_ONE}|{_MANY})|{person}", re.IGNORECASE)
    # "caused by the operator" pins it on them; "caused by the operator's command" does not.
    pinned = re.compile(
        rf"\b(?:caused\s+by|due\s+to|because\s+of|the\s+fault\s+of|blamed?\s+on)"
        rf"\s+{person}(?!['\u2019]s\b)",
        re.IGNORECASE,
    )
    named = re.compile(rf"\b(?:{'|'.join(re.escape(n) for n in names)})\b") if names else None
    # A handle such as @alice (not a team, @org/team, nor a product's account).
    handle = re.compile(
        r"(?<![\w@/])@[A-Za-z][\w.-]*\b(?![/\w])(?!\s+(?:twitter|account|bot))", re.IGNORECASE
    )
    places: list[Path] = [("trigger", "description")]
    for i, step in enumerate(incident.cascade):
        if is_person.fullmatch(step.component.strip()):
            yield Finding(
                "person-cause",
                ("cascade", i, "component"),
                f"the component {step.component!r} is a person: name the part of the system "
                "that failed, and the guard it lacked",
            )
        places.append(("cascade", i, "description"))
    for i, condition in enumerate(incident.conditions):
        # A latent condition is a root cause of its own (1.1): no person either.
        if is_person.fullmatch(condition.component.strip()):
            yield Finding(
                "person-cause",
                ("conditions", i, "component"),
                f"the component {condition.component!r} is a person: name the part of the "
                "system that was in that state, and the guard it lacked",
            )
        places.append(("conditions", i, "description"))
    for path in places:
        text = _without_code(str(_at(data, path)))
        for m in pinned.finditer(text):
            yield Finding(
                "person-cause",
                path,
                f"{m.group()!r} pins a cause on a person: say what the system let happen",
                m.start(),
                m.end(),
            )
        for pattern in (named, handle):
            for m in pattern.finditer(text) if pattern else ():
                yield Finding(
                    "person-cause",
                    path,
                    f"{m.group()!r} names a person in the chain of causes: write the role "
                    "(e.g. 'an engineer') and what the system allowed",
                    m.start(),
                    m.end(),
                )


def _at(data: dict[str, Any], path: Path) -> Any:
    value: Any = data
    for part in path:
        value = value[part]
    return value


def single_cause(incident: Incident, data: dict[str, Any]) -> Iterator[Finding]:
    """A trigger alone, with no contributing factors nor latent conditions, reads as one root
    cause."""
    if not incident.contributing_factors and not incident.conditions:
        yield Finding(
            "single-cause",
            ("trigger",),
            "the trigger has no contributing factors: add under contributing_factors the "
            "conditions that let it do harm (a missing guard, a dependency, a gap in alerting)",
        )


def actions(incident: Incident, data: dict[str, Any]) -> Iterator[Finding]:
    """Open action items: someone who owns them, a date, and a what."""
    for i, item in enumerate(incident.action_items):
        # A ticket id (1.1) says where it is tracked, as a link does.
        if item.status in _OPEN and not item.link and not item.ticket:
            if not item.owner:
                yield Finding(
                    "action-owner",
                    ("action_items", i),
                    "open action item has no owner: name a team or person, or link the "
                    "ticket that tracks it",
                )
            elif item.due is None:
                yield Finding(
                    "action-due",
                    ("action_items", i),
                    "open action item has an owner but no due date: add `due`, or link the "
                    "ticket that tracks it",
                )
        vague = _vague(item.title)
        if vague:
            yield Finding("action-vague", ("action_items", i, "title"), vague)


_VAGUE_EFFORT = re.compile(
    r"(?:(?:always|please|everyone\s+(?:should|must))\s+)?(?:be\s+(?:more\s+)?(?:careful|vigilant"
    r"|cautious|attentive)|pay\s+(?:more\s+)?attention|take\s+(?:more\s+)?care|try\s+harder"
    r"|double-?check(?:\s+(?:things|everything|changes))?|remember\s+to\s+\w+"
    r"|don't\s+do\s+(?:it|this|that)\s+again|avoid\s+(?:such|these|this|similar)\s+"
    r"(?:mistakes|errors|incidents|issues))(?:\s+(?:next\s+time|in\s+future|in\s+the\s+future))?",
    re.IGNORECASE,
)
# "Make sure engineer checks that the schema parses" (Google's example of an unbounded
# item, in Lunney et al. 2017): an action that relies on a person remembering.
_PEOPLE_MUST = re.compile(
    r"(?:make\s+sure|ensure|remind)\s+(?:that\s+)?(?:the\s+|all\s+|every\s+|each\s+)?"
    r"(?:engineers?|operators?|developers?|everyone|everybody|people|staff|on-?call|sres?)\b",
    re.IGNORECASE,
)
_VAGUE_AREA = re.compile(
    r"(?:improve|better|more|increase|enhance|add\s+more|review|update|fix|look\s+into"
    r"|investigate)\s+(?:the\s+|our\s+)?(?:monitoring|alerting|alerts|testing|tests"
    r"|documentation|docs|communication|process(?:es)?|training|observability|logging"
    r"|runbooks?|issue|problem|bug|root\s+cause|incident)"
    # "... for this scenario", "... that caused the outage": still no what.
    r"(?:\s+(?:for|of|in|around|behind|that\s+caused)\s+(?:this|the|that|these)\s+"
    r"(?:scenario|incident|outage|issue|problem|case|failure)s?)?",
    re.IGNORECASE,
)


def _vague(title: str) -> str:
    """Why a title is not a specific action, or ''."""
    text = title.strip().rstrip(".!")
    if _VAGUE_EFFORT.fullmatch(text) or _PEOPLE_MUST.match(text):
        return (
            f"{title!r} asks people to try harder, which does not last: name a change to a "
            "tool, check or process (e.g. 'make the tool refuse to remove more than 5% of "
            "capacity')"
        )
    if _VAGUE_AREA.fullmatch(text):
        return (
            f"{title!r} says no what: name the change and how to tell it is done (e.g. "
            "'alert when the pool is over 80% in use for 5 minutes')"
        )
    return ""


def went_wrong_empty(incident: Incident, data: dict[str, Any]) -> Iterator[Finding]:
    """Lessons with no `went_wrong` leave out what the review is for."""
    if not incident.lessons.went_wrong:
        yield Finding(
            "went-wrong-empty",
            ("lessons",),
            "lessons has nothing under went_wrong: say what made the incident worse or "
            "longer, without naming anyone",
        )


def placeholder(incident: Incident, data: dict[str, Any]) -> Iterator[Finding]:
    """Any text still a placeholder of the skeleton `postmortem new` writes (one definition:
    `gate.is_placeholder`); in a record under review or final, `check` already reports it."""
    if gate.checks_placeholders(incident.status):
        return

    for path, value in gate.texts(data):
        if gate.is_placeholder(value):
            start = len(value) - len(value.lstrip())
            yield Finding(
                "placeholder",
                path,
                "a placeholder from `postmortem new` is left: write the value, "
                "or remove the key if it is optional",
                start,
                start + len(gate.PLACEHOLDER),
            )


CHECKS: list[Callable[[Incident, dict[str, Any]], Iterator[Finding]]] = [
    blame_word,
    person_cause,
    single_cause,
    actions,
    went_wrong_empty,
    placeholder,
]
