"""postmortem against the libraries' floor and a peer, side by side: the figures of issue 8.

    make bench                                   # every figure; writes benchmarks/RESULTS.md
    .venv/bin/python benchmarks/run.py --quick   # small corpora, one repeat: a smoke run
    .venv/bin/python benchmarks/run.py --only check,startup   # some jobs (writes nothing)

Absolute times drift on a shared machine, so every figure is a ratio of two medians taken
in one run, the job and its reference taking turns within each repeat. Every sample is a
fresh process: "whole process" jobs and the peer are timed from outside; the other jobs
import and prepare untimed, then time one call of the library function the CLI calls (or
of the reference), as a CLI run makes it once. RESULTS.md says what each reference does.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import gc
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module, metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
KEEP_MARK = "<!-- run.py rewrites everything above this line and keeps everything below it. -->"
TODAY = datetime.date(2025, 1, 1)  # fixed: the overdue flags must not vary between runs
JOBS = ("check", "peer", "render", "pdf", "startup", "memory")


@dataclass
class Sizes:
    check: int
    render: int
    pdf: int
    memory_small: int
    memory_large: int
    repeats: int
    startup_repeats: int


FULL = Sizes(
    check=1000,
    render=1000,
    pdf=50,
    memory_small=100,
    memory_large=1000,
    repeats=3,
    startup_repeats=11,
)
QUICK = Sizes(
    check=100, render=100, pdf=4, memory_small=20, memory_large=100, repeats=1, startup_repeats=3
)


@dataclass
class Row:
    job: str
    reference: str
    ours: float
    ref: float
    unit: str  # what `ours` and `ref` are in: "s" or "MB"
    ratio: str  # as printed, e.g. "1.23x"
    bar: str
    met: bool


# --- running and timing ------------------------------------------------------------------


def _env() -> dict[str, str]:
    # None of the caller's postmortem settings, no progress bar, no colour.
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTMORTEM_")}
    env.update(CI="1", NO_COLOR="1")
    return env


def command(name: str) -> list[str]:
    """A console script of this Python's environment, as users run it (else `-m`)."""
    script = Path(sys.executable).parent / name
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", name.replace("-", "_")]


