"""How the cascade layout's cost grows with the graph: the figures of issue 19, finding 4.

    python benchmarks/layout_growth.py            # 25/50/100/200 steps, dense and sparse
    python benchmarks/layout_growth.py --quick    # 25/50 steps only: a smoke run

For each shape and size: the layout alone (time and `Layered.work`, the count of elementary
steps that tests/test_layout_cost.py bounds), with the ratio from each size to the next;
`check` of the record; and, for records `check` accepts, a render of Markdown, HTML and
PDF. "dense": each step caused by the trigger and every earlier step (refused by `check`
beyond 27 steps: 400 cause links); "sparse": each step caused by the one before it, and
every third also by a step halfway up; "worst": the worst record `check` accepts, 200
steps and 400 links, 200 of them spanning ~100 layers from different causes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

SIZES = (25, 50, 100, 200)
TEXT = "The pool ran out of connections, so requests queued and timed out upstream."


def causes(shape: str, steps: int) -> list[list[str]]:
    """Each step's causes (keys), for a cascade of `steps` steps of one shape."""
    result: list[list[str]] = []
    for i in range(steps):
        prev = "trigger" if i == 0 else f"s{i - 1}"
        if shape == "dense":
            result.append(["trigger", *(f"s{j}" for j in range(i))])
        elif shape == "sparse":
            half = i // 2
            extra = [f"s{half}"] if i % 3 == 0 and i > 0 and half != i - 1 else []
            result.append([prev, *extra])
        elif shape == "worst":
            # The second half each caused by two steps ~100 layers up: long edges from
            # distinct causes, all passing the middle layers at once.
            j = i - steps // 2
            result.append([prev] if j < 0 else [prev, f"s{j}", f"s{j + 1}"])
        else:
            raise ValueError(f"unknown shape {shape!r}")
    return result


def graph(shape: str, steps: int) -> tuple[int, list[tuple[int, int]]]:
    """The cascade as layout() takes it: node 0 the trigger, node i+1 step i."""
    index = {"trigger": 0, **{f"s{i}": i + 1 for i in range(steps)}}
    edges = [(index[c], i + 1) for i, cs in enumerate(causes(shape, steps)) for c in cs]
    return steps + 1, edges


def record(shape: str, steps: int) -> str:
    """A valid-looking record (YAML) with that cascade."""
    out = [
        f"id: {shape}-{steps}",
        f"title: A {shape} cascade of {steps} steps",
        "date: 2024-03-02",
        "summary: Requests failed for ten minutes.",
        "trigger:",
        "  time: 2024-03-02T09:58:00Z",
        "  description: A connection-pool limit was lowered.",
        "cascade:",
    ]
    for i, cs in enumerate(causes(shape, steps)):
        out += [
            f"  - id: s{i}",
            f"    component: Component number {i}",
            f"    description: {TEXT}",
            f"    caused_by: [{', '.join(cs)}]",
        ]
    out += [
        "impact:",
        "  start: 2024-03-02T10:00:00Z",
        "  end: 2024-03-02T10:10:00Z",
        "  description: Requests failed.",
        "resolution:",
        "  description: The change was rolled back.",
        "lessons:",
        "  went_wrong:",
        "    - The change was not canaried.",
    ]
    return "\n".join(out) + "\n"


def time_layout(shape: str, steps: int) -> tuple[float, int, int]:
    """Seconds, work steps and edges of one layout of the shape's graph (box widths fixed)."""
    from postmortem.diagrams import layout

    n, edges = graph(shape, steps)
    start = time.perf_counter()
    lay = layout.layout(n, edges, [200.0] * n, dummy_width=10.0, gap=28.0)
    return time.perf_counter() - start, lay.work, len(edges)


def time_cli(folder: Path, *args: str) -> tuple[float, int]:
    """Seconds and exit code of one in-process run of the CLI (its output swallowed)."""
    from postmortem.cli import cli

    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main(list(args), standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return time.perf_counter() - start, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="25 and 50 steps only, no PDF")
    args = parser.parse_args()
    sizes = SIZES[:2] if args.quick else SIZES
    print(
        "| shape | steps | links | layout | work | ratio (time, work) | check | md | html | pdf |"
    )
    print("|---|---:|---:|---:|---:|---|---|---:|---:|---:|")
    runs = [(shape, s) for shape in ("dense", "sparse") for s in sizes] + [("worst", 200)]
    last: dict[str, tuple[float, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for shape, steps in runs:
            seconds, work, links = time_layout(shape, steps)
            before = last.get(shape)
            ratio = f"{seconds / before[0]:.1f}x, {work / before[1]:.1f}x" if before else ""
            last[shape] = (seconds, work)
            folder = Path(tmp, f"{shape}-{steps}")
            folder.mkdir()
            path = folder / "record.yaml"
            path.write_text(record(shape, steps), encoding="utf-8")
            check_s, code = time_cli(folder, "check", "-q", str(path))
            cells = [f"{check_s:.2f} s " + ("accepted" if code == 0 else "refused")]
            for fmt in ("md", "html", "pdf"):
                if code or (args.quick and fmt == "pdf"):
                    cells.append("")
                    continue
                out = folder / f"out-{fmt}"
                took, _ = time_cli(folder, "render", str(path), "-o", str(out), "-f", fmt)
                cells.append(f"{took:.2f} s")
            row = [shape, str(steps), str(links), f"{seconds:.3f} s", f"{work:,}", ratio, *cells]
            print("| " + " | ".join(row) + " |", flush=True)
    print(f"\nPython {sys.version.split()[0]}; times are one run each, wall clock.")


if __name__ == "__main__":
    main()
