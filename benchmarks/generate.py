"""Write N realistic, valid synthetic incident records into a folder: the benchmark corpora.

Each record is shaped like the examples in incidents/: a multi-paragraph summary, a trigger,
5 cascade steps with `caused_by` links, ~15 timeline events, 4 action items, contributing
factors, lessons, references, and Markdown (emphasis, code, links, a list now and then)
in the text fields; written the way people write them (folded `>-` paragraphs, quoted
dates). The same seed and N give the same bytes.

    python benchmarks/generate.py 1000 /tmp/corpus          # 1,000 records
    python benchmarks/generate.py 50 /tmp/small --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

ZONES = [
    ("UTC", 0),
    ("America/Los_Angeles", -8),
    ("America/New_York", -5),
    ("Europe/Berlin", 1),
    ("Asia/Tokyo", 9),
]
KINDS = ["change", "deploy", "config", "operation", "capacity", "load", "software", "dependency"]
COMPONENTS = [
    "API gateway",
    "Primary PostgreSQL cluster",
    "Connection pooler (pgbouncer)",
    "Internal DNS resolvers",
    "Service mesh sidecars",
    "Checkout service",
    "Payment processor integration",
    "Object storage index",
    "Kafka brokers",
    "Search cluster",
    "Session cache (Redis)",
    "Edge load balancers",
    "Feature flag service",
    "Authentication service",
    "Job scheduler",
    "Metrics pipeline",
    "CDN origin shield",
    "Billing batch jobs",
]
SERVICES = [
    "Checkout",
    "Search",
    "Login",
    "Public API",
    "Mobile app",
    "Dashboard",
    "Webhooks",
    "Notifications",
    "Reporting",
    "Status page",
]
TEAMS = ["payments-team", "platform-team", "sre", "db-team", "edge-team", "identity", "data-eng"]
NOUNS = [
    "connection pool",
    "retry budget",
    "deploy pipeline",
    "health check",
    "rate limiter",
    "config push",
    "failover script",
    "cache warmer",
    "circuit breaker",
    "queue consumer",
    "schema migration",
    "TLS certificate",
    "autoscaling policy",
    "canary analysis",
]
VERBS = [
    "exhausted",
    "saturated",
    "rejected",
    "timed out against",
    "overwhelmed",
    "stalled behind",
    "retried against",
    "silently dropped",
    "misrouted",
    "throttled",
]
ADJ = ["latent", "unexpected", "cascading", "intermittent", "regional", "partial", "gradual"]
CODE = ["max_connections", "retry_backoff_ms", "--force", "SIGTERM", "503", "p99", "ttl=30s"]


def _sentence(rng: random.Random) -> str:
    noun, other = rng.sample(NOUNS, 2)
    verb = rng.choice(VERBS)
    adj = rng.choice(ADJ)
    pattern = rng.randrange(6)
    if pattern == 0:
        return f"The {noun} {verb} the {other}, and the {adj} errors spread to every caller."
    if pattern == 1:
        return f"A **{adj}** fault in the {noun} meant that `{rng.choice(CODE)}` was never applied."
    if pattern == 2:
        return (
            f"Operators saw the {other} {verb} the {noun} within minutes, but the dashboards "
            f"lagged behind what customers were experiencing."
        )
    if pattern == 3:
        return f"Requests to the {noun} {verb} the {other} until the *{adj}* backlog drained."
    if pattern == 4:
        return (
            f"The runbook for the {noun} described a rollback, which took longer than "
            f"expected because the {other} had to be drained first."
        )
    return (
        f"See the [{noun} dashboard](https://example.com/d/{rng.randrange(1000, 9999)}) "
        f"for the {adj} error rate during the window."
    )


def _paragraph(rng: random.Random, sentences: tuple[int, int]) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(*sentences)))


def _q(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML double-quoted strings)."""
    return json.dumps(text, ensure_ascii=False)