def _run(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def whole_process(cmd: list[str], cwd: Path) -> Callable[[], float]:
    """A job timed from outside: the wall time of the whole process."""

    def job() -> float:
        start = time.perf_counter()
        _run(cmd, cwd)
        return time.perf_counter() - start

    return job


def in_child(cwd: Path, name: str, *args: str) -> Callable[[], float]:
    """A job timed inside a fresh process (`--child NAME`), after its imports and setup."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, *args]
    return lambda: float(_run(cmd, cwd).split()[-1])


def side_by_side(repeats: int, *jobs: Callable[[], float], warm: bool = True) -> list[float]:
    """The median time of each job; within every repeat the jobs run one after the other.

    With `warm`, one round first, untimed (page cache, compiled modules); the long jobs
    skip it: their files were just written, and one sample of theirs is seconds long.
    """
    for job in jobs if warm else ():
        job()
    samples: list[list[float]] = [[] for _ in jobs]
    for _ in range(repeats):
        for i, job in enumerate(jobs):
            samples[i].append(job())
    return [statistics.median(s) for s in samples]


def peak_rss_mb(cmd: list[str], cwd: Path) -> float:
    """The peak resident memory of one whole process (its own ru_maxrss), in MB."""
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} exited with {proc.returncode}")
    return usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


# --- the jobs (parent side) ------------------------------------------------------------------


def bench_check(corpus: Path, n: int, sizes: Sizes, work: Path) -> Row:
    ours, floor = side_by_side(
        sizes.repeats,
        in_child(work, "check", str(corpus), str(n)),
        in_child(work, "check-floor", str(corpus)),
    )
    ratio = ours / floor
    return Row(
        f"`check` of {n:,} records",
        "floor: `yaml.load(…, CSafeLoader)` of the same files",
        ours,
        floor,
        "s",
        f"{ratio:.2f}x",
        "≤ 1.5x",
        ratio <= 1.5,
    )


def bench_peer(corpus: Path, n: int, sizes: Sizes, work: Path) -> Row:
    schema = work / "incident.schema.json"
    schema.write_text(_run([*command("postmortem"), "schema"], work), encoding="utf-8")
    files = sorted(str(p) for p in corpus.glob("*.yaml"))
    ours, peer = side_by_side(
        sizes.repeats,
        whole_process([*command("postmortem"), "check", "-q", str(corpus)], work),
        whole_process([*command("check-jsonschema"), "--schemafile", str(schema), *files], work),
        warm=False,
    )
    ratio = peer / ours
    return Row(
        f"`check` of {n:,} records, whole process",
        "peer: `check-jsonschema --schemafile` with `postmortem schema`",
        ours,
        peer,
        "s",
        f"{ratio:.1f}x faster",
        "≥ 5x faster",
        ratio >= 5,
    )


def bench_render(corpus: Path, n: int, sizes: Sizes, work: Path) -> list[Row]:
    out = work / "render-out"
    ours, floor, rebuild = side_by_side(
        sizes.repeats,
        in_child(work, "render", str(corpus), str(out), str(n)),
        in_child(work, "render-floor", str(corpus)),
        # Runs right after "render", on its output: nothing has changed.
        in_child(work, "rebuild", str(corpus), str(out), str(n)),
        warm=False,
    )
    ratio = ours / floor
    share = rebuild / ours
    return [
        Row(
            f"render Markdown + HTML of {n:,} records, `--jobs 1`",
            "floor: CSafeLoader + markdown-it-py on every Markdown field + one Jinja render "
            "of each template",
            ours,
            floor,
            "s",
            f"{ratio:.2f}x",
            "≤ 1.5x",
            ratio <= 1.5,
        ),
        Row(
            f"rebuild of {n:,} unchanged records (Markdown + HTML)",
            "the cold build (the row above)",
            rebuild,
            ours,
            "s",
            f"{share:.1%}",
            "≤ 3%",
            share <= 0.03,
        ),
    ]


def bench_pdf(corpus: Path, n: int, sizes: Sizes, work: Path) -> list[Row]:
    out = work / "pdf-out"
    one, bare, layouts, two = side_by_side(
        sizes.repeats,
        in_child(work, "pdf", str(corpus), str(out), "1", str(n)),
        in_child(work, "pdf-bare", str(corpus)),
        in_child(work, "pdf-bare-layouts", str(corpus)),
        in_child(work, "pdf", str(corpus), str(out), "2", str(n)),
        warm=False,
    )
    ratio = one / bare
    overhead = one / layouts
    speedup = one / two
    return [
        Row(
            f"render PDF of {n} records, `--jobs 1`",
            "bare WeasyPrint `HTML(string=…).write_pdf()` of each final document, once",
            one,
            bare,
            "s",
            f"{ratio:.3f}x",
            "≤ 1.5x",
            ratio <= 1.5,
        ),
        Row(
            f"render PDF of {n} records, `--jobs 1`",
            "bare WeasyPrint making the same layouts: each placement probe `render()`, "
            "each final document `write_pdf()`",
            one,
            layouts,
            "s",
            f"{overhead:.3f}x",
            "≤ 1.1x",
            overhead <= 1.1,
        ),
        Row(
            f"render PDF of {n} records, `--jobs 2`",
            "itself with `--jobs 1`",
            two,
            one,
            "s",
            f"{speedup:.2f}x speed-up",
            "≥ 1.7x",
            speedup >= 1.7,
        ),
    ]


def bench_startup(record: Path, sizes: Sizes, work: Path) -> Row:
    # Bytecode for postmortem as a wheel install has it, and as WeasyPrint's install has:
    # an editable install run with PYTHONDONTWRITEBYTECODE (as here) compiles its modules
    # from source on every start (16 ms of a 0.3 s `check`).
    import postmortem

    compileall.compile_dir(Path(postmortem.__file__).parent, quiet=1)
    ours, heavy = side_by_side(
        sizes.startup_repeats,
        whole_process([*command("postmortem"), "check", "-q", str(record)], work),
        whole_process([sys.executable, "-c", "import weasyprint"], work),
    )
    ratio = ours / heavy
    return Row(
        "`postmortem check one.yaml`, whole process",
        '`python -c "import weasyprint"`',
        ours,
        heavy,
        "s",
        f"{ratio:.2f}x",
        "≤ 0.4x",
        ratio <= 0.4,
    )


def bench_memory(small: Path, large: Path, sizes: Sizes, work: Path) -> Row:
    def peak(corpus: Path) -> Callable[[], float]:
        cmd = [
            *command("postmortem"),
            "render",
            str(corpus),
            "-o",
            str(work / "memory-out"),
            "-f",
            "md,html",
            "--jobs",
            "1",
            "--force",
            "--today",
            TODAY.isoformat(),
        ]
        return lambda: peak_rss_mb(cmd, work)

    n_small = len(list(small.glob("*.yaml")))
    n_large = len(list(large.glob("*.yaml")))
    low, high = side_by_side(sizes.repeats, peak(small), peak(large), warm=False)
    ratio = high / low
    return Row(
        f"peak memory, render of {n_large:,} records (Markdown + HTML, `--jobs 1`)",
        f"the same for {n_small:,} records",
        high,
        low,
        "MB",
        f"{ratio:.2f}x",
        "≤ 1.2x",
        ratio <= 1.2,
    )


# --- the jobs (child side): import, prepare, then time one call ------------------------------


def _once(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def child_check(corpus: str, n: str) -> float:
    from postmortem.checker import check_paths

    def job() -> None:
        results = check_paths([corpus])
        assert len(results) == int(n) and all(r.ok for r in results)

    return _once(job)


def child_check_floor(corpus: str) -> float:
    import yaml

    paths = sorted(Path(corpus).glob("*.yaml"))

    def job() -> None:
        for path in paths:
            yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)

    return _once(job)


def _render(
    corpus: str, out: str, n: str, formats: tuple[str, ...], jobs: int, cold: bool
) -> float:
    from postmortem.pipeline import build as render_paths
    from postmortem.writers import Options, renderer

    # Imported untimed, as the floor's modules are: the modules a build loads on first use
    # (the renderers, the pictures, the index). Templates still compile in the timed part.
    import_module("postmortem.diagrams_adapter")
    import_module("postmortem.writers.index")
    for fmt in formats:
        renderer(fmt)
    if cold:
        shutil.rmtree(out, ignore_errors=True)
    options = Options(formats=formats, today=TODAY)

    def job() -> None:
        summary = render_paths([corpus], Path(out), options, jobs=jobs)
        assert not summary.failed, summary.issues[:3]
        done = summary.rendered if cold else summary.unchanged
        assert len(done) == int(n), (len(summary.rendered), len(summary.unchanged))

    return _once(job)


def child_render_floor(corpus: str) -> float:
    """CSafeLoader + markdown-it-py on every Markdown field + one render of each template.

    The templates need the objects postmortem derives from a record (times in its zone,
    causal order, the pictures): those are made beforehand, untimed, and frozen out of the
    garbage collector's way. Timed: loading each file, markdown-it's HTML for each of its
    Markdown fields, and one render of markdown.md.j2 and of html.html.j2, in plain Jinja
    environments whose Markdown filters look up markdown-it's output (no escaping filter).
    """
    import jinja2
    import yaml
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    from postmortem import __version__
    from postmortem.checker import check_paths
    from postmortem.derive import build_view
    from postmortem.diagrams_adapter import diagrams_for
    from postmortem.writers import Options, RenderContext, builtin_templates, common_context
    from postmortem.writers.markdown import markdown_context

    results = check_paths([corpus])
    titles = {r.incident.id: r.incident.title for r in results if r.incident}
    options = Options(formats=("md", "html"), today=TODAY)
    prepared = []
    for result in results:
        assert result.incident is not None
        view = build_view(result.incident, today=TODAY, titles=titles)
        ctx = RenderContext(options, Path(result.path).parent, diagrams_for(view))
        prepared.append((Path(result.path), markdown_context(view, ctx), common_context(view, ctx)))
    del results
    html_of: dict[str, str] = {}

    def env(autoescape: bool) -> jinja2.Environment:
        e = jinja2.Environment(
            loader=jinja2.FileSystemLoader(builtin_templates()),
            autoescape=autoescape,  # noqa: S701 - as postmortem: HTML yes, Markdown no
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        e.globals["version"] = __version__
        plain = lambda s: s  # noqa: E731
        e.filters.update(
            md=lambda s: Markup(html_of[s]),  # noqa: S704 - markdown-it's HTML, html off
            md_inline=lambda s: Markup(html_of[s]),  # noqa: S704
            mdb=plain,
            mdc=plain,
            mdi=plain,
            mdlist=lambda items: "\n".join(f"- {item}" for item in items),
            code=plain,
            url=plain,
        )
        return e

    gc.freeze()

    def job() -> None:
        # Loaded and compiled in the timed part, as postmortem's are.
        markdown = env(False).get_template("markdown.md.j2")
        html = env(True).get_template("html.html.j2")
        md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
        for path, md_context, html_context in prepared:
            data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
            html_of.clear()
            for text in markdown_fields(data):
                html_of[text] = md.render(text)
            markdown.render(**md_context)
            html.render(**html_context)

    return _once(job)


def markdown_fields(data: dict) -> list[str]:  # type: ignore[type-arg]
    """The Markdown fields of a loaded record (format 1), read from the plain data."""
    texts = [data["summary"], data["trigger"]["description"]]
    texts += [step["description"] for step in data["cascade"]]
    texts += data.get("contributing_factors", [])
    impact = data["impact"]
    texts += [impact["description"], *([impact["users"]] if impact.get("users") else [])]
    texts += [s["description"] for s in impact.get("services", []) if s.get("description")]
    if (data.get("detection") or {}).get("description"):
        texts.append(data["detection"]["description"])
    texts.append(data["resolution"]["description"])
    texts += [event["event"] for event in data.get("timeline", [])]
    for name in ("went_well", "went_wrong", "lucky"):
        texts += data["lessons"].get(name, [])
    return texts


def child_pdf_bare(corpus: str, what: str) -> float:
    """Bare WeasyPrint on the HTML that postmortem's PDF path hands it (caught, untimed).

    `what` is "final": each record's final document, laid out and written once; or
    "layouts": every layout the PDF path makes, its placement probes (writers/placement.py)
    laid out as it lays them out, and each final document written.
    """
    import weasyprint

    from postmortem.pipeline import build as render_paths
    from postmortem.writers import Options
    from postmortem.writers.placement import PROBE_END

    caught: list[str] = []
    real = weasyprint.HTML

    class Caught(real):  # type: ignore[misc,valid-type]
        """The real HTML class, noting each document the PDF path hands WeasyPrint."""

        def __init__(self, *, string: str, **options: object) -> None:
            caught.append(string)
            super().__init__(string=string, **options)

    weasyprint.HTML = Caught
    with tempfile.TemporaryDirectory() as out:
        render_paths([corpus], Path(out), Options(formats=("pdf",), today=TODAY), jobs=1)
    weasyprint.HTML = real
    probes = [html for html in caught if html.endswith(PROBE_END)]
    finals = [html for html in caught if not html.endswith(PROBE_END)]
    assert finals and what in ("final", "layouts")

    def job() -> None:
        for html in probes if what == "layouts" else ():
            weasyprint.HTML(string=html).render()
        for html in finals:
            weasyprint.HTML(string=html).write_pdf()

    return _once(job)


def child(name: str, args: list[str]) -> float:
    if name == "check":
        return child_check(*args)
    if name == "check-floor":
        return child_check_floor(*args)
    if name == "render":
        return _render(*args, formats=("md", "html"), jobs=1, cold=True)
    if name == "rebuild":
        return _render(*args, formats=("md", "html"), jobs=1, cold=False)
    if name == "render-floor":
        return child_render_floor(*args)
    if name == "pdf":
        corpus, out, jobs, n = args
        return _render(corpus, out, n, formats=("pdf",), jobs=int(jobs), cold=True)
    if name == "pdf-bare":
        return child_pdf_bare(*args, what="final")
    if name == "pdf-bare-layouts":
        return child_pdf_bare(*args, what="layouts")
    raise SystemExit(f"unknown child job {name!r}")


# --- the report ----------------------------------------------------------------------------


def versions() -> list[str]:
    names = [
        "postmortem-docs",
        "PyYAML",
        "pydantic",
        "pydantic-core",
        "Jinja2",
        "markdown-it-py",
        "weasyprint",
        "click",
        "check-jsonschema",
    ]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    try:
        import yaml

        found[1] += f" (libyaml {yaml._yaml.get_version_string()})"  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        found[1] += " (no libyaml)"
    return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024**2:.0f} GB RAM"
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}; {platform.platform()}"


def table(rows: list[Row]) -> str:
    lines = [
        "| job | reference | postmortem | reference | ratio | bar | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        fmt = (lambda v: f"{v:.0f} MB") if r.unit == "MB" else (lambda v: f"{v:.3f} s")
        lines.append(
            f"| {r.job} | {r.reference} | {fmt(r.ours)} | {fmt(r.ref)} | {r.ratio} | {r.bar} "
            f"| {'yes' if r.met else '**no**'} |"
        )
    return "\n".join(lines)


HOW = """\
## How each figure is taken

Every sample is a fresh process, and the job and its reference take turns within each
repeat (for the short jobs, after one untimed round); each figure is the median of the
repeats. In-process samples (`check`, render, PDF) import and prepare untimed, call
`gc.collect()`, then time one call of what the CLI calls: `check_paths` or `pipeline.build`
(with `--jobs 1` unless said otherwise, `--today` fixed, into an empty output folder).
"Whole process" samples are the wall time of the command, run from a scratch folder
with no `POSTMORTEM_*` settings. The scratch folder (corpora and outputs) is in memory,
under `/dev/shm`, where the machine has one: on this machine's disk, creating a file costs
18 to 290 µs depending on what was deleted there minutes before (ext4 without a journal
steps over recently freed inodes), which moved a cold build by up to 15% between identical
runs; the floors create no file.

- **check, floor**: `yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)` for each file
  of the same corpus, nothing more (no validation, no positions, no duplicate-key check).
- **check, peer**: `postmortem check -q DIR` against `check-jsonschema --schemafile
  incident.schema.json FILE…` (the schema from `postmortem schema`), both whole processes;
  every record is valid, so both exit 0.
- **render, floor**: for each record, timed: `yaml.load` with CSafeLoader, markdown-it-py's
  HTML (`commonmark`, html off, tables and strikethrough on) for each of its Markdown
  fields, one render of `markdown.md.j2` and one of `html.html.j2` (the built-in templates)
  in plain Jinja environments (autoescape for HTML, `StrictUndefined`) whose Markdown filters
  look up markdown-it's output and whose Markdown escaping filters do nothing. Not timed:
  the objects the templates read (postmortem's derived view: times in the record's zone,
  causal order, figures) and the two pictures (cascade graph and timeline chart, SVG),
  made beforehand by postmortem and frozen out of the garbage collector's way; the floor
  writes no file, no index and no manifest. postmortem's side does all of that: check,
  derive, draw, Markdown rewritten from markdown-it's tokens, escaping, atomic writes,
  the index pages and the manifest.
- **rebuild**: `pipeline.build` again on the folder the cold build just wrote, nothing
  changed: the records' files are found, read and hashed (with their pictures) and
  compared with the manifest's key of the last build, and every output is seen to exist;
  no record is parsed and nothing is written. (When anything changed, every record is
  checked again and only the changed ones are rendered.)
- **PDF, bare WeasyPrint**: postmortem's PDF path is run first, untimed, with
  `weasyprint.HTML` wrapped to note the exact HTML strings it hands WeasyPrint for each
  record; timed: `weasyprint.HTML(string=html).write_pdf()` of each final document (the
  bundled fonts are `file:` URLs in that HTML, so both load them). The PDF lays out each
  record twice in part: a probe of the pages up to the cascade graph decides where the
  graph goes (issue 16, `writers/placement.py`: WeasyPrint has no page floats), then the
  document is laid out. Against one layout of the final document the bar is ≤ 1.5x: the
  probe is bounded by construction (the pages before the cascade section, two parts of
  the graph, 40 steps), and on these records it is about 40% of a layout. What postmortem
  adds around WeasyPrint is the second PDF row, against bare WeasyPrint making the same
  layouts (each probe `render()`, each final document `write_pdf()`): ≤ 1.1x, the bar
  issue 8 set for the PDF before the probe existed.
- **PDF, `--jobs 2`**: the same render with two worker processes (this machine kind has
  2 cores).
- **startup**: `postmortem check -q one.yaml` (one generated record) against
  `python -c "import weasyprint"`, the same interpreter, whole processes; postmortem's
  bytecode compiled first, as an install from a wheel has it (an editable install under
  `PYTHONDONTWRITEBYTECODE` compiles its modules on every start).
- **peak memory**: `postmortem render DIR -f md,html --jobs 1 --force` as a whole process;
  its own `ru_maxrss` (from `wait4`).

The corpora come from `benchmarks/generate.py` (seed 1): records of ~12 KB like the
examples in `incidents/`, with 15 timeline events, 5 cascade steps, 4 action items, 3-5
contributing factors, 3 service windows and Markdown paragraphs (emphasis, code, links).
"""


def write_results(path: Path, rows: list[Row], header: list[str]) -> None:
    kept = ""
    if path.exists():
        text = path.read_text(encoding="utf-8")
        if KEEP_MARK in text:
            kept = text.split(KEEP_MARK, 1)[1]
    body = "\n".join(
        [
            "# Benchmark results",
            "",
            "Written by `benchmarks/run.py`; rerun with `make bench`. Every ratio compares "
            "two medians taken side by side in the same run: absolute times on a shared "
            "machine drift.",
            "",
            *header,
            "",
            table(rows),
            "",
            HOW,
            KEEP_MARK,
        ]
    )
    path.write_text(body + (kept or "\n"), encoding="utf-8")


def scratch_parent() -> str | None:
    """Memory (/dev/shm) when the machine has it, else the system's temporary folder.

    Why: HOW, first paragraph (creating a file on this machine's disk costs what the last
    minutes' deletions make it cost; the floors create none).
    """
    shm = Path("/dev/shm")  # noqa: S108 (mkdtemp makes a private folder in it)
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpora, one repeat")
    parser.add_argument("--only", help=f"comma-separated jobs among: {', '.join(JOBS)}")
    parser.add_argument("--repeats", type=int, help="repeats of each job (default: 3; quick: 1)")
    parser.add_argument(
        "--output",
        type=Path,
        help="where to write the results (default: "
        "benchmarks/RESULTS.md, for full runs of every job)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(repr(child(args.child[0], args.child[1:])))
        return

    sizes = QUICK if args.quick else FULL
    if args.repeats:
        sizes.repeats = args.repeats
        sizes.startup_repeats = max(args.repeats, sizes.startup_repeats)
    only = args.only.split(",") if args.only else list(JOBS)
    unknown = set(only) - set(JOBS)
    if unknown:
        parser.error(f"unknown jobs: {', '.join(sorted(unknown))}; choose from {', '.join(JOBS)}")
    output = args.output or (None if args.quick or args.only else RESULTS)

    work = Path(tempfile.mkdtemp(prefix="postmortem-bench-", dir=scratch_parent()))
    started = time.time()
    load_before = os.getloadavg()
    rows: list[Row] = []
    try:
        corpus = {}
        for n in sorted(
            {sizes.check, sizes.render, sizes.pdf, sizes.memory_small, sizes.memory_large}
        ):
            corpus[n] = work / f"corpus-{n}"
            generate(n, corpus[n], seed=1)
        print(f"corpora in {work}: {', '.join(f'{n:,}' for n in corpus)} records", flush=True)

        def step(name: str, fn: Callable[[], Row | list[Row]]) -> None:
            if name not in only:
                return
            print(f"{name} …", end=" ", flush=True)
            t = time.perf_counter()
            got = fn()
            rows.extend(got if isinstance(got, list) else [got])
            print(f"{time.perf_counter() - t:.0f}s", flush=True)

        step("check", lambda: bench_check(corpus[sizes.check], sizes.check, sizes, work))
        step("peer", lambda: bench_peer(corpus[sizes.check], sizes.check, sizes, work))
        step("render", lambda: bench_render(corpus[sizes.render], sizes.render, sizes, work))
        step("pdf", lambda: bench_pdf(corpus[sizes.pdf], sizes.pdf, sizes, work))
        one = sorted(corpus[sizes.pdf].glob("*.yaml"))[0]
        step("startup", lambda: bench_startup(one, sizes, work))
        step(
            "memory",
            lambda: bench_memory(
                corpus[sizes.memory_small], corpus[sizes.memory_large], sizes, work
            ),
        )
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    load_after = os.getloadavg()
    argv = " ".join(shlex.quote(a) for a in sys.argv[1:])
    header = [
        f"- Command: `python benchmarks/run.py{' ' + argv if argv else ''}` "
        f"({sizes.repeats} repeats; startup: {sizes.startup_repeats}), "
        f"{datetime.datetime.fromtimestamp(started).isoformat(timespec='minutes')}, "
        f"{(time.time() - started) / 60:.0f} min",
        f"- Machine: {machine()}",
        f"- Load average (1 min) before and after: {load_before[0]:.2f}, {load_after[0]:.2f}",
        f"- Python {platform.python_version()}; {', '.join(versions())}",
    ]
    print()
    print("\n".join(header))
    print()
    print(table(rows))
    missed = [r.job for r in rows if not r.met]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} bars met")
    if output is not None:
        write_results(output, rows, header)
        print(f"wrote {output}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    from generate import generate

    main()
