"""The stress set of issue 16: records at the edges of what a page has to hold.

Each builder returns a valid format-1 record as a dict; `write()` puts it in a folder as YAML.
The page tests (pagination, legibility) run over these and the example incidents.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

START = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)

_PROSE = (
    "primary database connection pool exhausted after the retry storm reached every "
    "regional gateway while the queue consumers stalled behind a lock held by the "
    "migration job that nobody had paused"
)
_WORDS = tuple(_PROSE.split())


def _text(n: int, words: int) -> str:
    """Deterministic prose of about `words` words, different for each `n`."""
    return " ".join(_WORDS[(n * 7 + i) % len(_WORDS)] for i in range(words)).capitalize() + "."


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def base(ident: str, steps: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A record with the given cascade and the usual sections around it."""
    record: dict[str, Any] = {
        "format": 1,
        "id": ident,
        "title": f"Stress record {ident}",
        "date": "2024-03-02",
        "status": "review",
        "severity": "SEV2",
        "timezone": "UTC",
        "summary": _text(1, 60) + "\n\n" + _text(2, 40),
        "services": ["checkout", "payments"],
        "trigger": {
            "time": _iso(START),
            "kind": "config",
            "description": _text(3, 25),
        },
        "cascade": steps,
        "impact": {
            "start": _iso(START + timedelta(minutes=5)),
            "end": _iso(START + timedelta(hours=3)),
            "description": _text(4, 30),
            "services": [
                {
                    "name": "checkout",
                    "start": _iso(START + timedelta(minutes=5)),
                    "end": _iso(START + timedelta(hours=2)),
                },
                {
                    "name": "payments",
                    "start": _iso(START + timedelta(minutes=20)),
                    "end": _iso(START + timedelta(hours=3)),
                },
            ],
        },
        "detection": {"time": _iso(START + timedelta(minutes=12)), "method": "alert"},
        "resolution": {
            "mitigated": _iso(START + timedelta(hours=2)),
            "resolved": _iso(START + timedelta(hours=3)),
            "description": _text(5, 30),
        },
        "timeline": [
            {"time": _iso(START + timedelta(minutes=m)), "event": _text(m, 12)}
            for m in (0, 5, 12, 30, 75, 120, 180)
        ],
        "contributing_factors": [_text(6, 15), _text(7, 20)],
        "lessons": {"went_well": [_text(8, 12)], "went_wrong": [_text(9, 14)]},
        "action_items": [
            {"title": _text(10 + i, 8), "kind": "prevent", "status": s, "owner": "sre-team"}
            for i, s in enumerate(("open", "in-progress", "done"))
        ],
    }
    record.update(extra)
    return record


def chain(count: int) -> list[dict[str, Any]]:
    """A straight chain of `count` steps."""
    return [
        {
            "id": f"s{i}",
            "component": f"Component {i}",
            "description": _text(i, 10),
            "caused_by": ["trigger" if i == 0 else f"s{i - 1}"],
        }
        for i in range(count)
    ]


def branching(count: int) -> list[dict[str, Any]]:
    """`count` steps, each caused by one or two earlier ones: a wide, branching graph."""
    steps = []
    for i in range(count):
        causes = ["trigger"] if i < 3 else sorted({f"s{(i - 1) // 2}", f"s{i * 5 % i}"})
        steps.append(
            {
                "id": f"s{i}",
                "component": f"{_WORDS[i % len(_WORDS)].capitalize()} service {i}",
                "description": _text(i, 8),
                "caused_by": causes,
            }
        )
    return steps


def stress_set() -> dict[str, dict[str, Any]]:
    """Every record of the stress set, by id."""
    long_names = [
        "Slack web and desktop clients",
        "Slack web and desktop clients (degraded)",
        "Customer-facing authentication and session management service (EU)",
        "Customer-facing authentication and session management service (US)",
    ]
    long_labels = base(
        "stress-long-labels",
        [
            {
                "id": f"s{i}",
                "component": name + " " + "with an unusually long component name",
                "description": _text(i, 40),
                "caused_by": ["trigger" if i == 0 else f"s{i - 1}"],
            }
            for i, name in enumerate(long_names)
        ],
        title="A very long title: " + _text(20, 25),
        services=long_names,
    )
    long_labels["impact"]["services"] = [
        {
            "name": name,
            "start": _iso(START + timedelta(minutes=5 + 10 * i)),
            "end": _iso(START + timedelta(hours=2, minutes=10 * i)),
        }
        for i, name in enumerate(long_names)
    ]
    long_days = base("stress-5-days-200-events", chain(6))
    five_days = START + timedelta(days=5)
    long_days["impact"]["end"] = _iso(five_days)
    long_days["resolution"]["resolved"] = _iso(five_days)
    long_days["timeline"] = [
        {"time": _iso(START + timedelta(minutes=36 * i)), "event": _text(i, 6 + i % 15)}
        for i in range(200)
    ]
    no_timeline = base("stress-one-step-no-timeline", chain(1))
    del no_timeline["timeline"]
    return {
        "stress-branching-50": base("stress-branching-50", branching(50)),
        "stress-chain-200": base("stress-chain-200", chain(200)),
        "stress-branching-200": base("stress-branching-200", branching(200)),
        "stress-5-days-200-events": long_days,
        "stress-long-labels": long_labels,
        "stress-one-step-no-timeline": no_timeline,
    }


def write(folder: Path) -> list[Path]:
    """Write the stress set into `folder`, one `<id>.yaml` each."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for ident, record in stress_set().items():
        path = folder / f"{ident}.yaml"
        path.write_text(yaml.safe_dump(record, sort_keys=False, allow_unicode=True))
        paths.append(path)
    return paths