def _block(key: str, text: str, indent: int) -> list[str]:
    """`key: >-` with the text folded at ~88 columns; `|-` when it has several paragraphs."""
    pad = " " * (indent + 2)
    width = max(40, 88 - len(pad))
    if "\n" in text:
        lines = [f"{' ' * indent}{key}: |-"]
        for i, para in enumerate(text.split("\n\n")):
            if i:
                lines.append("")
            lines += [pad + w for w in textwrap.wrap(para, width, break_on_hyphens=False)]
        return lines
    wrapped = textwrap.wrap(text, width, break_on_hyphens=False)
    return [f"{' ' * indent}{key}: >-", *(pad + w for w in wrapped)]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def record(n: int, rng: random.Random, earlier: list[str]) -> tuple[str, str]:
    """The `n`th record: (id, YAML text); `earlier` are the ids written before it."""
    zone, offset = rng.choice(ZONES)
    tz = timezone(timedelta(hours=offset))
    day = datetime(2019, 1, 1, tzinfo=tz) + timedelta(days=rng.randrange(0, 6 * 365))
    start = day + timedelta(hours=rng.randint(0, 14), minutes=rng.choice([0, 7, 15, 22, 41]))
    trigger_at = start - timedelta(minutes=rng.randint(0, 20))
    duration = timedelta(minutes=rng.randint(20, 600))
    end = start + duration
    detected = start + timedelta(minutes=rng.randint(1, 30))
    mitigated = start + duration * rng.uniform(0.4, 0.9)
    component = rng.choice(COMPONENTS)
    ident = f"synthetic-{n:05d}-{component.split()[0].lower().strip('()')}"
    status = rng.choices(["final", "review", "draft"], [8, 1, 1])[0]

    out = [
        f"# Synthetic record {n} for postmortem's benchmarks (benchmarks/generate.py).",
        "format: 1",
        f"id: {ident}",
        f"title: {_q(f'{component}: {rng.choice(ADJ)} {rng.choice(NOUNS)} failure')}",
        f'date: "{start.date().isoformat()}"',
        f"status: {status}",
        f'severity: "SEV{rng.randint(1, 3)}"',
        "authors:",
        *(f"  - {_q(t)}" for t in rng.sample(TEAMS, rng.randint(1, 2))),
        f"timezone: {zone}",
    ]
    summary = "\n\n".join(_paragraph(rng, (3, 5)) for _ in range(2))
    out += _block("summary", summary, 0)
    services = rng.sample(SERVICES, rng.randint(3, 5))
    out += ["services:", *(f"  - {s}" for s in services)]
    tags = ["db", "network", "deploy", "dns", "capacity", "retry-storm", "cache"]
    out += ["tags:", *(f"  - {t}" for t in rng.sample(tags, 3))]
    out += [
        "trigger:",
        f'  time: "{_iso(trigger_at)}"',
        f"  kind: {rng.choice(KINDS)}",
        *_block("description", _paragraph(rng, (3, 4)), 2),
    ]
    steps = rng.sample(COMPONENTS, 5)
    out.append("cascade:")
    for i, comp in enumerate(steps):
        cause = "trigger" if i == 0 else f"step-{rng.randint(max(1, i - 1), i)}"
        out += [f"  - id: step-{i + 1}"]
        if rng.random() < 0.6:
            out.append(f'    time: "{_iso(start + timedelta(minutes=3 * i))}"')
        out += [f"    component: {_q(comp)}", *_block("description", _paragraph(rng, (2, 3)), 4)]
        out.append(f"    caused_by: [{cause}]")
    out.append("contributing_factors:")
    out += [f"  - {_q(_paragraph(rng, (1, 2)))}" for _ in range(rng.randint(3, 5))]
    users = _paragraph(rng, (1, 2))
    out += [
        "impact:",
        f'  start: "{_iso(start)}"',
        f'  end: "{_iso(end)}"',
        *_block("description", _paragraph(rng, (3, 5)), 2),
        *_block("users", users, 2),
        "  services:",
    ]
    for svc in services[:3]:
        s_start = start + timedelta(minutes=rng.randint(0, 10))
        out += [
            f"    - name: {svc}",
            f"      description: {_q(_sentence(rng))}",
            f'      start: "{_iso(s_start)}"',
            f'      end: "{_iso(min(end, s_start + duration * rng.uniform(0.3, 1.0)))}"',
        ]
    out += [
        "detection:",
        f'  time: "{_iso(detected)}"',
        f"  method: {rng.choice(['alert', 'monitoring', 'customer-report', 'staff-report'])}",
        *_block("description", _paragraph(rng, (2, 3)), 2),
        "resolution:",
        f'  mitigated: "{_iso(mitigated)}"',
        f'  resolved: "{_iso(end)}"',
        *_block("description", _paragraph(rng, (3, 4)), 2),
        "timeline:",
    ]
    events = 15
    for i in range(events):
        moment = trigger_at + (end - trigger_at) * (i / (events - 1))
        text = _sentence(rng) if rng.random() < 0.7 else _paragraph(rng, (2, 2))
        out.append(f'  - time: "{_iso(moment.replace(microsecond=0))}"')
        if len(text) < 80:
            out.append(f"    event: {_q(text)}")
        else:
            out += _block("event", text, 4)
    out.append("lessons:")
    for name, count in (("went_well", 2), ("went_wrong", 3), ("lucky", 1)):
        out.append(f"  {name}:")
        out += [f"    - {_q(_paragraph(rng, (1, 2)))}" for _ in range(count)]
    out.append("action_items:")
    for i in range(4):
        due = start.date() + timedelta(days=rng.randint(7, 90))
        out += [
            f"  - title: {_q(f'Fix the {rng.choice(NOUNS)} in the {rng.choice(COMPONENTS)}')}",
            f"    kind: {rng.choice(['prevent', 'mitigate', 'detect', 'process'])}",
            f"    owner: {rng.choice(TEAMS)}",
            f"    priority: P{rng.randint(0, 3)}",
            f"    status: {rng.choice(['open', 'in-progress', 'done', 'done'])}",
            f'    due: "{due.isoformat()}"',
        ]
        if i == 0:
            out.append(f"    link: https://tracker.example.com/issue/{rng.randrange(10000)}")
    out += [
        "references:",
        f"  - title: {_q(f'Internal write-up of {ident}')}",
        f"    url: https://wiki.example.com/incidents/{ident}",
    ]
    if earlier and rng.random() < 0.2:
        out += ["related:", f"  - {rng.choice(earlier)}"]
    return ident, "\n".join(out) + "\n"


def generate(count: int, folder: Path, seed: int = 1) -> list[Path]:
    """Write `count` records into `folder` (created if needed); the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible corpora, not secrets
    paths = []
    idents: list[str] = []
    for n in range(1, count + 1):
        ident, text = record(n, rng, idents)
        idents.append(ident)
        path = folder / f"{ident}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, help="number of records (10 to 5,000)")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = generate(args.count, args.folder, args.seed)
    print(f"wrote {len(paths)} records to {args.folder}")


if __name__ == "__main__":
    main()
